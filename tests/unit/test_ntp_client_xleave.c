/* Unit tests for the interleaved modes (xleave) of src/core/ntp_client*.c: a client
 * against a fake server whose transmit timestamps are 2 ms early (the reply leaves later
 * than it was stamped, as a daemon timestamp does) and which answers interleaved requests
 * with the accurate transmit time of its previous reply; the hand-computed samples, the
 * fallback to basic mode, the late kernel transmit timestamp, presend and symmetric peers. */
#include "check.h"

#include "ntp_client_world.h"

#include "core/ntp_server.h"

#include <math.h>

/* The server's previous reply: its receive timestamp on the wire (the key of interleaved
 * requests) and when it really left. */
struct ilv_server {
    int interleaved;    /* 0: a server that answers only in basic mode */
    double late;        /* s, reply leaves this long after its transmit timestamp */
    double client_late; /* s, request leaves this long after the client's timestamp */
    int have_prev;
    struct ntp_ts64 prev_rx;
    struct timespec prev_real_tx;
};

/* Answer w's last request (local clock = true + w->srv.off); sets w->rx. Returns 1 if the
 * answer is interleaved. */
static int ilv_serve(struct world *w, struct ilv_server *is)
{
    struct ntp_packet q, r;
    const struct fake_server *s = &w->srv;
    struct timespec t_rx, t_tx, real_tx;
    int ilv;

    CHECK_INT_EQ(ntp_decode(w->req, w->req_len, &q, NULL), NTP_OK);
    ts_add(&t_rx, &w->tx, is->client_late - s->off + s->d_out);
    ts_add(&t_tx, &t_rx, s->proc);
    ts_add(&real_tx, &t_tx, is->late);
    ts_add(&w->rx, &real_tx, s->d_back + s->off);
    memset(&r, 0, sizeof(r));
    r.version = q.version;
    r.mode = NTP_MODE_SERVER;
    r.stratum = (uint8_t)s->stratum;
    r.poll = q.poll;
    r.precision = s->precision;
    r.root_dispersion = ntp_short_from_double(s->root_disp);
    r.ref_id = s->ref_id;
    ntp_ts64_from_timespec(&r.ref_ts, &base);
    ntp_ts64_from_timespec(&r.rx_ts, &t_rx);
    ilv = is->interleaved && is->have_prev && ntp_ts64_equal(&q.origin_ts, &is->prev_rx) &&
          !ntp_ts64_equal(&q.rx_ts, &q.tx_ts);
    if (ilv) {
        r.origin_ts = q.rx_ts;
        ntp_ts64_from_timespec(&r.tx_ts, &is->prev_real_tx);
    } else {
        r.origin_ts = q.tx_ts;
        ntp_ts64_from_timespec(&r.tx_ts, &t_tx);
    }
    is->have_prev = 1;
    is->prev_rx = r.rx_ts;
    is->prev_real_tx = real_tx;
    w->resp_len = ntp_encode(&r, w->resp, sizeof(w->resp));
    return ilv;
}

static void xleave_world(struct world *w, struct ilv_server *is, int xleave)
{
    struct ntp_client_opts o;
    ntp_client_opts_default(&o);
    o.interleaved = xleave;
    started(w, &o);
    w->srv.off = 0.050; /* local clock 50 ms fast */
    memset(is, 0, sizeof(*is));
    is->interleaved = 1;
    is->late = 0.002;
}

static enum ntp_client_verdict ilv_exchange(struct world *w, struct ilv_server *is,
                                            struct ntp_client_result *res, int *ilv)
{
    CHECK(fire(w));
    *ilv = ilv_serve(w, is);
    return deliver(w, NULL, res);
}

