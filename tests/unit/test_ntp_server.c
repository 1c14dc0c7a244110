/* Unit tests for src/core/ntp_server: replies field by field, every drop reason, accounting. */
#include "check.h"

#include "core/ntp_server.h"
#include "core/nts_ntp.h"
#include "core/nts_server.h"
#include "lib/bytes.h"
#include "lib/ntp_time.h"
#include "proto/ntp.h"

#include <string.h>

static const struct timespec RX = {1700000000, 500000000};

static size_t make_request(uint8_t *buf, int version, int mode, int poll)
{
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = (uint8_t)(version << 3 | mode);
    buf[2] = (uint8_t)(int8_t)poll;
    put_be32(buf + 40, 0xE8F00000U);
    put_be32(buf + 44, 0xABCDEF00U);
    return NTP_HEADER_LEN;
}

static void synced_ref(struct ntp_server_ref *ref)
{
    memset(ref, 0, sizeof(*ref));
    ref->leap = 0;
    ref->stratum = 2;
    ref->precision_log2 = -23;
    ref->ref_id = 0xC0000201U;
    ref->ref_time = (struct timespec){1700000000 - 100, 250000000};
    ref->root_delay = 0.015;
    ref->root_dispersion = 0.001;
    ref->root_dispersion_rate = 0.0;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
}

static int counters_balanced(const struct ntp_server_counters *c)
{
    return c->received == c->replied + ntp_server_counters_dropped(c);
}

static size_t respond(const struct ntp_server_ref *ref, const uint8_t *req, size_t len,
                      uint8_t *out, enum ntp_drop_reason *why, struct ntp_server_counters *c)
{
    return ntp_server_respond(ref, req, len, &RX, out, 1200, why, c);
}

static void test_client_reply_fields(void)
{
    struct ntp_server_ref ref;
    struct ntp_server_counters c = {0};
    uint8_t req[48], out[1200];
    struct ntp_packet rep;
    struct ntp_ts64 rx;
    enum ntp_drop_reason why = NTP_SRV_N_REASONS;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    CHECK_INT_EQ(respond(&ref, req, 48, out, &why, &c), 48);
    CHECK_INT_EQ(why, NTP_SRV_REPLY);
    CHECK_INT_EQ(ntp_decode(out, 48, &rep, NULL), NTP_OK);
    CHECK_INT_EQ(rep.leap, 0);
    CHECK_INT_EQ(rep.version, 4);
    CHECK_INT_EQ(rep.mode, 4);
    CHECK_INT_EQ(rep.stratum, 2);
    CHECK_INT_EQ(rep.poll, 6);
    CHECK_INT_EQ(rep.precision, -23);
    CHECK_INT_EQ(rep.root_delay, ntp_short_from_double(0.015));
    CHECK_INT_EQ(rep.root_dispersion, ntp_short_from_double(0.001));
    CHECK_INT_EQ(rep.ref_id, 0xC0000201U);
    CHECK_INT_EQ(rep.ref_ts.sec, 1700000000UL - 100 + NTP_UNIX_OFFSET);
    CHECK_INT_EQ(rep.ref_ts.frac, 0x40000000U);
    CHECK_INT_EQ(rep.origin_ts.sec, 0xE8F00000U);
    CHECK_INT_EQ(rep.origin_ts.frac, 0xABCDEF00U);
    ntp_ts64_from_timespec(&rx, &RX);
    CHECK_INT_EQ(rep.rx_ts.sec, rx.sec);
    CHECK_INT_EQ(rep.rx_ts.frac, rx.frac | 1); /* chrony's receive-timestamp marker */
    CHECK(ntp_ts64_is_zero(&rep.tx_ts));
    CHECK_INT_EQ(c.received, 1);
    CHECK_INT_EQ(c.replied, 1);
    CHECK(counters_balanced(&c));
}

static void test_set_tx(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct timespec tx = {1700000000, 500100000};
    struct ntp_ts64 want;
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
    ntp_server_set_tx(out, 48, &tx);
    ntp_decode(out, 48, &rep, NULL);
    ntp_ts64_from_timespec(&want, &tx);
    CHECK_INT_EQ(rep.tx_ts.sec, want.sec);
    CHECK_INT_EQ(rep.tx_ts.frac, want.frac & ~1U);
    /* Transmit equal to receive: the cleared low bit makes them differ. */
    ntp_server_set_tx(out, 48, &RX);
    ntp_decode(out, 48, &rep, NULL);
    CHECK(!ntp_ts64_equal(&rep.tx_ts, &rep.rx_ts));
    CHECK_INT_EQ(rep.tx_ts.frac & 1, 0);
    /* Too short a buffer is left alone. */
    ntp_server_set_tx(out, 47, &tx);
}

