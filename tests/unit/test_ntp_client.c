/* Unit tests for src/core/ntp_client: requests, the RFC 5905 tests against a fake server,
 * KoD, the delay tests, filter, tx timestamps and the ntpdata report (polling and
 * reachability: test_ntp_client_poll.c). */
#include "ntp_client_world.h"

#include "lib/bytes.h"

#include <math.h>

static void test_opts_default(void)
{
    struct ntp_client_opts o;
    ntp_client_opts_default(&o);
    CHECK_INT_EQ(o.minpoll, 6);
    CHECK_INT_EQ(o.maxpoll, 10);
    CHECK_INT_EQ(o.polltarget, 8);
    CHECK_INT_EQ(o.port, 123);
    CHECK_INT_EQ(o.version, 0);
    CHECK_INT_EQ(o.presend_minpoll, 100);
    CHECK_INT_EQ(o.min_samples, -1);
    CHECK_INT_EQ(o.max_samples, -1);
    CHECK_INT_EQ(o.max_unreach, 100000);
    CHECK_INT_EQ(o.filter_length, 0);
    CHECK_NEAR(o.max_delay, 3.0, 0);
    CHECK_NEAR(o.max_delay_ratio, 0.0, 0);
    CHECK_NEAR(o.max_delay_dev_ratio, 10.0, 0);
    CHECK_NEAR(o.asymmetry, 1.0, 0);
    CHECK(!o.iburst && !o.burst && !o.offline && !o.auto_offline);
}

static void test_request_format(void)
{
    struct world w;
    struct ntp_packet p;
    struct ntp_packet_info info;
    started_default(&w);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, NTP_CLIENT_REQUEST_LEN);
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, &info), NTP_OK);
    CHECK_INT_EQ(p.mode, NTP_MODE_CLIENT);
    CHECK_INT_EQ(p.version, 4);
    CHECK_INT_EQ(p.leap, 0);
    CHECK_INT_EQ(p.stratum, 0);
    CHECK_INT_EQ(p.poll, 6);
    CHECK_INT_EQ(p.precision, 32);
    CHECK_INT_EQ(p.root_delay, 0);
    CHECK_INT_EQ(p.root_dispersion, 0);
    CHECK_INT_EQ(p.ref_id, 0);
    CHECK(ntp_ts64_is_zero(&p.ref_ts));
    CHECK(ntp_ts64_is_zero(&p.origin_ts));
    CHECK(ntp_ts64_is_zero(&p.rx_ts));
    CHECK(!ntp_ts64_is_zero(&p.tx_ts));
    /* The transmit timestamp is a random cookie, not the local time. */
    struct ntp_ts64 real;
    ntp_ts64_from_timespec(&real, &w.tx);
    CHECK(fabs(ntp_ts64_diff(&p.tx_ts, &real)) > 1.0);
    struct ntp_ts64 first = p.tx_ts;
    CHECK(fire(&w));
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, NULL), NTP_OK);
    CHECK(!ntp_ts64_equal(&first, &p.tx_ts));
}

static void test_small_buffer(void)
{
    struct world w;
    struct timespec when, t = at(0.2);
    uint8_t small[40];
    started_default(&w);
    CHECK_INT_EQ(ntp_client_on_timer(&w.c, &t, &w.rng, small, sizeof(small), NULL), 0);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(fire(&w));
}

static void test_version_option(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_packet p;
    ntp_client_opts_default(&o);
    o.version = 3;
    started(&w, &o);
    CHECK(fire(&w));
    ntp_decode(w.req, w.req_len, &p, NULL);
    CHECK_INT_EQ(p.version, 3);
    o.version = 9;
    started(&w, &o);
    CHECK(fire(&w));
    ntp_decode(w.req, w.req_len, &p, NULL);
    CHECK_INT_EQ(p.version, 4);
}