/* Basic mode: the early server timestamp shows as 1 ms of offset and 2 ms of delay. */
static void test_basic_error(void)
{
    struct world w;
    struct ilv_server is;
    struct ntp_client_result res;
    struct ntp_packet q;
    int ilv;

    xleave_world(&w, &is, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
        CHECK(!ilv);
        CHECK_NEAR(res.sample.offset, 0.051, 1e-6);
        CHECK_NEAR(res.sample.peer_delay, 0.022, 1e-6);
    }
    /* Without xleave a request carries no origin or receive timestamp. */
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &q, NULL), NTP_OK);
    CHECK(ntp_ts64_is_zero(&q.origin_ts) && ntp_ts64_is_zero(&q.rx_ts));
}

/* The exchange worked by hand (local = true + 50 ms, 10 ms each way, server processing
 * 0.1 ms, replies leaving 2 ms after their timestamp):
 *   1. basic request and response: offset 51 ms, delay 22 ms (good);
 *   2. interleaved request (origin = the server's receive time of request 1): the response
 *      carries the real transmit time of response 1, but the previous sample was a good
 *      basic one, so test A fails (chrony) and nothing is accumulated;
 *   3. interleaved again: T1 = our transmit of request 2, T2 = its server receive time
 *      (from response 2), T3 = the real transmit time of response 2 (in response 3),
 *      T4 = our receive time of response 2: offset exactly 50 ms, delay 20 ms. */
static void test_interleaved_sample(void)
{
    struct world w;
    struct ilv_server is;
    struct ntp_client_result res;
    struct ntp_client_report r;
    struct ntp_packet q;
    struct ntp_ts64 remote_rx1;
    int ilv;

    xleave_world(&w, &is, 1);
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
    CHECK(!ilv);
    CHECK_NEAR(res.sample.offset, 0.051, 1e-6);
    remote_rx1 = is.prev_rx;

    CHECK(fire(&w));
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &q, NULL), NTP_OK);
    CHECK(ntp_ts64_equal(&q.origin_ts, &remote_rx1));
    CHECK(!ntp_ts64_is_zero(&q.rx_ts) && !ntp_ts64_equal(&q.rx_ts, &q.tx_ts));
    CHECK(ilv_serve(&w, &is));
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_FAIL_MAX_DELAY);
    CHECK(res.valid && res.synced && !res.good && !res.has_sample);
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.interleaved, 1);

    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
        CHECK(ilv);
        CHECK(res.has_sample);
        CHECK_NEAR(res.sample.offset, 0.050, 1e-9);
        CHECK_NEAR(res.sample.peer_delay, 0.020, 1e-9);
        /* The sample is the previous exchange's: its midpoint is 64 s back. */
        CHECK(ts_diff(&w.rx, &res.sample.time) > 60.0);
    }
    ntp_client_get_report(&w.c, &r);
    CHECK_INT_EQ(r.interleaved, 1);
    CHECK_NEAR(r.offset, -0.050, 1e-9);
    CHECK_NEAR(r.response_time, 0.0021, 1e-9);
}

/* A server that answers only in basic mode: the responses pass test 2 by the transmit
 * cookie and give basic samples; a request after 4 missed responses is a basic one. */
static void test_fallback_basic(void)
{
    struct world w;
    struct ilv_server is;
    struct ntp_client_result res;
    struct ntp_client_report r;
    struct ntp_packet q;
    int ilv;

    xleave_world(&w, &is, 1);
    is.interleaved = 0;
    for (int i = 0; i < 4; i++) {
        CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
        CHECK(!ilv);
        CHECK_NEAR(res.sample.offset, 0.051, 1e-6);
        ntp_client_get_report(&w.c, &r);
        CHECK_INT_EQ(r.interleaved, 0);
    }
    /* Requests 2.. ask in interleaved form all the same, until 4 (chrony's
     * MAX_CLIENT_INTERLEAVED_TX) responses are missing. */
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &q, NULL), NTP_OK);
    CHECK(!ntp_ts64_is_zero(&q.rx_ts));
    for (int i = 0; i < 4; i++) {
        CHECK(fire(&w));
        CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &q, NULL), NTP_OK);
        CHECK(!ntp_ts64_is_zero(&q.rx_ts));
    }
    CHECK(fire(&w));
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &q, NULL), NTP_OK);
    CHECK(ntp_ts64_is_zero(&q.rx_ts) && ntp_ts64_is_zero(&q.origin_ts));
    /* An interleaved-looking response to a basic request fails test 2. */
    is.interleaved = 1;
    ilv_serve(&w, &is);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
}

