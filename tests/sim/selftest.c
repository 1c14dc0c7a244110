/* Checks of the simulator's own models (virtual clock, determinism), run before
 * the scenarios so a broken microscope is noticed before what it shows. */
#include "selftest.h"

#include "check.h"
#include "freqbound.h"
#include "scenario.h"
#include "world.h"

#include "daemon/node_internal.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

static void test_vclock_drift(void)
{
    struct vclock c;
    vclock_init(&c, 0.25, 100.0, 0.0, 1);
    CHECK_NEAR(vclock_offset(&c, 1000.0), 0.25 + 0.1, 1e-12);
    CHECK_NEAR(vclock_local(&c, 2000.0), 2000.0 + 0.25 + 0.2, 1e-9);
    /* earlier times do not move the clock back */
    CHECK_NEAR(vclock_offset(&c, 10.0), 0.25 + 0.2, 1e-12);
}

static void test_vclock_corrections(void)
{
    struct vclock c;
    vclock_init(&c, 0.0, 100.0, 0.0, 1);
    /* corrections scale the oscillator: (1 + 100e-6) * (1 + set) = 1 cancels the
     * error from t = 10 */
    vclock_set_freq(&c, 10.0, (1.0 / (1.0 + 100e-6) - 1.0) * 1e6);
    CHECK_NEAR(vclock_offset(&c, 500.0), 10 * 100e-6, 1e-12);
    CHECK_NEAR(vclock_freq_ppm(&c), 0.0, 1e-9);
    vclock_step(&c, 500.0, 0.5); /* positive = was fast: goes back */
    CHECK_NEAR(vclock_offset(&c, 600.0), 1e-3 - 0.5, 1e-12);
    CHECK_NEAR(c.stepped, 0.5, 0.0);
    vclock_jump(&c, 700.0, 2.0);
    CHECK_NEAR(vclock_offset(&c, 700.0), 2.0 + 1e-3 - 0.5, 1e-12);
    CHECK_INT_EQ(c.n_steps, 1);
    CHECK_INT_EQ(c.n_ext_steps, 1);
    CHECK_INT_EQ(c.n_set_freq, 1);
    /* a slew of 1/12 on a 100 ppm oscillator: 100 ppm + 83333.33 ppm + their
     * product, 8.33 ppm */
    vclock_set_freq(&c, 800.0, 1e6 / 12.0);
    CHECK_NEAR(vclock_freq_ppm(&c), 100.0 + 1e6 / 12.0 + 100.0 / 12.0, 1e-6);
}

static void test_vclock_inverse(void)
{
    struct vclock c;
    double t;
    vclock_init(&c, -0.3, 250.0, 0.0, 1);
    vclock_advance(&c, 100.0);
    t = vclock_true_at(&c, 5000.0);
    CHECK_NEAR(vclock_local(&c, t), 5000.0, 1e-9);
    /* a local time already passed maps to now */
    CHECK_NEAR(vclock_true_at(&c, 10.0), c.t, 0.0);
}

static void test_vclock_wander_piecewise(void)
{
    /* The same seed integrated in one go or in small pieces gives the same clock. */
    struct vclock a, b;
    vclock_init(&a, 0.0, 5.0, 1e-3, 42);
    vclock_init(&b, 0.0, 5.0, 1e-3, 42);
    vclock_advance(&a, 12345.5);
    for (double t = 0.37; t < 12345.5; t += 0.37)
        vclock_advance(&b, t);
    vclock_advance(&b, 12345.5);
    CHECK_NEAR(a.off, b.off, 1e-12);
    CHECK_NEAR(a.wander_ppm, b.wander_ppm, 0.0);
}

static void test_vclock_wander_variance(void)
{
    /* After n seconds the random walk has variance n * step^2. */
    double sum2 = 0.0;
    int clocks = 200, secs = 2000;
    for (int i = 0; i < clocks; i++) {
        struct vclock c;
        vclock_init(&c, 0.0, 0.0, 1e-3, 1000 + (uint64_t)i);
        vclock_advance(&c, secs + 0.5);
        sum2 += c.wander_ppm * c.wander_ppm;
    }
    CHECK_NEAR(sum2 / clocks / (secs * 1e-6), 1.0, 0.25);
}

struct timer_probe {
    struct world *w;
    struct sim_node *sn;
    struct timespec deadline;
    int fired;
    double worst_late; /* s of local time after the deadline */
    int early;
};

