/* Unit tests for core/rtc: the RTC's offset and gain rate recovered from a drifting
 * RTC, trimming, autotrim, the initial correction, the rtc file and the adjtime line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rtc.h"
#include "lib/rng.h"

static uint64_t seed = 1;

#define T0 1700000000.0L

/* An RTC that reads t + off + gain * (t - T0) at system time t (s since 1970) and ticks
 * whole seconds; the edge of second k is seen within jitter s after it happens. */
struct drift_rtc {
    double off, gain, jitter;
    struct rng rng;
};

static void drift_init(struct drift_rtc *d, double off, double gain, double jitter)
{
    d->off = off;
    d->gain = gain;
    d->jitter = jitter;
    rng_seed(&d->rng, seed);
}

static long double edge_time(const struct drift_rtc *d, long long k)
{
    return ((long double)k - d->off + d->gain * T0) / (1.0L + d->gain);
}

/* The next edge at or after system time t: its RTC second and when it was seen. */
static long long next_edge(struct drift_rtc *d, long double t, struct timespec *seen)
{
    long long k = (long long)ceill(t + d->off + d->gain * (t - T0));
    long double s = edge_time(d, k) + d->jitter * rng_uniform(&d->rng);

    seen->tv_sec = (time_t)floorl(s);
    seen->tv_nsec = (long)((s - floorl(s)) * 1e9L);
    return k;
}

/* Feed samples for `hours`, as the daemon would (one every period). */
static long double run(struct rtc_track *t, struct drift_rtc *d, long double start, double hours,
                       int synced, int *n_trim)
{
    long double now = start, end = start + hours * 3600.0;
    struct rtc_result res;
    struct timespec seen;

    while (now < end) {
        long long k = next_edge(d, now, &seen);
        rtc_track_add(t, k, &seen, synced, NULL, &res);
        if (res.trim && n_trim)
            (*n_trim)++;
        now = (long double)seen.tv_sec + seen.tv_nsec * 1e-9L + 0.01L;
        now += rtc_track_next_delay(t);
    }
    return now;
}

static void test_gain_and_offset(void)
{
    struct rtc_track t;
    struct drift_rtc d;
    drift_init(&d, 0.25, 20e-6, 50e-6);
    long double start = 1.7e9L + 0.3L;

    rtc_track_init(&t, 0.0);
    run(&t, &d, start, 6.0, 1, NULL);
    CHECK(t.valid);
    /* 20 ppm within 0.1 ppm after six hours */
    CHECK_NEAR(t.gain * 1e6, 20.0, 0.1);
    /* The RTC at its reference second was fast by off + gain * t of that second. */
    {
        long double et = edge_time(&d, t.ref_time);
        double expect = (double)((long double)t.ref_time - et);
        CHECK_NEAR(t.fast, expect, 1e-3);
    }
    CHECK_INT_EQ(t.period, RTC_MIN_PERIOD << 4);
    CHECK(t.n_samples <= RTC_MAX_SAMPLES);
    CHECK(rtc_track_span(&t) > 3600);
}

static void test_set_back_discards(void)
{
    struct rtc_track t;
    struct rtc_result res;
    struct timespec s = {1000, 0};

    rtc_track_init(&t, 0.0);
    rtc_track_add(&t, 1000, &s, 1, NULL, &res);
    s.tv_sec = 1015;
    rtc_track_add(&t, 1015, &s, 1, NULL, &res);
    CHECK_INT_EQ(t.n_samples, 2);
    s.tv_sec = 1030;
    rtc_track_add(&t, 900, &s, 1, NULL, &res);
    CHECK_INT_EQ(t.n_samples, 1);
}

