/* chronyc's connection to chronyd: an address list (Unix socket paths and
 * UDP hosts), socket setup (spec 1.2, 1.4) and the request/reply exchange
 * with retries and timeouts (spec 3.4). */
#ifndef CHRONYC_TRANSPORT_H
#define CHRONYC_TRANSPORT_H

#include "proto/cmdmon.h"

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#define TRANSPORT_MAX_ADDRS 16

struct transport_addr {
    int is_unix;
    struct sockaddr_storage sa;
    socklen_t sa_len;
    char path[108]; /* Unix socket path of the server */
};

struct transport {
    struct transport_addr addrs[TRANSPORT_MAX_ADDRS];
    int n_addrs;
    int current; /* index of the open address, -1 if none */
    int fd;
    char local_dir[160]; /* <dir>/chronyc.<pid> */
    char local_sub[200]; /* <dir>/chronyc.<pid>/<random> */
    char local_path[220];
    int timeout_ms;  /* initial timeout, doubled per retry */
    int max_retries; /* retransmissions */
    int version;     /* protocol version being used (6, or 5 after a downgrade) */
    int debug;
    /* Set (by main's signal handler) to give up waiting: the exchange in
     * progress fails and no further address is tried. NULL: never. */
    const volatile sig_atomic_t *stop;
};

/* Resolves the comma-separated host list (t->debug, -d, set before is kept). family: 0, 4 or 6.
 * Returns the number of addresses (0: nothing usable). */
int transport_init(struct transport *t, const char *hosts, int port, int family);
/* Opens the first address from index `from` that can be opened; returns 1. */
int transport_open(struct transport *t, int from);
void transport_close(struct transport *t);
/* One request/reply exchange; moves to the next address when one fails.
 * Returns 1 with a decoded reply, 0 if the daemon could not be reached. */
int transport_exchange(struct transport *t, struct cmdmon_request *req, struct cmdmon_reply *rpy);

#endif