static void test_good_sample(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    w.srv.off = 0.5; /* local clock 0.5 s fast */
    w.srv.d_out = 0.012;
    w.srv.d_back = 0.008;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK(res.valid && res.synced && res.good && res.has_sample);
    /* Offset: local fast positive, minus half the path asymmetry. */
    CHECK_NEAR(res.sample.offset, 0.5 - (0.012 - 0.008) / 2, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.020, 1e-6);
    CHECK(res.sample.peer_dispersion >= 1e-7 + ldexp(1.0, -20) - 1e-12);
    CHECK_NEAR(res.sample.root_delay, res.sample.peer_delay, 1e-4);
    CHECK_NEAR(res.sample.root_dispersion, 0.0001 + res.sample.peer_dispersion, 1e-4);
    CHECK_INT_EQ(res.stratum, 1);
    CHECK_INT_EQ(res.leap, 0);
    CHECK_INT_EQ(res.tests, 0x3ff);
    /* Sample time: midway between the local transmit and receive times. */
    CHECK_NEAR(ts_diff(&res.sample.time, &w.tx), ts_diff(&w.rx, &w.tx) / 2, 1e-8);
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 1);

    struct ntp_client_report r;
    char buf[16];
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.mode, NTP_MODE_SERVER);
    CHECK_INT_EQ(r.stratum, 1);
    CHECK_INT_EQ(r.precision, -20);
    CHECK_INT_EQ(r.ref_id, 0x47505300);
    CHECK_NEAR(r.offset, -res.sample.offset, 1e-12);
    CHECK_NEAR(r.response_time, 0.0001, 1e-6);
    CHECK_STR_EQ(ntp_client_format_tests(r.tests, buf, sizeof(buf)), "111 111 1111");
    CHECK_INT_EQ(r.total_tx, 1);
    CHECK_INT_EQ(r.total_rx, 1);
    CHECK_INT_EQ(r.total_valid_rx, 1);
    CHECK_INT_EQ(r.total_good_rx, 1);
    CHECK(r.tx_tss_char == 'D' && r.rx_tss_char == 'D');
    CHECK(!r.interleaved && !r.authenticated);
}

static void test_offset_option(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    ntp_client_opts_default(&o);
    o.offset = 0.001; /* added to server-minus-local */
    started(&w, &o);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, -0.001, 1e-6);
}

static void test_duplicate(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_DUPLICATE);
    CHECK(!res.valid && !res.has_sample);
    CHECK_INT_EQ(res.tests >> 9, 0);
    /* A replay after the next request is still a duplicate. */
    CHECK(fire(&w));
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_DUPLICATE);
}

static void test_bogus(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    CHECK(fire(&w));
    serve(&w);
    w.resp[24] ^= 0x01; /* origin timestamp */
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_BOGUS);
    CHECK(!res.valid);
    CHECK_INT_EQ(ntp_client_get_reach_size(&w.c), 0);
    /* The genuine response is still accepted afterwards. */
    serve(&w);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    /* A response to an older request fails the cookie check. */
    uint8_t old[NTP_MAX_PACKET_LEN];
    memcpy(old, w.resp, w.resp_len);
    CHECK(fire(&w));
    memcpy(w.resp, old, w.resp_len);
    w.resp[47] ^= 0x10; /* not a duplicate, but an old origin */
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_BOGUS);
}

static void test_zero_timestamp(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    w.srv.zero_rx = 1;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_DROP_ZERO_TS);
    CHECK(!res.valid);
}

/* One exchange with the local clock reading local_start while the server's true time is
 * true_start: the sample's offset is the whole difference, whatever era either is in. */
static void check_far_clock(double local_start, double true_start)
{
    struct world w;
    struct ntp_client_result res;
    struct ntp_client_opts o;
    struct timespec t0;

    ntp_client_opts_default(&o);
    world_init(&w, &o);
    ts_from_double(&t0, local_start);
    ntp_client_start(&w.c, &t0);
    w.srv.off = local_start - true_start;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample);
    CHECK_NEAR(res.sample.offset, local_start - true_start, 1e-3);
}

/* Received timestamps map into chrony's fixed era window (1976-01-14 .. 2112-02-20), not
 * the era nearest the local clock: a clock starting at 1970 resolves a server past the
 * 2036 era boundary, a clock in 2150 a server in 2026. */
static void test_era_far_clock(void)
{
    check_far_clock(1000000.0, 2208988800.0);                  /* 1970-01-12, server in 2040 */
    check_far_clock(5680281600.0, 1767225600.0);               /* 2150, server in 2026 */
    check_far_clock(1767225600.0, 2085978496.0 + 3600);        /* 2026, server just in era 1 */
    check_far_clock(2085978496.0 - 3600, 2085978496.0 + 3600); /* across the boundary */
}

static void test_repeat_response(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    /* A second, different answer to the same request. */
    w.srv.proc = 0.0002;
    serve(&w);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_REPEAT);
    CHECK(!res.valid && !res.has_sample);
    struct ntp_client_report r;
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.total_rx, 2);
    CHECK_INT_EQ(r.total_valid_rx, 1);
}

/* hwtstimeout: which responses may wait for the hardware transmit timestamp of their
 * request (chrony's save_response): a valid one from a synchronised server, the first to
 * the request, once a good one was taken; asking changes nothing. */
