/* Sources: creation from the server/pool directives, name resolution,
 * client sockets, polling timers and the fan-out of clock changes. The
 * packet path and selection are in sources_rx.c. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/sources_dump.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/cmdmon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Retry interval of a name that could not be resolved yet (s); it doubles,
 * as chrony's 7 s unit times 2^2 .. 2^9. */
#define RESOLVE_RETRY_MIN 28.0
#define RESOLVE_RETRY_MAX 3584.0

static void client_opts_from_cfg(const struct source_cfg *sc, struct ntp_client_opts *o)
{
    ntp_client_opts_default(o);
    o->minpoll = sc->minpoll;
    o->maxpoll = sc->maxpoll;
    o->polltarget = sc->poll_target;
    o->presend_minpoll = sc->presend_minpoll;
    o->iburst = sc->iburst;
    o->burst = sc->burst;
    o->offline = sc->offline;
    o->auto_offline = sc->auto_offline;
    o->min_stratum = sc->min_stratum;
    o->version = sc->version;
    o->port = (uint16_t)sc->port;
    o->filter_length = sc->filter_length;
    o->min_samples = sc->min_samples;
    o->max_samples = sc->max_samples;
    o->max_unreach = sc->max_unreach;
    o->sel_options = sc->sel_options;
    o->interleaved = sc->interleaved;
    o->max_delay = sc->max_delay;
    o->max_delay_ratio = sc->max_delay_ratio;
    o->max_delay_dev_ratio = sc->max_delay_dev_ratio;
    o->max_delay_quant = sc->max_delay_quant;
    o->min_delay = sc->min_delay;
    o->asymmetry = sc->asymmetry;
    o->offset = sc->offset;
    o->symmetric = sc->type == CFG_SRC_PEER;
}

static double local_precision(const struct node *n)
{
    return n->opts.precision > 0.0 ? n->opts.precision : 1e-9;
}

static void select_cfg_from_cfg(const struct config *cfg, struct select_config *s)
{
    select_config_default(s);
    s->min_sources = cfg->minsources;
    s->max_distance = cfg->maxdistance;
    s->max_jitter = cfg->maxjitter;
    s->reselect_distance = cfg->reselectdist;
    s->stratum_weight = cfg->stratumweight;
    s->combine_limit = cfg->combinelimit;
    s->max_clock_error = cfg->maxclockerror * 1e-6;
    s->auth_mode = (enum select_auth_mode)cfg->authselectmode;
}

void sources_init(struct node *n)
{
    struct sources *ss = &n->srcs;
    const struct config *cfg = n->cfg;

    memset(ss, 0, sizeof(*ss));
    ss->sel = select_new();
    ss->selected = -1;
    ss->pending_replace = -1;
    select_cfg_from_cfg(cfg, &ss->sel_cfg);
    /* Slots never move (lookups and timers hold pointers to them): room for
     * sources added at run time is reserved now. */
    ss->cap_entries = cfg->n_sources + SOURCES_MAX_RUNTIME;
    ss->entries = xcalloc(ss->cap_entries, sizeof(*ss->entries));
    for (size_t i = 0; i < cfg->n_sources; i++) {
        ss->entries[ss->n_entries].cfg = &cfg->sources[i];
        ss->entries[ss->n_entries].node = n;
        ss->n_entries++;
    }
    sources_install_cmdmon_ops(n);
}

static void source_free(struct node *n, struct source *s)
{
    sched_cancel(&n->sched, s->tx_timer);
    if (s->client.opts.symmetric)
        serve_peer_release(n);
    else if (s->sock >= 0)
        n->env->net.close(n->env->net.ctx, s->sock);
    sources_nts_detach(s);
    ntp_client_fini(&s->client);
    sourcestats_free(s->stats);
    free(s->name);
    free(s);
}

void sources_fini(struct node *n)
{
    struct sources *ss = &n->srcs;

    for (int i = 0; i < ss->n; i++)
        source_free(n, ss->v[i]);
    for (size_t i = 0; i < ss->n_entries; i++)
        sched_cancel(&n->sched, ss->entries[i].retry_timer);
    sources_cmd_fini(n);
    free(ss->v);
    free(ss->inputs);
    free(ss->entries);
    select_free(ss->sel);
    memset(ss, 0, sizeof(*ss));
    ss->selected = -1;
}

