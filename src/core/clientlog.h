/* The client log: a bounded hash table of per-address request counters (NTP,
 * NTS-KE, commands) with token-bucket rate limiting, plus the server-wide
 * counters of `serverstats`. Sizing and behaviour follow chronyd 4.8 (clientlog.c):
 * 16 records per hash slot, the table doubling from one slot up to the record count
 * chrony derives from `clientloglimit` (4096 for the default 512 KiB), times kept in
 * 1/16 s units.
 *
 * Eviction: a new address goes to an empty record of its slot (the slot is chosen by a
 * keyed hash, secret per daemon); if the slot is full the table doubles while the limit
 * allows; once it cannot, the new address takes over the record of its slot whose most
 * recent request (of any service) is the oldest, and of equally old ones the record
 * with fewer requests. The replaced client's counters and rate-limit state are lost
 * (its next request starts a fresh record with a full token bucket); each replacement
 * is counted in `serverstats` "Client log records dropped". Records are never removed
 * otherwise. Memory: the table is at most 80 bytes per record (2/3 of clientloglimit),
 * reserved at creation and touched only as it grows; lookups never allocate. */
#ifndef CORE_CLIENTLOG_H
#define CORE_CLIENTLOG_H

#include "lib/addr.h"
#include "lib/rng.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum clientlog_service { CLOG_NTP = 0, CLOG_NTSKE = 1, CLOG_CMD = 2, CLOG_N_SERVICES = 3 };

/* Where a server timestamp came from (serverstats: daemon / kernel / hardware). */
enum clientlog_ts_source { CLOG_TS_DAEMON = 0, CLOG_TS_KERNEL = 1, CLOG_TS_HW = 2 };

/* Records per hash slot; the first table has one slot (chrony: n_indices 16). */
#define CLIENTLOG_SLOT_SIZE 16
/* log2 intervals outside the known range are reported as this (chronyc prints "-"). */
#define CLIENTLOG_INTERVAL_UNKNOWN 127
/* "never" in the *_ago fields. */
#define CLIENTLOG_NEVER 0xFFFFFFFFu

/* A `ratelimit`-style limit: interval and leak are log2 values (interval in
 * log2 seconds, leak: one response in 2^leak is let through when limited; kod:
 * one limited request in 2^kod gets a KoD RATE reply instead of nothing, 0 = never,
 * clamped to 0..4 as chrony does; NTP only). */
struct clientlog_limit {
    int enabled;
    int interval, burst, leak, kod;
};

/* What clientlog_limit_rate decides for a response (chrony CLG_Limit). */
enum clientlog_limit_verdict { CLOG_PASS = 0, CLOG_DROP = 1, CLOG_KOD = 2 };

struct clientlog_params {
    int active;                /* 0 with `noclientlog`: only global counters */
    unsigned long limit_bytes; /* `clientloglimit` */
    struct clientlog_limit limits[CLOG_N_SERVICES];
};

/* One record as `clients` shows it (CLIENT_ACCESSES_BY_INDEX3, spec 6.9). */
struct clientlog_report {
    struct ip_addr ip;
    uint32_t hits[CLOG_N_SERVICES];
    uint32_t drops[CLOG_N_SERVICES];
    int8_t interval[CLOG_N_SERVICES];   /* log2 s of the average request interval */
    int8_t ntp_timeout_interval;        /* same, of NTP requests after a dropped one */
    uint32_t last_ago[CLOG_N_SERVICES]; /* s since the last request, or CLIENTLOG_NEVER */
};

/* Server-wide counters (SERVER_STATS, spec 6.8). */
struct clientlog_stats {
    uint64_t hits[CLOG_N_SERVICES];
    uint64_t drops[CLOG_N_SERVICES];
    uint64_t log_drops; /* records replaced because the table was full */
    uint64_t ntp_auth_hits, ntp_interleaved_hits;
    uint64_t ntp_timestamps, ntp_span_seconds; /* interleaved-mode timestamps held */
    uint64_t ntp_rx_ts[3], ntp_tx_ts[3];       /* indexed by enum clientlog_ts_source */
};

struct clientlog;

/* seed drives the leak decisions and the random alignment of stored times.
 * Returns NULL only if rate limiting is requested while the log is inactive
 * (chrony refuses `ratelimit` with `noclientlog`). An active log reserves here the
 * memory of the largest table limit_bytes allows, so that lookups never allocate.
 * Free with clientlog_free. */
