/* The serving counters of one process as `serverstats` adds them up (`serverworkers`, ours):
 * each worker process sends its own to the main process in a small fixed-size message, the
 * main process keeps the last one of each worker and adds them to its own. */
#ifndef CORE_SERVE_STATS_H
#define CORE_SERVE_STATS_H

#include "core/clientlog.h"

#include <stddef.h>
#include <stdint.h>

struct serve_stats {
    /* The client log's counters; cl.ntp_timestamps and cl.ntp_span_seconds are gauges: the
     * interleaved-mode timestamps held now and the seconds they span. */
    struct clientlog_stats cl;
    uint64_t unauth_dropped; /* `authonly`: unauthenticated requests dropped */
};

/* A message: 4 bytes "WST" and version 1, then the 18 figures as big-endian 64-bit words. */
#define SERVE_STATS_MSG_LEN (4 + 18 * 8)

/* Write s into buf (SERVE_STATS_MSG_LEN bytes). */
void serve_stats_encode(const struct serve_stats *s, uint8_t *buf);
/* Read a message of len bytes into out: 0, or -1 (wrong length or header; out untouched). */
int serve_stats_decode(const uint8_t *buf, size_t len, struct serve_stats *out);
/* out = what cur counted since base (each counter cur - base, 0 if it went back); the
 * gauges are cur's. out may be cur. */
void serve_stats_since(struct serve_stats *out, const struct serve_stats *cur,
                       const struct serve_stats *base);
/* A new report of the process whose last one is held: no counter goes back (each keeps
 * the larger of the two), the gauges are the report's. */
void serve_stats_update(struct serve_stats *held, const struct serve_stats *report);
/* acc += s: counters and timestamps held add up, the span is the larger. */
void serve_stats_add(struct serve_stats *acc, const struct serve_stats *s);
/* The process ended: its counters stay, it holds no timestamps any more. */
void serve_stats_end(struct serve_stats *s);

#endif
