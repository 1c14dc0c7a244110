/* The node's reference clocks (see refclocks.h). */
#include "daemon/refclocks.h"

#include "core/engine.h"
#include "core/refclock.h"
#include "daemon/config.h"
#include "daemon/hwts.h"
#include "daemon/logfiles.h"
#include "daemon/sched.h"
#include "daemon/sources.h"
#include "lib/mem.h"
#include "proto/kdev.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* chrony's name of a refclock without `refid`: the driver's first three letters and the
 * directive's index (two digits from 10 on: "SHM0", "SO12"). */
static uint32_t default_ref_id(const char *driver, size_t index)
{
    unsigned char ref[4] = {0, 0, 0, 0};

    for (size_t i = 0; i < 3 && driver[i]; i++)
        ref[i] = (unsigned char)driver[i];
    ref[3] = (unsigned char)('0' + index % 10);
    if (index >= 10)
        ref[2] = (unsigned char)('0' + (index / 10) % 10);
    return (uint32_t)ref[0] << 24 | (uint32_t)ref[1] << 16 | (uint32_t)ref[2] << 8 | ref[3];
}

/* The value of driver option name in PARAMETER:OPTION[=VALUE]:..., NULL if absent. */
static const char *driver_option(const char *param, const char *name)
{
    size_t len = strlen(name);
    const char *o = strchr(param, ':');

    for (; o; o = strchr(o + 1, ':')) {
        if (strncmp(o + 1, name, len) != 0)
            continue;
        if (o[1 + len] == '=')
            return o + 2 + len;
        if (o[1 + len] == ':' || o[1 + len] == '\0')
            return o + 1 + len;
    }
    return NULL;
}

static void on_extts(void *arg, int dev);

/* chrony's pps_initialise / phc_initialise: the device opened for its edge, a PHC also
 * tracked against the system clock, its external timestamps asked with extpps. Takes base. */
static int open_kernel_device(struct refclocks *r, struct refclock_inst *in,
                              const struct refclock_cfg *rc, char *base, char *err, size_t errlen)
{
    const struct env_refdev *d = &r->env->refdev;
    const char *pin = driver_option(rc->param, "pin"), *chan = driver_option(rc->param, "channel");
    int pps = in->driver == REFCLOCK_DRIVER_PPS;

    in->clear = driver_option(rc->param, "clear") != NULL;
    if (!d->pps_open) {
        snprintf(err, errlen, "refclock driver %s is not compiled in", rc->driver);
        free(base);
        return -1;
    }
    if (pps) {
        in->dev = d->pps_open(d->ctx, base, in->clear, err, errlen);
        free(base);
        return in->dev < 0 ? -1 : 0;
    }
    in->nocrossts = driver_option(rc->param, "nocrossts") != NULL;
    in->extpps = driver_option(rc->param, "extpps") != NULL;
    in->dev = d->phc_open(d->ctx, base, in->extpps, err, errlen);
    free(base);
    if (in->dev < 0)
        return -1;
    if (in->extpps) {
        in->pin = pin ? atoi(pin) : 0;
        in->channel = chan ? atoi(chan) : 0;
        if (d->phc_extts(d->ctx, in->dev, in->pin, in->channel, !in->clear, in->clear, 1, on_extts,
                         in) < 0) {
            snprintf(err, errlen, "Could not enable external PHC timestamping");
            return -1;
        }
    }
    return 0;
}

static void on_rtc(void *arg, int h, int events);

/* chrony's refrtc_initialise: the RTC device read at its update interrupts, or polled when
 * they cannot be enabled. Takes path. */
