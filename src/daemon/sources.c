/* Sources: creation from the server/pool directives, name resolution and client sockets.
 * Their protocol state, statistics and selection are the engine's (core/engine); the
 * datagrams, the engine's timer and its outcomes are in sources_engine.c. */
#include "daemon/sources.h"

#include "core/keys.h"
#include "daemon/config.h"
#include "daemon/ntp_serve.h"
#include "daemon/sched.h"
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
    o->copy = sc->copy;
    o->interleaved = sc->interleaved;
    o->max_delay = sc->max_delay;
    o->max_delay_ratio = sc->max_delay_ratio;
    o->max_delay_dev_ratio = sc->max_delay_dev_ratio;
    o->max_delay_quant = sc->max_delay_quant;
    o->min_delay = sc->min_delay;
    o->asymmetry = sc->asymmetry;
    o->offset = sc->offset;
    o->symmetric = sc->type == CFG_SRC_PEER;
    o->ext_mono_root = (sc->ext_fields & CFG_EF_EXP_MONO_ROOT) != 0;
    o->ext_net_correction = (sc->ext_fields & CFG_EF_EXP_NET_CORRECTION) != 0;
}

/* The directives of the configuration take the next slots. */
static void add_configured(struct sources *ss)
{
    const struct config *cfg = ss->cfg;

    ss->cfg_first = ss->n_entries;
    ss->cfg_added = 1;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        ss->entries[ss->n_entries].cfg = &cfg->sources[i];
        ss->entries[ss->n_entries].srcs = ss;
        sources_entry_setup(ss, ss->n_entries);
        sources_log_entry(ss, ss->n_entries, 1, LOGL_DEBUG);
        ss->n_entries++;
    }
}

void sources_init(struct sources *ss)
{
    const struct config *cfg = ss->cfg;

    /* Slots never move (lookups and timers hold pointers to them): room for
     * sources added at run time and for initstepslew's is reserved now. */
    ss->cap_entries = cfg->n_sources + cfg->n_initstepslew_hosts + SOURCES_MAX_RUNTIME;
    ss->entries = xcalloc(ss->cap_entries, sizeof(*ss->entries));
    /* chrony adds the configured sources once initstepslew is over. */
    ss->init_phase = sources_initstepslew_wanted(ss);
    if (!ss->init_phase)
        add_configured(ss);
}

static void source_free(struct sources *ss, struct source *s)
{
    sources_release_held(ss, s);
    sources_close_socket(ss, s);
    sources_nts_detach(s);
    free(s->name);
    free(s);
}

void sources_fini(struct sources *ss)
{
    for (int i = 0; i < ss->n; i++)
        source_free(ss, ss->v[i]);
    for (size_t i = 0; i < ss->n_entries; i++)
        sched_cancel(ss->sched, ss->entries[i].retry_timer);
    sched_cancel(ss->sched, ss->engine_timer);
    sources_initstepslew_fini(ss);
    for (int i = 0; i < SOURCES_OUT_DEPTH; i++)
        engine_out_fini(&ss->outs[i]);
    sources_cmd_fini(ss);
    sources_rows_fini(ss);
    free(ss->sock_use);
    ss->sock_use = NULL;
    ss->n_sock_use = 0;
    sources_addr_index_fini(&ss->by_addr);
    free(ss->v);
    free(ss->entries);
    ss->v = NULL;
    ss->n = ss->cap = 0;
    ss->entries = NULL;
    ss->n_entries = ss->cap_entries = 0;
    ss->engine_timer = 0;
}

uint32_t sources_refid_of(const struct ip_addr *ip)
{
    struct cmdmon_addr a;

    cmdmon_addr_from_ip(&a, ip);
    return cmdmon_addr_refid(&a);
}

