/* Internals of struct node shared by the daemon's source files. */
#ifndef DAEMON_NODE_INTERNAL_H
#define DAEMON_NODE_INTERNAL_H

#include "daemon/node.h"
#include "daemon/sched.h"
#include "core/access.h"
#include "core/clientlog.h"
#include "core/engine.h"
#include "core/keys.h"
#include "core/ntp_tsmap.h"
#include "daemon/cmdmon_server.h"
#include "daemon/logfiles.h"
#include "core/ntp_server.h"
#include "daemon/reference.h"
#include "daemon/sources.h"
#include "lib/rng.h"

struct config;

struct ntp_serve {
    int socks[2];                /* IPv4, IPv6 server sockets; -1 if closed */
    struct access_table *access; /* NTP allow/deny */
    struct access_rule *rules;   /* copy of the config rules, hostnames resolved here */
    size_t n_rules;
    int pending_names; /* hostname rules still being resolved */
    struct ntp_server_counters counters;
    uint64_t denied; /* requests from addresses not allowed */
    uint64_t send_errors;
    int n_peers;            /* `peer` sources, which send from the server sockets */
    struct ntp_tsmap tsmap; /* transmit times of replies, for interleaved requests */
    /* NTS server (ntp_serve_nts.c): keys sealing cookies, rotated every `ntsrotate`. */
    int nts_enabled;    /* ntsservercert/ntsserverkey configured */
    int nts_ke_running; /* env->nts_ke_server started */
    struct nts_server_keys nts_keys;
    uint64_t nts_rotate_timer;
};

struct node {
    const struct config *cfg;
    const struct env *env;
    struct node_opts opts;
    struct rng rng;
    struct sched sched;
    struct ntp_serve serve;
    struct clientlog *clientlog; /* per-client accounting (NTP, commands), serverstats */
    struct cmdmon_server cmd;    /* command sockets and handlers (cmdmon_server.c) */
    int exit_status;             /* for main: 1 after a failed -q/-Q run */
    int quit_mode_done;          /* -q/-Q: the one measurement was made */
    int quit_requested;          /* set by the `shutdown` command; the loop should exit */
    struct engine engine;        /* clock, discipline, the sources' state, selection */
    struct reference ref;        /* the engine's clock driver side, drift file (reference.c) */
    struct sources srcs;         /* server/pool sources and selection (sources*.c) */
    struct logfiles logs;        /* the `log` directive's files */
    struct keys keys;            /* the `keyfile` keys, reloaded in place by `rekey` */
};

/* node_commands.c: the command table of the command server. */
void node_install_commands(struct node *n);

/* ntp_serve.c */
int serve_start(struct node *n, char *err, size_t errlen);
void serve_stop(struct node *n);
/* ntp_serve_nts.c: the NTS server keys and the platform's NTS-KE server. */
int serve_nts_start(struct node *n, char *err, size_t errlen);
void serve_nts_stop(struct node *n);
/* serverstats "NTS-KE connections accepted/dropped" (0 without an NTS-KE server). */
void serve_nts_ke_stats(const struct node *n, uint64_t *accepted, uint64_t *dropped);
/* 1 if rx arrived on a server socket (and was handled). */
int serve_on_datagram(struct node *n, const struct net_rx *rx, const struct timespec *now);
/* After a run-time allow/deny: open or close the server sockets (chrony keeps
 * them open only while some address is allowed). */
void serve_access_changed(struct node *n);
/* A peer's socket: the server socket of its family, opened (and kept open) for it;
 * -1 if it cannot be. serve_peer_release() when the peer is removed. */
int serve_peer_socket(struct node *n, enum ip_family fam);
void serve_peer_release(struct node *n);
/* The reference the server advertises at time now. */
void node_get_served_ref(const struct node *n, const struct timespec *now,
                         struct ntp_server_ref *ref);

#endif
