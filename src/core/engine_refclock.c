/* The engine's reference clocks (chrony's refclock.c without its drivers): a driver's
 * readings become samples with the clock model's correction, checked and put into the
 * source's median filter; at the end of each poll the filter gives one sample to the
 * statistics and selection, and the reachability register moves. Pulses (PPS) are
 * aligned to the second and locked to another refclock's samples (`lock`) or, unlocked,
 * taken only while we are synchronised well enough. Offsets kept in the filter use the
 * engine's sign (positive = local clock fast); refclocks.log uses chrony's. */
#include "core/engine_int.h"
#include "core/ntp_client_int.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* chrony's PPS_LOCK_LIMIT: a locked pulse further than this part of its period from the
 * lock's sample is dropped. */
#define PPS_LOCK_LIMIT 0.4

struct engine_refclock {
    struct refclock_params p;
    struct ntp_filter filter;
    int reached;         /* readings in the current poll (the reachability bit) */
    int leap_status;     /* 0-2 from the driver, 3 before any */
    int pps_active;      /* the last sample was a pulse */
    struct hwclock *phc; /* a PHC's tracking against the cooked system clock, or NULL */
};

struct engine_refclock *engine_refclock_new(const struct engine *e, const struct refclock_params *p)
{
    struct engine_refclock *rc = xcalloc(1, sizeof(*rc));

    rc->p = *p;
    if (rc->p.pps_rate < 1)
        rc->p.pps_rate = 1;
    rc->p.precision = fmax(e->cfg.precision, p->precision);
    if (rc->p.driver_polled && rc->p.dpoll > rc->p.poll)
        rc->p.dpoll = rc->p.poll;
    /* chrony: at least one sample per poll, the 60% of them closest to the median. */
    ntp_filter_init(&rc->filter, 1, p->filter_length, p->max_dispersion, 0.6, e->cfg.precision);
    rc->leap_status = 0;
    if (rc->p.phc) {
        /* chrony: up to 16 samples, one per driver poll. */
        rc->phc = xmalloc(sizeof(*rc->phc));
        hwclock_init(rc->phc, 0, 16, ldexp(1.0, rc->p.dpoll), rc->p.precision);
    }
    if (rc->p.local) {
        /* chrony: a local refclock's readings are pulses locked to its own last sample;
         * it stays unsynchronised (so selection leaves it out), lock at least 3 pulses. */
        rc->p.pps_forced = 1;
        rc->leap_status = 3;
        if (rc->p.max_lock_age < 3)
            rc->p.max_lock_age = 3;
    }
    return rc;
}

void engine_refclock_free(struct engine_refclock *rc)
{
    if (rc) {
        ntp_filter_fini(&rc->filter);
        free(rc->phc);
    }
    free(rc);
}

void engine_refclock_on_change(struct engine_refclock *rc, const struct clock_change *ch)
{
    if (ch->type == CLOCK_CHANGE_UNKNOWN_STEP) {
        ntp_filter_drop(&rc->filter);
        /* chrony drops the last sample too: a local refclock locks to its next pulse
         * afresh instead of losing the lock to a sample from before the jump. */
        if (rc->p.local)
            rc->filter.last = -1;
    } else
        ntp_filter_slew(&rc->filter, &ch->cooked, ch->dfreq, ch->doffset);
    /* hwclock_slew counts dfreq positive when the clock runs faster, a clock_change
     * positive when it runs slower. */
    if (rc->phc)
        hwclock_slew(rc->phc, &ch->cooked, -ch->dfreq, ch->doffset);
}

static struct engine_refclock *rc_at(const struct engine *e, int index)
{
    return index >= 0 && index < e->n ? e->v[index]->rc : NULL;
}

int engine_refclock_phc_readings(struct engine *e, int index, const struct hwclock_reading *r,
                                 int n, struct timespec *phc_ts, struct timespec *sys_raw,
                                 double *err)
{
    struct engine_refclock *rc = rc_at(e, index);
    struct timespec cooked;
    double cook_err;

    if (!rc || !rc->phc ||
        !hwclock_process_readings(rc->phc, r, n, e->cfg.precision, phc_ts, sys_raw, err))
        return 0;
    engine_cooked_time(e, sys_raw, &cooked, &cook_err);
    hwclock_add_sample(rc->phc, phc_ts, &cooked, *err + cook_err);
    return 1;
}

int engine_refclock_phc_time(const struct engine *e, int index, const struct timespec *phc_ts,
                             struct timespec *sys_raw, double *err)
{
    const struct engine_refclock *rc = rc_at(e, index);
    struct timespec cooked;

