/* NTP over PTP (src/proto/ptp): chrony's framing of the NTP packet in a PTP Delay_Req,
 * the checks of a received message, and the round trip. */
#include "check.h"

#include "lib/bytes.h"
#include "proto/ptp.h"

#include <string.h>

static size_t sample(uint8_t *buf, size_t cap, uint8_t domain, uint16_t seq)
{
    uint8_t ntp[48];
    for (int i = 0; i < 48; i++)
        ntp[i] = (uint8_t)(0xe3 + i);
    return ptp_ntp_encode(buf, cap, ntp, sizeof(ntp), domain, seq);
}

static void test_chrony_fields(void)
{
    uint8_t buf[200];
    size_t len = sample(buf, sizeof(buf), 123, 0x1234);

    CHECK_INT_EQ(len, 96);
    CHECK_INT_EQ(buf[0], 1);                /* Delay_Req, transportSpecific 0 */
    CHECK_INT_EQ(buf[1], 2);                /* versionPTP 2 */
    CHECK_INT_EQ(get_be16(buf + 2), 96);    /* messageLength: the whole datagram */
    CHECK_INT_EQ(buf[4], 123);              /* domainNumber */
    CHECK_INT_EQ(buf[5], 0);                /* minorSdoId */
    CHECK_INT_EQ(get_be16(buf + 6), 0x400); /* unicastFlag only */
    for (int i = 8; i < 30; i++)            /* correction, type specific, port identity */
        CHECK_INT_EQ(buf[i], 0);
    CHECK_INT_EQ(get_be16(buf + 30), 0x1234); /* sequenceId */
    CHECK_INT_EQ(buf[32], 0);                 /* controlField */
    CHECK_INT_EQ(buf[33], 0);                 /* logMessageInterval */
    for (int i = 34; i < 44; i++)             /* originTimestamp */
        CHECK_INT_EQ(buf[i], 0);
    CHECK_INT_EQ(get_be16(buf + 44), 0x2023); /* chrony's NTP TLV */
    CHECK_INT_EQ(get_be16(buf + 46), 48);     /* its length: the NTP packet */
    CHECK_INT_EQ(buf[48], 0xe3);
    CHECK_INT_EQ(buf[95], (uint8_t)(0xe3 + 47));
}

static void test_round_trip(void)
{
    uint8_t buf[200], ntp[68];
    struct ptp_ntp_msg m;
    size_t len;

    for (size_t i = 0; i < sizeof(ntp); i++)
        ntp[i] = (uint8_t)i;
    len = ptp_ntp_encode(buf, sizeof(buf), ntp, sizeof(ntp), 7, 65535);
    CHECK_INT_EQ(len, 116);
    CHECK_INT_EQ(ptp_ntp_decode(buf, len, 7, &m), PTP_OK);
    CHECK_INT_EQ(m.type, PTP_TYPE_DELAY_REQ);
    CHECK_INT_EQ(m.version, PTP_VERSION_2);
    CHECK_INT_EQ(m.domain, 7);
    CHECK_INT_EQ(m.sequence, 65535);
    CHECK_INT_EQ(m.correction, 0);
    CHECK_INT_EQ(m.ntp_offset, 48);
    CHECK_INT_EQ(m.ntp_len, sizeof(ntp));
    CHECK(memcmp(buf + m.ntp_offset, ntp, sizeof(ntp)) == 0);
    /* In place: the NTP packet may already sit where the prefix goes. */
    memcpy(buf, ntp, sizeof(ntp));
    CHECK_INT_EQ(ptp_ntp_encode(buf, sizeof(buf), buf, sizeof(ntp), 7, 1), 116);
    CHECK(memcmp(buf + 48, ntp, sizeof(ntp)) == 0);
    /* No room, or nothing to carry. */
    CHECK_INT_EQ(ptp_ntp_encode(buf, 115, ntp, sizeof(ntp), 7, 1), 0);
    CHECK_INT_EQ(ptp_ntp_encode(buf, sizeof(buf), ntp, 0, 7, 1), 0);
}

