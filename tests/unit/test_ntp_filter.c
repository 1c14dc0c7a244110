/* Unit tests for src/core/ntp_filter: chrony's median sample filter. */
#include "check.h"

#include "core/ntp_filter.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

static const struct timespec base = {1700000000, 0};

static struct ntp_sample mk(double t, double offset, double delay, double disp)
{
    struct ntp_sample s;
    memset(&s, 0, sizeof(s));
    ts_add(&s.time, &base, t);
    s.offset = offset;
    s.peer_delay = delay;
    s.root_delay = delay + 0.001;
    s.peer_dispersion = disp;
    s.root_dispersion = disp + 0.0001;
    s.stratum = 2;
    return s;
}

static void test_init_clamps(void)
{
    struct ntp_filter f;
    ntp_filter_init(&f, 0, 1000, 16.0, 0.0, 1e-6);
    CHECK_INT_EQ(f.min_samples, 1);
    CHECK_INT_EQ(ntp_filter_max_samples(&f), NTP_FILTER_MAX_SAMPLES);
    ntp_filter_fini(&f);
    ntp_filter_init(&f, 5, 3, 16.0, 0.0, 1e-6);
    CHECK_INT_EQ(ntp_filter_max_samples(&f), 5);
    CHECK_INT_EQ(ntp_filter_count(&f), 0);
    ntp_filter_fini(&f);
}

static void test_single_sample(void)
{
    struct ntp_filter f;
    struct ntp_sample s = mk(0, 0.001, 0.01, 1e-5), out;
    ntp_filter_init(&f, 1, 1, 16.0, 0.0, 1e-6);
    CHECK(!ntp_filter_get_sample(&f, &out));
    ntp_filter_accumulate(&f, &s);
    CHECK(ntp_filter_get_sample(&f, &out));
    CHECK_NEAR(out.offset, 0.001, 1e-12);
    CHECK_NEAR(out.peer_delay, 0.01, 1e-12);
    /* Dispersion is at least the sample's own. */
    CHECK(out.peer_dispersion >= 1e-5);
    CHECK_INT_EQ(ntp_filter_count(&f), 0);
    /* The last sample survives the drop. */
    CHECK(ntp_filter_get_last(&f, &out));
    CHECK_NEAR(out.offset, 0.001, 1e-12);
    ntp_filter_fini(&f);
}

static void test_median_of_five(void)
{
    struct ntp_filter f;
    struct ntp_sample out;
    const double offs[] = {0.010, -0.002, 0.001, 0.500, 0.003};
    ntp_filter_init(&f, 1, 5, 16.0, 0.0, 1e-6);
    for (int i = 0; i < 5; i++) {
        struct ntp_sample s = mk(i * 64.0, offs[i], 0.02, 1e-4);
        ntp_filter_accumulate(&f, &s);
    }
    CHECK_INT_EQ(ntp_filter_count(&f), 5);
    CHECK(ntp_filter_get_sample(&f, &out));
    /* Five samples: two dropped on each side, the median (0.003) is kept. */
    CHECK_NEAR(out.offset, 0.003, 1e-12);
    CHECK_NEAR(ts_diff(&out.time, &base), 4 * 64.0, 1e-6);
    CHECK_INT_EQ(ntp_filter_count(&f), 0);
    ntp_filter_fini(&f);
}

static void test_four_samples_average_middle(void)
{
    struct ntp_filter f;
    struct ntp_sample out;
    const double offs[] = {0.004, 0.001, 0.100, 0.002};
    ntp_filter_init(&f, 1, 4, 16.0, 0.0, 1e-6);
    for (int i = 0; i < 4; i++) {
        struct ntp_sample s = mk(i * 16.0, offs[i], 0.01 * (i + 1), 1e-4);
        ntp_filter_accumulate(&f, &s);
    }
    CHECK(ntp_filter_get_sample(&f, &out));
    /* Sorted 0.001 0.002 0.004 0.100: the middle two (samples 3 and 0) are averaged. */
    CHECK_NEAR(out.offset, 0.003, 1e-12);
    CHECK_NEAR(out.peer_delay, (0.01 + 0.04) / 2, 1e-12);
    /* Time: mean of the selected samples' times (0 and 48). */
    CHECK_NEAR(ts_diff(&out.time, &base), 24.0, 1e-6);
    /* Two samples: dispersion from their spread (std dev 0.00141). */
    CHECK(out.peer_dispersion >= 1e-4);
    ntp_filter_fini(&f);
}