    if (!rc || !rc->phc || !hwclock_cook(rc->phc, phc_ts, &cooked, err))
        return 0;
    clock_raw_time(&e->clock, &cooked, sys_raw);
    return 1;
}

int engine_refclock_find(const struct engine *e, uint32_t ref_id)
{
    for (int i = 0; i < e->n; i++)
        if (e->v[i]->rc && e->v[i]->ref_id == ref_id)
            return i;
    return -1;
}

int engine_refclock_report_poll(const struct engine *e, int index)
{
    const struct engine_refclock *rc = rc_at(e, index);
    return rc ? rc->p.poll : 0;
}

void engine_refclock_set_offset(struct engine *e, int index, double offset)
{
    struct engine_refclock *rc = rc_at(e, index);
    if (rc)
        rc->p.offset = offset;
}

/* chrony's valid_sample_time: not in the future, not older than two polls. */
static int valid_time(const struct engine_refclock *rc, const struct timespec *cooked_now,
                      const struct timespec *cooked)
{
    double age = ts_diff(cooked_now, cooked);
    return age >= 0.0 && age <= ldexp(1.0, rc->p.poll + 1);
}

/* Into the filter, after chrony's check that sample times increase. */
static int accumulate(struct engine_refclock *rc, const struct timespec *cooked, double offset,
                      double dispersion)
{
    struct ntp_sample s, last;

    rc->reached++;
    if (ntp_filter_count(&rc->filter) > 0 && ntp_filter_get_last(&rc->filter, &last) &&
        ts_cmp(&last.time, cooked) >= 0)
        return 0;
    memset(&s, 0, sizeof(s));
    s.time = *cooked;
    s.offset = offset;
    s.peer_delay = s.root_delay = rc->p.delay;
    s.peer_dispersion = s.root_dispersion = dispersion;
    ntp_filter_accumulate(&rc->filter, &s);
    return 1;
}

static void fill_log(struct engine_refclock_log *log, const struct engine_refclock *rc,
                     const struct timespec *when, int filtered, int pulse, double raw_offset,
                     double offset, double dispersion)
{
    memset(log, 0, sizeof(*log));
    log->when = *when;
    log->filtered = filtered;
    log->pulse = pulse;
    log->leap = rc->leap_status;
    log->raw_offset = raw_offset;
    log->cooked_offset = 0.0 - offset; /* no "-0" in the log */
    log->dispersion = dispersion;
}

/* The TAI - UTC offset at a reference time in TAI (chrony's convert_tai_offset): 0 when
 * the leap second table does not know it. */
static int tai_offset(const struct engine *e, const struct timespec *tai)
{
    int off = 0;

    if (!e->leap_src)
        return 0;
    leapdb_get(&e->leapdb, (int64_t)tai->tv_sec, &off);
    if (!off)
        return 0;
    leapdb_get(&e->leapdb, (int64_t)tai->tv_sec - off, &off);
    return off;
}

static int add_pulse(struct engine *e, int index, const struct timespec *cooked, double second,
                     double dispersion, double correction, const struct timespec *cooked_now,
                     struct engine_refclock_log *log);

int engine_refclock_sample(struct engine *e, int index, const struct refclock_reading *r,
                           const struct timespec *raw_now, struct engine_refclock_log *log)
{
    struct engine_refclock *rc = rc_at(e, index);
    struct timespec cooked, cooked_now;
    double err, correction, raw_offset, offset, dispersion;

    memset(log, 0, sizeof(*log));
    if (!rc)
        return 0;
    engine_cooked_time(e, raw_now, &cooked_now, NULL);
    engine_cooked_time(e, &r->sys, &cooked, &err);
    correction = ts_diff(&cooked, &r->sys);
    if (r->pulse || rc->p.pps_forced) {
        /* The pulse's offset within the second (system - true), corrected as the time. */
        double second =
            r->pulse ? r->pulse_offset : 1e-9 * (double)(r->sys.tv_nsec - r->ref.tv_nsec);
        if (!refclock_time_offset_sane(&r->sys, 0.0))
            return 0;
        return add_pulse(e, index, &cooked, second + correction, err, correction, &cooked_now, log);
    }
    raw_offset = ts_diff(&r->ref, &r->sys);
    dispersion = err + rc->p.precision;
    if (!refclock_time_offset_sane(&r->sys, raw_offset) || !valid_time(rc, &cooked_now, &cooked))
        return 0;
    if (r->leap < 0 || r->leap > 2)
        return 0;
    rc->leap_status = r->leap;
    /* In parts, so that whole seconds do not eat the precision of the fraction. */
    offset =
        ((double)r->ref.tv_sec - (double)r->sys.tv_sec) - trunc(correction) + trunc(rc->p.offset);
    offset += 1e-9 * (double)(r->ref.tv_nsec - r->sys.tv_nsec) - (correction - trunc(correction)) +
              (rc->p.offset - trunc(rc->p.offset));
    if (rc->p.tai) {
        struct timespec tai;
        int off;
        ts_add(&tai, &r->sys, offset);
        off = tai_offset(e, &tai);
        if (!off)
            return 0;
        offset -= off;
    }
    /* offset is chrony's (true - local): the engine's sign is the opposite. */
    if (!accumulate(rc, &cooked, -offset, dispersion))
        return 0;
    rc->pps_active = 0;
    fill_log(log, rc, &cooked, 0, 0, raw_offset, -offset, dispersion);
    return 1;
}

