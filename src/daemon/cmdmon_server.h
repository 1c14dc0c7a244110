/* chronyd's command server: the Unix datagram socket and the UDP command
 * sockets, the request processing order of spec cmdmon.md 3.3 (checks,
 * accounting, rate limiting, permissions), and the command handlers. */
#ifndef DAEMON_CMDMON_SERVER_H
#define DAEMON_CMDMON_SERVER_H

#include "daemon/env.h"
#include "proto/cmdmon.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct node;
struct access_table;

/* What the command server asks the synchronisation engine. Any op may be NULL;
 * the server then answers as chronyd does with no sources. Ops returning int
 * return a cmdmon status (CMDMON_STT_SUCCESS after filling out). */
struct cmdmon_source_ops {
    void *ctx;
    int (*n_sources)(void *ctx);
    int (*source_data)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_source_data *out);
    int (*sourcestats)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_sourcestats *out);
    int (*select_data)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_select_data *out);
    int (*auth_data)(void *ctx, const struct cmdmon_addr *addr, const struct timespec *now,
                     struct cmdmon_auth_data *out);
    int (*ntp_data)(void *ctx, const struct cmdmon_addr *addr, struct cmdmon_ntp_data *out);
    int (*source_name)(void *ctx, const struct cmdmon_addr *addr, uint8_t name[CMDMON_NAME_LEN]);
    /* Fill the whole report; return 0 to let the server report the served
     * reference (unsynchronised, or the `local` reference). */
    int (*tracking)(void *ctx, const struct timespec *now, struct cmdmon_tracking *out);
    void (*activity)(void *ctx, struct cmdmon_activity *out);
    /* Source and clock control requests (ONLINE ... ADD_SOURCE, MAKESTEP,
     * DOFFSET2, DFREQ, RESELECT, ...). Return a status, or -1 when the request
     * is not handled (the server then gives chronyd's no-source answer). */
    int (*control)(void *ctx, const struct cmdmon_request *req, const struct timespec *now);
};

/* Run-time state changed by commands that the node may consult. */
struct cmdmon_runtime {
    /* chronyd -x: chrony's null clock driver refuses steps, so `makestep`
     * answers "500 Failure" (spec 6.6). To be set by the node from its options. */
    int noclock;
    int manual_enabled; /* `manual on` */
    int local_set;      /* a `local` command was received: the fields below apply */
    struct cmdmon_req_local local;
};

struct cmdmon_server {
    int unix_sock;                /* -1 if disabled */
    int udp_socks[2];             /* IPv4, IPv6; -1 if closed */
    char *unix_path;              /* socket file to remove at exit */
    struct access_table *access;  /* cmdallow / cmddeny */
    struct cmdmon_source_ops ops; /* zeroed = no synchronisation engine */
    struct cmdmon_runtime rt;
    int bad_config;             /* rate limiting requested with noclientlog */
    struct timespec start_time; /* node start: when a `local` reference activates */
    uint64_t dropped;           /* requests silently dropped (any reason) */
    uint64_t send_errors;
};

/* Where a request came from. */
struct cmdmon_origin {
    int unix_socket;   /* 1: the Unix socket (full access, no per-client record) */
    struct ip_addr ip; /* UDP source */
};

/* Set up the command server and the node's client log (called by node_new). */
void cmdmon_server_init(struct node *n);
/* Close sockets, remove the socket file, free the client log (node_free). */
void cmdmon_server_fini(struct node *n);
/* Open the sockets (node_start). Returns 0, or -1 with a fatal message in err. */
int cmdmon_server_start(struct node *n, const struct timespec *now, char *err, size_t errlen);
/* Open the Unix command socket now (when node_opts.defer_unix_socket delayed it). */
void cmdmon_server_open_unix(struct node *n);
/* 1 if rx arrived on a command socket (and was handled). */
int cmdmon_server_on_datagram(struct node *n, const struct net_rx *rx, const struct timespec *now);

/* The processing of one request (spec 3.3 steps 2-11) without the socket:
 * writes the reply into out and returns its length, 0 = send nothing. The
 * reply is never longer than the request. */
size_t cmdmon_server_process(struct node *n, const struct cmdmon_origin *from, const uint8_t *buf,
                             size_t len, const struct timespec *now, uint8_t *out, size_t cap);

/* 1 if the command may be served over UDP with the configured `opencommands`. */
int cmdmon_server_is_open(unsigned open_commands, uint16_t command);

/* cmdmon_handlers.c: execute a decoded, permitted request into rpy. */
void cmdmon_execute(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                    struct cmdmon_reply *rpy);

#endif