static void on_test_timer(void *arg, const struct timespec *now)
{
    struct timer_probe *tp = arg;
    double late = ts_diff(now, &tp->deadline);
    if (late < 0)
        tp->early++;
    if (late > tp->worst_late)
        tp->worst_late = late;
    tp->fired++;
    /* re-arm 64 s of local time later, like a polling source */
    ts_add(&tp->deadline, &tp->deadline, 64.0);
    sched_add(&tp->sn->node->sched, &tp->deadline, on_test_timer, tp);
}

static void test_world_node_timers(void)
{
    /* A timer in the node's own scheduler (raw local time) fires on time although
     * the clock is 300 ppm fast, wanders and is stepped back by 2 s on the way. */
    const char *conf[] = {"port 0", NULL};
    struct world *w = world_new(11);
    struct timer_probe tp;
    int idx;
    w->duration = 10000;
    idx = world_add_node(w, "n", "10.0.0.1", conf, 0.5, 300.0, 1e-2);
    CHECK(idx == 0);
    memset(&tp, 0, sizeof(tp));
    tp.w = w;
    tp.sn = &w->nodes[idx];
    sim_node_local_ts(tp.sn, &tp.deadline);
    ts_add(&tp.deadline, &tp.deadline, 64.0);
    sched_add(&tp.sn->node->sched, &tp.deadline, on_test_timer, &tp);
    world_add_jump(w, idx, 5000.5, -2.0);
    CHECK(world_run(w) == 0);
    /* (10000 s * (1 + 300e-6) + 2 s) / 64 s of local time */
    CHECK_INT_EQ(tp.fired, (int)((10000 * (1 + 300e-6) + 0.5 + 2.0 - 0.5) / 64));
    CHECK_INT_EQ(tp.early, 0);
    CHECK_NEAR(tp.worst_late, 0.0, 1e-8);
    world_free(w);
}

static void run_serve_world(uint64_t seed, struct probe_stats *out, double *off)
{
    const char *conf[] = {"local stratum 1", "allow", NULL};
    struct world *w = world_new(seed);
    w->duration = 500;
    world_add_node(w, "server", "10.0.0.1", conf, 0.001, 3.0, 1e-3);
    world_add_probes(w, "10.1", 3, 0, 16.0);
    CHECK(world_run(w) == 0);
    *out = w->pstats;
    *off = w->nodes[0].m.last_off;
    world_free(w);
}

static void test_world_deterministic(void)
{
    struct probe_stats a, b, c;
    double oa, ob, oc;
    run_serve_world(7, &a, &oa);
    run_serve_world(7, &b, &ob);
    run_serve_world(8, &c, &oc);
    CHECK(a.replies > 50);
    CHECK(a.sum_err == b.sum_err && a.sum_delay == b.sum_delay && a.replies == b.replies);
    CHECK(oa == ob);
    CHECK(a.sum_delay != c.sum_delay);
    CHECK(oa != oc);
}

/* The ideal estimator: exact without noise, deterministic, and better the more
 * often it measures (the defaults scenario's clock and link, 5 seeds). */
static void test_freqbound(void)
{
    struct freqbound_params p = {0.1, 100.0, 0.0, 0.0, 64.0, 10000.0, 210.0};
    double sum[3] = {0.0, 0.0, 0.0};
    static const double intervals[3] = {64.0, 16.0, 1.0};
    CHECK(freqbound_rms_ppb(&p, 1) < 1e-3);
    p.wander = 1e-9;
    p.jitter = 1e-4;
    CHECK(freqbound_rms_ppb(&p, 3) == freqbound_rms_ppb(&p, 3));
    CHECK(freqbound_rms_ppb(&p, 3) != freqbound_rms_ppb(&p, 4));
    for (uint64_t seed = 1; seed <= 5; seed++) {
        for (int k = 0; k < 3; k++) {
            p.interval = intervals[k];
            sum[k] += freqbound_rms_ppb(&p, seed);
        }
    }
    CHECK(sum[0] > sum[1] && sum[1] > sum[2] && sum[2] > 0.0);
}

int selftest_run(void)
{
    RUN(test_vclock_drift);
    RUN(test_vclock_corrections);
    RUN(test_vclock_inverse);
    RUN(test_vclock_wander_piecewise);
    RUN(test_vclock_wander_variance);
    RUN(test_world_deterministic);
    RUN(test_world_node_timers);
    RUN(test_freqbound);
    return check_total_fail;
}