static void on_tx_timer(void *arg, const struct timespec *now);

void sources_arm(struct source *s)
{
    struct node *n = s->node;
    struct timespec when;

    sched_cancel(&n->sched, s->tx_timer);
    s->tx_timer = 0;
    if (ntp_client_next_tx(&s->client, &when))
        s->tx_timer = sched_add(&n->sched, &when, on_tx_timer, s);
}

uint32_t sources_refid_of(const struct ip_addr *ip)
{
    struct cmdmon_addr a;

    cmdmon_addr_from_ip(&a, ip);
    return cmdmon_addr_refid(&a);
}

int sources_open_socket(struct node *n, enum ip_family fam)
{
    struct net_addr local;
    int e = 0;

    memset(&local, 0, sizeof(local));
    local.ip.family = fam;
    if (fam == IPF_INET4 && n->cfg->bind_acq_addr4.family == IPF_INET4)
        local.ip = n->cfg->bind_acq_addr4;
    else if (fam == IPF_INET6 && n->cfg->bind_acq_addr6.family == IPF_INET6)
        local.ip = n->cfg->bind_acq_addr6;
    /* acquisitionport: a fixed local port shared by the sources. */
    local.port = n->cfg->acquisition_port > 0 ? (uint16_t)n->cfg->acquisition_port : 0;
    return n->env->net.udp_open(n->env->net.ctx, &local,
                                n->cfg->acquisition_port > 0 ? NETF_REUSE : 0, &e);
}

static void grow_sources(struct sources *ss)
{
    if (ss->n < ss->cap)
        return;
    ss->cap = ss->cap ? ss->cap * 2 : 8;
    ss->v = xrealloc(ss->v, sizeof(*ss->v) * (size_t)ss->cap);
    ss->inputs = xrealloc(ss->inputs, sizeof(*ss->inputs) * (size_t)ss->cap);
}

static void stats_params(const struct node *n, const struct source_cfg *sc,
                         struct sourcestats_params *p)
{
    sourcestats_params_default(p);
    p->min_samples = sc->min_samples >= 0 ? sc->min_samples : n->cfg->minsamples;
    p->max_samples = sc->max_samples >= 0 ? sc->max_samples : n->cfg->maxsamples;
    p->min_delay = sc->min_delay;
    p->asymmetry = sc->asymmetry;
    p->precision = local_precision(n);
}

/* The `key` option (chrony NAU_CreateSymmetricInstance warns at creation). */
static void source_set_auth(struct node *n, struct source *s, uint32_t key_id)
{
    const struct key *k;

    if (!key_id)
        return;
    k = keys_find(&n->keys, key_id);
    if (!k)
        LOG_WARN(n->env->log, "Key %u is %s", (unsigned)key_id, "missing");
    else if (k->len < KEYS_MIN_SECURE_LEN)
        LOG_WARN(n->env->log, "Key %u is %s", (unsigned)key_id, "too short");
    ntp_client_set_auth(&s->client, &n->keys, key_id);
}

/* A source for address ip of directive entry; started at raw time now. */
static struct source *source_create(struct node *n, int entry, const struct ip_addr *ip,
                                    const struct timespec *now)
{
    struct sources *ss = &n->srcs;
    const struct source_cfg *sc = ss->entries[entry].cfg;
    struct ntp_client_opts o;
    struct ntp_client_params p;
    struct sourcestats_params sp;
    struct source *s = xcalloc(1, sizeof(*s));

    s->node = n;
    s->cfg_index = entry;
    s->name = xstrdup(sc->name);
    s->remote.ip = *ip;
    s->remote.port = (uint16_t)sc->port;
    s->ref_id = sources_refid_of(ip);
    s->sel_options = (unsigned)sc->sel_options;
    s->stratum = 0;
    s->leap = 3;
    client_opts_from_cfg(sc, &o);
    /* chrony sends a peer's packets from the server socket (its `port`), where the
     * peer's own packets arrive too. */
    s->sock = o.symmetric ? serve_peer_socket(n, ip->family) : sources_open_socket(n, ip->family);
    if (n->opts.quit_mode)
        o.iburst = 1; /* -q/-Q measure at once, as chrony */
    p.local_precision = local_precision(n);
    p.max_clock_error = n->cfg->maxclockerror * 1e-6;
    ntp_client_init(&s->client, &o, &p);
    source_set_auth(n, s, sc->authkey);
    s->serial = ++ss->next_serial;
    s->ke_ip = *ip;
    sources_nts_attach(n, s, sc);
    stats_params(n, sc, &sp);
    s->stats = sourcestats_new(&sp);
    grow_sources(ss);
    ss->v[ss->n++] = s;
    select_add_source(ss->sel);
    ss->entries[entry].n_active++;
    ntp_client_start(&s->client, now);
    sources_arm(s);
    return s;
}