static void test_response_waits(void)
{
    struct world w;
    struct ntp_client_result res;
    struct ntp_client_report r0, r1;

    started_default(&w);
    CHECK(fire(&w));
    serve(&w);
    CHECK(!ntp_client_response_waits(&w.c, w.resp, w.resp_len)); /* no good one yet */
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK(fire(&w));
    serve(&w);
    ntp_client_get_report(&w.c, &r0);
    CHECK(ntp_client_response_waits(&w.c, w.resp, w.resp_len));
    CHECK(ntp_client_response_waits(&w.c, w.resp, w.resp_len));
    ntp_client_get_report(&w.c, &r1);
    CHECK_INT_EQ(r0.total_rx, r1.total_rx);
    CHECK_INT_EQ(r0.total_valid_rx, r1.total_valid_rx);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    /* Answered already: a second response is not held. */
    w.srv.proc = 0.0002;
    serve(&w);
    CHECK(!ntp_client_response_waits(&w.c, w.resp, w.resp_len));
    /* Not a reply to the last request (test 2), an unsynchronised server (test 6), a
     * short datagram. */
    CHECK(fire(&w));
    serve(&w);
    w.resp[24] ^= 1;
    CHECK(!ntp_client_response_waits(&w.c, w.resp, w.resp_len));
    w.srv.leap = NTP_LEAP_UNSYNC;
    serve(&w);
    CHECK(!ntp_client_response_waits(&w.c, w.resp, w.resp_len));
    w.srv.leap = 0;
    serve(&w);
    CHECK(!ntp_client_response_waits(&w.c, w.resp, 40));
    CHECK(ntp_client_response_waits(&w.c, w.resp, w.resp_len));
}

static void test_unsynchronised(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    w.srv.leap = NTP_LEAP_UNSYNC;
    w.srv.stratum = 2;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_UNSYNC);
    CHECK(res.valid && !res.synced && !res.has_sample);
    /* The poll counts as answered but unusable. */
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 0);
    CHECK_INT_EQ(ntp_client_get_reach_size(&w.c), 1);
    w.srv.leap = 0;
    w.srv.stratum = 16;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_UNSYNC);
    char buf[16];
    CHECK_STR_EQ(ntp_client_format_tests(res.tests, buf, sizeof(buf)), "111 101 0000");
}

static void test_bad_distance(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    w.srv.root_disp = 16.5;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_BAD_DISTANCE);
    CHECK(res.valid && !res.synced);
}

/* `extfield F323`: requests carry chrony's field (NTPv4, 76 bytes), and the root delay and
 * dispersion of a response carrying it come from the field (4.28 fixed point) instead of
 * the header's 16.16 values; without the option the field is ignored. */
static void mono_root_exchange(int enabled, size_t *req_len, double *root_delay)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_client_report r;
    struct ntp_ef_mono_root ef;

    ntp_client_opts_default(&o);
    o.ext_mono_root = enabled;
    started(&w, &o);
    w.srv.root_delay = 0.5;
    CHECK(fire(&w));
    *req_len = w.req_len;
    serve(&w);
    memset(&ef, 0, sizeof(ef));
    ef.root_delay = ntp_f28_from_double(0.000123);
    ef.root_dispersion = ntp_f28_from_double(0.000045);
    w.resp_len = ntp_ef_mono_root_append(w.resp, w.resp_len, sizeof(w.resp), &ef);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    ntp_client_get_report(&w.c, &r);
    *root_delay = r.root_delay;
    CHECK(r.root_dispersion < (enabled ? 0.00005 : 0.0002) && r.root_dispersion > 0.00004);
}

/* The fake server's timestamps moved by shift (its own time corrections), and chrony's
 * F323 field with the monotonic receive time rx + mono_offset in epoch (mono_offset < 0:
 * a field without a monotonic timestamp). */
static void serve_mono(struct world *w, double shift, double mono_offset, uint32_t epoch)
{
    struct ntp_packet r;
    struct ntp_ef_mono_root ef;
    struct timespec t;

    serve(w);
    CHECK_INT_EQ(ntp_decode(w->resp, w->resp_len, &r, NULL), NTP_OK);
    ntp_ts64_to_timespec(&t, &r.rx_ts);
    ts_add(&t, &t, shift);
    ntp_ts64_from_timespec(&r.rx_ts, &t);
    memset(&ef, 0, sizeof(ef));
    if (mono_offset >= 0.0) {
        struct timespec m;
        ts_add(&m, &t, mono_offset);
        ntp_ts64_from_timespec(&ef.mono_rx, &m);
        ef.mono_epoch = epoch;
    }
    ntp_ts64_to_timespec(&t, &r.tx_ts);
    ts_add(&t, &t, shift);
    ntp_ts64_from_timespec(&r.tx_ts, &t);
    w->resp_len = ntp_encode(&r, w->resp, sizeof(w->resp));
    w->resp_len = ntp_ef_mono_root_append(w->resp, w->resp_len, sizeof(w->resp), &ef);
}

