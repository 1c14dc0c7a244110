/* Time smoothing on the node's side (smoothtime, core/smooth via the engine): the offset
 * added to the time our NTP server serves, and chronyc's smoothing and smoothtime
 * commands (chrony's cmdmon handle_smoothing and handle_smoothtime). */
#include "daemon/reference.h"

#include "daemon/config.h"
#include "proto/cmdmon.h"

#include <math.h>
#include <string.h>

/* chrony's REQ_SMOOTHTIME_* options and RPY_SMT_FLAG_* flags. */
#define SMOOTHTIME_RESET 0
#define SMOOTHTIME_ACTIVATE 1
#define SMT_FLAG_ACTIVE 0x1u
#define SMT_FLAG_LEAPONLY 0x2u

double reference_smooth_offset(const struct reference *r, const struct timespec *raw_now)
{
    double off = engine_smooth_offset(r->engine, raw_now);

    /* chrony serves smoothed time only when the offset is above the clock's precision. */
    return fabs(off) > r->engine->cfg.precision ? off : 0.0;
}

int reference_smooth_hides_leap(const struct reference *r)
{
    /* chrony's leap smear: with leapsecmode slew the served leap status stays normal. */
    return engine_smooth_enabled(r->engine) && r->cfg->leapsecmode == CFG_LEAP_SLEW;
}

/* The log events of a smoothtime command. */
static void log_events(struct reference *r, const struct engine_out *out)
{
    for (int i = 0; i < out->n; i++)
        if (out->a[i].type == ENGINE_ACT_EVENT)
            reference_log_event(r, &out->a[i].u.event);
}

static int smoothtime(struct reference *r, const struct cmdmon_request *req,
                      const struct timespec *now)
{
    struct engine_out out;
    int ok;

    if (!engine_smooth_enabled(r->engine))
        return CMDMON_STT_NOTENABLED;
    if (req->u.option.option != SMOOTHTIME_RESET && req->u.option.option != SMOOTHTIME_ACTIVATE)
        return CMDMON_STT_INVALID;
    engine_out_init(&out);
    if (req->u.option.option == SMOOTHTIME_RESET)
        ok = engine_smooth_reset(r->engine, now, &out);
    else
        ok = engine_smooth_activate(r->engine, now, &out);
    log_events(r, &out);
    engine_out_fini(&out);
    return ok ? CMDMON_STT_SUCCESS : CMDMON_STT_NOTENABLED;
}

void reference_h_smoothing(struct reference *r, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy)
{
    struct smooth_report rep;
    struct cmdmon_smoothing *o = &rpy->u.smoothing;

    if (req->command == CMDMON_REQ_SMOOTHTIME) {
        rpy->status = (uint16_t)smoothtime(r, req, now);
        return;
    }
    if (!engine_smooth_report(r->engine, now, &rep)) {
        rpy->status = CMDMON_STT_NOTENABLED;
        return;
    }
    rpy->reply = CMDMON_RPY_SMOOTHING;
    memset(o, 0, sizeof(*o));
    o->flags = (rep.active ? SMT_FLAG_ACTIVE : 0) | (rep.leap_only ? SMT_FLAG_LEAPONLY : 0);
    o->offset = rep.offset;
    o->freq_ppm = rep.freq_ppm;
    o->wander_ppm = rep.wander_ppm;
    o->last_update_ago = rep.last_update_ago;
    o->remaining_time = rep.remaining_time;
}
