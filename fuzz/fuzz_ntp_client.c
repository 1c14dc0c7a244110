/* Fuzz target: the NTP client's response path (ntp_client_on_response) after
 * a request went out, so the RFC 5905 tests past the cookie check are reached.
 *
 * Input: an 8-byte control block, then the response datagram.
 *   c[0] bit 0: copy the request's cookie into the origin field
 *        bit 1: overwrite receive/transmit timestamps with plausible values
 *        bit 2: pass source statistics (tests B and C)
 *        bit 3: pass our own reference (test D)
 *        bit 4: filter option (`filter 3`)
 *        bit 5: maxdelayquant 0.5, and tx_ts NULL (the recorded transmit time)
 *        bit 6: iburst
 *        bit 7: deliver the datagram a second time, then again after the next request
 *   c[1]: server offset in ms (signed); c[2], c[3]: network delay in 0.1 ms;
 *   c[4]: minpoll (signed, clamped by the client); c[5]: minstratum (% 3: rx source);
 *   c[6]: maxdelay in 10 ms (0 = default; % 3: tx source); c[7]: bits 0-6 server processing
 *   time in 0.1 ms, bit 7 xleave (interleaved requests; with c[0] bit 0 the origin copied is
 *   the request's receive field when it has one, i.e. an interleaved response, and a third
 *   exchange follows).
 * Oracle: no crash, a verdict inside the enum and a consistent result. */
#include "core/ntp_client.h"
#include "lib/ntp_time.h"
#include "lib/rng.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTRL_LEN 8
#define OFF_ORIGIN 24
#define OFF_RX 32
#define OFF_TX 40

struct fz_state {
    struct ntp_client c;
    struct rng rng;
    struct timespec tx; /* local transmit time of the last request */
    uint8_t req[NTP_MAX_PACKET_LEN];
    size_t req_len;
};

static void check_result(enum ntp_client_verdict v, const struct ntp_client_result *r)
{
    char tests[16];
    if ((unsigned)v >= NTP_CLIENT_N_VERDICTS || !ntp_client_verdict_name(v))
        abort();
    if (v == NTP_CLIENT_GOOD && (!r->valid || !r->synced || !r->good))
        abort();
    if (r->good && v != NTP_CLIENT_GOOD)
        abort();
    if (r->tests >= 1u << 10)
        abort();
    if (!ntp_client_format_tests(r->tests, tests, sizeof(tests)))
        abort();
}

/* Fire the timer at its deadline; 1 if a request went out. */
static int fire(struct fz_state *s)
{
    struct timespec when;
    struct ntp_client_result res;
    if (!ntp_client_next_tx(&s->c, &when))
        return 0;
    s->tx = when;
    memset(&res, 0, sizeof(res));
    s->req_len = ntp_client_on_timer(&s->c, &when, &s->rng, s->req, sizeof(s->req), &res);
    return s->req_len >= NTP_HEADER_LEN;
}

static void put_ts(uint8_t *pkt, size_t off, const struct timespec *t)
{
    struct ntp_ts64 ts;
    ntp_ts64_from_timespec(&ts, t);
    ntp_ts64_to_bytes(pkt + off, &ts);
}