static void test_set_tx_differs_from_origin(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct timespec tx = {1700000000, 600000000};
    struct ntp_ts64 t;
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    ntp_ts64_from_timespec(&t, &tx);
    t.frac &= ~1U;
    ntp_ts64_to_bytes(req + 40, &t); /* the client's transmit = our future transmit */
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_server_set_tx(out, 48, &tx);
    ntp_decode(out, 48, &rep, NULL);
    CHECK(!ntp_ts64_equal(&rep.tx_ts, &rep.origin_ts));
    CHECK(!ntp_ts64_equal(&rep.tx_ts, &rep.rx_ts));
    CHECK_INT_EQ(rep.tx_ts.frac & 1, 0);
}

static void test_rx_differs_from_origin(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_ts64 t;
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    ntp_ts64_from_timespec(&t, &RX);
    t.frac |= 1;
    ntp_ts64_to_bytes(req + 40, &t);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK(!ntp_ts64_equal(&rep.rx_ts, &rep.origin_ts));
    CHECK_INT_EQ(rep.rx_ts.frac & 1, 1);
}

static void test_versions_echoed(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    for (int v = 1; v <= 4; v++) {
        make_request(req, v, 3, 4);
        CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
        ntp_decode(out, 48, &rep, NULL);
        CHECK_INT_EQ(rep.version, v);
        CHECK_INT_EQ(rep.mode, 4);
    }
}

static void test_ntpv1_mode0(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    enum ntp_drop_reason why;
    synced_ref(&ref);
    make_request(req, 1, 0, 4);
    CHECK_INT_EQ(ntp_server_respond_port(&ref, req, 48, 40000, &RX, out, 48, &why, NULL), 48);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.version, 1);
    CHECK_INT_EQ(rep.mode, 4);
    /* From port 123 an NTPv1 packet is not a client request. */
    CHECK_INT_EQ(ntp_server_respond_port(&ref, req, 48, 123, &RX, out, 48, &why, NULL), 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_MODE_UNEXPECTED);
    /* Mode 0 in later versions is never answered. */
    for (int v = 2; v <= 4; v++) {
        make_request(req, v, 0, 4);
        CHECK_INT_EQ(respond(&ref, req, 48, out, &why, NULL), 0);
        CHECK_INT_EQ(why, NTP_SRV_DROP_MODE_UNEXPECTED);
    }
}

static void test_symmetric_active_gets_passive(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    struct ntp_ts64 t;
    synced_ref(&ref);
    make_request(req, 4, 1, 5);
    CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.mode, 2);
    CHECK_INT_EQ(rep.poll, 5);
    CHECK_INT_EQ(rep.origin_ts.sec, 0xE8F00000U);
    ntp_server_set_tx(out, 48, &RX);
    ntp_decode(out, 48, &rep, NULL);
    ntp_ts64_from_timespec(&t, &RX);
    CHECK_INT_EQ(rep.tx_ts.frac, t.frac & ~1U);
}

static void test_every_mode(void)
{
    static const enum ntp_drop_reason want[8] = {
        NTP_SRV_DROP_MODE_UNEXPECTED, NTP_SRV_REPLY,
        NTP_SRV_DROP_MODE_UNEXPECTED, NTP_SRV_REPLY,
        NTP_SRV_DROP_MODE_UNEXPECTED, NTP_SRV_DROP_MODE_UNEXPECTED,
        NTP_SRV_DROP_MODE_CONTROL,    NTP_SRV_DROP_MODE_PRIVATE,
    };
    struct ntp_server_ref ref;
    struct ntp_server_counters c = {0};
    uint8_t req[48], out[48];
    enum ntp_drop_reason why;
    synced_ref(&ref);
    for (int m = 0; m < 8; m++) {
        make_request(req, 4, m, 4);
        size_t n = respond(&ref, req, 48, out, &why, &c);
        CHECK_INT_EQ(why, want[m]);
        CHECK_INT_EQ(n, want[m] == NTP_SRV_REPLY ? 48 : 0);
    }
    CHECK_INT_EQ(c.received, 8);
    CHECK_INT_EQ(c.replied, 2);
    CHECK_INT_EQ(c.dropped[NTP_SRV_DROP_MODE_UNEXPECTED], 4);
    CHECK_INT_EQ(c.dropped[NTP_SRV_DROP_MODE_CONTROL], 1);
    CHECK_INT_EQ(c.dropped[NTP_SRV_DROP_MODE_PRIVATE], 1);
    CHECK(counters_balanced(&c));
}

