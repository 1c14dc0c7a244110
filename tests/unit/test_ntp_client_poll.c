/* Unit tests for src/core/ntp_client: reachability, polling interval and its bounds,
 * bursts (iburst, burst), presend, online/offline and send errors. */
#include "ntp_client_world.h"

/* A randomised interval: every interval is lengthened by up to 2 % (chrony). */
static int interval_ok(double d, double nominal, int unused)
{
    (void)unused;
    return d >= nominal - 1e-9 && d <= nominal * 1.021;
}

static void test_reach_register(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    CHECK(!ntp_client_is_reachable(&w.c));
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD); /* 1 */
    CHECK(fire(&w));                                   /* no answer */
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 1);       /* counted at the next request */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD); /* 0 then 1 */
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 5);
    CHECK_INT_EQ(ntp_client_get_reach_size(&w.c), 3);
    for (int i = 0; i < 10; i++)
        CHECK(fire(&w));
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 0);
    CHECK_INT_EQ(ntp_client_get_reach_size(&w.c), 8);
    CHECK(!ntp_client_is_reachable(&w.c));
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 1);
    struct ntp_client_report r;
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.total_tx, 14);
    CHECK_INT_EQ(r.total_valid_rx, 3);
}

static void test_unreachable_backoff(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct timespec when;
    ntp_client_opts_default(&o);
    started(&w, &o);
    CHECK(fire(&w));
    /* Each missed response lengthens the interval by a quarter step. */
    for (int i = 0; i < 4; i++)
        CHECK(fire(&w));
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 7);
    CHECK(ntp_client_next_tx(&w.c, &when));
    double d = ts_diff(&when, &w.tx);
    CHECK(d >= 128.0 && d <= 128.0 * 1.021);
    for (int i = 0; i < 40; i++)
        CHECK(fire(&w));
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 10);
    /* Slower for the source we are synchronised to. */
    started(&w, &o);
    ntp_client_set_sync_peer(&w.c, 1);
    for (int i = 0; i < 12; i++)
        CHECK(fire(&w));
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 7);
}

static void test_poll_bounds(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct timespec now = at(0);
    ntp_client_opts_default(&o);
    o.minpoll = 4;
    o.maxpoll = 8;
    started(&w, &o);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 4);
    ntp_client_adjust_poll(&w.c, 10.0, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 8);
    CHECK_NEAR(ntp_client_get_poll_score(&w.c), 1.0, 0);
    ntp_client_adjust_poll(&w.c, -10.0, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 4);
    CHECK_NEAR(ntp_client_get_poll_score(&w.c), 0.0, 0);
    ntp_client_adjust_poll(&w.c, 0.5, &now);
    ntp_client_adjust_poll(&w.c, 0.6, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 5);
    CHECK_NEAR(ntp_client_get_poll_score(&w.c), 0.1, 1e-9);
    ntp_client_adjust_poll(&w.c, -0.2, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 4);
    CHECK_NEAR(ntp_client_get_poll_score(&w.c), 0.9, 1e-9);
    ntp_client_reset_poll(&w.c, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 4);

    /* Invalid values fall back to the defaults, maxpoll >= minpoll. */
    o.minpoll = -20;
    o.maxpoll = 30;
    ntp_client_init(&w.c, &o, &params);
    CHECK_INT_EQ(w.c.opts.minpoll, 6);
    CHECK_INT_EQ(w.c.opts.maxpoll, 24);
    o.minpoll = 12;
    o.maxpoll = 8;
    ntp_client_init(&w.c, &o, &params);
    CHECK_INT_EQ(w.c.opts.maxpoll, 12);
    /* Sub-second polling only for reachable sources on a LAN. */
    o.minpoll = -4;
    o.maxpoll = 2;
    started(&w, &o);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 0);
    ntp_client_adjust_poll(&w.c, -3.0, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 0);
    struct ntp_client_result res;
    w.srv.d_out = w.srv.d_back = 0.0001;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    ntp_client_adjust_poll(&w.c, -3.0, &now);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), -3);
}