static int open_client_socket(struct sources *ss, enum ip_family fam, int *err)
{
    struct net_addr local;
    struct net_sock_opts so;

    memset(&local, 0, sizeof(local));
    memset(&so, 0, sizeof(so));
    so.device = ss->cfg->bind_acq_device;
    so.dscp = ss->cfg->dscp;
    local.ip.family = fam;
    if (fam == IPF_INET4 && ss->cfg->bind_acq_addr4.family == IPF_INET4)
        local.ip = ss->cfg->bind_acq_addr4;
    else if (fam == IPF_INET6 && ss->cfg->bind_acq_addr6.family == IPF_INET6)
        local.ip = ss->cfg->bind_acq_addr6;
    /* acquisitionport: a fixed local port shared by the sources. */
    local.port = ss->cfg->acquisition_port > 0 ? (uint16_t)ss->cfg->acquisition_port : 0;
    return ss->env->net.udp_open(
        ss->env->net.ctx, &local,
        (ss->cfg->acquisition_port > 0 ? NETF_REUSE : 0) | NETF_TX_TIMESTAMPS, &so, err);
}

static int on_ptp_port(const struct sources *ss, const struct source *s)
{
    return ss->cfg->ptp_port > 0 && s->remote.port == ss->cfg->ptp_port;
}

/* Record (add 1) or forget (-1) s's use of its socket in the table by descriptor. */
static void sock_use_add(struct sources *ss, struct source *s, int add)
{
    struct sources_sock_use *u;

    if (s->sock < 0)
        return;
    ss->sock_use = xgrow(ss->sock_use, &ss->n_sock_use, (size_t)s->sock + 1, sizeof(*ss->sock_use));
    u = &ss->sock_use[s->sock];
    if (s->on_server_socket)
        u->n_shared += add;
    else
        u->owner = add > 0 ? s : NULL;
}

const struct sources_sock_use *sources_sock_use(const struct sources *ss, int sock)
{
    static const struct sources_sock_use none = {NULL, 0};
    return sock >= 0 && (size_t)sock < ss->n_sock_use ? &ss->sock_use[sock] : &none;
}

void sources_open_socket(struct sources *ss, struct source *s)
{
    int e = 0;

    /* chrony sends a peer's packets from the server socket (its `port`), where the peer's
     * own packets arrive too; with `acquisitionport` equal to `port` the clients use that
     * one socket as well. */
    s->on_server_socket = s->symmetric || (ss->cfg->acquisition_port > 0 &&
                                           ss->cfg->acquisition_port == ss->cfg->port);
    /* chrony: a source (server or peer) whose port is the ptpport uses NTP over PTP from
     * that port's socket. */
    if (on_ptp_port(ss, s)) {
        s->on_server_socket = 1;
        s->sock = serve_ptp_socket_for(ss->serve, s->remote.ip.family, s->remote.port);
    } else if (s->on_server_socket)
        s->sock = serve_peer_socket(ss->serve, s->remote.ip.family);
    else
        s->sock = open_client_socket(ss, s->remote.ip.family, &e);
    /* Out of descriptors (or below the loop's limit): said once per source, then the
     * source retries at each poll. */
    if (s->sock < 0 && !s->on_server_socket && !s->sock_failed)
        LOG_ERR(ss->env->log, "Could not open %s socket for %s : %s",
                s->remote.ip.family == IPF_INET6 ? "IPv6" : "IPv4", s->name, strerror(e));
    s->sock_failed = s->sock < 0 && !s->on_server_socket;
    sock_use_add(ss, s, 1);
}

int sources_check_socket(struct sources *ss, const struct source_cfg *sc)
{
    struct ip_addr ip;
    int e = 0, sock;

    if (sc->type == CFG_SRC_PEER || !ip_addr_parse(&ip, sc->name) ||
        (ss->cfg->acquisition_port > 0 && ss->cfg->acquisition_port == ss->cfg->port))
        return 0;
    sock = open_client_socket(ss, ip.family, &e);
    if (sock < 0) {
        LOG_ERR(ss->env->log, "Could not open %s socket for %s : %s",
                ip.family == IPF_INET6 ? "IPv6" : "IPv4", sc->name, strerror(e));
        return -1;
    }
    ss->env->net.close(ss->env->net.ctx, sock);
    return 0;
}

void sources_close_socket(struct sources *ss, struct source *s)
{
    sched_cancel(ss->sched, s->rx_timer);
    s->rx_timer = 0;
    sock_use_add(ss, s, -1);
    if (on_ptp_port(ss, s)) {
        /* the ptpport socket is the server's, open for the daemon's life */
    } else if (s->on_server_socket)
        serve_peer_release(ss->serve);
    else if (s->sock >= 0)
        ss->env->net.close(ss->env->net.ctx, s->sock);
    s->sock = -1;
    s->on_server_socket = 0;
}