int sources_address_in_use(const struct sources *ss, const struct ip_addr *ip)
{
    for (int i = 0; i < ss->n; i++)
        if (ip_addr_equal(&ss->v[i]->remote.ip, ip))
            return 1;
    return 0;
}

int sources_family_allowed(const struct node *n, const struct source_cfg *sc, enum ip_family f)
{
    if (sc->family != IPF_UNSPEC && sc->family != f)
        return 0;
    if (n->opts.family == 4 && f != IPF_INET4)
        return 0;
    if (n->opts.family == 6 && f != IPF_INET6)
        return 0;
    return 1;
}

static void start_lookup(struct node *n, size_t entry);

static void on_retry_timer(void *arg, const struct timespec *now)
{
    struct source_entry *e = arg;
    (void)now;
    e->retry_timer = 0;
    start_lookup(e->node, (size_t)(e - e->node->srcs.entries));
}

static void on_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source_entry *e = arg;
    struct node *n = e->node;
    size_t entry = (size_t)(e - n->srcs.entries);
    int want = e->cfg->type == CFG_SRC_POOL ? e->cfg->max_sources : 1;
    struct timespec now;

    e->resolving = 0;
    if (!e->cfg)
        return; /* the directive was removed while its name was looked up */
    n->env->clock.read(n->env->clock.ctx, &now);
    for (int i = 0; status == 0 && i < count && e->n_active < want; i++) {
        if (!sources_family_allowed(n, e->cfg, addrs[i].family) ||
            sources_address_in_use(&n->srcs, &addrs[i]))
            continue;
        source_create(n, (int)entry, &addrs[i], &now);
    }
    if (e->n_active > 0) {
        n->srcs.unresolved--;
        return;
    }
    if (status == 2) {
        e->failed = 1;
        n->srcs.unresolved--;
        LOG_WARN(n->env->log, "Invalid host %s", e->cfg->name);
        return;
    }
    /* Temporary failure: try again in an exponentially increasing interval. */
    e->retry_interval = e->retry_interval < RESOLVE_RETRY_MIN   ? RESOLVE_RETRY_MIN
                        : e->retry_interval < RESOLVE_RETRY_MAX ? 2.0 * e->retry_interval
                                                                : RESOLVE_RETRY_MAX;
    e->retry_timer = sched_add_after(&n->sched, &now, e->retry_interval, on_retry_timer, e);
}

/* chrony reloads (-r) and removes the dump files once the first lookup of
 * every name has ended, resolved or not (main.c ntp_source_resolving_end). */
static void check_first_round(struct node *n)
{
    struct sources *ss = &n->srcs;
    struct timespec now;

    if (!ss->dump_reload_pending)
        return;
    for (size_t i = 0; i < ss->n_entries; i++) {
        const struct source_entry *e = &ss->entries[i];
        if (e->cfg && e->n_active == 0 && !e->failed && e->retry_interval == 0.0)
            return;
    }
    ss->dump_reload_pending = 0;
    n->env->clock.read(n->env->clock.ctx, &now);
    sources_dump_reload(n, &now);
}

static void on_lookup_done(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source_entry *e = arg;

    on_resolved(arg, status, addrs, count);
    check_first_round(e->node);
}

