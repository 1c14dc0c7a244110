/* Tests of the cmdmon codec against the worked hex examples of the spec
 * (section 9), the float encoding table (4.2) and the length table (3.2). */
#include "check.h"

#include "proto/cmdmon.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static size_t hex_parse(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (n < cap)
                out[n] = (uint8_t)(hi << 4 | v);
            n++;
            hi = -1;
        }
    }
    return n;
}

static void check_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            check_fail(__FILE__, line, "byte %zu: %02x != %02x", i, a[i], b[i]);
            return;
        }
    }
}
#define CHECK_BYTES(a, b, n) check_bytes_eq(a, b, n, __LINE__)

static const char tracking_rpy_hex[] = "06 02 00 00 00 21 00 05 00 00 00 00 00 00 00 00"
                                       "30 8c bc ce 00 00 00 00 00 00 00 00 7f 00 00 01"
                                       "7f 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00"
                                       "00 01 00 00 00 09 00 00 00 00 00 00 6b 05 95 5a"
                                       "10 ac 0a b3 dd 42 80 d5 d6 a6 17 fd e0 b3 96 c4"
                                       "f3 4b 8f 62 ee 89 b2 1c f6 83 ad 18 e0 ef 9c b9"
                                       "de 9a b6 16 0a 82 8e 55";

static void test_float_encode_table(void)
{
    CHECK_INT_EQ(cmdmon_float_encode(1.0), 0x04800000);
    CHECK_INT_EQ(cmdmon_float_encode(-1.0), 0x03000000);
    CHECK_INT_EQ(cmdmon_float_encode(0.5), 0x02800000);
    CHECK_INT_EQ(cmdmon_float_encode(0.001), 0xF083126F);
    CHECK_INT_EQ(cmdmon_float_encode(-0.000001), 0xDD79C843);
    CHECK_INT_EQ(cmdmon_float_encode(123.456), 0x10F6E979);
    CHECK_INT_EQ(cmdmon_float_encode(3.0), 0x06C00000);
    CHECK_INT_EQ(cmdmon_float_encode(0.0), 0);
    CHECK_INT_EQ(cmdmon_float_encode(1e101), 0x7EFFFFFF);
    CHECK_INT_EQ(cmdmon_float_encode(-1e101), 0x7F000000);
    CHECK_INT_EQ(cmdmon_float_encode(300.0), 0x14960000);
    CHECK_INT_EQ(cmdmon_float_encode(1.5), 0x04c00000);
}

static void test_float_edge_cases(void)
{
    CHECK_INT_EQ(cmdmon_float_encode(NAN), 0);
    CHECK_INT_EQ(cmdmon_float_encode(1e-101), 0);
    CHECK_INT_EQ(cmdmon_float_encode(-0.0), 0);
    CHECK_INT_EQ(cmdmon_float_encode(INFINITY), 0x7EFFFFFF);
    /* Saturation below 1e100 but above the exponent range. */
    CHECK_INT_EQ(cmdmon_float_encode(1e30), 0x7EFFFFFF);
    /* Tiny values: denormal-like, then zero. */
    CHECK(cmdmon_float_decode(cmdmon_float_encode(ldexp(1.0, -89))) == ldexp(1.0, -89));
    CHECK_INT_EQ(cmdmon_float_encode(ldexp(1.0, -100)), 0);
    CHECK_NEAR(cmdmon_float_decode(0x0A828E55), 8.15974903, 1e-8);
    CHECK_NEAR(cmdmon_float_decode(0xDD4280D5), -1.41186e-06, 1e-11);
    CHECK_NEAR(cmdmon_float_decode(0xDE930E8D), 2.19132e-06, 1e-11);
    CHECK(cmdmon_float_decode(0xF083126F) == 0.0010000000474974513);
    CHECK(cmdmon_float_decode(0x03000000) == -1.0);
    CHECK(cmdmon_float_decode(0x7F000000) == -ldexp(1.0, 62));
}

