/* NTS-KE client sessions (RFC 8915 §4): each exchange runs over TLS 1.3 (GnuTLS) on a
 * detached helper thread with its own deadline; finished results queue under a mutex
 * and a byte on a pipe wakes the select() loop, which hands them to the callbacks. */
#include "platform/internal.h"
#include "platform/nts_ke_tls.h"

#include "crypto/siv.h"
#include "lib/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* chrony gives up on an NTS-KE session after 16 seconds. */
#define DEFAULT_TIMEOUT 16.0
#define MAX_AEADS 8
#define LABEL_LEN 320

/* Versions other than TLS 1.3 removed from the system's default priorities
 * (RFC 8915 §3 requires TLS 1.3 or newer). */
#define TLS_PRIORITY "-VERS-ALL:+VERS-TLS1.3"

/* One requested exchange: parameters copied from start(), then its result. Owned by
 * the thread until queued, then by the loop, which frees it after the callback. */
struct nke_job {
    struct plat_nts_ke *shared;
    char *host;
    struct net_addr addr;
    char label[LABEL_LEN]; /* "ADDR:PORT (host)", as chrony names the session */
    char **certs;
    size_t n_certs;
    int no_system_certs, no_cert_time_check;
    int aeads[MAX_AEADS];
    int n_aeads;
    double timeout;
    nts_ke_cb cb;
    void *arg;
    struct nts_ke_session_result result;
    struct nke_job *next;
};

/* The connection a thread works on; it outlives the job until the TLS close. */
struct nke_conn {
    int fd;
    gnutls_session_t tls;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    int cancel_fd;            /* readable once the platform is shutting down */
    int handshaken;
    size_t len;
    uint8_t buf[NTS_KE_MAX_MESSAGE];
};

/* State shared by the loop and the session threads; freed by whoever drops the last
 * reference (the platform holds one, each running thread one). */
struct plat_nts_ke {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when only the platform's reference is left */
    int pipe[2];
    int cancel[2]; /* the write end is closed by fini: running sessions give up */
    int refs;
    int closed;  /* the platform is gone: drop finished jobs */
    int pending; /* started and not yet dispatched (loop thread only) */
    struct nke_job *done;
};

static void set_error(struct nke_job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct nke_job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->result.error, sizeof(j->result.error), fmt, ap);
    va_end(ap);
    j->result.status = 1;
}

static void job_free(struct nke_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_certs; i++)
        free(j->certs[i]);
    free(j->certs);
    free(j->host);
    mem_wipe(&j->result, sizeof(j->result));
    free(j);
}

static void shared_unref(struct plat_nts_ke *s)
{
    int last;
    pthread_mutex_lock(&s->lock);
    last = --s->refs == 0;
    if (s->refs == 1)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
    if (!last)
        return;
    while (s->done) {
        struct nke_job *next = s->done->next;
        job_free(s->done);
        s->done = next;
    }
    for (int i = 0; i < 2; i++) {
        if (s->pipe[i] >= 0)
            close(s->pipe[i]);
        if (s->cancel[i] >= 0)
            close(s->cancel[i]);
    }
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Hand a finished job to the loop (or drop it when the platform has gone). */
static void job_report(struct nke_job *j)
{
    struct plat_nts_ke *s = j->shared;
    int closed;
    pthread_mutex_lock(&s->lock);
    closed = s->closed;
    if (!closed) {
        j->next = s->done;
        s->done = j;
    }
    pthread_mutex_unlock(&s->lock);
    if (closed) {
        job_free(j);
        return;
    }
    if (write(s->pipe[1], "x", 1) < 0) {
        /* the loop still finds the job on its next wake-up */
    }
}

/* Wait until the socket is readable (or writable). Returns 0 when ready, -1 when the
 * deadline passed first or the platform is shutting down. */
static int conn_wait(const struct nke_conn *c, int for_write)
{
    return nke_wait(c->fd, for_write, &c->deadline, c->cancel_fd);
}

/* After a GnuTLS call returned r: 1 to call again, 0 when r is final (a result or a
 * fatal error; a renegotiation request counts as one, as in chrony), -1 when the
 * deadline passed. After a non-fatal error (would block, a warning alert) the call is
 * repeated when records are already buffered or the socket is ready. */
static int tls_again(const struct nke_conn *c, int r)
{
    return nke_tls_again(c->tls, c->fd, r, &c->deadline, c->cancel_fd);
}

static void to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (a->ip.family == IPF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        memcpy(&in6->sin6_addr, a->ip.a, 16);
        *len = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip.a, 4);
        *len = sizeof(*in);
    }
}