static void test_shift(void)
{
    struct rtc_track t;
    struct drift_rtc d;
    double fast, gain;

    drift_init(&d, 0.25, 20e-6, 20e-6);
    rtc_track_init(&t, 0.0);
    run(&t, &d, 1.7e9L, 2.0, 1, NULL);
    fast = t.fast;
    gain = t.gain;
    /* stepped back by 1.25 s: every sample's system time too */
    rtc_track_shift(&t, 1.25);
    CHECK_NEAR(t.fast, fast + 1.25, 1e-12);
    CHECK_NEAR(t.gain, gain, 0);
    CHECK_NEAR((double)(t.rtc_sec[t.n_samples - 1] - (long long)t.sys[t.n_samples - 1].tv_sec) -
                   1e-9 * t.sys[t.n_samples - 1].tv_nsec,
               fast + 1.25, 1e-3);
    CHECK(t.sys[0].tv_nsec >= 0 && t.sys[0].tv_nsec < 1000000000L);
    rtc_track_shift(&t, -1.25);
    CHECK_NEAR(t.fast, fast, 1e-12);
}

static void test_trim(void)
{
    struct rtc_track t;
    struct drift_rtc d;
    drift_init(&d, 3.4, 10e-6, 20e-6);
    struct timespec now = {1700003000, 250000000}, seen;
    struct rtc_result res;
    long long set_to = 0, k;
    int i, written = 0;

    rtc_track_init(&t, 0.0);
    run(&t, &d, 1.7e9L, 1.0, 1, NULL);
    CHECK_NEAR(t.fast, 3.4, 0.1);
    CHECK_INT_EQ(rtc_track_trim(&t, &now, &set_to), 1);
    CHECK_INT_EQ(set_to, 1700003000);
    CHECK_INT_EQ(t.mode, RTC_MODE_AFTERTRIM);
    CHECK_NEAR(t.fast, 0.25, 1e-9);
    CHECK_INT_EQ(rtc_track_next_delay(&t), 0);
    /* The RTC now reads the system's second, ticking 0.5 s after each system second. */
    d.off = -0.5;
    d.gain = 10e-6;
    for (i = 0; i < RTC_FAST_SAMPLES; i++) {
        k = next_edge(&d, 1700003001.0L + i, &seen);
        rtc_track_add(&t, k, &seen, 1, NULL, &res);
        written |= res.write_file;
        if (res.write_file) {
            CHECK_INT_EQ(res.coefs.valid, 1);
            CHECK_NEAR(res.coefs.rate_ppm, 10.0, 0.2);
            CHECK_NEAR(
                res.coefs.offset,
                (double)((long double)res.coefs.ref_time - edge_time(&d, res.coefs.ref_time)),
                1e-4);
        }
    }
    CHECK(written);
    CHECK_INT_EQ(t.mode, RTC_MODE_NORMAL);
    /* Within a second: nothing to trim. */
    t.fast = 0.8;
    CHECK_INT_EQ(rtc_track_trim(&t, &now, &set_to), 0);
}

static void test_autotrim(void)
{
    struct rtc_track t;
    struct drift_rtc d;
    drift_init(&d, 0.7, 0.0, 10e-6);
    int n_trim = 0;

    rtc_track_init(&t, 0.5);
    run(&t, &d, 1.7e9L, 0.5, 0, &n_trim);
    CHECK_INT_EQ(n_trim, 0); /* not while unsynchronised */
    rtc_track_init(&t, 0.5);
    run(&t, &d, 1.7e9L, 0.5, 1, &n_trim);
    CHECK(n_trim > 0);
    n_trim = 0;
    rtc_track_init(&t, 0.8);
    run(&t, &d, 1.7e9L, 0.5, 1, &n_trim);
    CHECK_INT_EQ(n_trim, 0); /* below the threshold */
    rtc_track_init(&t, 0.0);
    run(&t, &d, 1.7e9L, 0.5, 1, &n_trim);
    CHECK_INT_EQ(n_trim, 0); /* disabled */
}