static void check_drop(const uint8_t *req, size_t len, enum ntp_drop_reason want,
                       struct ntp_server_counters *c)
{
    struct ntp_server_ref ref;
    uint8_t out[1200];
    enum ntp_drop_reason why = NTP_SRV_REPLY;
    synced_ref(&ref);
    CHECK_INT_EQ(respond(&ref, req, len, out, &why, c), 0);
    CHECK_INT_EQ(why, want);
    CHECK_INT_EQ(c->dropped[want] > 0, 1);
}

static void test_malformed_drops(void)
{
    struct ntp_server_counters c = {0};
    uint8_t req[1200];
    memset(req, 0, sizeof(req));
    make_request(req, 4, 3, 4);
    check_drop(req, 0, NTP_SRV_DROP_TOO_SHORT, &c);
    check_drop(req, 1, NTP_SRV_DROP_TOO_SHORT, &c);
    check_drop(req, 47, NTP_SRV_DROP_TOO_SHORT, &c);
    check_drop(req, 1144, NTP_SRV_DROP_TOO_LONG, &c);
    check_drop(req, 50, NTP_SRV_DROP_BAD_LENGTH, &c);
    req[48] = 1; /* 4 trailing bytes that are not a crypto-NAK */
    check_drop(req, 52, NTP_SRV_DROP_BAD_FORMAT, &c);
    make_request(req, 0, 3, 4);
    check_drop(req, 48, NTP_SRV_DROP_BAD_VERSION, &c);
    make_request(req, 5, 3, 4);
    check_drop(req, 48, NTP_SRV_DROP_BAD_VERSION, &c);
    make_request(req, 7, 3, 4);
    check_drop(req, 48, NTP_SRV_DROP_BAD_VERSION, &c);
    make_request(req, 4, 3, 4);
    put_be32(req + 48, 0x00010000U); /* extension field of length 0 */
    check_drop(req, 48 + 28, NTP_SRV_DROP_BAD_FORMAT, &c);
    CHECK_INT_EQ(c.received, 10);
    CHECK_INT_EQ(c.replied, 0);
    CHECK(counters_balanced(&c));
}

static void test_auth_drops(void)
{
    struct ntp_server_counters c = {0};
    uint8_t req[200], digest[20];
    size_t len;
    memset(digest, 0x77, sizeof(digest));
    /* Symmetric MACs of 20 and 24 bytes: no key can verify them. */
    make_request(req, 4, 3, 4);
    len = ntp_mac_append(req, 48, sizeof(req), 1, digest, 16);
    check_drop(req, len, NTP_SRV_DROP_AUTH_MAC, &c);
    len = ntp_mac_append(req, 48, sizeof(req), 1, digest, 20);
    check_drop(req, len, NTP_SRV_DROP_AUTH_MAC, &c);
    /* A crypto-NAK in a request. */
    len = ntp_mac_append(req, 48, sizeof(req), 0, NULL, 0);
    check_drop(req, len, NTP_SRV_DROP_AUTH_MAC, &c);
    /* NTPv3 with a long MAC. */
    make_request(req, 3, 3, 4);
    memset(req + 48, 0x33, 68);
    check_drop(req, 48 + 68, NTP_SRV_DROP_AUTH_MAC, &c);
    /* MS-SNTP: key id, zero digest. */
    memset(req + 48, 0, 68);
    put_be32(req + 48, 0x400);
    check_drop(req, 68, NTP_SRV_DROP_AUTH_MSSNTP, &c);
    /* NTS unique identifier + cookie fields. */
    make_request(req, 4, 3, 4);
    uint8_t body[32] = {0};
    len = ntp_ef_append(req, 48, sizeof(req), NTP_EF_NTS_UNIQUE_IDENTIFIER, body, 32);
    len = ntp_ef_append(req, len, sizeof(req), NTP_EF_NTS_COOKIE, body, 32);
    check_drop(req, len, NTP_SRV_DROP_AUTH_NTS, &c);
    CHECK_INT_EQ(c.received, 6);
    CHECK(counters_balanced(&c));
}

static void test_unknown_extension_field_answered(void)
{
    /* A non-authentication extension field does not prevent a plain 48-byte reply. */
    struct ntp_server_ref ref;
    uint8_t req[200], out[200], body[24] = {0};
    size_t len;
    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    len = ntp_ef_append(req, 48, sizeof(req), NTP_EF_EXP_MONO_ROOT, body, sizeof(body));
    CHECK_INT_EQ(respond(&ref, req, len, out, NULL, NULL), 48);
}

/* chrony's F323 in a request (body: the magic, the rest zero) gets the field back: the root
 * delay and dispersion in 4.28 fixed point, no monotonic timestamp; after it a MAC still
 * fits the request's length. */
