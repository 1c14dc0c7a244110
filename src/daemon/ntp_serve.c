/* The NTP server side of the node: server sockets, the allow/deny check, and
 * the responder from core/ntp_server with the transmit timestamp taken just
 * before the datagram is sent. */
#include "daemon/ntp_serve.h"

#include "core/clientlog.h"
#include "core/keys.h"
#include "daemon/config.h"
#include "daemon/reference.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rebuild_access(struct ntp_serve *s)
{
    size_t bad;
    access_free(s->access);
    s->access = access_new();
    access_add_rules(s->access, s->rules, s->n_rules, &bad);
}

struct name_lookup {
    struct ntp_serve *serve;
    size_t index;
};

static void on_rule_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct name_lookup *l = arg;
    struct ntp_serve *s = l->serve;
    struct access_rule *r = &s->rules[l->index];
    if (status == 0 && count > 0)
        r->ip = addrs[0];
    else
        LOG_WARN(s->env->log, "Could not resolve address of %s", r->hostname);
    free(l);
    if (--s->pending_names == 0)
        rebuild_access(s);
}

static void copy_rules(struct ntp_serve *s)
{
    const struct config *cfg = s->cfg;
    s->n_rules = cfg->n_ntp_rules;
    s->rules = xcalloc(cfg->n_ntp_rules, sizeof(*s->rules));
    for (size_t i = 0; i < cfg->n_ntp_rules; i++) {
        s->rules[i] = cfg->ntp_rules[i];
        s->rules[i].hostname = NULL;
    }
    for (size_t i = 0; i < cfg->n_ntp_rules; i++) {
        struct name_lookup *l;
        if (!cfg->ntp_rules[i].hostname)
            continue;
        l = xmalloc(sizeof(*l));
        l->serve = s;
        l->index = i;
        s->rules[i].hostname = cfg->ntp_rules[i].hostname;
        s->pending_names++;
        s->env->resolver.resolve(s->env->resolver.ctx, cfg->ntp_rules[i].hostname, IPF_UNSPEC,
                                 on_rule_resolved, l);
    }
}

int serve_open_socket(struct ntp_serve *s, enum ip_family fam, const struct ip_addr *bind, int port,
                      int flags)
{
    struct net_addr local;
    struct net_sock_opts so;
    int e = 0, sock;
    memset(&local, 0, sizeof(local));
    local.ip.family = fam;
    if (bind->family == fam)
        local.ip = *bind;
    local.port = (uint16_t)port;
    memset(&so, 0, sizeof(so));
    so.device = s->cfg->bind_device;
    so.dscp = s->cfg->dscp;
    so.rcvbuf = SERVE_RCVBUF;
    sock = s->env->net.udp_open(s->env->net.ctx, &local, flags, &so, &e);
    if (sock < 0) {
        char buf[IP_ADDR_STRLEN];
        const char *fmt = fam == IPF_INET6 ? "[%s]:%d" : "%s:%d";
        char where[IP_ADDR_STRLEN + 10];
        snprintf(where, sizeof(where), fmt, ip_addr_format(&local.ip, buf, sizeof(buf)), port);
        /* chrony: the reason in a debug message, the address in the error */
        LOG_DEBUG(s->env->log, "Could not bind socket to %s : %s", where,
                  e ? strerror(e) : "unknown error");
        LOG_ERR(s->env->log, "Could not open NTP socket on %s", where);
    }
    return sock;
}

static int open_server_socket(struct ntp_serve *s, enum ip_family fam, const struct ip_addr *bind)
{
    /* chrony's server sockets may send broadcasts (the `broadcast` directive). */
    return serve_open_socket(s, fam, bind, s->cfg->port,
                             NETF_SERVER | NETF_REUSE | NETF_BROADCAST | NETF_TX_TIMESTAMPS |
                                 (s->cfg->server_workers > 1 ? NETF_REUSEPORT : 0));
}

static void set_server_sockets(struct ntp_serve *s, int want);

void serve_worker_begin(struct ntp_serve *s)
{
    /* The descriptors were the parent's (closed by the platform): open our own sockets of
     * the port, which the kernel shares out with the parent's. Nothing else is served here:
     * NTP over PTP, broadcasts, MS-SNTP signing and NTS-KE stay with the main process. */
    s->socks[0] = s->socks[1] = -1;
    s->ptp_socks[0] = s->ptp_socks[1] = -1;
    s->signd = NULL;
    s->n_bcasts = 0;
    s->nts_ke_running = 0;
    s->n_pending = 0;
    set_server_sockets(s, 1);
}

