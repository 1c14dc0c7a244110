/* NTP broadcast server (chrony.conf `broadcast`): every interval a mode-5 packet describing
 * the served reference goes from the server socket of the destination's family to the
 * configured address and port. */
#include "daemon/ntp_serve.h"

#include "daemon/config.h"
#include "daemon/reference.h"
#include "daemon/sched.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* chrony: the interval is clamped to 1 s .. 2^MAX_POLL s; every wait is stretched by a
 * random factor of up to 2 % (SAMPLING_RANDOMNESS) and kept a separation away from the
 * other broadcasts (0.2 s at the start, then 2^(poll-3) s within 2 ms .. 0.2 s). */
#define BCAST_MAX_INTERVAL (1 << 24)
#define BCAST_RANDOMNESS 0.02
#define BCAST_MIN_SEPARATION 0.002
#define BCAST_MAX_SEPARATION 0.2

struct serve_bcast {
    struct ntp_serve *serve;
    struct net_addr to;
    int interval; /* s */
    int poll;     /* log2 of the interval, rounded: the packets' poll field */
    uint64_t timer;
};

static void on_bcast_timer(void *arg, const struct timespec *now);

/* Pending broadcast deadline of another destination, the earliest one after `after` s from
 * now (or at it, of a later index than `after_i`), as its time from now; -1 if none. */
static int next_other(const struct ntp_serve *s, const struct serve_bcast *self,
                      const struct timespec *now, double after, size_t after_i, double *diff)
{
    int found = -1;
    for (size_t i = 0; i < s->n_bcasts; i++) {
        struct timespec when;
        double d;
        if (&s->bcasts[i] == self || !sched_pending_when(s->sched, s->bcasts[i].timer, &when))
            continue;
        d = ts_diff(&when, now);
        if (d < after || (d == after && i <= after_i))
            continue;
        if (found < 0 || d < *diff) {
            found = (int)i;
            *diff = d;
        }
    }
    return found;
}

/* chrony's SCH_AddTimeoutInClass for the broadcast class: the interval stretched at random,
 * then moved past every other pending broadcast (in time order) closer than the
 * separation (stretched alike). */
static void bcast_schedule(struct serve_bcast *b, const struct timespec *now, double separation)
{
    struct ntp_serve *s = b->serve;
    const struct env *env = s->env;
    uint32_t rnd = 0;
    double r, delay, diff = 0.0, after = -1e300;
    int i = -1;

    env->random.bytes(env->random.ctx, &rnd, sizeof(rnd));
    r = 1.0 + rnd * (BCAST_RANDOMNESS / (double)UINT32_MAX);
    delay = b->interval * r;
    separation *= r;
    while ((i = next_other(s, b, now, after, (size_t)(i < 0 ? 0 : i), &diff)) >= 0) {
        if (delay > diff ? delay - diff < separation : diff - delay < separation)
            delay = diff + separation;
        after = diff;
    }
    b->timer = sched_add_after(s->sched, now, delay, on_bcast_timer, b);
}

static void bcast_send(struct serve_bcast *b, const struct timespec *now)
{
    struct ntp_serve *s = b->serve;
    const struct env *env = s->env;
    uint8_t pkt[NTP_HEADER_LEN];
    struct ntp_server_ref ref;
    struct timespec raw, tx;
    char ip[IP_ADDR_STRLEN];
    int sock = s->socks[b->to.ip.family == IPF_INET6 ? 1 : 0];
    size_t len;

    ip_addr_format(&b->to.ip, ip, sizeof(ip));
    if (sock < 0) {
        /* chrony: no server socket of that family (port 0, -4/-6): nothing is sent. */
        LOG_DEBUG(env->log, "No socket to send to %s:%d", ip, b->to.port);
        return;
    }
    reference_get_served(s->ref, now, &ref);
    /* The transmit timestamp is read just before sending, as in the replies. */
    env->clock.read(env->clock.ctx, &raw);
    reference_cooked_time(s->ref, &raw, &tx, NULL);
    len = ntp_server_broadcast(&ref, b->poll, &tx, pkt, sizeof(pkt));
    if (!len)
        return;
    /* A failed send is counted and logged for debugging only, as chrony does; the next
     * interval tries again. */
    if (env->net.send(env->net.ctx, sock, &b->to, NULL, pkt, len) < 0) {
        s->send_errors++;
        LOG_DEBUG(env->log, "Could not send broadcast to %s:%d", ip, b->to.port);
    }
}

static void on_bcast_timer(void *arg, const struct timespec *now)
{
    struct serve_bcast *b = arg;
    double sep = ldexp(1.0, b->poll - 3);
    b->timer = 0;
    bcast_send(b, now);
    /* As chrony, the next one is queued after sending. */
    bcast_schedule(b, now,
                   sep < BCAST_MIN_SEPARATION   ? BCAST_MIN_SEPARATION
                   : sep > BCAST_MAX_SEPARATION ? BCAST_MAX_SEPARATION
                                                : sep);
}

void serve_bcast_start(struct ntp_serve *s)
{
    const struct config *cfg = s->cfg;
    struct timespec now;

    if (cfg->n_broadcasts == 0)
        return;
    s->env->clock.read(s->env->clock.ctx, &now);
    s->bcasts = xcalloc(cfg->n_broadcasts, sizeof(*s->bcasts));
    s->n_bcasts = cfg->n_broadcasts;
    for (size_t i = 0; i < cfg->n_broadcasts; i++) {
        const struct broadcast_cfg *c = &cfg->broadcasts[i];
        struct serve_bcast *b = &s->bcasts[i];
        b->serve = s;
        b->to.ip = c->ip;
        b->to.port = (uint16_t)c->port;
        b->interval = c->interval < 1                    ? 1
                      : c->interval > BCAST_MAX_INTERVAL ? BCAST_MAX_INTERVAL
                                                         : c->interval;
        b->poll = (int)lround(log2((double)b->interval));
        /* chrony NIO_OpenServerSocket: the server port is kept open for the broadcasts,
         * whether or not `allow` lets clients in (as for a peer). */
        serve_peer_socket(s, c->ip.family);
        /* The first packet goes one interval after the start. */
        bcast_schedule(b, &now, BCAST_MAX_SEPARATION);
    }
}

void serve_bcast_stop(struct ntp_serve *s)
{
    for (size_t i = 0; i < s->n_bcasts; i++)
        sched_cancel(s->sched, s->bcasts[i].timer);
    free(s->bcasts);
    s->bcasts = NULL;
    s->n_bcasts = 0;
}
