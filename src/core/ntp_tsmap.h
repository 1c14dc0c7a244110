/* The server's memory for interleaved mode (chrony's NTP timestamp table): for each reply
 * sent to a client that may ask in interleaved mode, the receive timestamp written in it
 * and the local time it really left, so that the client's next request (whose origin is
 * that receive timestamp) can be answered with the accurate transmit time. Fixed size;
 * colliding entries replace older ones, which only costs a basic-mode reply. */
#ifndef CORE_NTP_TSMAP_H
#define CORE_NTP_TSMAP_H

#include "lib/ntp_time.h"

#include <stddef.h>
#include <time.h>

struct ntp_tsmap_entry {
    struct ntp_ts64 rx; /* receive timestamp of the reply (key); zero = free */
    struct timespec tx; /* when the reply left (cooked local time) */
    int tx_src;         /* enum clientlog_ts_source of tx */
};

struct ntp_tsmap {
    struct ntp_tsmap_entry *e;
    size_t mask; /* capacity - 1 (a power of two), 0 when disabled */
    size_t used;
};

/* capacity is rounded down to a power of two; 0 disables the table. */
void ntp_tsmap_init(struct ntp_tsmap *m, size_t capacity);
void ntp_tsmap_fini(struct ntp_tsmap *m);
/* Remember that the reply with receive timestamp rx left at tx. */
void ntp_tsmap_save(struct ntp_tsmap *m, const struct ntp_ts64 *rx, const struct timespec *tx,
                    int tx_src);
/* The transmit time of the reply whose receive timestamp is rx; the entry is removed so it
 * answers one request only. Returns 1 if found. */
int ntp_tsmap_take(struct ntp_tsmap *m, const struct ntp_ts64 *rx, struct timespec *tx,
                   int *tx_src);
/* A better time (kernel/hardware) for when the reply with receive timestamp rx left: it
 * replaces the one held if it is 0-1 s after it (chrony's MAX_TX_DELAY). Returns 1 if
 * replaced. */
int ntp_tsmap_update(struct ntp_tsmap *m, const struct ntp_ts64 *rx, const struct timespec *tx,
                     int tx_src);
/* Entries held and the span (s) between their oldest and newest receive timestamps. */
size_t ntp_tsmap_count(const struct ntp_tsmap *m);
double ntp_tsmap_span(const struct ntp_tsmap *m);

#endif
