/* sim: the deterministic simulator's command line.
 *   sim                  self-checks + every scenario not flagged all_only
 *   sim --all            every scenario; all_only ones count as failures too
 *   sim --figures        every scenario with its table of figures (all_only ones
 *                        are shown as xfail instead of FAIL unless --all)
 *   sim --scenario NAME  just that scenario (repeatable); --seed N overrides seeds
 *   sim --list           the scenario table
 * Prints PASS/FAIL lines for tests/run-all.sh. */
#include "scenario.h"
#include "selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SELECTED 64

struct opts {
    int all, figures, list, verbose, have_seed;
    uint64_t seed;
    const char *selected[MAX_SELECTED];
    int n_selected;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sim [--seed N] [--scenario NAME]... [--all] [--figures] [--list] "
               "[--verbose]\n");
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
