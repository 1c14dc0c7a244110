/* The Prometheus metrics endpoint (ours, `metricsport`): GET /metrics over HTTP/1.1 on TCP
 * listeners of the event loop (env.stream), admitted by metricsallow/metricsdeny, the page rendered
 * (proto/prom) from the reports the command table gives chronyc. Each connection has a
 * bounded head, one request and a deadline, and is closed after the response. */
#ifndef DAEMON_METRICS_SERVER_H
#define DAEMON_METRICS_SERVER_H

#include "daemon/env.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define METRICS_MAX_CONNS 8      /* connections at once */
#define METRICS_MAX_HEAD 4096    /* bytes of a request head (431 beyond) */
#define METRICS_CONN_TIMEOUT 5.0 /* s from accept to the end of the response */

struct access_table;
struct cmdmon_server;
struct config;
struct sched;

struct metrics_server;

/* One client connection; sock -1 when the slot is free. */
struct metrics_conn {
    struct metrics_server *srv;
    int sock;
    uint64_t timer; /* sched id of its deadline */
    uint64_t order; /* accept order: the oldest reading connection gives way to a new one */
    size_t in_len;
    uint8_t in[METRICS_MAX_HEAD];
    char *out; /* the response being sent (malloc'd), NULL while reading the request */
    size_t out_len, out_sent;
};

struct metrics_server {
    /* What it uses of the others (not owned), set by node_new. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;       /* the connections' deadlines */
    struct cmdmon_server *cmd; /* the reports, through the command table */
    const char *version;       /* chronyd's version (chrony_build_info) */
    int family;                /* chronyd -4/-6: 4 or 6, 0 for both */
    /* Owned. */
    int listen_socks[2];         /* IPv4, IPv6; -1 if closed */
    struct access_table *access; /* metricsallow / metricsdeny */
    struct metrics_conn conns[METRICS_MAX_CONNS];
    uint64_t next_order;
    uint64_t served, refused, timed_out; /* connections: answered, denied, cut off */
};

void metrics_server_init(struct metrics_server *m);
/* Close the listeners and connections (node_free). */
void metrics_server_fini(struct metrics_server *m);
/* Open the listeners when metricsport is set (node_start). Returns 0, or -1 with a fatal
 * message in err (a bad metricsallow subnet). A listener that cannot be opened is logged. */
int metrics_server_start(struct metrics_server *m, char *err, size_t errlen);
/* metrics_page.c: the page at now (malloc'd, its length in *len); NULL if it failed. */
char *metrics_page_render(struct metrics_server *m, const struct timespec *now, size_t *len);

#endif