static void test_mono_root_answered(void)
{
    struct ntp_server_ref ref;
    struct ntp_packet_info info;
    struct ntp_ef_mono_root ef, got;
    uint8_t req[200], out[200];
    size_t len, n;
    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    memset(&ef, 0, sizeof(ef));
    len = ntp_ef_mono_root_append(req, 48, sizeof(req), &ef);
    CHECK_INT_EQ(len, 76);
    n = respond(&ref, req, len, out, NULL, NULL);
    CHECK_INT_EQ(n, 76);
    CHECK_INT_EQ(ntp_decode(out, n, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_mono_root_find(out, &info, &got), NTP_OK);
    CHECK_INT_EQ(got.root_delay, ntp_f28_from_double(0.015));
    CHECK_INT_EQ(got.root_dispersion, ntp_f28_from_double(0.001));
    CHECK(ntp_ts64_is_zero(&got.mono_rx));
    /* the header keeps its 16.16 values */
    CHECK_INT_EQ(get_be32(out + 4), ntp_short_from_double(0.015));
    /* a wrong magic is another field: a plain reply */
    put_be32(req + 52, 0x12345678U);
    CHECK_INT_EQ(respond(&ref, req, len, out, NULL, NULL), 48);
}

/* chrony 4.8's F324 in a request is answered only with `ptpport` (net_corr_on), with the
 * request's network correction when transparent clocks added something beyond the frame's
 * duration (a hardware timestamp on the ptpport), else zero. */
static void test_net_correction_answered(void)
{
    struct ntp_server_ref ref;
    struct ntp_packet_info info;
    struct ntp_ef_mono_root mr;
    uint8_t req[200], out[200];
    size_t len, n;
    double corr;

    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    len = ntp_ef_net_correction_append(req, 48, sizeof(req), 0.0);
    CHECK_INT_EQ(len, 76);
    /* no ptpport: a plain reply */
    CHECK_INT_EQ(respond(&ref, req, len, out, NULL, NULL), 48);
    /* ptpport, no hardware timestamp: the field with zero */
    ref.net_corr_on = 1;
    n = respond(&ref, req, len, out, NULL, NULL);
    CHECK_INT_EQ(n, 76);
    CHECK_INT_EQ(ntp_decode(out, n, NULL, &info), NTP_OK);
    corr = -1.0;
    CHECK_INT_EQ(ntp_ef_net_correction_find(out, &info, &corr), NTP_OK);
    CHECK(corr == 0.0);
    /* a hardware timestamp without transparent clocks: still zero */
    ref.rx_duration = ref.rx_net_correction = 0.7e-6;
    n = respond(&ref, req, len, out, NULL, NULL);
    CHECK_INT_EQ(ntp_decode(out, n, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(out, &info, &corr), NTP_OK);
    CHECK(corr == 0.0);
    /* transparent clocks added 25 us: the whole correction, the frame's duration with it */
    ref.rx_net_correction = 0.7e-6 + 25e-6;
    n = respond(&ref, req, len, out, NULL, NULL);
    CHECK_INT_EQ(ntp_decode(out, n, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(out, &info, &corr), NTP_OK);
    CHECK_NEAR(corr, 25.7e-6, 1e-9);
    /* with F323 too: both, in chrony's order */
    memset(&mr, 0, sizeof(mr));
    len = ntp_ef_mono_root_append(req, 48, sizeof(req), &mr);
    len = ntp_ef_net_correction_append(req, len, sizeof(req), 0.0);
    n = respond(&ref, req, len, out, NULL, NULL);
    CHECK_INT_EQ(n, 104);
    CHECK_INT_EQ(get_be16(out + 48), 0xF323);
    CHECK_INT_EQ(get_be16(out + 76), 0xF324);
    /* a wrong magic is another field */
    len = ntp_ef_net_correction_append(req, 48, sizeof(req), 0.0);
    put_be32(req + 52, 0x12345678U);
    CHECK_INT_EQ(respond(&ref, req, len, out, NULL, NULL), 48);
}

static void test_zero_transmit_answered(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    memset(req + 40, 0, 8);
    CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
    ntp_decode(out, 48, &rep, NULL);
    CHECK(ntp_ts64_is_zero(&rep.origin_ts));
}

static void test_no_buffer(void)
{
    struct ntp_server_ref ref;
    struct ntp_server_counters c = {0};
    uint8_t req[48], out[48];
    enum ntp_drop_reason why;
    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    CHECK_INT_EQ(ntp_server_respond(&ref, req, 48, &RX, out, 47, &why, &c), 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_NO_BUFFER);
    CHECK_INT_EQ(ntp_server_respond(&ref, req, 48, &RX, NULL, 48, &why, &c), 0);
    CHECK(counters_balanced(&c));
    CHECK_INT_EQ(c.dropped[NTP_SRV_DROP_NO_BUFFER], 2);
}

static void test_poll_floor(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, -128);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.poll, -19);
    ref.min_poll_log2 = 3; /* ratelimit interval 3 */
    make_request(req, 4, 3, 1);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.poll, 3);
    make_request(req, 4, 3, 10);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.poll, 10);
}