/* TCP connection to the server, bounded by the deadline. Returns 0 on success. */
static int conn_connect(struct nke_conn *c, struct nke_job *j)
{
    struct sockaddr_storage ss;
    socklen_t sl, el = sizeof(int);
    int err = 0;
    to_sockaddr(&j->addr, &ss, &sl);
    c->fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (c->fd < 0 || c->fd >= FD_SETSIZE) {
        set_error(j, "Could not connect to %s : %s", j->label,
                  strerror(c->fd < 0 ? errno : EMFILE));
        return -1;
    }
    nke_fd_nonblock_cloexec(c->fd);
    if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0)
        return 0;
    if (errno != EINPROGRESS) {
        set_error(j, "Could not connect to %s : %s", j->label, strerror(errno));
        return -1;
    }
    if (conn_wait(c, 1) < 0) {
        set_error(j, "NTS-KE session with %s timed out", j->label);
        return -1;
    }
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (err) {
        set_error(j, "Could not connect to %s : %s", j->label, strerror(err));
        return -1;
    }
    return 0;
}

/* Trust a PEM file, or every certificate in a directory. */
static int cred_add_trusted(gnutls_certificate_credentials_t cred, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gnutls_certificate_set_x509_trust_dir(cred, path, GNUTLS_X509_FMT_PEM);
    return gnutls_certificate_set_x509_trust_file(cred, path, GNUTLS_X509_FMT_PEM);
}

static int conn_load_credentials(struct nke_conn *c, struct nke_job *j)
{
    int r = gnutls_certificate_allocate_credentials(&c->cred);
    if (r >= 0 && !j->no_system_certs)
        r = gnutls_certificate_set_x509_system_trust(c->cred);
    for (size_t i = 0; r >= 0 && i < j->n_certs; i++)
        r = cred_add_trusted(c->cred, j->certs[i]);
    if (r < 0) {
        set_error(j, "Could not set credentials : %s", gnutls_strerror(r));
        return -1;
    }
    return 0;
}

/* 1 if the host is a numeric address (no SNI is sent for those, RFC 6066 §3). */
static int host_is_numeric(const char *host)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

/* Client TLS session: TLS 1.3 only, ALPN ntske/1, SNI and certificate check on host. */
static int conn_setup_tls(struct nke_conn *c, struct nke_job *j)
{
    gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
    unsigned vflags = 0;
    int r;
    if (conn_load_credentials(c, j) < 0)
        return -1;
    r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
    if (r < 0) {
        c->tls = NULL;
        set_error(j, "Could not create TLS session : %s", gnutls_strerror(r));
        return -1;
    }
    if (!host_is_numeric(j->host))
        r = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, j->host, strlen(j->host));
    if (j->no_cert_time_check)
        vflags |= GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    gnutls_session_set_verify_cert(c->tls, j->host, vflags);
    if (r >= 0)
        r = gnutls_priority_init2(&c->prio, TLS_PRIORITY, NULL, GNUTLS_PRIORITY_INIT_DEF_APPEND);
    if (r >= 0)
        r = gnutls_priority_set(c->tls, c->prio);
    if (r >= 0)
        r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
    if (r >= 0)
        r = gnutls_alpn_set_protocols(c->tls, &alpn, 1, 0);
    if (r < 0) {
        set_error(j, "Could not set TLS session : %s", gnutls_strerror(r));
        return -1;
    }
    gnutls_transport_set_int(c->tls, c->fd);
    return 0;
}