/* F323's monotonic timestamps: the change of the server's monotonic-minus-real offset
 * between two responses of one epoch is its own time correction, handed out with the next
 * sample for the kept samples to follow (chrony's mono_doffset); a new epoch, a missing
 * timestamp or more than 16 s give none. */
static void test_ext_mono_doffset(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;

    ntp_client_opts_default(&o);
    o.ext_mono_root = 1;
    started(&w, &o);
    CHECK(fire(&w));
    serve_mono(&w, 0.0, 50.0, 7);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample && res.mono_doffset == 0.0);
    /* the server slewed its clock back by 3 ms: the monotonic time did not move */
    CHECK(fire(&w));
    serve_mono(&w, -0.003, 50.003, 7);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample);
    CHECK_NEAR(res.mono_doffset, 0.003, 1e-8);
    /* taken with the sample: the next response of an unchanged server gives nothing */
    CHECK(fire(&w));
    serve_mono(&w, -0.003, 50.003, 7);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.mono_doffset, 0.0, 1e-8);
    /* a step of the server: new epoch, no correction */
    CHECK(fire(&w));
    serve_mono(&w, -0.5, 0.0, 8);
    CHECK(deliver(&w, NULL, &res) == NTP_CLIENT_GOOD || !res.has_sample);
    CHECK(res.mono_doffset == 0.0);
    /* more than 16 s: none */
    CHECK(fire(&w));
    serve_mono(&w, -0.5, 20.0, 8);
    deliver(&w, NULL, &res);
    CHECK(res.mono_doffset == 0.0);
    /* without the option the field is not used */
    ntp_client_opts_default(&o);
    started(&w, &o);
    CHECK(fire(&w));
    serve_mono(&w, 0.0, 50.0, 7);
    deliver(&w, NULL, &res);
    CHECK(fire(&w));
    serve_mono(&w, -0.003, 50.003, 7);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK(res.mono_doffset == 0.0);
}

static void test_ext_mono_root(void)
{
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct world w;
    struct ntp_client_opts o;
    size_t len;
    double delay;

    mono_root_exchange(1, &len, &delay);
    CHECK_INT_EQ(len, 76);
    CHECK(fabs(delay - 0.000123) < 1e-8);
    mono_root_exchange(0, &len, &delay);
    CHECK_INT_EQ(len, 48);
    CHECK(fabs(delay - 0.5) < 1e-4);
    /* the request's field: the magic, everything else zero */
    ntp_client_opts_default(&o);
    o.ext_mono_root = 1;
    started(&w, &o);
    CHECK(fire(&w));
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, &info), NTP_OK);
    CHECK_INT_EQ(p.version, 4);
    CHECK_INT_EQ(info.n_efs, 1);
    CHECK_INT_EQ(info.efs[0].type, 0xF323);
    CHECK_INT_EQ(get_be32(w.req + 52), NTP_EF_MONO_ROOT_MAGIC);
    for (int i = 56; i < 76; i++)
        CHECK_INT_EQ(w.req[i], 0);
}

/* `extfield F324`: requests carry chrony's field with a zero correction only with `ptpport`
 * (net_corr_on); a response's correction of our request (tx) and ours of the response
 * (rx, both including the response frame's duration) move the offset by half their
 * difference and cut the delay by their sum less 100 ppm, when both directions have one
 * and the cut is sane. */
static enum ntp_client_verdict net_corr_exchange(struct world *w, int enabled, double tx_corr,
                                                 double rx_corr, double rx_dur, int field,
                                                 struct ntp_client_result *res)
{
    struct ntp_client_opts o;
    struct ntp_client_rx_ctx ctx;

    ntp_client_opts_default(&o);
    o.ext_net_correction = enabled;
    o.net_corr_on = 1;
    started(w, &o);
    w->srv.off = 0.5;
    w->srv.d_out = 0.012;
    w->srv.d_back = 0.008;
    CHECK(fire(w));
    serve(w);
    if (field)
        w->resp_len = ntp_ef_net_correction_append(w->resp, w->resp_len, sizeof(w->resp), tx_corr);
    memset(&ctx, 0, sizeof(ctx));
    ctx.rx_duration = rx_dur;
    ctx.rx_net_correction = rx_corr;
    return deliver(w, &ctx, res);
}