static void deliver(struct fz_state *s, const uint8_t *ctrl, const uint8_t *pkt_in, size_t len)
{
    uint8_t pkt[NTP_MAX_PACKET_LEN + 64];
    struct ntp_client_stats stats;
    struct ntp_client_self self;
    struct ntp_client_rx_ctx rctx;
    struct ntp_client_result res;
    struct timespec srv_rx, srv_tx, rx;
    double offset = (int8_t)ctrl[1] * 1e-3, d = (ctrl[2] | ctrl[3] << 8) * 1e-4;
    double proc = (ctrl[7] & 0x7f) * 1e-4;
    int ilv_origin = (ctrl[7] & 0x80) && s->req_len >= OFF_RX + 8 &&
                     memcmp(s->req + OFF_RX, "\0\0\0\0\0\0\0\0", 8) != 0;
    enum ntp_client_verdict v;

    if (len > sizeof(pkt))
        len = sizeof(pkt);
    memcpy(pkt, pkt_in, len);
    if ((ctrl[0] & 1) && len >= OFF_ORIGIN + 8 && s->req_len >= OFF_TX + 8)
        memcpy(pkt + OFF_ORIGIN, s->req + (ilv_origin ? OFF_RX : OFF_TX), 8);
    ts_add(&srv_rx, &s->tx, offset + d / 2);
    ts_add(&srv_tx, &srv_rx, proc);
    ts_add(&rx, &s->tx, d + proc);
    if ((ctrl[0] & 2) && len >= OFF_TX + 8) {
        put_ts(pkt, OFF_RX, &srv_rx);
        put_ts(pkt, OFF_TX, &srv_tx);
    }

    memset(&rctx, 0, sizeof(rctx));
    rctx.rx_src = (enum ntp_client_ts_src)(ctrl[5] % 3);
    rctx.tx_src = (enum ntp_client_ts_src)(ctrl[6] % 3);
    rctx.rx_err = 1e-6;
    rctx.tx_err = 1e-6;
    if (ctrl[0] & 4) {
        memset(&stats, 0, sizeof(stats));
        stats.have_delay_test_data = 1;
        ts_add(&stats.last_sample_time, &s->tx, -64.0);
        stats.predicted_offset = -offset;
        stats.freq = 1e-6;
        stats.min_delay = d / 2;
        stats.std_dev = 1e-4;
        stats.skew = 1e-6;
        rctx.stats = &stats;
    }
    if (ctrl[0] & 8) {
        memset(&self, 0, sizeof(self));
        self.local_refid = 0x7f000001;
        self.stratum = 2;
        self.ref_id = 0xc0000201;
        self.root_delay = 0.01;
        self.ref_time = s->tx;
        rctx.self = &self;
    }
    memset(&res, 0xa5, sizeof(res));
    v = ntp_client_on_response(&s->c, pkt, len, &rx, (ctrl[0] & 0x20) ? NULL : &s->tx, &rctx, &res);
    check_result(v, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ntp_client_params params = {1e-7, 1e-6};
    struct ntp_client_opts o;
    struct fz_state s;
    struct ntp_client_report rep;
    struct timespec t0 = {1700000000, 0};
    const uint8_t *ctrl = data;

    if (size < CTRL_LEN)
        return 0;
    memset(&s, 0, sizeof(s));
    ntp_client_opts_default(&o);
    o.minpoll = (int8_t)ctrl[4];
    o.min_stratum = ctrl[5];
    if (ctrl[6])
        o.max_delay = ctrl[6] * 0.01;
    o.filter_length = (ctrl[0] & 0x10) ? 3 : 0;
    o.max_delay_quant = (ctrl[0] & 0x20) ? 0.5 : 0.0;
    o.iburst = (ctrl[0] & 0x40) != 0;
    o.interleaved = (ctrl[7] & 0x80) != 0;
    rng_seed(&s.rng, 1);
    ntp_client_init(&s.c, &o, &params);
    ntp_client_start(&s.c, &t0);
    if (fire(&s)) {
        deliver(&s, ctrl, data + CTRL_LEN, size - CTRL_LEN);
        if (ctrl[0] & 0x80) {
            deliver(&s, ctrl, data + CTRL_LEN, size - CTRL_LEN);
            if (fire(&s))
                deliver(&s, ctrl, data + CTRL_LEN, size - CTRL_LEN);
        }
        if (o.interleaved && fire(&s))
            deliver(&s, ctrl, data + CTRL_LEN, size - CTRL_LEN);
    }
    ntp_client_get_report(&s.c, &rep);
    ntp_client_fini(&s.c);
    return 0;
}
