/* NTS for `server ... nts` sources: the NTS-KE sessions of each source (through the
 * environment's NTS-KE driver, sessions of the event loop), their results handed to the source's
 * core NTS state, and the random bytes of each request. */
#include "daemon/sources.h"

#include "crypto/siv.h"
#include "daemon/config.h"
#include "daemon/reference.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bound of one NTS-KE session (connect, TLS handshake, records): chrony's 16 s. */
#define NTS_KE_TIMEOUT 16.0

struct ke_request {
    struct sources *srcs;
    uint64_t serial; /* of the source: it may be gone when the session ends */
};

static struct source *source_by_serial(struct sources *ss, uint64_t serial)
{
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i]->serial == serial)
            return ss->v[i];
    return NULL;
}

struct ntp_lookup {
    struct sources *srcs;
    uint64_t serial;                  /* of the source, 0 once it gave the lookup up */
    struct nts_ke_session_result res; /* the session's keys and cookies, held until then */
    char name[NTS_MAX_SERVER_NAME + 2];
};

/* The negotiated NTP server and port replace the source's (ip: the server's address). */
static void apply_negotiation(struct sources *ss, struct source *s, const struct ip_addr *ip)
{
    if (s->nts.ntp_port > 0)
        s->remote.port = (uint16_t)s->nts.ntp_port;
    if (ip && !ip_addr_equal(ip, &s->remote.ip)) {
        sources_set_address(s, ip);
        if (sources_index(s) >= 0)
            engine_source_set_ref_id(ss->engine, sources_index(s), sources_refid_of(ip));
    }
}

/* chrony: a negotiated server address that another source has fails the session (a new
 * one follows, expected to give another address). */
static int negotiated_in_use(struct sources *ss, const struct source *s, const struct ip_addr *ip)
{
    char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

    if (ip_addr_equal(ip, &s->remote.ip) || !sources_address_in_use(ss, ip))
        return 0;
    LOG_ERR(ss->env->log, "Could not change %s to negotiated address %s",
            ip_addr_format(&s->remote.ip, a, sizeof(a)), ip_addr_format(ip, b, sizeof(b)));
    return 1;
}

static void finish_lookup(struct ntp_lookup *lk)
{
    mem_wipe(&lk->res, sizeof(lk->res));
    free(lk);
}

/* chrony's name_resolve_handler: the first address, or the first one of the NTS-KE
 * server's family; the keys and cookies count only then. A name that does not resolve
 * ends the session as failed (a new one follows). */
static void on_ntp_resolved(void *arg, int status, const struct ip_addr *addrs, int n)
{
    struct ntp_lookup *lk = arg;
    struct sources *ss = lk->srcs;
    struct source *s = lk->serial ? source_by_serial(ss, lk->serial) : NULL;
    const struct ip_addr *ip = NULL;
    struct timespec now;

    if (!s || s->nts_lookup != lk) {
        finish_lookup(lk);
        return;
    }
    s->nts_lookup = NULL;
    ss->env->clock.read(ss->env->clock.ctx, &now);
    if (status != 0 || n < 1) {
        LOG_ERR(ss->env->log, "Could not resolve NTP server %s from %s", lk->name, s->name);
        nts_client_ke_done(&s->nts, &now, 0, NULL, NULL, NULL, 0);
        finish_lookup(lk);
        return;
    }
    ip = &addrs[0];
    for (int i = 0; i < n; i++) {
        if (addrs[i].family == s->ke_ip.family) {
            ip = &addrs[i];
            break;
        }
    }
    if (negotiated_in_use(ss, s, ip))
        nts_client_ke_done(&s->nts, &now, 0, NULL, NULL, NULL, 0);
    else {
        nts_client_ke_done(&s->nts, &now, 1, &lk->res.resp, lk->res.c2s, lk->res.s2c,
                           lk->res.key_len);
        apply_negotiation(ss, s, ip);
    }
    finish_lookup(lk);
}

/* A negotiated server given as a name is looked up first (chrony adds a final dot so that
 * it is taken as a fully qualified name); the result of the session waits for it. */
static void lookup_ntp_server(struct sources *ss, struct source *s,
                              const struct nts_ke_session_result *r)
{
    struct ntp_lookup *lk = xcalloc(1, sizeof(*lk));
    size_t len = strnlen(r->resp.ntp_server, sizeof(r->resp.ntp_server) - 1);

    lk->srcs = ss;
    lk->serial = s->serial;
    lk->res = *r;
    memcpy(lk->name, r->resp.ntp_server, len);
    if (len > 0 && lk->name[len - 1] != '.')
        lk->name[len] = '.';
    s->nts_lookup = lk;
    if (ss->env->resolver.resolve(ss->env->resolver.ctx, lk->name, IPF_UNSPEC, on_ntp_resolved,
                                  lk) != 0)
        on_ntp_resolved(lk, 2, NULL, 0);
}