static void test_reply_not_longer_than_request(void)
{
    struct ntp_server_ref ref;
    uint8_t req[200], out[200], body[24] = {0};
    size_t len;
    synced_ref(&ref);
    make_request(req, 4, 3, 4);
    for (len = 48; len <= 48 + 28; len += 28) {
        size_t n = respond(&ref, req, len, out, NULL, NULL);
        CHECK(n <= len);
        CHECK_INT_EQ(n, 48);
        ntp_ef_append(req, 48, sizeof(req), 0x2000, body, sizeof(body));
    }
}

static void test_root_dispersion_growth(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    ref.root_dispersion_rate = 1e-5; /* 10 ppm */
    /* RX is 100.25 s after ref_time. */
    CHECK_NEAR(ntp_server_root_dispersion(&ref, &RX), 0.001 + 100.25e-5, 1e-12);
    make_request(req, 4, 3, 4);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.root_dispersion, ntp_short_from_double(0.001 + 100.25e-5));
    /* Without a reference time the dispersion does not grow. */
    ref.ref_time = (struct timespec){0, 0};
    CHECK_NEAR(ntp_server_root_dispersion(&ref, &RX), 0.001, 1e-12);
}

static void test_unsynchronised_ref(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    ntp_server_ref_unsynchronised(&ref, -20);
    make_request(req, 4, 3, 6);
    CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.leap, 3);
    CHECK_INT_EQ(rep.stratum, 0);
    CHECK_INT_EQ(rep.precision, -20);
    CHECK_INT_EQ(rep.ref_id, 0);
    CHECK(ntp_ts64_is_zero(&rep.ref_ts));
    CHECK_INT_EQ(rep.root_delay, 0x00010000U);
    CHECK_INT_EQ(rep.root_dispersion, 0x00010000U);
    CHECK_INT_EQ(rep.poll, 6);
    CHECK_INT_EQ(rep.mode, 4);
}

static void test_local_ref(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    struct timespec now = {1700000000, 123000000};
    struct ntp_ts64 want;
    ntp_server_ref_local(&ref, 10, &now, -22);
    make_request(req, 3, 3, 6);
    CHECK_INT_EQ(respond(&ref, req, 48, out, NULL, NULL), 48);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.leap, 0);
    CHECK_INT_EQ(rep.version, 3);
    CHECK_INT_EQ(rep.stratum, 10);
    CHECK_INT_EQ(rep.precision, -22);
    CHECK_INT_EQ(rep.ref_id, 0x7F7F0101U);
    now.tv_sec--;
    ntp_ts64_from_timespec(&want, &now);
    CHECK(ntp_ts64_equal(&rep.ref_ts, &want));
    CHECK_INT_EQ(rep.root_delay, 0);
    CHECK_INT_EQ(rep.root_dispersion, 0);
    ntp_server_ref_local(&ref, 0, &now, -22);
    CHECK_INT_EQ(ref.stratum, 1);
    ntp_server_ref_local(&ref, 16, &now, -22);
    CHECK_INT_EQ(ref.stratum, 15);
}

static void test_stratum_and_leap_on_wire(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    ref.stratum = 16;
    ref.leap = 1;
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.stratum, 0);
    CHECK_INT_EQ(rep.leap, 1);
    ref.stratum = 15;
    ref.leap = 2;
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.stratum, 15);
    CHECK_INT_EQ(rep.leap, 2);
}

static void test_kod(void)
{
    struct ntp_server_ref ref;
    uint8_t req[48], out[48];
    struct ntp_packet rep;
    synced_ref(&ref);
    make_request(req, 4, 3, 6);
    respond(&ref, req, 48, out, NULL, NULL);
    ntp_server_set_kod(out, 48, NTP_SERVER_KOD_RATE);
    ntp_decode(out, 48, &rep, NULL);
    CHECK_INT_EQ(rep.leap, 3);
    CHECK_INT_EQ(rep.stratum, 0);
    CHECK_INT_EQ(rep.ref_id, 0x52415445U);
    CHECK_INT_EQ(rep.version, 4);
    CHECK_INT_EQ(rep.mode, 4);
    CHECK_INT_EQ(rep.origin_ts.sec, 0xE8F00000U);
}