static void test_float_round_trip(void)
{
    srand(12345);
    for (int i = 0; i < 20000; i++) {
        double m = (double)rand() / RAND_MAX, x = ldexp(m + 0.5, rand() % 120 - 60);
        double y;
        if (rand() & 1)
            x = -x;
        y = cmdmon_float_decode(cmdmon_float_encode(x));
        if (fabs(y - x) > fabs(x) * ldexp(1.0, -23)) {
            check_fail(__FILE__, __LINE__, "round trip %.17g -> %.17g", x, y);
            return;
        }
        /* Re-encoding a decoded value is stable. */
        CHECK_INT_EQ(cmdmon_float_encode(y), cmdmon_float_encode(x));
    }
}

static void test_ts_and_addr(void)
{
    uint8_t b[20] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff};
    struct timespec ts;
    struct cmdmon_addr a;

    cmdmon_ts_decode(b, &ts);
    CHECK_INT_EQ(ts.tv_sec, 5);
    CHECK_INT_EQ(ts.tv_nsec, 999999999);
    ts.tv_sec = (time_t)0x123456789LL;
    ts.tv_nsec = 7;
    cmdmon_ts_encode(b, &ts);
    CHECK_INT_EQ(b[3], 1);
    CHECK_INT_EQ(b[4], 0x23);
    CHECK_INT_EQ(b[11], 7);

    memset(b, 0xAB, sizeof(b));
    b[16] = 0;
    b[17] = 9; /* unknown family -> UNSPEC, bytes cleared */
    cmdmon_addr_decode(b, &a);
    CHECK_INT_EQ(a.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(a.bytes[0], 0);
    b[17] = CMDMON_AF_ID;
    cmdmon_addr_decode(b, &a);
    CHECK_INT_EQ(cmdmon_addr_get_id(&a), 0xABABABAB);
    CHECK_INT_EQ(a.bytes[4], 0);
    cmdmon_addr_encode(b, &a);
    CHECK_INT_EQ(b[4], 0);
    CHECK_INT_EQ(b[17], 3);
}

static void test_refid_md5(void)
{
    uint8_t d[16];
    struct cmdmon_addr a;
    cmdmon_md5((const uint8_t *)"", 0, d);
    CHECK_INT_EQ(d[0], 0xd4);
    CHECK_INT_EQ(d[15], 0x7e);
    cmdmon_md5((const uint8_t *)"The quick brown fox jumps over the lazy dog", 43, d);
    CHECK_INT_EQ(d[0], 0x9e);
    CHECK_INT_EQ(d[15], 0xd6);
    memset(&a, 0, sizeof(a));
    a.family = CMDMON_AF_INET6;
    a.bytes[15] = 1;
    CHECK_INT_EQ(cmdmon_addr_refid(&a), 0xCF404DC8);
    cmdmon_addr_set_v4(&a, 0x7F000001);
    CHECK_INT_EQ(cmdmon_addr_refid(&a), 0x7F000001);
}

static void test_length_table(void)
{
    static const int t[][2] = {
        {1, 60},   {2, 60},  {3, 68},   {4, 44},   {5, 44},   {6, 28},   {7, 44},  {8, 44},
        {9, 28},   {11, 40}, {13, 28},  {14, 32},  {15, 76},  {16, 28},  {17, 44}, {24, 44},
        {25, 40},  {26, 40}, {29, 40},  {30, 28},  {31, 28},  {33, 104}, {34, 84}, {35, 56},
        {36, 28},  {37, 28}, {41, 416}, {42, 28},  {43, 28},  {44, 48},  {45, 44}, {46, 44},
        {47, 44},  {48, 28}, {49, 28},  {50, 28},  {51, 52},  {52, 28},  {53, 28}, {54, 196},
        {57, 172}, {62, 28}, {63, 28},  {64, 372}, {65, 284}, {66, 28},  {67, 52}, {68, 520},
        {69, 76},  {70, 28}, {71, 28},  {72, 52},  {73, 48},  {74, 48}};
    static const int invalid[] = {0, 10, 12, 27, 28, 32, 38, 39, 40, 55, 58, 59, 60, 61, 75, 200};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        CHECK_INT_EQ(cmdmon_request_length((uint16_t)t[i][0]), t[i][1]);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        CHECK_INT_EQ(cmdmon_request_length((uint16_t)invalid[i]), 0);
    CHECK_INT_EQ(cmdmon_reply_length(CMDMON_RPY_SERVER_STATS3), 72);
    CHECK_INT_EQ(cmdmon_reply_length(CMDMON_RPY_NTP_DATA), 152);
    CHECK_INT_EQ(cmdmon_reply_length(99), 0);
    CHECK_INT_EQ(cmdmon_expected_reply(CMDMON_REQ_NTP_DATA), CMDMON_RPY_NTP_DATA2);
    CHECK(cmdmon_command_is_open(CMDMON_REQ_TRACKING));
    CHECK(!cmdmon_command_is_open(CMDMON_REQ_SERVER_STATS));
}

