/* The NTS-KE server (RFC 8915 §4): listening TCP sockets and client sessions, all stepped by
 * the select() loop (or, with ntsprocesses 2 or more, by the select() loop of each forked
 * helper process). The loop accepts connections and asks the daemon whether to serve them
 * (allow/deny, ntsratelimit); each session is a state machine on its non-blocking socket:
 * TLS 1.3 handshake (GnuTLS, ALPN ntske/1), the request, the answer with cookies sealed by
 * the server keys, close_notify, bounded by chrony's session timeout (and by a shorter one
 * until the ClientHello has come). While every session is taken no connection is accepted:
 * they wait in the listen queue in arrival order. No thread is involved: a stalled client
 * holds only its own session and the daemon stays simulatable. */
#include "platform/internal.h"
#include "platform/nts_ke_server.h"
#include "platform/nts_ke_tls.h"

#include "crypto/siv.h"
#include "lib/mem.h"

#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* chrony bounds a server session to 2 seconds. */
#define SESSION_TIMEOUT 2.0
/* Ours: a client must have sent its whole ClientHello within 1 second of the accept (it is
 * normally there already: it follows the TCP handshake at once, and a connection that waited
 * in the listen queue has had it arrive meanwhile), or the session ends then, so a client
 * that sends part of it and stalls holds a session for half the time. */
#define HELLO_TIMEOUT 1.0
/* Ours: connections beyond maxntsconnections wait in the kernel's listen queue, in arrival
 * order, rather than being refused (chrony accepts and closes them); the queue holds this
 * many times the sessions, so a connection at its end waits at most about that many session
 * timeouts. */
#define BACKLOG_PER_SESSION 4
/* A response: protocol, AEAD, port and server records, 8 cookies, End of Message. */
#define RESPONSE_CAP (64 + NTS_MAX_SERVER_NAME + NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN))

enum srv_state {
    SRV_HANDSHAKE, /* TLS handshake */
    SRV_RECEIVE,   /* the request, up to its End of Message record */
    SRV_SEND,      /* the answer */
    SRV_CLOSE,     /* close_notify exchange */
    SRV_DONE       /* nothing left to do: freed by the loop */
};

/* One client connection, owned by the server's list from accept until it is freed. */
struct srv_session {
    struct plat_nke_server *srv;
    enum srv_state state;
    int fd;
    int want_write; /* the socket must be writable (else readable) to go on */
    gnutls_session_t tls;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    struct timespec start;    /* the accept, CLOCK_MONOTONIC */
    int hello;                /* the ClientHello has arrived (HELLO_TIMEOUT no longer runs) */
    char label[LABEL_LEN];    /* "ADDR:PORT" of the client, as chrony names it */
    size_t len;
    uint8_t buf[NTS_KE_MAX_MESSAGE];
    size_t out_len, sent;
    uint8_t out[RESPONSE_CAP];
    struct srv_session *next;
};

/* RFC 8915 §5.1: the client's keys from the TLS exporter. Like chrony, AES-128-GCM-SIV keys
 * use the AES-SIV-CMAC-256 id in the context unless the client asked for the compliant one. */
static int session_export_keys(struct srv_session *s, int aead, int compliant, struct nts_keys *k)
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

/* The accepting answer: NTS_MAX_COOKIES cookies sealing the client's keys with the current
 * server key. Returns its length, 0 on an internal failure. */