static void test_poll_adj(void)
{
    struct world w;
    struct ntp_sample s;
    started_default(&w);
    memset(&s, 0, sizeof(s));
    s.peer_delay = 0.02;
    s.peer_dispersion = 0.0;
    /* Prediction error within the distance: steer towards polltarget (8). */
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.001, 8), 0.0, 1e-12);
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.001, 16), 1.0 / 8, 1e-12);
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.001, 4), -0.5 / 8 * 2, 1e-12);
    /* Error four times the distance: two steps back. */
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.04, 8), -2.0, 1e-12);
    /* `polltarget 16`: 16 samples are the target, 8 shorten the interval. */
    struct ntp_client_opts o;
    ntp_client_opts_default(&o);
    o.polltarget = 16;
    started(&w, &o);
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.001, 16), 0.0, 1e-12);
    CHECK_NEAR(ntp_client_poll_adj(&w.c, &s, 0.001, 8), -0.5 / 16 * 2, 1e-12);
}

static void test_poll_adjust_reschedules(void)
{
    struct world w;
    struct ntp_client_result res;
    struct timespec when;
    started_default(&w);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    ntp_client_adjust_poll(&w.c, 1.0, &w.rx);
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 7);
    CHECK(ntp_client_next_tx(&w.c, &when));
    double d = ts_diff(&when, &w.tx);
    CHECK(interval_ok(d, 128.0, 1));
}

static void test_first_request_delay(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct timespec when, t0 = at(0);
    ntp_client_opts_default(&o);
    world_init(&w, &o);
    /* Not started: no timer. */
    CHECK(!ntp_client_next_tx(&w.c, &when));
    ntp_client_start(&w.c, &t0);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK_NEAR(ts_diff(&when, &t0), 0.2, 1e-9);
    CHECK(fire(&w));
    CHECK(ntp_client_next_tx(&w.c, &when));
    double d = ts_diff(&when, &w.tx);
    CHECK(interval_ok(d, 64.0, 1));
}

static void test_iburst(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when, prev;
    ntp_client_opts_default(&o);
    o.iburst = 1;
    started(&w, &o);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK_NEAR(ts_diff(&when, &base), 0.2, 1e-9);
    for (int i = 0; i < 4; i++) {
        prev = when;
        CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
        CHECK(ntp_client_next_tx(&w.c, &when));
        double d = ts_diff(&when, &prev);
        if (i < 3)
            CHECK(interval_ok(d, 2.0, i < 2));
        else
            CHECK(d >= 64.0 && d <= 64.0 * 1.021);
    }
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 0xf);
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_ONLINE);
}

static void test_iburst_unanswered(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct timespec when;
    ntp_client_opts_default(&o);
    o.iburst = 1;
    started(&w, &o);
    /* Eight requests 2 s apart, then the normal interval. */
    for (int i = 0; i < 8; i++) {
        CHECK(fire(&w));
        CHECK(ntp_client_next_tx(&w.c, &when));
        double d = ts_diff(&when, &w.tx);
        if (i < 7)
            CHECK(interval_ok(d, 2.0, i < 2));
        else
            CHECK(d > 60.0);
    }
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_ONLINE);
}

static void test_burst_option(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when;
    ntp_client_opts_default(&o);
    o.burst = 1;
    o.minpoll = 4;
    started(&w, &o);
    ntp_client_adjust_poll(&w.c, 2.0, &base); /* poll 6 > minpoll 4 */
    CHECK(fire(&w));
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_BURST_WAS_ONLINE);
    CHECK_INT_EQ(w.c.burst_total_to_go, 3); /* min(2^(6-4), 4) - 1 sent */
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(ts_diff(&when, &w.tx) <= 2.05);
    serve(&w);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    /* One good sample ends the burst. */
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_ONLINE);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(interval_ok(ts_diff(&when, &w.tx), 64.0, 1));
    /* At minpoll there is no burst. */
    started(&w, &o);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_ONLINE);
}

static void test_presend(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when;
    ntp_client_opts_default(&o);
    o.presend_minpoll = 6;
    started(&w, &o);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_WARMUP);
    CHECK(res.valid && !res.good);
    CHECK(ntp_client_next_tx(&w.c, &when));
    double d = ts_diff(&when, &w.tx);
    CHECK(interval_ok(d, 2.0, 1));
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(interval_ok(ts_diff(&when, &w.tx), 64.0, 1));
    /* Every poll starts with a warm-up request. */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_WARMUP);
}