static void grow_sources(struct sources *ss)
{
    if (ss->n < ss->cap)
        return;
    ss->cap = ss->cap ? ss->cap * 2 : 8;
    ss->v = xrealloc(ss->v, sizeof(*ss->v) * (size_t)ss->cap);
}

static void stats_params(const struct sources *ss, const struct source_cfg *sc,
                         struct sourcestats_params *p)
{
    sourcestats_params_default(p);
    p->min_samples = sc->min_samples >= 0 ? sc->min_samples : ss->cfg->minsamples;
    p->max_samples = sc->max_samples >= 0 ? sc->max_samples : ss->cfg->maxsamples;
    p->min_delay = sc->min_delay;
    p->asymmetry = sc->asymmetry;
}

/* The `key` option (chrony NAU_CreateSymmetricInstance warns at creation). */
static void check_key(struct sources *ss, uint32_t key_id)
{
    const struct key *k;

    if (!key_id)
        return;
    k = keys_find(ss->keys, key_id);
    if (!k)
        LOG_WARN(ss->env->log, "Key %u is %s", (unsigned)key_id, "missing");
    else if (k->len < KEYS_MIN_SECURE_LEN)
        LOG_WARN(ss->env->log, "Key %u is %s", (unsigned)key_id, "too short");
}

/* A source for address ip of directive entry; started at raw time now. */
static struct source *source_create(struct sources *ss, int entry, const struct ip_addr *ip,
                                    const struct timespec *now)
{
    const struct source_cfg *sc = ss->entries[entry].cfg;
    struct engine_source_params p;
    struct source *s = xcalloc(1, sizeof(*s));

    memset(&p, 0, sizeof(p));
    s->srcs = ss;
    s->cfg_index = entry;
    s->name = xstrdup(sc->name);
    s->remote.ip = *ip;
    s->remote.port = (uint16_t)sc->port;
    client_opts_from_cfg(sc, &p.client);
    p.client.net_corr_on = ss->cfg->ptp_port > 0; /* chrony sends F324 only with ptpport */
    s->symmetric = p.client.symmetric;
    /* A client socket opens when the source first sends (perform_send), so an offline
     * source holds no descriptor; a peer's (or an NTP-over-PTP source's) socket is the
     * server's, taken now. */
    s->sock = -1;
    if (s->symmetric || on_ptp_port(ss, s))
        sources_open_socket(ss, s);
    if (ss->quit_mode)
        p.client.iburst = 1; /* -q/-Q measure at once, as chrony */
    check_key(ss, sc->authkey);
    p.keys = ss->keys;
    p.key_id = sc->authkey;
    s->serial = ++ss->next_serial;
    s->last_resolving = *now;
    s->ke_ip = *ip;
    /* NTS may move the source (the address of its saved cookies). */
    sources_nts_attach(ss, s, sc);
    p.nts = s->nts_on ? &s->nts : NULL;
    p.ref_id = sources_refid_of(&s->remote.ip);
    p.sel_options = (unsigned)sc->sel_options;
    stats_params(ss, sc, &p.stats);
    grow_sources(ss);
    s->index = ss->n;
    ss->v[ss->n++] = s;
    sources_addr_index_add(&ss->by_addr, s);
    s->addr_indexed = 1;
    ss->entries[entry].n_active++;
    sources_rows_changed(ss);
    engine_add_source(ss->engine, &p, now);
    sources_rearm_engine(ss);
    return s;
}

struct source *sources_add_refclock(struct sources *ss, const struct engine_source_params *p,
                                    const struct timespec *raw_now)
{
    struct source *s = xcalloc(1, sizeof(*s));
    char name[8];

    s->srcs = ss;
    s->cfg_index = -1;
    s->refclock = 1;
    s->sock = -1;
    s->name = xstrdup(sources_refid_text(p->ref_id, name, sizeof(name)));
    s->remote.ip.family = IPF_INET4;
    s->remote.ip.a[0] = (uint8_t)(p->ref_id >> 24);
    s->remote.ip.a[1] = (uint8_t)(p->ref_id >> 16);
    s->remote.ip.a[2] = (uint8_t)(p->ref_id >> 8);
    s->remote.ip.a[3] = (uint8_t)p->ref_id;
    s->serial = ++ss->next_serial;
    grow_sources(ss);
    s->index = ss->n;
    ss->v[ss->n++] = s;
    sources_rows_changed(ss);
    engine_add_source(ss->engine, p, raw_now);
    return s;
}