static void test_status_messages(void)
{
    CHECK_STR_EQ(cmdmon_status_message(0), "200 OK");
    CHECK_STR_EQ(cmdmon_status_message(2), "501 Not authorised");
    CHECK_STR_EQ(cmdmon_status_message(8), "208 Access allowed");
    CHECK_STR_EQ(cmdmon_status_message(15), "519 Client logging is not active in the daemon");
    CHECK_STR_EQ(cmdmon_status_message(19), "518 Packet length mismatch");
    CHECK_STR_EQ(cmdmon_status_message(20), "520 Got unexpected error from daemon");
    CHECK_STR_EQ(cmdmon_status_message(21), "521 Invalid name");
    CHECK_STR_EQ(cmdmon_status_message(300), "520 Got unexpected error from daemon");
}

static void test_tracking_example(void)
{
    uint8_t want[104], got[200];
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    const struct cmdmon_tracking *t = &rpy.u.tracking;

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_TRACKING;
    req.sequence = 0x308cbcce;
    memset(want, 0, sizeof(want));
    hex_parse("06 01 00 00 00 21 00 00 30 8c bc ce", want, sizeof(want));
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, sizeof(got)), 104);
    CHECK_BYTES(got, want, 104);
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, 103), 0);

    CHECK_INT_EQ(hex_parse(tracking_rpy_hex, want, sizeof(want)), 104);
    CHECK_INT_EQ(cmdmon_decode_reply(want, 104, &rpy), CMDMON_OK);
    CHECK_INT_EQ(rpy.reply, CMDMON_RPY_TRACKING);
    CHECK_INT_EQ(rpy.sequence, 0x308cbcce);
    CHECK_INT_EQ(t->ref_id, 0x7F000001);
    CHECK_INT_EQ(t->ip.family, CMDMON_AF_INET4);
    CHECK_INT_EQ(t->stratum, 9);
    CHECK_INT_EQ(t->ref_time.tv_sec, 1795528026);
    CHECK_INT_EQ(t->ref_time.tv_nsec, 279710387);
    CHECK_NEAR(t->current_correction, -1.41186e-06, 1e-11);
    CHECK_NEAR(t->freq_ppm, -0.00275329, 1e-8);
    CHECK_NEAR(t->last_update_interval, 8.15975, 1e-5);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 104), 104);
    CHECK_BYTES(got, want, 104);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 103), 0);
    CHECK_INT_EQ(cmdmon_decode_reply(want, 103, &rpy), CMDMON_REPLY_SHORT);
}