/* The handshake failed with r: chrony's message, with the reasons of a failed
 * certificate verification appended. */
static void handshake_error(struct nke_conn *c, struct nke_job *j, int r)
{
    gnutls_datum_t why = {NULL, 0};
    if (r != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
        gnutls_certificate_verification_status_print(gnutls_session_get_verify_cert_status(c->tls),
                                                     gnutls_certificate_type_get(c->tls), &why,
                                                     0) < 0)
        why.data = NULL;
    set_error(j, "TLS handshake with %s failed : %s%s%s", j->label, gnutls_strerror(r),
              why.data ? " " : "", why.data ? (const char *)why.data : "");
    gnutls_free(why.data);
}

static int conn_handshake(struct nke_conn *c, struct nke_job *j)
{
    int r, w;
    do
        r = gnutls_handshake(c->tls);
    while ((w = tls_again(c, r)) > 0);
    if (w < 0) {
        set_error(j, "NTS-KE session with %s timed out", j->label);
        return -1;
    }
    if (r < 0) {
        handshake_error(c, j, r);
        return -1;
    }
    if (!nke_alpn_is_ntske(c->tls)) {
        set_error(j, "NTS-KE not supported by %s", j->label);
        return -1;
    }
    c->handshaken = 1;
    return 0;
}

static int conn_send_request(struct nke_conn *c, struct nke_job *j)
{
    uint8_t req[256];
    size_t len = nts_ke_build_request(j->aeads, j->n_aeads, req, sizeof(req)), sent = 0;
    if (len == 0) {
        set_error(j, "Could not prepare NTS-KE request");
        return -1;
    }
    while (sent < len) {
        ssize_t r;
        int w;
        do
            r = gnutls_record_send(c->tls, req + sent, len - sent);
        while ((w = tls_again(c, (int)r)) > 0);
        if (w < 0) {
            set_error(j, "NTS-KE session with %s timed out", j->label);
            return -1;
        }
        if (r < 0) {
            set_error(j, "Could not send NTS-KE message to %s : %s", j->label,
                      gnutls_strerror((int)r));
            return -1;
        }
        sent += (size_t)r;
    }
    return 0;
}

/* Read until the response holds an End of Message record; returns the verdict of the
 * parse, or -1 after setting an error. */
static int conn_read_response(struct nke_conn *c, struct nke_job *j)
{
    enum nts_ke_verdict v = NTS_KE_INCOMPLETE;
    while (v == NTS_KE_INCOMPLETE) {
        ssize_t r;
        int w;
        if (c->len >= sizeof(c->buf)) {
            set_error(j, "Received invalid NTS-KE message from %s", j->label);
            return -1;
        }
        do
            r = gnutls_record_recv(c->tls, c->buf + c->len, sizeof(c->buf) - c->len);
        while ((w = tls_again(c, (int)r)) > 0);
        if (w < 0) {
            set_error(j, "NTS-KE session with %s timed out", j->label);
            return -1;
        }
        if (r < 0) {
            set_error(j, "Could not receive NTS-KE message from %s : %s", j->label,
                      gnutls_strerror((int)r));
            return -1;
        }
        if (r == 0) {
            set_error(j, "Received invalid NTS-KE message from %s", j->label);
            return -1;
        }
        c->len += (size_t)r;
        v = nts_ke_parse_response(c->buf, c->len, j->aeads, j->n_aeads, &j->result.resp);
        /* A full buffer without End of Message is a framing error, as at end of stream. */
        if (v == NTS_KE_BAD_RECORD && c->len >= sizeof(c->buf))
            v = NTS_KE_INCOMPLETE;
    }
    return (int)v;
}