const char *sources_refid_text(uint32_t ref_id, char *buf, size_t len)
{
    size_t n = 0;

    for (int i = 3; i >= 0 && n + 1 < len; i--) {
        int c = (int)(ref_id >> (8 * i)) & 0xff;
        if (c >= 0x20 && c < 0x7f)
            buf[n++] = (char)c;
    }
    if (len)
        buf[n] = '\0';
    return buf;
}

const char *sources_log_name(const struct source *s, char *buf, size_t len)
{
    if (s->refclock)
        snprintf(buf, len, "%s", s->name);
    else
        ip_addr_format(&s->remote.ip, buf, len);
    return buf;
}

int sources_address_in_use(const struct sources *ss, const struct ip_addr *ip)
{
    return sources_addr_index_find(&ss->by_addr, ip) != NULL;
}

void sources_set_address(struct source *s, const struct ip_addr *ip)
{
    struct sources *ss = s->srcs;

    if (s->addr_indexed)
        sources_addr_index_remove(&ss->by_addr, s);
    s->remote.ip = *ip;
    if (s->addr_indexed)
        sources_addr_index_add(&ss->by_addr, s);
}

int sources_family_allowed(const struct sources *ss, const struct source_cfg *sc, enum ip_family f)
{
    if (sc->family != IPF_UNSPEC && sc->family != f)
        return 0;
    if (ss->family == 4 && f != IPF_INET4)
        return 0;
    if (ss->family == 6 && f != IPF_INET6)
        return 0;
    return 1;
}

static void start_lookup(struct sources *ss, size_t entry);

static void on_retry_timer(void *arg, const struct timespec *now)
{
    struct source_entry *e = arg;
    (void)now;
    e->retry_timer = 0;
    start_lookup(e->srcs, (size_t)(e - e->srcs->entries));
}

static void on_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source_entry *e = arg;
    struct sources *ss = e->srcs;
    size_t entry = (size_t)(e - ss->entries);
    struct timespec now;
    int want;

    e->resolving = 0;
    if (!e->cfg)
        return; /* the directive was removed while its name was looked up */
    want = e->cfg->type == CFG_SRC_POOL ? e->cfg->max_sources : 1;
    ss->env->clock.read(ss->env->clock.ctx, &now);
    for (int i = 0; status == 0 && i < count && e->n_active < want; i++) {
        if (!sources_family_allowed(ss, e->cfg, addrs[i].family) ||
            sources_address_in_use(ss, &addrs[i]))
            continue;
        source_create(ss, (int)entry, &addrs[i], &now);
    }
    if (e->n_active > 0)
        return;
    if (status == 2) {
        e->failed = 1;
        LOG_WARN(ss->env->log, "Invalid host %s", e->cfg->name);
        return;
    }
    /* Temporary failure: try again in an exponentially increasing interval. */
    e->retry_interval = e->retry_interval < RESOLVE_RETRY_MIN   ? RESOLVE_RETRY_MIN
                        : e->retry_interval < RESOLVE_RETRY_MAX ? 2.0 * e->retry_interval
                                                                : RESOLVE_RETRY_MAX;
    e->retry_timer = sched_add_after(ss->sched, &now, e->retry_interval, on_retry_timer, e);
}

/* chrony reloads (-r) and removes the dump files once the first lookup of
 * every name has ended, resolved or not (main.c ntp_source_resolving_end). */
static void check_first_round(struct sources *ss)
{
    struct timespec now;

    if (!ss->dump_reload_pending)
        return;
    /* An entry waits for its first result only from its setup on, so the scan resumes
     * where it stopped (linear over a start-up instead of quadratic). */
    for (; ss->first_round_pos < ss->n_entries; ss->first_round_pos++) {
        const struct source_entry *e = &ss->entries[ss->first_round_pos];
        if (e->cfg && e->n_active == 0 && !e->failed && e->retry_interval == 0.0)
            return;
    }
    ss->dump_reload_pending = 0;
    ss->env->clock.read(ss->env->clock.ctx, &now);
    sources_dump_reload(ss, &now);
}

