/* Unit tests for the Linux RTC driver (platform/rtc.c): the ioctl numbers and struct
 * rtc_time of <linux/rtc.h> as the kernel's ABI has them, and the conversions between
 * the RTC's fields (UTC or local time) and s since 1970. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "check.h"
#include "platform/rtc_linux.h"

/* The kernel's ABI, spelled out: _IOR('p', 0x09, struct rtc_time) etc. on the generic
 * ioctl encoding (dir << 30 | size << 16 | type << 8 | nr), struct rtc_time being nine
 * ints. */
static void test_ioctl_numbers(void)
{
    CHECK_INT_EQ(sizeof(struct rtc_time), 9 * sizeof(int));
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_sec), 0);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_min), 4);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_hour), 8);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_mday), 12);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_mon), 16);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_year), 20);
    CHECK_INT_EQ(offsetof(struct rtc_time, tm_isdst), 32);
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__)
    CHECK_INT_EQ((unsigned long)RTC_RD_TIME, 0x80247009ul);
    CHECK_INT_EQ((unsigned long)RTC_SET_TIME, 0x4024700aul);
    CHECK_INT_EQ((unsigned long)RTC_UIE_ON, 0x7003ul);
    CHECK_INT_EQ((unsigned long)RTC_UIE_OFF, 0x7004ul);
#endif
    CHECK_INT_EQ(RTC_UF, 0x10);
}

static void test_utc(void)
{
    struct rtc_time r;

    CHECK_INT_EQ(plat_rtc_time_from_t(0, 1, &r), 0);
    CHECK_INT_EQ(r.tm_year, 70);
    CHECK_INT_EQ(r.tm_mon, 0);
    CHECK_INT_EQ(r.tm_mday, 1);
    CHECK_INT_EQ(r.tm_hour, 0);
    /* 2023-11-14 22:13:20 UTC */
    CHECK_INT_EQ(plat_rtc_time_from_t(1700000000, 1, &r), 0);
    CHECK_INT_EQ(r.tm_year, 123);
    CHECK_INT_EQ(r.tm_mon, 10);
    CHECK_INT_EQ(r.tm_mday, 14);
    CHECK_INT_EQ(r.tm_hour, 22);
    CHECK_INT_EQ(r.tm_min, 13);
    CHECK_INT_EQ(r.tm_sec, 20);
    CHECK_INT_EQ(plat_rtc_time_to_t(&r, 1), 1700000000);
}

/* An RTC on local time in a zone with summer time: both seasons come back. */
static void test_local(void)
{
    struct rtc_time r;

    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    CHECK_INT_EQ(plat_rtc_time_from_t(1700000000, 0, &r), 0); /* winter: UTC+1 */
    CHECK_INT_EQ(r.tm_hour, 23);
    CHECK_INT_EQ(plat_rtc_time_to_t(&r, 0), 1700000000);
    CHECK_INT_EQ(plat_rtc_time_from_t(1690000000, 0, &r), 0); /* summer: UTC+2 */
    CHECK_INT_EQ(plat_rtc_time_to_t(&r, 0), 1690000000);
    /* the UTC reading of the same fields is two hours later */
    CHECK_INT_EQ(plat_rtc_time_to_t(&r, 1), 1690000000 + 7200);
    unsetenv("TZ");
    tzset();
}

int main(void)
{
    RUN(test_ioctl_numbers);
    RUN(test_utc);
    RUN(test_local);
    return check_summary();
}