static void test_accepted_variants(void)
{
    uint8_t buf[200];
    struct ptp_ntp_msg m;
    size_t len = sample(buf, sizeof(buf), 123, 1);

    /* Sync, version 2.1 with minorSdoId 0, a correction from a transparent clock. */
    buf[0] = PTP_TYPE_SYNC;
    buf[1] = PTP_VERSION_2_1;
    put_be64(buf + 8, (uint64_t) - (int64_t)(1500 << 16));
    CHECK_INT_EQ(ptp_ntp_decode(buf, len, 123, &m), PTP_OK);
    CHECK_INT_EQ(m.type, PTP_TYPE_SYNC);
    CHECK_INT_EQ(m.correction, -(int64_t)(1500 << 16));
}

static void test_rejected(void)
{
    uint8_t buf[200], bad[200];
    struct ptp_ntp_msg m;
    size_t len = sample(buf, sizeof(buf), 123, 1);

    memset(&m, 0xaa, sizeof(m));
    /* wrong domain */
    CHECK_INT_EQ(ptp_ntp_decode(buf, len, 124, &m), PTP_BAD_DOMAIN);
    CHECK_INT_EQ(m.ntp_len, (size_t)0xaaaaaaaaaaaaaaaaULL); /* untouched */
    /* truncated: the prefix alone, a byte short of messageLength, nothing */
    CHECK_INT_EQ(ptp_ntp_decode(buf, 48, 123, &m), PTP_TOO_SHORT);
    CHECK_INT_EQ(ptp_ntp_decode(buf, 0, 123, &m), PTP_TOO_SHORT);
    CHECK_INT_EQ(ptp_ntp_decode(buf, len - 1, 123, &m), PTP_BAD_LENGTH);
#define MUTATE(off, val, verdict)                                                                  \
    do {                                                                                           \
        memcpy(bad, buf, len);                                                                     \
        bad[off] = (uint8_t)(val);                                                                 \
        CHECK_INT_EQ(ptp_ntp_decode(bad, len, 123, &m), verdict);                                  \
    } while (0)
    MUTATE(0, 2, PTP_BAD_TYPE);       /* Pdelay_Req */
    MUTATE(0, 0x11, PTP_BAD_TYPE);    /* transportSpecific set */
    MUTATE(1, 1, PTP_BAD_VERSION);    /* PTPv1 */
    MUTATE(1, 0x22, PTP_BAD_VERSION); /* 2.2 */
    MUTATE(7, 0x02, PTP_BAD_FLAGS);   /* two-step flag too */
    MUTATE(6, 0x00, PTP_BAD_FLAGS);   /* not unicast */
    MUTATE(44, 0x80, PTP_BAD_TLV);    /* wrong TLV type */
    MUTATE(47, 47, PTP_BAD_TLV);      /* wrong TLV length */
    MUTATE(3, 97, PTP_BAD_LENGTH);    /* messageLength */
#undef MUTATE
}

static void test_version_minor_sdoid(void)
{
    uint8_t buf[200];
    struct ptp_ntp_msg m;
    size_t len = sample(buf, sizeof(buf), 123, 1);

    /* chrony checks minorSdoId only with version 2.1. */
    buf[5] = 1;
    CHECK_INT_EQ(ptp_ntp_decode(buf, len, 123, &m), PTP_OK);
    buf[1] = PTP_VERSION_2_1;
    CHECK_INT_EQ(ptp_ntp_decode(buf, len, 123, &m), PTP_BAD_VERSION);
    CHECK_STR_EQ(ptp_verdict_name(PTP_BAD_DOMAIN), "domain");
}

int main(void)
{
    RUN(test_chrony_fields);
    RUN(test_round_trip);
    RUN(test_accepted_variants);
    RUN(test_rejected);
    RUN(test_version_minor_sdoid);
    return check_summary();
}
