/* Linux kernel clock control through adjtimex() (see clock_linux.h). The
 * facts followed here are those of chrony's Linux driver: the frequency is
 * split between the tick length (1 us of tick = USER_HZ ppm) and the kernel's
 * fine frequency (limited to +-500 ppm), the PLL is switched off at start and
 * STA_UNSYNC is cleared only for rtcsync. */
#include "platform/clock_linux.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void lclk_tick_init(struct lclk_tick *t, int hz)
{
    if (hz <= 0)
        hz = 100;
    t->hz = hz;
    /* The kernel's own definition of the nominal tick (TICK_USEC). */
    t->nominal_tick_us = (1000000L + hz / 2) / hz;
    /* sys_adjtimex() rejects a tick more than 10% away from nominal. */
    t->max_tick_bias_us = t->nominal_tick_us / 10;
}

double lclk_max_freq_ppm(const struct lclk_tick *t)
{
    return 1.0e6 * (double)t->max_tick_bias_us / (double)t->nominal_tick_us;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void lclk_split_freq(const struct lclk_tick *t, double freq_ppm, long cur_delta_tick_us,
                     long *delta_tick_us, long *kernel_freq)
{
    double max = lclk_max_freq_ppm(t), per_tick = (double)t->hz, residual;
    long d;

    freq_ppm = clamp(freq_ppm, -max, max);
    d = lround(freq_ppm / per_tick);
    /* With USER_HZ <= 250 the +-500 ppm fine range covers the neighbouring
     * ticks, so staying on the current tick avoids flipping between two. */
    if (t->hz <= 250 && (d + 1 == cur_delta_tick_us || d - 1 == cur_delta_tick_us))
        d = cur_delta_tick_us;
    if (d > t->max_tick_bias_us)
        d = t->max_tick_bias_us;
    if (d < -t->max_tick_bias_us)
        d = -t->max_tick_bias_us;
    residual =
        clamp(freq_ppm - per_tick * (double)d, -LCLK_MAX_KERNEL_FREQ_PPM, LCLK_MAX_KERNEL_FREQ_PPM);
    *delta_tick_us = d;
    *kernel_freq = (long)(residual * LCLK_FREQ_SCALE);
}

double lclk_join_freq(const struct lclk_tick *t, long tick_us, long kernel_freq)
{
    return (double)t->hz * (double)(tick_us - t->nominal_tick_us) +
           (double)kernel_freq / LCLK_FREQ_SCALE;
}

void lclk_step_to_timeval(double offset_s, struct timex *tx)
{
    double back = -offset_s, sec = floor(back);
    long ns = lround((back - sec) * 1.0e9);
    if (ns >= 1000000000L) {
        sec += 1.0;
        ns -= 1000000000L;
    }
    tx->time.tv_sec = (time_t)sec;
    tx->time.tv_usec = ns; /* nanoseconds with ADJ_NANO */
}

static int sys_adjtimex(void *ctx, struct timex *tx)
{
    return adjtimex(tx);
}

static int sys_gettime(void *ctx, struct timespec *ts)
{
    return clock_gettime(CLOCK_REALTIME, ts);
}

static int sys_settime(void *ctx, const struct timespec *ts)
{
    return clock_settime(CLOCK_REALTIME, ts);
}

struct lclk_ops lclk_sys_ops(void)
{
    return (struct lclk_ops){NULL, sys_adjtimex, sys_gettime, sys_settime};
}

void lclk_init(struct lclk *c, const struct lclk_ops *ops, const struct logger *log, int hz)
{
    memset(c, 0, sizeof(*c));
    c->ops = *ops;
    c->log = log;
    lclk_tick_init(&c->tick, hz);
    c->status = STA_UNSYNC;
    c->last_status = -1;
}

/* Every adjtimex() call of the driver. As chrony, each answer is compared with the
 * previous one: a PLL bit, time constant or frequency that changed without this call
 * setting it was changed by someone else (another NTP client), which is logged. */
static int kernel_adjtimex(struct lclk *c, struct timex *tx)
{
    unsigned int modes = tx->modes;
    int r = c->ops.adjtimex(c->ops.ctx, tx);

    if (r < 0)
        return r;
    if (c->last_status != -1 &&
        ((((c->last_status ^ tx->status) & STA_PLL) && !(modes & ADJ_STATUS)) ||
         (c->last_constant != tx->constant && !(modes & ADJ_TIMECONST)) ||
         (c->last_freq != tx->freq && !(modes & ADJ_FREQUENCY))) &&
        c->log)
        LOG_WARN(c->log, "System clock interference detected (another NTP client?)");
    c->last_status = tx->status;
    c->last_constant = tx->constant;
    c->last_freq = tx->freq;
    return r;
}

/* One adjtimex() call; on failure the message chrony uses, in err. */
static int adjust(struct lclk *c, struct timex *tx, char *err, size_t errlen)
{
    unsigned int modes = tx->modes;
    int r = kernel_adjtimex(c, tx);
    if (r < 0 && err)
        snprintf(err, errlen, "adjtimex(0x%x) failed : %s", modes, strerror(errno));
    return r;
}

/* A failed control call at run time: logged, and the caller reports -1. */
static int adjust_logged(struct lclk *c, struct timex *tx)
{
    char err[160];
    int r = adjust(c, tx, err, sizeof(err));
    if (r < 0 && c->log)
        LOG_ERR(c->log, "%s", err);
    return r;
}

int lclk_start(struct lclk *c, char *err, size_t errlen)
{
    struct timex tx;
    c->started = -1;
    c->status = STA_UNSYNC;
    /* Cancel whatever an adjtime() caller left to slew. */
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    if (adjust(c, &tx, err, errlen) < 0)
        return -1;
    /* Zero the PLL's pending offset (only taken with STA_PLL), then switch
     * the PLL/FLL (and PPS, leap) bits off: the frequency is ours alone. */
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_OFFSET | ADJ_STATUS;
    tx.status = STA_PLL | c->status;
    if (adjust(c, &tx, err, errlen) < 0)
        return -1;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_STATUS;
    tx.status = c->status;
    if (adjust(c, &tx, err, errlen) < 0)
        return -1;
    memset(&tx, 0, sizeof(tx));
    if (adjust(c, &tx, err, errlen) < 0)
        return -1;
    c->delta_tick_us = tx.tick - c->tick.nominal_tick_us;
    c->started = 1;
    return 0;
}

int lclk_set_freq(struct lclk *c, double freq_ppm, double *applied_ppm)
{
    struct timex tx;
    long d, kf;
    lclk_split_freq(&c->tick, freq_ppm, c->delta_tick_us, &d, &kf);
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_TICK | ADJ_FREQUENCY;
    tx.tick = c->tick.nominal_tick_us + d;
    tx.freq = kf;
    if (adjust_logged(c, &tx) < 0)
        return -1;
    c->delta_tick_us = d;
    if (applied_ppm)
        *applied_ppm = lclk_join_freq(&c->tick, c->tick.nominal_tick_us + d, kf);
    return 0;
}

double lclk_get_freq(struct lclk *c)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx)); /* modes = 0: read only */
    if (kernel_adjtimex(c, &tx) < 0)
        return 0.0;
    c->delta_tick_us = tx.tick - c->tick.nominal_tick_us;
    return lclk_join_freq(&c->tick, tx.tick, tx.freq);
}