static void test_sources_example(void)
{
    uint8_t b[100], got[100];
    struct cmdmon_reply rpy;
    const struct cmdmon_source_data *s = &rpy.u.source_data;

    hex_parse("06 02 00 00 00 0e 00 02 00 00 00 00 00 00 00 00"
              "cc 70 ad d1 00 00 00 00 00 00 00 00 00 00 00 03",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 32, &rpy), CMDMON_OK);
    CHECK_INT_EQ(rpy.u.n_sources.n_sources, 3);

    hex_parse("06 02 00 00 00 0f 00 03 00 00 00 00 00 00 00 00"
              "fc ba 1c 4b 00 00 00 00 00 00 00 00 7f 00 00 01"
              "00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00"
              "00 03 00 08 00 00 00 00 00 00 00 ff 00 00 00 02"
              "de 9d 6f f9 de 93 0e 8d e0 a7 de e8",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 76, &rpy), CMDMON_OK);
    CHECK_INT_EQ(s->poll, 3);
    CHECK_INT_EQ(s->stratum, 8);
    CHECK_INT_EQ(s->reachability, 255);
    CHECK_INT_EQ(s->since_sample, 2);
    CHECK_NEAR(s->latest_meas, 2.1913e-06, 1e-10);
    CHECK_NEAR(s->orig_latest_meas, 2.346e-06, 1e-9);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 76), 76);
    CHECK_BYTES(got, b, 76);

    hex_parse("06 02 00 00 00 0f 00 03 00 00 00 00 00 00 00 00"
              "a6 9e 88 56 00 00 00 00 00 00 00 00 00 00 00 01"
              "00 00 00 00 00 00 00 00 00 00 00 00 00 03 00 00"
              "00 06 00 00 00 01 00 00 00 00 00 00 ff ff ff ff"
              "00 00 00 00 00 00 00 00 00 00 00 00",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 76, &rpy), CMDMON_OK);
    CHECK_INT_EQ(s->ip.family, CMDMON_AF_ID);
    CHECK_INT_EQ(cmdmon_addr_get_id(&s->ip), 1);
    CHECK_INT_EQ(s->since_sample, CMDMON_NO_SAMPLE);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 76), 76);
    CHECK_BYTES(got, b, 76);
}

static void test_ntpdata_example(void)
{
    uint8_t b[200], got[200], req_want[172];
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    const struct cmdmon_ntp_data *n = &rpy.u.ntp_data;

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_NTP_DATA;
    req.sequence = 0x97c1a47b;
    cmdmon_addr_set_v4(&req.u.address.ip, 0x7F000001);
    memset(req_want, 0, sizeof(req_want));
    hex_parse("06 01 00 00 00 39 00 00 97 c1 a4 7b 00 00 00 00"
              "00 00 00 00 7f 00 00 01 00 00 00 00 00 00 00 00"
              "00 00 00 00 00 01 00 00",
              req_want, sizeof(req_want));
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, sizeof(got)), 172);
    CHECK_BYTES(got, req_want, 172);

    hex_parse("06 02 00 00 00 39 00 1a 00 00 00 00 00 00 00 00"
              "97 c1 a4 7b 00 00 00 00 00 00 00 00 7f 00 00 01"
              "00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00"
              "7f 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00"
              "00 01 00 00 2b 73 00 04 04 08 03 e6 00 00 00 00"
              "00 00 00 00 7f 7f 01 01 00 00 00 00 6b 05 96 18"
              "0c a2 ff 73 db 07 6d c4 e2 ab bb 49 d2 95 e9 41"
              "ec fc 5e 1b 02 80 00 00 03 ff 4b 4b 00 00 00 1c"
              "00 00 00 1c 00 00 00 1c 00 00 00 16 00 00 00 1c"
              "00 00 00 1c 00 00 00 00 00 00 00 00 ff ff ff ff"
              "ff ff ff ff ff ff ff ff ff ff ff ff",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 172, &rpy), CMDMON_OK);
    CHECK_INT_EQ(n->remote_port, 11123);
    CHECK_INT_EQ(n->precision, -26);
    CHECK_INT_EQ(n->ref_id, 0x7F7F0101);
    CHECK_INT_EQ(n->ref_time.tv_sec, 1795528216);
    CHECK_INT_EQ(n->ref_time.tv_nsec, 212008819);
    CHECK_INT_EQ(n->flags, 0x3FF);
    CHECK_INT_EQ(n->tx_tss_char, 'K');
    CHECK_INT_EQ(n->total_good_count, 22);
    CHECK_INT_EQ(n->total_hw_rx_ts, 0);
    CHECK(n->jitter_asymmetry == 0.5);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 172), 172);
    CHECK_BYTES(got, b, 172);
    /* The old variant: 152 bytes, good count at 136, 3 reserved words. */
    rpy.reply = CMDMON_RPY_NTP_DATA;
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 152), 152);
    CHECK_INT_EQ(got[139], 22);
    CHECK_INT_EQ(got[140], 0xff);
    CHECK_INT_EQ(got[151], 0xff);
}