/* RFC 8915 §5.1: both keys from the TLS exporter, context = protocol, AEAD, direction. */
static int conn_export_keys(struct nke_conn *c, struct nke_job *j)
{
    struct nts_ke_session_result *res = &j->result;
    size_t klen = nts_aead_key_len(res->resp.aead); /* 0: not usable here */
    if (klen == 0 || klen > sizeof(res->c2s) ||
        nke_export_keys(c->tls, res->resp.aead, klen, res->c2s, res->s2c) < 0) {
        set_error(j, "Could not export NTS-KE keys from %s", j->label);
        return -1;
    }
    res->key_len = klen;
    return 0;
}

/* The whole exchange up to the keys; fills j->result. */
static void session_exchange(struct nke_conn *c, struct nke_job *j)
{
    int v;
    if (conn_connect(c, j) < 0 || conn_setup_tls(c, j) < 0 || conn_handshake(c, j) < 0 ||
        conn_send_request(c, j) < 0)
        return;
    v = conn_read_response(c, j);
    if (v < 0)
        return;
    /* chrony rejects a response with any problem, Warning records included. */
    if (v != NTS_KE_OK || j->result.resp.n_warnings > 0) {
        set_error(j, "Received invalid NTS-KE response from %s", j->host);
        return;
    }
    if (conn_export_keys(c, j) < 0)
        return;
    j->result.status = 0;
    j->result.error[0] = '\0';
}

/* Close the TLS session with close_notify while time is left, then the socket. */
static void conn_close(struct nke_conn *c)
{
    if (c->tls && c->handshaken) {
        int r;
        do
            r = gnutls_bye(c->tls, GNUTLS_SHUT_RDWR);
        while (tls_again(c, r) > 0);
    }
    if (c->tls)
        gnutls_deinit(c->tls);
    if (c->prio)
        gnutls_priority_deinit(c->prio);
    if (c->cred)
        gnutls_certificate_free_credentials(c->cred);
    if (c->fd >= 0)
        close(c->fd);
    mem_wipe(c->buf, sizeof(c->buf));
    free(c);
}

static void *session_thread(void *arg)
{
    struct nke_job *j = arg;
    struct plat_nts_ke *s = j->shared;
    struct nke_conn *c = xcalloc(1, sizeof(*c));
    sigset_t all;
    /* Signals belong to the loop's thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    c->fd = -1;
    c->cancel_fd = s->cancel[0];
    clock_gettime(CLOCK_MONOTONIC, &c->deadline);
    c->deadline.tv_sec += (time_t)j->timeout;
    c->deadline.tv_nsec += (long)((j->timeout - (double)(time_t)j->timeout) * 1e9);
    if (c->deadline.tv_nsec >= 1000000000L) {
        c->deadline.tv_sec++;
        c->deadline.tv_nsec -= 1000000000L;
    }
    session_exchange(c, j);
    /* The result goes out first; the closing handshake must not delay it. */
    job_report(j);
    conn_close(c);
    shared_unref(s);
    return NULL;
}

static struct nke_job *job_new(struct plat_nts_ke *s, const char *host, const struct net_addr *addr,
                               const struct nts_ke_session_opts *o)
{
    struct nke_job *j = xcalloc(1, sizeof(*j));
    char ip[IP_ADDR_STRLEN];
    j->shared = s;
    j->host = xstrdup(host);
    j->addr = *addr;
    ip_addr_format(&addr->ip, ip, sizeof(ip));
    snprintf(j->label, sizeof(j->label),
             addr->ip.family == IPF_INET6 ? "[%s]:%u (%s)" : "%s:%u (%s)", ip, (unsigned)addr->port,
             host);
    j->n_certs = o->trusted_certs ? o->n_trusted_certs : 0;
    j->certs = xcalloc(j->n_certs ? j->n_certs : 1, sizeof(char *));
    for (size_t i = 0; i < j->n_certs; i++)
        j->certs[i] = xstrdup(o->trusted_certs[i]);
    j->no_system_certs = o->no_system_certs;
    j->no_cert_time_check = o->no_cert_time_check;
    for (int i = 0; o->aeads && i < o->n_aeads && i < MAX_AEADS; i++)
        j->aeads[j->n_aeads++] = o->aeads[i];
    j->timeout = o->timeout > 0 && o->timeout < 86400 ? o->timeout : DEFAULT_TIMEOUT;
    j->result.status = 1;
    return j;
}

