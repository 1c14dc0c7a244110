/* The engine's time smoothing: every clock change reaches core/smooth as chrony's local
 * parameter change handler does (adjustments accumulate, steps reset), leap seconds
 * corrected by the discipline, and chronyc's smoothing commands (see engine.h). */
#include "core/engine_int.h"

#include "lib/ts.h"

static void smooth_log(struct engine *e, enum smooth_event ev, struct engine_out *out)
{
    struct clock_event *le;

    if (ev == SMOOTH_EV_NONE)
        return;
    le = &engine_out_add(out, ENGINE_ACT_EVENT, -1)->u.event;
    le->code = ev == SMOOTH_EV_ACTIVATED ? SMOOTH_EV_LOG_ACTIVATED : SMOOTH_EV_LOG_RESET;
    le->i1 = e->smooth.leap_only;
}

void engine_smooth_change(struct engine *e, const struct clock_change *ch, struct engine_out *out)
{
    enum smooth_event ev = SMOOTH_EV_NONE;

    if (!smooth_enabled(&e->smooth) || e->smooth_hold)
        return;
    if (ch->type == CLOCK_CHANGE_ADJUST) {
        /* The reference's skew after the update decides whether it may activate. */
        ev = smooth_on_adjust(&e->smooth, &ch->cooked, ch->dfreq, ch->doffset, e->disc.skew);
    } else if (ch->type == CLOCK_CHANGE_STEP) {
        /* chrony resets smoothing on every step it makes (not on a jump by someone else). */
        e->smooth_saved = e->smooth;
        ev = smooth_reset(&e->smooth, &ch->cooked);
    }
    smooth_on_clock_change(&e->smooth, &ch->cooked, ch->dfreq, ch->doffset);
    smooth_log(e, ev, out);
}

void engine_smooth_leap(struct engine *e, const struct clock_cmd *cmd,
                        const struct timespec *raw_now, struct engine_out *out)
{
    struct timespec cooked;
    int leap = 0;

    if (!smooth_enabled(&e->smooth))
        return;
    for (int i = 0; i < cmd->n_events; i++)
        if (cmd->events[i].code == DISC_EV_LEAP_SLEW || cmd->events[i].code == DISC_EV_LEAP_STEP)
            leap = e->disc.leap_sec;
    if (!leap)
        return;
    /* The time of the correction, before it is applied. */
    if (cmd->n_changes > 0)
        cooked = cmd->changes[0].cooked;
    else
        engine_cooked_time(e, raw_now, &cooked, NULL);
    smooth_log(e, smooth_on_leap(&e->smooth, &cooked, leap), out);
}

int engine_smooth_enabled(const struct engine *e)
{
    return smooth_enabled(&e->smooth);
}

double engine_smooth_offset(const struct engine *e, const struct timespec *raw_now)
{
    struct timespec cooked;

    if (!smooth_enabled(&e->smooth))
        return 0.0;
    engine_cooked_time(e, raw_now, &cooked, NULL);
    return smooth_get_offset(&e->smooth, &cooked);
}

int engine_smooth_report(const struct engine *e, const struct timespec *raw_now,
                         struct smooth_report *r)
{
    struct timespec cooked;

    engine_cooked_time(e, raw_now, &cooked, NULL);
    return smooth_get_report(&e->smooth, &cooked, r);
}

int engine_smooth_reset(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct timespec cooked;

    if (!smooth_enabled(&e->smooth))
        return 0;
    engine_cooked_time(e, raw_now, &cooked, NULL);
    smooth_log(e, smooth_reset(&e->smooth, &cooked), out);
    return 1;
}

int engine_smooth_activate(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    struct timespec cooked;

    if (!smooth_enabled(&e->smooth))
        return 0;
    engine_cooked_time(e, raw_now, &cooked, NULL);
    smooth_log(e, smooth_activate(&e->smooth, &cooked), out);
    return 1;
}
