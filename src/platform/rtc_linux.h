/* The RTC driver's conversions between the kernel's struct rtc_time and s since 1970
 * (exposed for the unit test of the encoding). */
#ifndef PLATFORM_RTC_LINUX_H
#define PLATFORM_RTC_LINUX_H

#include <linux/rtc.h>
#include <time.h>

void plat_rtc_to_tm(const struct rtc_time *r, struct tm *tm);
void plat_rtc_from_tm(const struct tm *tm, struct rtc_time *r);
/* The RTC's fields (UTC or local time) as s since 1970 UTC; -1 on failure. */
long long plat_rtc_time_to_t(const struct rtc_time *r, int utc);
/* 0, or -1 when t cannot be broken down. */
int plat_rtc_time_from_t(long long t, int utc, struct rtc_time *r);

#endif