/* Open (want = 1) or close the IPv4/IPv6 server sockets of `port`, honouring -4/-6. */
static void set_server_sockets(struct ntp_serve *s, int want)
{
    if (s->cfg->port == 0 || (!want && s->permanent))
        return;
    /* Replies waiting for the batch leave before their socket may close. */
    if (!want)
        serve_flush(s);
    for (int i = 0; i < 2; i++) {
        enum ip_family fam = i == 0 ? IPF_INET4 : IPF_INET6;
        if (s->family == (i == 0 ? 6 : 4))
            continue;
        if (want && s->socks[i] < 0) {
            s->socks[i] =
                open_server_socket(s, fam, i == 0 ? &s->cfg->bind_addr4 : &s->cfg->bind_addr6);
        } else if (!want && s->socks[i] >= 0) {
            s->env->net.close(s->env->net.ctx, s->socks[i]);
            s->socks[i] = -1;
        }
    }
}

int serve_start(struct ntp_serve *s, char *err, size_t errlen)
{
    copy_rules(s);
    /* As chrony: one interleaved-mode timestamp per client-log record (32 bytes each, so
     * records and timestamps together stay within clientloglimit). */
    ntp_tsmap_init(&s->tsmap,
                   s->cfg->noclientlog || !s->clientlog ? 0 : clientlog_max_records(s->clientlog));
    if (s->env->net.send_batch && s->cfg->server_batch > 1)
        s->pending = xcalloc(SERVE_BATCH_MAX, sizeof(*s->pending));
    if (!s->pending_names)
        rebuild_access(s);
    /* Like chrony, the server port stays closed while no client could be allowed, unless
     * the clients send from it too (acquisitionport = port): then it opens at start for
     * good, and chrony gives up when neither family's socket opens. */
    s->permanent = s->cfg->port > 0 && s->cfg->acquisition_port == s->cfg->port;
    set_server_sockets(s, s->permanent || s->cfg->n_ntp_rules != 0);
    if (s->permanent && s->socks[0] < 0 && s->socks[1] < 0) {
        snprintf(err, errlen, "Could not open NTP sockets");
        return -1;
    }
    serve_ptp_start(s, err, errlen);
    serve_bcast_start(s);
    serve_signd_start(s);
    return serve_nts_start(s, err, errlen);
}

void serve_stop(struct ntp_serve *s)
{
    serve_flush(s);
    if (s->pending)
        mem_wipe(s->pending, SERVE_BATCH_MAX * sizeof(*s->pending));
    free(s->pending);
    s->pending = NULL;
    serve_bcast_stop(s);
    serve_nts_stop(s);
    serve_signd_stop(s);
    serve_ptp_stop(s);
    for (int i = 0; i < 2; i++) {
        if (s->socks[i] >= 0)
            s->env->net.close(s->env->net.ctx, s->socks[i]);
        s->socks[i] = -1;
    }
    access_free(s->access);
    s->access = NULL;
    ntp_tsmap_fini(&s->tsmap);
    free(s->rules);
    s->rules = NULL;
}

/* Client log (cmdmon_server.c owns it): log the access and apply `ratelimit` as
 * chrony does, before the authentication check: a limited request gets no
 * response (CLOG_DROP), except the occasional one let through by the leak, or with
 * `kod` a KoD RATE (CLOG_KOD). */
static enum clientlog_limit_verdict serve_log_and_limit(struct ntp_serve *s,
                                                        const struct net_rx *rx)
{
    int idx;
    if (!s->clientlog)
        return CLOG_PASS;
    idx = clientlog_log_access(s->clientlog, CLOG_NTP, &rx->remote.ip, &rx->rx_ts);
    return clientlog_limit_rate(s->clientlog, CLOG_NTP, idx);
}

static void serve_count(struct ntp_serve *s, const struct net_rx *rx, int auth, int interleaved,
                        int tx_src)
{
    if (!s->clientlog)
        return;
    clientlog_count_ntp(s->clientlog, auth, interleaved,
                        rx->rx_ts_src == RXTS_HW       ? CLOG_TS_HW
                        : rx->rx_ts_src == RXTS_KERNEL ? CLOG_TS_KERNEL
                                                       : CLOG_TS_DAEMON,
                        interleaved ? tx_src : CLOG_TS_DAEMON);
}

/* chrony's interleaved mode: a request naming one of our replies by its receive timestamp
 * (only from a client in the client log) is answered with that reply's real transmit
 * time. Returns 1 and the time if it is known. */