static void test_initial(void)
{
    struct rtc_track t;
    /* The file: 100 s before, the RTC was 2 s fast and gains 10 ppm. The RTC now runs
     * 2.001 s ahead of true time, but the system clock is 0.4 s fast of true time: the
     * RTC looks 1.601 s fast of the system clock, so the system is 0.4 s fast. */
    struct rtc_coefs file = {1, 1700000000, 2.0, 10.0};
    struct drift_rtc d;
    drift_init(&d, 2.001 - 0.4, 0.0, 0.0);
    struct rtc_result res;
    struct timespec seen;
    int done = 0;

    rtc_track_init(&t, 0.0);
    rtc_track_start_initial(&t);
    for (int i = 0; i < RTC_FAST_SAMPLES; i++) {
        long long k = next_edge(&d, 1700000100.0L + i, &seen);
        rtc_track_add(&t, k, &seen, 0, &file, &res);
        if (res.initial_done) {
            done = 1;
            CHECK(res.have_file);
            /* expected RTC error at ref from the file minus the measured one */
            /* the last edge is RTC second 1700000109 */
            CHECK_NEAR(res.sys_error, 2.0 + 109e-5 - 1.601, 1e-6);
        }
    }
    CHECK(done);
    CHECK_INT_EQ(t.mode, RTC_MODE_NORMAL);
    CHECK_INT_EQ(t.valid, 0);
}

static void test_file_round_trip(void)
{
    struct rtc_coefs c = {1, 1700000123, -0.123456, 12.345}, back;
    char buf[128];

    rtc_coefs_format(&c, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "1 1700000123 -0.123456 12.345\n");
    CHECK_INT_EQ(rtc_coefs_parse(buf, &back), 0);
    CHECK_INT_EQ(back.valid, 1);
    CHECK_INT_EQ(back.ref_time, 1700000123);
    CHECK_NEAR(back.offset, -0.123456, 1e-12);
    CHECK_NEAR(back.rate_ppm, 12.345, 1e-12);
    CHECK_INT_EQ(rtc_coefs_parse("0 0 0.000000 0.000\n", &back), 0);
    CHECK_INT_EQ(back.valid, 0);
    /* chrony's fscanf takes any white space between the numbers */
    CHECK_INT_EQ(rtc_coefs_parse("1\n1700000000\n0.5\n-3", &back), 0);
    CHECK_NEAR(back.rate_ppm, -3.0, 0);
}

static void test_bad_files(void)
{
    struct rtc_coefs c = {7, 7, 7, 7};

    CHECK_INT_EQ(rtc_coefs_parse("", &c), -1);
    CHECK_INT_EQ(rtc_coefs_parse("1 1700000000 0.5", &c), -1);
    CHECK_INT_EQ(rtc_coefs_parse("garbage here and there", &c), -1);
    CHECK_INT_EQ(rtc_coefs_parse("1 1700000000 nan 3", &c), -1);
    CHECK_INT_EQ(rtc_coefs_parse("1 1e300 0.5 3", &c), -1);
    CHECK_INT_EQ(rtc_coefs_parse("1.5 1700000000 0.5 3", &c), -1);
    CHECK_INT_EQ(c.valid, 7); /* untouched on failure */
}

static void test_adjtime(void)
{
    CHECK_INT_EQ(rtc_adjtime_utc("0.0 0 0.0\n0\nUTC\n"), 1);
    CHECK_INT_EQ(rtc_adjtime_utc("0.0 0 0.0\n0\nLOCAL\n"), 0);
    CHECK_INT_EQ(rtc_adjtime_utc("0.0 0 0.0\n0\n"), -1);
    CHECK_INT_EQ(rtc_adjtime_utc("0.0 0 0.0\n0\nutc\n"), -1);
    CHECK_INT_EQ(rtc_adjtime_utc(""), -1);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--seed"))
        seed = strtoull(argv[2], NULL, 0);
    printf("seed %llu\n", (unsigned long long)seed);
    RUN(test_gain_and_offset);
    RUN(test_set_back_discards);
    RUN(test_shift);
    RUN(test_trim);
    RUN(test_autotrim);
    RUN(test_initial);
    RUN(test_file_round_trip);
    RUN(test_bad_files);
    RUN(test_adjtime);
    return check_summary();
}
