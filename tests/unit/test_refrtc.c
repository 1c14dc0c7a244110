/* The RTC refclock driver of the node through the fake env.rtc: samples of the RTC's
 * offset at its update interrupts, the utc option, polling when the interrupts cannot be
 * enabled, a missing device, and the refusal next to rtcfile / rtcsync. */
#include "refclock_node.h"

#include <stdio.h>
#include <string.h>

/* The RTC 250 ms ahead of the system clock: each second of it begins 250 ms before the
 * system's, the sample taken at the interrupt gives +0.25 s. */
static void run_interrupts(int utc)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *lines[] = {
        "logdir /var/log/chrony", "log refclocks",
        utc ? "refclock RTC /dev/rtc0:utc poll 2" : "refclock RTC /dev/rtc0 poll 2", NULL};
    struct node *n;

    fake_env_init(&f);
    f.rtc_present = 1;
    f.rtc_off = 0.25;
    f.rtc_utc = -1;
    n = make_node(&f, &cfg, lines, err, sizeof(err));
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK_INT_EQ(f.rtc_open, 1);
    CHECK_INT_EQ(f.rtc_uie, 1);
    for (int k = 0; k < 20; k++) {
        fake_env_rtc_edge(&f);
        node_on_timer(n, &f.now);
    }
    CHECK_INT_EQ(f.rtc_utc, utc);
    /* the first interrupt is skipped, then one sample a second at the edge */
    CHECK(log_lines_with(&f, "RTC0    - N") >= 4); /* and the filtered samples */
    CHECK_INT_EQ(log_lines_with(&f, " N 0  2.500000e-01"), 19);
    CHECK(!fake_env_log_contains(&f, "Falling back to polling"));
    node_free(n);
    CHECK_INT_EQ(f.rtc_open, 0);
    CHECK_INT_EQ(f.rtc_uie, 0);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_interrupts_local(void)
{
    run_interrupts(0);
}

static void test_interrupts_utc(void)
{
    run_interrupts(1);
}

/* Without update interrupts the RTC is read at each driver poll, its time taken as half a
 * second past the second it shows. */
static void test_polling(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *lines[] = {"logdir /var/log/chrony", "log refclocks",
                           "refclock RTC /dev/rtc0:utc poll 2 refid RTC", NULL};
    struct node *n;

    fake_env_init(&f);
    f.rtc_present = 1;
    f.rtc_off = 0.25;
    f.rtc_no_uie = 1;
    n = make_node(&f, &cfg, lines, err, sizeof(err));
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK(fake_env_log_contains(&f, "Could not enable RTC interrupt : Invalid argument"));
    CHECK(fake_env_log_contains(&f, "Falling back to polling for /dev/rtc0"));
    for (int k = 1; k <= 12; k++) {
        /* at k + 0.3 the RTC shows k (k + 0.55 in truth): k + 0.5 - (k + 0.3) */
        fake_env_set_time(&f, 1700000000 + k, 300000000);
        node_on_timer(n, &f.now);
    }
    CHECK_INT_EQ(f.rtc_utc, 1);
    CHECK_INT_EQ(log_lines_with(&f, "RTC     "), 15);
    CHECK_INT_EQ(log_lines_with(&f, " N 0  2.000000e-01"), 12);
    node_free(n);
    CHECK_INT_EQ(f.rtc_open, 0);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_refused(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *missing[] = {"refclock RTC /dev/rtc0", NULL};
    const char *file[] = {"rtcfile /var/lib/chrony/rtc", "refclock RTC /dev/rtc1", NULL};
    const char *sync[] = {"rtcsync", "refclock RTC /dev/rtc1", NULL};

    fake_env_init(&f);
    CHECK(!make_node(&f, &cfg, missing, err, sizeof(err)));
    CHECK_STR_EQ(err, "Could not open RTC device /dev/rtc0 : No such file or directory");
    config_free(cfg);
    f.rtc_present = 1;
    CHECK(!make_node(&f, &cfg, file, err, sizeof(err)));
    CHECK_STR_EQ(err, "RTC refclock cannot be used together with rtcsync or rtcfile");
    config_free(cfg);
    CHECK(!make_node(&f, &cfg, sync, err, sizeof(err)));
    CHECK_STR_EQ(err, "RTC refclock cannot be used together with rtcsync or rtcfile");
    config_free(cfg);
    /* an environment without RTC devices: chrony's build without the driver */
    f.env.rtc.open = NULL;
    CHECK(!make_node(&f, &cfg, missing, err, sizeof(err)));
    CHECK_STR_EQ(err, "refclock driver RTC is not compiled in");
    config_free(cfg);
    f.env.refdev.pps_open = NULL;
    missing[0] = "refclock PPS /dev/pps0";
    CHECK(!make_node(&f, &cfg, missing, err, sizeof(err)));
    CHECK_STR_EQ(err, "refclock driver PPS is not compiled in");
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_interrupts_local);
    RUN(test_interrupts_utc);
    RUN(test_polling);
    RUN(test_refused);
    return check_summary();
}
