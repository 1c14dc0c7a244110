/* Unit tests for the timer scheduler. */
#include "check.h"

#include "daemon/sched.h"

#include <string.h>

static int order[8], n_order;

static void record(void *arg, const struct timespec *now)
{
    order[n_order++] = (int)(long)arg;
}

static void test_order_and_cancel(void)
{
    struct sched s;
    struct timespec now = {100, 0}, when;
    uint64_t id;
    sched_init(&s);
    n_order = 0;
    sched_add_after(&s, &now, 3.0, record, (void *)3L);
    sched_add_after(&s, &now, 1.0, record, (void *)1L);
    id = sched_add_after(&s, &now, 2.0, record, (void *)2L);
    sched_add_after(&s, &now, 1.0, record, (void *)4L);
    sched_cancel(&s, id);
    CHECK(sched_next(&s, &when));
    CHECK_INT_EQ(when.tv_sec, 101);
    now.tv_sec = 102;
    CHECK_INT_EQ(sched_run_due(&s, &now), 2);
    CHECK_INT_EQ(order[0], 1);
    CHECK_INT_EQ(order[1], 4); /* ties run in insertion order */
    now.tv_sec = 110;
    CHECK_INT_EQ(sched_run_due(&s, &now), 1);
    CHECK_INT_EQ(order[2], 3);
    CHECK(!sched_next(&s, &when));
    sched_fini(&s);
}

static void test_shift(void)
{
    struct sched s;
    struct timespec now = {100, 0}, when;
    sched_init(&s);
    sched_add_after(&s, &now, 10.0, record, (void *)1L);
    sched_shift(&s, 2.5);
    CHECK(sched_next(&s, &when));
    CHECK_INT_EQ(when.tv_sec, 107);
    CHECK_INT_EQ(when.tv_nsec, 500000000);
    sched_fini(&s);
}

static struct sched *stepping;

/* A timer whose callback steps the clock back by 10 s (the deadlines move 10 s earlier). */
static void step_back(void *arg, const struct timespec *now)
{
    (void)arg;
    (void)now;
    order[n_order++] = 9;
    sched_shift(stepping, 10.0);
}

/* A step made during a run moves the run's time with the deadlines: a timer due 3 s after
 * the step's timer is still 3 s away, not run at once (issue 10 defect 1). */
static void test_step_during_run(void)
{
    struct sched s;
    struct timespec now = {100, 0}, when;

    sched_init(&s);
    stepping = &s;
    n_order = 0;
    sched_add_after(&s, &now, 1.0, step_back, NULL);
    sched_add_after(&s, &now, 5.0, record, (void *)5L);
    now.tv_sec = 102;
    CHECK_INT_EQ(sched_run_due(&s, &now), 1);
    CHECK_INT_EQ(n_order, 1);
    CHECK(sched_next(&s, &when));
    CHECK_INT_EQ(when.tv_sec, 95);
    sched_fini(&s);
}

/* Regression (found by valgrind): sched_init left `running`, `run_now` (and `shifted`) as
 * they were, so on memory not zeroed a run took itself for a nested one and restored
 * garbage. */
static void test_init_on_dirty_memory(void)
{
    struct sched s;
    struct timespec now = {100, 0};
    memset(&s, 0xa5, sizeof(s));
    sched_init(&s);
    CHECK_INT_EQ(s.running, 0);
    CHECK(s.shifted == 0.0);
    sched_add_after(&s, &now, 1.0, record, (void *)1L);
    n_order = 0;
    now.tv_sec = 200;
    CHECK_INT_EQ(sched_run_due(&s, &now), 1);
    CHECK_INT_EQ(s.running, 0);
    CHECK(s.run_now.tv_sec == 200 && s.run_now.tv_nsec == 0);
    sched_fini(&s);
}

static void test_cancel_returns_own_id(void)
{
    /* Regression: the id of a timer that sifts up must still name that timer. */
    struct sched s;
    struct timespec now = {100, 0};
    uint64_t late, early;
    sched_init(&s);
    n_order = 0;
    late = sched_add_after(&s, &now, 5.0, record, (void *)5L);
    early = sched_add_after(&s, &now, 1.0, record, (void *)1L);
    CHECK(late != early);
    sched_cancel(&s, early);
    now.tv_sec = 200;
    CHECK_INT_EQ(sched_run_due(&s, &now), 1);
    CHECK_INT_EQ(order[0], 5);
    sched_fini(&s);
}

int main(void)
{
    RUN(test_cancel_returns_own_id);
    RUN(test_init_on_dirty_memory);
    RUN(test_order_and_cancel);
    RUN(test_shift);
    RUN(test_step_during_run);
    return check_summary();
}
