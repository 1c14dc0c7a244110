/* The RTC driver (see rtc.h). Messages are chrony's (rtc.c, rtc_linux.c). */
#include "daemon/rtc.h"

#include "core/engine.h"
#include "daemon/config.h"
#include "daemon/env.h"
#include "daemon/logfiles.h"
#include "daemon/reference.h"
#include "daemon/sched.h"
#include "daemon/sources.h"
#include "proto/cmdmon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *err_text(int e)
{
    return strerror(e);
}

/* rtconutc, then the LOCAL/UTC line of hwclockfile when it has one. */
static void read_setup(struct rtc *r)
{
    const char *path = r->cfg->hwclockfile;
    char *text;
    size_t len = 0;

    r->utc = r->cfg->rtconutc;
    if (!path || !*path)
        return;
    text = r->env->files.read_all(r->env->files.ctx, path, &len);
    if (!text)
        return;
    switch (rtc_adjtime_utc(text)) {
    case 0:
        r->utc = 0;
        break;
    case 1:
        r->utc = 1;
        break;
    default:
        LOG_WARN(r->env->log, "Could not read RTC LOCAL/UTC setting from %s", path);
    }
    free(text);
}

static void read_coefs(struct rtc *r)
{
    const char *path = r->cfg->rtcfile;
    char *text;
    size_t len = 0;

    memset(&r->file, 0, sizeof(r->file));
    if (!path)
        return;
    text = r->env->files.read_all(r->env->files.ctx, path, &len);
    if (!text)
        return;
    if (rtc_coefs_parse(text, &r->file) < 0) {
        memset(&r->file, 0, sizeof(r->file));
        LOG_WARN(r->env->log, "Could not read coefficients from %s", path);
    }
    free(text);
}

static void read_raw(const struct rtc *r, struct timespec *raw)
{
    r->env->clock.read(r->env->clock.ctx, raw);
}

/* The cooked time, after moving the samples by the clock steps made since the last look
 * (chrony adjusts them in its clock-change handler). */
static void follow_steps(struct rtc *r)
{
    if (r->sched->shifted != r->shifted) {
        rtc_track_shift(&r->track, r->sched->shifted - r->shifted);
        r->shifted = r->sched->shifted;
    }
}

static void cooked_now(struct rtc *r, const struct timespec *raw, struct timespec *cooked)
{
    follow_steps(r);
    reference_cooked_time(r->ref, raw, cooked, NULL);
}

/* Step the clock back to the drift file's time when that is later (an RTC that is
 * missing or has lost its time). */
static void restore_driftfile_time(struct rtc *r, long long dtime)
{
    struct timespec raw;

    read_raw(r, &raw);
    if ((long long)raw.tv_sec < dtime &&
        r->env->clock.step(r->env->clock.ctx, (double)((long long)raw.tv_sec - dtime)) == 0)
        LOG_INFO(r->env->log, "System time restored from driftfile");
}

/* chrony's time_pre_init: 1 when the RTC could be read (the result used or not). */
static int preinit(struct rtc *r, long long dtime)
{
    const struct env_rtc *d = &r->env->rtc;
    struct timespec old_sys;
    long long t;
    double acc, off;
    int h, e = 0, rr;

    read_setup(r);
    read_coefs(r);
    if (!d->open)
        return 0;
    h = d->open(d->ctx, r->cfg->rtcdevice, NULL, NULL, &e);
    if (h < 0)
        return 0;
    rr = d->read_time(d->ctx, h, r->utc, &t, &e);
    read_raw(r, &old_sys);
    d->close(d->ctx, h);
    if (rr < 0)
        return 0;
    acc = r->file.valid ? rtc_coefs_error(&r->file, t) : 0.0;
    /* The reading is on average half a second behind the RTC. */
    off = (double)((long long)old_sys.tv_sec - t) + 1e-9 * old_sys.tv_nsec - 0.5 + acc;
    if (floor((double)t + 0.5 - acc) < (double)dtime) {
        LOG_WARN(r->env->log, "RTC time before last driftfile modification (ignored)");
        return 0;
    }
    if (fabs(off) >= 1.0 && r->env->clock.step(r->env->clock.ctx, off) == 0)
        LOG_INFO(r->env->log, "System time set from RTC");
    return 1;
}