static void test_offline_online(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when, t = at(100);
    ntp_client_opts_default(&o);
    o.offline = 1;
    o.iburst = 1;
    started(&w, &o);
    CHECK(!ntp_client_is_online(&w.c));
    CHECK(!ntp_client_next_tx(&w.c, &when));
    ntp_client_set_online(&w.c, 1, &t);
    CHECK(ntp_client_is_online(&w.c));
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK_NEAR(ts_diff(&when, &t), 0.2, 1e-9);
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_BURST_WAS_ONLINE);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    /* Offline: reachability cleared, no timer, responses ignored. */
    ntp_client_set_online(&w.c, 0, &w.rx);
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_BURST_WAS_OFFLINE);
    CHECK(!ntp_client_is_online(&w.c));
    w.c.opmode = NTP_CLIENT_ONLINE;
    ntp_client_set_online(&w.c, 0, &w.rx);
    CHECK(!ntp_client_next_tx(&w.c, &when));
    CHECK_INT_EQ(ntp_client_get_reach_size(&w.c), 0);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_OFFLINE);
    /* Back online shortly after: the previous interval is respected. */
    ntp_client_set_online(&w.c, 1, &w.rx);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(ts_diff(&when, &w.tx) >= 2.0 * 0.98 - 1e-9);
}

static void test_burst_from_offline(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when, t = at(10);
    ntp_client_opts_default(&o);
    o.offline = 1;
    started(&w, &o);
    /* chronyc burst 2/4 on an offline source, then back offline. */
    ntp_client_initiate_burst(&w.c, 2, 4, &t);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_INT_EQ(w.c.opmode, NTP_CLIENT_OFFLINE);
    CHECK(!ntp_client_next_tx(&w.c, &when));
}

static void test_send_error_auto_offline(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct timespec when;
    ntp_client_opts_default(&o);
    started(&w, &o);
    CHECK(fire(&w));
    ntp_client_on_send_error(&w.c, &w.tx);
    struct ntp_client_report r;
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.total_tx, 0);
    CHECK(ntp_client_is_online(&w.c));
    /* Failed sends do not back off. */
    for (int i = 0; i < 8; i++) {
        CHECK(fire(&w));
        ntp_client_on_send_error(&w.c, &w.tx);
    }
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 6);
    o.auto_offline = 1;
    started(&w, &o);
    CHECK(fire(&w));
    ntp_client_on_send_error(&w.c, &w.tx);
    CHECK(!ntp_client_is_online(&w.c));
    CHECK(!ntp_client_next_tx(&w.c, &when));
}

static void test_startup_intervals_lengthened(void)
{
    struct world w;
    struct ntp_client_result res;
    struct timespec when;
    double d[4];
    started_default(&w);
    for (int i = 0; i < 4; i++) {
        CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
        CHECK(ntp_client_next_tx(&w.c, &when));
        d[i] = ts_diff(&when, &w.tx);
    }
    /* Like every later one, the first intervals are lengthened, never shortened (issue 10
     * defect 10: chrony's start-up polling). */
    CHECK(interval_ok(d[0], 64.0, 1) && d[0] > 64.0);
    CHECK(interval_ok(d[1], 64.0, 1) && d[1] > 64.0);
    CHECK(interval_ok(d[2], 64.0, 0) && d[2] > 64.0);
    CHECK(interval_ok(d[3], 64.0, 0) && d[3] > 64.0);
}

int main(void)
{
    RUN(test_reach_register);
    RUN(test_unreachable_backoff);
    RUN(test_poll_bounds);
    RUN(test_poll_adj);
    RUN(test_poll_adjust_reschedules);
    RUN(test_first_request_delay);
    RUN(test_startup_intervals_lengthened);
    RUN(test_iburst);
    RUN(test_iburst_unanswered);
    RUN(test_burst_option);
    RUN(test_presend);
    RUN(test_offline_online);
    RUN(test_burst_from_offline);
    RUN(test_send_error_auto_offline);
    return check_summary();
}