static int open_rtc(struct refclocks *r, struct refclock_inst *in, const struct refclock_cfg *rc,
                    char *path, char *err, size_t errlen)
{
    const struct env_rtc *d = &r->env->rtc;
    int e = 0;

    if (r->cfg->rtcsync || r->cfg->rtcfile) {
        snprintf(err, errlen, "RTC refclock cannot be used together with rtcsync or rtcfile");
        free(path);
        return -1;
    }
    if (!d->open) {
        snprintf(err, errlen, "refclock driver %s is not compiled in", rc->driver);
        free(path);
        return -1;
    }
    in->rtc = d->open(d->ctx, path, on_rtc, in, &e);
    if (in->rtc < 0) {
        snprintf(err, errlen, "Could not open RTC device %s : %s", path, strerror(e));
        free(path);
        return -1;
    }
    in->rtc_utc = driver_option(rc->param, "utc") != NULL;
    if (d->set_uie(d->ctx, in->rtc, 1, &e) < 0) {
        LOG_ERR(r->env->log, "Could not %s RTC interrupt : %s", "enable", strerror(e));
        LOG_INFO(r->env->log, "Falling back to polling for %s", path);
        in->rtc_polling = 1;
    } else {
        in->rtc_skip = 1;
    }
    free(path);
    return 0;
}

static int open_device(struct refclocks *r, struct refclock_inst *in, const struct refclock_cfg *rc,
                       char *err, size_t errlen)
{
    size_t plen = strcspn(rc->param, ":");
    char *base = xmalloc(plen + 1);

    memcpy(base, rc->param, plen);
    base[plen] = '\0';
    if (in->driver == REFCLOCK_DRIVER_PPS || in->driver == REFCLOCK_DRIVER_PHC)
        return open_kernel_device(r, in, rc, base, err, errlen);
    if (in->driver == REFCLOCK_DRIVER_RTC)
        return open_rtc(r, in, rc, base, err, errlen);
    if (in->driver == REFCLOCK_DRIVER_SHM) {
        const char *perm_s = driver_option(rc->param, "perm");
        int perm = perm_s ? (int)(strtol(perm_s, NULL, 8) & 0777) : 0600;
        int unit = atoi(base);
        free(base);
        if (!r->env->shm.attach) {
            snprintf(err, errlen, "refclock driver %s is not compiled in", "SHM");
            return -1;
        }
        in->shm = r->env->shm.attach(r->env->shm.ctx, REFCLOCK_SHM_KEY + unit,
                                     sizeof(struct refclock_shm_time), perm, err, errlen);
        return in->shm ? 0 : -1;
    }
    in->sock = r->env->net.unix_open(r->env->net.ctx, base, NULL);
    if (in->sock < 0) {
        snprintf(err, errlen, "Could not open socket %s", base);
        free(base);
        return -1;
    }
    in->path = base;
    return 0;
}

static void on_poll(void *arg, const struct timespec *now);

static void log_sample(struct refclock_inst *in, const struct engine_refclock_log *l)
{
    static const char sync_chars[4] = {'N', '+', '-', '?'};
    struct refclocks *r = in->owner;
    char name[8];
    char c = sync_chars[l->leap & 3];

    sources_refid_text(in->ref_id, name, sizeof(name));
    if (!l->filtered)
        logfiles_write(r->logs, r->env, LOGF_REFCLOCKS, &l->when,
                       "%-5s %3d %1c %1d %13.6e %13.6e %10.3e", name, in->driver_polled, c,
                       l->pulse, l->raw_offset, l->cooked_offset, l->dispersion);
    else
        logfiles_write(r->logs, r->env, LOGF_REFCLOCKS, &l->when,
                       "%-5s   - %1c -       -       %13.6e %10.3e", name, c, l->cooked_offset,
                       l->dispersion);
}

static int add_reading(struct refclock_inst *in, const struct refclock_reading *rd,
                       const struct timespec *now)
{
    struct refclocks *r = in->owner;
    const struct env_shm *host = &r->env->shm;
    struct engine_refclock_log l;
    struct refclock_reading m = *rd;
    int index = sources_index(in->src);

    /* The writer read the host's system clock; our clock driver's time may differ
     * (--softclock): the sample's local time, and a pulse's place in the second, move. */
    if (host->from_system) {
        host->from_system(host->ctx, &rd->sys, &m.sys);
        if (m.pulse)
            m.pulse_offset += (double)(m.sys.tv_sec - rd->sys.tv_sec) +
                              1e-9 * (double)(m.sys.tv_nsec - rd->sys.tv_nsec);
    }
    if (index < 0)
        return 0;
    if (!engine_refclock_sample(r->srcs->engine, index, &m, now, &l)) {
        if (l.lost_lock)
            LOG_WARN(r->env->log, "Local refclock lost lock");
        return 0;
    }
    log_sample(in, &l);
    return 1;
}

