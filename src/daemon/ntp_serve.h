/* The node's NTP server: the server sockets (shared with `peer` sources), the allow/deny
 * check, the replies of core/ntp_server with the transmit timestamp read just before the
 * datagram leaves, interleaved mode, and the NTS server keys with the platform's NTS-KE
 * server (ntp_serve_nts.c). */
#ifndef DAEMON_NTP_SERVE_H
#define DAEMON_NTP_SERVE_H

#include "core/access.h"
#include "core/ntp_server.h"
#include "core/ntp_tsmap.h"
#include "core/nts_server.h"
#include "core/serve_stats.h"
#include "daemon/env.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct clientlog;
struct config;
struct keys;
struct reference;
struct sched;
struct serve_bcast;
struct serve_signd;

/* The receive buffer asked for the NTP server sockets (ours; chrony keeps the system's
 * default, 208 KiB on Linux): a burst of requests waits in it rather than being dropped.
 * Their kernel receive timestamps are taken before they queue, so the wait is measured
 * and costs the client no accuracy. Within net.core.rmem_max. */
#define SERVE_RCVBUF (1 << 20)

/* A reply waiting for the batch send (env net.send_batch): complete but for its transmit
 * timestamp and what covers it (MAC, NTS authenticator). */
#define SERVE_BATCH_MAX 32
struct serve_pending {
    int sock;
    struct net_addr remote, local;
    uint8_t reply[NTP_MAX_PACKET_LEN];
    size_t len;
    struct ntp_server_auth auth;
    double smooth;           /* s, smoothing offset added to the transmit time */
    int interleaved;         /* send prev_tx in interleaved mode */
    struct timespec prev_tx; /* cooked */
};

/* serverworkers (ours): the last runtime allow/deny changes of NTP access, which the
 * workers replay on their copies of the table (node_worker.c). */
#define SERVE_ACCESS_LOG 16
struct serve_access_change {
    uint32_t seq; /* its number, from 1; the entry is access_log[seq % SERVE_ACCESS_LOG] */
    struct ip_addr ip;
    int bits, allow, all;
};

struct ntp_serve {
    /* What it uses of the others (not owned), set by node_new before serve_start. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;         /* the NTS key rotation */
    struct reference *ref;       /* the served reference, cooked time */
    const struct keys *keys;     /* `keyfile` keys of symmetric authentication */
    struct clientlog *clientlog; /* accounting and rate limits (the command server's) */
    int family;                  /* chronyd -4/-6: 4 or 6, 0 for both */
    const char *user;            /* NTS-KE helper processes (ntsprocesses) switch to it */
    int scfilter;                /* and apply this -F level */
    int socks[2];                /* IPv4, IPv6 server sockets; -1 if closed */
    int ptp_socks[2];            /* IPv4, IPv6 sockets of `ptpport` (NTP over PTP); -1 */
    uint16_t ptp_sequence;       /* sequenceId of the next NTP-over-PTP message sent */
    struct access_table *access; /* NTP allow/deny */
    struct access_rule *rules;   /* copy of the config rules, hostnames resolved here */
    struct serve_access_change access_log[SERVE_ACCESS_LOG];
    uint32_t access_seq; /* changes made at run time (a worker: those replayed) */
    size_t n_rules;
    int pending_names; /* hostname rules still being resolved */
    struct ntp_server_counters counters;
    uint64_t denied;         /* requests from addresses not allowed */
    uint64_t unauth_dropped; /* `authonly`: requests dropped for want of authentication */
    uint64_t send_errors;
    int n_peers;            /* `peer` sources, which send from the server sockets */
    int permanent;          /* acquisitionport = port: the server sockets stay open */
    struct ntp_tsmap tsmap; /* transmit times of replies, for interleaved requests */
    /* NTS server (ntp_serve_nts.c): keys sealing cookies, rotated every `ntsrotate`. */
    int nts_enabled;    /* ntsservercert/ntsserverkey configured */
    int nts_ke_running; /* env->nts_ke_server started */
    struct nts_server_keys nts_keys;
    struct timespec nts_key_ts; /* when the current key was made (its age goes to ntskeys) */
    uint64_t nts_rotate_timer;
    /* `broadcast` destinations and their timers (ntp_serve_bcast.c). */
    struct serve_bcast *bcasts;
    size_t n_bcasts;
    /* `ntpsigndsocket`: the ntp_signd client signing MS-SNTP replies (ntp_serve_signd.c);
     * NULL without the directive. */
    struct serve_signd *signd;
    /* Replies of this wake-up waiting for one batch send (NULL: each is sent at once, where
     * the environment has no send_batch). */
    struct serve_pending *pending;
    int n_pending;
    /* serverworkers (ours), in the main process: the workers' last reports added up, which
     * serverstats adds to this process's counters. */
    struct serve_stats workers;
};

/* Resolve the allow/deny rules, open the sockets if some address is allowed, start the
 * NTS server (node_start). Returns 0, or -1 with a message in err. */
int serve_start(struct ntp_serve *s, char *err, size_t errlen);
/* In a serving worker process (`serverworkers`, just forked, the parent's descriptors
 * closed): open its own server sockets (SO_REUSEPORT) and forget what the main process
 * alone serves (ptpport, broadcasts, ntp_signd, NTS-KE). */
