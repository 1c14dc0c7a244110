/* LD_PRELOAD shim for clock driver tests: a fake kernel clock. adjtimex,
 * ntp_adjtime, clock_adjtime, clock_settime, settimeofday and stime are
 * intercepted; every call is appended as one line to the file named by
 * FAKE_TIMEX_LOG and answered from a fake state (tick, freq, status, errors).
 * When the file named by FAKE_TIMEX_INTERFERE exists at a call that does not set the
 * frequency, it is removed and the fake frequency moved by 100 ppm first, as if
 * another process had set it.
 * The real functions are NEVER called, not even for read-only queries, so
 * nothing that goes through this library can change the machine's clock.
 *
 * Build: cc -shared -fPIC -o fake_timex.so tests/system/fake_timex.c */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

/* Test programs look this symbol up to make sure the shim is loaded. */
int fake_timex_active = 1;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct timex state = {.tick = 10000,
                             .status = STA_UNSYNC,
                             .maxerror = 16000000,
                             .esterror = 16000000,
                             .precision = 1,
                             .tolerance = 32768000};

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
    const char *path = getenv("FAKE_TIMEX_LOG");
    FILE *f;
    va_list ap;
    if (!path || !*path)
        return;
    f = fopen(path, "a");
    if (!f)
        return;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static void log_timex(const char *fn, int clk, const struct timex *tx)
{
    log_line("%s clk=%d modes=0x%x tick=%ld freq=%ld offset=%ld status=0x%x esterror=%ld "
             "maxerror=%ld sec=%lld nsec=%ld",
             fn, clk, tx->modes, (long)tx->tick, (long)tx->freq, (long)tx->offset, tx->status,
             (long)tx->esterror, (long)tx->maxerror, (long long)tx->time.tv_sec,
             (long)tx->time.tv_usec);
}

/* Apply the writable fields the modes select, then report the whole state
 * back as the kernel does. */
static int fake_adjust(const char *fn, int clk, struct timex *tx)
{
    unsigned int m = tx->modes;
    int r;
    pthread_mutex_lock(&lock);
    {
        const char *other = getenv("FAKE_TIMEX_INTERFERE");
        /* (at a call that does not set the frequency itself, which would hide it) */
        if (other && *other && !(m & ADJ_FREQUENCY) && unlink(other) == 0) {
            state.freq += 100L << 16;
            log_line("interference freq=%ld", (long)state.freq);
        }
    }
    log_timex(fn, clk, tx);
    if (m == ADJ_OFFSET_SINGLESHOT || m == ADJ_OFFSET_SS_READ) {
        /* adjtime()-style offset: nothing pending in the fake. */
    } else {
        if (m & ADJ_FREQUENCY)
            state.freq = tx->freq;
        if (m & ADJ_TICK)
            state.tick = tx->tick;
        if (m & ADJ_STATUS)
            state.status = (state.status & STA_RONLY) | (tx->status & ~STA_RONLY);
        if (m & ADJ_OFFSET)
            state.offset = tx->offset;
        if (m & ADJ_ESTERROR)
            state.esterror = tx->esterror;
        if (m & ADJ_MAXERROR)
            state.maxerror = tx->maxerror;
        if (m & ADJ_SETOFFSET)
            state.maxerror = 16000000;
    }
    *tx = state;
    tx->modes = m;
    if (state.status & STA_UNSYNC)
        r = TIME_ERROR;
    else if (state.status & STA_INS)
        r = TIME_INS;
    else if (state.status & STA_DEL)
        r = TIME_DEL;
    else
        r = TIME_OK;
    pthread_mutex_unlock(&lock);
    return r;
}

int adjtimex(struct timex *tx)
{
    return fake_adjust("adjtimex", CLOCK_REALTIME, tx);
}

int __adjtimex(struct timex *tx)
{
    return fake_adjust("adjtimex", CLOCK_REALTIME, tx);
}

int ntp_adjtime(struct timex *tx)
{
    return fake_adjust("ntp_adjtime", CLOCK_REALTIME, tx);
}

int clock_adjtime(clockid_t clk, struct timex *tx)
{
    return fake_adjust("clock_adjtime", (int)clk, tx);
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
    log_line("clock_settime clk=%d sec=%lld nsec=%ld", (int)clk, (long long)ts->tv_sec,
             (long)ts->tv_nsec);
    return 0;
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
    log_line("settimeofday sec=%lld usec=%ld", tv ? (long long)tv->tv_sec : -1LL,
             tv ? (long)tv->tv_usec : -1L);
    (void)tz;
    return 0;
}

int stime(const time_t *t)
{
    log_line("stime sec=%lld", t ? (long long)*t : -1LL);
    return 0;
}
