/* NIC hardware timestamps: see hwts.h. */
#include "daemon/hwts.h"

#include "daemon/config.h"
#include "daemon/sched.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/hwts.h"
#include "proto/kdev.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* chrony's limits of the PHC polling interval (log2 s). */
#define MIN_PHC_POLL -6
#define MAX_PHC_POLL 20
/* Largest believable distance (s) between a hardware timestamp and the daemon's or the
 * kernel's (chrony's MAX_TS_DELAY). */
#define MAX_TS_DELAY 1.0

static int clamp_int(int lo, int v, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int hwts_read_phc(const struct env *env, int dev, int nocrossts, int *mode,
                  struct hwclock_reading *r, int max)
{
    const struct env_shm *host = &env->shm;
    struct env_refdev_phc_reading v[KDEV_PTP_MAX_SAMPLES];
    int n = env->refdev.phc_read(env->refdev.ctx, dev, nocrossts, mode, v,
                                 max < KDEV_PTP_MAX_SAMPLES ? max : KDEV_PTP_MAX_SAMPLES);

    for (int i = 0; i < n; i++) {
        r[i].before = v[i].before;
        r[i].after = v[i].after;
        r[i].hw = v[i].phc;
        if (host->from_system) {
            host->from_system(host->ctx, &v[i].before, &r[i].before);
            host->from_system(host->ctx, &v[i].after, &r[i].after);
        }
    }
    return n > 0 ? n : 0;
}

static void on_poll_timer(void *arg, const struct timespec *now);

/* chrony's poll_phc: a burst of readings of the PHC as one sample of it against the system
 * clock, when one is due; the next poll is due within 2^maxpoll s anyway. */
static void poll_phc(struct hwts_iface *in, const struct timespec *now)
{
    struct hwts *h = in->owner;
    struct hwclock_reading r[KDEV_PTP_MAX_SAMPLES];
    struct timespec phc_ts, sys_ts;
    double err;
    int n, speed;

    if (!hwclock_needs_sample(&in->clock, now))
        return;
    LOG_DEBUG(h->env->log, "Polling PHC on %s%s", in->name, in->timer ? " before timeout" : "");
    sched_cancel(h->sched, in->timer);
    in->timer = sched_add_after(h->sched, now, ldexp(1.0, in->maxpoll), on_poll_timer, in);
    n = hwts_read_phc(h->env, in->dev, in->nocrossts, &in->phc_mode, r, KDEV_PTP_MAX_SAMPLES);
    if (n < 1)
        return;
    if (!hwclock_process_readings(&in->clock, r, n, h->precision, &phc_ts, &sys_ts, &err))
        return;
    hwclock_add_sample(&in->clock, &phc_ts, &sys_ts, err);
    speed = h->env->hwts.link_speed ? h->env->hwts.link_speed(h->env->hwts.ctx, in->name) : 0;
    if (speed > 0 && speed != in->opts.link_speed) {
        in->opts.link_speed = speed;
        LOG_DEBUG(h->env->log, "Updated speed of %s to %d Mb/s", in->name, speed);
    }
}

static void on_poll_timer(void *arg, const struct timespec *now)
{
    struct hwts_iface *in = arg;

    in->timer = 0;
    poll_phc(in, now);
}

static struct hwts_iface *find_name(const struct hwts *h, const char *name)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->v[i]->name, name) == 0)
            return h->v[i];
    return NULL;
}

/* chrony's add_interface: 1 if the interface timestamps in hardware now (or already did). */
static int add_interface(struct hwts *h, const struct hwts_cfg *c, const char *name,
                         const struct timespec *now)
{
    const struct env *env = h->env;
    struct env_hwts_info info;
    struct hwts_iface *in;
    char err[256];
    int dev;

    if (find_name(h, name))
        return 1;
    if (!env->hwts.enable || !env->refdev.phc_open || strlen(name) >= sizeof(in->name))
        return 0;
    memset(&info, 0, sizeof(info));
    if (!env->hwts.enable(env->hwts.ctx, name, (int)c->rxfilter, &info))
        return 0;
    dev = env->refdev.phc_open(env->refdev.ctx, name, 0, err, sizeof(err));
    if (dev < 0)
        return 0;
    in = xcalloc(1, sizeof(*in));
    in->owner = h;
    snprintf(in->name, sizeof(in->name), "%s", name);
    in->if_index = info.if_index;
    in->dev = dev;
    in->nocrossts = c->nocrossts;
    /* As chrony: 1 Gb/s and no VLAN tags or IP options until told otherwise. */
    in->opts.link_speed = 1000;
    in->l2_udp4_start = 42;
    in->l2_udp6_start = 62;
    in->opts.rx_comp = c->rx_comp;
    in->opts.tx_comp = c->tx_comp;
    in->minpoll = clamp_int(MIN_PHC_POLL, c->minpoll, MAX_PHC_POLL);
    in->maxpoll = clamp_int(in->minpoll, c->maxpoll, MAX_PHC_POLL);
    hwclock_init(&in->clock, c->min_samples, c->max_samples, ldexp(1.0, in->minpoll), c->precision);
    h->v = xrealloc(h->v, (size_t)(h->n + 1) * sizeof(*h->v));
    h->v[h->n++] = in;
    LOG_INFO(env->log, "Enabled HW timestamping %son %s",
             info.rx_filter == HWTS_FILTER_NONE ? "(TX only) " : "", in->name);
    /* The first sample now: the tracking is ready for the first packets sooner. */
    poll_phc(in, now);
    return 1;
}