/* Step without ADJ_SETOFFSET: read, add, set (loses the time between). */
static int step_settime(struct lclk *c, double offset)
{
    struct timespec now;
    double sec;
    long ns;
    if (c->ops.gettime(c->ops.ctx, &now) < 0)
        return -1;
    sec = floor(-offset);
    ns = now.tv_nsec + lround((-offset - sec) * 1.0e9);
    now.tv_sec += (time_t)sec + ns / 1000000000L;
    now.tv_nsec = ns % 1000000000L;
    if (c->ops.settime(c->ops.ctx, &now) < 0) {
        if (c->log)
            LOG_ERR(c->log, "clock_settime() failed : %s", strerror(errno));
        return -1;
    }
    return 0;
}

int lclk_step(struct lclk *c, double offset)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    lclk_step_to_timeval(offset, &tx);
    if (kernel_adjtimex(c, &tx) >= 0)
        return 0;
    /* A kernel without ADJ_SETOFFSET (before 2.6.39) says EINVAL. */
    if (errno == EINVAL)
        return step_settime(c, offset);
    if (c->log)
        LOG_ERR(c->log, "adjtimex(0x%x) failed : %s", (unsigned int)(ADJ_SETOFFSET | ADJ_NANO),
                strerror(errno));
    return -1;
}

int lclk_set_leap(struct lclk *c, int leap, int tai_offset)
{
    struct timex tx;
    int applied, prev = c->status;
    memset(&tx, 0, sizeof(tx));
    /* TIME_WAIT: the kernel has just inserted/deleted the second. */
    applied = kernel_adjtimex(c, &tx) == TIME_WAIT;
    c->status &= ~(STA_INS | STA_DEL);
    if (leap > 0)
        c->status |= STA_INS;
    else if (leap < 0)
        c->status |= STA_DEL;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_STATUS;
    tx.status = c->status;
    if (tai_offset) {
        /* The kernel moves its TAI offset itself when it applies a leap second. */
        tx.modes |= ADJ_TAI;
        tx.constant = tai_offset;
        if (applied && !(c->status & (STA_INS | STA_DEL)))
            c->tai_offset += prev & STA_INS ? 1 : -1;
        if (c->tai_offset != tai_offset) {
            c->tai_offset = tai_offset;
            if (c->log)
                LOG_INFO(c->log, "System clock TAI offset set to %d seconds", tai_offset);
        }
    }
    if (adjust_logged(c, &tx) < 0)
        return -1;
    if (prev != c->status && c->log)
        LOG_INFO(c->log, "System clock status %s leap second",
                 leap ? (leap > 0 ? "set to insert" : "set to delete")
                      : (applied ? "reset after" : "set to not insert/delete"));
    return 0;
}

void lclk_set_sync_status(struct lclk *c, int synced, double est_error, double max_error)
{
    struct timex tx;
    /* The kernel keeps STA_UNSYNC while maxerror >= 16 s, so larger bounds
     * mean "not synchronised" anyway. */
    if (synced) {
        if (est_error > LCLK_MAX_SYNC_ERROR)
            est_error = LCLK_MAX_SYNC_ERROR;
        if (max_error >= LCLK_MAX_SYNC_ERROR) {
            max_error = LCLK_MAX_SYNC_ERROR;
            synced = 0;
        }
    } else {
        est_error = max_error = LCLK_MAX_SYNC_ERROR;
    }
    /* A clear STA_UNSYNC starts the kernel's 11-minute RTC updates: only
     * wanted with rtcsync. */
    if (synced && c->rtc_sync)
        c->status &= ~STA_UNSYNC;
    else
        c->status |= STA_UNSYNC;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR;
    tx.status = c->status;
    tx.esterror = (long)(est_error * 1.0e6);
    tx.maxerror = (long)(max_error * 1.0e6);
    /* Failure is not worth a message: the next update retries. */
    kernel_adjtimex(c, &tx);
}