/* Our request leaves 1 ms after the daemon's timestamp; the kernel's timestamp arrives
 * only after the response. The interleaved sample of the next exchange uses it. */
static void test_late_kernel_tx(void)
{
    struct world w;
    struct ilv_server is;
    struct ntp_client_result res;
    struct ntp_client_report r;
    struct timespec ktx;
    int ilv;

    for (int kernel = 0; kernel < 2; kernel++) {
        xleave_world(&w, &is, 1);
        is.client_late = 0.001;
        for (int i = 0; i < 4; i++) {
            CHECK(fire(&w));
            ilv = ilv_serve(&w, &is);
            CHECK_INT_EQ(ilv, i > 0);
            CHECK_INT_EQ(ntp_client_on_response(&w.c, w.resp, w.resp_len, &w.rx, NULL, NULL, &res),
                         i == 1 ? NTP_CLIENT_FAIL_MAX_DELAY : NTP_CLIENT_GOOD);
            if (i >= 2) {
                CHECK_NEAR(res.sample.offset, kernel ? 0.050 : 0.0495, 1e-9);
                CHECK_NEAR(res.sample.peer_delay, kernel ? 0.020 : 0.021, 1e-9);
                ntp_client_get_report(&w.c, &r);
                CHECK(r.tx_tss_char == (kernel ? 'K' : 'D'));
            }
            ts_add(&ktx, &w.tx, 0.001);
            if (kernel)
                ntp_client_set_tx_ts(&w.c, &ktx, NTP_CLIENT_TS_KERNEL);
        }
    }
}

/* presend in interleaved mode: two warm-up requests (chrony), 2 s apart, before the one
 * that is measured. */
static void test_presend(void)
{
    struct world w;
    struct ilv_server is;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct timespec t1, t2;
    int ilv;

    ntp_client_opts_default(&o);
    o.interleaved = 1;
    o.presend_minpoll = 6;
    started(&w, &o);
    memset(&is, 0, sizeof(is));
    is.interleaved = 1;
    /* The first request has no previous one to interleave with: one warm-up. */
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_WARMUP);
    CHECK(ntp_client_next_tx(&w.c, &t1));
    CHECK_NEAR(ts_diff(&t1, &w.tx), 2.0, 0.05);
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
    CHECK(ntp_client_next_tx(&w.c, &t1));
    CHECK(ts_diff(&t1, &w.tx) > 60.0);
    /* Interleaved: two warm-ups, the second already an interleaved exchange. */
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_WARMUP);
    CHECK(ntp_client_next_tx(&w.c, &t1));
    CHECK_NEAR(ts_diff(&t1, &w.tx), 2.0, 0.05);
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_WARMUP);
    CHECK(ilv);
    CHECK(ntp_client_next_tx(&w.c, &t2));
    CHECK_NEAR(ts_diff(&t2, &w.tx), 2.0, 0.05);
    CHECK_INT_EQ(ilv_exchange(&w, &is, &res, &ilv), NTP_CLIENT_GOOD);
    CHECK(ilv && res.has_sample);
}

/* Symmetric peers, clocks 10 ms apart, 1 ms each way; each packet leaves 0.5 ms after the
 * time put in it (the kernel's timestamp tells, after the send). */
struct xpeer {
    struct ntp_client c;
    double clock_off;
    int stratum;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    size_t len;
    double real_tx; /* true time the packet left */
};

#define PEER_LATE 0.0005