static int serve_prev_tx(struct ntp_serve *s, const struct ntp_server_auth *a, struct timespec *tx,
                         int *tx_src)
{
    if (!a->xleave || !s->clientlog)
        return 0;
    return ntp_tsmap_take(&s->tsmap, &a->origin, tx, tx_src);
}

void serve_get_stats(const struct ntp_serve *s, struct serve_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (s->clientlog)
        clientlog_get_stats(s->clientlog, &out->cl);
    out->unauth_dropped = s->unauth_dropped;
    out->cl.ntp_timestamps = ntp_tsmap_count(&s->tsmap);
    out->cl.ntp_span_seconds = (uint64_t)ntp_tsmap_span(&s->tsmap);
}

/* Run-time allow/deny (cmdmon_handlers.c): chrony opens the server sockets
 * when an address becomes allowed and closes them when none is. */
void serve_access_note(struct ntp_serve *s, const struct ip_addr *ip, int bits, int allow, int all)
{
    struct serve_access_change *c;

    s->access_seq++;
    c = &s->access_log[s->access_seq % SERVE_ACCESS_LOG];
    c->seq = s->access_seq;
    c->ip = *ip;
    c->bits = bits;
    c->allow = allow;
    c->all = all;
}

void serve_access_changed(struct ntp_serve *s)
{
    set_server_sockets(s, (s->access && access_any_allowed(s->access)) || s->n_peers > 0);
}

int serve_peer_socket(struct ntp_serve *s, enum ip_family fam)
{
    /* chrony NIO_OpenServerSocket: peers keep the server port open, `allow` or not. */
    s->n_peers++;
    set_server_sockets(s, 1);
    return s->socks[fam == IPF_INET6 ? 1 : 0];
}

int serve_is_open(const struct ntp_serve *s)
{
    /* chrony counts the ptpport sockets as server sockets too. */
    return s->socks[0] >= 0 || s->socks[1] >= 0 || s->ptp_socks[0] >= 0 || s->ptp_socks[1] >= 0;
}

void serve_peer_release(struct ntp_serve *s)
{
    if (s->n_peers > 0)
        s->n_peers--;
    serve_access_changed(s);
}

/* chrony's smoothtime: the served receive, reference and transmit times carry the
 * smoothing offset at the time of the wake-up (now, raw), and the reference ID says so;
 * with leapsecmode slew a pending leap second is not announced (leap smear). Only replies
 * to clients: a passive reply to a symmetric active peer (mode 1) is not smoothed.
 * Returns the offset to add to the transmit time (0 = none). */
static double serve_smooth(struct ntp_serve *s, const struct net_rx *rx, const struct timespec *now,
                           struct ntp_server_ref *ref, struct timespec *rx_cooked)
{
    double off;

    if (rx->len < 1 || (rx->data[0] & 7) == NTP_MODE_ACTIVE)
        return 0.0;
    if (reference_smooth_hides_leap(s->ref) && (ref->leap == 1 || ref->leap == 2))
        ref->leap = 0;
    off = reference_smooth_offset(s->ref, now);
    if (off == 0.0)
        return 0.0;
    ref->ref_id = NTP_REFID_SMOOTH;
    if (!ts_is_zero(&ref->ref_time))
        ts_add(&ref->ref_time, &ref->ref_time, off);
    ts_add(rx_cooked, rx_cooked, off);
    return off;
}

int serve_on_tx_timestamp(struct ntp_serve *s, const struct net_rx *rx, const struct timespec *now)
{
    struct ntp_ts64 our_rx;
    struct timespec tx;
    int mode;

    if (rx->sock != s->socks[0] && rx->sock != s->socks[1] && !serve_is_ptp_socket(s, rx->sock))
        return 0;
    mode = rx->len >= NTP_HEADER_LEN ? rx->data[0] & 7 : 0;
    /* chrony NCR_ProcessTxUnknown: replies (not broadcasts), found by their receive
     * timestamp; a reply to a client carries the smoothing offset as when it was sent. */
    if (mode != NTP_MODE_SERVER && mode != NTP_MODE_PASSIVE)
        return 1;
    reference_cooked_time(s->ref, &rx->rx_ts, &tx, NULL);
    if (mode == NTP_MODE_SERVER)
        ts_add(&tx, &tx, reference_smooth_offset(s->ref, now));
    ntp_ts64_from_bytes(&our_rx, rx->data + 32);
    ntp_tsmap_update(&s->tsmap, &our_rx, &tx,
                     rx->rx_ts_src == RXTS_HW ? CLOG_TS_HW : CLOG_TS_KERNEL);
    return 1;
}