/* The sample of the lock refclock to align a pulse to, in chrony's sign; 0 if none. */
static int lock_sample(const struct engine_refclock *lock, struct ntp_sample *s)
{
    if (!ntp_filter_get_last(&lock->filter, s))
        return 0;
    s->offset = -s->offset;
    s->root_dispersion += sqrt(lock->filter.avg_var);
    return 1;
}

/* chrony: a local refclock whose pulses stopped for longer than maxlockage starts again
 * from its next pulse, its samples and statistics dropped. */
static void local_restart(struct engine *e, int index, struct engine_refclock_log *log)
{
    struct engine_source *s = e->v[index];

    ntp_filter_drop(&s->rc->filter);
    s->rc->filter.last = -1;
    ntp_client_clear_reach(&s->client);
    sourcestats_reset(s->stats);
    select_reset_source(e->sel, index);
    s->stratum = 0;
    s->leap = 3;
    log->lost_lock = 1;
}

static int add_pulse(struct engine *e, int index, const struct timespec *cooked, double second,
                     double dispersion, double correction, const struct timespec *cooked_now,
                     struct engine_refclock_log *log)
{
    struct engine_refclock *rc = e->v[index]->rc;
    int rate = rc->p.pps_rate, leap = 0, lock = -1;
    double offset;

    if (!refclock_time_offset_sane(cooked, second) || !valid_time(rc, cooked_now, cooked))
        return 0;
    dispersion += rc->p.precision;
    offset = refclock_fold_pulse(-second + rc->p.offset, rate);
    if (rc->p.local)
        lock = index;
    else if (rc->p.lock_ref_id)
        lock = engine_refclock_find(e, rc->p.lock_ref_id);
    if (lock == index && !rc->p.local)
        lock = -1;
    if (lock >= 0) {
        const struct engine_refclock *l = e->v[lock]->rc;
        struct ntp_sample ref;
        double diff;
        if (!lock_sample(l, &ref)) {
            if (!rc->p.local)
                return 0;
            /* The first pulse of a local refclock is its own reference. */
            memset(&ref, 0, sizeof(ref));
            ref.time = *cooked;
            ref.offset = offset;
            ref.root_dispersion = sqrt(l->filter.avg_var);
        }
        diff = ts_diff(cooked, &ref.time);
        if (fabs(diff) >= (double)rc->p.max_lock_age / rate) {
            if (rc->p.local)
                local_restart(e, index, log);
            return 0;
        }
        offset += (double)lround((ref.offset - offset) * rate) / rate;
        if (fabs(ref.offset - offset) + ref.root_dispersion + dispersion > PPS_LOCK_LIMIT / rate)
            return 0;
        if (!refclock_pulse_edge_ok(rc->p.pulse_width, rate, ref.offset - offset, 0.0))
            return 0;
        leap = l->leap_status;
    } else {
        struct disc_ntp_state st;
        double distance;
        disc_get_ntp_state(&e->disc, cooked, 0.0, &st);
        distance = fabs(st.root_delay) / 2.0 + st.root_dispersion;
        /* A pulse gives no seconds: without a lock it needs our own time. */
        if ((!st.synchronised && !st.local) || st.leap == 3 || distance >= 0.5 / rate) {
            ntp_filter_drop(&rc->filter);
            return 0;
        }
        if (!refclock_pulse_edge_ok(rc->p.pulse_width, rate, offset, distance))
            return 0;
        leap = 0;
    }
    if (!accumulate(rc, cooked, -offset, dispersion))
        return 0;
    rc->leap_status = leap;
    rc->pps_active = 1;
    fill_log(log, rc, cooked, 0, 1, offset + correction - rc->p.offset, -offset, dispersion);
    return 1;
}