/* A reading whose times are already our clock driver's. */
static void add_cooked(struct refclock_inst *in, const struct refclock_reading *rd,
                       const struct timespec *now)
{
    struct engine_refclock_log l;
    int index = sources_index(in->src);

    if (index < 0)
        return;
    if (engine_refclock_sample(in->owner->srcs->engine, index, rd, now, &l))
        log_sample(in, &l);
    else if (l.lost_lock)
        LOG_WARN(in->owner->env->log, "Local refclock lost lock");
}

int refclocks_start(struct refclocks *r, const struct timespec *raw_now, char *err, size_t errlen)
{
    const struct config *cfg = r->cfg;

    r->v = cfg->n_refclocks ? xcalloc(cfg->n_refclocks, sizeof(*r->v)) : NULL;
    for (size_t i = 0; i < cfg->n_refclocks; i++) {
        const struct refclock_cfg *rc = &cfg->refclocks[i];
        struct refclock_inst *in = &r->v[r->n];
        struct engine_source_params p;
        struct refclock_params rp;

        if (rc->tai && !cfg->leapseclist && !cfg->leapsectz) {
            snprintf(err, errlen, "refclock tai option requires leapseclist or leapsectz");
            return -1;
        }
        memset(in, 0, sizeof(*in));
        in->owner = r;
        in->cfg_index = i;
        in->sock = -1;
        in->dev = -1;
        in->rtc = -1;
        in->driver = strcmp(rc->driver, "SHM") == 0   ? REFCLOCK_DRIVER_SHM
                     : strcmp(rc->driver, "PPS") == 0 ? REFCLOCK_DRIVER_PPS
                     : strcmp(rc->driver, "PHC") == 0 ? REFCLOCK_DRIVER_PHC
                     : strcmp(rc->driver, "RTC") == 0 ? REFCLOCK_DRIVER_RTC
                                                      : REFCLOCK_DRIVER_SOCK;
        in->poll = rc->poll;
        in->dpoll = rc->dpoll < rc->poll ? rc->dpoll : rc->poll;
        in->ref_id = rc->ref_id ? rc->ref_id : default_ref_id(rc->driver, i);
        if (open_device(r, in, rc, err, errlen) < 0)
            return -1;
        r->n++;
        memset(&rp, 0, sizeof(rp));
        rp.poll = rc->poll;
        rp.dpoll = rc->dpoll;
        rp.driver_polled = in->driver != REFCLOCK_DRIVER_SOCK;
        if (rp.driver_polled && rp.dpoll > rp.poll)
            rp.dpoll = rp.poll;
        rp.filter_length = rc->filter_length;
        rp.pps_forced = rc->pps_forced;
        rp.pps_rate = rc->pps_rate;
        rp.max_lock_age = rc->max_lock_age;
        rp.stratum = rc->stratum;
        rp.tai = rc->tai;
        rp.lock_ref_id = rc->lock_ref_id;
        rp.local = rc->local;
        rp.phc = in->driver == REFCLOCK_DRIVER_PHC;
        rp.offset = rc->offset;
        rp.delay = rc->delay;
        rp.precision = rc->precision;
        rp.max_dispersion = rc->max_dispersion;
        rp.pulse_width = rc->pulse_width;
        in->poll = rp.poll;
        in->dpoll = rp.dpoll;
        memset(&p, 0, sizeof(p));
        ntp_client_opts_default(&p.client);
        p.client.max_unreach = rc->max_unreach;
        sourcestats_params_default(&p.stats);
        p.stats.min_samples = rc->min_samples >= 0 ? rc->min_samples : cfg->minsamples;
        p.stats.max_samples = rc->max_samples >= 0 ? rc->max_samples : cfg->maxsamples;
        p.stats.asymmetry = 0.0; /* chrony: no jitter asymmetry correction for refclocks */
        p.sel_options = (unsigned)rc->sel_options;
        p.ref_id = in->ref_id;
        p.refclock = &rp;
        in->src = sources_add_refclock(r->srcs, &p, raw_now);
    }
    /* chrony warns about a lock to a refid no refclock has (or to itself), and about a
     * maxlockage shorter than the poll of the polled refclock locked to. A local refclock
     * locks to itself, with a maxlockage of at least 3. */
    for (size_t i = 0; i < r->n; i++) {
        const struct refclock_cfg *rc = &cfg->refclocks[r->v[i].cfg_index];
        uint32_t lock = rc->local ? r->v[i].ref_id : rc->lock_ref_id;
        int age = rc->local && rc->max_lock_age < 3 ? 3 : rc->max_lock_age;
        int rate = rc->pps_rate < 1 ? 1 : rc->pps_rate;
        char name[8], name2[8];
        size_t j;
        if (!lock)
            continue;
        for (j = 0; j < r->n && r->v[j].ref_id != lock; j++)
            ;
        if (j < r->n && r->v[i].driver != REFCLOCK_DRIVER_SOCK &&
            r->v[j].driver != REFCLOCK_DRIVER_SOCK &&
            (double)age / rate < ldexp(1.0, r->v[j].dpoll))
            LOG_WARN(r->env->log, "%s maxlockage too small for %s",
                     sources_refid_text(r->v[i].ref_id, name, sizeof(name)),
                     sources_refid_text(r->v[j].ref_id, name2, sizeof(name2)));
        if (j == r->n || (j == i && !rc->local))
            LOG_WARN(r->env->log, "Invalid lock refid %s",
                     sources_refid_text(lock, name, sizeof(name)));
    }
    for (size_t i = 0; i < r->n; i++)
        r->v[i].timer = sched_add_after(r->sched, raw_now, 0.0, on_poll, &r->v[i]);
    return 0;
}

