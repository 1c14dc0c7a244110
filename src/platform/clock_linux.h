/* Control of the Linux kernel clock through adjtimex(): frequency (tick plus
 * the fine frequency offset), steps, leap second status and the
 * synchronisation status behind the kernel's 11-minute RTC mode.
 *
 * The syscalls are reached through a small ops table so that the driver's
 * logic can run against a fake kernel in unit tests; lclk_sys_ops() returns
 * the real one. Nothing here touches the kernel until lclk_start().
 *
 * Sign conventions: freq_ppm positive = the clock runs faster (kernel tick
 * and freq are applied as they are); step offset positive = the clock is
 * fast and goes back by that much. */
#ifndef PLATFORM_CLOCK_LINUX_H
#define PLATFORM_CLOCK_LINUX_H

#include "lib/log.h"

#include <stddef.h>
#include <sys/timex.h>
#include <time.h>

struct platform;

/* Kernel entry points used by the driver. Each returns what the syscall
 * returns (-1 with errno on failure). */
struct lclk_ops {
    void *ctx;
    int (*adjtimex)(void *ctx, struct timex *tx);
    int (*gettime)(void *ctx, struct timespec *ts);       /* CLOCK_REALTIME */
    int (*settime)(void *ctx, const struct timespec *ts); /* CLOCK_REALTIME */
};

/* USER_HZ dependent tick parameters (Linux sys_adjtimex bounds the tick to
 * 10% around 1e6 / USER_HZ). */
struct lclk_tick {
    int hz;               /* USER_HZ, 100 on most systems */
    long nominal_tick_us; /* (1e6 + hz/2) / hz */
    long max_tick_bias_us;
};

struct lclk {
    struct lclk_ops ops;
    const struct logger *log; /* may be NULL */
    struct lclk_tick tick;
    long delta_tick_us; /* tick currently set minus nominal */
    int status;         /* STA_* bits this driver writes with MOD_STATUS */
    int tai_offset;     /* TAI - UTC last given to the kernel (ADJ_TAI), 0 = never */
    /* The kernel's answer to the last call (status, time constant, frequency), to notice
     * changes made by another process; last_status -1 = no call yet. */
    int last_status;
    long last_constant, last_freq;
    int rtc_sync; /* clear STA_UNSYNC when synchronised (rtcsync) */
    int started;  /* 1 running, -1 start failed, 0 not started */
};

/* Largest frequency offset adjtimex() accepts in timex.freq (ppm). */
#define LCLK_MAX_KERNEL_FREQ_PPM 500.0
/* timex.freq is in ppm scaled by 2^16. */
#define LCLK_FREQ_SCALE 65536.0
/* Errors at or above this (s) leave the kernel's STA_UNSYNC set. */
#define LCLK_MAX_SYNC_ERROR 16.0

/* Tick parameters for a USER_HZ value (hz <= 0 is taken as 100). */
void lclk_tick_init(struct lclk_tick *t, int hz);
/* Largest frequency offset (ppm) reachable with tick and freq together. */
double lclk_max_freq_ppm(const struct lclk_tick *t);
/* Split freq_ppm into a tick delta (us per tick from nominal) and the fine
 * kernel frequency (timex.freq units). cur_delta_tick_us is the tick delta
 * set now: with USER_HZ <= 250 a neighbouring tick is kept to avoid
 * thrashing between two ticks. freq_ppm is clamped to lclk_max_freq_ppm(). */
void lclk_split_freq(const struct lclk_tick *t, double freq_ppm, long cur_delta_tick_us,
                     long *delta_tick_us, long *kernel_freq);
/* The frequency offset (ppm, positive = faster) of a kernel tick and freq. */
double lclk_join_freq(const struct lclk_tick *t, long tick_us, long kernel_freq);
/* Fill tx.time (ADJ_SETOFFSET | ADJ_NANO units: s and ns in [0, 1e9)) for a
 * step by -offset_s. */
void lclk_step_to_timeval(double offset_s, struct timex *tx);

/* The real kernel: adjtimex() and clock_{get,set}time(CLOCK_REALTIME). */
struct lclk_ops lclk_sys_ops(void);

void lclk_init(struct lclk *c, const struct lclk_ops *ops, const struct logger *log, int hz);
/* Take control of the kernel clock as chrony does at start: reset the
 * adjtime() offset, switch the kernel PLL/FLL off, mark the clock
 * unsynchronised and read back the current frequency. Returns 0, or -1 with
 * chrony's message "adjtimex(0x..) failed : ..." in err. */
int lclk_start(struct lclk *c, char *err, size_t errlen);
/* Set the frequency; returns 0 or -1. *applied_ppm (may be NULL) gets the
 * frequency really set after rounding. */
int lclk_set_freq(struct lclk *c, double freq_ppm, double *applied_ppm);
/* Current kernel frequency in ppm (0.0 if the kernel can't be read). */
double lclk_get_freq(struct lclk *c);
/* Step the clock by -offset (s, positive = clock fast). ADJ_SETOFFSET, with
 * clock_settime() when the kernel rejects the mode. Returns 0 or -1. */
int lclk_step(struct lclk *c, double offset);
/* Leap second pending: 0 none, 1 insert, -1 delete; a non-zero tai_offset (TAI - UTC, s)
 * is given to the kernel too, logged as chrony when it changes. Returns 0 or -1. */
int lclk_set_leap(struct lclk *c, int leap, int tai_offset);
/* Synchronisation status and error bounds (s) for the kernel. */
void lclk_set_sync_status(struct lclk *c, int synced, double est_error, double max_error);

/* 1 when this process drives the system clock (chronyd without -x). Used
 * by privilege dropping to decide whether CAP_SYS_TIME is kept. */
int plat_clock_controls_system(void);

#endif
