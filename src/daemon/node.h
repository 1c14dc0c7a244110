/* One running daemon: all of its state hangs off struct node. The platform
 * loop (or the simulator's world loop) drives it through these calls. */
#ifndef DAEMON_NODE_H
#define DAEMON_NODE_H

#include "daemon/env.h"

#include <stdint.h>
#include <time.h>

struct config;
struct node;
struct serve_stats;

struct node_opts {
    int family;            /* 0 both, 4 or 6 (chronyd -4/-6) */
    double precision;      /* measured clock precision in s (0: assume 1e-9) */
    int noclock;           /* chronyd -x: the system clock is not controlled */
    int defer_unix_socket; /* open the command socket in node_start_unprivileged */
    int quit_mode;         /* chronyd -q (1: measure once and correct) or -Q (2: print once) */
    int reload_dumps;      /* chronyd -r: load the dumpdir files of the sources at start */
    const char *user;      /* -u or `user`: NTS-KE helper processes switch to it */
    int scfilter;          /* -F level, applied by NTS-KE helper processes too */
    const char *version;   /* chronyd's version (the metrics page); NULL: unknown */
    int rtc_set;           /* chronyd -s: set the clock from the RTC at start */
};

/* cfg must outlive the node; env likewise. */
struct node *node_new(const struct config *cfg, const struct env *env,
                      const struct node_opts *opts);
void node_free(struct node *n);
/* Open sockets and start timers. Returns 0, or -1 with a message in err. */
int node_start(struct node *n, const struct timespec *now, char *err, size_t errlen);
/* Start-up work done after privileges were dropped (the Unix command socket). */
void node_start_unprivileged(struct node *n);
/* Earliest raw time at which node_on_timer must run; 0 if none. */
int node_next_timeout(void *node, struct timespec *when);
/* After every wake-up of the loop, once its datagrams were handled: sends the replies they
 * queued (one batch), checks for a jump of the clock, then runs the due timers. now is the
 * clock read after the datagrams: one of them may have stepped it, moving the deadlines and
 * the jump detector's reference, which a time read before the step would not match. */
void node_on_timer(void *node, const struct timespec *now);
void node_on_datagram(void *node, const struct net_rx *rx, const struct timespec *now);
/* 1 once the daemon should exit (the `shutdown` command, a finished -q/-Q run). */
int node_quit_requested(void *node);
/* Exit status the daemon should end with (non-zero after a failed -q/-Q run). */
int node_exit_status(const struct node *n);
/* 1 when the node serves time at raw time now (synchronised, or `local`), as chrony's
 * stratum below 16; 0 otherwise. */
int node_synchronised(const struct node *n, const struct timespec *now);
/* 1 while initstepslew runs (chronyd's foreground process waits for its end). */
int node_init_running(const struct node *n);
/* -q/-Q: 1 once the single measurement was made. */
int node_quit_mode_done(const struct node *n);
/* Orderly shutdown work (drift file, dumps). */
void node_stop(struct node *n, const struct timespec *now);

/* serverworkers (ours, node_worker.c). The main process's served state as plain bytes of
 * node_served_state_size(): filled by node_get_served_state, applied in a worker by
 * node_set_served_state. */
size_t node_served_state_size(void);
void node_get_served_state(const struct node *n, void *buf);
void node_set_served_state(struct node *n, const void *buf);
/* In a just-forked worker whose inherited descriptors the platform closed: open its own
 * server sockets. Then the worker's loop hands its datagrams to node_worker_on_datagram
 * (the server only) and ends each wake-up with node_worker_on_timer (the batch leaves). */
void node_worker_begin(struct node *n);
void node_worker_on_datagram(void *node, const struct net_rx *rx, const struct timespec *now);
void node_worker_on_timer(void *node, const struct timespec *now);
/* This process's serving counters (a worker reports them), and in the main process the
 * workers' reports added up, which serverstats adds to the main process's own. */
void node_worker_stats(const struct node *n, struct serve_stats *out);
void node_set_workers_stats(struct node *n, const struct serve_stats *sum);
/* The NTP server socket of family index i (0 IPv4, 1 IPv6), -1 if closed. */
int node_server_socket(const struct node *n, int i);
/* The workers' client logs, which `clients` lists after the main process's: each in shared
 * memory of node_worker_clientlog_bytes() bytes (0: no client log, nothing to share).
 * Before a worker's fork the main process builds the table in mem (zeroed, 64-byte
 * aligned; the handle returned, NULL if it cannot, is the worker's, *seed for the view);
 * after the fork the worker takes it as its client log (node_worker_use_clientlog, before
 * node_worker_stats is first asked) and the main process lists it
 * (node_worker_clientlog_view: the view's index, -1 if it cannot); when the worker ends,
 * node_worker_clientlog_ended(view index) (its records stay listed, read as they are). */
size_t node_worker_clientlog_bytes(const struct node *n);
struct clientlog *node_worker_clientlog_new(struct node *n, void *mem, uint64_t *seed);
int node_worker_clientlog_view(struct node *n, void *mem, uint64_t seed);
void node_worker_clientlog_ended(struct node *n, int view);
void node_worker_use_clientlog(struct node *n, struct clientlog *cl);

#endif
