/* The transmit timer queue (core/txqueue.c) against the linear scans the engine did
 * before: the earliest timer by (time, seq), and chrony's separation of a class computed
 * by passes over every timer in table order until none moves it. */
#include "check.h"

#include "core/txqueue.h"
#include "lib/ts.h"

#include <stdint.h>
#include <stdlib.h>

#define MAX_T 400

struct timer {
    struct timespec when;
    uint64_t seq;
    int cls, armed;
};

static uint32_t rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* The engine's separation before the queue: repeated passes in table order. */
static void separate_linear(const struct timer *t, int n, int cls, double sep, double tol,
                            struct timespec *when)
{
    int moved = 1;

    while (moved) {
        moved = 0;
        for (int i = 0; i < n; i++) {
            double d;
            if (!t[i].armed || t[i].cls != cls)
                continue;
            d = ts_diff(when, &t[i].when);
            if (d > -sep && d < sep - tol) {
                ts_add(when, &t[i].when, sep);
                moved = 1;
            }
        }
    }
}

/* The engine's earliest timer before the queue: a scan in table order. */
static int earliest_linear(const struct timer *t, int n)
{
    int best = -1;

    for (int i = 0; i < n; i++) {
        int c;
        if (!t[i].armed)
            continue;
        c = best < 0 ? -1 : ts_cmp(&t[i].when, &t[best].when);
        if (c < 0 || (c == 0 && t[i].seq < t[best].seq))
            best = i;
    }
    return best;
}

/* Times on a grid (many exact ties and distances of exactly sep) or anywhere. */
static void random_time(uint32_t *x, int grid, struct timespec *out)
{
    struct timespec base = {1700000000, 0};
    double s = grid ? 0.05 * (double)(rnd(x) % 400) : (double)(rnd(x) % 20000000) * 1e-6;
    ts_add(out, &base, s);
}

static void run_round(uint32_t seed, int grid, int *bad)
{
    static struct timer t[MAX_T];
    struct txqueue q;
    uint32_t x = seed;
    uint64_t seq = 0;
    int n = 0;

    txq_init(&q);
    for (int step = 0; step < 3000 && !*bad; step++) {
        uint32_t op = rnd(&x) % 10;
        int i = n > 0 ? (int)(rnd(&x) % (uint32_t)n) : 0;
        if (op < 5 && n < MAX_T) { /* arm a new timer, separated as the engine does */
            struct timespec a, b;
            double sep = (rnd(&x) % 2) ? 0.2 : 0.05 * (double)(1 + rnd(&x) % 8);
            int cls = (int)(rnd(&x) % 2);
            random_time(&x, grid, &a);
            b = a;
            separate_linear(t, n, cls, sep, 2e-9, &a);
            txq_separate(&q, cls, sep, 2e-9, &b);
            if (ts_cmp(&a, &b) != 0) {
                printf("# seed %u step %d: separated to %ld.%09ld, linear %ld.%09ld\n",
                       (unsigned)seed, step, (long)b.tv_sec, b.tv_nsec, (long)a.tv_sec, a.tv_nsec);
                *bad = 1;
            }
            t[n] = (struct timer){a, ++seq, cls, 1};
            txq_insert(&q, &a, seq, cls, &t[n]);
            n++;
        } else if (op < 8 && n > 0 && t[i].armed) { /* disarm (a transmission) */
            if (!txq_remove(&q, &t[i].when, t[i].seq))
                *bad = 1;
            t[i].armed = 0;
        } else if (op == 8 && n > 0) { /* a step of the raw timescale */
            double s = (double)(rnd(&x) % 2000) * 1e-3 - 1.0;
            txq_shift(&q, s);
            for (int k = 0; k < n; k++)
                ts_add(&t[k].when, &t[k].when, s);
        }
        {
            const struct txq_entry *f = txq_first(&q);
            int e = earliest_linear(t, n);
            if ((e < 0) != (f == NULL) || (f && f->item != &t[e])) {
                printf("# seed %u step %d: earliest differs\n", (unsigned)seed, step);
                *bad = 1;
            }
        }
    }
    /* Every armed timer is in the queue, in order. */
    {
        size_t armed = 0;
        for (int k = 0; k < n; k++)
            armed += (size_t)t[k].armed;
        CHECK_INT_EQ(q.n, armed);
        for (size_t k = 1; k < q.n; k++)
            CHECK(ts_cmp(&q.v[k - 1].when, &q.v[k].when) < 0 ||
                  (ts_cmp(&q.v[k - 1].when, &q.v[k].when) == 0 && q.v[k - 1].seq < q.v[k].seq));
    }
    txq_fini(&q);
}

static void test_against_linear_grid(void)
{
    int bad = 0;
    for (uint32_t seed = 1; seed <= 30 && !bad; seed++)
        run_round(seed, 1, &bad);
    CHECK(!bad);
}

static void test_against_linear_any_time(void)
{
    int bad = 0;
    for (uint32_t seed = 101; seed <= 130 && !bad; seed++)
        run_round(seed, 0, &bad);
    CHECK(!bad);
}

/* chrony's rule in a simple case: three clients armed for the same instant go 0.2 s
 * apart, a peer's class is not moved by them. */
static void test_separation_simple(void)
{
    struct txqueue q;
    struct timespec t0 = {1000, 0}, w;

    txq_init(&q);
    for (uint64_t k = 1; k <= 3; k++) {
        w = t0;
        txq_separate(&q, 0, 0.2, 2e-9, &w);
        CHECK_NEAR(ts_diff(&w, &t0), 0.2 * (double)(k - 1), 1e-9);
        txq_insert(&q, &w, k, 0, NULL);
    }
    w = t0;
    txq_separate(&q, 1, 0.2, 2e-9, &w);
    CHECK(ts_cmp(&w, &t0) == 0);
    CHECK(txq_remove(&q, &t0, 1));
    CHECK(!txq_remove(&q, &t0, 1));
    CHECK_INT_EQ(q.n, 2);
    txq_fini(&q);
}

int main(void)
{
    RUN(test_separation_simple);
    RUN(test_against_linear_grid);
    RUN(test_against_linear_any_time);
    return check_summary();
}
