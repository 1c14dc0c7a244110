/* Clock drivers: the system clock (read, and controlled through adjtimex()
 * by clock_linux.c); the null driver of -x, which reads the system clock and
 * controls nothing (the engine's clock model tracks the clock, as chrony's
 * null driver); and the software clock of --softclock (ours), which rides on
 * the system clock and is steered and stepped like a real clock, so that
 * several daemons on one machine each have a clock of their own. */
#include "platform/internal.h"

#include "lib/ts.h"
#include "platform/clock_linux.h"

#include <errno.h>
#include <linux/capability.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

/* The kernel clock is one per process, like its driver state. Taking
 * control is deferred to the first control operation (or an explicit
 * platform_clock_take_control()) so that `chronyd -p` never touches it. */
static struct lclk sys_lclk;
static int sys_controlled;

static struct platform *clock_platform(struct plat_clock *c)
{
    return (struct platform *)((char *)c - offsetof(struct platform, clock));
}

/* Start controlling the kernel clock once. Returns 0, or -1 (then every
 * control operation fails; the error was logged or is in err). */
static int sys_take_control(struct plat_clock *c, char *err, size_t errlen)
{
    char buf[160];
    const struct logger *log = clock_platform(c)->env.log;
    if (sys_lclk.started)
        return sys_lclk.started > 0 ? 0 : -1;
    if (prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0) == 0)
        LOG_WARN(log, "CAP_SYS_TIME not present");
    if (lclk_start(&sys_lclk, err ? err : buf, err ? errlen : sizeof(buf)) == 0)
        return 0;
    if (!err)
        LOG_ERR(log, "%s", buf);
    return -1;
}

static void sys_read(struct timespec *out)
{
    clock_gettime(CLOCK_REALTIME, out);
}

void plat_clock_from_system(const struct plat_clock *c, const struct timespec *sys,
                            struct timespec *out)
{
    double elapsed;
    if (c->kind != PCLOCK_NOCONTROL) {
        *out = *sys;
        return;
    }
    elapsed = ts_diff(sys, &c->base);
    ts_add(out, sys, c->offset + elapsed * c->freq_ppm * 1e-6);
}

static void drv_read(void *ctx, struct timespec *out)
{
    struct plat_clock *c = ctx;
    struct timespec sys;
    sys_read(&sys);
    plat_clock_from_system(c, &sys, out);
}

static int drv_can_control(void *ctx)
{
    /* The software clock is fully steerable; the null driver accepts
     * frequencies (and refuses steps); the system driver is controllable once
     * the kernel accepted our start-up settings. */
    struct plat_clock *c = ctx;
    if (c->kind != PCLOCK_SYSTEM)
        return 1;
    return sys_take_control(c, NULL, 0) == 0;
}

static int drv_set_freq(void *ctx, double ppm)
{
    struct plat_clock *c = ctx;
    struct timespec sys;
    if (c->kind == PCLOCK_SYSTEM)
        return sys_take_control(c, NULL, 0) < 0 ? -1 : lclk_set_freq(&sys_lclk, ppm, NULL);
    if (c->kind == PCLOCK_NULL) {
        c->freq_ppm = ppm; /* kept, not applied */
        return 0;
    }
    /* Fold the offset accumulated at the old frequency, then rebase. */
    sys_read(&sys);
    c->offset += ts_diff(&sys, &c->base) * c->freq_ppm * 1e-6;
    c->base = sys;
    c->freq_ppm = ppm;
    return 0;
}

static double drv_get_freq(void *ctx)
{
    struct plat_clock *c = ctx;
    if (c->kind != PCLOCK_SYSTEM)
        return c->freq_ppm;
    /* A read-only query (modes = 0) of tick and freq. */
    return lclk_get_freq(&sys_lclk);
}

static int drv_step(void *ctx, double offset)
{
    struct plat_clock *c = ctx;
    if (c->kind == PCLOCK_SYSTEM)
        return sys_take_control(c, NULL, 0) < 0 ? -1 : lclk_step(&sys_lclk, offset);
    if (c->kind == PCLOCK_NULL)
        return -1; /* chrony's null driver cannot step */
    c->offset -= offset;
    return 0;
}

static int drv_set_leap(void *ctx, int leap, int tai_offset)
{
    struct plat_clock *c = ctx;
    if (c->kind == PCLOCK_SYSTEM)
        return sys_take_control(c, NULL, 0) < 0 ? -1 : lclk_set_leap(&sys_lclk, leap, tai_offset);
    /* -x: as chrony's null driver, the kernel's leap status and TAI offset stay. */
    c->leap = leap;
    return 0;
}

static void drv_set_sync(void *ctx, int synced, double est, double max)
{
    struct plat_clock *c = ctx;
    if (c->kind == PCLOCK_SYSTEM && sys_take_control(c, NULL, 0) == 0)
        lclk_set_sync_status(&sys_lclk, synced, est, max);
}

void plat_clock_init(struct platform *p, enum platform_clock_kind kind, double offset)
{
    struct plat_clock *c = &p->clock;
    c->kind = kind;
    sys_read(&c->base);
    c->offset = kind == PCLOCK_NOCONTROL ? offset : 0.0;
    c->freq_ppm = 0.0;
    sys_controlled = kind == PCLOCK_SYSTEM;
    if (kind == PCLOCK_SYSTEM) {
        struct lclk_ops ops = lclk_sys_ops();
        long hz = sysconf(_SC_CLK_TCK);
        lclk_init(&sys_lclk, &ops, p->env.log, hz > 0 ? (int)hz : 100);
    }
    p->env.clock =
        (struct env_clock){c,        drv_read,     drv_can_control, drv_set_freq, drv_get_freq,
                           drv_step, drv_set_leap, drv_set_sync};
}

int platform_clock_take_control(struct platform *p, char *err, size_t errlen)
{
    if (p->clock.kind != PCLOCK_SYSTEM)
        return 0;
    return sys_take_control(&p->clock, err, errlen);
}

void platform_clock_set_rtc_sync(struct platform *p, int enabled)
{
    if (p->clock.kind == PCLOCK_SYSTEM)
        sys_lclk.rtc_sync = enabled != 0;
}

int plat_clock_controls_system(void)
{
    return sys_controlled;
}

double platform_measure_precision(void)
{
    /* The smallest non-zero difference between consecutive readings bounds
     * both the resolution and the cost of reading the clock. */
    double best = 1.0;
    for (int i = 0; i < 100; i++) {
        struct timespec a, b;
        double d;
        sys_read(&a);
        do {
            sys_read(&b);
            d = ts_diff(&b, &a);
        } while (d <= 0.0);
        if (d < best)
            best = d;
    }
    return best;
}
