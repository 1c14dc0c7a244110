/* NTP over PTP (chrony's `ptpport`): an NTP packet carried in a PTP (IEEE 1588) event
 * message, as chrony 4.2-4.8 frame it: a 34-byte PTP header, a 10-byte origin timestamp
 * and a 4-byte TLV header of type 0x2023 whose value is the NTP packet. Pure codec. */
#ifndef PROTO_PTP_H
#define PROTO_PTP_H

#include <stddef.h>
#include <stdint.h>

/* Bytes in front of the NTP packet: header (34) + origin timestamp (10) + TLV header (4). */
#define PTP_NTP_PREFIX_LEN 48
#define PTP_HEADER_LEN 34
/* messageType values (low nibble of byte 0). */
#define PTP_TYPE_SYNC 0
#define PTP_TYPE_DELAY_REQ 1
/* versionPTP 2; with minorVersionPTP 1 (IEEE 1588-2019) in the high nibble. */
#define PTP_VERSION_2 0x02
#define PTP_VERSION_2_1 0x12
/* flagField: unicastFlag (bit 2 of the first flag byte). */
#define PTP_FLAG_UNICAST 0x0400
/* chrony's TLV type carrying the NTP message. */
#define PTP_TLV_NTP 0x2023
/* chrony's default ptpdomain. */
#define PTP_DOMAIN_NTP 123

enum ptp_verdict {
    PTP_OK = 0,
    PTP_TOO_SHORT,   /* no NTP byte after the prefix */
    PTP_BAD_TYPE,    /* neither Sync nor Delay_Req */
    PTP_BAD_VERSION, /* not 2, nor 2.1 with minorSdoId 0 */
    PTP_BAD_LENGTH,  /* messageLength is not the datagram's length */
    PTP_BAD_DOMAIN,  /* another domainNumber than ours */
    PTP_BAD_FLAGS,   /* flags other than just unicast */
    PTP_BAD_TLV      /* not chrony's NTP TLV, or its length is not the rest */
};

struct ptp_ntp_msg {
    uint8_t type;       /* PTP_TYPE_* */
    uint8_t version;    /* PTP_VERSION_* */
    uint8_t domain;     /* domainNumber */
    uint16_t flags;     /* flagField */
    uint16_t sequence;  /* sequenceId */
    int64_t correction; /* correctionField: ns * 2^16 added by transparent clocks */
    size_t ntp_offset;  /* the NTP packet is buf[ntp_offset .. ntp_offset + ntp_len) */
    size_t ntp_len;
};

/* Check buf[0..len) as chrony does and locate the NTP packet; domain: our ptpdomain.
 * Returns PTP_OK and fills *out, or why it is rejected (*out untouched). */
enum ptp_verdict ptp_ntp_decode(const uint8_t *buf, size_t len, uint8_t domain,
                                struct ptp_ntp_msg *out);

/* Write the PTP message carrying ntp[0..ntp_len) into out[0..cap) as chrony sends it:
 * Delay_Req, version 2, domain, unicast flag, sequence, zero correction, port identity,
 * control, interval and origin timestamp. Returns its length, 0 if cap is too small or
 * the message would exceed 65535 bytes. */
size_t ptp_ntp_encode(uint8_t *out, size_t cap, const uint8_t *ntp, size_t ntp_len, uint8_t domain,
                      uint16_t sequence);

/* Short name of a verdict (debug messages, tests). */
const char *ptp_verdict_name(enum ptp_verdict v);

#endif
