/* env.rtc on Linux: the RTC character device with RTC_RD_TIME, RTC_SET_TIME and the
 * update interrupts (RTC_UIE_ON/OFF, read() of the flags); its descriptor waits in the
 * select loop as a stream socket whose events go to the owner's callback. */
#include "platform/rtc_linux.h"

#include "platform/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

void plat_rtc_to_tm(const struct rtc_time *r, struct tm *tm)
{
    memset(tm, 0, sizeof(*tm));
    tm->tm_sec = r->tm_sec;
    tm->tm_min = r->tm_min;
    tm->tm_hour = r->tm_hour;
    tm->tm_mday = r->tm_mday;
    tm->tm_mon = r->tm_mon;
    tm->tm_year = r->tm_year;
}

void plat_rtc_from_tm(const struct tm *tm, struct rtc_time *r)
{
    memset(r, 0, sizeof(*r));
    r->tm_sec = tm->tm_sec;
    r->tm_min = tm->tm_min;
    r->tm_hour = tm->tm_hour;
    r->tm_mday = tm->tm_mday;
    r->tm_mon = tm->tm_mon;
    r->tm_year = tm->tm_year;
    r->tm_wday = tm->tm_wday;
    r->tm_yday = tm->tm_yday;
    r->tm_isdst = -1;
}

/* Fields of the RTC to s since 1970. For local time, mktime without summer time gives
 * M(y); the difference M(L(M(y))) - M(y) is the zone's summer offset at that time. */
long long plat_rtc_time_to_t(const struct rtc_time *r, int utc)
{
    struct tm tm, again, *back;
    time_t t1, t2;

    plat_rtc_to_tm(r, &tm);
    if (utc)
        return (long long)timegm(&tm);
    tm.tm_isdst = 0;
    t1 = mktime(&tm);
    back = localtime_r(&t1, &again);
    if (!back)
        return -1;
    again.tm_isdst = 0;
    t2 = mktime(&again);
    return (long long)(t1 - (t2 - t1));
}

int plat_rtc_time_from_t(long long t, int utc, struct rtc_time *r)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!(utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)))
        return -1;
    plat_rtc_from_tm(&tm, r);
    return 0;
}

static int rtc_open(void *ctx, const char *device, stream_cb cb, void *arg, int *err)
{
    struct platform *p = ctx;
    int fd = open(device, (cb ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (!cb)
        return fd;
    if (p->n_socks >= PLAT_MAX_SOCKS || fd >= FD_SETSIZE) {
        close(fd);
        *err = EMFILE;
        return -1;
    }
    memset(&p->socks[p->n_socks], 0, sizeof(p->socks[0]));
    p->socks[p->n_socks].fd = fd;
    p->socks[p->n_socks].cb = cb;
    p->socks[p->n_socks].cb_arg = arg;
    p->n_socks++;
    return fd;
}

static int rtc_set_uie(void *ctx, int h, int on, int *err)
{
    (void)ctx;
    if (ioctl(h, on ? RTC_UIE_ON : RTC_UIE_OFF, 0) < 0) {
        *err = errno;
        return -1;
    }
    return 0;
}

static int rtc_read_edge(void *ctx, int h, int *err)
{
    unsigned long data = 0;

    (void)ctx;
    if (read(h, &data, sizeof(data)) < 0) {
        *err = errno;
        return -1;
    }
    return (data & RTC_UF) == RTC_UF;
}

static int rtc_read_time(void *ctx, int h, int utc, long long *t, int *err)
{
    struct rtc_time a, b;

    (void)ctx;
    /* Two readings on the same second: the RTC did not tick during the first. */
    do {
        if (ioctl(h, RTC_RD_TIME, &a) < 0 || ioctl(h, RTC_RD_TIME, &b) < 0) {
            *err = errno;
            return -1;
        }
    } while (a.tm_sec != b.tm_sec);
    *t = plat_rtc_time_to_t(&a, utc);
    return *t == -1 ? -1 : 0;
}

static int rtc_set_time(void *ctx, int h, int utc, long long t)
{
    struct rtc_time r;

    (void)ctx;
    if (plat_rtc_time_from_t(t, utc, &r) < 0 || ioctl(h, RTC_SET_TIME, &r) < 0)
        return -1;
    return 0;
}

static void rtc_close(void *ctx, int h)
{
    struct platform *p = ctx;

    for (int i = 0; i < p->n_socks; i++) {
        if (p->socks[i].fd == h) {
            p->socks[i] = p->socks[--p->n_socks];
            break;
        }
    }
    close(h);
}

void plat_rtc_init(struct platform *p)
{
    p->env.rtc = (struct env_rtc){
        p, rtc_open, rtc_set_uie, rtc_read_edge, rtc_read_time, rtc_set_time, rtc_close};
}