static void on_lookup_done(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source_entry *e = arg;

    on_resolved(arg, status, addrs, count);
    check_first_round(e->srcs);
}

static void start_lookup(struct sources *ss, size_t entry)
{
    struct source_entry *e = &ss->entries[entry];
    enum ip_family fam = e->cfg->family;
    struct ip_addr ip;

    if (fam == IPF_UNSPEC && ss->family == 4)
        fam = IPF_INET4;
    else if (fam == IPF_UNSPEC && ss->family == 6)
        fam = IPF_INET6;
    e->resolving = 1;
    /* Like chrony, an address needs no lookup. */
    if (ip_addr_parse(&ip, e->cfg->name)) {
        on_lookup_done(e, 0, &ip, 1);
        return;
    }
    if (ss->env->resolver.resolve(ss->env->resolver.ctx, e->cfg->name, fam, on_lookup_done, e) != 0)
        on_lookup_done(e, 1, NULL, 0);
}

void sources_start(struct sources *ss, const struct timespec *raw_now)
{
    ss->start_time = *raw_now;
    if (ss->init_phase)
        sources_initstepslew_begin(ss, raw_now);
    else
        sources_start_configured(ss, raw_now);
}

void sources_start_configured(struct sources *ss, const struct timespec *raw_now)
{
    if (!ss->cfg_added)
        add_configured(ss);
    for (size_t i = ss->cfg_first; i < ss->cfg_first + ss->cfg->n_sources; i++)
        start_lookup(ss, i);
    sources_reload_sourcedirs(ss, raw_now);
    ss->dump_reload_pending = ss->cfg->dumpdir != NULL;
    check_first_round(ss);
}

void sources_lookup_entry(struct sources *ss, size_t entry)
{
    start_lookup(ss, entry);
}

void sources_free_source(struct sources *ss, struct source *s)
{
    source_free(ss, s);
}

int sources_index(const struct source *s)
{
    const struct sources *ss = s->srcs;

    /* A removed source (waiting for its replacement lookup) is no longer at its index. */
    return s->index >= 0 && s->index < ss->n && ss->v[s->index] == s ? s->index : -1;
}

int sources_count(const struct sources *ss)
{
    return ss->n;
}

const struct source *sources_get(const struct sources *ss, int index)
{
    if (index < 0 || index >= ss->n)
        return NULL;
    return ss->v[index];
}

int sources_find(const struct sources *ss, const struct ip_addr *ip)
{
    const struct source *s = sources_addr_index_find(&ss->by_addr, ip);

    return s ? s->index : -1;
}

int sources_selected(const struct sources *ss)
{
    return engine_selected(ss->engine);
}

int sources_get_select_state(const struct sources *ss, int index, struct select_source_state *out)
{
    return engine_get_select_state(ss->engine, index, out);
}

const struct engine_source *sources_engine_part(const struct sources *ss, int index)
{
    return engine_source(ss->engine, index);
}

const char *sources_display_name(const struct source *s, char *buf, size_t len)
{
    char addr[IP_ADDR_STRLEN];

    if (s->refclock)
        return sources_log_name(s, buf, len);
    ip_addr_format(&s->remote.ip, addr, sizeof(addr));
    if (strcmp(addr, s->name) == 0)
        snprintf(buf, len, "%s", addr);
    else
        snprintf(buf, len, "%s (%s)", addr, s->name);
    return buf;
}

void sources_get_activity(const struct sources *ss, int *online, int *offline, int *burst_online,
                          int *burst_offline, int *unresolved)
{
    *online = *offline = *burst_online = *burst_offline = 0;
    for (int i = 0; i < ss->n; i++) {
        if (ss->v[i]->refclock)
            continue; /* chrony counts the NTP sources */
        switch (engine_source(ss->engine, i)->client.opmode) {
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
    *unresolved = sources_count_unresolved(ss);
}
