/* NTS-KE client sessions (RFC 8915 §4) as state machines of the select() loop: a
 * non-blocking TCP connect, the TLS 1.3 handshake (GnuTLS on a non-blocking socket), the
 * request and the response, each step taken when the loop finds the socket ready; a
 * deadline bounds the whole exchange. The result goes to the callback from the loop, then
 * the TLS session is closed (close_notify both ways, as chrony does) within the deadline.
 * No thread is involved: the daemon stays simulatable (doc/ARCHITECTURE.md). */
#include "platform/internal.h"
#include "platform/nts_ke_tls.h"

#include "crypto/siv.h"
#include "lib/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <math.h>
#include <netinet/in.h>
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

enum nke_state {
    NKE_CONNECT,   /* waiting for the TCP connection */
    NKE_HANDSHAKE, /* TLS handshake */
    NKE_SEND,      /* the request */
    NKE_RECEIVE,   /* the response, up to its End of Message record */
    NKE_REPORT,    /* the result is ready for the callback */
    NKE_CLOSE,     /* result delivered: TLS close_notify exchange */
    NKE_FREE       /* nothing left to do */
};

/* One session, owned by the platform's list from start until it is freed. */
struct nke_session {
    struct platform *p;
    enum nke_state state;
    int fd;
    int want_write; /* the socket must be writable (else readable) to go on */
    gnutls_session_t tls;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    double time_offset;       /* s, added to the platform clock for certificate checks */
    char *host;
    char label[LABEL_LEN]; /* "ADDR:PORT (host)", as chrony names the session */
    int no_cert_time_check;
    int close_after; /* the response was read: say goodbye after the report */
    int aeads[MAX_AEADS];
    int n_aeads;
    uint8_t req[256];
    size_t req_len, sent;
    size_t len;
    uint8_t buf[NTS_KE_MAX_MESSAGE];
    nts_ke_cb cb;
    void *arg;
    struct nts_ke_session_result result;
    struct nke_session *next;
};

struct plat_nts_ke {
    struct nke_session *list;
    struct nke_session *report; /* finished, their callbacks being called (process()) */
};

/* The session whose GnuTLS call runs on this thread, for the certificate time checks
 * (GnuTLS's time function is process-wide and takes no argument). */
static _Thread_local const struct nke_session *tls_time_session;

/* GnuTLS's clock: the daemon's time during our client sessions, as chrony gives GnuTLS
 * its own clock; the system's time for any other TLS user of the process. */
static time_t tls_time(time_t *t)
{
    const struct nke_session *s = tls_time_session;
    time_t now;
    if (s) {
        struct timespec ts;
        s->p->env.clock.read(s->p->env.clock.ctx, &ts);
        now = (time_t)floor((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + s->time_offset);
    } else {
        now = time(NULL);
    }
    if (t)
        *t = now;
    return now;
}

static void set_error(struct nke_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct nke_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->result.error, sizeof(s->result.error), fmt, ap);
    va_end(ap);
    s->result.status = 1;
    s->state = NKE_REPORT;
}

