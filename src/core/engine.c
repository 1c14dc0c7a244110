/* The synchronisation engine (see engine.h): the outcome list, the clock model and the
 * discipline, their commands and timers, jump detection. The sources' part is in
 * engine_sources.c. */
#include "core/engine_int.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void engine_out_init(struct engine_out *o)
{
    memset(o, 0, sizeof(*o));
}

void engine_out_clear(struct engine_out *o)
{
    o->n = 0;
    o->pkt_len = 0;
}

void engine_out_fini(struct engine_out *o)
{
    free(o->a);
    free(o->pkt);
    memset(o, 0, sizeof(*o));
}

struct engine_action *engine_out_add(struct engine_out *o, enum engine_act_type type, int source)
{
    struct engine_action *a;

    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->a = xrealloc(o->a, sizeof(*o->a) * (size_t)o->cap);
    }
    a = &o->a[o->n++];
    memset(a, 0, sizeof(*a));
    a->type = type;
    a->source = source;
    return a;
}

uint8_t *engine_out_packet(struct engine_out *o, size_t cap, size_t *off)
{
    if (o->pkt_cap - o->pkt_len < cap) {
        o->pkt_cap = o->pkt_len + cap > 2 * o->pkt_cap ? o->pkt_len + cap : 2 * o->pkt_cap;
        o->pkt = xrealloc(o->pkt, o->pkt_cap);
    }
    *off = o->pkt_len;
    return o->pkt + o->pkt_len;
}

/* A new monotonic epoch (an own step, or a jump of the clock): its ID mixes the epoch
 * count into the start time (splitmix64), so it differs from the last one and from other
 * runs' without drawing from the engine's random numbers. */