void rtc_initial_set(struct rtc *r)
{
    long long dtime = -1;

    if (r->cfg->driftfile && r->env->files.mtime)
        dtime = r->env->files.mtime(r->env->files.ctx, r->cfg->driftfile);
    if (dtime < 0)
        dtime = 0;
    r->preinit_ok = preinit(r, dtime);
    if (!r->preinit_ok && dtime > 0)
        restore_driftfile_time(r, dtime);
}

static int switch_uie(struct rtc *r, int on)
{
    int e = 0;

    if (r->env->rtc.set_uie(r->env->rtc.ctx, r->handle, on, &e) < 0) {
        LOG_ERR(r->env->log, "Could not %s RTC interrupt : %s", on ? "enable" : "disable",
                err_text(e));
        return -1;
    }
    if (on)
        r->skip = 1;
    return 0;
}

static void close_device(struct rtc *r)
{
    sched_cancel(r->sched, r->timer);
    r->timer = 0;
    if (r->handle >= 0)
        r->env->rtc.close(r->env->rtc.ctx, r->handle);
    r->handle = -1;
}

static int write_coefs(struct rtc *r, const struct rtc_coefs *c)
{
    char buf[128];
    size_t n = rtc_coefs_format(c, buf, sizeof(buf));

    if (r->env->files.write_atomic(r->env->files.ctx, r->cfg->rtcfile, buf, n) != 0)
        return CMDMON_STT_BADRTCFILE;
    return CMDMON_STT_SUCCESS;
}

static void on_measure_timer(void *arg, const struct timespec *now)
{
    struct rtc *r = arg;

    (void)now;
    r->timer = 0;
    if (r->handle >= 0)
        switch_uie(r, 1);
}

static int synchronised(struct rtc *r, const struct timespec *raw)
{
    struct ntp_server_ref sref;

    reference_get_served(r->ref, raw, &sref);
    return sref.leap != 3 && sref.stratum >= 1 && sref.stratum < 16;
}

static void do_trim(struct rtc *r, const struct timespec *raw)
{
    struct timespec cooked;
    double fast = r->track.fast;
    long long set_to;

    cooked_now(r, raw, &cooked);
    if (!rtc_track_trim(&r->track, &cooked, &set_to))
        return;
    LOG_INFO(r->env->log, "RTC wrong by %.3f seconds (step)", fast);
    if (r->env->rtc.set_time(r->env->rtc.ctx, r->handle, r->utc, set_to) < 0)
        LOG_ERR(r->env->log, "Could not set RTC time");
    /* Sample every second until the new offset is known. */
    sched_cancel(r->sched, r->timer);
    r->timer = 0;
    switch_uie(r, 1);
}

static void after_sample(struct rtc *r, const struct rtc_result *res, const struct timespec *raw)
{
    if (res->initial_done) {
        if (res->have_file) {
            engine_accumulate_offset(r->srcs->engine, raw, res->sys_error,
                                     sources_out_begin(r->srcs));
            sources_out_end(r->srcs, raw);
            LOG_INFO(r->env->log, "System clock off from RTC by %f seconds (slew)", res->sys_error);
        } else {
            LOG_WARN(r->env->log, "No valid rtcfile coefficients");
        }
    }
    if (res->write_file)
        (void)write_coefs(r, &res->coefs);
    if (res->trim)
        do_trim(r, raw);
}

