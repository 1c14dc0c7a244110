/* The sources' transmit timers in deadline order: the earliest one without a scan of
 * every source, and the separation chrony keeps between requests of one class
 * (SCH_AddTimeoutInClass) with a walk over the neighbours only. Raw times. */
#ifndef CORE_TXQUEUE_H
#define CORE_TXQUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct txq_entry {
    struct timespec when; /* raw deadline */
    uint64_t seq;         /* order of arming: the earlier breaks a tie */
    int cls;              /* separation class */
    void *item;           /* the caller's (not owned) */
};

/* Entries sorted by (when, seq); (when, seq) is unique. */
struct txqueue {
    struct txq_entry *v;
    size_t n, cap;
};

void txq_init(struct txqueue *q);
void txq_fini(struct txqueue *q);
void txq_insert(struct txqueue *q, const struct timespec *when, uint64_t seq, int cls, void *item);
/* Remove the entry (when, seq); 0 if there is none. */
int txq_remove(struct txqueue *q, const struct timespec *when, uint64_t seq);
/* The earliest entry, NULL when empty. */
const struct txq_entry *txq_first(const struct txqueue *q);
/* Move *when later until it is at least sep s from every entry of class cls: within
 * (-sep, sep - tolerance) of one, it goes to that one's time + sep, until none is. The
 * result is the earliest such time not before *when, whatever order the entries are
 * looked at in (every time skipped is within sep of the entry that moved it). */
void txq_separate(const struct txqueue *q, int cls, double sep, double tolerance,
                  struct timespec *when);
/* Every entry moved by s seconds (a step of the raw timescale); the order is kept. */
void txq_shift(struct txqueue *q, double s);

#endif
