/* Private to the NTS-KE server (nts_ke_server.c: listeners, sessions, the env table;
 * nts_ke_helpers.c: the helper processes of ntsprocesses). */
#ifndef PLATFORM_NTS_KE_SERVER_H
#define PLATFORM_NTS_KE_SERVER_H

#include "platform/internal.h"

#include <gnutls/gnutls.h>

#define MAX_AEADS 8
#define MAX_LISTENERS 2
#define MAX_HELPERS 64
/* "ADDR:PORT" of a client, as chrony names it */
#define LABEL_LEN (IP_ADDR_STRLEN + 16)

struct srv_session;

/* The server of one process: the daemon's, or a helper's copy after fork(). */
struct plat_nke_server {
    const struct logger *log;
    struct nts_server_keys keys; /* k[current] seals the cookies of new answers */
    int have_keys;
    uint64_t accepted, dropped;
    struct srv_session *sessions;
    int active;     /* sessions in the list */
    uint64_t ended; /* connections this process has closed (a helper reports them) */
    /* set by start(), read-only while running */
    int running;
    int listen_fd[MAX_LISTENERS], n_listen;
    const char *(*admit)(void *arg, const struct ip_addr *ip);
    void *admit_arg;
    /* ntsprocesses >= 2: helper processes, each reached through its own socket pair, and
     * the connections handed to each that it has not yet reported closed */
    int n_helpers, next_helper;
    int helper_fd[MAX_HELPERS];
    uint64_t helper_passed[MAX_HELPERS], helper_ended[MAX_HELPERS];
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    int aeads[MAX_AEADS], n_aeads;
    char *ntp_server;
    int ntp_port, max_connections;
};

/* Start a session on the connection fd (non-blocking) of the client label, or drop it (the
 * connection limit, a descriptor too high for select()). The session owns fd. */
void nke_srv_take(struct plat_nke_server *srv, int fd, const char *label);
/* Before select(): the listening sockets to rd, the sockets the sessions wait on to rd or
 * wr (raising *maxfd). Returns the seconds until the earliest session deadline, -1 with no
 * session. */
double nke_srv_prepare(struct plat_nke_server *srv, fd_set *rd, fd_set *wr, int *maxfd);
/* After select(): step the sessions whose sockets are ready in rd/wr (NULL: none is), free
 * those finished or past their deadline. */
void nke_srv_step(struct plat_nke_server *srv, const fd_set *rd, const fd_set *wr);
/* Free every session (their connections close). */
void nke_srv_drop_all(struct plat_nke_server *srv);

/* ntsprocesses: fork o->processes helpers (0, or -1 with chrony's message in err). */
int nke_helpers_start(struct platform *p, struct plat_nke_server *srv,
                      const struct nts_ke_server_opts *o, char *err, size_t errlen);
/* Tell the helpers to finish (not waited for). */
void nke_helpers_stop(struct plat_nke_server *srv);
/* Hand an admitted connection (closed here) to the next helper with a free session, with
 * the current key. */
void nke_helper_pass(struct plat_nke_server *srv, int fd, const char *label);
/* The main process: 1 when every helper has all its sessions taken (or is gone). */
int nke_helpers_full(const struct plat_nke_server *srv);
/* The main process, before select(): the helpers' sockets to rd (their reports). */
void nke_helpers_prepare(const struct plat_nke_server *srv, fd_set *rd, int *maxfd);
/* The main process, after select(): read the reports of the helpers ready in rd. */
void nke_helpers_process(struct plat_nke_server *srv, const fd_set *rd);

#endif