/* chrony's pps_stratum: an unlocked PPS refclock takes the stratum of our reference when
 * that is itself, the local reference, or another unlocked PPS refclock; else 0. */
static int pps_stratum(struct engine *e, int index, const struct timespec *cooked)
{
    struct disc_ntp_state st;
    int ref;

    disc_get_ntp_state(&e->disc, cooked, 0.0, &st);
    if (st.ref_id == e->v[index]->ref_id || st.local)
        return st.stratum - 1;
    ref = engine_refclock_find(e, st.ref_id);
    if (ref >= 0 && e->v[ref]->rc->pps_active && !e->v[ref]->rc->p.lock_ref_id)
        return st.stratum - 1;
    return 0;
}

/* The statistics of a local refclock once it has minsamples samples: 0 before. */
static int local_stats(const struct engine_source *s, struct sourcestats_tracking *t)
{
    if (sourcestats_samples(s->stats) < sourcestats_min_samples(s->stats))
        return 0;
    return sourcestats_get_tracking(s->stats, t);
}

/* chrony's follow_local: the change of the local refclock's offset and frequency that its
 * new sample made is applied to the clock directly, without the fan-out of a reference
 * update (the NTP sources see a steadier clock, the reference update stays theirs); only
 * the refclock's own samples and statistics move with it. Its offset is kept within a
 * second so that it keeps its precision. */
static void follow_local(struct engine *e, int index, const struct sourcestats_tracking *prev,
                         const struct timespec *raw_now, struct engine_out *out)
{
    struct engine_source *s = e->v[index];
    struct sourcestats_tracking cur;
    struct clock_cmd cmd;
    double dfreq, doffset;

    if (!local_stats(s, &cur))
        return;
    dfreq = (cur.frequency - prev->frequency) / (1.0 - prev->frequency);
    doffset = cur.offset - ts_diff(&cur.ref_time, &prev->ref_time) * prev->frequency - prev->offset;
    clock_cmd_init(&cmd);
    if (!disc_adjust_reference(&e->disc, raw_now, doffset, dfreq, &cmd))
        return;
    engine_apply_quiet(e, &cmd, out);
    for (int i = 0; i < cmd.n_changes; i++) {
        const struct clock_change *ch = &cmd.changes[i];
        sourcestats_slew_samples(s->stats, &ch->cooked, ch->dfreq, ch->doffset);
        ntp_filter_slew(&s->rc->filter, &ch->cooked, ch->dfreq, ch->doffset);
    }
    if (fabs(cur.offset) >= 1.0) {
        sourcestats_correct_offset(s->stats, -(double)lround(cur.offset));
        ntp_filter_correct_offset(&s->rc->filter, -(double)lround(cur.offset));
    }
}

int engine_refclock_poll(struct engine *e, int index, const struct timespec *raw_now,
                         struct engine_out *out, struct engine_refclock_log *log)
{
    struct engine_source *s = e->v[index];
    struct engine_refclock *rc = s->rc;
    struct sourcestats_tracking prev;
    struct ntp_sample smp;
    unsigned reach;
    int have_prev = 0;

    if (!rc)
        return 0;
    ntp_client_reach_update(&s->client, rc->reached > 0);
    rc->reached = 0;
    reach = ntp_client_get_reach(&s->client);
    if (!reach) {
        /* chrony reselects when a register is left empty (and ends a special mode that
         * can no longer succeed). */
        engine_check_special_end(e, raw_now, out);
        engine_select(e, -1, raw_now, out);
    }
    if (!ntp_filter_get_sample(&rc->filter, &smp))
        return 0;
    s->stratum = rc->pps_active && !rc->p.lock_ref_id && !rc->p.local
                     ? pps_stratum(e, index, &smp.time)
                     : rc->p.stratum;
    if (s->stratum < 0)
        s->stratum = 0;
    if (rc->p.local) {
        have_prev = local_stats(s, &prev);
        rc->leap_status = 3;
    }
    s->leap = rc->leap_status;
    smp.stratum = s->stratum;
    smp.leap = s->leap;
    fill_log(log, rc, &smp.time, 1, 0, 0.0, smp.offset, smp.peer_dispersion);
    engine_on_sample(e, index, &smp, raw_now, out);
    if (have_prev)
        follow_local(e, index, &prev, raw_now, out);
    engine_check_special_end(e, raw_now, out);
    return 1;
}