static struct timespec plocal(const struct xpeer *p, double t)
{
    struct timespec r;
    ts_add(&r, &base, t + p->clock_off);
    return r;
}

static void xpeer_init(struct xpeer *p, double off, int stratum, int xleave)
{
    struct ntp_client_opts o;
    struct timespec t0 = base;
    memset(p, 0, sizeof(*p));
    ntp_client_opts_default(&o);
    o.symmetric = 1;
    o.interleaved = xleave;
    o.minpoll = o.maxpoll = 4;
    ntp_client_init(&p->c, &o, &params);
    ntp_client_start(&p->c, &t0);
    p->clock_off = off;
    p->stratum = stratum;
    ntp_client_set_our_stratum(&p->c, stratum);
}

static void xpeer_send(struct xpeer *p, double t, struct rng *rng)
{
    struct ntp_server_ref ref;
    struct timespec now = plocal(p, t), ktx;
    p->len = ntp_client_on_timer(&p->c, &now, rng, p->pkt, sizeof(p->pkt), NULL);
    CHECK(p->len > 0);
    ntp_server_ref_local(&ref, p->stratum, &now, -20);
    p->len = ntp_client_peer_finish(&p->c, p->pkt, p->len, sizeof(p->pkt), &ref, &now);
    CHECK(p->len > 0);
    ntp_client_set_local_tx(&p->c, &now);
    ktx = plocal(p, t + PEER_LATE);
    ntp_client_set_tx_ts(&p->c, &ktx, NTP_CLIENT_TS_KERNEL);
    p->real_tx = t + PEER_LATE;
}

static enum ntp_client_verdict xpeer_recv(struct xpeer *to, const struct xpeer *from,
                                          struct ntp_client_result *res)
{
    struct timespec rx = plocal(to, from->real_tx + 0.001);
    return ntp_client_on_response(&to->c, from->pkt, from->len, &rx, NULL, NULL, res);
}

/* Packets every 8 s each way; returns the last sample offset of A after n rounds. */
static void peers_run(int xleave, double *a_off, double *a_delay, int *a_ilv)
{
    struct xpeer a, b;
    struct ntp_client_result res;
    struct ntp_client_report r;
    struct rng rng;
    double t = 1.0;

    rng_seed(&rng, 11);
    xpeer_init(&a, 0.010, 5, xleave);
    xpeer_init(&b, 0.0, 5, xleave);
    *a_off = *a_delay = NAN;
    for (int i = 0; i < 8; i++, t += 16.0) {
        xpeer_send(&a, t, &rng);
        xpeer_recv(&b, &a, &res);
        xpeer_send(&b, t + 8.0, &rng);
        if (xpeer_recv(&a, &b, &res) == NTP_CLIENT_GOOD && res.has_sample) {
            *a_off = res.sample.offset;
            *a_delay = res.sample.peer_delay;
        }
    }
    ntp_client_get_report(&a.c, &r);
    *a_ilv = r.interleaved;
}

static void test_peers(void)
{
    double off, delay;
    int ilv;

    /* Basic: B's transmit timestamp is 0.5 ms early: 0.25 ms of offset error. */
    peers_run(0, &off, &delay, &ilv);
    CHECK(!ilv);
    CHECK_NEAR(off, 0.010 + PEER_LATE / 2, 1e-9);
    CHECK_NEAR(delay, 0.002 + PEER_LATE, 1e-9);
    /* Interleaved: the accurate transmit times come in the next packets. */
    peers_run(1, &off, &delay, &ilv);
    CHECK(ilv);
    CHECK_NEAR(off, 0.010, 1e-9);
    CHECK_NEAR(delay, 0.002, 1e-9);
}

int main(void)
{
    (void)exchange;
    (void)started_default;
    RUN(test_basic_error);
    RUN(test_interleaved_sample);
    RUN(test_fallback_basic);
    RUN(test_late_kernel_tx);
    RUN(test_presend);
    RUN(test_peers);
    return check_summary();
}