/* The last steps of a reply whose transmit time is tx (cooked, smoothing included): the
 * transmit timestamp (or, interleaved, the previous reply's prev_tx), then the MAC and the
 * NTS authenticator, which cover it (RFC 8915 §5.7); rnd: the NTS nonces. Returns the length
 * to send, 0 to drop. */
static size_t serve_finish(struct ntp_serve *s, uint8_t *reply, size_t len,
                           struct ntp_server_auth *auth, const struct timespec *tx, int interleaved,
                           const struct timespec *prev_tx, const uint8_t *rnd)
{
    if (interleaved)
        ntp_server_set_interleaved(reply, len, &auth->req_rx, prev_tx);
    else
        ntp_server_set_tx(reply, len, tx);
    len = ntp_server_sign_reply(s->keys, auth, reply, len, NTP_MAX_PACKET_LEN);
    if (len)
        len = ntp_server_finish_nts(&s->nts_keys, auth, reply, len, NTP_MAX_PACKET_LEN, rnd);
    if (auth->nts)
        mem_wipe(&auth->nts_req.keys, sizeof(auth->nts_req.keys));
    return len;
}

/* A reply was sent (failed 0) or not: count the failure, or keep when it left for the
 * client's next (interleaved) request. */
static void serve_sent(struct ntp_serve *s, const uint8_t *reply,
                       const struct ntp_server_auth *auth, const struct timespec *tx, int failed)
{
    if (failed) {
        s->send_errors++;
    } else if (auth->xleave && s->clientlog) {
        struct ntp_ts64 our_rx;
        ntp_ts64_from_bytes(&our_rx, reply + 32);
        ntp_tsmap_save(&s->tsmap, &our_rx, tx, CLOG_TS_DAEMON);
    }
}

int serve_on_datagram(struct ntp_serve *s, const struct net_rx *rx, const struct timespec *now)
{
    uint8_t own_reply[NTP_MAX_PACKET_LEN], rnd[NTS_SERVER_REPLY_RANDOM], *reply = own_reply;
    struct ntp_server_ref ref;
    struct ntp_server_auth own_auth, *auth = &own_auth;
    struct ntp_server_authn authn;
    struct serve_pending *slot = NULL;
    enum ntp_drop_reason why;
    enum clientlog_limit_verdict limit = CLOG_PASS;
    struct timespec tx, tx_raw, rx_cooked, prev_tx;
    int interleaved, prev_src = CLOG_TS_DAEMON;
    double smooth;
    size_t len;

    if (rx->sock != s->socks[0] && rx->sock != s->socks[1] && !serve_is_ptp_socket(s, rx->sock))
        return 0;
    if (!s->access || !access_check(s->access, &rx->remote.ip)) {
        s->denied++;
        return 1;
    }
    /* With batches the reply is built in its place in the queue (MS-SNTP and NTP-over-PTP
     * replies leave from there one at a time too). */
    if (s->pending) {
        if (s->n_pending >= s->cfg->server_batch)
            serve_flush(s);
        slot = &s->pending[s->n_pending];
        reply = slot->reply;
        auth = &slot->auth;
    }
    reference_get_served(s->ref, &rx->rx_ts, &ref);
    if (s->clientlog)
        ref.min_poll_log2 = clientlog_ntp_min_poll(s->clientlog); /* `ratelimit interval` */
    /* `extfield F324`: answered only with `ptpport` (chrony), with this request's correction. */
    ref.net_corr_on = s->cfg->ptp_port > 0;
    ref.rx_net_correction = rx->net_correction;
    ref.rx_duration = rx->rx_duration;
    /* Served timestamps are cooked: raw time corrected by the clock model. */
    reference_cooked_time(s->ref, &rx->rx_ts, &rx_cooked, NULL);
    smooth = serve_smooth(s, rx, now, &ref, &rx_cooked);
    authn.keys = s->keys;
    authn.nts = s->nts_enabled ? &s->nts_keys : NULL;
    authn.mssntp = s->signd != NULL;
    len = ntp_server_respond_authn(&ref, &authn, rx->data, rx->len, rx->remote.port, &rx_cooked,
                                   reply, NTP_MAX_PACKET_LEN, auth, &why, &s->counters);
    if (ntp_server_reason_is_hit(why))
        limit = serve_log_and_limit(s, rx);
    if (!len || limit == CLOG_DROP)
        return 1;
    /* `authonly` (ours): only a reply that authenticates itself leaves: NTS (its NAK too,
     * which the client needs to start over), a symmetric key, or an MS-SNTP reply that
     * ntp_signd signs. */
    if (s->cfg->authonly && !auth->nts && !auth->nts_nak && !auth->symmetric && !auth->mssntp) {
        s->unauth_dropped++;
        return 1;
    }
    if (limit == CLOG_KOD) {
        /* chrony: no KoD RATE in place of an NTS NAK; a KoD is never interleaved (and
         * keeps no timestamp for a next one), its authentication is still answered. */
        if (auth->nts_nak)
            return 1;
        ntp_server_set_kod(reply, len, NTP_SERVER_KOD_RATE);
        auth->xleave = 0;
    }
    interleaved = serve_prev_tx(s, auth, &prev_tx, &prev_src);
    serve_count(s, rx, limit != CLOG_KOD && (auth->symmetric || auth->nts), interleaved, prev_src);
    /* A batch: the reply leaves with the others of this wake-up (serve_flush), its
     * transmit timestamp read just before they all go. */
    if (slot && !auth->mssntp && !serve_is_ptp_socket(s, rx->sock)) {
        slot->sock = rx->sock;
        slot->remote = rx->remote;
        slot->local = rx->local;
        slot->len = len;
        slot->smooth = smooth;
        slot->interleaved = interleaved;
        slot->prev_tx = prev_tx;
        s->n_pending++;
        return 1;
    }
    /* Nonces of the NTS authenticator and new cookies, drawn before the transmit time. */
    if (auth->nts)
        s->env->random.bytes(s->env->random.ctx, rnd, sizeof(rnd));
    /* The transmit timestamp is read as late as possible: just before sending (and before
     * the MAC, which covers it). */
    s->env->clock.read(s->env->clock.ctx, &tx_raw);
    reference_cooked_time(s->ref, &tx_raw, &tx, NULL);
    ts_add(&tx, &tx, smooth);
    len = serve_finish(s, reply, len, auth, &tx, interleaved, &prev_tx, rnd);
    if (!len)
        return 1;
    /* chrony: an MS-SNTP reply, its timestamps final, is sent only once ntp_signd signed it. */
    if (auth->mssntp) {
        serve_signd_submit(s, auth->key_id, reply, len, rx);
        return 1;
    }
    /* chrony asks for the kernel's transmit timestamp only of replies it keeps one for. */
    serve_sent(s, reply, auth, &tx,
               serve_send(s, rx->sock, &rx->remote, &rx->local, reply, len,
                          auth->xleave && s->clientlog) < 0);
    return 1;
}