static void test_serverstats_example(void)
{
    uint8_t b[200], got[200];
    struct cmdmon_reply rpy;
    const struct cmdmon_server_stats *s = &rpy.u.server_stats;

    memset(b, 0, sizeof(b));
    hex_parse("06 02 00 00 00 36 00 19 00 00 00 00 00 00 00 00"
              "07 51 92 d7 00 00 00 00 00 00 00 00 00 00 00 00"
              "00 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00"
              "00 00 01 1d",
              b, sizeof(b));
    b[0x83] = 0x10;
    b[0x8b] = 0x10;
    memset(b + 164, 0xff, 32);
    CHECK_INT_EQ(cmdmon_decode_reply(b, 196, &rpy), CMDMON_OK);
    CHECK_INT_EQ(s->n_fields, 17);
    CHECK_INT_EQ(s->ntp_hits, 16);
    CHECK_INT_EQ(s->cmd_hits, 285);
    CHECK_INT_EQ(s->ntp_daemon_tx_timestamps, 16);
    CHECK_INT_EQ(s->ntp_kernel_rx_timestamps, 16);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 196), 196);
    CHECK_BYTES(got, b, 196);
    /* 4.3 variant: eleven u32 counters. */
    rpy.reply = CMDMON_RPY_SERVER_STATS3;
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 72), 72);
    CHECK_INT_EQ(got[31], 16);
    CHECK_INT_EQ(got[36 + 2], 1);
    CHECK_INT_EQ(got[36 + 3], 0x1d);
    CHECK_INT_EQ(cmdmon_decode_reply(got, 72, &rpy), CMDMON_OK);
    CHECK_INT_EQ(s->n_fields, 11);
    CHECK_INT_EQ(s->cmd_hits, 285);
}

static void test_clients_example(void)
{
    uint8_t b[520], got[520];
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    const struct cmdmon_client_accesses *c = &rpy.u.client_accesses;

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3;
    req.u.clients.n_clients = 8;
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, sizeof(got)), 520);
    CHECK_INT_EQ(got[27], 8);

    memset(b, 0, sizeof(b));
    hex_parse("06 02 00 00 00 44 00 15 00 00 00 00 00 00 00 00"
              "4c 10 b4 36 00 00 00 00 00 00 00 00 00 00 00 10"
              "00 00 00 10 00 00 00 02 7f 00 00 01 00 00 00 00"
              "00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00"
              "00 00 00 00 00 00 00 7d 00 00 00 00 00 00 00 00"
              "00 00 00 00 7f 7f fc 7f ff ff ff ff ff ff ff ff"
              "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
              "00 00 00 01 00 02 00 00 00 00 00 10 00 00 00 00"
              "00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00"
              "02 7f 7f 7f 00 00 00 89 ff ff ff ff 00 00 00 9d",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 520, &rpy), CMDMON_OK);
    CHECK_INT_EQ(c->n_indices, 16);
    CHECK_INT_EQ(c->n_clients, 2);
    CHECK_INT_EQ(c->clients[0].cmd_hits, 125);
    CHECK_INT_EQ(c->clients[0].cmd_interval, -4);
    CHECK_INT_EQ(c->clients[0].last_ntp_hit_ago, CMDMON_NO_SAMPLE);
    CHECK_INT_EQ(c->clients[1].ip.family, CMDMON_AF_INET6);
    CHECK_INT_EQ(c->clients[1].ntp_interval, 2);
    CHECK_INT_EQ(c->clients[1].last_cmd_hit_ago, 157);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 520), 520);
    CHECK_BYTES(got, b, 520);
}

