/* sim: the deterministic simulator's command line.
 *   sim                  self-checks + every scenario not flagged all_only
 *   sim --all            every scenario; all_only ones count as failures too
 *   sim --figures        every scenario with its table of figures (all_only ones
 *                        are shown as xfail instead of FAIL unless --all)
 *   sim --scenario NAME  just that scenario (repeatable); --seed N overrides seeds
 *   sim --list           the scenario table
 *   sim --freq-bound     the engine's RMS frequency-estimate error next to an
 *                        ideal estimator's (freqbound.h) for one-server scenarios
 *                        (defaults unless --scenario), seeds 1..20 unless --seed
 * Prints PASS/FAIL lines for tests/run-all.sh. */
#include "freqbound.h"
#include "scenario.h"
#include "selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SELECTED 64

struct opts {
    int all, figures, list, verbose, have_seed, freq_bound;
    uint64_t seed;
    const char *selected[MAX_SELECTED];
    int n_selected;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sim [--seed N] [--scenario NAME]... [--all] [--figures] [--list] "
               "[--verbose] [--freq-bound]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--all")) {
            o->all = 1;
        } else if (!strcmp(a, "--figures")) {
            o->figures = 1;
        } else if (!strcmp(a, "--list")) {
            o->list = 1;
        } else if (!strcmp(a, "--freq-bound")) {
            o->freq_bound = 1;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o->verbose = 1;
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            char *end;
            o->seed = strtoull(argv[++i], &end, 0);
            if (*end)
                return -1;
            o->have_seed = 1;
        } else if (!strcmp(a, "--scenario") && i + 1 < argc && o->n_selected < MAX_SELECTED) {
            o->selected[o->n_selected++] = argv[++i];
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else {
            return -1;
        }
    }
    return 0;
}

static const struct scenario *find_scenario(const char *name)
{
    for (size_t i = 0; i < sim_n_scenarios; i++)
        if (!strcmp(sim_scenarios[i].name, name))
            return &sim_scenarios[i];
    return NULL;
}

static void list_scenarios(void)
{
    for (size_t i = 0; i < sim_n_scenarios; i++) {
        const struct scenario *s = &sim_scenarios[i];
        printf("%-22s %-10s seed %-4llu %8.0f s  %s\n", s->name,
               s->benchmark  ? "benchmark"
               : s->all_only ? "needs-sync"
                             : "default",
               (unsigned long long)s->seed, s->duration, s->desc);
    }
}

#define FB_SEEDS 20

/* The ideal estimator's parameters for a scenario with one measured client of a
 * perfect server over the default exponential link; 0 if it has another shape. */
static int freq_bound_params(const struct scenario *s, struct freqbound_params *p)
{
    const struct sc_node *c = NULL;
    for (int i = 0; i < SC_MAX_NODES && s->nodes[i].name; i++) {
        if (s->nodes[i].measured) {
            if (c)
                return 0;
            c = &s->nodes[i];
        }
    }
    if (!c || s->clients.count || s->links[0].ab.delay > 0.0 || s->link.kind != JITTER_EXP ||
        s->link.loss > 0.0 || s->jumps[0].jump != 0.0)
        return 0;
    p->offset = c->offset;
    p->freq_ppm = c->freq_ppm;
    p->wander = c->wander;
    p->jitter = s->link.jitter;
    p->interval = 64.0; /* minpoll 6: no engine with default options polls faster */
    p->duration = s->duration;
    p->warmup = s->warmup;
    return 1;
}

/* One row per scenario: means over the seeds of the engine's figure, of the
 * ideal estimator's at the shortest default poll and at much shorter ones, of a
 * genie's (the ideal estimator with noise-free measurements at 64 s: what the
 * wander alone leaves), and of the engine's whole frequency error, slew included
 * (ppm: the figure chrony's simulation tests bound, freq_rms_limit). */