static void test_ext_net_correction(void)
{
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_client_report r;
    const double dur = 0.7e-6, plain = 0.5 - (0.012 - 0.008) / 2;
    double corr;

    /* the request: the field only with ptpport */
    ntp_client_opts_default(&o);
    o.ext_net_correction = 1;
    started(&w, &o);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, 48);
    o.net_corr_on = 1;
    started(&w, &o);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, 76);
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, &info), NTP_OK);
    CHECK_INT_EQ(p.version, 4);
    CHECK_INT_EQ(info.efs[0].type, 0xF324);
    CHECK_INT_EQ(ntp_ef_net_correction_find(w.req, &info, &corr), NTP_OK);
    CHECK(corr == 0.0);

    /* transparent clocks held the request 10 ms and the response 6 ms: the offset error
     * of the asymmetric path is gone, the delay is what is left (4 ms) plus 100 ppm */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, dur + 0.010, dur + 0.006, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample);
    CHECK_NEAR(res.sample.offset, 0.5, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.020 - 0.016 * (1.0 - 100e-6), 1e-6);
    /* the root delay (the maximum error) is not corrected */
    CHECK_NEAR(res.sample.root_delay, 0.020, 1e-4);
    ntp_client_get_report(&w.c, &r);
    CHECK_NEAR(r.offset, -0.5, 1e-6);
    CHECK_NEAR(r.peer_delay, res.sample.peer_delay, 1e-12);

    /* no correction from the server (no transparent clock or no hardware timestamp) */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, 0.0, dur + 0.006, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, plain, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.020, 1e-6);
    /* none on our side: only the frame's duration */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, dur + 0.010, dur, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, plain, 1e-6);
    /* no field in the response */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, 0.0, dur + 0.006, dur, 0, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, plain, 1e-6);
    /* the option off: the field is not read */
    CHECK_INT_EQ(net_corr_exchange(&w, 0, dur + 0.010, dur + 0.006, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, plain, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.020, 1e-6);
    /* more than the delay (the field is not authenticated): ignored */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, 0.5, dur + 0.006, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, plain, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.020, 1e-6);
    /* the whole delay: the delay stays at least the precision */
    CHECK_INT_EQ(net_corr_exchange(&w, 1, dur + 0.012, dur + 0.008, dur, 1, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, 0.5, 1e-6);
    CHECK(res.sample.peer_delay < 3e-6 && res.sample.peer_delay >= 1e-7);

    /* the computation alone */
    double off = 0.0, delay = 0.001;
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur, 1e-4, dur, 1e-7, &off, &delay), 0);
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur + 1e-4, 0.0, dur, 1e-7, &off, &delay), 0);
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur + 1e-4, -1.0, dur, 1e-7, &off, &delay), 0);
    /* tx below the frame's duration: a negative sum */
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur + 1e-7, 1e-7, dur, 1e-7, &off, &delay), -1);
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur + 6e-4, dur + 6e-4, dur, 1e-7, &off, &delay),
                 -1);
    CHECK(off == 0.0 && delay == 0.001);
    CHECK_INT_EQ(ntp_client_apply_net_correction(dur + 3e-4, dur + 1e-4, dur, 1e-7, &off, &delay),
                 1);
    CHECK_NEAR(off, 1e-4, 1e-12);
    CHECK_NEAR(delay, 0.001 - 4e-4 * (1.0 - 100e-6), 1e-12);
}

static void test_kod_rate(void)
{
    struct world w;
    struct ntp_client_result res;
    struct timespec when;
    started_default(&w);
    w.srv.leap = NTP_LEAP_UNSYNC;
    w.srv.stratum = 0;
    w.srv.ref_id = 0x52415445; /* RATE */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_KOD_RATE);
    CHECK(res.valid && !res.synced);
    CHECK(ntp_client_next_tx(&w.c, &when));
    /* One polling interval plus four more (the first is shortened by up to 2 %). */
    double d = ts_diff(&when, &w.tx);
    CHECK(d >= 5 * 64.0 * 0.98 && d <= 5 * 64.0 * 1.03);
    CHECK(ntp_client_is_online(&w.c));
}