int hwts_start(struct hwts *h, const struct timespec *now, char *err, size_t errlen)
{
    const struct config *cfg = h->cfg;

    /* Named interfaces first: one that cannot is fatal (chrony NIO_Linux_Initialise). */
    for (size_t i = 0; i < cfg->n_hwts; i++) {
        const struct hwts_cfg *c = &cfg->hwts[i];
        if (strcmp(c->name, "*") == 0)
            continue;
        if (!add_interface(h, c, c->name, now)) {
            snprintf(err, errlen, "Could not enable HW timestamping on %s", c->name);
            return -1;
        }
    }
    /* The first `*` line: every interface that can, the others silently kept as they are. */
    for (size_t i = 0; i < cfg->n_hwts; i++) {
        const struct hwts_cfg *c = &cfg->hwts[i];
        char **names;
        int n = 0;
        if (strcmp(c->name, "*") != 0)
            continue;
        names = h->env->hwts.list ? h->env->hwts.list(h->env->hwts.ctx, &n) : NULL;
        for (int j = 0; j < n; j++) {
            add_interface(h, c, names[j], now);
            free(names[j]);
        }
        free(names);
        break;
    }
    return 0;
}

void hwts_fini(struct hwts *h)
{
    for (int i = 0; i < h->n; i++) {
        struct hwts_iface *in = h->v[i];
        sched_cancel(h->sched, in->timer);
        if (h->env->refdev.close)
            h->env->refdev.close(h->env->refdev.ctx, in->dev);
        free(in);
    }
    free(h->v);
    h->v = NULL;
    h->n = 0;
}

int hwts_enabled(const struct hwts *h)
{
    return h->n > 0;
}

void hwts_process(struct hwts *h, struct net_rx *rx, const struct timespec *now)
{
    struct hwts_iface *in = NULL;
    struct timespec ts;
    double delay, dur = 0.0;
    int rx_len = rx->tx_ts ? 0 : (int)rx->len;

    (void)now;
    if (ts_is_zero(&rx->hw_ts) || h->n == 0)
        return;
    for (int i = 0; i < h->n && !in; i++)
        if (h->v[i]->if_index == rx->if_index)
            in = h->v[i];
    if (!in) {
        LOG_DEBUG(h->env->log, "HW clock not found for interface %d", rx->if_index);
        return;
    }
    /* A sample is taken with the packet when one is due (chrony polls the PHC here). */
    poll_phc(in, &rx->rx_ts);
    in->opts.l2_udp_start =
        rx->remote.ip.family == IPF_INET6 ? in->l2_udp6_start : in->l2_udp4_start;
    if (!hwclock_cook_packet(&in->clock, &rx->hw_ts, rx_len, rx->l2_len, &in->opts, &ts, NULL,
                             &dur))
        return;
    delay = ts_diff(&rx->rx_ts, &ts);
    if (fabs(delay) > MAX_TS_DELAY) {
        LOG_DEBUG(h->env->log, "Unacceptable timestamp delay %.9f", delay);
        return;
    }
    rx->rx_ts = ts;
    rx->rx_ts_src = RXTS_HW;
    /* chrony: the network correction starts with the frame's duration, so that it stays
     * symmetric with links of different speeds. */
    rx->rx_duration = rx->net_correction = dur;
}

void hwts_on_clock_change(void *arg, const struct timespec *raw_now, double dfreq, double shift)
{
    struct hwts *h = arg;

    for (int i = 0; i < h->n; i++)
        hwclock_slew(&h->v[i]->clock, raw_now, dfreq, shift);
}