static int freq_bound(const struct opts *o)
{
    static const double intervals[] = {64.0, 16.0, 1.0};
    const char *deflt[] = {"defaults"};
    const char *const *names = o->n_selected ? o->selected : deflt;
    int n_names = o->n_selected ? o->n_selected : 1;
    uint64_t first = o->have_seed ? o->seed : 1, last = o->have_seed ? o->seed : FB_SEEDS;

    printf("# RMS frequency-estimate error (ppb) from the warm-up on, mean over seeds "
           "%llu..%llu;\n# whole_ppm: the clock's whole frequency error, slew included "
           "(ppm)\n%-14s %10s %12s %12s %12s %12s %12s\n",
           (unsigned long long)first, (unsigned long long)last, "scenario", "engine", "ideal_64s",
           "ideal_16s", "ideal_1s", "genie_64s", "whole_ppm");
    for (int i = 0; i < n_names; i++) {
        const struct scenario *s = find_scenario(names[i]);
        struct freqbound_params p, genie;
        double engine = 0.0, ideal[3] = {0.0, 0.0, 0.0}, noise_free = 0.0, whole = 0.0;
        if (!s || !freq_bound_params(s, &p)) {
            fprintf(stderr, "sim: %s is not a one-server scenario with exponential jitter\n",
                    names[i]);
            return 2;
        }
        genie = p;
        genie.jitter = 0.0;
        for (uint64_t seed = first; seed <= last; seed++) {
            struct sc_result r;
            sc_run(s, seed, 0, 0, 1, &r);
            engine += r.rms_freq_ppb;
            whole += r.rms_wfreq_ppm;
            for (int k = 0; k < 3; k++) {
                p.interval = intervals[k];
                ideal[k] += freqbound_rms_ppb(&p, seed);
            }
            noise_free += freqbound_rms_ppb(&genie, seed);
        }
        double n = (double)(last - first + 1);
        printf("%-14s %10.1f %12.1f %12.1f %12.1f %12.1f %12.3f\n", s->name, engine / n,
               ideal[0] / n, ideal[1] / n, ideal[2] / n, noise_free / n, whole / n);
    }
    return 0;
}

/* Run one scenario and print its verdict line. Returns 1 if it passed, 0 if it failed
 * uncounted (xfail), -1 if it failed and counts. */
static int run_one(const struct scenario *s, const struct opts *o, int counted)
{
    struct sc_result r;
    uint64_t seed = o->have_seed ? o->seed : s->seed;
    sc_run(s, seed, o->figures, o->verbose, counted, &r);
    if (r.ok)
        printf("PASS sim/%s (seed %llu)\n", s->name, (unsigned long long)seed);
    else if (counted)
        printf("FAIL sim/%s (seed %llu): %s\n", s->name, (unsigned long long)seed, r.why);
    else
        printf("xfail sim/%s (seed %llu, runs only with --all): %s\n", s->name,
               (unsigned long long)seed, r.why);
    fflush(stdout);
    return r.ok ? 1 : counted ? -1 : 0;
}

static void tally(int verdict, int *passed, int *failed, int *xfailed)
{
    if (verdict > 0)
        (*passed)++;
    else if (verdict < 0)
        (*failed)++;
    else
        (*xfailed)++;
}

int main(int argc, char **argv)
{
    struct opts o;
    int failed = 0, passed = 0, xfailed = 0;
    if (parse_args(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    if (o.list) {
        list_scenarios();
        return 0;
    }
    if (o.freq_bound)
        return freq_bound(&o);
    if (o.have_seed)
        printf("# sim: seed %llu for every scenario\n", (unsigned long long)o.seed);
    else
        printf("# sim: fixed per-scenario seeds (override with --seed N)\n");
    if (o.n_selected) {
        for (int i = 0; i < o.n_selected; i++) {
            const struct scenario *s = find_scenario(o.selected[i]);
            if (!s) {
                fprintf(stderr, "sim: unknown scenario %s (see --list)\n", o.selected[i]);
                return 2;
            }
            if (o.figures && i == 0)
                sc_print_header();
            tally(run_one(s, &o, 1), &passed, &failed, &xfailed);
        }
    } else {
        if (selftest_run())
            failed++;
        if (o.figures)
            sc_print_header();
        for (size_t i = 0; i < sim_n_scenarios; i++) {
            const struct scenario *s = &sim_scenarios[i];
            if (s->all_only && !o.all && !o.figures)
                continue;
            tally(run_one(s, &o, !s->all_only || o.all), &passed, &failed, &xfailed);
        }
    }
    printf("# sim: %d passed, %d failed, %d xfail (run only with --all)\n", passed, failed,
           xfailed);
    return failed ? 1 : 0;
}
