/* Sorted array of transmit timers (see txqueue.h). Insertion and removal move the tail
 * with memmove: a few microseconds for 10 000 timers, done once per transmission. */
#include "core/txqueue.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <stdlib.h>
#include <string.h>

void txq_init(struct txqueue *q)
{
    q->v = NULL;
    q->n = q->cap = 0;
}

void txq_fini(struct txqueue *q)
{
    free(q->v);
    txq_init(q);
}

static int key_cmp(const struct timespec *when, uint64_t seq, const struct txq_entry *e)
{
    int c = ts_cmp(when, &e->when);
    if (c != 0)
        return c;
    return seq < e->seq ? -1 : seq > e->seq;
}

/* The first position whose entry is not before (when, seq). */
static size_t lower_bound(const struct txqueue *q, const struct timespec *when, uint64_t seq)
{
    size_t lo = 0, hi = q->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(when, seq, &q->v[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void txq_insert(struct txqueue *q, const struct timespec *when, uint64_t seq, int cls, void *item)
{
    size_t at;

    q->v = xgrow(q->v, &q->cap, q->n + 1, sizeof(*q->v));
    at = lower_bound(q, when, seq);
    memmove(&q->v[at + 1], &q->v[at], (q->n - at) * sizeof(*q->v));
    q->v[at] = (struct txq_entry){*when, seq, cls, item};
    q->n++;
}

int txq_remove(struct txqueue *q, const struct timespec *when, uint64_t seq)
{
    size_t at = lower_bound(q, when, seq);

    if (at >= q->n || key_cmp(when, seq, &q->v[at]) != 0)
        return 0;
    memmove(&q->v[at], &q->v[at + 1], (q->n - at - 1) * sizeof(*q->v));
    q->n--;
    return 1;
}

const struct txq_entry *txq_first(const struct txqueue *q)
{
    return q->n > 0 ? &q->v[0] : NULL;
}

void txq_separate(const struct txqueue *q, int cls, double sep, double tolerance,
                  struct timespec *when)
{
    struct timespec from;
    size_t i;

    /* Entries at or before *when - sep can never be within reach: *when only grows. A
     * nanosecond of margin for the rounding of the subtraction. */
    ts_add(&from, when, -sep - 1e-9);
    for (i = lower_bound(q, &from, 0); i < q->n; i++) {
        const struct txq_entry *o = &q->v[i];
        double d;
        if (o->cls != cls)
            continue;
        d = ts_diff(when, &o->when);
        if (d <= -sep)
            break; /* this one and every later one are at least sep away */
        if (d < sep - tolerance)
            ts_add(when, &o->when, sep);
    }
}

void txq_shift(struct txqueue *q, double s)
{
    for (size_t i = 0; i < q->n; i++)
        ts_add(&q->v[i].when, &q->v[i].when, s);
    /* Two times a nanosecond apart may round to one: put their seq back in order. */
    for (size_t i = 1; i < q->n; i++) {
        struct txq_entry t = q->v[i];
        size_t j = i;
        while (j > 0 && key_cmp(&t.when, t.seq, &q->v[j - 1]) < 0) {
            q->v[j] = q->v[j - 1];
            j--;
        }
        q->v[j] = t;
    }
}
