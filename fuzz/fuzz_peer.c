/* Fuzz target: the symmetric mode exchange (src/core/ntp_client_peer.c and the response
 * path of src/core/ntp_client_rx.c): two peer associations A and B whose packets travel
 * through a network the input controls (delays, order, loss, replays, altered bytes).
 *
 * Input: 4 bytes of set-up (A's clock offset in ms (signed), the strata, option bits:
 * bit 0 interleaved (xleave), bit 1 minpoll -2 instead of 0), then records of 4 bytes:
 *   op 0-1: A (op 0) or B (op 1) transmits now;
 *   op 2-3: the other peer receives one of the last 4 packets of A (op 2) or B (op 3)
 *           (arg 1 % 4: which, 0 = the newest); arg 2 odd: one byte changed first
 *           (position arg 3, xor mask arg 2 | 1);
 *   op 4: true time moves on by arg 1 | arg 2 << 8 in 100 us;
 *   op 5: A's clock is corrected by arg 1 (signed) in ms (slew of its timestamps).
 * Every record first moves time on by arg 3 % 16 in 100 us.
 * Oracle: no crash or sanitizer report; a verdict in the enum; a good sample is finite
 * with a non-negative delay; in basic mode, before any correction, a good sample of an
 * unaltered packet is within half its delay of the true offset between the clocks
 * (timestamps are genuine, so the error is at most the delay asymmetry). */
#include "core/ntp_client.h"
#include "core/ntp_server.h"
#include "lib/rng.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HIST 4

struct fpeer {
    struct ntp_client c;
    double clock_off; /* s, this clock minus true time */
    int stratum;
    uint8_t pkt[HIST][NTP_MAX_PACKET_LEN];
    size_t len[HIST];
    int newest;
    struct timespec tx; /* local time the last packet left */
};

static const struct timespec base = {1700000000, 0};
static const struct ntp_client_params params = {1e-7, 1e-6};

static struct timespec local_at(const struct fpeer *p, double t)
{
    struct timespec r;
    ts_add(&r, &base, t + p->clock_off);
    return r;
}

static void init_peer(struct fpeer *p, double off, int stratum, int xleave, int minpoll)
{
    struct ntp_client_opts o;
    struct timespec t0 = base;

    memset(p, 0, sizeof(*p));
    ntp_client_opts_default(&o);
    o.symmetric = 1;
    o.interleaved = xleave;
    o.minpoll = o.maxpoll = minpoll;
    ntp_client_init(&p->c, &o, &params);
    ntp_client_start(&p->c, &t0);
    p->clock_off = off;
    p->stratum = stratum;
    ntp_client_set_our_stratum(&p->c, stratum);
}

static void transmit(struct fpeer *p, double t, struct rng *rng)
{
    struct ntp_server_ref ref;
    struct timespec now = local_at(p, t);
    uint8_t buf[NTP_MAX_PACKET_LEN];
    size_t len = ntp_client_on_timer(&p->c, &now, rng, buf, sizeof(buf), NULL);

    if (!len)
        return;
    ntp_server_ref_local(&ref, p->stratum, &now, -20);
    len = ntp_client_peer_finish(&p->c, buf, len, sizeof(buf), &ref, &now);
    if (!len)
        return;
    if (len > sizeof(buf))
        abort();
    p->tx = now;
    p->newest = (p->newest + 1) % HIST;
    memcpy(p->pkt[p->newest], buf, len);
    p->len[p->newest] = len;
}

static void receive(struct fpeer *to, const struct fpeer *from, double t, const uint8_t *a,
                    int check_bound)
{
    uint8_t buf[NTP_MAX_PACKET_LEN];
    struct ntp_client_result res;
    struct timespec rx = local_at(to, t);
    int which = (from->newest - a[1] % HIST + HIST) % HIST, altered = a[2] & 1;
    size_t len = from->len[which];
    enum ntp_client_verdict v;

    if (!len)
        return;
    memcpy(buf, from->pkt[which], len);
    if (altered)
        buf[a[3] % len] ^= (uint8_t)(a[2] | 1);
    memset(&res, 0xa5, sizeof(res));
    v = ntp_client_on_response(&to->c, buf, len, &rx, &to->tx, NULL, &res);
    if ((unsigned)v >= NTP_CLIENT_N_VERDICTS || !ntp_client_verdict_name(v))
        abort();
    if (v != NTP_CLIENT_GOOD)
        return;
    if (!res.valid || !res.good)
        abort();
    if (!res.has_sample)
        return;
    if (!isfinite(res.sample.offset) || !isfinite(res.sample.peer_delay) ||
        !isfinite(res.sample.root_delay) || !isfinite(res.sample.peer_dispersion) ||
        res.sample.peer_delay < 0.0)
        abort();
    if (check_bound && !altered) {
        double truth = to->clock_off - from->clock_off;
        if (fabs(res.sample.offset - truth) > res.sample.peer_delay / 2.0 + 1e-5)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fpeer a, b; /* large: keep them off the stack */
    struct rng rng;
    double t = 1.0;
    int xleave, slewed = 0;

    if (size < 4)
        return 0;
    xleave = data[3] & 1;
    init_peer(&a, (int8_t)data[0] * 1e-3, 1 + data[1] % 15, xleave, (data[3] & 2) ? -2 : 0);
    init_peer(&b, 0.0, 1 + data[2] % 15, xleave, (data[3] & 2) ? -2 : 0);
    rng_seed(&rng, data[3]);
    data += 4;
    size -= 4;
    for (; size >= 4; data += 4, size -= 4) {
        t += (data[3] % 16) * 1e-4;
        switch (data[0] % 6) {
        case 0:
            transmit(&a, t, &rng);
            break;
        case 1:
            transmit(&b, t, &rng);
            break;
        case 2:
            receive(&b, &a, t, data, !xleave && !slewed);
            break;
        case 3:
            receive(&a, &b, t, data, !xleave && !slewed);
            break;
        case 4:
            t += (data[1] | data[2] << 8) * 1e-4;
            break;
        default: {
            struct timespec when = local_at(&a, t);
            double doff = (int8_t)data[1] * 1e-3;
            ntp_client_slew_times(&a.c, &when, 0.0, doff);
            a.clock_off -= doff;
            slewed = 1;
            break;
        }
        }
    }
    ntp_client_fini(&a.c);
    ntp_client_fini(&b.c);
    return 0;
}
