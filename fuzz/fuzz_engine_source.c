/* Fuzz target: a source's sample path through the engine (src/core/engine*.c with
 * core/ntp_client, sourcestats, select, discipline): the engine's timers send requests and
 * the input decides the server's replies: offset, delay, stratum, leap, root distance,
 * header fields, loss, duplicates and altered bytes.
 *
 * Input: 4 bytes of set-up (byte 0: 1-3 sources; byte 1 bits: 0 makestep 0.1 s always,
 * 1 filter 3 on source 0, 2 iburst, 3 the engine serves (test D), 4 maxdelay 0.05 s,
 * 5 copy the origin wrongly on altered replies), then records of 12 bytes, one per request:
 *   r[0] server offset (int8, 10 ms units, scaled by 2^(r[9] % 8)); r[1] one-way delay out,
 *   r[2] back (100 us units); r[3] stratum (0-16 and 255 allowed); r[4] leap (low 2 bits),
 *   version (bits 2-4), mode bits 5-7 replace the server mode when non-zero; r[5] root delay,
 *   r[6] root dispersion (1/256 s); r[7] bit 0 lose the reply, bit 1 deliver it twice, bit 2
 *   alter the byte r[8] % 48 by r[8] | 1, bit 3 send a 44-byte runt, bit 4 the wake-up after
 *   it is late by r[11] s (a clock jump when above 10 s); r[9] bits 3-7 precision (negative);
 *   r[10] time before the reply leaves the server (100 us); r[11] see r[7] bit 4.
 * Oracle: no crash or sanitizer report; every clock command and tracking line is finite,
 * frequencies stay within +-1e6 ppm, errors are not negative; a packet to send decodes. */
#include "core/engine.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_LEN 12

struct rig {
    struct engine e;
    struct engine_out out;
    struct rng rng;
    struct timespec now;
    int alter_origin;
};

static void check_actions(const struct engine_out *o, int from)
{
    for (int i = from; i < o->n; i++) {
        const struct engine_action *a = &o->a[i];
        if (a->type == ENGINE_ACT_CLOCK) {
            const struct clock_cmd *c = &a->u.clock.cmd;
            if (!isfinite(c->freq_ppm) || fabs(c->freq_ppm) > 1e6 || !isfinite(c->step_offset) ||
                !isfinite(c->est_error) || !isfinite(c->max_error) || c->est_error < 0.0 ||
                c->max_error < 0.0 || !isfinite(a->u.clock.shift))
                abort();
        } else if (a->type == ENGINE_ACT_LOG_TRACKING) {
            const struct disc_log_entry *l = &a->u.tracking.log;
            if (!isfinite(l->freq_ppm) || !isfinite(l->skew_ppm) || !isfinite(l->offset) ||
                !isfinite(l->offset_sd) || !isfinite(l->root_delay) ||
                !isfinite(l->root_dispersion) || fabs(l->freq_ppm) > 1e6)
                abort();
        } else if (a->type == ENGINE_ACT_SEND) {
            if (a->u.send.off + a->u.send.len > o->pkt_len || a->u.send.len < NTP_HEADER_LEN)
                abort();
        } else if (a->type == ENGINE_ACT_DRIFT) {
            if (!isfinite(a->u.drift.freq_ppm) || !isfinite(a->u.drift.skew_ppm))
                abort();
        }
    }
}

static void reply(struct rig *r, int src, const uint8_t *req_buf, size_t req_len,
                  const uint8_t *rec)
{
    struct ntp_packet req, rep;
    struct engine_rx rx;
    uint8_t buf[NTP_HEADER_LEN];
    struct timespec srv_rx, srv_tx, rxt;
    double off = (int8_t)rec[0] * 0.01 * (double)(1 << (rec[9] % 8));
    double out_d = rec[1] * 1e-4, back_d = rec[2] * 1e-4, proc = rec[10] * 1e-4;
    int from;

    if (ntp_decode(req_buf, req_len, &req, NULL) != NTP_OK)
        abort(); /* the engine's own request */
    if (rec[7] & 1)
        return;
    memset(&rep, 0, sizeof(rep));
    rep.leap = rec[4] & 3;
    rep.version = (rec[4] >> 2) & 7;
    if (!rep.version)
        rep.version = 4;
    rep.mode = (rec[4] >> 5) ? (uint8_t)(rec[4] >> 5) : NTP_MODE_SERVER;
    rep.stratum = rec[3] == 255 ? 255 : rec[3] % 17;
    rep.poll = req.poll;
    rep.precision = (int8_t) - (rec[9] >> 3);
    rep.root_delay = (uint32_t)rec[5] << 8;
    rep.root_dispersion = (uint32_t)rec[6] << 8;
    rep.ref_id = 0x47505300;
    ts_add(&srv_rx, &r->now, out_d + off);
    ts_add(&srv_tx, &srv_rx, proc);
    ntp_ts64_from_timespec(&rep.ref_ts, &srv_rx);
    rep.origin_ts = req.tx_ts;
    ntp_ts64_from_timespec(&rep.rx_ts, &srv_rx);
    ntp_ts64_from_timespec(&rep.tx_ts, &srv_tx);
    if (ntp_encode(&rep, buf, sizeof(buf)) != NTP_HEADER_LEN)
        return;
    if (rec[7] & 4) {
        buf[rec[8] % NTP_HEADER_LEN] ^= (uint8_t)(rec[8] | 1);
        if (r->alter_origin)
            buf[24 + rec[8] % 8] ^= 1;
    }
    ts_add(&rxt, &r->now, out_d + proc + back_d);
    memset(&rx, 0, sizeof(rx));
    rx.data = buf;
    rx.len = (rec[7] & 8) ? 44 : sizeof(buf);
    rx.rx_raw = rxt;
    rx.rx_src = (enum ntp_client_ts_src)(rec[11] % 3);
    rx.local_refid = 0x7f000001;
    from = r->out.n;
    engine_on_response(&r->e, src, &rx, &r->out);
    if (rec[7] & 2)
        engine_on_response(&r->e, src, &rx, &r->out);
    check_actions(&r->out, from);
}