static void on_device(void *arg, int h, int events)
{
    struct rtc *r = arg;
    const struct env_rtc *d = &r->env->rtc;
    struct timespec raw, cooked;
    struct rtc_result res;
    long long t;
    int e = 0, st, delay;

    (void)events;
    st = d->read_edge(d->ctx, h, &e);
    if (st < 0) {
        LOG_ERR(r->env->log, "Could not read flags %s : %s", r->cfg->rtcdevice, err_text(e));
        switch_uie(r, 0);
        close_device(r);
        return;
    }
    /* The first interrupt after turning them on may be bogus, as chrony assumes. */
    if (r->skip > 0) {
        r->skip--;
        return;
    }
    if (st == 0)
        return;
    read_raw(r, &raw);
    cooked_now(r, &raw, &cooked);
    if (d->read_time(d->ctx, h, r->utc, &t, &e) < 0) {
        LOG_ERR(r->env->log, "Could not read time from %s : %s", r->cfg->rtcdevice, err_text(e));
        /* As chrony: give up the fast sampling, measure again later. */
        r->track.mode = RTC_MODE_NORMAL;
    } else {
        rtc_track_add(&r->track, t, &cooked, synchronised(r, &raw), &r->file, &res);
        logfiles_write(r->logs, r->env, LOGF_RTC, &cooked,
                       "%14.6f %1d  %14.6f  %12.3f  %2d  %2d %4d",
                       (double)(t - (long long)cooked.tv_sec) - 1e-9 * cooked.tv_nsec,
                       r->track.valid, r->track.fast, r->track.gain * 1e6, r->track.n_samples,
                       r->track.n_runs, r->track.period);
        after_sample(r, &res, &raw);
    }
    delay = rtc_track_next_delay(&r->track);
    if (delay > 0 && r->handle >= 0 && !r->timer) {
        switch_uie(r, 0);
        r->timer = sched_add_after(r->sched, &raw, delay, on_measure_timer, r);
    }
}

void rtc_open(struct rtc *r)
{
    const struct env_rtc *d = &r->env->rtc;
    int e = 0;

    r->handle = -1;
    r->running = 0;
    rtc_track_init(&r->track, r->cfg->rtcautotrim);
    /* rtcsync is refused at rtc_start */
    if (!r->cfg->rtcfile || r->cfg->rtcsync)
        return;
    if (!d->open) {
        LOG_ERR(r->env->log, "RTC not supported on this operating system");
        return;
    }
    r->handle = d->open(d->ctx, r->cfg->rtcdevice, on_device, r, &e);
    if (r->handle < 0) {
        LOG_ERR(r->env->log, "Could not open RTC device %s : %s", r->cfg->rtcdevice, err_text(e));
        LOG_ERR(r->env->log, "RTC driver could not be initialised");
        return;
    }
    /* The RTC must have update interrupts. */
    if (switch_uie(r, 1) < 0 || switch_uie(r, 0) < 0) {
        close_device(r);
        LOG_ERR(r->env->log, "RTC driver could not be initialised");
        return;
    }
    read_setup(r);
    r->shifted = r->sched->shifted;
    r->running = 1;
}

int rtc_start(struct rtc *r, char *err, size_t errlen)
{
    if (r->cfg->rtcfile && r->cfg->rtcsync) {
        snprintf(err, errlen, "rtcfile directive cannot be used with rtcsync");
        return -1;
    }
    if (!r->running)
        return 0;
    /* After chronyd -s read the RTC: sample every second to correct the clock. */
    if (r->preinit_ok)
        rtc_track_start_initial(&r->track);
    switch_uie(r, 1);
    return 0;
}

void rtc_stop(struct rtc *r)
{
    if (r->handle >= 0) {
        switch_uie(r, 0);
        close_device(r);
        (void)rtc_write(r);
    }
    r->running = 0;
}

int rtc_report(struct rtc *r, struct cmdmon_rtc *out)
{
    if (!r->running)
        return 0;
    follow_steps(r);
    memset(out, 0, sizeof(*out));
    out->ref_time.tv_sec = (time_t)r->track.ref_time;
    out->n_samples = (uint16_t)r->track.n_samples;
    out->n_runs = (uint16_t)r->track.n_runs;
    out->span_seconds = (uint32_t)rtc_track_span(&r->track);
    out->rtc_seconds_fast = r->track.fast;
    out->rtc_gain_rate_ppm = 1e6 * r->track.gain;
    return 1;
}

int rtc_trim(struct rtc *r, const struct timespec *raw_now)
{
    if (!r->running)
        return 0;
    if (r->handle >= 0)
        do_trim(r, raw_now);
    return 1;
}

int rtc_write(struct rtc *r)
{
    struct rtc_coefs c;

    if (!r->running)
        return CMDMON_STT_NORTC;
    follow_steps(r);
    rtc_track_coefs(&r->track, &c);
    /* Nothing fitted yet: the file keeps its best guess. */
    if (!c.valid)
        return CMDMON_STT_SUCCESS;
    return write_coefs(r, &c);
}