static int nke_start(void *ctx, const char *host, const struct net_addr *addr,
                     const struct nts_ke_session_opts *opts, nts_ke_cb cb, void *arg)
{
    struct platform *p = ctx;
    struct plat_nts_ke *s = p->nts_ke;
    struct nke_job *j;
    pthread_t th;
    if (!s || s->pipe[0] < 0 || !host || !addr || !opts || !cb ||
        (addr->ip.family != IPF_INET4 && addr->ip.family != IPF_INET6))
        return -1;
    j = job_new(s, host, addr, opts);
    j->cb = cb;
    j->arg = arg;
    pthread_mutex_lock(&s->lock);
    s->refs++;
    pthread_mutex_unlock(&s->lock);
    if (pthread_create(&th, NULL, session_thread, j) != 0) {
        job_free(j);
        shared_unref(s);
        return -1;
    }
    pthread_detach(th);
    s->pending++;
    return 0;
}

int plat_nts_ke_wait_fd(struct platform *p)
{
    struct plat_nts_ke *s = p->nts_ke;
    return s && s->pending > 0 ? s->pipe[0] : -1;
}

void plat_nts_ke_dispatch(struct platform *p)
{
    struct plat_nts_ke *s = p->nts_ke;
    struct nke_job *list;
    char drain[64];
    while (read(s->pipe[0], drain, sizeof(drain)) > 0)
        ;
    pthread_mutex_lock(&s->lock);
    list = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        struct nke_job *next = list->next;
        s->pending--;
        list->cb(list->arg, &list->result);
        job_free(list);
        list = next;
    }
}

/* A pipe, non-blocking and close-on-exec; both ends -1 on failure. */
static void pipe_open(int fds[2])
{
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        return;
    }
    nke_fd_nonblock_cloexec(fds[0]);
    nke_fd_nonblock_cloexec(fds[1]);
}

void plat_nts_ke_init(struct platform *p)
{
    struct plat_nts_ke *s = xcalloc(1, sizeof(*s));
    pthread_condattr_t ca;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->idle, &ca);
    pthread_condattr_destroy(&ca);
    s->refs = 1;
    pipe_open(s->pipe);
    pipe_open(s->cancel);
    if (s->cancel[0] < 0 && s->pipe[0] >= 0) {
        /* start() refuses sessions without both pipes */
        close(s->pipe[0]);
        close(s->pipe[1]);
        s->pipe[0] = s->pipe[1] = -1;
    }
    p->nts_ke = s;
    p->env.nts_ke = (struct env_nts_ke){p, nke_start};
}

/* Running sessions are told to give up and are given a moment to close their TLS
 * sessions and sockets (before the process tears GnuTLS down at exit); one that is
 * still busy later finishes on its own and frees its job. */
void plat_nts_ke_fini(struct platform *p)
{
    struct plat_nts_ke *s = p->nts_ke;
    struct timespec until;
    if (!s)
        return;
    p->nts_ke = NULL;
    p->env.nts_ke.start = NULL;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&s->lock);
    s->closed = 1;
    if (s->cancel[1] >= 0) {
        close(s->cancel[1]);
        s->cancel[1] = -1;
    }
    while (s->refs > 1 && pthread_cond_timedwait(&s->idle, &s->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&s->lock);
    shared_unref(s);
}