static void start_lookup(struct node *n, size_t entry)
{
    struct source_entry *e = &n->srcs.entries[entry];
    enum ip_family fam = e->cfg->family;
    struct ip_addr ip;

    if (fam == IPF_UNSPEC && n->opts.family == 4)
        fam = IPF_INET4;
    else if (fam == IPF_UNSPEC && n->opts.family == 6)
        fam = IPF_INET6;
    e->resolving = 1;
    /* Like chrony, an address needs no lookup. */
    if (ip_addr_parse(&ip, e->cfg->name)) {
        on_lookup_done(e, 0, &ip, 1);
        return;
    }
    if (n->env->resolver.resolve(n->env->resolver.ctx, e->cfg->name, fam, on_lookup_done, e) != 0)
        on_lookup_done(e, 1, NULL, 0);
}

void sources_start(struct node *n, const struct timespec *raw_now)
{
    struct sources *ss = &n->srcs;

    ss->unresolved = (int)ss->n_entries;
    for (size_t i = 0; i < ss->n_entries; i++)
        start_lookup(n, i);
    sources_reload_sourcedirs(n, raw_now);
    ss->dump_reload_pending = n->cfg->dumpdir != NULL;
    check_first_round(n);
}

void sources_lookup_entry(struct node *n, size_t entry)
{
    start_lookup(n, entry);
}

void sources_free_source(struct node *n, struct source *s)
{
    source_free(n, s);
}

static void adjust_ts(struct timespec *t, const struct clock_change *ch)
{
    ts_add(t, t, ts_diff(&ch->cooked, t) * ch->dfreq - ch->doffset);
}

void sources_on_clock_change(struct node *n, const struct clock_change *ch)
{
    struct sources *ss = &n->srcs;

    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        sourcestats_slew_samples(s->stats, &ch->cooked, ch->dfreq, ch->doffset);
        ntp_client_slew_times(&s->client, &ch->cooked, ch->dfreq, ch->doffset);
        if (s->have_tx)
            adjust_ts(&s->tx_cooked, ch);
    }
}

void sources_on_step(struct node *n, double offset)
{
    struct sources *ss = &n->srcs;

    /* The protocol keeps its deadlines on the raw timescale, which moved
     * back by offset (the scheduler's copies were shifted by sched_shift). */
    for (int i = 0; i < ss->n; i++) {
        struct ntp_client *c = &ss->v[i]->client;
        ts_add(&c->next_tx, &c->next_tx, -offset);
        if (!ts_is_zero(&c->last_tx_now))
            ts_add(&c->last_tx_now, &c->last_tx_now, -offset);
    }
}

void sources_on_unknown_step(struct node *n, const struct timespec *raw_now)
{
    struct sources *ss = &n->srcs;

    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        sourcestats_reset(s->stats);
        select_reset_source(ss->sel, i);
        ntp_client_reset(&s->client);
        ntp_client_reset_poll(&s->client, raw_now);
        s->have_tx = 0;
        sources_arm(s);
    }
    sources_select(n, -1, raw_now);
}

void sources_add_dispersion(struct node *n, double dispersion)
{
    for (int i = 0; i < n->srcs.n; i++)
        sourcestats_add_dispersion(n->srcs.v[i]->stats, dispersion);
}

static int our_stratum(const struct node *n, const struct timespec *raw_now)
{
    struct timespec ref_time;
    uint32_t ref_id;
    double root_delay;
    int stratum;

    reference_get_self(n, raw_now, &stratum, &ref_id, &root_delay, &ref_time);
    return stratum;
}

/* A peer's packet carries our reference and the transmit time, read just before it
 * leaves, and is sent from the server socket. */
static void peer_transmit(struct source *s, uint8_t *buf, size_t len, size_t cap,
                          const struct timespec *now)
{
    struct node *n = s->node;
    struct ntp_server_ref ref;
    struct timespec tx_raw, tx;

    n->env->clock.read(n->env->clock.ctx, &tx_raw);
    reference_cooked_time(n, &tx_raw, &tx, NULL);
    node_get_served_ref(n, &tx_raw, &ref);
    len = ntp_client_peer_finish(&s->client, buf, len, cap, &ref, &tx);
    if (!len || s->sock < 0 ||
        n->env->net.send(n->env->net.ctx, s->sock, &s->remote, NULL, buf, len) < 0) {
        ntp_client_on_send_error(&s->client, now);
        return;
    }
    s->tx_cooked = tx;
    s->have_tx = 1;
}