static void test_reason_is_hit(void)
{
    CHECK(ntp_server_reason_is_hit(NTP_SRV_REPLY));
    CHECK(ntp_server_reason_is_hit(NTP_SRV_DROP_AUTH_MAC));
    CHECK(ntp_server_reason_is_hit(NTP_SRV_DROP_AUTH_NTS));
    CHECK(!ntp_server_reason_is_hit(NTP_SRV_DROP_TOO_SHORT));
    CHECK(!ntp_server_reason_is_hit(NTP_SRV_DROP_MODE_PRIVATE));
    CHECK(!ntp_server_reason_is_hit(NTP_SRV_DROP_MODE_UNEXPECTED));
}

static void test_nts_fields_then_mac(void)
{
    /* chrony takes a trailing MAC over the NTS fields: a symmetric-MAC drop. */
    struct ntp_server_counters c = {0};
    uint8_t req[200], body[20] = {0};
    size_t len;
    make_request(req, 4, 3, 4);
    len = ntp_ef_append(req, 48, sizeof(req), NTP_EF_NTS_UNIQUE_IDENTIFIER, body, 20);
    len = ntp_mac_append(req, len, sizeof(req), 5, body, 16);
    check_drop(req, len, NTP_SRV_DROP_AUTH_MAC, &c);
}

/* An NTS request with a cookie of ks (placeholders asking for more cookies). */
static size_t make_nts_request(uint8_t *req, size_t cap, const struct nts_server_keys *ks,
                               struct nts_keys *k, uint8_t uid[NTS_UID_LEN], int placeholders)
{
    uint8_t nonce[NTS_NONCE_LEN], cnonce[NTS_SERVER_COOKIE_NONCE];
    struct nts_cookie cookie;

    memset(k, 0, sizeof(*k));
    k->aead = NTS_AEAD_AES_SIV_CMAC_256;
    k->key_len = 32;
    memset(k->c2s, 0x21, 32);
    memset(k->s2c, 0x43, 32);
    memset(uid, 0x65, NTS_UID_LEN);
    memset(nonce, 0x87, sizeof(nonce));
    memset(cnonce, 0xA9, sizeof(cnonce));
    cookie.len = nts_server_make_cookie(ks, k, cnonce, cookie.data, sizeof(cookie.data));
    make_request(req, 4, 3, 6);
    return nts_ntp_build_request(req, NTP_HEADER_LEN, cap, uid, &cookie, placeholders, k, nonce);
}

static void nts_keys_fixed(struct nts_server_keys *ks, uint8_t v)
{
    uint8_t rnd[NTS_SERVER_KEYS_RANDOM];
    memset(rnd, v, sizeof(rnd));
    nts_server_keys_init(ks, rnd);
}

static void test_nts_request_answered(void)
{
    struct ntp_server_counters c = {0};
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    struct nts_server_keys ks;
    struct nts_keys k;
    struct nts_cookie got[NTS_MAX_COOKIES];
    enum ntp_drop_reason why;
    uint8_t req[600], rep[1200], uid[NTS_UID_LEN], rnd[NTS_SERVER_REPLY_RANDOM];
    const struct timespec tx = {1700000001, 0};
    size_t qlen, len;
    int n = 0;

    synced_ref(&ref);
    nts_keys_fixed(&ks, 3);
    qlen = make_nts_request(req, sizeof(req), &ks, &k, uid, 2);
    len = ntp_server_respond_nts(&ref, NULL, &ks, req, qlen, 40000, &RX, rep, sizeof(rep), &auth,
                                 &why, &c);
    CHECK_INT_EQ(why, NTP_SRV_REPLY);
    CHECK_INT_EQ(len, NTP_HEADER_LEN);
    CHECK(auth.nts && !auth.nts_nak && !auth.symmetric);
    ntp_server_set_tx(rep, len, &tx);
    memset(rnd, 0x5A, sizeof(rnd));
    len = ntp_server_finish_nts(&ks, &auth, rep, len, sizeof(rep), rnd);
    CHECK_INT_EQ(len, qlen);
    CHECK_INT_EQ(nts_ntp_check_response(rep, len, uid, &k, got, NTS_MAX_COOKIES, &n), NTS_NTP_OK);
    CHECK_INT_EQ(n, 3);
    CHECK_INT_EQ(rep[1], 2);
    /* Without NTS server keys the same request is dropped, as before. */
    CHECK_INT_EQ(ntp_server_respond_auth(&ref, NULL, req, qlen, 40000, &RX, rep, sizeof(rep), &auth,
                                         &why, &c),
                 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_NTS);
    /* Finishing a plain reply changes nothing. */
    memset(&auth, 0, sizeof(auth));
    CHECK_INT_EQ(ntp_server_finish_nts(&ks, &auth, rep, 48, sizeof(rep), rnd), 48);
    CHECK(counters_balanced(&c));
}

