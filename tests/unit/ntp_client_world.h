/* Test harness shared by test_ntp_client*.c: an ntp_client talking to a fake server
 * over a path with chosen one-way delays, with helpers to fire the timer, answer and
 * deliver. Local clock = true time + srv.off. */
#ifndef TEST_NTP_CLIENT_WORLD_H
#define TEST_NTP_CLIENT_WORLD_H

#include "check.h"

#include "core/ntp_client.h"
#include "lib/rng.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <string.h>

static const struct timespec base = {1700000000, 0};

/* A server reached over a path with the given one-way delays. Local clock = true + off. */
struct fake_server {
    double off;           /* s, local clock minus true time */
    double d_out, d_back; /* s, one-way delays */
    double proc;          /* s, server processing time */
    int leap, stratum;
    uint32_t ref_id;
    int8_t precision;
    double root_delay, root_disp;
    int zero_rx; /* answer with a zero receive timestamp */
    int mode;    /* 0 = server (4) */
};

struct world {
    struct ntp_client c;
    struct rng rng;
    struct fake_server srv;
    uint8_t req[NTP_MAX_PACKET_LEN], resp[NTP_MAX_PACKET_LEN];
    size_t req_len, resp_len;
    struct timespec tx, rx; /* local times of the last exchange */
};

static struct timespec at(double s)
{
    struct timespec t;
    ts_add(&t, &base, s);
    return t;
}

static const struct ntp_client_params params = {1e-7, 1e-6};

static void world_init(struct world *w, const struct ntp_client_opts *o)
{
    memset(w, 0, sizeof(*w));
    rng_seed(&w->rng, 42);
    ntp_client_init(&w->c, o, &params);
    w->srv.d_out = 0.010;
    w->srv.d_back = 0.010;
    w->srv.proc = 0.0001;
    w->srv.stratum = 1;
    w->srv.ref_id = 0x47505300; /* "GPS" */
    w->srv.precision = -20;
    w->srv.root_delay = 0.0;
    w->srv.root_disp = 0.0001;
}

/* Fire the timer at its deadline; returns the local transmit time. */
static int fire(struct world *w)
{
    struct timespec when;
    if (!ntp_client_next_tx(&w->c, &when))
        return 0;
    w->tx = when;
    w->req_len = ntp_client_on_timer(&w->c, &when, &w->rng, w->req, sizeof(w->req), NULL);
    return w->req_len > 0;
}

/* The fake server answers the last request; fills resp and the local arrival time. */
static void serve(struct world *w)
{
    struct ntp_packet q, r;
    const struct fake_server *s = &w->srv;
    CHECK_INT_EQ(ntp_decode(w->req, w->req_len, &q, NULL), NTP_OK);
    struct timespec t_rx, t_tx;
    ts_add(&t_rx, &w->tx, -s->off + s->d_out);
    ts_add(&t_tx, &t_rx, s->proc);
    ts_add(&w->rx, &t_tx, s->d_back + s->off);
    memset(&r, 0, sizeof(r));
    r.leap = (uint8_t)s->leap;
    r.version = q.version;
    r.mode = s->mode ? (uint8_t)s->mode : NTP_MODE_SERVER;
    r.stratum = (uint8_t)s->stratum;
    r.poll = q.poll;
    r.precision = s->precision;
    r.root_delay = ntp_short_from_double(s->root_delay);
    r.root_dispersion = ntp_short_from_double(s->root_disp);
    r.ref_id = s->ref_id;
    ntp_ts64_from_timespec(&r.ref_ts, &base);
    r.origin_ts = q.tx_ts;
    ntp_ts64_from_timespec(&r.rx_ts, &t_rx);
    if (s->zero_rx)
        memset(&r.rx_ts, 0, sizeof(r.rx_ts));
    ntp_ts64_from_timespec(&r.tx_ts, &t_tx);
    w->resp_len = ntp_encode(&r, w->resp, sizeof(w->resp));
}

static enum ntp_client_verdict deliver(struct world *w, const struct ntp_client_rx_ctx *ctx,
                                       struct ntp_client_result *res)
{
    return ntp_client_on_response(&w->c, w->resp, w->resp_len, &w->rx, &w->tx, ctx, res);
}

/* One full poll: timer, request, response. */
static enum ntp_client_verdict exchange(struct world *w, struct ntp_client_result *res)
{
    if (!fire(w))
        return NTP_CLIENT_N_VERDICTS;
    serve(w);
    return deliver(w, NULL, res);
}

static void started(struct world *w, const struct ntp_client_opts *o)
{
    world_init(w, o);
    struct timespec t0 = at(0);
    ntp_client_start(&w->c, &t0);
}

/* started() with the default options. */
static void started_default(struct world *w)
{
    struct ntp_client_opts o;
    ntp_client_opts_default(&o);
    started(w, &o);
}

#endif
