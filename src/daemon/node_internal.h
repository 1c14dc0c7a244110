/* struct node: one running daemon, the wiring of its components. Each component owns its
 * state in its own struct (daemon/<component>.h) and reaches the others only through the
 * pointers node_new sets in it. Only the node component (node.c, node_commands.c) includes
 * this header, and the tests and the simulator that look inside a node; `make check-layers`
 * checks it. */
#ifndef DAEMON_NODE_INTERNAL_H
#define DAEMON_NODE_INTERNAL_H

#include "core/access.h"
#include "core/clientlog.h"
#include "core/engine.h"
#include "core/keys.h"
#include "daemon/cmdmon_server.h"
#include "daemon/hwts.h"
#include "daemon/logfiles.h"
#include "daemon/metrics_server.h"
#include "daemon/node.h"
#include "daemon/ntp_serve.h"
#include "daemon/reference.h"
#include "daemon/rtc.h"
#include "daemon/sched.h"
#include "daemon/sources.h"
#include "daemon/refclocks.h"
#include "daemon/tempcomp.h"
#include "lib/rng.h"

struct config;

struct node {
    const struct config *cfg;
    const struct env *env;
    struct node_opts opts;
    struct rng rng;
    struct sched sched;
    struct ntp_serve serve;        /* the NTP server (ntp_serve*.c) */
    struct cmdmon_server cmd;      /* command sockets, the client log, handlers (cmdmon_*.c) */
    struct node_status status;     /* the end of the run */
    struct engine engine;          /* clock, discipline, the sources' state, selection */
    struct reference ref;          /* the engine's clock driver side, drift file (reference.c) */
    struct sources srcs;           /* server/pool sources and selection (sources*.c) */
    struct logfiles logs;          /* the `log` directive's files */
    struct keys keys;              /* the `keyfile` keys, reloaded in place by `rekey` */
    uint32_t keys_gen;             /* rekeys so far (serverworkers reload theirs after one) */
    struct refclocks rcl;          /* the `refclock` directives (refclocks.c) */
    struct tempcomp tempcomp;      /* the `tempcomp` directive (tempcomp.c) */
    struct metrics_server metrics; /* the `metricsport` endpoint (metrics_*.c) */
    struct rtc rtc;                /* rtcfile, chronyd -s (rtc.c) */
    struct hwts hwts;              /* `hwtimestamp`: NIC timestamps (hwts.c) */
};

/* node_commands.c: the command table of the command server. */
void node_install_commands(struct node *n);
/* The table's handlers of the sources' commands (tests and the fuzz target tell them
 * from the others). */
void node_h_sources_n_sources(struct node *n, const struct cmdmon_request *req,
                              const struct timespec *now, struct cmdmon_reply *rpy);
void node_h_sources_indexed(struct node *n, const struct cmdmon_request *req,
                            const struct timespec *now, struct cmdmon_reply *rpy);
void node_h_sources_addressed(struct node *n, const struct cmdmon_request *req,
                              const struct timespec *now, struct cmdmon_reply *rpy);
void node_h_sources_tracking(struct node *n, const struct cmdmon_request *req,
                             const struct timespec *now, struct cmdmon_reply *rpy);
void node_h_sources_activity(struct node *n, const struct cmdmon_request *req,
                             const struct timespec *now, struct cmdmon_reply *rpy);
void node_h_sources_control(struct node *n, const struct cmdmon_request *req,
                            const struct timespec *now, struct cmdmon_reply *rpy);

/* The reference the server advertises at time now. */
void node_get_served_ref(const struct node *n, const struct timespec *now,
                         struct ntp_server_ref *ref);

#endif
