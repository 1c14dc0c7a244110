#include "daemon/sched.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <assert.h>
#include <stdlib.h>

void sched_init(struct sched *s)
{
    s->heap = NULL;
    s->n = s->cap = 0;
    s->next_id = 1;
    s->next_seq = 0;
    s->running = 0;
    s->run_now.tv_sec = 0;
    s->run_now.tv_nsec = 0;
    s->shifted = 0.0;
}

void sched_fini(struct sched *s)
{
    free(s->heap);
    s->heap = NULL;
    s->n = s->cap = 0;
}

static int before(const struct sched_timer *a, const struct sched_timer *b)
{
    int c = ts_cmp(&a->when, &b->when);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

static void swap(struct sched *s, size_t i, size_t j)
{
    struct sched_timer t = s->heap[i];
    s->heap[i] = s->heap[j];
    s->heap[j] = t;
}

static void sift_up(struct sched *s, size_t i)
{
    assert(i < s->n);
    while (i > 0 && before(&s->heap[i], &s->heap[(i - 1) / 2])) {
        swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct sched *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && before(&s->heap[l], &s->heap[m]))
            m = l;
        if (r < s->n && before(&s->heap[r], &s->heap[m]))
            m = r;
        if (m == i)
            return;
        swap(s, i, m);
        i = m;
    }
}

uint64_t sched_add(struct sched *s, const struct timespec *when, sched_cb cb, void *arg)
{
    struct sched_timer *t;
    uint64_t id;

    /* ts_cmp orders normalised times only. */
    assert(when && cb && when->tv_nsec >= 0 && when->tv_nsec < 1000000000L);
    id = s->next_id++;
    s->heap = xgrow(s->heap, &s->cap, s->n + 1, sizeof(*s->heap));
    t = &s->heap[s->n];
    t->when = *when;
    t->id = id;
    t->seq = s->next_seq++;
    t->cb = cb;
    t->arg = arg;
    s->n++;
    /* sift_up moves entries: t no longer points at the new timer afterwards */
    sift_up(s, s->n - 1);
    return id;
}

uint64_t sched_add_after(struct sched *s, const struct timespec *now, double delay, sched_cb cb,
                         void *arg)
{
    struct timespec when;
    assert(now && delay == delay); /* not NaN */
    ts_add(&when, now, delay);
    return sched_add(s, &when, cb, arg);
}

static void remove_at(struct sched *s, size_t i)
{
    assert(i < s->n);
    s->n--;
    if (i == s->n)
        return;
    s->heap[i] = s->heap[s->n];
    sift_down(s, i);
    sift_up(s, i);
}

void sched_cancel(struct sched *s, uint64_t id)
{
    if (!id)
        return;
    for (size_t i = 0; i < s->n; i++) {
        if (s->heap[i].id == id) {
            remove_at(s, i);
            return;
        }
    }
}

int sched_pending_when(const struct sched *s, uint64_t id, struct timespec *when)
{
    for (size_t i = 0; id && i < s->n; i++) {
        if (s->heap[i].id == id) {
            *when = s->heap[i].when;
            return 1;
        }
    }
    return 0;
}

int sched_next(const struct sched *s, struct timespec *when)
{
    if (!s->n)
        return 0;
    assert(s->n < 2 || !before(&s->heap[1], &s->heap[0])); /* heap order */
    *when = s->heap[0].when;
    return 1;
}

int sched_run_due(struct sched *s, const struct timespec *now)
{
    int ran = 0, nested = s->running;
    struct timespec outer = s->run_now;

    s->run_now = *now;
    s->running = 1;
    while (s->n && ts_cmp(&s->heap[0].when, &s->run_now) <= 0) {
        struct sched_timer t = s->heap[0];
        remove_at(s, 0);
        t.cb(t.arg, &s->run_now);
        ran++;
    }
    s->running = nested;
    if (nested)
        s->run_now = outer;
    return ran;
}

void sched_shift(struct sched *s, double offset)
{
    /* A uniform shift keeps the heap order. */
    for (size_t i = 0; i < s->n; i++)
        ts_add(&s->heap[i].when, &s->heap[i].when, -offset);
    if (s->running)
        ts_add(&s->run_now, &s->run_now, -offset);
    s->shifted += offset;
}
