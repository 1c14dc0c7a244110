/* Death tests: an assertion at a component boundary fires (SIGABRT) for a caller bug in the
 * build `make check` uses, and the same call with valid arguments runs through. Each call
 * runs in a forked child so the abort ends only that child. */
#include "check.h"

#include "core/clock.h"
#include "core/regress.h"
#include "core/select.h"
#include "core/sourcestats.h"
#include "daemon/sched.h"
#include "lib/ts.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* How the child ended: the signal number, or -1 - exit status. */
static int run_child(void (*fn)(int), int arg)
{
    pid_t pid;
    int status;

    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return -1000;
    if (pid == 0) {
        /* The assertion's message is expected; keep the test output to PASS/FAIL lines. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(98);
        fn(arg);
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid)
        return -1001;
    if (WIFSIGNALED(status))
        return WTERMSIG(status);
    return -1 - WEXITSTATUS(status);
}

#define CHECK_ABORTS(fn, arg) CHECK_INT_EQ(run_child(fn, arg), SIGABRT)
#define CHECK_RUNS(fn, arg) CHECK_INT_EQ(run_child(fn, arg), -1)

/* Remove source `index` from a selector holding two. */
static void select_remove(int index)
{
    struct selector *s = select_new();

    select_add_source(s);
    select_add_source(s);
    select_remove_source(s, index);
    select_free(s);
}

static void test_select_index_out_of_range(void)
{
    CHECK_RUNS(select_remove, 1);
    CHECK_ABORTS(select_remove, 2); /* index == count */
    CHECK_ABORTS(select_remove, -1);
}

static void select_reset(int index)
{
    struct selector *s = select_new();

    select_add_source(s);
    select_reset_source(s, index);
    select_free(s);
}

static void test_select_reset_out_of_range(void)
{
    CHECK_RUNS(select_reset, 0);
    CHECK_ABORTS(select_reset, 1);
}

/* A clock event code: valid ones are below CLOCK_EV_COUNT. */
static void clock_event(int code)
{
    struct clock_cmd cmd;

    clock_cmd_init(&cmd);
    clock_cmd_add_event(&cmd, (enum clock_event_code)code, 0.0, 0.0, 0);
}

static void test_clock_event_code(void)
{
    CHECK_RUNS(clock_event, CLOCK_EV_FREQ_LIMIT);
    CHECK_ABORTS(clock_event, CLOCK_EV_COUNT);
}

/* A deadline with `nsec` nanoseconds: the heap orders normalised times only. */
static void sched_deadline(int nsec)
{
    struct sched s;
    struct timespec when = {100, nsec};

    sched_init(&s);
    sched_add(&s, &when, NULL, NULL);
    sched_fini(&s);
}

static void nop(void *arg, const struct timespec *now)
{
    (void)arg;
    (void)now;
}

static void sched_ok(int nsec)
{
    struct sched s;
    struct timespec when = {100, nsec};

    sched_init(&s);
    sched_add(&s, &when, nop, NULL);
    sched_fini(&s);
}

static void test_sched_preconditions(void)
{
    CHECK_RUNS(sched_ok, 999999999);
    CHECK_ABORTS(sched_ok, 1000000000); /* not normalised */
    CHECK_ABORTS(sched_deadline, 0);    /* no callback */
}

/* ts_add of a NaN interval: our arithmetic's bug, never an input's. */
static void ts_add_value(int nan)
{
    struct timespec t = {100, 0};

    ts_add(&t, &t, nan ? NAN : 0.5);
}

static void test_ts_add_nan(void)
{
    CHECK_RUNS(ts_add_value, 0);
    CHECK_ABORTS(ts_add_value, 1);
}

/* A regression without a result to write: out NULL is a caller bug. */
static void regress_out(int null_out)
{
    static const double x[4] = {0, 1, 2, 3}, y[4] = {0, 1, 2, 3.5}, w[4] = {1, 1, 1, 1};
    struct regress_fit fit;

    regress_weighted(x, y, w, 4, null_out ? NULL : &fit);
}

static void test_regress_null_out(void)
{
    CHECK_RUNS(regress_out, 0);
    CHECK_ABORTS(regress_out, 1);
}

/* sourcestats_add_sample without a sample time. */
static void stats_add(int null_time)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct timespec t = {1000, 0};

    sourcestats_params_default(&p);
    st = sourcestats_new(&p);
    sourcestats_add_sample(st, null_time ? NULL : &t, 0.001, 0.01, 0.001, 0.01, 0.001, 1, 0);
    sourcestats_free(st);
}

static void test_sourcestats_null_time(void)
{
    CHECK_RUNS(stats_add, 0);
    CHECK_ABORTS(stats_add, 1);
}

/* Hostile input is not a caller bug: a NaN offset gets a verdict, no assertion. */
static void stats_add_nan(int unused)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct timespec t = {1000, 0};

    (void)unused;
    sourcestats_params_default(&p);
    st = sourcestats_new(&p);
    if (sourcestats_add_sample(st, &t, NAN, 0.01, 0.001, 0.01, 0.001, 1, 0) != SOURCESTATS_REJECTED)
        _exit(3);
    sourcestats_free(st);
}

static void test_input_gets_verdict(void)
{
    CHECK_RUNS(stats_add_nan, 0);
}

int main(void)
{
    RUN(test_select_index_out_of_range);
    RUN(test_select_reset_out_of_range);
    RUN(test_clock_event_code);
    RUN(test_sched_preconditions);
    RUN(test_ts_add_nan);
    RUN(test_regress_null_out);
    RUN(test_sourcestats_null_time);
    RUN(test_input_gets_verdict);
    return check_summary();
}