void refclocks_fini(struct refclocks *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct refclock_inst *in = &r->v[i];
        sched_cancel(r->sched, in->timer);
        if (in->shm && r->env->shm.detach)
            r->env->shm.detach(r->env->shm.ctx, (void *)in->shm);
        if (in->sock >= 0)
            r->env->net.close(r->env->net.ctx, in->sock);
        if (in->dev >= 0) {
            const struct env_refdev *d = &r->env->refdev;
            if (in->extpps)
                d->phc_extts(d->ctx, in->dev, in->pin, in->channel, 0, 0, 0, NULL, NULL);
            d->close(d->ctx, in->dev);
        }
        if (in->rtc >= 0) {
            int e = 0;
            if (!in->rtc_polling)
                r->env->rtc.set_uie(r->env->rtc.ctx, in->rtc, 0, &e);
            r->env->rtc.close(r->env->rtc.ctx, in->rtc);
        }
        if (in->path && r->env->files.remove)
            r->env->files.remove(r->env->files.ctx, in->path);
        free(in->path);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

/* chrony's shm_poll: copy the segment, check the handshake, clear valid. */
static void poll_shm(struct refclock_inst *in, const struct timespec *now)
{
    volatile struct refclock_shm_time *shm = in->shm;
    struct refclock_shm_time t;
    struct refclock_reading rd;

    memcpy(&t, (const void *)shm, sizeof(t));
    if (refclock_shm_decode(&t, shm->count, &rd) != REFCLOCK_OK)
        return;
    shm->valid = 0;
    add_reading(in, &rd, now);
}

/* chrony's pps_poll: the newest edge, once, as a pulse at its place in the second. */
static void poll_pps(struct refclock_inst *in, const struct timespec *now)
{
    struct refclocks *r = in->owner;
    const struct env_refdev *d = &r->env->refdev;
    struct refclock_reading rd;
    struct timespec ts;
    uint32_t seq = 0;
    char err[256];
    int got = d->pps_fetch(d->ctx, in->dev, in->clear, &seq, &ts, err, sizeof(err));

    if (got < 0) {
        LOG_ERR(r->env->log, "%s", err);
        return;
    }
    if (!got || seq == in->last_seq) {
        LOG_DEBUG(r->env->log, "PPS sample ignored seq=%lu", (unsigned long)seq);
        return;
    }
    in->last_seq = seq;
    memset(&rd, 0, sizeof(rd));
    rd.sys = ts;
    rd.pulse = 1;
    rd.pulse_offset = 1e-9 * (double)ts.tv_nsec;
    add_reading(in, &rd, now);
}

/* chrony's phc_poll: a burst of readings combined into one sample of the PHC against the
 * system clock; with extpps the sample only keeps the tracking for the edges. */
static void poll_phc(struct refclock_inst *in, const struct timespec *now)
{
    struct refclocks *r = in->owner;
    struct hwclock_reading h[KDEV_PTP_MAX_SAMPLES];
    struct refclock_reading rd;
    struct timespec phc_ts, sys_ts;
    double err;
    int n = hwts_read_phc(r->env, in->dev, in->nocrossts, &in->phc_mode, h, KDEV_PTP_MAX_SAMPLES);

    if (n < 1)
        return;
    /* The engine keeps the PHC's tracking (it follows the clock's changes). */
    if (!engine_refclock_phc_readings(r->srcs->engine, sources_index(in->src), h, n, &phc_ts,
                                      &sys_ts, &err))
        return;
    if (in->extpps)
        return;
    LOG_DEBUG(r->env->log, "PHC offset: %+.9f err: %.9f",
              (double)(phc_ts.tv_sec - sys_ts.tv_sec) +
                  1e-9 * (double)(phc_ts.tv_nsec - sys_ts.tv_nsec),
              err);
    memset(&rd, 0, sizeof(rd));
    rd.sys = sys_ts;
    rd.ref = phc_ts;
    add_cooked(in, &rd, now); /* the system times were mapped above */
}

/* An RTC reading t (whole seconds, already UTC) taken at our raw time sys: the RTC's time
 * is t + frac then. */
static void rtc_sample(struct refclock_inst *in, long long t, long frac, const struct timespec *sys,
                       const struct timespec *now)
{
    struct refclock_reading rd;

    memset(&rd, 0, sizeof(rd));
    rd.sys = *sys;
    rd.ref.tv_sec = (time_t)t;
    rd.ref.tv_nsec = frac;
    add_cooked(in, &rd, now);
}

/* chrony's refrtc_read_after_uie: at an update interrupt the RTC has just begun its second. */
static void on_rtc(void *arg, int h, int events)
{
    struct refclock_inst *in = arg;
    struct refclocks *r = in->owner;
    const struct env_rtc *d = &r->env->rtc;
    struct timespec now;
    long long t;
    int e = 0, st = d->read_edge(d->ctx, h, &e);

    (void)events;
    if (st < 0) {
        /* chrony names the rtcdevice here, as its RTC tracking does */
        LOG_ERR(r->env->log, "Could not read flags %s : %s", r->cfg->rtcdevice, strerror(e));
        if (d->set_uie(d->ctx, h, 0, &e) < 0)
            LOG_ERR(r->env->log, "Could not %s RTC interrupt : %s", "disable", strerror(e));
        d->close(d->ctx, h);
        in->rtc = -1;
        return;
    }
    if (in->rtc_skip > 0) {
        in->rtc_skip--;
        return;
    }
    if (st == 0)
        return;
    r->env->clock.read(r->env->clock.ctx, &now);
    if (d->read_time(d->ctx, h, in->rtc_utc, &t, &e) < 0) {
        LOG_ERR(r->env->log, "Could not read time from %s : %s", r->cfg->rtcdevice, strerror(e));
        return;
    }
    rtc_sample(in, t, 0, &now, &now);
}

/* chrony's refrtc_poll: without interrupts the reading is on average half a second behind. */
static void poll_rtc(struct refclock_inst *in, const struct timespec *now)
{
    const struct env_rtc *d = &in->owner->env->rtc;
    struct timespec sys;
    long long t;
    int e = 0;

    if (!in->rtc_polling || in->rtc < 0)
        return;
    if (d->read_time(d->ctx, in->rtc, in->rtc_utc, &t, &e) < 0)
        return;
    in->owner->env->clock.read(in->owner->env->clock.ctx, &sys);
    rtc_sample(in, t, 500000000, &sys, now);
}

/* Whether two refclocks name the same device (the parameter before its options). */
static int same_device(const char *a, const char *b)
{
    size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
    return la == lb && strncmp(a, b, la) == 0;
}

/* chrony's read_ext_pulse: an edge timestamped by the PHC, as a pulse at the system time
 * the tracking gives it; every extpps refclock of that device and channel takes it. */
static void on_extts(void *arg, int dev)
{
    struct refclock_inst *in0 = arg;
    struct refclocks *r = in0->owner;
    const struct env_refdev *d = &r->env->refdev;
    struct timespec phc_ts, now;
    int channel;

    if (!d->phc_extts_read(d->ctx, dev, &phc_ts, &channel))
        return;
    r->env->clock.read(r->env->clock.ctx, &now);
    for (size_t i = 0; i < r->n; i++) {
        struct refclock_inst *in = &r->v[i];
        struct refclock_reading rd;
        struct timespec local;
        double err;
        if (!in->extpps || in->channel != channel ||
            !same_device(r->cfg->refclocks[in->cfg_index].param,
                         r->cfg->refclocks[in0->cfg_index].param))
            continue;
        if (in->last_extts.tv_sec == phc_ts.tv_sec && in->last_extts.tv_nsec == phc_ts.tv_nsec) {
            LOG_DEBUG(r->env->log, "Ignoring duplicated PHC timestamp");
            continue;
        }
        in->last_extts = phc_ts;
        if (!engine_refclock_phc_time(r->srcs->engine, sources_index(in->src), &phc_ts, &local,
                                      &err))
            continue;
        memset(&rd, 0, sizeof(rd));
        rd.sys = local;
        rd.pulse = 1;
        rd.pulse_offset = 1e-9 * (double)local.tv_nsec;
        add_cooked(in, &rd, &now);
    }
}

static void on_poll(void *arg, const struct timespec *now)
{
    struct refclock_inst *in = arg;
    struct refclocks *r = in->owner;
    int polled = in->driver != REFCLOCK_DRIVER_SOCK, shift = in->poll - in->dpoll;
    double interval = ldexp(1.0, polled ? in->dpoll : in->poll);

    in->timer = 0;
    if (polled) {
        if (in->driver == REFCLOCK_DRIVER_SHM)
            poll_shm(in, now);
        else if (in->driver == REFCLOCK_DRIVER_PPS)
            poll_pps(in, now);
        else if (in->driver == REFCLOCK_DRIVER_RTC)
            poll_rtc(in, now);
        else
            poll_phc(in, now);
        in->driver_polled++;
    }
    if (!polled || in->driver_polled >= (1 << (shift > 30 ? 30 : shift))) {
        struct engine_refclock_log l;
        int index = sources_index(in->src);
        in->driver_polled = 0;
        if (index >= 0) {
            struct engine_out *out = sources_out_begin(r->srcs);
            int have = engine_refclock_poll(r->srcs->engine, index, now, out, &l);
            sources_out_end(r->srcs, now);
            if (have)
                log_sample(in, &l);
        }
    }
    in->timer = sched_add_after(r->sched, now, interval, on_poll, in);
}

int refclocks_on_datagram(struct refclocks *r, const struct net_rx *rx,
                          const struct timespec *raw_now)
{
    if (rx->tx_ts)
        return 0; /* a transmit timestamp of a UDP socket, not a sample */
    for (size_t i = 0; i < r->n; i++) {
        struct refclock_inst *in = &r->v[i];
        struct refclock_reading rd;
        if (in->sock < 0 || in->sock != rx->sock)
            continue;
        if (refclock_sock_decode(rx->data, rx->len, &rd) == REFCLOCK_OK &&
            add_reading(in, &rd, raw_now))
            in->driver_polled++; /* counted for the log, as chrony */
        return 1;
    }
    return 0;
}