static void test_nts_nak(void)
{
    struct ntp_server_counters c = {0};
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    struct nts_server_keys ks, other;
    struct nts_keys k;
    enum ntp_drop_reason why;
    uint8_t req[600], rep[1200], uid[NTS_UID_LEN];
    size_t qlen, len;

    synced_ref(&ref);
    nts_keys_fixed(&ks, 3);
    nts_keys_fixed(&other, 4);
    qlen = make_nts_request(req, sizeof(req), &ks, &k, uid, 0);
    /* A cookie of another server: KoD NTSN with the uid only. */
    len = ntp_server_respond_nts(&ref, NULL, &other, req, qlen, 40000, &RX, rep, sizeof(rep), &auth,
                                 &why, &c);
    CHECK_INT_EQ(why, NTP_SRV_REPLY);
    CHECK(auth.nts_nak && !auth.nts);
    CHECK_INT_EQ(len, NTP_HEADER_LEN + 4 + NTS_UID_LEN);
    CHECK_INT_EQ(rep[0] >> 6, 3);
    CHECK_INT_EQ(rep[1], 0);
    CHECK(get_be32(rep + 12) == NTS_KOD_NAK);
    CHECK_INT_EQ(nts_ntp_check_response(rep, len, uid, &k, NULL, 0, NULL), NTS_NTP_NAK);
    /* A malformed NTS request (authenticator missing) is dropped. */
    qlen = make_nts_request(req, sizeof(req), &ks, &k, uid, 0);
    len = ntp_server_respond_nts(&ref, NULL, &ks, req, qlen - 40, 40000, &RX, rep, sizeof(rep),
                                 &auth, &why, &c);
    CHECK_INT_EQ(len, 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_NTS);
    CHECK(counters_balanced(&c));
}

static void test_reason_names(void)
{
    CHECK_STR_EQ(ntp_server_reason_name(NTP_SRV_REPLY), "reply");
    CHECK_STR_EQ(ntp_server_reason_name(NTP_SRV_DROP_MODE_PRIVATE), "mode-private");
    CHECK_STR_EQ(ntp_server_reason_name(NTP_SRV_DROP_NO_BUFFER), "no-buffer");
    CHECK_STR_EQ(ntp_server_reason_name(NTP_SRV_N_REASONS), "unknown");
}

/* chrony's broadcast packet: the served state, mode 5, version 4, poll as given, zero
 * originate and receive, transmit as given, dispersion grown to it. */