/* Run the engine's timers until a request leaves (answered with rec) or 64 timers ran. */
static void step(struct rig *r, const uint8_t *rec)
{
    struct timespec when;

    for (int guard = 0; guard < 64 && engine_next_timer(&r->e, &when); guard++) {
        int sent = 0;
        if (ts_cmp(&when, &r->now) > 0) {
            struct timespec wake = when;
            if (rec[7] & 16)
                ts_add(&wake, &wake, rec[11]);
            engine_out_clear(&r->out);
            engine_on_wake(&r->e, &wake, &r->out);
            check_actions(&r->out, 0);
            r->now = wake;
            engine_expect_wake(&r->e, &r->now);
        }
        engine_out_clear(&r->out);
        if (!engine_on_timer(&r->e, &r->now, &r->out))
            continue;
        check_actions(&r->out, 0);
        for (int i = 0; i < r->out.n; i++) {
            const struct engine_action *a = &r->out.a[i];
            uint8_t pkt[NTP_MAX_PACKET_LEN];
            size_t len;
            if (a->type != ENGINE_ACT_SEND)
                continue;
            len = a->u.send.len < sizeof(pkt) ? a->u.send.len : sizeof(pkt);
            memcpy(pkt, r->out.pkt + a->u.send.off, len);
            engine_tx_done(&r->e, a->source, 1, &r->now, &r->now, &r->out);
            reply(r, a->source, pkt, len, rec);
            sent = 1;
        }
        if (sent)
            return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rig r; /* large: keep it off the stack */
    struct engine_config c;
    int n_src;

    if (size < 4)
        return 0;
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    clock_config_default(&c.clock);
    disc_config_default(&c.disc);
    select_config_default(&c.select);
    if (data[1] & 1) {
        c.disc.makestep_threshold = 0.1;
        c.disc.makestep_limit = -1;
    }
    c.mode = DISC_MODE_NORMAL;
    c.precision = 1e-8;
    c.precision_log2 = -26;
    c.log_mask = ENGINE_LOG_TRACKING | ENGINE_LOG_MEASUREMENTS | ENGINE_LOG_STATISTICS |
                 ENGINE_LOG_SELECTION;
    rng_seed(&r.rng, data[2]);
    r.now.tv_sec = 1700000000;
    r.alter_origin = (data[1] & 32) != 0;
    engine_init(&r.e, &c, &r.rng, &r.now);
    engine_out_init(&r.out);
    engine_start(&r.e, &r.now, 0, 0, 0.0, 0.0, &r.out);
    engine_set_serving(&r.e, (data[1] & 8) != 0);
    n_src = 1 + data[0] % 3;
    for (int i = 0; i < n_src; i++) {
        struct engine_source_params p;
        memset(&p, 0, sizeof(p));
        ntp_client_opts_default(&p.client);
        p.client.minpoll = p.client.maxpoll = (int8_t)data[3] % 4;
        p.client.iburst = (data[1] & 4) != 0;
        if (i == 0 && (data[1] & 2))
            p.client.filter_length = 3;
        if (data[1] & 16)
            p.client.max_delay = 0.05;
        sourcestats_params_default(&p.stats);
        p.ref_id = 0x0a000001u + (uint32_t)i;
        engine_add_source(&r.e, &p, &r.now);
    }
    data += 4;
    size -= 4;
    for (int n = 0; size >= REC_LEN && n < 512; data += REC_LEN, size -= REC_LEN, n++)
        step(&r, data);
    engine_out_fini(&r.out);
    engine_fini(&r.e);
    return 0;
}