static void test_activity_and_error(void)
{
    uint8_t b[64], got[64];
    struct cmdmon_reply rpy;
    struct cmdmon_request req;

    memset(b, 0, sizeof(b));
    hex_parse("06 02 00 00 00 2c 00 0c 00 00", b, sizeof(b));
    hex_parse("00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01", b + 28, 20);
    CHECK_INT_EQ(cmdmon_decode_reply(b, 48, &rpy), CMDMON_OK);
    CHECK_INT_EQ(rpy.u.activity.online, 1);
    CHECK_INT_EQ(rpy.u.activity.unresolved, 1);

    hex_parse("06 02 00 00 00 39 00 01 00 02 00 00 00 00 00 00 23 f7 c0 d0 00 00 00 00 00 00 00 00",
              b, sizeof(b));
    CHECK_INT_EQ(cmdmon_decode_reply(b, 28, &rpy), CMDMON_OK);
    CHECK_INT_EQ(rpy.status, CMDMON_STT_UNAUTH);
    memset(&req, 0, sizeof(req));
    req.command = 57;
    req.sequence = 0x23f7c0d0;
    cmdmon_reply_init(&rpy, &req, CMDMON_STT_UNAUTH);
    CHECK_INT_EQ(cmdmon_encode_reply(&rpy, got, sizeof(got), 152), 28);
    CHECK_BYTES(got, b, 28);
    b[2] = 1;
    CHECK_INT_EQ(cmdmon_decode_reply(b, 28, &rpy), CMDMON_DROP_HEADER);
    CHECK_INT_EQ(cmdmon_decode_reply(b, 27, &rpy), CMDMON_DROP_SIZE);
}

static void test_burst_and_local_requests(void)
{
    uint8_t want[80], got[80];
    struct cmdmon_request req;

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_BURST;
    req.sequence = 0x7c741fbe;
    cmdmon_addr_set_v4(&req.u.burst.mask, 0xFFFFFFFF);
    cmdmon_addr_set_v4(&req.u.burst.address, 0x7F000001);
    req.u.burst.n_good_samples = 1;
    req.u.burst.n_total_samples = 2;
    hex_parse("06 01 00 00 00 03 00 00 7c 74 1f be 00 00 00 00"
              "00 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00"
              "00 00 00 00 00 01 00 00 7f 00 00 01 00 00 00 00"
              "00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 01"
              "00 00 00 02",
              want, sizeof(want));
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, sizeof(got)), 68);
    CHECK_BYTES(got, want, 68);

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_LOCAL3;
    req.u.local.on_off = 1;
    req.u.local.stratum = 10;
    req.u.local.distance = 1.5;
    req.u.local.orphan = 1;
    req.u.local.wait_unsynced = 300;
    hex_parse("00000001 0000000a 04c00000 00000001 00000000 00000000 14960000", want, sizeof(want));
    CHECK_INT_EQ(cmdmon_encode_request(&req, got, sizeof(got)), 48);
    CHECK_BYTES(got + 20, want, 28);
}