static void test_broadcast_packet(void)
{
    struct ntp_server_ref ref;
    struct ntp_packet p;
    struct timespec tx = {1700000100, 250000000};
    uint8_t buf[64];

    memset(&ref, 0, sizeof(ref));
    ref.leap = 1;
    ref.stratum = 2;
    ref.precision_log2 = -20;
    ref.ref_id = 0xC0000201U;
    ref.ref_time.tv_sec = 1700000000;
    ref.root_delay = 0.5;
    ref.root_dispersion = 0.25;
    ref.root_dispersion_rate = 1e-3;
    CHECK_INT_EQ(ntp_server_broadcast(&ref, 6, &tx, buf, 47), 0);
    CHECK_INT_EQ(ntp_server_broadcast(&ref, 6, &tx, buf, sizeof(buf)), 48);
    CHECK(ntp_decode(buf, 48, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.leap, 1);
    CHECK_INT_EQ(p.version, 4);
    CHECK_INT_EQ(p.mode, 5);
    CHECK_INT_EQ(p.stratum, 2);
    CHECK_INT_EQ(p.poll, 6);
    CHECK_INT_EQ(p.precision, -20);
    CHECK_INT_EQ(p.root_delay, 0x8000);
    CHECK_INT_EQ(p.root_dispersion, (uint32_t)((0.25 + 100.25e-3) * 65536.0 + 0.5));
    CHECK_INT_EQ(p.ref_id, 0xC0000201U);
    CHECK_INT_EQ(p.ref_ts.sec, 1700000000U + 2208988800U);
    CHECK(p.origin_ts.sec == 0 && p.origin_ts.frac == 0);
    CHECK(p.rx_ts.sec == 0 && p.rx_ts.frac == 0);
    CHECK_INT_EQ(p.tx_ts.sec, 1700000100U + 2208988800U);
    CHECK_INT_EQ(p.tx_ts.frac, 0x40000000U);
    /* An unsynchronised server: stratum 16 goes out as 0. */
    ref.leap = 3;
    ref.stratum = 16;
    CHECK_INT_EQ(ntp_server_broadcast(&ref, 0, &tx, buf, sizeof(buf)), 48);
    CHECK(ntp_decode(buf, 48, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.leap, 3);
    CHECK_INT_EQ(p.stratum, 0);
}

/* chrony with ntpsigndsocket: an MS-SNTP request (NTPv3, key id, 16 zero bytes) gets a
 * 48-byte reply marked for ntp_signd with the request's key id; without it, or with the
 * extended 72-byte authenticator, it is dropped; NTPv4 with the same trailer is a MAC. */
static void test_mssntp(void)
{
    struct ntp_server_ref ref;
    struct ntp_server_counters c = {0};
    struct ntp_server_authn on = {NULL, NULL, 1}, off = {NULL, NULL, 0};
    struct ntp_server_auth auth;
    enum ntp_drop_reason why;
    uint8_t req[200], out[200];
    struct ntp_packet rep;

    synced_ref(&ref);
    make_request(req, 3, 3, 6);
    memset(req + 48, 0, 72);
    put_be32(req + 48, 0x80000451U);
    CHECK_INT_EQ(
        ntp_server_respond_authn(&ref, &on, req, 68, 40000, &RX, out, sizeof(out), &auth, &why, &c),
        48);
    CHECK_INT_EQ(why, NTP_SRV_REPLY);
    CHECK_INT_EQ(auth.mssntp, 1);
    CHECK_INT_EQ(auth.key_id, 0x80000451U);
    CHECK_INT_EQ(auth.symmetric, 0);
    CHECK(ntp_decode(out, 48, &rep, NULL) == NTP_OK);
    CHECK_INT_EQ(rep.version, 3);
    CHECK_INT_EQ(rep.mode, 4);
    CHECK_INT_EQ(rep.origin_ts.sec, 0xE8F00000U);
    CHECK(ntp_server_reason_is_hit(why));
    CHECK_INT_EQ(ntp_server_respond_authn(&ref, &off, req, 68, 40000, &RX, out, sizeof(out), &auth,
                                          &why, &c),
                 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MSSNTP);
    CHECK_INT_EQ(auth.mssntp, 0);
    /* the extended authenticator: not supported (chrony) */
    CHECK_INT_EQ(ntp_server_respond_authn(&ref, &on, req, 120, 40000, &RX, out, sizeof(out), &auth,
                                          &why, &c),
                 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MSSNTP);
    /* a non-zero digest is a symmetric MAC no key verifies */
    req[60] = 1;
    CHECK_INT_EQ(
        ntp_server_respond_authn(&ref, &on, req, 68, 40000, &RX, out, sizeof(out), &auth, &why, &c),
        0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MAC);
    req[60] = 0;
    /* NTPv4: the same 20 bytes are a MAC */
    make_request(req, 4, 3, 6);
    CHECK_INT_EQ(
        ntp_server_respond_authn(&ref, &on, req, 68, 40000, &RX, out, sizeof(out), &auth, &why, &c),
        0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MAC);
    CHECK_INT_EQ(c.received, 5);
    CHECK_INT_EQ(c.replied, 1);
    CHECK(counters_balanced(&c));
}

int main(void)
{
    RUN(test_client_reply_fields);
    RUN(test_broadcast_packet);
    RUN(test_set_tx);
    RUN(test_set_tx_differs_from_origin);
    RUN(test_rx_differs_from_origin);
    RUN(test_versions_echoed);
    RUN(test_ntpv1_mode0);
    RUN(test_symmetric_active_gets_passive);
    RUN(test_every_mode);
    RUN(test_malformed_drops);
    RUN(test_auth_drops);
    RUN(test_unknown_extension_field_answered);
    RUN(test_mono_root_answered);
    RUN(test_net_correction_answered);
    RUN(test_zero_transmit_answered);
    RUN(test_no_buffer);
    RUN(test_poll_floor);
    RUN(test_reply_not_longer_than_request);
    RUN(test_root_dispersion_growth);
    RUN(test_unsynchronised_ref);
    RUN(test_local_ref);
    RUN(test_stratum_and_leap_on_wire);
    RUN(test_kod);
    RUN(test_reason_is_hit);
    RUN(test_nts_fields_then_mac);
    RUN(test_nts_request_answered);
    RUN(test_nts_nak);
    RUN(test_reason_names);
    RUN(test_mssntp);
    return check_summary();
}
