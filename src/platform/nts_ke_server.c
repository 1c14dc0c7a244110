/* The NTS-KE server (RFC 8915 §4): listening TCP sockets watched by the event loop, which
 * accepts connections and asks the daemon whether to serve them (allow/deny, ntsratelimit),
 * and one thread per client session (TLS 1.3 over GnuTLS, ALPN ntske/1) that reads
 * the request, exports the client's keys and answers with cookies sealed by the server keys. */
#include "platform/internal.h"
#include "platform/nts_ke_tls.h"
#include "platform/privs.h"

#include "crypto/siv.h"
#include "lib/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* chrony bounds a server session to 2 seconds. */
#define SESSION_TIMEOUT 2.0
#define MAX_AEADS 8
#define MAX_LISTENERS 2
#define MAX_HELPERS 64
/* RFC 8915 §3: TLS 1.3 or newer only. */
#define TLS_PRIORITY "-VERS-ALL:+VERS-TLS1.3"
/* A response: protocol, AEAD, port and server records, 8 cookies, End of Message. */
#define RESPONSE_CAP (64 + NTS_MAX_SERVER_NAME + NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN))

/* State shared by the platform, the accepting thread and the sessions. */
struct plat_nke_server {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* broadcast when a session ends */
    /* under lock */
    struct nts_server_keys keys;
    int have_keys;
    uint64_t accepted, dropped;
    int active; /* sessions running */
    /* set by start(), read-only while running */
    int running;
    int listen_fd[MAX_LISTENERS], n_listen;
    int wake[2]; /* the write end is closed by stop(): every thread gives up */
    const char *(*admit)(void *arg, const struct ip_addr *ip);
    void *admit_arg;
    /* ntsprocesses >= 2: helper processes, each reached through its own socket pair */
    int n_helpers, next_helper;
    int helper_fd[MAX_HELPERS];
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    int aeads[MAX_AEADS], n_aeads;
    char *ntp_server;
    int ntp_port, max_connections;
};

/* One client connection, owned by its thread. */
struct nke_session {
    struct plat_nke_server *srv;
    int fd;
    gnutls_session_t tls;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    int handshaken;
    struct nts_server_keys keys; /* copied when the session starts */
    int have_keys;
    size_t len;
    uint8_t buf[NTS_KE_MAX_MESSAGE];
    uint8_t out[RESPONSE_CAP];
};

/* After a GnuTLS call returned r: 1 to call again, 0 when r is final, -1 when time is up or
 * the server stops. A renegotiation request is final (an error), as in chrony. */
static int session_again(const struct nke_session *s, int r)
{
    return nke_tls_again(s->tls, s->fd, r, &s->deadline, s->srv->wake[0]);
}

/* TLS 1.3 handshake offering ALPN ntske/1; a client that does not agree on it is dropped
 * (RFC 8915 §4). Returns 0 when the session can go on. */
static int session_handshake(struct nke_session *s)
{
    gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
    int r = gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
    if (r < 0) {
        s->tls = NULL;
        return -1;
    }
    r = gnutls_priority_set(s->tls, s->srv->prio);
    if (r >= 0)
        r = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->srv->cred);
    if (r >= 0)
        r = gnutls_alpn_set_protocols(s->tls, &alpn, 1, 0);
    if (r < 0)
        return -1;
    gnutls_transport_set_int(s->tls, s->fd);
    do
        r = gnutls_handshake(s->tls);
    while (session_again(s, r) > 0);
    if (r < 0)
        return -1;
    s->handshaken = 1;
    return nke_alpn_is_ntske(s->tls) ? 0 : -1;
}

/* Read until the request is complete. Returns the parse verdict, or -1 on a read error, the
 * end of the stream or the deadline. */
static int session_read_request(struct nke_session *s, struct nts_ke_request *req)
{
    enum nts_ke_verdict v = NTS_KE_INCOMPLETE;
    while (v == NTS_KE_INCOMPLETE) {
        ssize_t r;
        if (s->len >= sizeof(s->buf))
            return -1;
        do
            r = gnutls_record_recv(s->tls, s->buf + s->len, sizeof(s->buf) - s->len);
        while (session_again(s, (int)r) > 0);
        if (r <= 0)
            return -1;
        s->len += (size_t)r;
        v = nts_ke_parse_request(s->buf, s->len, req);
    }
    return (int)v;
}