static void test_decode_request_verdicts(void)
{
    uint8_t b[900];
    struct cmdmon_request req;

    memset(b, 0, sizeof(b));
    b[0] = 6;
    b[1] = 1;
    b[5] = CMDMON_REQ_TRACKING;
    b[8] = 0x12;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_OK);
    CHECK_INT_EQ(req.sequence, 0x12000000);
    CHECK_INT_EQ(cmdmon_decode_request(b, 860, &req, 0), CMDMON_OK);
    CHECK_INT_EQ(cmdmon_decode_request(b, 861, &req, 0), CMDMON_DROP_SIZE);
    CHECK_INT_EQ(cmdmon_decode_request(b, 27, &req, 0), CMDMON_DROP_SIZE);
    CHECK_INT_EQ(cmdmon_decode_request(b, 103, &req, 0), CMDMON_BAD_LENGTH);
    CHECK_INT_EQ(cmdmon_verdict_status(CMDMON_BAD_LENGTH), 19);
    CHECK_INT_EQ(req.command, CMDMON_REQ_TRACKING);
    b[0] = 5;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_BAD_VERSION);
    b[0] = 7;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_BAD_VERSION);
    b[0] = 4;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_DROP_VERSION);
    CHECK_INT_EQ(cmdmon_verdict_status(CMDMON_DROP_VERSION), -1);
    b[0] = 6;
    b[2] = 1;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_DROP_HEADER);
    b[2] = 0;
    b[1] = 2;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_DROP_HEADER);
    b[1] = 1;
    b[5] = 75;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_BAD_COMMAND);
    b[5] = 0;
    CHECK_INT_EQ(cmdmon_decode_request(b, 104, &req, 0), CMDMON_BAD_COMMAND);
    /* Lenient: 4.3 clients' SERVER_STATS and LOCAL2. */
    b[5] = CMDMON_REQ_SERVER_STATS;
    CHECK_INT_EQ(cmdmon_decode_request(b, 72, &req, 0), CMDMON_BAD_LENGTH);
    CHECK_INT_EQ(cmdmon_decode_request(b, 72, &req, 1), CMDMON_OK);
    CHECK_INT_EQ(req.length, 72);
    b[5] = CMDMON_REQ_LOCAL2;
    b[23] = 1;
    b[35] = 1;
    CHECK_INT_EQ(cmdmon_decode_request(b, 36, &req, 0), CMDMON_BAD_COMMAND);
    CHECK_INT_EQ(cmdmon_decode_request(b, 36, &req, 1), CMDMON_OK);
    CHECK_INT_EQ(req.u.local.orphan, 1);
    CHECK(req.u.local.wait_unsynced == 300.0);
}

static void test_request_round_trip(void)
{
    uint8_t b[900], b2[900];
    struct cmdmon_request req, dec;
    size_t n;

    memset(&req, 0, sizeof(req));
    req.version = 6;
    req.command = CMDMON_REQ_ADD_SOURCE;
    req.u.add_source.type = CMDMON_ADD_SERVER;
    memcpy(req.u.add_source.name, "127.0.0.1", 10);
    req.u.add_source.port = 11124;
    req.u.add_source.minpoll = 2;
    req.u.add_source.max_delay = 3.0;
    req.u.add_source.asymmetry = 1.0;
    req.u.add_source.max_unreach = 100000;
    req.u.add_source.flags = CMDMON_SRC_ONLINE | CMDMON_SRC_IBURST | CMDMON_SRC_PREFER;
    n = cmdmon_encode_request(&req, b, sizeof(b));
    CHECK_INT_EQ(n, 372);
    CHECK_INT_EQ(b[283], 0x74);
    CHECK_INT_EQ(b[355], 0x0D);
    CHECK_INT_EQ(cmdmon_decode_request(b, n, &dec, 0), CMDMON_OK);
    CHECK_STR_EQ((const char *)dec.u.add_source.name, "127.0.0.1");
    CHECK_INT_EQ(dec.u.add_source.max_unreach, 100000);
    CHECK_INT_EQ(cmdmon_encode_request(&dec, b2, sizeof(b2)), 372);
    CHECK_BYTES(b2, b, 372);
    req.version = 5; /* no padding in version 5 */
    req.command = CMDMON_REQ_TRACKING;
    CHECK_INT_EQ(cmdmon_encode_request(&req, b, sizeof(b)), 20);
}

int main(void)
{
    RUN(test_float_encode_table);
    RUN(test_float_edge_cases);
    RUN(test_float_round_trip);
    RUN(test_ts_and_addr);
    RUN(test_refid_md5);
    RUN(test_length_table);
    RUN(test_status_messages);
    RUN(test_tracking_example);
    RUN(test_sources_example);
    RUN(test_ntpdata_example);
    RUN(test_serverstats_example);
    RUN(test_clients_example);
    RUN(test_activity_and_error);
    RUN(test_burst_and_local_requests);
    RUN(test_decode_request_verdicts);
    RUN(test_request_round_trip);
    return check_summary();
}