struct clientlog *clientlog_new(const struct clientlog_params *p, uint64_t seed);
void clientlog_free(struct clientlog *cl);

/* A table another process can read (`serverworkers`, ours): its slots and its mutable
 * header (the slot count, a sequence counter, the reset requests) live in memory the
 * caller gives, clientlog_shared_bytes(p) bytes (0 for an inactive log), 64-byte aligned
 * and zeroed, that outlives the handles on it. The header takes the first
 * CLIENTLOG_SHARED_HEADER bytes and starts with the 32-bit sequence counter, odd while
 * the writer changes the table (a seqlock). The default clientlog_new() table is private
 * and pays nothing of this. */
#define CLIENTLOG_SHARED_HEADER 64
size_t clientlog_shared_bytes(const struct clientlog_params *p);
/* The writer's handle (the only one that logs into the table): as clientlog_new() with
 * the table built in mem. NULL if p is inactive, refused as by clientlog_new(), or mem is
 * NULL or misaligned. clientlog_free() frees the handle, not mem. */
struct clientlog *clientlog_new_in(const struct clientlog_params *p, uint64_t seed, void *mem);
/* A read-only view of the table a writer built in mem with the same p and seed (in
 * another process). clientlog_n_indices and clientlog_report_index read it through the
 * seqlock: a record the writer keeps changing (a counter that stays odd or moves over
 * 1000 copies) is reported as empty, never torn; reset is ignored (see below); the writing
 * functions must not be called. */
struct clientlog *clientlog_view(const struct clientlog_params *p, uint64_t seed, void *mem);
/* The writer of a view's table ended: its records are read as they are from now on (a
 * writer killed during an update leaves the counter odd for good; without this each of
 * its records would cost 1000 copies and be reported as empty). */
void clientlog_view_orphan(struct clientlog *view);
/* The reader asks the writer of a view's table to reset it (`clients -r`). */
void clientlog_request_reset(struct clientlog *view);
/* The writer: if a reset was asked since the last call, zero the hit and drop counters of
 * every record, as walking all indices with clientlog_report_index(reset 1) does, and
 * return 1; else 0 (one atomic load). 0 for a private table or NULL. */
int clientlog_apply_reset(struct clientlog *cl);

/* Count one request of a service received at now. ip NULL or IPF_UNSPEC (the
 * Unix command socket) counts only globally. Returns the record index, or -1
 * when no record is kept. Never allocates: the table doubles in place within
 * the memory clientlog_new() reserved for its largest size. */
int clientlog_log_access(struct clientlog *cl, enum clientlog_service s, const struct ip_addr *ip,
                         const struct timespec *now);

/* After clientlog_log_access: CLOG_DROP if the response must be dropped to limit
 * the rate (counted as a drop), CLOG_KOD if a limited request is to be answered
 * with a KoD RATE instead (not counted as a drop, as chrony), CLOG_PASS if it may be
 * sent. index -1 never limits. */
enum clientlog_limit_verdict clientlog_limit_rate(struct clientlog *cl, enum clientlog_service s,
                                                  int index);

/* Count a served NTP response: authenticated, interleaved, and where the
 * receive and transmit timestamps came from (tx -1 = none). */
void clientlog_count_ntp(struct clientlog *cl, int auth, int interleaved, int rx_src, int tx_src);

/* The minimum poll the server advertises: the `ratelimit` interval, or -19. */
int clientlog_ntp_min_poll(const struct clientlog *cl);

/* Number of slots of the table (not of clients), -1 if logging is inactive. */
int clientlog_n_indices(const struct clientlog *cl);

/* Report the record at index if it holds a client with at least min_hits hits
 * in some service (0 = any): returns 1 and fills out, else 0. With reset, the
 * hit and drop counters of an occupied record are zeroed after reading. */
int clientlog_report_index(struct clientlog *cl, uint32_t index, int reset, uint32_t min_hits,
                           const struct timespec *now, struct clientlog_report *out);

void clientlog_get_stats(const struct clientlog *cl, struct clientlog_stats *out);

/* Most records the table can hold (a power of two; 0 when inactive), and the bytes of
 * the table as grown so far (what it can occupy in RAM). */
unsigned long clientlog_max_records(const struct clientlog *cl);
size_t clientlog_table_bytes(const struct clientlog *cl);

#endif