/* Send a request now: transmit time read just before the datagram leaves. */
static void source_transmit(struct source *s, const struct timespec *now)
{
    struct node *n = s->node;
    uint8_t buf[NTP_CLIENT_REQUEST_MAX_LEN];
    struct ntp_client_result res;
    struct timespec tx_raw;
    unsigned reach_before = ntp_client_get_reach(&s->client);
    size_t len;

    memset(&res, 0, sizeof(res));
    if (s->client.opts.symmetric)
        ntp_client_set_our_stratum(&s->client, our_stratum(n, now));
    sources_nts_prepare(s, now);
    len = ntp_client_on_timer(&s->client, now, &n->rng, buf, sizeof(buf), &res);
    if (res.has_sample)
        sources_process_sample(s, &res.sample, now);
    if (len && s->client.opts.symmetric) {
        peer_transmit(s, buf, len, sizeof(buf), now);
    } else if (len) {
        if (s->sock < 0)
            s->sock = sources_open_socket(n, s->remote.ip.family);
        n->env->clock.read(n->env->clock.ctx, &tx_raw);
        if (s->sock < 0 ||
            n->env->net.send(n->env->net.ctx, s->sock, &s->remote, NULL, buf, len) < 0) {
            ntp_client_on_send_error(&s->client, now);
        } else {
            reference_cooked_time(n, &tx_raw, &s->tx_cooked, NULL);
            s->have_tx = 1;
        }
    }
    /* chrony tries to replace a source unreachable for a full register. */
    if (!ntp_client_get_reach(&s->client) &&
        ntp_client_get_reach_size(&s->client) == NTP_CLIENT_REACH_BITS)
        sources_handle_bad(n, sources_index(s), now);
    /* chrony reselects when the selected source missed a poll. */
    if (ntp_client_get_reach(&s->client) != reach_before &&
        !(ntp_client_get_reach(&s->client) & 1u) && sources_index(s) == n->srcs.selected)
        sources_select(n, -1, now);
}

static void on_tx_timer(void *arg, const struct timespec *now)
{
    struct source *s = arg;

    s->tx_timer = 0;
    source_transmit(s, now);
    sources_arm(s);
}

int sources_index(const struct source *s)
{
    const struct sources *ss = &s->node->srcs;

    for (int i = 0; i < ss->n; i++)
        if (ss->v[i] == s)
            return i;
    return -1;
}

int sources_count(const struct node *n)
{
    return n->srcs.n;
}

const struct source *sources_get(const struct node *n, int index)
{
    if (index < 0 || index >= n->srcs.n)
        return NULL;
    return n->srcs.v[index];
}

int sources_find(const struct node *n, const struct ip_addr *ip)
{
    for (int i = 0; i < n->srcs.n; i++)
        if (ip_addr_equal(&n->srcs.v[i]->remote.ip, ip))
            return i;
    return -1;
}

int sources_selected(const struct node *n)
{
    return n->srcs.selected;
}

int sources_get_select_state(const struct node *n, int index, struct select_source_state *out)
{
    return select_get_source_state(n->srcs.sel, index, out);
}

const char *sources_display_name(const struct source *s, char *buf, size_t len)
{
    char addr[IP_ADDR_STRLEN];

    ip_addr_format(&s->remote.ip, addr, sizeof(addr));
    if (strcmp(addr, s->name) == 0)
        snprintf(buf, len, "%s", addr);
    else
        snprintf(buf, len, "%s (%s)", addr, s->name);
    return buf;
}

void sources_get_activity(const struct node *n, int *online, int *offline, int *burst_online,
                          int *burst_offline, int *unresolved)
{
    *online = *offline = *burst_online = *burst_offline = 0;
    for (int i = 0; i < n->srcs.n; i++) {
        switch (n->srcs.v[i]->client.opmode) {
        case NTP_CLIENT_ONLINE:
            (*online)++;
            break;
        case NTP_CLIENT_OFFLINE:
            (*offline)++;
            break;
        case NTP_CLIENT_BURST_WAS_ONLINE:
            (*burst_online)++;
            break;
        case NTP_CLIENT_BURST_WAS_OFFLINE:
            (*burst_offline)++;
            break;
        }
    }
    *unresolved = n->srcs.unresolved;
}