static void test_kod_deny(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec when;
    ntp_client_opts_default(&o);
    CHECK_INT_EQ(o.stop_on_kod_deny, 1);
    o.stop_on_kod_deny = 0;
    started(&w, &o);
    w.srv.leap = NTP_LEAP_UNSYNC;
    w.srv.stratum = 0;
    w.srv.ref_id = 0x44454E59; /* DENY */
    /* With stop_on_kod_deny off (chrony 4.8's behaviour) polling continues. */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_KOD_DENY);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(ts_diff(&when, &w.tx) < 64.0 * 1.03);
    w.srv.ref_id = 0x52535452; /* RSTR */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_KOD_DENY);
    w.srv.ref_id = 0x494E4954; /* INIT */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_KOD_OTHER);

    /* Default: stop polling on DENY (RFC 5905 §7.4). */
    ntp_client_opts_default(&o);
    started(&w, &o);
    w.srv.leap = NTP_LEAP_UNSYNC;
    w.srv.stratum = 0;
    w.srv.ref_id = 0x44454E59;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_KOD_DENY);
    CHECK(!ntp_client_next_tx(&w.c, &when));
    CHECK(!ntp_client_is_online(&w.c));
}

static void test_kod_needs_cookie(void)
{
    struct world w;
    struct ntp_client_result res;
    struct timespec when;
    started_default(&w);
    w.srv.leap = NTP_LEAP_UNSYNC;
    w.srv.stratum = 0;
    w.srv.ref_id = 0x52415445;
    CHECK(fire(&w));
    serve(&w);
    w.resp[30] ^= 0xff; /* spoofed: wrong origin */
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_BOGUS);
    CHECK(ntp_client_next_tx(&w.c, &when));
    CHECK(ts_diff(&when, &w.tx) < 64.0 * 1.03);
}

static void test_max_delay(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    w.srv.d_out = 2.0;
    w.srv.d_back = 1.5;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_MAX_DELAY);
    CHECK(res.valid && res.synced && !res.good && !res.has_sample);
    /* Answered: the reach bit is set even though the sample is not used. */
    CHECK_INT_EQ(ntp_client_get_reach(&w.c), 1);
    char buf[16];
    CHECK_STR_EQ(ntp_client_format_tests(res.tests, buf, sizeof(buf)), "111 111 0111");
    /* A slow server fails test A too. */
    w.srv.d_out = w.srv.d_back = 0.01;
    w.srv.proc = 5.0;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_MAX_DELAY);
    /* A lower maxdelay. */
    ntp_client_set_max_delay(&w.c, 0.001);
    w.srv.proc = 0.0001;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_MAX_DELAY);
}

static void test_max_delay_ratio(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_client_stats st;
    struct ntp_client_rx_ctx ctx;
    ntp_client_opts_default(&o);
    o.max_delay_ratio = 2.0;
    started(&w, &o);
    memset(&st, 0, sizeof(st));
    memset(&ctx, 0, sizeof(ctx));
    ctx.stats = &st;
    st.have_delay_test_data = 1;
    st.min_delay = 0.005;
    st.std_dev = 1.0; /* keep test C quiet */
    CHECK(fire(&w));
    serve(&w);
    st.last_sample_time = w.tx;
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_FAIL_DELAY_RATIO);
    CHECK(res.valid && !res.good);
    st.min_delay = 0.015;
    CHECK(fire(&w));
    serve(&w);
    st.last_sample_time = w.tx;
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_GOOD);
    /* Without delay test data the test passes. */
    st.have_delay_test_data = 0;
    st.min_delay = 0.001;
    CHECK(fire(&w));
    serve(&w);
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_GOOD);
}

/* Test C's case: a client with options o whose statistics say a least delay of 2 ms and
 * a deviation of 0.1 ms, a server 20 ms away; returns the verdict of one exchange. */
static int delay_dev_case(struct world *w, const struct ntp_client_opts *o,
                          struct ntp_client_stats *st, struct ntp_client_rx_ctx *ctx,
                          struct ntp_client_result *res)
{
    started(w, o);
    memset(st, 0, sizeof(*st));
    memset(ctx, 0, sizeof(*ctx));
    ctx->stats = st;
    st->have_delay_test_data = 1;
    st->min_delay = 0.002;
    st->std_dev = 0.0001;
    w->srv.d_out = 0.010;
    w->srv.d_back = 0.010;
    CHECK(fire(w));
    serve(w);
    st->last_sample_time = w->tx;
    return deliver(w, ctx, res);
}

static void test_max_delay_dev_ratio(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_client_stats st;
    struct ntp_client_rx_ctx ctx;
    ntp_client_opts_default(&o);
    /* max increase 10 * 0.1 ms */
    CHECK_INT_EQ(delay_dev_case(&w, &o, &st, &ctx, &res), NTP_CLIENT_FAIL_DELAY_DEV);
    /* The offset moved more than the delay grew: accepted. */
    st.predicted_offset = 0.5;
    CHECK(fire(&w));
    serve(&w);
    st.last_sample_time = w.tx;
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_GOOD);
    /* Larger jitter allows the delay. */
    st.predicted_offset = 0.0;
    st.std_dev = 0.001;
    CHECK(fire(&w));
    serve(&w);
    st.last_sample_time = w.tx;
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_GOOD);
}