static void test_dispersion_preselection(void)
{
    struct ntp_filter f;
    struct ntp_sample out;
    ntp_filter_init(&f, 1, 8, 16.0, 0.0, 1e-6);
    /* Six precise samples around 0.001 and two imprecise ones far away. */
    for (int i = 0; i < 8; i++) {
        int noisy = i == 2 || i == 5;
        struct ntp_sample s =
            mk(i * 8.0, noisy ? -0.3 : 0.001 + 1e-6 * i, 0.01, noisy ? 0.01 : 1e-4);
        ntp_filter_accumulate(&f, &s);
    }
    CHECK(ntp_filter_get_sample(&f, &out));
    CHECK(fabs(out.offset - 0.001) < 1e-5);
    ntp_filter_fini(&f);
}

static void test_ring_wraps(void)
{
    struct ntp_filter f;
    struct ntp_sample out;
    ntp_filter_init(&f, 1, 3, 16.0, 0.0, 1e-6);
    for (int i = 0; i < 7; i++) {
        struct ntp_sample s = mk(i, 0.001 * i, 0.01, 1e-4);
        ntp_filter_accumulate(&f, &s);
    }
    CHECK_INT_EQ(ntp_filter_count(&f), 3);
    CHECK(ntp_filter_get_last(&f, &out));
    CHECK_NEAR(out.offset, 0.006, 1e-12);
    CHECK(ntp_filter_get_sample(&f, &out));
    /* Samples 4, 5, 6 remain; three samples: one dropped on each side. */
    CHECK_NEAR(out.offset, 0.005, 1e-12);
    CHECK_NEAR(ts_diff(&out.time, &base), 5.0, 1e-6);
    ntp_filter_fini(&f);
}

static void test_large_spread_dropped(void)
{
    struct ntp_filter f;
    struct ntp_sample out;
    ntp_filter_init(&f, 1, 2, 0.001, 0.0, 1e-6);
    struct ntp_sample a = mk(0, 0.0, 0.01, 1e-4), b = mk(1, 1.0, 0.01, 1e-4);
    ntp_filter_accumulate(&f, &a);
    ntp_filter_accumulate(&f, &b);
    CHECK(!ntp_filter_get_sample(&f, &out));
    /* Not emptied on failure. */
    CHECK_INT_EQ(ntp_filter_count(&f), 2);
    ntp_filter_fini(&f);
}

static void test_min_samples(void)
{
    struct ntp_filter f;
    struct ntp_sample out, s = mk(0, 0.0, 0.01, 1e-4);
    ntp_filter_init(&f, 2, 4, 16.0, 0.0, 1e-6);
    ntp_filter_accumulate(&f, &s);
    CHECK(!ntp_filter_get_sample(&f, &out));
    ntp_filter_accumulate(&f, &s);
    CHECK(ntp_filter_get_sample(&f, &out));
    ntp_filter_fini(&f);
}

static void test_slew(void)
{
    struct ntp_filter f;
    struct ntp_sample out, s = mk(0, 0.010, 0.01, 1e-4);
    struct timespec when;
    ntp_filter_init(&f, 1, 2, 16.0, 0.0, 1e-6);
    ntp_filter_accumulate(&f, &s);
    ts_add(&when, &base, 10.0);
    /* The clock was 4 ms fast and was moved back: local timestamps move back 4 ms and
     * the offset (local fast positive) shrinks by 4 ms. */
    ntp_filter_slew(&f, &when, 0.0, 0.004);
    CHECK(ntp_filter_get_last(&f, &out));
    CHECK_NEAR(out.offset, 0.006, 1e-12);
    CHECK_NEAR(ts_diff(&out.time, &base), -0.004, 1e-9);
    ntp_filter_fini(&f);
}

static void test_drop(void)
{
    struct ntp_filter f;
    struct ntp_sample out, s = mk(0, 0.0, 0.01, 1e-4);
    ntp_filter_init(&f, 1, 4, 16.0, 0.0, 1e-6);
    ntp_filter_accumulate(&f, &s);
    ntp_filter_drop(&f);
    CHECK_INT_EQ(ntp_filter_count(&f), 0);
    CHECK(!ntp_filter_get_sample(&f, &out));
    ntp_filter_fini(&f);
}

int main(void)
{
    RUN(test_init_clamps);
    RUN(test_single_sample);
    RUN(test_median_of_five);
    RUN(test_four_samples_average_middle);
    RUN(test_dispersion_preselection);
    RUN(test_ring_wraps);
    RUN(test_large_spread_dropped);
    RUN(test_min_samples);
    RUN(test_slew);
    RUN(test_drop);
    return check_summary();
}
