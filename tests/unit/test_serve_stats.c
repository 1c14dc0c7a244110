/* Unit tests for src/core/serve_stats.c: the serving counters a `serverworkers` worker
 * reports to the main process (encoding, and how the reports add up). */
#include "check.h"

#include "core/serve_stats.h"

#include <string.h>

/* Every figure a different value, some above 32 bits. */
static void fill(struct serve_stats *s, uint64_t k)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < CLOG_N_SERVICES; i++) {
        s->cl.hits[i] = k + 1 + i;
        s->cl.drops[i] = k + 11 + i;
    }
    s->cl.log_drops = k + 21;
    s->cl.ntp_auth_hits = k + 22;
    s->cl.ntp_interleaved_hits = k + 23;
    s->cl.ntp_timestamps = k + 24;
    s->cl.ntp_span_seconds = k + 25;
    for (int i = 0; i < 3; i++) {
        s->cl.ntp_rx_ts[i] = k + 31 + i;
        s->cl.ntp_tx_ts[i] = k + 41 + i;
    }
    s->unauth_dropped = k + 51;
}

static void test_round_trip(void)
{
    struct serve_stats a, b;
    uint8_t msg[SERVE_STATS_MSG_LEN];

    fill(&a, 0x123456789aULL);
    serve_stats_encode(&a, msg);
    CHECK(memcmp(msg, "WST\x01", 4) == 0);
    /* big-endian: the first figure (NTP hits) right after the header */
    CHECK_INT_EQ(msg[4], 0);
    CHECK_INT_EQ(msg[7], 0x12);
    CHECK_INT_EQ(msg[11], 0x9b);
    memset(&b, 0xff, sizeof(b));
    CHECK_INT_EQ(serve_stats_decode(msg, sizeof(msg), &b), 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    /* every figure travels: change each byte of the body, the decoded struct differs */
    for (size_t i = 4; i < sizeof(msg); i += 8) {
        msg[i + 7] ^= 1;
        CHECK_INT_EQ(serve_stats_decode(msg, sizeof(msg), &b), 0);
        CHECK(memcmp(&a, &b, sizeof(a)) != 0);
        msg[i + 7] ^= 1;
    }
}

static void test_bad_messages(void)
{
    struct serve_stats a, b, keep;
    uint8_t msg[SERVE_STATS_MSG_LEN + 1];

    fill(&a, 5);
    serve_stats_encode(&a, msg);
    fill(&b, 99);
    keep = b;
    CHECK_INT_EQ(serve_stats_decode(msg, SERVE_STATS_MSG_LEN - 1, &b), -1);
    CHECK_INT_EQ(serve_stats_decode(msg, SERVE_STATS_MSG_LEN + 1, &b), -1);
    msg[3] = 2; /* another version */
    CHECK_INT_EQ(serve_stats_decode(msg, SERVE_STATS_MSG_LEN, &b), -1);
    msg[3] = 1;
    msg[0] = 'X';
    CHECK_INT_EQ(serve_stats_decode(msg, SERVE_STATS_MSG_LEN, &b), -1);
    CHECK(memcmp(&b, &keep, sizeof(b)) == 0);
}

static void test_since(void)
{
    struct serve_stats base, cur, d;

    fill(&base, 100);
    fill(&cur, 1000);
    serve_stats_since(&d, &cur, &base);
    CHECK(d.cl.hits[CLOG_NTP] == 900 && d.cl.drops[CLOG_CMD] == 900);
    CHECK(d.unauth_dropped == 900 && d.cl.ntp_tx_ts[2] == 900 && d.cl.log_drops == 900);
    /* the gauges are the current ones */
    CHECK(d.cl.ntp_timestamps == 1024 && d.cl.ntp_span_seconds == 1025);
    /* a counter below its base gives 0; out may be cur */
    cur.cl.hits[CLOG_NTP] = 50;
    serve_stats_since(&cur, &cur, &base);
    CHECK(cur.cl.hits[CLOG_NTP] == 0 && cur.cl.hits[CLOG_NTSKE] == 900);
}

static void test_update_add_end(void)
{
    struct serve_stats held, rep, sum, other;

    fill(&held, 1000);
    fill(&rep, 2000);
    rep.cl.hits[CLOG_NTP] = 10; /* behind the held count: ignored */
    rep.cl.ntp_timestamps = 3;  /* gauges follow the report */
    rep.cl.ntp_span_seconds = 4;
    serve_stats_update(&held, &rep);
    CHECK(held.cl.hits[CLOG_NTP] == 1001 && held.cl.hits[CLOG_NTSKE] == 2002);
    CHECK(held.unauth_dropped == 2051);
    CHECK(held.cl.ntp_timestamps == 3 && held.cl.ntp_span_seconds == 4);

    memset(&sum, 0, sizeof(sum));
    fill(&other, 7);
    other.cl.ntp_span_seconds = 100;
    serve_stats_add(&sum, &held);
    serve_stats_add(&sum, &other);
    CHECK(sum.cl.hits[CLOG_NTP] == 1001 + 8);
    CHECK(sum.cl.ntp_rx_ts[1] == 2032 + 39);
    CHECK(sum.unauth_dropped == 2051 + 58);
    CHECK(sum.cl.ntp_timestamps == 3 + 31);
    CHECK(sum.cl.ntp_span_seconds == 100); /* the larger span */

    /* a process that ended keeps its counters, holds no timestamps */
    serve_stats_end(&held);
    CHECK(held.cl.hits[CLOG_NTP] == 1001 && held.cl.ntp_timestamps == 0 &&
          held.cl.ntp_span_seconds == 0);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_bad_messages);
    RUN(test_since);
    RUN(test_update_add_end);
    return check_summary();
}
