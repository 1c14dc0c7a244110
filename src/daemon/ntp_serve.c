/* The NTP server side of the node: server sockets, the allow/deny check, and
 * the responder from core/ntp_server with the transmit timestamp taken just
 * before the datagram is sent. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "lib/mem.h"
#include "proto/ntp.h"

#include <stdlib.h>
#include <string.h>

static void rebuild_access(struct node *n)
{
    size_t bad;
    access_free(n->serve.access);
    n->serve.access = access_new();
    access_add_rules(n->serve.access, n->serve.rules, n->serve.n_rules, &bad);
}

struct name_lookup {
    struct node *node;
    size_t index;
};

static void on_rule_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct name_lookup *l = arg;
    struct node *n = l->node;
    struct access_rule *r = &n->serve.rules[l->index];
    if (status == 0 && count > 0)
        r->ip = addrs[0];
    else
        LOG_WARN(n->env->log, "Could not resolve address of %s", r->hostname);
    free(l);
    if (--n->serve.pending_names == 0)
        rebuild_access(n);
}

static void copy_rules(struct node *n)
{
    const struct config *cfg = n->cfg;
    n->serve.n_rules = cfg->n_ntp_rules;
    n->serve.rules = xcalloc(cfg->n_ntp_rules, sizeof(*n->serve.rules));
    for (size_t i = 0; i < cfg->n_ntp_rules; i++) {
        n->serve.rules[i] = cfg->ntp_rules[i];
        n->serve.rules[i].hostname = NULL;
    }
    for (size_t i = 0; i < cfg->n_ntp_rules; i++) {
        struct name_lookup *l;
        if (!cfg->ntp_rules[i].hostname)
            continue;
        l = xmalloc(sizeof(*l));
        l->node = n;
        l->index = i;
        n->serve.rules[i].hostname = cfg->ntp_rules[i].hostname;
        n->serve.pending_names++;
        n->env->resolver.resolve(n->env->resolver.ctx, cfg->ntp_rules[i].hostname, IPF_UNSPEC,
                                 on_rule_resolved, l);
    }
}

static int open_server_socket(struct node *n, enum ip_family fam, const struct ip_addr *bind)
{
    struct net_addr local;
    int e = 0, s;
    memset(&local, 0, sizeof(local));
    local.ip.family = fam;
    if (bind->family == fam)
        local.ip = *bind;
    local.port = (uint16_t)n->cfg->port;
    s = n->env->net.udp_open(n->env->net.ctx, &local, NETF_SERVER | NETF_REUSE, &e);
    if (s < 0) {
        char buf[IP_ADDR_STRLEN];
        LOG_ERR(n->env->log, "Could not bind NTP socket to %s:%d : %s",
                ip_addr_format(&local.ip, buf, sizeof(buf)), n->cfg->port,
                e ? strerror(e) : "unknown error");
    }
    return s;
}

/* Open (want = 1) or close the IPv4/IPv6 server sockets of `port`, honouring -4/-6. */
static void set_server_sockets(struct node *n, int want)
{
    if (n->cfg->port == 0)
        return;
    for (int i = 0; i < 2; i++) {
        enum ip_family fam = i == 0 ? IPF_INET4 : IPF_INET6;
        if (n->opts.family == (i == 0 ? 6 : 4))
            continue;
        if (want && n->serve.socks[i] < 0) {
            n->serve.socks[i] =
                open_server_socket(n, fam, i == 0 ? &n->cfg->bind_addr4 : &n->cfg->bind_addr6);
        } else if (!want && n->serve.socks[i] >= 0) {
            n->env->net.close(n->env->net.ctx, n->serve.socks[i]);
            n->serve.socks[i] = -1;
        }
    }
}

int serve_start(struct node *n, char *err, size_t errlen)
{
    copy_rules(n);
    /* chrony sizes its timestamp table from clientloglimit; 16384 replies here. */
    ntp_tsmap_init(&n->serve.tsmap, n->cfg->noclientlog ? 0 : 16384);
    if (!n->serve.pending_names)
        rebuild_access(n);
    /* Like chrony, the server port stays closed while no client could be allowed. */
    set_server_sockets(n, n->cfg->n_ntp_rules != 0);
    return serve_nts_start(n, err, errlen);
}

void serve_stop(struct node *n)
{
    serve_nts_stop(n);
    for (int i = 0; i < 2; i++) {
        if (n->serve.socks[i] >= 0)
            n->env->net.close(n->env->net.ctx, n->serve.socks[i]);
        n->serve.socks[i] = -1;
    }
    access_free(n->serve.access);
    n->serve.access = NULL;
    ntp_tsmap_fini(&n->serve.tsmap);
    free(n->serve.rules);
    n->serve.rules = NULL;
}

/* Client log (cmdmon_server.c owns it): log the access and apply `ratelimit` as
 * chrony does, before the authentication check: a limited request gets no
 * response, except the occasional one let through by the leak. Returns 1 if the
 * reply is dropped. */
static int serve_log_and_limit(struct node *n, const struct net_rx *rx)
{
    int idx;
    if (!n->clientlog)
        return 0;
    idx = clientlog_log_access(n->clientlog, CLOG_NTP, &rx->remote.ip, &rx->rx_ts);
    return clientlog_limit_rate(n->clientlog, CLOG_NTP, idx);
}