static void session_free(struct nke_session *s)
{
    if (s->tls)
        gnutls_deinit(s->tls);
    if (s->prio)
        gnutls_priority_deinit(s->prio);
    if (s->cred)
        gnutls_certificate_free_credentials(s->cred);
    if (s->fd >= 0)
        close(s->fd);
    free(s->host);
    mem_wipe(s->buf, sizeof(s->buf));
    mem_wipe(&s->result, sizeof(s->result));
    free(s);
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

/* The local end as chrony's NTS-KE client: bindacqdevice, then bindacqaddress of the
 * family unless it is the any address (port 0). -1 with errno if either fails. */
static int bind_local(int fd, const struct net_addr *addr, const struct nts_ke_session_opts *o)
{
    const struct ip_addr *b = addr->ip.family == IPF_INET6 ? &o->bind6 : &o->bind4;
    struct net_addr local;
    struct sockaddr_storage ss;
    socklen_t sl;

    if (plat_bind_device(fd, o->device) < 0)
        return -1;
    static const uint8_t any[16];

    if (b->family != addr->ip.family || !memcmp(b->a, any, b->family == IPF_INET6 ? 16 : 4))
        return 0;
    memset(&local, 0, sizeof(local));
    local.ip = *b;
    to_sockaddr(&local, &ss, &sl);
    plat_bind_options(fd, 0);
    return bind(fd, (struct sockaddr *)&ss, sl);
}

/* Start the non-blocking TCP connection; on failure the session reports the error. */
static void start_connect(struct nke_session *s, const struct net_addr *addr,
                          const struct nts_ke_session_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    to_sockaddr(addr, &ss, &sl);
    s->fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (s->fd < 0 || s->fd >= FD_SETSIZE) {
        set_error(s, "Could not connect to %s : %s", s->label,
                  strerror(s->fd < 0 ? errno : EMFILE));
        return;
    }
    nke_fd_nonblock_cloexec(s->fd);
    if (bind_local(s->fd, addr, o) < 0) {
        set_error(s, "Could not connect to %s : %s", s->label, strerror(errno));
        return;
    }
    s->state = NKE_CONNECT;
    s->want_write = 1;
    if (connect(s->fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS)
        set_error(s, "Could not connect to %s : %s", s->label, strerror(errno));
}

/* Trust a PEM file, or every certificate in a directory. */
static int cred_add_trusted(gnutls_certificate_credentials_t cred, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gnutls_certificate_set_x509_trust_dir(cred, path, GNUTLS_X509_FMT_PEM);
    return gnutls_certificate_set_x509_trust_file(cred, path, GNUTLS_X509_FMT_PEM);
}

static int load_credentials(struct nke_session *s, const struct nts_ke_session_opts *o)
{
    int r = gnutls_certificate_allocate_credentials(&s->cred);
    if (r < 0)
        s->cred = NULL;
    if (r >= 0 && !o->no_system_certs)
        r = gnutls_certificate_set_x509_system_trust(s->cred);
    for (size_t i = 0; r >= 0 && o->trusted_certs && i < o->n_trusted_certs; i++)
        r = cred_add_trusted(s->cred, o->trusted_certs[i]);
    if (r < 0) {
        set_error(s, "Could not set credentials : %s", gnutls_strerror(r));
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
static int setup_tls(struct nke_session *s, const struct nts_ke_session_opts *o)
{
    gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
    unsigned vflags = 0;
    int r;
    if (load_credentials(s, o) < 0)
        return -1;
    r = gnutls_init(&s->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
    if (r < 0) {
        s->tls = NULL;
        set_error(s, "Could not create TLS session : %s", gnutls_strerror(r));
        return -1;
    }
    if (!host_is_numeric(s->host))
        r = gnutls_server_name_set(s->tls, GNUTLS_NAME_DNS, s->host, strlen(s->host));
    if (s->no_cert_time_check)
        vflags |= GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    gnutls_session_set_verify_cert(s->tls, s->host, vflags);
    if (r >= 0)
        r = gnutls_priority_init2(&s->prio, NKE_TLS_PRIORITY, NULL,
                                  GNUTLS_PRIORITY_INIT_DEF_APPEND);
    if (r < 0)
        s->prio = NULL;
    if (r >= 0)
        r = gnutls_priority_set(s->tls, s->prio);
    if (r >= 0)
        r = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->cred);
    if (r >= 0)
        r = gnutls_alpn_set_protocols(s->tls, &alpn, 1, 0);
    if (r < 0) {
        set_error(s, "Could not set TLS session : %s", gnutls_strerror(r));
        return -1;
    }
    return 0;
}

static int tls_again(struct nke_session *s, int r, int *tries)
{
    return nke_tls_again(s->tls, r, tries, &s->want_write);
}

/* The connection is up (or failed): check it and start the handshake. */
static int step_connect(struct nke_session *s)
{
    socklen_t el = sizeof(int);
    int err = 0;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (err) {
        set_error(s, "Could not connect to %s : %s", s->label, strerror(err));
        return 0;
    }
    gnutls_transport_set_int(s->tls, s->fd);
    s->state = NKE_HANDSHAKE;
    return 1;
}

/* The handshake failed with r: chrony's message, with the reasons of a failed
 * certificate verification appended. */
static void handshake_error(struct nke_session *s, int r)
{
    gnutls_datum_t why = {NULL, 0};
    if (r != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
        gnutls_certificate_verification_status_print(gnutls_session_get_verify_cert_status(s->tls),
                                                     gnutls_certificate_type_get(s->tls), &why,
                                                     0) < 0)
        why.data = NULL;
    set_error(s, "TLS handshake with %s failed : %s%s%s", s->label, gnutls_strerror(r),
              why.data ? " " : "", why.data ? (const char *)why.data : "");
    gnutls_free(why.data);
}

static int step_handshake(struct nke_session *s)
{
    int r, w, tries = 0;
    while ((r = gnutls_handshake(s->tls)) < 0) {
        w = tls_again(s, r, &tries);
        if (w == 0)
            return 0;
        if (w < 0) {
            handshake_error(s, r);
            return 0;
        }
    }
    if (!nke_alpn_is_ntske(s->tls)) {
        set_error(s, "NTS-KE not supported by %s", s->label);
        return 0;
    }
    s->req_len = nts_ke_build_request(s->aeads, s->n_aeads, s->req, sizeof(s->req));
    if (s->req_len == 0) {
        set_error(s, "Could not prepare NTS-KE request");
        return 0;
    }
    s->state = NKE_SEND;
    return 1;
}

static int step_send(struct nke_session *s)
{
    int w, tries = 0;
    while (s->sent < s->req_len) {
        ssize_t r = gnutls_record_send(s->tls, s->req + s->sent, s->req_len - s->sent);
        if (r >= 0) {
            s->sent += (size_t)r;
            continue;
        }
        w = tls_again(s, (int)r, &tries);
        if (w == 0)
            return 0;
        if (w < 0) {
            set_error(s, "Could not send NTS-KE message to %s : %s", s->label,
                      gnutls_strerror((int)r));
            return 0;
        }
    }
    s->state = NKE_RECEIVE;
    s->want_write = 0;
    return 1;
}

/* RFC 8915 §5.1: both keys from the TLS exporter, context = protocol, AEAD, direction. */
static void export_keys(struct nke_session *s)
{
    struct nts_ke_session_result *res = &s->result;
    size_t klen = nts_aead_key_len(res->resp.aead); /* 0: not usable here */
    if (klen == 0 || klen > sizeof(res->c2s) ||
        nke_export_keys(s->tls, res->resp.aead, klen, res->c2s, res->s2c) < 0) {
        set_error(s, "Could not export NTS-KE keys from %s", s->label);
        return;
    }
    res->key_len = klen;
    res->status = 0;
    res->error[0] = '\0';
    s->state = NKE_REPORT;
}

/* The response so far is complete (or broken): judge it. */
static void finish_response(struct nke_session *s, enum nts_ke_verdict v)
{
    s->close_after = 1;
    if (v == NTS_KE_INCOMPLETE || (v == NTS_KE_BAD_RECORD && s->len >= sizeof(s->buf))) {
        /* the stream ended, or the buffer filled, without End of Message */
        set_error(s, "Received invalid NTS-KE message from %s", s->label);
        return;
    }
    /* chrony rejects a response with any problem, Warning records included. */
    if (v != NTS_KE_OK || s->result.resp.n_warnings > 0) {
        set_error(s, "Received invalid NTS-KE response from %s", s->host);
        return;
    }
    export_keys(s);
}

/* Read until the response holds an End of Message record (records GnuTLS has already
 * decrypted are read before waiting on the socket again). */
static int step_receive(struct nke_session *s)
{
    enum nts_ke_verdict v = NTS_KE_INCOMPLETE;
    int w, tries = 0;
    for (;;) {
        ssize_t r;
        if (s->len >= sizeof(s->buf)) {
            finish_response(s, NTS_KE_INCOMPLETE);
            return 0;
        }
        r = gnutls_record_recv(s->tls, s->buf + s->len, sizeof(s->buf) - s->len);
        if (r < 0) {
            w = tls_again(s, (int)r, &tries);
            if (w == 0)
                return 0;
            if (w < 0) {
                set_error(s, "Could not receive NTS-KE message from %s : %s", s->label,
                          gnutls_strerror((int)r));
                return 0;
            }
            continue;
        }
        if (r == 0) {
            finish_response(s, NTS_KE_INCOMPLETE);
            return 0;
        }
        s->len += (size_t)r;
        v = nts_ke_parse_response(s->buf, s->len, s->aeads, s->n_aeads, &s->result.resp);
        if (v != NTS_KE_INCOMPLETE) {
            finish_response(s, v);
            return 0;
        }
    }
}

/* close_notify both ways; the session is freed when it is done or fails. */
static int step_close(struct nke_session *s)
{
    if (nke_tls_bye(s->tls, &s->want_write))
        s->state = NKE_FREE;
    return 0;
}

/* Take every step the socket allows now. */
static void session_step(struct nke_session *s)
{
    int go = 1;
    tls_time_session = s;
    while (go) {
        switch (s->state) {
        case NKE_CONNECT:
            go = step_connect(s);
            break;
        case NKE_HANDSHAKE:
            go = step_handshake(s);
            break;
        case NKE_SEND:
            go = step_send(s);
            break;
        case NKE_RECEIVE:
            go = step_receive(s);
            break;
        case NKE_CLOSE:
            go = step_close(s);
            break;
        default:
            go = 0;
            break;
        }
    }
    tls_time_session = NULL;
}

static int nke_start(void *ctx, const char *host, const struct net_addr *addr,
                     const struct nts_ke_session_opts *o, nts_ke_cb cb, void *arg)
{
    struct platform *p = ctx;
    struct plat_nts_ke *k = p->nts_ke;
    struct nke_session *s;
    char ip[IP_ADDR_STRLEN];
    double timeout;

    if (!k || !host || !addr || !o || !cb ||
        (addr->ip.family != IPF_INET4 && addr->ip.family != IPF_INET6))
        return -1;
    s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->fd = -1;
    s->host = xstrdup(host);
    s->cb = cb;
    s->arg = arg;
    s->result.status = 1;
    ip_addr_format(&addr->ip, ip, sizeof(ip));
    snprintf(s->label, sizeof(s->label),
             addr->ip.family == IPF_INET6 ? "[%s]:%u (%s)" : "%s:%u (%s)", ip, (unsigned)addr->port,
             host);
    s->no_cert_time_check = o->no_cert_time_check;
    s->time_offset = o->time_offset;
    for (int i = 0; o->aeads && i < o->n_aeads && i < MAX_AEADS; i++)
        s->aeads[s->n_aeads++] = o->aeads[i];
    timeout = o->timeout > 0 && o->timeout < 86400 ? o->timeout : DEFAULT_TIMEOUT;
    nke_deadline_in(&s->deadline, timeout);
    /* An error here is reported from the loop, as any other: never from start(). */
    if (setup_tls(s, o) == 0)
        start_connect(s, addr, o);
    s->next = k->list;
    k->list = s;
    return 0;
}

double plat_nts_ke_prepare(struct platform *p, fd_set *rd, fd_set *wr, int *maxfd)
{
    struct plat_nts_ke *k = p->nts_ke;
    struct timespec now;
    double first = -1.0;

    if (!k || !k->list)
        return -1.0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (struct nke_session *s = k->list; s; s = s->next) {
        double left = s->state == NKE_REPORT ? 0.0 : nke_seconds_left(&s->deadline, &now);
        if (left < 0.0)
            left = 0.0;
        if (first < 0.0 || left < first)
            first = left;
        if (s->fd < 0 || s->state == NKE_REPORT || s->state == NKE_FREE)
            continue;
        FD_SET(s->fd, s->want_write ? wr : rd);
        if (s->fd > *maxfd)
            *maxfd = s->fd;
    }
    return first;
}

void plat_nts_ke_process(struct platform *p, const fd_set *rd, const fd_set *wr)
{
    struct plat_nts_ke *k = p->nts_ke;
    struct nke_session **link;
    struct timespec now;

    if (!k || !k->list)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* Step the ready sessions; the finished ones leave the list before any callback runs
     * (a callback may start new sessions). */
    for (struct nke_session *s = k->list; s; s = s->next) {
        if (s->fd >= 0 && rd && wr &&
            (s->state == NKE_CONNECT || s->state == NKE_HANDSHAKE || s->state == NKE_SEND ||
             s->state == NKE_RECEIVE || s->state == NKE_CLOSE) &&
            FD_ISSET(s->fd, s->want_write ? wr : rd))
            session_step(s);
        if (s->state != NKE_REPORT && s->state != NKE_FREE &&
            nke_seconds_left(&s->deadline, &now) <= 0) {
            if (s->state == NKE_CLOSE)
                s->state = NKE_FREE;
            else
                set_error(s, "NTS-KE session with %s timed out", s->label);
        }
    }
    for (link = &k->list; *link;) {
        struct nke_session *s = *link;
        if (s->state == NKE_REPORT || s->state == NKE_FREE) {
            *link = s->next;
            s->next = k->report;
            k->report = s;
        } else {
            link = &s->next;
        }
    }
    while (k->report) {
        struct nke_session *s = k->report;
        k->report = s->next;
        if (s->state == NKE_REPORT) {
            /* The result goes out first: the closing handshake must not delay it. A
             * callback may cancel sessions still waiting here (cb = NULL). */
            if (s->cb)
                s->cb(s->arg, &s->result);
            mem_wipe(&s->result, sizeof(s->result));
            s->cb = NULL;
            s->arg = NULL; /* reported: no longer the caller's session */
            s->state = s->close_after ? NKE_CLOSE : NKE_FREE;
            session_step(s);
        }
        if (s->state == NKE_FREE) {
            session_free(s);
        } else {
            s->next = k->list;
            k->list = s;
        }
    }
}

static void nke_cancel(void *ctx, void *arg)
{
    struct platform *p = ctx;
    struct plat_nts_ke *k = p->nts_ke;
    struct nke_session **link;

    if (!k)
        return;
    for (struct nke_session *s = k->report; s; s = s->next)
        if (s->arg == arg)
            s->cb = NULL;
    for (link = &k->list; *link;) {
        struct nke_session *s = *link;
        if (s->arg == arg) {
            *link = s->next;
            session_free(s);
        } else {
            link = &s->next;
        }
    }
}

void plat_nts_ke_init(struct platform *p)
{
    gnutls_global_set_time_function(tls_time);
    p->nts_ke = xcalloc(1, sizeof(*p->nts_ke));
    p->env.nts_ke = (struct env_nts_ke){p, nke_start, nke_cancel};
}

/* Sessions still running are dropped without their callbacks (the daemon is gone). */
void plat_nts_ke_fini(struct platform *p)
{
    struct plat_nts_ke *k = p->nts_ke;
    if (!k)
        return;
    p->nts_ke = NULL;
    p->env.nts_ke.start = NULL;
    p->env.nts_ke.cancel = NULL;
    while (k->list) {
        struct nke_session *s = k->list;
        k->list = s->next;
        session_free(s);
    }
    free(k);
}
