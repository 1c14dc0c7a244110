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

struct access_table;
struct clientlog;
struct config;
struct node;
struct ntp_serve;
struct rng;

/* A command's handler: answers a decoded, permitted request by filling rpy (status, reply
 * code and body; rpy comes zeroed with status CMDMON_STT_SUCCESS). */
typedef void (*cmdmon_handler)(struct node *n, const struct cmdmon_request *req,
                               const struct timespec *now, struct cmdmon_reply *rpy);

/* One entry of the command table (node_commands.c). */
struct cmdmon_command {
    uint16_t command; /* CMDMON_REQ_* */
    cmdmon_handler handle;
};

#define CMDMON_MAX_WORKER_LOGS 64

struct cmdmon_server {
    /* What it uses of the others (not owned), set by node_new before cmdmon_server_init. */
    const struct config *cfg;
    const struct env *env;
    struct ntp_serve *serve;     /* serverstats, the NTP server's allow/deny */
    struct node *node;           /* handed to the command table's handlers, opaque here */
    int family;                  /* chronyd -4/-6: 4 or 6, 0 for both */
    int defer_unix_socket;       /* the Unix socket waits for cmdmon_server_open_unix */
    struct clientlog *clientlog; /* owned: per-client accounting (NTP, commands), serverstats */
    int unix_sock;               /* -1 if disabled */
    int udp_socks[2];            /* IPv4, IPv6; -1 if closed */
    char *unix_path;             /* socket file to remove at exit */
    struct access_table *access; /* cmdallow / cmddeny */
    const struct cmdmon_command *commands; /* the command table; a missing command is INVALID */
    size_t n_commands;
    /* serverworkers (ours): read-only views of the workers' client logs, which `clients`
     * lists after this process's (cmdmon_server_add_worker_log). */
    struct clientlog *worker_logs[CMDMON_MAX_WORKER_LOGS];
    int n_worker_logs;
    int bad_config;   /* rate limiting requested with noclientlog */
    uint64_t dropped; /* requests silently dropped (any reason) */
    uint64_t send_errors;
};

/* Where a request came from. */
struct cmdmon_origin {
    int unix_socket;   /* 1: the Unix socket (full access, no per-client record) */
    struct ip_addr ip; /* UDP source */
};

/* Set up the command server and its client log, seeded from rng (node_new). */
void cmdmon_server_init(struct cmdmon_server *c, struct rng *rng);
/* Close sockets, remove the socket file, free the client log (node_free). */
void cmdmon_server_fini(struct cmdmon_server *c);
/* serverworkers (ours): a worker's client log lives in shared memory of
 * cmdmon_server_worker_log_bytes() bytes (0 without a client log). Before the fork the
 * table is built in mem (zeroed, 64-byte aligned) with a seed drawn from rng: the returned
 * handle is the worker's, *seed is for cmdmon_server_add_worker_log, which the main
 * process calls after the fork to list the table (a view: its index, -1 if it cannot).
 * cmdmon_server_worker_log_ended: view k's worker ended (its records stay listed). */
size_t cmdmon_server_worker_log_bytes(const struct cmdmon_server *c);
struct clientlog *cmdmon_server_worker_log_new(const struct cmdmon_server *c, void *mem,
                                               struct rng *rng, uint64_t *seed);
int cmdmon_server_add_worker_log(struct cmdmon_server *c, void *mem, uint64_t seed);
void cmdmon_server_worker_log_ended(struct cmdmon_server *c, int k);
/* Open the sockets (node_start). Returns 0, or -1 with a fatal message in err. */
int cmdmon_server_start(struct cmdmon_server *c, char *err, size_t errlen);
/* Open the Unix command socket now (when defer_unix_socket delayed it). */
void cmdmon_server_open_unix(struct cmdmon_server *c);
/* 1 if rx arrived on a command socket (and was handled). */
int cmdmon_server_on_datagram(struct cmdmon_server *c, const struct net_rx *rx,
                              const struct timespec *now);

/* The processing of one request (spec 3.3 steps 2-11) without the socket:
 * writes the reply into out and returns its length, 0 = send nothing. The
 * reply is never longer than the request. */
size_t cmdmon_server_process(struct cmdmon_server *c, const struct cmdmon_origin *from,
                             const uint8_t *buf, size_t len, const struct timespec *now,
                             uint8_t *out, size_t cap);

/* 1 if the command may be served over UDP with the configured `opencommands`. */
int cmdmon_server_is_open(unsigned open_commands, uint16_t command);

/* cmdmon_handlers.c: execute a decoded, permitted request into rpy through the command
 * table. */
void cmdmon_execute(struct cmdmon_server *c, const struct cmdmon_request *req,
                    const struct timespec *now, struct cmdmon_reply *rpy);

/* The command server's own handlers (cmdmon_handlers.c); the command table calls them
 * through small wrappers that pass the node's command server. */
/* SERVER_STATS */
void cmdmon_h_server_stats(struct cmdmon_server *c, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy);
/* CLIENT_ACCESSES_BY_INDEX3 */
void cmdmon_h_clients(struct cmdmon_server *c, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy);
/* ALLOW, ALLOWALL, DENY, DENYALL and the CMD* variants */
void cmdmon_h_allow_deny(struct cmdmon_server *c, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy);
/* ACCHECK, CMDACCHECK */
void cmdmon_h_accheck(struct cmdmon_server *c, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy);
/* RTCREPORT, TRIMRTC, WRITERTC */
void cmdmon_h_no_rtc(struct cmdmon_server *c, const struct cmdmon_request *req,
                     const struct timespec *now, struct cmdmon_reply *rpy);

#endif
