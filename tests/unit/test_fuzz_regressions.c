/* Regression tests for defects found by the fuzz targets in fuzz/ (one case
 * per defect, named after the module and the input that exposed it). */
#include "check.h"

#include "core/clock.h"
#include "core/sourcestats.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>

/* fuzz_sourcestats: a step slewed into the history stretched the sample span
 * beyond 2^32 s and the report converted it to uint32_t (undefined). */
static void test_sourcestats_report_huge_span(void)
{
    struct sourcestats_params p;
    struct sourcestats_report r;
    struct timespec t = {1700000000, 0};
    struct sourcestats *st;

    sourcestats_params_default(&p);
    st = sourcestats_new(&p);
    for (int i = 0; i < 3; i++) {
        sourcestats_add_sample(st, &t, 1e-3, 1e-2, 1e-4, 1e-2, 1e-3, 2, 0);
        t.tv_sec += 64;
    }
    /* The clock was moved back by 5e9 s: stored samples move back too. */
    sourcestats_slew_samples(st, &t, 0.0, 5e9);
    sourcestats_add_sample(st, &t, 1e-3, 1e-2, 1e-4, 1e-2, 1e-3, 2, 0);
    sourcestats_do_regression(st, NULL);
    sourcestats_get_report(st, &t, &r);
    CHECK_INT_EQ(r.span_seconds, UINT32_MAX);
    sourcestats_free(st);
}

/* fuzz_discipline: a frequency change beyond maxdrift was clamped in the
 * model but announced unclamped, so samples and reference times were slewed
 * by e.g. -88 s/s until the time arithmetic overflowed. */
static void test_clock_reports_applied_dfreq(void)
{
    struct clock_config cfg;
    struct clock c;
    struct clock_cmd cmd;
    struct timespec t = {1700000000, 0};

    clock_config_default(&cfg);
    clock_cmd_init(&cmd);
    clock_init(&c, &cfg, &t, 0.0, &cmd);
    clock_cmd_init(&cmd);
    clock_accumulate_freq_and_offset(&c, &t, -88.0, 0.0, 0.0, &cmd);
    CHECK_NEAR(clock_get_freq_ppm(&c), -cfg.max_drift_ppm, 1e-6);
    CHECK_INT_EQ(cmd.n_changes, 1);
    /* from 0 to -500000 ppm: a relative change of -0.5 */
    CHECK_NEAR(cmd.changes[0].dfreq, -0.5, 1e-12);
    clock_cmd_init(&cmd);
    clock_accumulate_freq(&c, &t, 1e3, &cmd);
    CHECK_NEAR(clock_get_freq_ppm(&c), cfg.max_drift_ppm, 1e-6);
    CHECK(fabs(cmd.changes[cmd.n_changes - 1].dfreq) <= 2.0);
    /* within maxdrift the requested change is reported unchanged */
    clock_cmd_init(&cmd);
    clock_accumulate_freq(&c, &t, -1e-6, &cmd);
    CHECK(cmd.changes[cmd.n_changes - 1].dfreq == -1e-6);
}

int main(void)
{
    RUN(test_sourcestats_report_huge_span);
    RUN(test_clock_reports_applied_dfreq);
    return check_summary();
}