/* `maxdelaydevratio 1000`: the delay that failed test C with the default ratio of 10
 * (an increase of 18 ms against a deviation of 0.1 ms) passes. */
static void test_max_delay_dev_ratio_option(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_client_stats st;
    struct ntp_client_rx_ctx ctx;
    ntp_client_opts_default(&o);
    o.max_delay_dev_ratio = 1000.0;
    CHECK_INT_EQ(delay_dev_case(&w, &o, &st, &ctx, &res), NTP_CLIENT_GOOD);
}

static void test_max_delay_quant(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    ntp_client_opts_default(&o);
    o.max_delay_quant = 0.5;
    started(&w, &o);
    /* No estimate yet: the first response fails, as in chrony. */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_DELAY_QUANT);
    CHECK(res.synced && !res.good);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    /* A delay spike above the median is dropped. */
    w.srv.d_out = 0.050;
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_DELAY_QUANT);
    /* After many longer delays the median follows. */
    for (int i = 0; i < 3000; i++)
        exchange(&w, &res);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    /* Going offline and online resets the estimate. */
    ntp_client_set_online(&w.c, 0, &w.rx);
    ntp_client_set_online(&w.c, 1, &w.rx);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_FAIL_DELAY_QUANT);
}

static void test_sync_loop(void)
{
    struct world w;
    struct ntp_client_result res;
    struct ntp_client_self me;
    struct ntp_client_rx_ctx ctx;
    started_default(&w);
    memset(&me, 0, sizeof(me));
    memset(&ctx, 0, sizeof(ctx));
    ctx.self = &me;
    me.local_refid = 0xC0A80001;
    me.stratum = 3;
    w.srv.stratum = 4;
    w.srv.ref_id = 0xC0A80001; /* the server is synchronised to our address */
    CHECK(fire(&w));
    serve(&w);
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_FAIL_LOOP);
    CHECK(res.synced && !res.good);
    /* The server is us: same reference data. */
    w.srv.ref_id = me.ref_id = 0x0A000001;
    w.srv.stratum = me.stratum = 3;
    me.root_delay = w.srv.root_delay = 0.25;
    me.ref_time = base;
    CHECK(fire(&w));
    serve(&w);
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_FAIL_LOOP);
    me.ref_time = at(1);
    CHECK(fire(&w));
    serve(&w);
    CHECK_INT_EQ(deliver(&w, &ctx, &res), NTP_CLIENT_GOOD);
}

static void test_bad_format_and_mode(void)
{
    struct world w;
    struct ntp_client_result res;
    started_default(&w);
    CHECK(fire(&w));
    serve(&w);
    CHECK_INT_EQ(ntp_client_on_response(&w.c, w.resp, 20, &w.rx, &w.tx, NULL, &res),
                 NTP_CLIENT_DROP_FORMAT);
    w.srv.mode = NTP_MODE_CLIENT;
    serve(&w);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_DROP_MODE);
    w.srv.mode = 0;
    serve(&w);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
}

static void test_filter(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    ntp_client_opts_default(&o);
    o.filter_length = 3;
    started(&w, &o);
    const double offs[] = {0.1, 0.3, 0.2};
    for (int i = 0; i < 3; i++) {
        w.srv.off = offs[i];
        CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
        CHECK_INT_EQ(res.has_sample, i == 2);
    }
    CHECK_NEAR(res.sample.offset, 0.2, 1e-6);
    /* Missed polls count towards the filter length. */
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK(fire(&w));
    CHECK(fire(&w));
    struct ntp_client_result tx_res;
    struct timespec when;
    CHECK(ntp_client_next_tx(&w.c, &when));
    w.tx = when;
    w.req_len = ntp_client_on_timer(&w.c, &when, &w.rng, w.req, sizeof(w.req), &tx_res);
    CHECK(tx_res.has_sample);
    CHECK_NEAR(tx_res.sample.offset, 0.2, 1e-6);
    ntp_client_fini(&w.c);
}