static void on_ke_done(void *arg, const struct nts_ke_session_result *r)
{
    struct ke_request *q = arg;
    struct sources *ss = q->srcs;
    struct source *s = source_by_serial(ss, q->serial);
    struct timespec now;
    struct ip_addr ip;
    int is_ip = 0;

    if (s && s->nts_ke_req == q)
        s->nts_ke_req = NULL;
    free(q);
    if (!s)
        return;
    if (r->status == 0 && r->resp.ntp_server[0]) {
        is_ip = ip_addr_parse(&ip, r->resp.ntp_server);
        if (!is_ip) {
            lookup_ntp_server(ss, s, r);
            return;
        }
    }
    ss->env->clock.read(ss->env->clock.ctx, &now);
    if (r->status != 0)
        LOG_ERR(ss->env->log, "%s", r->error);
    if (r->status == 0 && is_ip && negotiated_in_use(ss, s, &ip)) {
        nts_client_ke_done(&s->nts, &now, 0, NULL, NULL, NULL, 0);
        return;
    }
    nts_client_ke_done(&s->nts, &now, r->status == 0, &r->resp, r->c2s, r->s2c, r->key_len);
    if (r->status == 0)
        apply_negotiation(ss, s, is_ip ? &ip : NULL);
}

/* The trusted certificates of the source's certificate set (`ntstrustedcerts`). */
static void set_certs(struct sources *ss, struct source *s, uint32_t cert_set)
{
    const struct config *cfg = ss->cfg;

    s->nts_certs = xcalloc(cfg->n_nts_trusted_certs + 1, sizeof(*s->nts_certs));
    s->n_nts_certs = 0;
    for (size_t i = 0; i < cfg->n_nts_trusted_certs; i++)
        if (cfg->nts_trusted_cert_ids[i] == cert_set)
            s->nts_certs[s->n_nts_certs++] = cfg->nts_trusted_certs[i];
}

/* The `ntsdumpdir` file of a source: DIR/ADDRESS.nts, the NTS-KE server's address. */
static int dump_path(const struct sources *ss, const struct source *s, char *buf, size_t len)
{
    char ip[IP_ADDR_STRLEN];

    if (!ss->cfg->nts_dump_dir || s->ke_ip.family == IPF_UNSPEC)
        return 0;
    ip_addr_format(&s->ke_ip, ip, sizeof(ip));
    return snprintf(buf, len, "%s/%s.nts", ss->cfg->nts_dump_dir, ip) < (int)len;
}

/* chrony reloads the keys and cookies saved by the previous run (and removes the file so
 * they are used once): no NTS-KE session is needed at start. */
static void load_dump(struct sources *ss, struct source *s)
{
    char path[4096], addr[NTS_MAX_SERVER_NAME];
    struct timespec now;
    struct ip_addr ip;
    double ke_time, ago;
    size_t len = 0;
    char *text;
    int port = 0;

    if (!dump_path(ss, s, path, sizeof(path)))
        return;
    text = ss->env->files.read_all(ss->env->files.ctx, path, &len);
    if (!text)
        return;
    /* chrony's NNC_Load: the file goes once read; one that stays is an error */
    if (ss->env->files.remove(ss->env->files.ctx, path) < 0)
        LOG_ERR(ss->env->log, "Could not remove %s : %s", path, strerror(errno));
    ss->env->clock.read(ss->env->clock.ctx, &now);
    if (nts_client_load(&s->nts, text, len, s->name, addr, sizeof(addr), &port, &ke_time)) {
        /* The session time is wall-clock; the keys age on the daemon's timescale. */
        ago = ts_to_double(&now) - ke_time;
        ts_add(&s->nts.last_ke, &now, ago > 0.0 ? -ago : 0.0);
        if (ip_addr_parse(&ip, addr) && ip.family != IPF_UNSPEC) {
            sources_set_address(s, &ip);
        }
        if (port > 0 && port < 65536)
            s->remote.port = (uint16_t)port;
        LOG_DEBUG(ss->env->log, "Loaded %d cookies for %s", s->nts.n_cookies, s->name);
    }
    mem_wipe(text, len);
    free(text);
}

/* Save the keys and cookies for the next run (chrony's NNC0 file, owner-only). */
static void save_dump(struct sources *ss, struct source *s)
{
    char path[4096], addr[IP_ADDR_STRLEN], *text;
    int (*write)(void *, const char *, const void *, size_t);

    if (!dump_path(ss, s, path, sizeof(path)))
        return;
    ip_addr_format(&s->remote.ip, addr, sizeof(addr));
    text = nts_client_dump(&s->nts, s->name, addr, s->remote.port, ts_to_double(&s->nts.last_ke));
    if (!text)
        return;
    write =
        ss->env->files.write_private ? ss->env->files.write_private : ss->env->files.write_atomic;
    if (write(ss->env->files.ctx, path, text, strlen(text)) != 0)
        LOG_DEBUG(ss->env->log, "Could not save cookies for %s", s->name);
    mem_wipe(text, strlen(text));
    free(text);
}

