/* Clock drivers: the system clock (read; control arrives with the discipline)
 * and the no-control clock of -x, a software clock that rides on the system
 * clock so that chronyd can track and serve time without touching it. */
#include "platform/internal.h"

#include "lib/ts.h"

#include <errno.h>
#include <sys/timex.h>
#include <time.h>

static void sys_read(struct timespec *out)
{
    clock_gettime(CLOCK_REALTIME, out);
}

void plat_clock_from_system(const struct plat_clock *c, const struct timespec *sys,
                            struct timespec *out)
{
    double elapsed;
    if (c->kind == PCLOCK_SYSTEM) {
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
    /* The no-control clock is fully steerable (in software); the system driver
     * does not steer the real clock yet. */
    return ((struct plat_clock *)ctx)->kind == PCLOCK_NOCONTROL;
}

static int drv_set_freq(void *ctx, double ppm)
{
    struct plat_clock *c = ctx;
    struct timespec sys;
    if (c->kind == PCLOCK_SYSTEM)
        return -1;
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
    struct timex tx = {0};
    if (c->kind == PCLOCK_NOCONTROL)
        return c->freq_ppm;
    /* modes = 0: a read-only query */
    if (adjtimex(&tx) < 0)
        return 0.0;
    return tx.freq / 65536.0;
}

static int drv_step(void *ctx, double offset)
{
    struct plat_clock *c = ctx;
    if (c->kind == PCLOCK_SYSTEM)
        return -1;
    c->offset -= offset;
    return 0;
}

static int drv_set_leap(void *ctx, int leap)
{
    struct plat_clock *c = ctx;
    if (c->kind == PCLOCK_SYSTEM)
        return -1;
    c->leap = leap;
    return 0;
}

static void drv_set_sync(void *ctx, int synced, double est, double max)
{
}

void plat_clock_init(struct platform *p, enum platform_clock_kind kind)
{
    struct plat_clock *c = &p->clock;
    c->kind = kind;
    sys_read(&c->base);
    c->offset = 0.0;
    c->freq_ppm = 0.0;
    p->env.clock = (struct env_clock){c,           drv_read, drv_can_control, drv_set_freq,
                                      drv_get_freq, drv_step, drv_set_leap,    drv_set_sync};
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