void serve_worker_begin(struct ntp_serve *s);
/* Close the sockets, free the rules and stop the NTS server (node_free). */
void serve_stop(struct ntp_serve *s);
/* ntp_serve_nts.c: the NTS server keys and the platform's NTS-KE server. */
int serve_nts_start(struct ntp_serve *s, char *err, size_t errlen);
void serve_nts_stop(struct ntp_serve *s);
/* chronyc dump: save the server keys to ntsdumpdir (as at a rotation). */
void serve_nts_dump_keys(struct ntp_serve *s, const struct timespec *now);
/* chronyc rekey: with `ntsrotate 0` (keys managed outside), load them from ntsdumpdir. */
void serve_nts_reload_keys(struct ntp_serve *s, const struct timespec *now);
/* ntp_serve_bcast.c: start sending the `broadcast` packets (serve_start), stop (serve_stop). */
void serve_bcast_start(struct ntp_serve *s);
void serve_bcast_stop(struct ntp_serve *s);
/* ntp_serve_signd.c: with `ntpsigndsocket`, log chrony's "MS-SNTP authentication enabled"
 * and get ready to connect (serve_start); close and free (serve_stop). */
void serve_signd_start(struct ntp_serve *s);
void serve_signd_stop(struct ntp_serve *s);
/* Queue the finished reply[0..len) to the MS-SNTP request rx, with the request's key id, for
 * ntp_signd to sign; it is sent to rx's client from rx's socket when the signature comes back.
 * Returns 1 if queued, 0 if dropped (no socket, queue full, not a 48-byte reply, the signer
 * not reachable: chrony's "Could not connect to signd socket" once until it is again). */
int serve_signd_submit(struct ntp_serve *s, uint32_t key_id, const uint8_t *reply, size_t len,
                       const struct net_rx *rx);
/* A UDP socket of the server on port (bind address of family fam if set, else any), with
 * binddevice and dscp; logs "Could not open NTP socket on ADDRESS:PORT" on failure. Returns it or
 * -1. */
int serve_open_socket(struct ntp_serve *s, enum ip_family fam, const struct ip_addr *bind, int port,
                      int flags);
/* 1 if rx arrived on a server socket (and was handled). Where the environment sends in
 * batches, the reply waits for serve_flush (or a full batch). */
int serve_on_datagram(struct ntp_serve *s, const struct net_rx *rx, const struct timespec *now);
/* Send the replies waiting for the batch: one clock reading for their transmit timestamps,
 * then MACs and NTS authenticators, then one send_batch. */
void serve_flush(struct ntp_serve *s);
/* The kernel's transmit timestamp (rx->tx_ts) of a packet sent on a server socket: a reply
 * whose transmit time is held for interleaved mode gets this more accurate one. Returns 1
 * if rx was for a server socket. */
int serve_on_tx_timestamp(struct ntp_serve *s, const struct net_rx *rx, const struct timespec *now);
/* After a run-time allow/deny: open or close the server sockets (chrony keeps
 * them open only while some address is allowed). */
void serve_access_changed(struct ntp_serve *s);
/* This process's serving counters (the client log's, `authonly` drops, the interleaved-mode
 * timestamps held), as a serving worker reports them. */
void serve_get_stats(const struct ntp_serve *s, struct serve_stats *out);
/* A run-time allow/deny of NTP access was applied: note it for the serving workers. */
void serve_access_note(struct ntp_serve *s, const struct ip_addr *ip, int bits, int allow, int all);
/* A peer's socket: the server socket of its family, opened (and kept open) for it;
 * -1 if it cannot be. serve_peer_release() when the peer is removed. */
int serve_peer_socket(struct ntp_serve *s, enum ip_family fam);
void serve_peer_release(struct ntp_serve *s);
/* ntp_serve_ptp.c: NTP over PTP on `ptpport`. Open the sockets (serve_start; -1 with a
 * message in err if none could be), close them (serve_stop). */
int serve_ptp_start(struct ntp_serve *s, char *err, size_t errlen);
void serve_ptp_stop(struct ntp_serve *s);
/* 1 if sock is one of the `ptpport` sockets. */
int serve_is_ptp_socket(const struct ntp_serve *s, int sock);
/* The `ptpport` socket a source of family fam at remote port uses: chrony sends to a
 * source whose port is the ptpport from that socket, in the encapsulation; -1 otherwise. */
int serve_ptp_socket_for(const struct ntp_serve *s, enum ip_family fam, int port);
/* A datagram received (or a transmit report) on a `ptpport` socket: *out is rx with data
 * and len narrowed to the NTP packet. Returns 1, or 0 if rx must be dropped (not chrony's
 * encapsulation, another ptpdomain). Other sockets: *out = *rx, returns 1. */
int serve_ptp_unwrap(const struct ntp_serve *s, const struct net_rx *rx, struct net_rx *out);
/* Send an NTP packet from sock, in the PTP encapsulation on a `ptpport` socket; with
 * want_ts through env send_ts when it has one. Returns 0 or -1. */
int serve_send(struct ntp_serve *s, int sock, const struct net_addr *remote,
               const struct net_addr *local, const uint8_t *buf, size_t len, int want_ts);
/* 1 if a server socket is open (RFC 5905 test D of the sources' responses applies). */
int serve_is_open(const struct ntp_serve *s);

#endif