static size_t session_accept_answer(struct srv_session *s, int aead, int compliant)
{
    struct plat_nke_server *srv = s->srv;
    uint8_t cookies[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
    const uint8_t *ptrs[NTS_MAX_COOKIES];
    size_t lens[NTS_MAX_COOKIES], len = 0;
    struct nts_keys k;
    if (!srv->have_keys || session_export_keys(s, aead, compliant, &k) < 0) {
        mem_wipe(&k, sizeof(k));
        return 0;
    }
    for (int i = 0; i < NTS_MAX_COOKIES; i++) {
        uint8_t nonce[NTS_SERVER_COOKIE_NONCE];
        plat_random_fill(nonce, sizeof(nonce));
        ptrs[i] = cookies[i];
        lens[i] = nts_server_make_cookie(&srv->keys, &k, nonce, cookies[i], sizeof(cookies[i]));
        if (lens[i] == 0)
            goto out;
    }
    len = nts_ke_build_response(aead, ptrs, lens, NTS_MAX_COOKIES, srv->ntp_server, srv->ntp_port,
                                s->out, sizeof(s->out));
out:
    mem_wipe(&k, sizeof(k));
    mem_wipe(cookies, sizeof(cookies));
    return len;
}

/* The answer to a parsed request (verdict v); 0 if the connection is just closed. */
static size_t session_answer(struct srv_session *s, int v, const struct nts_ke_request *req)
{
    struct plat_nke_server *srv = s->srv;
    size_t len;
    int aead;
    if (v == NTS_KE_UNKNOWN_CRITICAL || v == NTS_KE_BAD_REQUEST)
        return nts_ke_build_error(req->error_code, s->out, sizeof(s->out));
    if (v != NTS_KE_OK) {
        log_msg(srv->log, LOGL_DEBUG, "Received invalid NTS-KE message from %s", s->label);
        return 0; /* chrony closes without answering */
    }
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

/* Once GnuTLS has read the whole ClientHello (the first message of a client), the session has
 * chrony's SESSION_TIMEOUT from the accept instead of HELLO_TIMEOUT. (Before any handshake message
 * GnuTLS reports -1, in an enum type that may be unsigned.) */
static void session_check_hello(struct srv_session *s)
{
    if (s->hello || (int)gnutls_handshake_get_last_in(s->tls) < GNUTLS_HANDSHAKE_CLIENT_HELLO)
        return;
    s->hello = 1;
    s->deadline = s->start;
    s->deadline.tv_sec += (time_t)SESSION_TIMEOUT;
    s->deadline.tv_nsec += (long)((SESSION_TIMEOUT - (double)(time_t)SESSION_TIMEOUT) * 1e9);
    if (s->deadline.tv_nsec >= 1000000000L) {
        s->deadline.tv_sec++;
        s->deadline.tv_nsec -= 1000000000L;
    }
}

/* TLS 1.3 handshake offering ALPN ntske/1; a client that does not agree on it is not
 * answered (RFC 8915 §4). A failed handshake ends the session without close_notify. */
static int step_handshake(struct srv_session *s)
{
    int r, w, tries = 0;
    while ((r = gnutls_handshake(s->tls)) < 0) {
        session_check_hello(s);
        w = nke_tls_again(s->tls, r, &tries, &s->want_write);
        if (w == 0)
            return 0;
        if (w < 0) {
            s->state = SRV_DONE;
            return 0;
        }
    }
    session_check_hello(s);
    s->state = nke_alpn_is_ntske(s->tls) ? SRV_RECEIVE : SRV_CLOSE;
    s->want_write = 0;
    return 1;
}

/* Read until the request is complete (records GnuTLS has already decrypted are read before
 * waiting on the socket again), then prepare the answer. A request filling the buffer, the
 * end of the stream or an error ends the session. */
static int step_receive(struct srv_session *s)
{
    struct nts_ke_request req;
    enum nts_ke_verdict v;
    int w, tries = 0;
    for (;;) {
        ssize_t r;
        if (s->len >= sizeof(s->buf)) {
            log_msg(s->srv->log, LOGL_DEBUG, "Message is too long");
            s->state = SRV_CLOSE;
            return 1;
        }
        r = gnutls_record_recv(s->tls, s->buf + s->len, sizeof(s->buf) - s->len);
        if (r < 0) {
            w = nke_tls_again(s->tls, (int)r, &tries, &s->want_write);
            if (w == 0)
                return 0;
            if (w < 0) {
                s->state = SRV_DONE;
                return 0;
            }
            continue;
        }
        if (r == 0) {
            s->state = SRV_CLOSE;
            return 1;
        }
        s->len += (size_t)r;
        v = nts_ke_parse_request(s->buf, s->len, &req);
        if (v != NTS_KE_INCOMPLETE)
            break;
    }
    s->out_len = session_answer(s, (int)v, &req);
    s->state = s->out_len > 0 ? SRV_SEND : SRV_CLOSE;
    s->want_write = 1;
    return 1;
}

static int step_send(struct srv_session *s)
{
    int w, tries = 0;
    while (s->sent < s->out_len) {
        ssize_t r = gnutls_record_send(s->tls, s->out + s->sent, s->out_len - s->sent);
        if (r >= 0) {
            s->sent += (size_t)r;
            continue;
        }
        w = nke_tls_again(s->tls, (int)r, &tries, &s->want_write);
        if (w == 0)
            return 0;
        if (w < 0) {
            s->state = SRV_DONE;
            return 0;
        }
    }
    s->state = SRV_CLOSE;
    return 1;
}

/* Take every step the socket allows now. */
static void session_step(struct srv_session *s)
{
    int go = 1;
    while (go) {
        switch (s->state) {
        case SRV_HANDSHAKE:
            go = step_handshake(s);
            break;
        case SRV_RECEIVE:
            go = step_receive(s);
            break;
        case SRV_SEND:
            go = step_send(s);
            break;
        case SRV_CLOSE:
            if (nke_tls_bye(s->tls, &s->want_write))
                s->state = SRV_DONE;
            go = 0;
            break;
        default:
            go = 0;
            break;
        }
    }
}

static void session_free(struct srv_session *s)
{
    if (s->tls)
        gnutls_deinit(s->tls);
    if (s->fd >= 0)
        close(s->fd);
    mem_wipe(s, sizeof(*s));
    free(s);
}

/* A TLS server session on the connection fd, or NULL. */
static struct srv_session *session_new(struct plat_nke_server *srv, int fd, const char *label)
{
    gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
    struct srv_session *s = xcalloc(1, sizeof(*s));
    int r;
    s->srv = srv;
    s->fd = fd;
    s->state = SRV_HANDSHAKE;
    snprintf(s->label, sizeof(s->label), "%s", label);
    nke_deadline_in(&s->start, 0.0);
    nke_deadline_in(&s->deadline, HELLO_TIMEOUT);
    r = gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
    if (r < 0)
        s->tls = NULL;
    if (r >= 0)
        r = gnutls_priority_set(s->tls, srv->prio);
    if (r >= 0)
        r = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, srv->cred);
    if (r >= 0)
        r = gnutls_alpn_set_protocols(s->tls, &alpn, 1, 0);
    if (r < 0) {
        s->fd = -1; /* the caller closes it */
        session_free(s);
        return NULL;
    }
    gnutls_transport_set_int(s->tls, fd);
    return s;
}

/* Start a session on a new connection, or drop it: over the connection limit, or a
 * descriptor select() should not watch (chrony keeps half of them for other uses). The
 * session takes its first steps at once (the ClientHello may be there already). */
void nke_srv_take(struct plat_nke_server *srv, int fd, const char *label)
{
    struct srv_session *s = NULL;
    const char *why = NULL;
    if (fd > FD_SETSIZE / 2)
        why = "too many descriptors";
    else if (srv->active >= srv->max_connections)
        why = "too many connections";
    else if (!(s = session_new(srv, fd, label)))
        why = "no TLS session";
    if (why) {
        log_msg(srv->log, LOGL_DEBUG, "Rejected connection from %s (%s)", label, why);
        srv->dropped++;
        srv->ended++;
        close(fd);
        return;
    }
    log_msg(srv->log, LOGL_DEBUG, "Accepted connection from %s fd=%d", label, fd);
    srv->accepted++;
    srv->active++;
    s->next = srv->sessions;
    srv->sessions = s;
    session_step(s);
}

/* Before select(): the listening sockets (to rd) and the sockets the sessions wait on (to
 * rd or wr). Returns the seconds until the earliest session deadline, -1 with no session.
 * While every session is taken (with ntsprocesses, every session of every helper), the
 * listening sockets are not watched: new connections wait in the listen queue in arrival
 * order, and each session that ends takes the oldest. */
double nke_srv_prepare(struct plat_nke_server *srv, fd_set *rd, fd_set *wr, int *maxfd)
{
    struct timespec now;
    double first = -1.0;
    int full = srv->n_helpers > 0 ? nke_helpers_full(srv) : srv->active >= srv->max_connections;
    nke_helpers_prepare(srv, rd, maxfd);
    for (int i = 0; !full && i < srv->n_listen; i++) {
        FD_SET(srv->listen_fd[i], rd);
        if (srv->listen_fd[i] > *maxfd)
            *maxfd = srv->listen_fd[i];
    }
    if (!srv->sessions)
        return -1.0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (struct srv_session *s = srv->sessions; s; s = s->next) {
        double left = s->state == SRV_DONE ? 0.0 : nke_seconds_left(&s->deadline, &now);
        if (left < 0.0)
            left = 0.0;
        if (first < 0.0 || left < first)
            first = left;
        if (s->state == SRV_DONE)
            continue;
        FD_SET(s->fd, s->want_write ? wr : rd);
        if (s->fd > *maxfd)
            *maxfd = s->fd;
    }
    return first;
}

/* After select(): step the sessions whose sockets are ready in rd/wr (NULL: none is), free
 * those finished or past their deadline. */
void nke_srv_step(struct plat_nke_server *srv, const fd_set *rd, const fd_set *wr)
{
    struct srv_session **link;
    struct timespec now;
    if (!srv->sessions)
        return;
    for (struct srv_session *s = srv->sessions; s; s = s->next)
        if (rd && wr && s->state != SRV_DONE && FD_ISSET(s->fd, s->want_write ? wr : rd))
            session_step(s);
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (link = &srv->sessions; *link;) {
        struct srv_session *s = *link;
        if (s->state != SRV_DONE && nke_seconds_left(&s->deadline, &now) <= 0) {
            log_msg(srv->log, LOGL_DEBUG, "NTS-KE session with %s timed out", s->label);
            s->state = SRV_DONE;
        }
        if (s->state == SRV_DONE) {
            *link = s->next;
            srv->active--;
            srv->ended++;
            session_free(s);
        } else {
            link = &s->next;
        }
    }
}

void nke_srv_drop_all(struct plat_nke_server *srv)
{
    while (srv->sessions) {
        struct srv_session *s = srv->sessions;
        srv->sessions = s->next;
        session_free(s);
    }
    srv->active = 0;
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
static void server_accept(struct plat_nke_server *srv, int lfd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    struct ip_addr ip;
    const char *why;
    char name[LABEL_LEN];
    int fd = accept(lfd, (struct sockaddr *)&ss, &sl), port;
    if (fd < 0)
        return;
    nke_fd_nonblock_cloexec(fd);
    peer_addr(&ss, &ip, &port);
    format_sockaddr(&ip, port, name, sizeof(name));
    why = srv->admit ? srv->admit(srv->admit_arg, &ip) : NULL;
    if (why) {
        log_msg(srv->log, LOGL_DEBUG, "Rejected connection from %s (%s)", name, why);
        close(fd);
        return;
    }
    if (srv->n_helpers > 0)
        nke_helper_pass(srv, fd, name);
    else
        nke_srv_take(srv, fd, name);
}

double plat_nts_ke_server_prepare(struct platform *p, fd_set *rd, fd_set *wr, int *maxfd)
{
    struct plat_nke_server *srv = p->nts_ke_server;
    if (!srv || !srv->running)
        return -1.0;
    return nke_srv_prepare(srv, rd, wr, maxfd);
}

void plat_nts_ke_server_process(struct platform *p, const fd_set *rd, const fd_set *wr)
{
    struct plat_nke_server *srv = p->nts_ke_server;
    if (!srv || !srv->running)
        return;
    nke_srv_step(srv, rd, wr);
    if (rd)
        nke_helpers_process(srv, rd);
    for (int i = 0; rd && i < srv->n_listen; i++)
        if (FD_ISSET(srv->listen_fd[i], rd))
            server_accept(srv, srv->listen_fd[i]);
}

/* "ADDR:PORT" as chrony names a socket address. */
static void format_sockaddr(const struct ip_addr *ip, int port, char *buf, size_t len)
{
    char a[IP_ADDR_STRLEN];
    ip_addr_format(ip, a, sizeof(a));
    snprintf(buf, len, ip->family == IPF_INET6 ? "[%s]:%d" : "%s:%d", a, port);
}

/* A listening TCP socket on ip (IPF_UNSPEC in bind = the family's any address). */
static int listener_open(enum ip_family family, const struct ip_addr *bind_ip, const char *device,
                         int port, int backlog)
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
    plat_bind_options(fd, port);
    if (family == IPF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    /* binddevice, as chrony's NTS-KE server: a device that cannot be bound fails it */
    if (plat_bind_device(fd, device) < 0) {
        close(fd);
        return -1;
    }
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
    char name[LABEL_LEN];
    /* chrony queues as many connections as sessions can run at once; we queue more, since
     * the queue is where connections wait while the sessions are taken. */
    int backlog = (o->processes > 1 ? o->processes : 1) * srv->max_connections;
    backlog = backlog > SOMAXCONN / BACKLOG_PER_SESSION ? SOMAXCONN : backlog * BACKLOG_PER_SESSION;
    for (int i = 0; i < MAX_LISTENERS; i++) {
        const struct ip_addr *b = fams[i] == IPF_INET4 ? &o->bind4 : &o->bind6;
        struct ip_addr any = {0};
        int fd;
        if ((o->family == 4 && fams[i] != IPF_INET4) || (o->family == 6 && fams[i] != IPF_INET6))
            continue;
        fd = listener_open(fams[i], b, o->device, o->port, backlog);
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
    r = gnutls_priority_init2(&srv->prio, NKE_TLS_PRIORITY, NULL, GNUTLS_PRIORITY_INIT_DEF_APPEND);
    if (r < 0) {
        srv->prio = NULL;
        snprintf(err, errlen, "Could not initialise priority cache : %s", gnutls_strerror(r));
        return -1;
    }
    return 0;
}

/* Undo start(): sessions are dropped (a client mid-exchange sees the connection close). */
static void server_release(struct plat_nke_server *srv)
{
    nke_srv_drop_all(srv);
    for (int i = 0; i < srv->n_listen; i++)
        close(srv->listen_fd[i]);
    srv->n_listen = 0;
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
    if (o->processes >= 2 && nke_helpers_start(p, srv, o, err, errlen) < 0) {
        nke_helpers_stop(srv);
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
    srv->keys = *keys;
    srv->have_keys = 1;
}

static void nks_get_stats(void *ctx, uint64_t *accepted, uint64_t *dropped)
{
    struct plat_nke_server *srv = ((struct platform *)ctx)->nts_ke_server;
    if (accepted)
        *accepted = srv ? srv->accepted : 0;
    if (dropped)
        *dropped = srv ? srv->dropped : 0;
}

/* The sessions of this process are dropped at once; the helpers finish theirs. */
static void nks_stop(void *ctx)
{
    struct plat_nke_server *srv = ((struct platform *)ctx)->nts_ke_server;
    if (!srv || !srv->running)
        return;
    nke_helpers_stop(srv);
    server_release(srv);
}

void plat_nts_ke_server_init(struct platform *p)
{
    struct plat_nke_server *srv = xcalloc(1, sizeof(*srv));
    srv->log = &p->logger;
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
    mem_wipe(srv, sizeof(*srv));
    free(srv);
}
