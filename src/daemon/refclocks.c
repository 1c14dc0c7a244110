/* The node's reference clocks (see refclocks.h). */
#include "daemon/refclocks.h"

#include "core/engine.h"
#include "core/refclock.h"
#include "daemon/config.h"
#include "daemon/logfiles.h"
#include "daemon/sched.h"
#include "daemon/sources.h"
#include "lib/mem.h"

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

static int open_device(struct refclocks *r, struct refclock_inst *in, const struct refclock_cfg *rc,
                       char *err, size_t errlen)
{
    size_t plen = strcspn(rc->param, ":");
    char *base = xmalloc(plen + 1);

    memcpy(base, rc->param, plen);
    base[plen] = '\0';
    if (in->driver == REFCLOCK_DRIVER_SHM) {
        const char *perm_s = driver_option(rc->param, "perm");
        int perm = perm_s ? (int)(strtol(perm_s, NULL, 8) & 0777) : 0600;
        int unit = atoi(base);
        free(base);
        if (!r->env->shm.attach) {
            snprintf(err, errlen, "refclock driver %s is not supported by this build", "SHM");
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
    if (index < 0 || !engine_refclock_sample(r->srcs->engine, index, &m, now, &l))
        return 0;
    log_sample(in, &l);
    return 1;
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
        in->driver = strcmp(rc->driver, "SHM") == 0 ? REFCLOCK_DRIVER_SHM : REFCLOCK_DRIVER_SOCK;
        in->ref_id = rc->ref_id ? rc->ref_id : default_ref_id(rc->driver, i);
        if (open_device(r, in, rc, err, errlen) < 0)
            return -1;
        r->n++;
        memset(&rp, 0, sizeof(rp));
        rp.poll = rc->poll;
        rp.dpoll = rc->dpoll;
        rp.driver_polled = in->driver == REFCLOCK_DRIVER_SHM;
        if (rp.driver_polled && rp.dpoll > rp.poll)
            rp.dpoll = rp.poll;
        rp.filter_length = rc->filter_length;
        rp.pps_forced = rc->pps_forced;
        rp.pps_rate = rc->pps_rate;
        rp.max_lock_age = rc->max_lock_age;
        rp.stratum = rc->stratum;
        rp.tai = rc->tai;
        rp.lock_ref_id = rc->lock_ref_id;
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
    /* chrony warns about a lock to a refid no refclock has (or to itself). */
    for (size_t i = 0; i < r->n; i++) {
        const struct refclock_cfg *rc = &cfg->refclocks[r->v[i].cfg_index];
        char name[8];
        int found = 0;
        if (!rc->lock_ref_id)
            continue;
        for (size_t j = 0; j < r->n; j++)
            found |= j != i && r->v[j].ref_id == rc->lock_ref_id;
        if (!found)
            LOG_WARN(r->env->log, "Invalid lock refid %s",
                     sources_refid_text(rc->lock_ref_id, name, sizeof(name)));
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

static void on_poll(void *arg, const struct timespec *now)
{
    struct refclock_inst *in = arg;
    struct refclocks *r = in->owner;
    int polled = in->driver == REFCLOCK_DRIVER_SHM, shift = in->poll - in->dpoll;
    double interval = ldexp(1.0, polled ? in->dpoll : in->poll);

    in->timer = 0;
    if (polled) {
        poll_shm(in, now);
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
