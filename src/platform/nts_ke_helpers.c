/* The helper processes of `ntsprocesses` (2 or more): forked at start, each runs the NTS-KE
 * server sessions of the connections the main process hands it (with the current server
 * key, over a socket pair with SCM_RIGHTS, as chrony) in a select() loop of its own, and
 * reports back over the same socket how many of them it has closed, so that the main
 * process hands a connection only to a helper with a free session and accepts none while
 * every helper is full. */
#include "platform/nts_ke_server.h"
#include "platform/nts_ke_tls.h"
#include "platform/privs.h"

#include "lib/mem.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A session handed to a helper process: the current server key with the connection's
 * descriptor (SCM_RIGHTS), as chrony's main process does. */
struct helper_msg {
    uint32_t key_id;
    uint8_t key[NTS_SERVER_KEY_LEN];
    char label[LABEL_LEN]; /* the client's address, for the debug messages */
};

static int send_fd(int sock, const struct helper_msg *m, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {(void *)m, sizeof(*m)};
    struct msghdr mh;
    struct cmsghdr *c;
    memset(&mh, 0, sizeof(mh));
    memset(&ctl, 0, sizeof(ctl));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* Returns 1 with a message (*fd -1 if it carried none), 0 at the end, -1 on EAGAIN. */
static int recv_fd(int sock, struct helper_msg *m, int *fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {m, sizeof(*m)};
    struct msghdr mh;
    struct cmsghdr *c;
    ssize_t r;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    *fd = -1;
    r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? -1 : 0;
    if (r == 0)
        return 0;
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    if (r != (ssize_t)sizeof(*m) && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return 1;
}

/* The main process: whether helper h has a free session (of the connections handed to it,
 * fewer than maxntsconnections not yet reported closed). */
static int helper_free(const struct plat_nke_server *srv, int h)
{
    uint64_t passed = srv->helper_passed[h], ended = srv->helper_ended[h];
    return srv->helper_fd[h] >= 0 &&
           (ended >= passed || passed - ended < (uint64_t)srv->max_connections);
}

int nke_helpers_full(const struct plat_nke_server *srv)
{
    for (int h = 0; h < srv->n_helpers; h++)
        if (helper_free(srv, h))
            return 0;
    return 1;
}

void nke_helpers_prepare(const struct plat_nke_server *srv, fd_set *rd, int *maxfd)
{
    for (int h = 0; h < srv->n_helpers; h++) {
        if (srv->helper_fd[h] < 0)
            continue;
        FD_SET(srv->helper_fd[h], rd);
        if (srv->helper_fd[h] > *maxfd)
            *maxfd = srv->helper_fd[h];
    }
}

/* A helper reports how many connections it has closed so far (a uint64_t); the end of its
 * socket means it is gone. */
void nke_helpers_process(struct plat_nke_server *srv, const fd_set *rd)
{
    for (int h = 0; h < srv->n_helpers; h++) {
        int fd = srv->helper_fd[h];
        if (fd < 0 || !FD_ISSET(fd, rd))
            continue;
        for (;;) {
            uint64_t ended;
            ssize_t r = recv(fd, &ended, sizeof(ended), MSG_DONTWAIT);
            if (r == (ssize_t)sizeof(ended)) {
                srv->helper_ended[h] = ended;
                continue;
            }
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (r <= 0) {
                close(fd);
                srv->helper_fd[h] = -1;
                /* chrony gives up when every helper is gone; we log it and go on */
                if (nke_helpers_full(srv))
                    log_msg(srv->log, LOGL_ERR, "NTS-KE helpers failed");
                break;
            }
        }
    }
}

/* The main process: the connection goes to the next helper (round robin) with a free
 * session; one that cannot take it (it failed, or its queue is full) is skipped. The main
 * process accepts a connection only when some helper has a free session. */
void nke_helper_pass(struct plat_nke_server *srv, int fd, const char *label)
{
    struct helper_msg m;
    int sent = 0, err = 0;
    memset(&m, 0, sizeof(m));
    m.key_id = srv->keys.k[srv->keys.current].id;
    memcpy(m.key, srv->keys.k[srv->keys.current].key, sizeof(m.key));
    snprintf(m.label, sizeof(m.label), "%s", label);
    for (int i = 0; i < srv->n_helpers && !sent; i++) {
        int h = srv->next_helper++ % srv->n_helpers;
        if (!helper_free(srv, h))
            continue;
        sent = send_fd(srv->helper_fd[h], &m, fd) == 0;
        if (sent)
            srv->helper_passed[h]++;
        else
            err = errno;
    }
    mem_wipe(&m, sizeof(m));
    close(fd);
    if (sent)
        srv->accepted++;
    else
        srv->dropped++;
    /* chrony gives up when every helper is gone (EPIPE); we log it and go on. */
    if (!sent && err == EPIPE)
        log_msg(srv->log, LOGL_ERR, "NTS-KE helpers failed");
}

/* A helper process: a connection from the main process, with the key that seals its
 * cookies (the main process's current key). */
static void helper_take(struct plat_nke_server *srv, struct helper_msg *m, int fd)
{
    nke_fd_nonblock_cloexec(fd);
    memset(&srv->keys, 0, sizeof(srv->keys));
    srv->keys.n = NTS_SERVER_MAX_KEYS;
    srv->keys.current = (int)(m->key_id % NTS_SERVER_MAX_KEYS);
    srv->keys.k[srv->keys.current].id = m->key_id;
    memcpy(srv->keys.k[srv->keys.current].key, m->key, sizeof(m->key));
    srv->have_keys = 1;
    m->label[sizeof(m->label) - 1] = '\0';
    nke_srv_take(srv, fd, m->label);
}

/* select() timeout of d seconds (>= 0), rounded up to whole microseconds. */
static struct timeval *helper_timeout(double d, struct timeval *tv)
{
    tv->tv_sec = (time_t)d;
    tv->tv_usec = (suseconds_t)ceil((d - (double)tv->tv_sec) * 1e6);
    if (tv->tv_usec >= 1000000) {
        tv->tv_sec++;
        tv->tv_usec -= 1000000;
    }
    return tv;
}

/* A helper process: its own select() loop over the socket from the main process and its
 * sessions, the same state machines as the main process's. When the main process closes
 * the socket, the running sessions finish (within the session timeout) and it exits. It
 * drops root and applies the system call filter itself, as chrony's helpers do. */
static void helper_run(struct platform *p, struct plat_nke_server *srv, int sock,
                       const struct nts_ke_server_opts *o)
{
    char err[256] = "";
    uint64_t reported = 0;
    for (int i = 0; i < srv->n_listen; i++)
        close(srv->listen_fd[i]);
    srv->n_listen = 0;
    srv->n_helpers = 0;
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    if (plat_privs_drop(o->user, 0, 0, err, sizeof(err)) < 0 ||
        (o->scfilter && platform_scfilter_apply(o->scfilter, err, sizeof(err)) < 0)) {
        log_msg(&p->logger, LOGL_ERR, "%s", err);
        _exit(1);
    }
    while (sock >= 0 || srv->sessions) {
        struct timeval tv;
        fd_set rd, wr;
        int maxfd = -1, r;
        double left;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        /* the main process counts this helper's free sessions from these reports */
        if (sock >= 0 && reported != srv->ended &&
            send(sock, &srv->ended, sizeof(srv->ended), MSG_DONTWAIT | MSG_NOSIGNAL) ==
                (ssize_t)sizeof(srv->ended))
            reported = srv->ended;
        if (sock >= 0) {
            FD_SET(sock, &rd);
            if (reported != srv->ended)
                FD_SET(sock, &wr);
            maxfd = sock;
        }
        left = nke_srv_prepare(srv, &rd, &wr, &maxfd);
        r = select(maxfd + 1, &rd, &wr, NULL, left >= 0.0 ? helper_timeout(left, &tv) : NULL);
        if (r < 0 && errno != EINTR)
            break;
        nke_srv_step(srv, r > 0 ? &rd : NULL, r > 0 ? &wr : NULL);
        if (r > 0 && sock >= 0 && FD_ISSET(sock, &rd)) {
            struct helper_msg m;
            int fd, got = recv_fd(sock, &m, &fd);
            if (got == 0) {
                close(sock);
                sock = -1;
            } else if (got > 0 && fd >= 0) {
                helper_take(srv, &m, fd);
            } else if (got > 0) {
                srv->ended++; /* its descriptor did not come: counted as closed at once */
            }
            mem_wipe(&m, sizeof(m));
        }
    }
    nke_srv_drop_all(srv);
    _exit(0);
}

/* Fork the helpers (before privileges are dropped and the filter applied, as chrony). */
int nke_helpers_start(struct platform *p, struct plat_nke_server *srv,
                      const struct nts_ke_server_opts *o, char *err, size_t errlen)
{
    int n = o->processes > MAX_HELPERS ? MAX_HELPERS : o->processes;
    for (int i = 0; i < n; i++) {
        int sv[2];
        pid_t pid;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
            snprintf(err, errlen, "Could not open socket pair");
            return -1;
        }
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
            close(sv[0]);
            close(sv[1]);
            snprintf(err, errlen, "fork() failed : %s", strerror(errno));
            return -1;
        }
        if (pid == 0) {
            for (int j = 0; j < srv->n_helpers; j++)
                close(srv->helper_fd[j]);
            close(sv[0]);
            helper_run(p, srv, sv[1], o);
        }
        close(sv[1]);
        nke_fd_nonblock_cloexec(sv[0]);
        srv->helper_passed[srv->n_helpers] = srv->helper_ended[srv->n_helpers] = 0;
        srv->helper_fd[srv->n_helpers++] = sv[0];
    }
    return 0;
}

/* Closing the sockets tells the helpers to finish; their sessions end within the session
 * timeout. As chrony, they are not waited for (the -F filter has no wait4; the daemon is
 * exiting, and init reaps them). */
void nke_helpers_stop(struct plat_nke_server *srv)
{
    for (int i = 0; i < srv->n_helpers; i++)
        if (srv->helper_fd[i] >= 0)
            close(srv->helper_fd[i]);
    for (int i = 0; i < srv->n_helpers; i++)
        srv->helper_fd[i] = -1;
    srv->n_helpers = 0;
}
