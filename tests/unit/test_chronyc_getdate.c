/* settime's date parser (chronyc/getdate): the forms chronyc(1) documents
 * and chrony's getdate accepts, in UTC and in a zone with daylight saving
 * time, against a fixed `now` (Saturday 2015-11-21 10:00:00 UTC). The
 * expected times were computed independently (Python's datetime and
 * zoneinfo); tests/system/test-chronyc-cli.sh compares the same forms
 * with Debian's chronyc. */
#include "check.h"

#include "chronyc/getdate.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOW 1448100000L /* 2015-11-21 10:00:00 UTC */
#define DAY 86400L

struct date_case {
    const char *in;
    long want; /* -1: refused */
};

static int run_table(const char *tz, const struct date_case *t, size_t n)
{
    int bad = 0;

    setenv("TZ", tz, 1);
    tzset();
    for (size_t i = 0; i < n; i++) {
        time_t got = 0;
        int ok = getdate_parse(t[i].in, (time_t)NOW, &got);
        if ((t[i].want < 0 && ok) || (t[i].want >= 0 && (!ok || got != t[i].want))) {
            printf("  TZ=%s \"%s\": got %d/%ld, want %ld\n", tz, t[i].in, ok, (long)got, t[i].want);
            bad++;
        }
    }
    return bad;
}

static void test_utc_forms(void)
{
    static const struct date_case t[] = {
        {"now", NOW},
        {"", 1448064000L}, /* midnight today, as chrony */
        {"16:30", 1448123400L},
        {"16:30:05", 1448123405L},
        {"Nov 21, 2015 16:30:05", 1448123405L},
        {"2015-11-21 16:30:05", 1448123405L},
        {"21 Nov 2015 16:30", 1448123400L},
        {"21-Nov-2015", 1448064000L},
        {"11/21/2015 4:30pm", 1448123400L},
        {"11/21/15 4:30 p.m.", 1448123400L},
        {"2015/11/21", 1448064000L},
        {"20151121", 1448064000L},
        {"1630", 1448123400L},
        {"12 pm", 1448107200L},
        {"12:00 am", 1448064000L},
        {"Sat Nov 21 16:30:05 UTC 2015", 1448123405L},
        {"16:30:05 +0100", 1448119805L},
        {"16:30:05 CET", 1448119805L},
        {"16:30:05 a", 1448127005L}, /* getdate's military A: an hour west */
        {"+1 hour", NOW + 3600},
        {"1 hour ago", NOW - 3600},
        {"now 10 min ago", NOW - 600},
        {"1 day 2 hours ago", NOW - DAY - 7200}, /* ago negates both */
        {"2 weeks ago", NOW - 14 * DAY},
        {"-2 days", NOW - 2 * DAY},
        {"3 fortnights", NOW + 42 * DAY},
        {"tomorrow", NOW + DAY},
        {"yesterday 12:00", 1448107200L - DAY},
        {"last month", 1445421600L},
        {"next friday", 1448582400L},
        {"friday", 1448582400L},
        {"last friday", 1448582400L - 7 * DAY},
        {"saturday", 1448064000L},
        {"(a comment) 16:30", 1448123400L},
        {"1970-01-01 00:00:00 UTC", 0},
        {"foo", -1},
        {"25:00", -1},
        {"13 pm", -1},
        {"16:30 16:40", -1},
        {"Nov 21 2015 16:30:05", -1}, /* 2015 is read as a time: two times */
        {"16:30:05.5", -1},
        {"2015 -2 days", -1},
        {"utc utc", -1},
    };

    CHECK_INT_EQ(run_table("UTC", t, sizeof(t) / sizeof(t[0])), 0);
}

static void test_zone_with_dst(void)
{
    static const struct date_case t[] = {
        {"now", NOW},
        {"16:30", 1448141400L},
        {"Jul 4 12:00", 1436025600L}, /* EDT in July */
        {"12:00 EDT", 1448121600L},
        {"12:00 EST", 1448125200L},
        {"12:00 est dst", 1448121600L},
        {"yesterday 12:00", 1448038800L},
        {"1 hour ago", NOW - 3600},
    };

    CHECK_INT_EQ(run_table("America/New_York", t, sizeof(t) / sizeof(t[0])), 0);
}

int main(void)
{
    RUN(test_utc_forms);
    RUN(test_zone_with_dst);
    return check_summary();
}