static void serve_count(struct node *n, const struct net_rx *rx, int auth, int interleaved,
                        int tx_src)
{
    if (!n->clientlog)
        return;
    clientlog_count_ntp(n->clientlog, auth, interleaved,
                        rx->rx_ts_src == RXTS_HW       ? CLOG_TS_HW
                        : rx->rx_ts_src == RXTS_KERNEL ? CLOG_TS_KERNEL
                                                       : CLOG_TS_DAEMON,
                        interleaved ? tx_src : CLOG_TS_DAEMON);
}

/* chrony's interleaved mode: a request naming one of our replies by its receive timestamp
 * (only from a client in the client log) is answered with that reply's real transmit
 * time. Returns 1 and the time if it is known. */
static int serve_prev_tx(struct node *n, const struct ntp_server_auth *a, struct timespec *tx,
                         int *tx_src)
{
    if (!a->xleave || !n->clientlog)
        return 0;
    return ntp_tsmap_take(&n->serve.tsmap, &a->origin, tx, tx_src);
}

/* Run-time allow/deny (cmdmon_handlers.c): chrony opens the server sockets
 * when an address becomes allowed and closes them when none is. */
void serve_access_changed(struct node *n)
{
    set_server_sockets(n, (n->serve.access && access_any_allowed(n->serve.access)) ||
                              n->serve.n_peers > 0);
}

int serve_peer_socket(struct node *n, enum ip_family fam)
{
    /* chrony NIO_OpenServerSocket: peers keep the server port open, `allow` or not. */
    n->serve.n_peers++;
    set_server_sockets(n, 1);
    return n->serve.socks[fam == IPF_INET6 ? 1 : 0];
}

void serve_peer_release(struct node *n)
{
    if (n->serve.n_peers > 0)
        n->serve.n_peers--;
    serve_access_changed(n);
}

int serve_on_datagram(struct node *n, const struct net_rx *rx, const struct timespec *now)
{
    uint8_t reply[NTP_MAX_PACKET_LEN], rnd[NTS_SERVER_REPLY_RANDOM];
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    enum ntp_drop_reason why;
    struct timespec tx, tx_raw, rx_cooked, prev_tx;
    int interleaved, prev_src = CLOG_TS_DAEMON;
    size_t len;

    if (rx->sock != n->serve.socks[0] && rx->sock != n->serve.socks[1])
        return 0;
    if (!n->serve.access || !access_check(n->serve.access, &rx->remote.ip)) {
        n->serve.denied++;
        return 1;
    }
    reference_get_served(&n->ref, &rx->rx_ts, &ref);
    if (n->clientlog)
        ref.min_poll_log2 = clientlog_ntp_min_poll(n->clientlog); /* `ratelimit interval` */
    /* Served timestamps are cooked: raw time corrected by the clock model. */
    reference_cooked_time(&n->ref, &rx->rx_ts, &rx_cooked, NULL);
    len = ntp_server_respond_nts(&ref, &n->keys, n->serve.nts_enabled ? &n->serve.nts_keys : NULL,
                                 rx->data, rx->len, rx->remote.port, &rx_cooked, reply,
                                 sizeof(reply), &auth, &why, &n->serve.counters);
    if (ntp_server_reason_is_hit(why) && serve_log_and_limit(n, rx))
        return 1;
    if (!len)
        return 1;
    interleaved = serve_prev_tx(n, &auth, &prev_tx, &prev_src);
    serve_count(n, rx, auth.symmetric || auth.nts, interleaved, prev_src);
    /* Nonces of the NTS authenticator and new cookies, drawn before the transmit time. */
    if (auth.nts)
        n->env->random.bytes(n->env->random.ctx, rnd, sizeof(rnd));
    /* The transmit timestamp is read as late as possible: just before sending (and before
     * the MAC, which covers it). */
    n->env->clock.read(n->env->clock.ctx, &tx_raw);
    reference_cooked_time(&n->ref, &tx_raw, &tx, NULL);
    if (interleaved)
        ntp_server_set_interleaved(reply, len, &auth.req_rx, &prev_tx);
    else
        ntp_server_set_tx(reply, len, &tx);
    len = ntp_server_sign_reply(&n->keys, &auth, reply, len, sizeof(reply));
    /* RFC 8915 §5.7: the authenticator covers the transmit timestamp. */
    if (len)
        len = ntp_server_finish_nts(&n->serve.nts_keys, &auth, reply, len, sizeof(reply), rnd);
    if (auth.nts)
        mem_wipe(&auth.nts_req.keys, sizeof(auth.nts_req.keys));
    if (!len)
        return 1;
    if (n->env->net.send(n->env->net.ctx, rx->sock, &rx->remote, &rx->local, reply, len) < 0) {
        n->serve.send_errors++;
    } else if (auth.xleave && n->clientlog) {
        /* Keep when this reply left, for the client's next (interleaved) request. */
        struct ntp_ts64 our_rx;
        ntp_ts64_from_bytes(&our_rx, reply + 32);
        ntp_tsmap_save(&n->serve.tsmap, &our_rx, &tx, CLOG_TS_DAEMON);
    }
    (void)now;
    return 1;
}