static void new_mono_epoch(struct engine *e)
{
    uint64_t z = (e->mono_seed += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    e->mono_epoch = (uint32_t)(z ^ (z >> 32));
    e->mono_offset = 0.0;
}

void engine_init(struct engine *e, const struct engine_config *cfg, struct rng *rng,
                 const struct timespec *raw_now)
{
    struct clock_cmd cmd;
    double freq = clock_freq_from_driver(cfg->driver_freq_ppm);

    assert(rng && cfg->mode != DISC_MODE_IGNORE);
    memset(e, 0, sizeof(*e));
    e->cfg = *cfg;
    e->rng = rng;
    /* The driver's current frequency is the model's starting point; nothing needs to be
     * applied until the drift file is read in engine_start. */
    clock_cmd_init(&cmd);
    clock_init(&e->clock, &cfg->clock, raw_now, isfinite(freq) ? freq : 0.0, &cmd);
    disc_init(&e->disc, &cfg->disc, &e->clock, raw_now);
    if (cfg->mode != DISC_MODE_NORMAL)
        disc_set_mode(&e->disc, cfg->mode);
    e->sel = select_new();
    leapdb_init(&e->leapdb);
    e->leap_period = INT64_MIN;
    /* A start time in ns makes the first epoch differ from the last run's. */
    e->mono_seed = (uint64_t)raw_now->tv_sec * 1000000000u + (uint64_t)raw_now->tv_nsec;
    new_mono_epoch(e);
    e->selected = -1;
    e->pending_replace = -1;
}

void engine_fini(struct engine *e)
{
    for (int i = 0; i < e->n; i++)
        engine_source_free(e->v[i]);
    free(e->v);
    txq_fini(&e->txq);
    free(e->inputs);
    select_free(e->sel);
    leapdb_free(&e->leapdb);
    memset(e, 0, sizeof(*e));
}

void engine_set_log_mask(struct engine *e, unsigned mask)
{
    e->cfg.log_mask = mask;
}

void engine_set_serving(struct engine *e, int serving)
{
    e->serving = serving;
}

void engine_log_tracking(struct engine *e, const struct timespec *raw_now,
                         const struct disc_log_entry *l, int source, struct engine_out *out)
{
    struct engine_action *a;

    if (!l->valid || !(e->cfg.log_mask & ENGINE_LOG_TRACKING))
        return;
    a = engine_out_add(out, ENGINE_ACT_LOG_TRACKING, source);
    a->u.tracking.log = *l;
    engine_cooked_time(e, raw_now, &a->u.tracking.when, NULL);
}

void engine_start(struct engine *e, const struct timespec *raw_now, int have_file, int file_ok,
                  double freq_ppm, double skew_ppm, struct engine_out *out)
{
    struct disc_outcome d;
    struct disc_log_entry l;

    assert(!e->started);
    disc_init_frequency(&e->disc, raw_now, have_file, file_ok, freq_ppm, skew_ppm, &d);
    e->started = 1;
    engine_apply(e, raw_now, &d.cmd, out);
    /* chrony counts clock updates from when its first NTS source exists, after the drift
     * file was read. */
    e->n_clock_changes = 0;
    /* chrony starts smoothing after the initial frequency was set. */
    smooth_init(&e->smooth, &e->cfg.smooth);
    /* chrony's first tracking.log line: the unsynchronised start. */
    disc_unsync_log(&e->disc, raw_now, &l);
    engine_log_tracking(e, raw_now, &l, -1, out);
}

static void adjust_ts(struct timespec *t, const struct clock_change *ch)
{
    ts_add(t, t, ts_diff(&ch->cooked, t) * ch->dfreq - ch->doffset);
}

/* A clock change reaches everything kept in cooked time, and a step the deadlines kept in
 * raw time. */
static void fan_out_change(struct engine *e, const struct clock_change *ch,
                           const struct timespec *raw_now, struct clock_cmd *extra,
                           struct engine_out *out)
{
    if (ch->type != CLOCK_CHANGE_UNKNOWN_STEP)
        e->n_clock_changes++;
    engine_smooth_change(e, ch, out);
    if (ch->type == CLOCK_CHANGE_ADJUST)
        e->mono_offset += ch->doffset;
    else
        new_mono_epoch(e);
    disc_on_clock_change(&e->disc, ch, extra);
    manual_slew(&e->manual, &ch->cooked, ch->dfreq, ch->doffset,
                ch->type == CLOCK_CHANGE_UNKNOWN_STEP);
    for (int i = 0; i < e->n; i++) {
        struct engine_source *s = e->v[i];
        sourcestats_slew_samples(s->stats, &ch->cooked, ch->dfreq, ch->doffset);
        ntp_client_slew_times(&s->client, &ch->cooked, ch->dfreq, ch->doffset);
        if (s->rc)
            engine_refclock_on_change(s->rc, ch);
        if (s->have_tx)
            adjust_ts(&s->tx_cooked, ch);
    }
    if (ch->type != CLOCK_CHANGE_ADJUST)
        engine_sources_on_step(e, ch->doffset);
    if (ch->type == CLOCK_CHANGE_STEP) {
        /* Our own step is no jump: the times the detector compares move with it. */
        if (e->have_last_wake)
            ts_add(&e->last_wake, &e->last_wake, -ch->doffset);
        if (e->have_expected_wake)
            ts_add(&e->expected_wake, &e->expected_wake, -ch->doffset);
        e->own_shift += ch->doffset;
    }
    if (ch->type == CLOCK_CHANGE_UNKNOWN_STEP)
        engine_sources_on_unknown_step(e, raw_now, out);
}

void engine_apply(struct engine *e, const struct timespec *raw_now, struct clock_cmd *cmd,
                  struct engine_out *out)
{
    struct engine_action *a = engine_out_add(out, ENGINE_ACT_CLOCK, -1);
    struct clock_cmd extra;

    assert(cmd->n_changes <= CLOCK_CMD_MAX_CHANGES && cmd->n_events <= CLOCK_CMD_MAX_EVENTS);
    a->u.clock.cmd = *cmd;
    a->u.clock.cmd.n_changes = 0;
    a->u.clock.cmd.n_events = 0;
    for (int i = 0; i < cmd->n_changes; i++) {
        if (cmd->changes[i].type == CLOCK_CHANGE_ADJUST)
            continue;
        a->u.clock.shift += cmd->changes[i].doffset;
        if (cmd->changes[i].type == CLOCK_CHANGE_STEP) {
            a->u.clock.has_step_change = 1;
            a->u.clock.step_change = cmd->changes[i];
        }
    }
    if (cmd->step)
        e->n_steps++;
    clock_cmd_init(&extra);
    engine_smooth_leap(e, cmd, raw_now, out);
    for (int i = 0; i < cmd->n_changes; i++)
        fan_out_change(e, &cmd->changes[i], raw_now, &extra, out);
    if (cmd->dispersion > 0.0)
        for (int i = 0; i < e->n; i++)
            sourcestats_add_dispersion(e->v[i]->stats, cmd->dispersion);
    for (int i = 0; i < cmd->n_events; i++)
        engine_out_add(out, ENGINE_ACT_EVENT, -1)->u.event = cmd->events[i];
    /* Commands from the fan-out (a rescheduled leap second, or an unsynchronised state
     * after an unknown step) have no further changes. */
    if (extra.set_freq || extra.step || extra.set_leap || extra.set_sync || extra.n_events ||
        extra.n_changes)
        engine_apply(e, raw_now, &extra, out);
    e->clock_seq = ++e->seq;
}

void engine_apply_quiet(struct engine *e, const struct clock_cmd *cmd, struct engine_out *out)
{
    struct engine_action *a = engine_out_add(out, ENGINE_ACT_CLOCK, -1);

    a->u.clock.cmd = *cmd;
    a->u.clock.cmd.n_changes = 0;
    a->u.clock.cmd.n_events = 0;
    for (int i = 0; i < cmd->n_changes; i++)
        if (cmd->changes[i].type == CLOCK_CHANGE_ADJUST)
            e->mono_offset += cmd->changes[i].doffset;
    for (int i = 0; i < cmd->n_events; i++)
        engine_out_add(out, ENGINE_ACT_EVENT, -1)->u.event = cmd->events[i];
    e->clock_seq = ++e->seq;
}

void engine_now_since(const struct engine *e, double mark, const struct timespec *raw_now,
                      struct timespec *out)
{
    ts_add(out, raw_now, -(e->own_shift - mark));
}

void engine_step_refused(struct engine *e, struct engine_out *out, int index,
                         const struct timespec *raw_now)
{
    struct engine_clock_act act;
    struct clock_change back;
    struct clock_cmd extra, slew;

    assert(index >= 0 && index < out->n && out->a[index].type == ENGINE_ACT_CLOCK);
    act = out->a[index].u.clock;
    assert(act.cmd.step);
    clock_undo_step(&e->clock, act.cmd.step_offset);
    e->n_steps--;
    for (int i = index + 1; i < out->n && out->a[i].type != ENGINE_ACT_CLOCK; i++)
        if (out->a[i].type == ENGINE_ACT_EVENT && (out->a[i].u.event.code == DISC_EV_STEPPED ||
                                                   out->a[i].u.event.code == DISC_EV_LEAP_STEP ||
                                                   out->a[i].u.event.code == SMOOTH_EV_LOG_RESET))
            out->a[i].type = ENGINE_ACT_NONE;
    if (act.has_step_change) {
        uint64_t changes = e->n_clock_changes;
        back = act.step_change;
        back.doffset = -back.doffset;
        clock_cmd_init(&extra);
        /* chrony resets smoothing only when the step was made. */
        e->smooth_hold = 1;
        fan_out_change(e, &back, raw_now, &extra, out);
        /* chrony counts only the steps the driver made: neither this one nor its undoing */
        e->n_clock_changes = changes > 0 ? changes - 1 : 0;
        e->smooth_hold = 0;
        if (smooth_enabled(&e->smooth))
            e->smooth = e->smooth_saved;
    }
    clock_cmd_init(&slew);
    if (act.slew_if_refused &&
        clock_accumulate_offset(&e->clock, raw_now, act.cmd.step_offset, 0.0, &slew))
        engine_apply(e, raw_now, &slew, out);
}

void engine_set_leapdb(struct engine *e, struct leapdb *db, int is_list)
{
    leapdb_free(&e->leapdb);
    e->leapdb = *db;
    leapdb_init(db);
    e->leap_src = is_list ? 1 : 2;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The table's leap second at the end of the UTC day of cooked_now and TAI - UTC (none and
 * 0 without a table). As chrony's leap second database, the table is read again in every
 * new 12-hour period (the reload takes effect from the next update) and an expired list
 * is warned about at each reading. */
static int leap_today(struct engine *e, const struct timespec *raw_now, int *tai_offset,
                      struct engine_out *out)
{
    struct timespec cooked;
    int64_t period;

    *tai_offset = 0;
    if (!e->leap_src)
        return DISC_LEAP_NORMAL;
    engine_cooked_time(e, raw_now, &cooked, NULL);
    period = floor_div((int64_t)cooked.tv_sec, 12 * 3600);
    if (period != e->leap_period) {
        if (e->leap_period != INT64_MIN)
            engine_out_add(out, ENGINE_ACT_LEAP_RELOAD, -1);
        e->leap_period = period;
        if (e->leap_src == 1 && e->leapdb.expiry && cooked.tv_sec >= e->leapdb.expiry)
            engine_out_add(out, ENGINE_ACT_LEAP_LIST_EXPIRED, -1);
    }
    return leapdb_get(&e->leapdb, cooked.tv_sec, tai_offset);
}

void engine_update(struct engine *e, const struct timespec *raw_now,
                   const struct select_reference *ref, int ref_source, struct engine_out *out)
{
    struct disc_update u;
    struct disc_outcome d;
    struct engine_action *a;
    int first;

    memset(&u, 0, sizeof(u));
    u.stratum = ref->stratum;
    u.leap = ref->leap;
    u.combined = ref->combined;
    u.ref_id = ref->ref_id;
    u.ref_time = ref->ref_time;
    u.offset = ref->offset;
    u.offset_sd = ref->offset_sd;
    u.frequency = ref->frequency;
    u.frequency_sd = ref->frequency_sd;
    u.skew = ref->skew;
    u.root_delay = ref->root_delay;
    u.root_dispersion = ref->root_dispersion;
    u.ref_time_fuzz = rng_uniform(e->rng);
    u.db_leap = leap_today(e, raw_now, &u.db_tai_offset, out);
    disc_update(&e->disc, raw_now, &u, &d);
    if (d.verdict == DISC_MODE_DONE) {
        engine_mode_done(e, raw_now, &d, out);
        return;
    }
    if (d.verdict == DISC_APPLIED)
        e->n_updates++;
    first = out->n;
    engine_apply(e, raw_now, &d.cmd, out);
    /* chrony slews the offset of a makestep step the driver refuses. */
    if (d.verdict == DISC_APPLIED && d.cmd.step)
        out->a[first].u.clock.slew_if_refused = 1;
    engine_log_tracking(e, raw_now, &d.log, ref_source, out);
    if (d.write_drift) {
        a = engine_out_add(out, ENGINE_ACT_DRIFT, -1);
        a->u.drift.freq_ppm = d.drift_freq_ppm;
        a->u.drift.skew_ppm = d.drift_skew_ppm;
    }
    if (d.verdict == DISC_EXIT_MAXCHANGE)
        engine_out_add(out, ENGINE_ACT_QUIT, -1);
}

void engine_mode_done(struct engine *e, const struct timespec *raw_now, struct disc_outcome *d,
                      struct engine_out *out)
{
    struct engine_action *a;

    /* chrony logs the result before it corrects the clock (a refused step follows it). */
    for (int i = 0; i < d->cmd.n_events; i++)
        engine_out_add(out, ENGINE_ACT_EVENT, -1)->u.event = d->cmd.events[i];
    d->cmd.n_events = 0;
    engine_apply(e, raw_now, &d->cmd, out);
    if (d->ended_mode == DISC_MODE_INIT_STEP_SLEW) {
        /* initstepslew: the daemon goes on to normal operation */
        a = engine_out_add(out, ENGINE_ACT_INIT_END, -1);
    } else {
        /* -q/-Q: the one measurement is made (and logged): exit */
        a = engine_out_add(out, ENGINE_ACT_QUIT, -1);
        a->u.quit.mode_done = 1;
    }
    a->u.quit.exit_status = d->mode_result ? 0 : 1;
}

void engine_set_normal_mode(struct engine *e)
{
    disc_set_mode(&e->disc, DISC_MODE_NORMAL);
}

int engine_special_mode(const struct engine *e)
{
    return e->disc.mode != DISC_MODE_NORMAL;
}

void engine_unsynchronise(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct disc_outcome d;

    disc_set_unsynchronised(&e->disc, raw_now, &d);
    if (d.verdict == DISC_MODE_DONE) {
        engine_mode_done(e, raw_now, &d, out);
        return;
    }
    engine_apply(e, raw_now, &d.cmd, out);
    engine_log_tracking(e, raw_now, &d.log, -1, out);
}

void engine_update_leap(struct engine *e, const struct timespec *raw_now, int leap,
                        struct engine_out *out)
{
    struct disc_outcome d;

    disc_update_leap(&e->disc, raw_now, leap, &d);
    engine_apply(e, raw_now, &d.cmd, out);
}

int engine_make_step(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct clock_cmd cmd;

    clock_cmd_init(&cmd);
    if (!clock_make_step(&e->clock, raw_now, &cmd))
        return 0;
    engine_apply(e, raw_now, &cmd, out);
    return 1;
}

void engine_accumulate_freq(struct engine *e, const struct timespec *raw_now, double dfreq_ppm,
                            struct engine_out *out)
{
    struct clock_cmd cmd;

    clock_cmd_init(&cmd);
    clock_accumulate_freq(&e->clock, raw_now, dfreq_ppm * 1e-6, &cmd);
    engine_apply(e, raw_now, &cmd, out);
}

int engine_accumulate_offset(struct engine *e, const struct timespec *raw_now, double doffset,
                             struct engine_out *out)
{
    struct clock_cmd cmd;

    clock_cmd_init(&cmd);
    if (!clock_accumulate_offset(&e->clock, raw_now, doffset, 0.0, &cmd))
        return 0;
    engine_apply(e, raw_now, &cmd, out);
    return 1;
}

void engine_set_local(struct engine *e, int enabled, int stratum, int orphan, double distance,
                      double activate, double wait_synced, double wait_unsynced)
{
    disc_set_local(&e->disc, enabled, stratum, orphan, distance);
    if (enabled) {
        e->disc.cfg.local_activate = activate;
        e->disc.cfg.local_wait_synced = wait_synced;
        e->disc.cfg.local_wait_unsynced = wait_unsynced;
    }
}

void engine_set_temp_comp(struct engine *e, const struct timespec *raw_now, double comp_ppm,
                          struct engine_out *out)
{
    struct clock_cmd cmd;

    clock_cmd_init(&cmd);
    clock_set_temp_comp(&e->clock, raw_now, comp_ppm, &cmd);
    if (cmd.set_freq)
        engine_apply(e, raw_now, &cmd, out);
}

void engine_manual_enable(struct engine *e, int enabled)
{
    e->manual.enabled = enabled != 0;
}

int engine_manual_enabled(const struct engine *e)
{
    return e->manual.enabled;
}

void engine_manual_reset(struct engine *e)
{
    manual_reset(&e->manual);
}

const struct manual *engine_manual(const struct engine *e)
{
    return &e->manual;
}

/* chrony's REF_SetManualReference from the samples' estimate, with its skew of 0.1
 * (all nines in tracking.log). */
static void manual_update(struct engine *e, const struct timespec *raw_now,
                          const struct manual_estimate *est, struct engine_out *out)
{
    struct timespec now;
    struct disc_outcome d;
    struct engine_action *a = engine_out_add(out, ENGINE_ACT_MANUAL, -1);

    a->u.manual.have_frequency = est->have_frequency;
    a->u.manual.freq_ppm = est->frequency * 1e6;
    a->u.manual.slew = est->offset;
    engine_cooked_time(e, raw_now, &now, NULL);
    disc_update_manual(&e->disc, raw_now, &now, est->offset, est->frequency, 0.099999999, &d);
    engine_apply(e, raw_now, &d.cmd, out);
    engine_log_tracking(e, raw_now, &d.log, -1, out);
}

int engine_manual_settime(struct engine *e, const struct timespec *raw_now,
                          const struct timespec *ts, double *offset, double *dfreq_ppm,
                          double *new_afreq_ppm, struct engine_out *out)
{
    struct manual_estimate est;
    struct timespec now;

    engine_cooked_time(e, raw_now, &now, NULL);
    if (!manual_accept(&e->manual, &now, ts, &est))
        return 0;
    manual_update(e, raw_now, &est, out);
    *offset = est.fitted_offset;
    *dfreq_ppm = est.frequency * 1e6;
    *new_afreq_ppm = clock_get_freq_ppm(&e->clock);
    return 1;
}

int engine_manual_delete(struct engine *e, int index, const struct timespec *raw_now,
                         struct engine_out *out)
{
    struct manual_estimate est;

    if (!manual_delete(&e->manual, index, &est))
        return 0;
    manual_update(e, raw_now, &est, out);
    return 1;
}

void engine_set_max_update_skew(struct engine *e, double skew_ppm)
{
    disc_set_max_update_skew(&e->disc, skew_ppm);
}

void engine_set_makestep(struct engine *e, int limit, double threshold)
{
    disc_set_makestep(&e->disc, limit, threshold);
}

int engine_set_reselect_distance(struct engine *e, double distance)
{
    /* Used from the next selection run on; chrony does not reselect at once. */
    if (e->cfg.select.reselect_distance == distance)
        return 0;
    e->cfg.select.reselect_distance = distance;
    return 1;
}

/* Raw deadline of the discipline's timer (kept in cooked time). */
static int disc_timer_raw(const struct engine *e, struct timespec *when)
{
    struct timespec cooked;

    if (!disc_next_timer(&e->disc, &cooked))
        return 0;
    clock_raw_time(&e->clock, &cooked, when);
    return 1;
}

/* The earliest timer: -2 the clock model's, -1 the discipline's, else a source's index. */
static int earliest(const struct engine *e, struct timespec *when)
{
    const struct txq_entry *first = txq_first(&e->txq);
    struct timespec d;
    uint64_t seq = e->clock_seq;
    int which = -2, c;

    clock_next_timer(&e->clock, when);
    if (disc_timer_raw(e, &d) && ts_cmp(&d, when) < 0) {
        *when = d;
        which = -1;
    }
    /* The queue's first is the armed source with the earliest (tx_when, tx_seq). */
    if (first && ((c = ts_cmp(&first->when, when)) < 0 || (c == 0 && first->seq < seq))) {
        const struct engine_source *s = first->item;
        *when = first->when;
        which = s->index;
    }
    return which;
}

int engine_next_timer(const struct engine *e, struct timespec *raw_when)
{
    if (!e->started)
        return 0;
    (void)earliest(e, raw_when);
    return 1;
}

int engine_due_source(const struct engine *e, const struct timespec *raw_now)
{
    struct timespec when;
    int which;

    if (!e->started)
        return -1;
    which = earliest(e, &when);
    return which >= 0 && ts_cmp(&when, raw_now) <= 0 ? which : -1;
}

int engine_on_timer(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct timespec when;
    struct clock_cmd cmd;
    struct disc_outcome d;
    int which;

    if (!e->started)
        return 0;
    which = earliest(e, &when);
    if (ts_cmp(&when, raw_now) > 0)
        return 0;
    if (which >= 0) {
        engine_source_transmit(e, which, raw_now, out);
    } else if (which == -2) {
        clock_cmd_init(&cmd);
        clock_on_timer(&e->clock, raw_now, &cmd);
        engine_apply(e, raw_now, &cmd, out);
    } else {
        disc_on_timer(&e->disc, raw_now, &d);
        engine_apply(e, raw_now, &d.cmd, out);
    }
    return 1;
}

void engine_expect_wake(struct engine *e, const struct timespec *when)
{
    e->expected_wake = *when;
    e->have_expected_wake = 1;
}

int engine_on_wake(struct engine *e, const struct timespec *now, struct engine_out *out)
{
    struct clock_cmd cmd;
    double jump = 0.0;
    int dir = 0;

    if (e->have_last_wake && ts_diff(now, &e->last_wake) < -ENGINE_JUMP_THRESHOLD) {
        /* chrony measures the time spent in select() (the whole timeout when it expired)
         * and takes the jump as the difference from the expected reading. The loop does
         * not say why it woke up: assume the timeout expired, the usual case for an idle
         * daemon. If a datagram woke it earlier, this overestimates the jump and moves the
         * timers earlier, never later. */
        jump = e->have_expected_wake && ts_diff(&e->expected_wake, &e->last_wake) >= 0.0
                   ? ts_diff(now, &e->expected_wake)
                   : ts_diff(now, &e->last_wake);
        dir = -1;
    } else if (e->have_expected_wake && ts_diff(now, &e->expected_wake) > ENGINE_JUMP_THRESHOLD) {
        jump = ts_diff(now, &e->expected_wake);
        dir = 1;
    }
    e->last_wake = *now;
    e->have_last_wake = 1;
    e->have_expected_wake = 0;
    if (jump != 0.0 && e->started) {
        /* The change's doffset is positive when time moved back: -jump. */
        clock_cmd_init(&cmd);
        clock_notify_unknown_step(&e->clock, now, -jump, fabs(jump), &cmd);
        engine_apply(e, now, &cmd, out);
    }
    return jump != 0.0 ? dir : 0;
}

void engine_cooked_time(const struct engine *e, const struct timespec *raw, struct timespec *cooked,
                        double *err)
{
    clock_cooked_time(&e->clock, raw, cooked, err);
}

double engine_base_freq_ppm(const struct engine *e)
{
    return e->clock.base_freq_ppm;
}

double engine_remaining_offset(const struct engine *e, const struct timespec *raw)
{
    return clock_remaining_offset(&e->clock, raw);
}

const struct discipline *engine_discipline(const struct engine *e)
{
    return &e->disc;
}

static void get_served(struct engine *e, const struct timespec *raw_now,
                       struct ntp_server_ref *ref);

void engine_get_served(struct engine *e, const struct timespec *raw_now, struct ntp_server_ref *ref)
{
    get_served(e, raw_now, ref);
    ref->mono_valid = 1;
    ref->mono_offset = e->mono_offset;
    ref->mono_epoch = e->mono_epoch;
}

static void get_served(struct engine *e, const struct timespec *raw_now, struct ntp_server_ref *ref)
{
    const struct discipline *d = &e->disc;
    struct disc_ntp_state st;
    struct timespec now;
    double rate;
    int prec = e->cfg.precision_log2;

    engine_cooked_time(e, raw_now, &now, NULL);
    disc_get_ntp_state(&e->disc, &now, 0.0, &st);
    memset(ref, 0, sizeof(*ref));
    ref->precision_log2 = prec;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
    if (!st.synchronised && !st.local) {
        ntp_server_ref_unsynchronised(ref, prec);
        return;
    }
    if (st.local) {
        ntp_server_ref_local(ref, st.stratum, &now, prec);
        /* The discipline's local reference time, refreshed every 64 s as chrony's: a
         * daemon polling itself sees its own reference in the reply (test D). */
        ref->ref_time = st.ref_time;
        return;
    }
    rate = d->skew + fabs(d->residual_freq) + clock_max_clock_error(&e->clock);
    ref->leap = st.leap;
    ref->stratum = st.stratum;
    ref->ref_id = st.ref_id;
    ref->ref_time = st.ref_time;
    ref->root_delay = st.root_delay;
    /* The responder grows the dispersion from ref_time itself. */
    ref->root_dispersion = st.root_dispersion - fabs(ts_diff(&now, &st.ref_time)) * rate;
    if (ref->root_dispersion < 0.0)
        ref->root_dispersion = 0.0;
    ref->root_dispersion_rate = rate;
}

void engine_get_tracking(struct engine *e, const struct timespec *raw_now,
                         struct disc_tracking *out)
{
    disc_get_tracking(&e->disc, raw_now, rng_uniform(e->rng), out);
}