static int session_send(struct nke_session *s, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t r;
        do
            r = gnutls_record_send(s->tls, s->out + sent, len - sent);
        while (session_again(s, (int)r) > 0);
        if (r < 0)
            return -1;
        sent += (size_t)r;
    }
    return 0;
}

/* RFC 8915 §5.1: the client's keys from the TLS exporter. Like chrony, AES-128-GCM-SIV keys
 * use the AES-SIV-CMAC-256 id in the context unless the client asked for the compliant one. */
static int session_export_keys(struct nke_session *s, int aead, int compliant, struct nts_keys *k)
{
    int ctx_aead =
        aead == NTS_AEAD_AES_128_GCM_SIV && !compliant ? NTS_AEAD_AES_SIV_CMAC_256 : aead;
    memset(k, 0, sizeof(*k));
    k->aead = aead;
    k->key_len = nts_aead_key_len(aead);
    if (k->key_len == 0 || k->key_len > sizeof(k->c2s))
        return -1;
    return nke_export_keys(s->tls, ctx_aead, k->key_len, k->c2s, k->s2c);
}

/* The accepting answer: NTS_MAX_COOKIES cookies sealing the client's keys. Returns its
 * length, 0 on an internal failure. */
static size_t session_accept_answer(struct nke_session *s, int aead, int compliant)
{
    struct plat_nke_server *srv = s->srv;
    uint8_t cookies[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
    const uint8_t *ptrs[NTS_MAX_COOKIES];
    size_t lens[NTS_MAX_COOKIES], len = 0;
    struct nts_keys k;
    if (!s->have_keys || session_export_keys(s, aead, compliant, &k) < 0) {
        mem_wipe(&k, sizeof(k));
        return 0;
    }
    for (int i = 0; i < NTS_MAX_COOKIES; i++) {
        uint8_t nonce[NTS_SERVER_COOKIE_NONCE];
        plat_random_fill(nonce, sizeof(nonce));
        ptrs[i] = cookies[i];
        lens[i] = nts_server_make_cookie(&s->keys, &k, nonce, cookies[i], sizeof(cookies[i]));
        if (lens[i] == 0)
            goto out;
    }
    len = nts_ke_build_response(aead, ptrs, lens, NTS_MAX_COOKIES, srv->ntp_server, srv->ntp_port,
                                s->out, sizeof(s->out));
out:
    mem_wipe(&k, sizeof(k));
    return len;
}

/* The answer to a parsed request (verdict v); 0 if the connection is just closed. */
static size_t session_answer(struct nke_session *s, int v, const struct nts_ke_request *req)
{
    struct plat_nke_server *srv = s->srv;
    size_t len;
    int aead;
    if (v == NTS_KE_UNKNOWN_CRITICAL || v == NTS_KE_BAD_REQUEST)
        return nts_ke_build_error(req->error_code, s->out, sizeof(s->out));
    if (v != NTS_KE_OK)
        return 0; /* a malformed message: chrony closes without answering */
    if (!req->ntpv4)
        return nts_ke_build_refusal(0, s->out, sizeof(s->out));
    aead = nts_ke_select_aead(req, srv->aeads, srv->n_aeads);
    if (aead < 0)
        return nts_ke_build_refusal(1, s->out, sizeof(s->out));
    len = session_accept_answer(s, aead, req->compliant_128gcm);
    if (len == 0)
        len = nts_ke_build_error(NTS_KE_ERR_INTERNAL, s->out, sizeof(s->out));
    return len;
}

static void session_run(struct nke_session *s)
{
    struct nts_ke_request req;
    size_t len;
    int v;
    if (session_handshake(s) < 0)
        return;
    v = session_read_request(s, &req);
    if (v < 0)
        return;
    len = session_answer(s, v, &req);
    if (len > 0)
        session_send(s, len);
}

/* Close with close_notify while time is left (RFC 8915 §4: the server closes after the
 * response), then free everything but the shared state. */
static void session_close(struct nke_session *s)
{
    if (s->tls && s->handshaken) {
        int r;
        do
            r = gnutls_bye(s->tls, GNUTLS_SHUT_RDWR);
        while (session_again(s, r) > 0);
    }
    if (s->tls)
        gnutls_deinit(s->tls);
    if (s->fd >= 0)
        close(s->fd);
    mem_wipe(s, sizeof(*s));
    free(s);
}

static void *session_thread(void *arg)
{
    struct nke_session *s = arg;
    struct plat_nke_server *srv = s->srv;
    sigset_t all;
    /* Signals belong to the loop's thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    session_run(s);
    session_close(s);
    /* stop() waits for active to reach 0 before freeing srv: nothing touches it after. */
    pthread_mutex_lock(&srv->lock);
    srv->active--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

static struct nke_session *session_new(struct plat_nke_server *srv, int fd)
{
    struct nke_session *s = xcalloc(1, sizeof(*s));
    s->srv = srv;
    s->fd = fd;
    clock_gettime(CLOCK_MONOTONIC, &s->deadline);
    s->deadline.tv_sec += (time_t)SESSION_TIMEOUT;
    s->deadline.tv_nsec += (long)((SESSION_TIMEOUT - (double)(time_t)SESSION_TIMEOUT) * 1e9);
    if (s->deadline.tv_nsec >= 1000000000L) {
        s->deadline.tv_sec++;
        s->deadline.tv_nsec -= 1000000000L;
    }
    return s;
}

/* Start a session on a new connection, or drop it (over the connection limit, or a
 * descriptor select() could not watch: chrony keeps half of them for other uses). */
static void server_take_connection(struct plat_nke_server *srv, int fd)
{
    struct nke_session *s;
    pthread_attr_t attr;
    pthread_t th;
    int ok;
    pthread_mutex_lock(&srv->lock);
    ok = fd < FD_SETSIZE / 2 && srv->active < srv->max_connections;
    if (ok) {
        srv->active++;
        srv->accepted++;
    } else {
        srv->dropped++;
    }
    pthread_mutex_unlock(&srv->lock);
    if (!ok) {
        close(fd);
        return;
    }
    s = session_new(srv, fd);
    pthread_mutex_lock(&srv->lock);
    s->keys = srv->keys;
    s->have_keys = srv->have_keys;
    pthread_mutex_unlock(&srv->lock);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create(&th, &attr, session_thread, s) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        session_close(s);
        pthread_mutex_lock(&srv->lock);
        srv->active--;
        srv->accepted--;
        srv->dropped++;
        pthread_cond_broadcast(&srv->idle);
        pthread_mutex_unlock(&srv->lock);
    }
}

/* A session handed to a helper process: the current server key with the connection's
 * descriptor (SCM_RIGHTS), as chrony's main process does. */
struct helper_msg {
    uint32_t key_id;
    uint8_t key[NTS_SERVER_KEY_LEN];
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

/* The main process: the connection goes to the next helper (round robin); one that cannot
 * take it (it failed) is skipped. */
static void helper_pass(struct platform *p, struct plat_nke_server *srv, int fd)
{
    struct helper_msg m;
    int sent = 0, err;
    memset(&m, 0, sizeof(m));
    pthread_mutex_lock(&srv->lock);
    m.key_id = srv->keys.k[srv->keys.current].id;
    memcpy(m.key, srv->keys.k[srv->keys.current].key, sizeof(m.key));
    pthread_mutex_unlock(&srv->lock);
    for (int i = 0; i < srv->n_helpers && !sent; i++) {
        int h = srv->next_helper++ % srv->n_helpers;
        sent = srv->helper_fd[h] >= 0 && send_fd(srv->helper_fd[h], &m, fd) == 0;
    }
    err = errno;
    mem_wipe(&m, sizeof(m));
    close(fd);
    errno = err;
    pthread_mutex_lock(&srv->lock);
    if (sent)
        srv->accepted++;
    else
        srv->dropped++;
    pthread_mutex_unlock(&srv->lock);
    /* chrony gives up when every helper is gone (EPIPE); we log it and go on. */
    if (!sent && errno == EPIPE)
        log_msg(&p->logger, LOGL_ERR, "NTS-KE helpers failed");
}

/* A helper process: take sessions from the main process until it closes the socket, then
 * let the running sessions finish and exit. It drops root and applies the system call
 * filter itself, as chrony's helpers do. */
static void helper_run(struct platform *p, struct plat_nke_server *srv, int sock,
                       const struct nts_ke_server_opts *o)
{
    char err[256] = "";
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
    for (;;) {
        struct helper_msg m;
        fd_set rd;
        int fd, r;
        FD_ZERO(&rd);
        FD_SET(sock, &rd);
        if (select(sock + 1, &rd, NULL, NULL, NULL) < 0 && errno != EINTR)
            break;
        r = recv_fd(sock, &m, &fd);
        if (r == 0)
            break;
        if (r < 0 || fd < 0)
            continue;
        nke_fd_nonblock_cloexec(fd);
        pthread_mutex_lock(&srv->lock);
        memset(&srv->keys, 0, sizeof(srv->keys));
        srv->keys.n = NTS_SERVER_MAX_KEYS;
        srv->keys.current = (int)(m.key_id % NTS_SERVER_MAX_KEYS);
        srv->keys.k[srv->keys.current].id = m.key_id;
        memcpy(srv->keys.k[srv->keys.current].key, m.key, sizeof(m.key));
        srv->have_keys = 1;
        pthread_mutex_unlock(&srv->lock);
        mem_wipe(&m, sizeof(m));
        server_take_connection(srv, fd);
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->active > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
    _exit(0);
}

/* Fork the helpers (before privileges are dropped and the filter applied, as chrony). */
static int helpers_start(struct platform *p, struct plat_nke_server *srv,
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
        srv->helper_fd[srv->n_helpers++] = sv[0];
    }
    return 0;
}

/* Closing the sockets tells the helpers to finish; their sessions end within the session
 * timeout. As chrony, they are not waited for (the -F filter has no wait4; the daemon is
 * exiting, and init reaps them). */
static void helpers_stop(struct plat_nke_server *srv)
{
    for (int i = 0; i < srv->n_helpers; i++)
        if (srv->helper_fd[i] >= 0)
            close(srv->helper_fd[i]);
    srv->n_helpers = 0;
}

/* The client's address of an accepted connection. */
static void peer_addr(const struct sockaddr_storage *ss, struct ip_addr *ip, int *port)
{
    memset(ip, 0, sizeof(*ip));
    *port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        ip->family = IPF_INET4;
        memcpy(ip->a, &in->sin_addr, 4);
        *port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        ip->family = IPF_INET6;
        memcpy(ip->a, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
    }
}

static void format_sockaddr(const struct ip_addr *ip, int port, char *buf, size_t len);

/* A connection is accepted in the event loop; the daemon says whether to serve it. */
static void server_accept(struct platform *p, struct plat_nke_server *srv, int lfd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    struct ip_addr ip;
    const char *why;
    char name[IP_ADDR_STRLEN + 16];
    int fd = accept(lfd, (struct sockaddr *)&ss, &sl), port;
    if (fd < 0)
        return;
    nke_fd_nonblock_cloexec(fd);
    peer_addr(&ss, &ip, &port);
    why = srv->admit ? srv->admit(srv->admit_arg, &ip) : NULL;
    if (why) {
        format_sockaddr(&ip, port, name, sizeof(name));
        log_msg(&p->logger, LOGL_DEBUG, "Rejected connection from %s (%s)", name, why);
        close(fd);
        return;
    }
    if (srv->n_helpers > 0) {
        helper_pass(p, srv, fd);
        return;
    }
    server_take_connection(srv, fd);
}

int plat_nts_ke_server_fds(struct platform *p, int *fds, int max)
{
    struct plat_nke_server *srv = p->nts_ke_server;
    int n = 0;
    if (!srv || !srv->running)
        return 0;
    for (int i = 0; i < srv->n_listen && n < max; i++)
        fds[n++] = srv->listen_fd[i];
    return n;
}

void plat_nts_ke_server_accept(struct platform *p, int fd)
{
    struct plat_nke_server *srv = p->nts_ke_server;
    if (srv && srv->running)
        server_accept(p, srv, fd);
}

/* "ADDR:PORT" as chrony names a socket address. */
static void format_sockaddr(const struct ip_addr *ip, int port, char *buf, size_t len)
{
    char a[IP_ADDR_STRLEN];
    ip_addr_format(ip, a, sizeof(a));
    snprintf(buf, len, ip->family == IPF_INET6 ? "[%s]:%d" : "%s:%d", a, port);
}

/* A listening TCP socket on ip (IPF_UNSPEC in bind = the family's any address). */
static int listener_open(enum ip_family family, const struct ip_addr *bind_ip, int port,
                         int backlog)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1, fd;
    memset(&ss, 0, sizeof(ss));
    if (family == IPF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (bind_ip->family == IPF_INET6)
            memcpy(&in6->sin6_addr, bind_ip->a, 16);
        sl = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (bind_ip->family == IPF_INET4)
            memcpy(&in->sin_addr, bind_ip->a, 4);
        sl = sizeof(*in);
    }
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    nke_fd_nonblock_cloexec(fd);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == IPF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (fd >= FD_SETSIZE || bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, backlog) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Listeners for the enabled families; chrony logs a family that fails and goes on. */
static int server_open_listeners(struct platform *p, struct plat_nke_server *srv,
                                 const struct nts_ke_server_opts *o, char *err, size_t errlen)
{
    static const enum ip_family fams[MAX_LISTENERS] = {IPF_INET4, IPF_INET6};
    char name[IP_ADDR_STRLEN + 16];
    for (int i = 0; i < MAX_LISTENERS; i++) {
        const struct ip_addr *b = fams[i] == IPF_INET4 ? &o->bind4 : &o->bind6;
        struct ip_addr any = {0};
        int fd;
        if ((o->family == 4 && fams[i] != IPF_INET4) || (o->family == 6 && fams[i] != IPF_INET6))
            continue;
        fd = listener_open(fams[i], b, o->port, srv->max_connections);
        if (fd >= 0) {
            srv->listen_fd[srv->n_listen++] = fd;
            continue;
        }
        any.family = fams[i];
        format_sockaddr(b->family == fams[i] ? b : &any, o->port, name, sizeof(name));
        snprintf(err, errlen, "Could not open NTS-KE socket on %s", name);
        log_msg(&p->logger, LOGL_ERR, "%s", err);
    }
    return srv->n_listen > 0 ? 0 : -1;
}

/* Server certificates and keys, and the TLS 1.3-only priorities. */
static int server_load_tls(struct plat_nke_server *srv, const struct nts_ke_server_opts *o,
                           char *err, size_t errlen)
{
    int r = gnutls_certificate_allocate_credentials(&srv->cred);
    if (r < 0)
        srv->cred = NULL;
    for (size_t i = 0; r >= 0 && i < o->n_certs; i++)
        r = gnutls_certificate_set_x509_key_file(srv->cred, o->certs[i], o->keys[i],
                                                 GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        snprintf(err, errlen, "Could not set credentials : %s", gnutls_strerror(r));
        return -1;
    }
    r = gnutls_priority_init2(&srv->prio, TLS_PRIORITY, NULL, GNUTLS_PRIORITY_INIT_DEF_APPEND);
    if (r < 0) {
        srv->prio = NULL;
        snprintf(err, errlen, "Could not initialise priority cache : %s", gnutls_strerror(r));
        return -1;
    }
    return 0;
}

/* Undo start(): every thread has been told to stop and has finished. */
static void server_release(struct plat_nke_server *srv)
{
    for (int i = 0; i < srv->n_listen; i++)
        close(srv->listen_fd[i]);
    srv->n_listen = 0;
    for (int i = 0; i < 2; i++) {
        if (srv->wake[i] >= 0)
            close(srv->wake[i]);
        srv->wake[i] = -1;
    }
    if (srv->prio)
        gnutls_priority_deinit(srv->prio);
    if (srv->cred)
        gnutls_certificate_free_credentials(srv->cred);
    srv->prio = NULL;
    srv->cred = NULL;
    free(srv->ntp_server);
    srv->ntp_server = NULL;
    srv->running = 0;
}

static void server_copy_opts(struct plat_nke_server *srv, const struct nts_ke_server_opts *o)
{
    srv->n_aeads = 0;
    for (int i = 0; o->aeads && i < o->n_aeads && srv->n_aeads < MAX_AEADS; i++)
        if (nts_aead_key_len(o->aeads[i]) > 0)
            srv->aeads[srv->n_aeads++] = o->aeads[i];
    srv->ntp_server = o->ntp_server && o->ntp_server[0] ? xstrdup(o->ntp_server) : NULL;
    srv->ntp_port = o->ntp_port;
    srv->max_connections = o->max_connections > 0 ? o->max_connections : 1;
    srv->admit = o->admit;
    srv->admit_arg = o->admit_arg;
}

static int nks_start(void *ctx, const struct nts_ke_server_opts *o, char *err, size_t errlen)
{
    struct platform *p = ctx;
    struct plat_nke_server *srv = p->nts_ke_server;
    if (!srv || srv->running || !o || o->n_certs == 0 || !o->certs || !o->keys) {
        snprintf(err, errlen, "Could not start NTS-KE server");
        return -1;
    }
    srv->running = 1;
    server_copy_opts(srv, o);
    for (size_t i = 0; i < o->n_certs; i++) {
        char msg[4200];
        if (o->keys[i] && plat_file_permission_warning(o->keys[i], 0771, msg, sizeof(msg)))
            log_msg(&p->logger, LOGL_WARN, "%s", msg);
    }
    if (server_load_tls(srv, o, err, errlen) < 0 ||
        server_open_listeners(p, srv, o, err, errlen) < 0)
        goto fail;
    if (pipe(srv->wake) != 0) {
        srv->wake[0] = srv->wake[1] = -1;
        snprintf(err, errlen, "Could not open pipe : %s", strerror(errno));
        goto fail;
    }
    nke_fd_nonblock_cloexec(srv->wake[0]);
    nke_fd_nonblock_cloexec(srv->wake[1]);
    if (o->processes >= 2 && helpers_start(p, srv, o, err, errlen) < 0) {
        helpers_stop(srv);
        goto fail;
    }
    return 0;
fail:
    server_release(srv);
    return -1;
}

static void nks_set_keys(void *ctx, const struct nts_server_keys *keys)
{
    struct plat_nke_server *srv = ((struct platform *)ctx)->nts_ke_server;
    if (!srv || !keys)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->keys = *keys;
    srv->have_keys = 1;
    pthread_mutex_unlock(&srv->lock);
}

static void nks_get_stats(void *ctx, uint64_t *accepted, uint64_t *dropped)
{
    struct plat_nke_server *srv = ((struct platform *)ctx)->nts_ke_server;
    uint64_t a = 0, d = 0;
    if (srv) {
        pthread_mutex_lock(&srv->lock);
        a = srv->accepted;
        d = srv->dropped;
        pthread_mutex_unlock(&srv->lock);
    }
    if (accepted)
        *accepted = a;
    if (dropped)
        *dropped = d;
}

/* Closing the wake pipe makes every session give up at its next wait; sessions are bounded
 * by their deadline, so waiting for them is bounded too. */
static void nks_stop(void *ctx)
{
    struct plat_nke_server *srv = ((struct platform *)ctx)->nts_ke_server;
    if (!srv || !srv->running)
        return;
    helpers_stop(srv);
    close(srv->wake[1]);
    srv->wake[1] = -1;
    pthread_mutex_lock(&srv->lock);
    while (srv->active > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
    server_release(srv);
}

void plat_nts_ke_server_init(struct platform *p)
{
    struct plat_nke_server *srv = xcalloc(1, sizeof(*srv));
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    srv->wake[0] = srv->wake[1] = -1;
    p->nts_ke_server = srv;
    p->env.nts_ke_server =
        (struct env_nts_ke_server){p, nks_start, nks_set_keys, nks_get_stats, nks_stop};
}

void plat_nts_ke_server_fini(struct platform *p)
{
    struct plat_nke_server *srv = p->nts_ke_server;
    if (!srv)
        return;
    nks_stop(p);
    p->env.nts_ke_server = (struct env_nts_ke_server){NULL, NULL, NULL, NULL, NULL};
    p->nts_ke_server = NULL;
    pthread_cond_destroy(&srv->idle);
    pthread_mutex_destroy(&srv->lock);
    mem_wipe(srv, sizeof(*srv));
    free(srv);
}