void sources_nts_attach(struct sources *ss, struct source *s, const struct source_cfg *sc)
{
    const struct config *cfg = ss->cfg;

    if (!sc->nts)
        return;
    /* chrony warns and goes on with NTS-KE for the peer all the same */
    if (s->symmetric)
        LOG_WARN(ss->env->log, "NTS not supported with peers");
    s->nts_on = 1;
    s->nts_ke_port = sc->nts_port;
    nts_client_init(&s->nts, cfg->nts_refresh);
    set_certs(ss, s, sc->cert_set);
    /* AEADs of `ntsaeads` this build has (AES-128-GCM-SIV is not in Nettle 3.8). */
    s->n_nts_aeads = 0;
    for (size_t i = 0; i < cfg->n_nts_aeads && s->n_nts_aeads < 4; i++)
        if (nts_aead_key_len(cfg->nts_aeads[i]) > 0)
            s->nts_aeads[s->n_nts_aeads++] = cfg->nts_aeads[i];
    load_dump(ss, s);
}

/* Abandon the running NTS-KE session of the source (chrony stops it with the source's NTS
 * instance) and forget its keys and cookies. */
void sources_nts_reset(struct source *s)
{
    if (s->nts_ke_req) {
        /* the session must not report to a source that is gone */
        const struct env_nts_ke *ke = &s->srcs->env->nts_ke;
        if (ke->cancel) {
            ke->cancel(ke->ctx, s->nts_ke_req);
            free(s->nts_ke_req);
        } /* else on_ke_done finds no source and frees it */
        s->nts_ke_req = NULL;
    }
    if (s->nts_lookup) {
        /* the lookup frees itself when it ends */
        ((struct ntp_lookup *)s->nts_lookup)->serial = 0;
        s->nts_lookup = NULL;
    }
    nts_client_reset(&s->nts);
}

void sources_nts_detach(struct source *s)
{
    if (!s->nts_on)
        return;
    save_dump(s->srcs, s);
    sources_nts_reset(s);
    free(s->nts_certs);
    s->nts_certs = NULL;
}

static void start_ke(struct sources *ss, struct source *s, const struct timespec *now)
{
    struct nts_ke_session_opts o;
    struct ke_request *q;
    struct net_addr addr;
    struct timespec cooked;

    memset(&o, 0, sizeof(o));
    o.trusted_certs = s->nts_certs;
    o.n_trusted_certs = s->n_nts_certs;
    o.no_system_certs = ss->cfg->nosystemcert;
    /* `nocerttimecheck N`: no validity period checks until the clock was updated N times */
    o.no_cert_time_check = ss->engine->n_clock_changes < (uint64_t)ss->cfg->nocerttimecheck;
    reference_cooked_time(ss->ref, now, &cooked, NULL);
    o.time_offset = ts_diff(&cooked, now);
    o.aeads = s->nts_aeads;
    o.n_aeads = s->n_nts_aeads;
    o.timeout = NTS_KE_TIMEOUT;
    o.bind4 = ss->cfg->bind_acq_addr4;
    o.bind6 = ss->cfg->bind_acq_addr6;
    o.device = ss->cfg->bind_acq_device;
    memset(&addr, 0, sizeof(addr));
    addr.ip = s->ke_ip;
    addr.port = (uint16_t)s->nts_ke_port;
    q = xmalloc(sizeof(*q));
    q->srcs = ss;
    q->serial = s->serial;
    nts_client_ke_started(&s->nts);
    if (!ss->env->nts_ke.start || o.n_aeads == 0 ||
        ss->env->nts_ke.start(ss->env->nts_ke.ctx, s->name, &addr, &o, on_ke_done, q) != 0) {
        struct nts_ke_session_result r;
        memset(&r, 0, sizeof(r));
        r.status = 1;
        snprintf(r.error, sizeof(r.error), "Could not start NTS-KE session with %s", s->name);
        on_ke_done(q, &r);
        return;
    }
    s->nts_ke_req = q;
}

void sources_nts_prepare(struct source *s, const struct timespec *now)
{
    struct sources *ss = s->srcs;
    uint8_t rnd[NTS_CLIENT_RANDOM_LEN];

    if (!s->nts_on)
        return;
    if (nts_client_need_ke(&s->nts, now))
        start_ke(ss, s, now);
    ss->env->random.bytes(ss->env->random.ctx, rnd, sizeof(rnd));
    engine_source_set_nts_random(ss->engine, sources_index(s), rnd);
    mem_wipe(rnd, sizeof(rnd));
}
