#include "proto/ptp.h"

#include "lib/bytes.h"

#include <string.h>

/* Offsets in the PTP common header (IEEE 1588-2019 §13.3). */
#define OFF_TYPE 0
#define OFF_VERSION 1
#define OFF_LENGTH 2
#define OFF_DOMAIN 4
#define OFF_MINOR_SDOID 5
#define OFF_FLAGS 6
#define OFF_CORRECTION 8
#define OFF_SEQUENCE 30
/* After the header: originTimestamp (10 bytes), then the TLV type and length. */
#define OFF_TLV_TYPE 44
#define OFF_TLV_LENGTH 46

static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = get_be64(p);
    /* Two's complement without relying on the implementation's conversion. */
    if (v & UINT64_C(0x8000000000000000))
        return -(int64_t)(~v) - 1;
    return (int64_t)v;
}

enum ptp_verdict ptp_ntp_decode(const uint8_t *buf, size_t len, uint8_t domain,
                                struct ptp_ntp_msg *out)
{
    uint8_t type, version;

    if (len <= PTP_NTP_PREFIX_LEN)
        return PTP_TOO_SHORT;
    /* chrony compares the whole first byte: transportSpecific must be 0. */
    type = buf[OFF_TYPE];
    if (type != PTP_TYPE_DELAY_REQ && type != PTP_TYPE_SYNC)
        return PTP_BAD_TYPE;
    version = buf[OFF_VERSION];
    if (version != PTP_VERSION_2 && (version != PTP_VERSION_2_1 || buf[OFF_MINOR_SDOID] != 0))
        return PTP_BAD_VERSION;
    if (get_be16(buf + OFF_LENGTH) != len)
        return PTP_BAD_LENGTH;
    if (buf[OFF_DOMAIN] != domain)
        return PTP_BAD_DOMAIN;
    if (get_be16(buf + OFF_FLAGS) != PTP_FLAG_UNICAST)
        return PTP_BAD_FLAGS;
    if (get_be16(buf + OFF_TLV_TYPE) != PTP_TLV_NTP ||
        get_be16(buf + OFF_TLV_LENGTH) != len - PTP_NTP_PREFIX_LEN)
        return PTP_BAD_TLV;
    out->type = type;
    out->version = version;
    out->domain = buf[OFF_DOMAIN];
    out->flags = get_be16(buf + OFF_FLAGS);
    out->sequence = get_be16(buf + OFF_SEQUENCE);
    out->correction = get_i64(buf + OFF_CORRECTION);
    out->ntp_offset = PTP_NTP_PREFIX_LEN;
    out->ntp_len = len - PTP_NTP_PREFIX_LEN;
    return PTP_OK;
}

size_t ptp_ntp_encode(uint8_t *out, size_t cap, const uint8_t *ntp, size_t ntp_len, uint8_t domain,
                      uint16_t sequence)
{
    size_t total = PTP_NTP_PREFIX_LEN + ntp_len;

    if (ntp_len == 0 || total > cap || total > 0xffff)
        return 0;
    memmove(out + PTP_NTP_PREFIX_LEN, ntp, ntp_len);
    /* Everything chrony does not set is zero: correction, messageTypeSpecific, port
     * identity, control, logMessageInterval and the origin timestamp. */
    memset(out, 0, PTP_NTP_PREFIX_LEN);
    out[OFF_TYPE] = PTP_TYPE_DELAY_REQ;
    out[OFF_VERSION] = PTP_VERSION_2;
    put_be16(out + OFF_LENGTH, (uint16_t)total);
    out[OFF_DOMAIN] = domain;
    put_be16(out + OFF_FLAGS, PTP_FLAG_UNICAST);
    put_be16(out + OFF_SEQUENCE, sequence);
    put_be16(out + OFF_TLV_TYPE, PTP_TLV_NTP);
    put_be16(out + OFF_TLV_LENGTH, (uint16_t)ntp_len);
    return total;
}

const char *ptp_verdict_name(enum ptp_verdict v)
{
    switch (v) {
    case PTP_OK:
        return "ok";
    case PTP_TOO_SHORT:
        return "too short";
    case PTP_BAD_TYPE:
        return "message type";
    case PTP_BAD_VERSION:
        return "version";
    case PTP_BAD_LENGTH:
        return "length";
    case PTP_BAD_DOMAIN:
        return "domain";
    case PTP_BAD_FLAGS:
        return "flags";
    case PTP_BAD_TLV:
        return "TLV";
    }
    return "?";
}