static void test_tx_timestamp(void)
{
    struct world w;
    struct ntp_client_result res;
    struct ntp_client_rx_ctx ctx;
    started_default(&w);
    CHECK(fire(&w));
    serve(&w);
    /* A kernel timestamp 1 ms later than the daemon's: 1 ms less delay and offset moves. */
    struct timespec ktx, saved = w.tx;
    ts_add(&ktx, &w.tx, 0.001);
    ntp_client_set_tx_ts(&w.c, &ktx, NTP_CLIENT_TS_KERNEL);
    memset(&ctx, 0, sizeof(ctx));
    ctx.rx_src = NTP_CLIENT_TS_KERNEL;
    ctx.tx_src = NTP_CLIENT_TS_KERNEL;
    CHECK_INT_EQ(ntp_client_on_response(&w.c, w.resp, w.resp_len, &w.rx, NULL, &ctx, &res),
                 NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.peer_delay, 0.019, 1e-6);
    CHECK_NEAR(res.sample.offset, 0.0005, 1e-6);
    struct ntp_client_report r;
    ntp_client_get_report(&w.c, &r);
    CHECK(r.tx_tss_char == 'K' && r.rx_tss_char == 'K');
    CHECK_INT_EQ(r.total_kernel_tx, 1);
    CHECK_INT_EQ(r.total_kernel_rx, 1);
    /* A timestamp earlier than the recorded one is ignored. */
    CHECK(fire(&w));
    saved = w.tx;
    ts_add(&ktx, &w.tx, -0.5);
    ntp_client_set_tx_ts(&w.c, &ktx, NTP_CLIENT_TS_KERNEL);
    CHECK_INT_EQ(w.c.local_tx.tv_sec, saved.tv_sec);
    CHECK_INT_EQ(w.c.local_tx.tv_nsec, saved.tv_nsec);
}

static void test_min_stratum(void)
{
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    ntp_client_opts_default(&o);
    o.min_stratum = 3;
    started(&w, &o);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_GOOD);
    CHECK_INT_EQ(res.stratum, 3);
    CHECK_INT_EQ(res.sample.stratum, 3);
    struct ntp_client_report r;
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.stratum, 1); /* the report shows the packet's stratum */
}

static void test_verdict_names(void)
{
    CHECK_STR_EQ(ntp_client_verdict_name(NTP_CLIENT_GOOD), "good");
    CHECK_STR_EQ(ntp_client_verdict_name(NTP_CLIENT_DROP_BOGUS), "bogus");
    CHECK_STR_EQ(ntp_client_verdict_name(NTP_CLIENT_FAIL_LOOP), "sync loop");
    CHECK_STR_EQ(ntp_client_verdict_name(NTP_CLIENT_N_VERDICTS), "unknown");
    char buf[16];
    CHECK_STR_EQ(ntp_client_format_tests(0x2aa, buf, sizeof(buf)), "101 010 1010");
}

static void test_separation_and_window(void)
{
    struct world w;
    struct ntp_client_opts o;
    ntp_client_opts_default(&o);
    started(&w, &o);
    CHECK_NEAR(ntp_client_separation(&w.c), 0.2, 1e-12);
    CHECK_NEAR(ntp_client_rx_window(&w.c), 7.0, 1e-12);
    o.minpoll = o.maxpoll = -2;
    started(&w, &o);
    ntp_client_adjust_poll(&w.c, -2.0, &base);
    /* Sub-second polling is refused for an unreachable source: poll 0, 1/8 s. */
    CHECK_INT_EQ(ntp_client_get_poll(&w.c), 0);
    CHECK_NEAR(ntp_client_separation(&w.c), 0.125, 1e-12);
}

int main(void)
{
    RUN(test_opts_default);
    RUN(test_request_format);
    RUN(test_ext_mono_root);
    RUN(test_ext_mono_doffset);
    RUN(test_ext_net_correction);
    RUN(test_small_buffer);
    RUN(test_version_option);
    RUN(test_good_sample);
    RUN(test_offset_option);
    RUN(test_duplicate);
    RUN(test_bogus);
    RUN(test_zero_timestamp);
    RUN(test_era_far_clock);
    RUN(test_repeat_response);
    RUN(test_response_waits);
    RUN(test_unsynchronised);
    RUN(test_bad_distance);
    RUN(test_kod_rate);
    RUN(test_kod_deny);
    RUN(test_kod_needs_cookie);
    RUN(test_max_delay);
    RUN(test_max_delay_ratio);
    RUN(test_max_delay_dev_ratio);
    RUN(test_max_delay_dev_ratio_option);
    RUN(test_max_delay_quant);
    RUN(test_sync_loop);
    RUN(test_bad_format_and_mode);
    RUN(test_filter);
    RUN(test_tx_timestamp);
    RUN(test_min_stratum);
    RUN(test_verdict_names);
    RUN(test_separation_and_window);
    return check_summary();
}