void serve_flush(struct ntp_serve *s)
{
    struct net_tx tx[SERVE_BATCH_MAX];
    struct timespec tx_raw, tx_cooked, when[SERVE_BATCH_MAX];
    uint8_t rnd[SERVE_BATCH_MAX][NTS_SERVER_REPLY_RANDOM];
    int n = 0, n_nts = 0, k = 0;

    if (!s->n_pending)
        return;
    /* All the nonces in one draw, before the transmit time. */
    for (int i = 0; i < s->n_pending; i++)
        n_nts += s->pending[i].auth.nts;
    if (n_nts)
        s->env->random.bytes(s->env->random.ctx, rnd, (size_t)n_nts * sizeof(rnd[0]));
    s->env->clock.read(s->env->clock.ctx, &tx_raw);
    reference_cooked_time(s->ref, &tx_raw, &tx_cooked, NULL);
    for (int i = 0; i < s->n_pending; i++) {
        struct serve_pending *p = &s->pending[i];
        ts_add(&when[i], &tx_cooked, p->smooth);
        p->len = serve_finish(s, p->reply, p->len, &p->auth, &when[i], p->interleaved, &p->prev_tx,
                              p->auth.nts ? rnd[k++] : rnd[0]);
        if (!p->len)
            continue;
        tx[n].sock = p->sock;
        tx[n].remote = &p->remote;
        tx[n].local = &p->local;
        tx[n].buf = p->reply;
        tx[n].len = p->len;
        tx[n].want_ts = p->auth.xleave && s->clientlog;
        tx[n].failed = 0;
        n++;
    }
    if (n_nts)
        mem_wipe(rnd, (size_t)n_nts * sizeof(rnd[0]));
    if (n)
        s->env->net.send_batch(s->env->net.ctx, tx, n);
    for (int i = 0, j = 0; i < s->n_pending; i++) {
        struct serve_pending *p = &s->pending[i];
        if (!p->len)
            continue;
        serve_sent(s, p->reply, &p->auth, &when[i], tx[j++].failed);
    }
    s->n_pending = 0;
}
