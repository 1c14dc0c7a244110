/* Run-time source control (sources_cmd.c) through the engine's control op
 * and the command socket: add/delete, selectopts, offset, reset, sourcedir
 * reloads, refresh, onoffline, local, dfreq/doffset, with chronyd's status
 * codes (spec cmdmon.md 5.3, 7.4-7.8, 7.14, 7.15, 7.17). A fake server
 * answers every request so that added sources get selected. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/bytes.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <string.h>

struct world {
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct ip_addr watch; /* requests sent to this address are counted */
    int n_watch;
    struct ip_addr dns[2]; /* what "ntp.test" resolves to (test_refresh) */
    int n_dns;             /* 0: a temporary failure */
};

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    fake_env_init(&w->f);
    w->f.control = 1;
}

static void world_build(struct world *w, const char **lines)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8};

    w->cfg = config_new();
    for (int i = 0; lines && lines[i]; i++)
        CHECK(config_parse_line(w->cfg, lines[i], NULL, i + 1, &w->f.env.files, err, sizeof(err)) ==
              0);
    w->n = node_new(w->cfg, &w->f.env, &o);
    CHECK(node_start(w->n, &w->f.now, err, sizeof(err)) == 0);
}

static void world_start(struct world *w, const char **lines)
{
    world_init(w);
    world_build(w, lines);
}

static void world_fini(struct world *w)
{
    node_free(w->n);
    config_free(w->cfg);
    fake_env_fini(&w->f);
}

/* A stratum-1 server with the same time as ours, 2 ms away. */
static void reply(struct world *w, const struct fake_sent *req)
{
    struct ntp_packet q, r;
    uint8_t buf[NTP_HEADER_LEN];
    struct net_rx rx;

    if (ntp_decode(req->data, req->len, &q, NULL) != NTP_OK || q.mode != NTP_MODE_CLIENT)
        return;
    if (ip_addr_equal(&req->remote.ip, &w->watch))
        w->n_watch++;
    fake_env_advance(&w->f, 0.001);
    memset(&r, 0, sizeof(r));
    r.version = q.version;
    r.mode = NTP_MODE_SERVER;
    r.stratum = 1;
    r.poll = q.poll;
    r.precision = -20;
    r.ref_id = 0x47505300;
    r.origin_ts = q.tx_ts;
    ntp_ts64_from_timespec(&r.ref_ts, &w->f.now);
    ntp_ts64_from_timespec(&r.rx_ts, &w->f.now);
    ntp_ts64_from_timespec(&r.tx_ts, &w->f.now);
    CHECK(ntp_encode(&r, buf, sizeof(buf)) == NTP_HEADER_LEN);
    fake_env_advance(&w->f, 0.001);
    memset(&rx, 0, sizeof(rx));
    rx.sock = req->sock;
    rx.data = buf;
    rx.len = sizeof(buf);
    rx.remote = req->remote;
    rx.rx_ts = w->f.now;
    node_on_datagram(w->n, &rx, &w->f.now);
}

static void run(struct world *w, double seconds)
{
    struct timespec end, when;

    ts_add(&end, &w->f.now, seconds);
    while (ts_cmp(&w->f.now, &end) < 0) {
        struct fake_sent sent[FAKE_MAX_SENT];
        int ns;
        double dt = ts_diff(&end, &w->f.now);
        if (node_next_timeout(w->n, &when) && ts_diff(&when, &w->f.now) < dt)
            dt = fmax(ts_diff(&when, &w->f.now), 0.0);
        fake_env_advance(&w->f, dt);
        node_on_timer(w->n, &w->f.now);
        ns = w->f.n_sent;
        memcpy(sent, w->f.sent, sizeof(sent[0]) * (size_t)ns);
        w->f.n_sent = 0;
        for (int i = 0; i < ns; i++)
            reply(w, &sent[i]);
    }
}

/* A control request as the command server executes it (its command table). */
static int control(struct world *w, struct cmdmon_request *q, uint16_t command)
{
    struct cmdmon_reply rpy;

    q->command = command;
    memset(&rpy, 0, sizeof(rpy));
    cmdmon_execute(&w->n->cmd, q, &w->f.now, &rpy);
    return rpy.status;
}

/* chronyc's ADD_SOURCE defaults (spec 7.4) for name. */
static void add_request(struct cmdmon_request *q, uint32_t type, const char *name, uint32_t flags)
{
    struct cmdmon_req_add_source *a = &q->u.add_source;

    memset(q, 0, sizeof(*q));
    a->type = type;
    snprintf((char *)a->name, sizeof(a->name), "%s", name);
    a->port = 123;
    a->minpoll = 0;
    a->maxpoll = 1;
    a->presend_minpoll = 100;
    a->poll_target = 8;
    a->max_sources = 4;
    a->min_samples = -1;
    a->max_samples = -1;
    a->nts_port = 4460;
    a->max_delay = 3.0;
    a->max_delay_dev_ratio = 10.0;
    a->asymmetry = 1.0;
    a->max_unreach = 100000;
    a->flags = flags;
}

static int add(struct world *w, uint32_t type, const char *name, uint32_t flags)
{
    struct cmdmon_request q;

    add_request(&q, type, name, flags);
    return control(w, &q, CMDMON_REQ_ADD_SOURCE);
}

static void addr_request(struct cmdmon_request *q, const char *addr)
{
    struct ip_addr ip;

    memset(q, 0, sizeof(*q));
    if (addr) {
        CHECK(ip_addr_parse(&ip, addr));
        cmdmon_addr_from_ip(&q->u.address.ip, &ip);
    }
}

/* The engine's state of a source of the table. */
#define ES(s) sources_engine_part(&w.n->srcs, sources_index(s))

static int find(struct world *w, const char *addr)
{
    struct ip_addr ip;

    CHECK(ip_addr_parse(&ip, addr));
    return sources_find(&w->n->srcs, &ip);
}

static void test_add_server_selected(void)
{
    struct world w;
    const struct source *s;

    world_start(&w, NULL);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.1", CMDMON_SRC_ONLINE | CMDMON_SRC_IBURST),
                 CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    s = sources_get(&w.n->srcs, 0);
    CHECK_STR_EQ(s->name, "192.0.2.1");
    CHECK_INT_EQ(s->remote.port, 123);
    CHECK_INT_EQ(sources_count_unresolved(&w.n->srcs), 0);
    /* The address is in use, whatever the port: "511 Source already present". */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.1", CMDMON_SRC_ONLINE),
                 CMDMON_STT_SOURCEALREADYKNOWN);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_POOL, "192.0.2.1", CMDMON_SRC_ONLINE),
                 CMDMON_STT_SOURCEALREADYKNOWN);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    run(&w, 30.0);
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.1"));
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    world_fini(&w);
}

static void test_add_invalid(void)
{
    struct world w;
    struct cmdmon_request q;

    world_start(&w, NULL);
    /* A peer is added as a symmetric association; unknown types are invalid. */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_PEER, "192.0.2.2", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(find(&w, "192.0.2.2") >= 0 &&
          sources_engine_part(&w.n->srcs, find(&w, "192.0.2.2"))->client.opts.symmetric);
    CHECK_INT_EQ(add(&w, 0, "192.0.2.2", CMDMON_SRC_ONLINE), CMDMON_STT_INVALID);
    CHECK_INT_EQ(add(&w, 4, "192.0.2.2", CMDMON_SRC_ONLINE), CMDMON_STT_INVALID);
    add_request(&q, CMDMON_ADD_SERVER, "", CMDMON_SRC_ONLINE);
    memset(q.u.add_source.name, 'a', sizeof(q.u.add_source.name));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_ADD_SOURCE), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "", CMDMON_SRC_ONLINE), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "a b", CMDMON_SRC_ONLINE), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "a\tb", CMDMON_SRC_ONLINE), CMDMON_STT_INVALIDNAME);
    /* ipv6 option with an IPv4 address and the reverse. */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.2", CMDMON_SRC_ONLINE | CMDMON_SRC_IPV6),
                 CMDMON_STT_INVALIDAF);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "2001:db8::1", CMDMON_SRC_ONLINE | CMDMON_SRC_IPV4),
                 CMDMON_STT_INVALIDAF);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1); /* the peer */
    /* A name resolves in the background: accepted (the fake resolver then
     * reports it invalid, as chronyd logs). */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "ntp.example", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Invalid host ntp.example"));
    /* Its placeholder stays, as chrony's unresolved source (sources -a, activity). */
    CHECK_INT_EQ(sources_count_unresolved(&w.n->srcs), 1);
    world_fini(&w);
}

static void test_add_options(void)
{
    struct world w;
    struct cmdmon_request q;
    const struct source *s;

    world_start(&w, NULL);
    add_request(&q, CMDMON_ADD_SERVER, "192.0.2.3", CMDMON_SRC_PREFER | CMDMON_SRC_TRUST);
    q.u.add_source.port = 11123;
    q.u.add_source.minpoll = 3;
    q.u.add_source.maxpoll = 5;
    q.u.add_source.offset = 0.25;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_ADD_SOURCE), CMDMON_STT_SUCCESS);
    s = sources_get(&w.n->srcs, 0);
    CHECK(s != NULL);
    CHECK_INT_EQ(s->remote.port, 11123);
    CHECK_INT_EQ(ES(s)->sel_options, SELECT_OPT_PREFER | SELECT_OPT_TRUST);
    /* No ONLINE flag = the `offline` option. */
    CHECK(!ntp_client_is_online(&ES(s)->client));
    CHECK_INT_EQ(ES(s)->client.opts.minpoll, 3);
    CHECK_INT_EQ(ES(s)->client.opts.maxpoll, 5);
    CHECK_NEAR(ES(s)->client.opts.offset, 0.25, 1e-12);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_POOL, "192.0.2.4", CMDMON_SRC_ONLINE | CMDMON_SRC_NOSELECT),
                 CMDMON_STT_SUCCESS);
    s = sources_get(&w.n->srcs, 1);
    CHECK_INT_EQ(ES(s)->sel_options, SELECT_OPT_NOSELECT);
    CHECK(ntp_client_is_online(&ES(s)->client));
    world_fini(&w);
}

static void test_too_many_sources(void)
{
    struct world w;
    char name[32];
    int i, st = CMDMON_STT_SUCCESS;

    world_start(&w, NULL);
    for (i = 0; i <= SOURCES_MAX_RUNTIME && st == CMDMON_STT_SUCCESS; i++) {
        snprintf(name, sizeof(name), "10.0.%d.%d", i / 200, i % 200 + 1);
        st = add(&w, CMDMON_ADD_SERVER, name, 0);
    }
    CHECK_INT_EQ(st, CMDMON_STT_TOOMANYSOURCES);
    CHECK_INT_EQ(sources_count(&w.n->srcs), SOURCES_MAX_RUNTIME);
    world_fini(&w);
}

static void test_delete(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 1", NULL};
    struct world w;
    struct cmdmon_request q;

    world_start(&w, lines);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.2", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    addr_request(&q, "192.0.2.9");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_NOSUCHSOURCE);
    addr_request(&q, NULL);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_NOSUCHSOURCE);
    /* Deleting the synchronisation source (from the configuration). */
    addr_request(&q, "192.0.2.1");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK_INT_EQ(find(&w, "192.0.2.1"), -1);
    CHECK_INT_EQ(find(&w, "192.0.2.2"), 0);
    CHECK(sources_selected(&w.n->srcs) != 0 || find(&w, "192.0.2.2") == 0);
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.2"));
    /* The address is free again. */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.1", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    addr_request(&q, "192.0.2.2");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    addr_request(&q, "192.0.2.1");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    run(&w, 10.0);
    world_fini(&w);
}

/* Deleting the synchronisation source loses the selection first (logged),
 * as chrony takes a source offline before destroying it. */
static void test_delete_selected_unsynchronises(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 1", NULL};
    struct world w;
    struct cmdmon_request q;
    struct disc_tracking t;

    world_start(&w, lines);
    run(&w, 30.0);
    reference_get_tracking(&w.n->ref, &w.f.now, &t);
    CHECK(t.synchronised);
    addr_request(&q, "192.0.2.1");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Can't synchronise: no selectable sources"));
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    /* chronyd 4.3 keeps its last reference (observed: tracking unchanged). */
    reference_get_tracking(&w.n->ref, &w.f.now, &t);
    CHECK(t.synchronised);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 0);
    run(&w, 10.0);
    world_fini(&w);
}

static void test_selectopts(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 1 prefer", NULL};
    struct world w;
    struct cmdmon_request q;
    const struct source *s;

    world_start(&w, lines);
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    s = sources_get(&w.n->srcs, 0);
    /* `selectopts 192.0.2.1 +trust -prefer`: mask in selection bits,
     * values in ADD_SOURCE flag bits (spec 7.7). */
    addr_request(&q, "192.0.2.1");
    q.u.selectopts.mask = CMDMON_SELOPT_TRUST | CMDMON_SELOPT_PREFER;
    q.u.selectopts.options = CMDMON_SRC_TRUST;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_SELECTOPTS), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(ES(s)->sel_options, SELECT_OPT_TRUST);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 selection options modified"));
    /* +noselect: the source is no longer selected. */
    q.u.selectopts.mask = CMDMON_SELOPT_NOSELECT;
    q.u.selectopts.options = CMDMON_SRC_NOSELECT;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_SELECTOPTS), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(ES(s)->sel_options, SELECT_OPT_TRUST | SELECT_OPT_NOSELECT);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    q.u.selectopts.options = 0;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_SELECTOPTS), CMDMON_STT_SUCCESS);
    run(&w, 10.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    addr_request(&q, "192.0.2.7");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_SELECTOPTS), CMDMON_STT_NOSUCHSOURCE);
    /* By refid (reference clocks): there are none. */
    addr_request(&q, NULL);
    q.u.selectopts.ref_id = 0x47505300;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_SELECTOPTS), CMDMON_STT_NOSUCHSOURCE);
    world_fini(&w);
}

static void test_offset(void)
{
    const char *lines[] = {"server 192.0.2.1", NULL};
    struct world w;
    struct cmdmon_request q;

    world_start(&w, lines);
    addr_request(&q, "192.0.2.1");
    q.u.offset.offset = -0.125;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_OFFSET), CMDMON_STT_SUCCESS);
    CHECK_NEAR(sources_engine_part(&w.n->srcs, 0)->client.opts.offset, -0.125, 1e-12);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new offset -0.125000"));
    addr_request(&q, "192.0.2.2");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_OFFSET), CMDMON_STT_NOSUCHSOURCE);
    addr_request(&q, NULL);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_OFFSET), CMDMON_STT_NOSUCHSOURCE);
    world_fini(&w);
}

static void test_reset_sources(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 1", NULL};
    struct world w;
    struct cmdmon_request q;
    struct sourcestats_report r;

    world_start(&w, lines);
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_RESET_SOURCES), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Reset all sources"));
    sourcestats_get_report(sources_engine_part(&w.n->srcs, 0)->stats, &w.f.now, &r);
    CHECK_INT_EQ(r.n_samples, 0);
    CHECK_INT_EQ(ntp_client_get_reach(&sources_engine_part(&w.n->srcs, 0)->client), 0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    /* Polling continues: the source comes back. */
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    world_fini(&w);
}

static void test_reload_sourcedirs(void)
{
    const char *lines[] = {"sourcedir /etc/chrony/sources.d", NULL};
    struct world w;
    struct cmdmon_request q;
    const struct source *kept;

    memset(&q, 0, sizeof(q));
    world_start(&w, lines);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 0);
    fake_env_put_file(&w.f, "/etc/chrony/sources.d/a.sources",
                      "server 192.0.2.5 iburst\nserver 192.0.2.6\npeer 192.0.2.8\n");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_RELOAD_SOURCES), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 3);
    CHECK(find(&w, "192.0.2.5") >= 0 && find(&w, "192.0.2.6") >= 0);
    CHECK(sources_engine_part(&w.n->srcs, find(&w, "192.0.2.8"))->client.opts.symmetric);
    kept = sources_get(&w.n->srcs, find(&w, "192.0.2.5"));
    /* Unchanged lines keep their sources; changed or removed lines go. */
    fake_env_put_file(&w.f, "/etc/chrony/sources.d/a.sources",
                      "server 192.0.2.5 iburst\nserver 192.0.2.6 prefer\nserver 192.0.2.7\n");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_RELOAD_SOURCES), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 3);
    CHECK(sources_get(&w.n->srcs, find(&w, "192.0.2.5")) == kept);
    CHECK_INT_EQ(sources_engine_part(&w.n->srcs, find(&w, "192.0.2.6"))->sel_options,
                 SELECT_OPT_PREFER);
    CHECK(find(&w, "192.0.2.7") >= 0);
    w.f.env.files.remove(w.f.env.files.ctx, "/etc/chrony/sources.d/a.sources");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_RELOAD_SOURCES), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 0);
    world_fini(&w);
}

static void test_sourcedir_at_start(void)
{
    const char *lines[] = {"server 192.0.2.1", "sourcedir /etc/sd", NULL};
    struct world w;

    world_init(&w);
    fake_env_put_file(&w.f, "/etc/sd/x.sources", "server 192.0.2.1\nserver 192.0.2.2\n");
    world_build(&w, lines);
    /* 192.0.2.1 is already used by the configuration. */
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    CHECK(find(&w, "192.0.2.2") >= 0);
    world_fini(&w);
}

/* A source whose replacement lookup is pending is deleted: it leaves the
 * table at once and is kept silent until the end (the lookup refers to it). */
static void test_delete_while_replacing(void)
{
    const char *lines[] = {"server 192.0.2.1 minpoll 0 maxpoll 0", "server 192.0.2.2", NULL};
    struct world w;
    struct cmdmon_request q;
    struct source *s;

    world_start(&w, lines);
    CHECK(ip_addr_parse(&w.watch, "192.0.2.1"));
    run(&w, 20.0);
    CHECK(w.n_watch > 0);
    s = w.n->srcs.v[find(&w, "192.0.2.1")];
    s->replacing = 1;
    addr_request(&q, "192.0.2.1");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK_INT_EQ(w.n->srcs.n_zombies, 1);
    /* It has no protocol state left in the engine: it cannot poll. */
    CHECK(sources_index(s) < 0);
    w.n_watch = 0;
    run(&w, 20.0);
    CHECK_INT_EQ(w.n_watch, 0);
    world_fini(&w);
}

static int test_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb,
                        void *arg)
{
    struct world *w = ctx;
    struct ip_addr ip;

    (void)family;
    if (strcmp(name, "ntp.test") == 0)
        cb(arg, w->n_dns ? 0 : 1, w->dns, w->n_dns);
    else if (ip_addr_parse(&ip, name))
        cb(arg, 0, &ip, 1);
    else
        cb(arg, 2, NULL, 0);
    return 0;
}

/* refresh: unresolved names are looked up again at once; a source given by
 * name keeps its address while the name still resolves to it, else moves. */
static void test_refresh(void)
{
    const char *lines[] = {"server ntp.test minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct cmdmon_request q;
    const struct source *s;

    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, test_resolve};
    world_build(&w, lines);
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(sources_count(&w.n->srcs), 0);
    CHECK_INT_EQ(sources_count_unresolved(&w.n->srcs), 1);
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.10"));
    w.n_dns = 1;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK_INT_EQ(sources_count_unresolved(&w.n->srcs), 0);
    s = sources_get(&w.n->srcs, 0);
    run(&w, 10.0);
    CHECK(ntp_client_get_reach(&ES(s)->client) != 0);
    CHECK(ip_addr_parse(&w.dns[1], "192.0.2.11"));
    w.n_dns = 2;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(find(&w, "192.0.2.10"), 0);
    CHECK(ntp_client_get_reach(&ES(s)->client) != 0);
    CHECK(!fake_env_log_contains(&w.f, "replaced"));
    w.dns[0] = w.dns[1];
    w.n_dns = 1;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK(sources_get(&w.n->srcs, 0) == s);
    CHECK_INT_EQ(find(&w, "192.0.2.11"), 0);
    CHECK_INT_EQ(ntp_client_get_reach(&ES(s)->client), 0);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.10 replaced with 192.0.2.11"));
    CHECK_INT_EQ((long)ES(s)->ref_id, 0xC000020BL);
    run(&w, 10.0);
    CHECK(ntp_client_get_reach(&ES(s)->client) != 0);
    world_fini(&w);
}

/* The per-source limits of chronyc (maxpoll, minstratum, polltarget, maxdelay,
 * maxdelayratio, maxdelaydevratio) reach the source's protocol state, maxupdateskew the
 * discipline, and an unknown address is "No such source". */
static void test_modify_limits(void)
{
    const char *lines[] = {"server 192.0.2.1 minpoll 0 maxpoll 6", NULL};
    struct world w;
    struct cmdmon_request q;
    const struct ntp_client_opts *o;
    static const uint16_t ints[] = {CMDMON_REQ_MODIFY_MAXPOLL, CMDMON_REQ_MODIFY_MINSTRATUM,
                                    CMDMON_REQ_MODIFY_POLLTARGET};
    static const uint16_t floats[] = {CMDMON_REQ_MODIFY_MAXDELAY, CMDMON_REQ_MODIFY_MAXDELAYRATIO,
                                      CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO};
    static const int ivals[] = {4, 3, 12};
    static const double fvals[] = {0.25, 3.0, 5.0};

    world_start(&w, lines);
    for (int i = 0; i < 3; i++) {
        addr_request(&q, "192.0.2.1");
        q.u.modify_int.value = ivals[i];
        CHECK_INT_EQ(control(&w, &q, ints[i]), CMDMON_STT_SUCCESS);
        addr_request(&q, "192.0.2.1");
        q.u.modify_float.value = fvals[i];
        CHECK_INT_EQ(control(&w, &q, floats[i]), CMDMON_STT_SUCCESS);
    }
    o = &sources_engine_part(&w.n->srcs, 0)->client.opts;
    CHECK_INT_EQ(o->maxpoll, 4);
    CHECK_INT_EQ(o->min_stratum, 3);
    CHECK_INT_EQ(o->polltarget, 12);
    CHECK_NEAR(o->max_delay, 0.25, 1e-12);
    CHECK_NEAR(o->max_delay_ratio, 3.0, 1e-12);
    CHECK_NEAR(o->max_delay_dev_ratio, 5.0, 1e-12);
    /* chrony's log lines, with the values in effect */
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxpoll 4"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new minstratum 3"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new polltarget 12"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxdelay 0.250000"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxdelayratio 3.000000"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxdelaydevratio 5.000000"));
    /* minpoll above maxpoll moves maxpoll along, both logged; out of range: nothing */
    addr_request(&q, "192.0.2.1");
    q.u.modify_int.value = 7;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_MINPOLL), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new minpoll 7"));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxpoll 7"));
    addr_request(&q, "192.0.2.1");
    q.u.modify_int.value = 40;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_MINPOLL), CMDMON_STT_SUCCESS);
    CHECK(!fake_env_log_contains(&w.f, "new minpoll 40"));
    addr_request(&q, "192.0.2.1");
    q.u.modify_float.value = 5000.0;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_MAXDELAY), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 new maxdelay 1000.000000"));
    memset(&q, 0, sizeof(q));
    q.u.value.value = 200.0;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_MAXUPDATESKEW), CMDMON_STT_SUCCESS);
    CHECK_NEAR(w.n->engine.disc.cfg.max_update_skew_ppm, 200.0, 1e-12);
    CHECK(fake_env_log_contains(&w.f, "New maxupdateskew 200.000000 ppm"));
    addr_request(&q, "192.0.2.9");
    q.u.modify_int.value = 4;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_MODIFY_MAXPOLL), CMDMON_STT_NOSUCHSOURCE);
    world_fini(&w);
}

/* The `refresh` directive: while the source answers, its name is looked up again once it
 * was resolved more than `refresh` seconds ago, and the source moves when the name moved;
 * `refresh 0` never does. */
static void test_refresh_directive(void)
{
    const char *lines[] = {"server ntp.test minpoll 0 maxpoll 0", "refresh 30", NULL};
    const char *off[] = {"server ntp.test minpoll 0 maxpoll 0", "refresh 0", NULL};
    struct world w;
    const struct source *s;

    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, test_resolve};
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.10"));
    w.n_dns = 1;
    world_build(&w, lines);
    s = sources_get(&w.n->srcs, 0);
    CHECK(s != NULL);
    run(&w, 20.0);
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.11"));
    run(&w, 5.0);
    CHECK_INT_EQ(find(&w, "192.0.2.10"), 0); /* resolved 25 s ago: not yet */
    run(&w, 10.0);
    CHECK_INT_EQ(find(&w, "192.0.2.11"), 0);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.10 replaced with 192.0.2.11"));
    world_fini(&w);

    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, test_resolve};
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.10"));
    w.n_dns = 1;
    world_build(&w, off);
    run(&w, 20.0);
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.11"));
    run(&w, 60.0);
    CHECK_INT_EQ(find(&w, "192.0.2.10"), 0);
    world_fini(&w);
}

/* chronyc activity's "sources with unknown address" never goes below zero: a name that
 * resolved and whose source was deleted, re-added and refreshed is not counted twice. */
static int unresolved_count(struct world *w)
{
    struct cmdmon_request q;
    struct cmdmon_reply rpy;

    memset(&q, 0, sizeof(q));
    memset(&rpy, 0, sizeof(rpy));
    q.command = CMDMON_REQ_ACTIVITY;
    cmdmon_execute(&w->n->cmd, &q, &w->f.now, &rpy);
    CHECK_INT_EQ(rpy.reply, CMDMON_RPY_ACTIVITY);
    return rpy.u.activity.unresolved;
}

static void test_activity_unresolved(void)
{
    const char *lines[] = {"server ntp.test minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct cmdmon_request q;

    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, test_resolve};
    world_build(&w, lines);
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(unresolved_count(&w), 1);
    CHECK(ip_addr_parse(&w.dns[0], "192.0.2.10"));
    w.n_dns = 1;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 0);
    /* Removed after it resolved: its directive goes with it, counted once. */
    addr_request(&q, "192.0.2.10");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 0);
    /* Added again while the name does not resolve, then resolved by a refresh. */
    w.n_dns = 0;
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "ntp.test", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 1);
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 1);
    w.n_dns = 1;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 0);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 0);
    addr_request(&q, "192.0.2.10");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(unresolved_count(&w), 0);
    world_fini(&w);
}

/* A resolver whose answers the test gives later, in any order. */
struct deferred {
    char name[64];
    resolve_cb cb;
    void *arg;
};
static struct deferred pending[8];
static int n_pending;

static int deferred_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb,
                            void *arg)
{
    (void)ctx;
    (void)family;
    CHECK(n_pending < 8);
    snprintf(pending[n_pending].name, sizeof(pending[0].name), "%s", name);
    pending[n_pending].cb = cb;
    pending[n_pending].arg = arg;
    n_pending++;
    return 0;
}

/* Answer the pending lookup of name with addresses a (and b). */
static void deferred_answer(const char *name, const char *a, const char *b)
{
    struct ip_addr ip[2];
    int n = 0;

    CHECK(ip_addr_parse(&ip[n++], a));
    if (b)
        CHECK(ip_addr_parse(&ip[n++], b));
    for (int i = 0; i < n_pending; i++) {
        struct deferred d = pending[i];
        if (strcmp(d.name, name) != 0)
            continue;
        memmove(&pending[i], &pending[i + 1], sizeof(pending[0]) * (size_t)(n_pending - i - 1));
        n_pending--;
        d.cb(d.arg, 0, ip, n);
        return;
    }
    CHECK(!"no pending lookup");
}

/* The address of row index of chronyc sources ("ID#n" for a placeholder). */
static const char *row_name(struct world *w, int index, uint16_t command, char *buf, size_t len)
{
    struct cmdmon_request q;
    struct cmdmon_reply rpy;
    const struct cmdmon_addr *a;
    struct ip_addr ip;

    memset(&q, 0, sizeof(q));
    memset(&rpy, 0, sizeof(rpy));
    q.command = command;
    q.u.index.index = index;
    cmdmon_execute(&w->n->cmd, &q, &w->f.now, &rpy);
    if (rpy.status != CMDMON_STT_SUCCESS)
        return "none";
    a = command == CMDMON_REQ_SOURCE_DATA   ? &rpy.u.source_data.ip
        : command == CMDMON_REQ_SOURCESTATS ? &rpy.u.sourcestats.ip
                                            : &rpy.u.select_data.ip;
    if (a->family == CMDMON_AF_ID) {
        snprintf(buf, len, "ID#%010u", (unsigned)get_be32(a->bytes));
        return buf;
    }
    cmdmon_addr_to_ip(a, &ip);
    return ip_addr_format(&ip, buf, len);
}

static int n_rows(struct world *w)
{
    struct cmdmon_request q;
    struct cmdmon_reply rpy;

    memset(&q, 0, sizeof(q));
    memset(&rpy, 0, sizeof(rpy));
    q.command = CMDMON_REQ_N_SOURCES;
    cmdmon_execute(&w->n->cmd, &q, &w->f.now, &rpy);
    return (int)rpy.u.n_sources.n_sources;
}

#define ROW(i) row_name(&w, (i), CMDMON_REQ_SOURCE_DATA, buf, sizeof(buf))

/* Sources given by name keep their directive's place while their names resolve, as
 * chrony's: an unresolved one is a placeholder row (ID#, a pool 2 x maxsources of them),
 * and the resolved source takes its place, not the end of the list. */
static void test_rows_in_configuration_order(void)
{
    const char *lines[] = {"server a.test minpoll 3", "server 192.0.2.1",
                           "pool p.test maxsources 2", "peer b.test", NULL};
    struct world w;
    struct cmdmon_request q;
    struct cmdmon_reply rpy;
    char buf[64];

    n_pending = 0;
    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, deferred_resolve};
    world_build(&w, lines);
    CHECK_INT_EQ(n_pending, 3);
    CHECK_INT_EQ(n_rows(&w), 7);
    CHECK_STR_EQ(ROW(0), "ID#0000000001");
    CHECK_STR_EQ(ROW(1), "192.0.2.1");
    CHECK_STR_EQ(ROW(2), "ID#0000000002");
    CHECK_STR_EQ(ROW(5), "ID#0000000005");
    CHECK_STR_EQ(ROW(6), "ID#0000000006");
    CHECK_STR_EQ(ROW(7), "none");
    CHECK_STR_EQ(row_name(&w, 2, CMDMON_REQ_SOURCESTATS, buf, sizeof(buf)), "ID#0000000002");
    CHECK_STR_EQ(row_name(&w, 6, CMDMON_REQ_SELECT_DATA, buf, sizeof(buf)), "ID#0000000006");
    CHECK_INT_EQ(unresolved_count(&w), 6);
    /* The placeholder as chrony reports an unresolved source. */
    memset(&q, 0, sizeof(q));
    memset(&rpy, 0, sizeof(rpy));
    q.command = CMDMON_REQ_SOURCE_DATA;
    q.u.index.index = 6;
    cmdmon_execute(&w.n->cmd, &q, &w.f.now, &rpy);
    CHECK_INT_EQ(rpy.u.source_data.mode, CMDMON_MODE_PEER);
    CHECK_INT_EQ(rpy.u.source_data.state, CMDMON_SRC_NONSELECTABLE);
    CHECK_INT_EQ(rpy.u.source_data.poll, 6);
    CHECK_INT_EQ((long)rpy.u.source_data.since_sample, (long)CMDMON_NO_SAMPLE);
    q.u.index.index = 0;
    cmdmon_execute(&w.n->cmd, &q, &w.f.now, &rpy);
    CHECK_INT_EQ(rpy.u.source_data.poll, 3);
    q.command = CMDMON_REQ_SOURCESTATS;
    cmdmon_execute(&w.n->cmd, &q, &w.f.now, &rpy);
    CHECK_INT_EQ((long)rpy.u.sourcestats.ref_id, 0);
    CHECK(fabs(rpy.u.sourcestats.sd - 4.0) < 1e-9 &&
          fabs(rpy.u.sourcestats.skew_ppm - 2000.0) < 1e-6);
    q.command = CMDMON_REQ_SELECT_DATA;
    cmdmon_execute(&w.n->cmd, &q, &w.f.now, &rpy);
    CHECK_INT_EQ(rpy.u.select_data.state_char, 'M');
    /* sourcename ID#n: the directive's name. */
    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_NTP_SOURCE_NAME;
    q.u.address.ip.family = CMDMON_AF_ID;
    put_be32(q.u.address.ip.bytes, 3);
    cmdmon_execute(&w.n->cmd, &q, &w.f.now, &rpy);
    CHECK_INT_EQ(rpy.status, CMDMON_STT_SUCCESS);
    CHECK_STR_EQ((const char *)rpy.u.source_name.name, "p.test");
    /* Resolved last to first: each takes its directive's place. */
    deferred_answer("b.test", "192.0.2.20", NULL);
    CHECK_STR_EQ(ROW(6), "192.0.2.20");
    deferred_answer("a.test", "192.0.2.10", NULL);
    CHECK_STR_EQ(ROW(0), "192.0.2.10");
    CHECK_STR_EQ(ROW(1), "192.0.2.1");
    CHECK_INT_EQ(unresolved_count(&w), 4);
    /* delete ID#n removes one placeholder of the pool. */
    memset(&q, 0, sizeof(q));
    q.u.address.ip.family = CMDMON_AF_ID;
    put_be32(q.u.address.ip.bytes, 2);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_NOSUCHSOURCE);
    CHECK_INT_EQ(unresolved_count(&w), 3);
    CHECK_STR_EQ(ROW(2), "ID#0000000003");
    deferred_answer("p.test", "192.0.2.30", "192.0.2.31");
    CHECK_INT_EQ(n_rows(&w), 5);
    CHECK_STR_EQ(ROW(2), "192.0.2.30");
    CHECK_STR_EQ(ROW(3), "192.0.2.31");
    CHECK_STR_EQ(ROW(4), "192.0.2.20");
    CHECK_INT_EQ(unresolved_count(&w), 0);
    /* A source added at run time comes last, its placeholder too. */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "c.test", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK_STR_EQ(ROW(5), "ID#0000000007");
    addr_request(&q, "192.0.2.10");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.11", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK_STR_EQ(ROW(0), "192.0.2.1");
    CHECK_STR_EQ(ROW(4), "ID#0000000007");
    CHECK_STR_EQ(ROW(5), "192.0.2.11");
    deferred_answer("c.test", "192.0.2.40", NULL);
    CHECK_STR_EQ(ROW(4), "192.0.2.40");
    world_fini(&w);
}

/* chrony's "Added source", "Added pool" and "Removed source" messages at INFO for chronyc
 * add/delete and sourcedir files (at DEBUG for the configuration file). */
static void test_added_removed_logged(void)
{
    const char *lines[] = {"server 192.0.2.1", "sourcedir /etc/sd", NULL};
    struct world w;
    struct cmdmon_request q;

    n_pending = 0;
    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, deferred_resolve};
    w.f.logger.min_level = LOGL_INFO;
    fake_env_put_file(&w.f, "/etc/sd/a.sources", "server 192.0.2.5\npool q.test\nserver r.test\n");
    world_build(&w, lines);
    CHECK(!fake_env_log_contains(&w.f, "192.0.2.1"));
    CHECK(fake_env_log_contains(&w.f, "Added source 192.0.2.5"));
    CHECK(fake_env_log_contains(&w.f, "Added pool q.test"));
    CHECK(fake_env_log_contains(&w.f, "Added source ID#0000000009 (r.test)"));
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.2", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Added source 192.0.2.2"));
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "c.test", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Added source ID#0000000010 (c.test)"));
    CHECK_INT_EQ(add(&w, CMDMON_ADD_POOL, "p.test", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Added pool p.test"));
    /* A pool of an address is one source to chrony. */
    CHECK_INT_EQ(add(&w, CMDMON_ADD_POOL, "192.0.2.3", CMDMON_SRC_ONLINE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Added source 192.0.2.3"));
    /* Already in use: nothing added, nothing logged. */
    w.f.n_log = 0;
    CHECK_INT_EQ(add(&w, CMDMON_ADD_SERVER, "192.0.2.2", CMDMON_SRC_ONLINE),
                 CMDMON_STT_SOURCEALREADYKNOWN);
    CHECK_INT_EQ(w.f.n_log, 0);
    addr_request(&q, "192.0.2.2");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Removed source 192.0.2.2"));
    deferred_answer("c.test", "192.0.2.40", NULL);
    addr_request(&q, "192.0.2.40");
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Removed source 192.0.2.40 (c.test)"));
    memset(&q, 0, sizeof(q));
    q.u.address.ip.family = CMDMON_AF_ID;
    put_be32(q.u.address.ip.bytes, 11);
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DEL_SOURCE), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Removed source ID#0000000011 (p.test)"));
    /* The sourcedir file goes: its sources, once for the pool. */
    deferred_answer("q.test", "192.0.2.50", "192.0.2.51");
    w.f.n_log = 0;
    w.f.env.files.remove(w.f.env.files.ctx, "/etc/sd/a.sources");
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_RELOAD_SOURCES), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Removed source 192.0.2.5"));
    CHECK(fake_env_log_contains(&w.f, "Removed pool q.test"));
    CHECK(fake_env_log_contains(&w.f, "Removed source ID#0000000009 (r.test)"));
    CHECK_INT_EQ(w.f.n_log, 3);
    world_fini(&w);
}

static void test_refresh_onoffline(void)
{
    const char *lines[] = {"server 192.0.2.1 offline", NULL};
    struct world w;
    struct cmdmon_request q;

    world_start(&w, lines);
    memset(&q, 0, sizeof(q));
    CHECK(!ntp_client_is_online(&sources_engine_part(&w.n->srcs, 0)->client));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_ONOFFLINE), CMDMON_STT_SUCCESS);
    CHECK(ntp_client_is_online(&sources_engine_part(&w.n->srcs, 0)->client));
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 online"));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_REFRESH), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    world_fini(&w);
}

/* leapseclist: the list is read again in every new 12-hour period, as chrony's leap
 * second database, and TAI - UTC from it goes to the clock with the leap status. */
static void test_leap_list_reread(void)
{
    static const char *head = "#$ 3913056000\n#@ 4291747200\n2272060800 10\n3439756800 34\n"
                              "3550089600 35\n3644697600 36\n3692217600 37\n";
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 4 maxpoll 6", "leapseclist /leap.list",
                           NULL};
    char text[512];
    struct world w;

    world_init(&w);
    fake_env_set_time(&w.f, 1780272000L + 3600, 0); /* 2026-06-01 01:00 UTC */
    fake_env_put_file(&w.f, "/leap.list", head);
    world_build(&w, lines);
    CHECK(fake_env_log_contains(&w.f, "Using leap second list /leap.list"));
    run(&w, 120.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    CHECK_INT_EQ(w.f.tai_offset, 37);
    /* a changed list is not read again within the period ... */
    snprintf(text, sizeof(text), "%s3976214400 38\n", head);
    fake_env_put_file(&w.f, "/leap.list", text);
    run(&w, 3600.0);
    CHECK_INT_EQ(w.f.tai_offset, 37);
    /* ... but after 12:00 UTC */
    run(&w, 12 * 3600.0);
    CHECK_INT_EQ(w.f.tai_offset, 38);
    /* a list that cannot be parsed any more: chrony's error, no offset until it is good */
    w.f.n_log = 0;
    fake_env_put_file(&w.f, "/leap.list", "garbage\n");
    run(&w, 12 * 3600.0);
    CHECK(fake_env_log_contains(&w.f, "Failed to parse leap seconds list /leap.list"));
    CHECK_INT_EQ(w.f.tai_offset, 0);
    fake_env_put_file(&w.f, "/leap.list", head);
    run(&w, 12 * 3600.0);
    CHECK_INT_EQ(w.f.tai_offset, 37);
    world_fini(&w);
}

static void test_local(void)
{
    struct world w;
    struct cmdmon_request q;
    struct ntp_server_ref ref;

    world_start(&w, NULL);
    node_get_served_ref(w.n, &w.f.now, &ref);
    CHECK_INT_EQ(ref.leap, 3);
    memset(&q, 0, sizeof(q));
    q.u.local.on_off = 1;
    q.u.local.stratum = 5;
    q.u.local.distance = 1.0;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_LOCAL3), CMDMON_STT_SUCCESS);
    node_get_served_ref(w.n, &w.f.now, &ref);
    CHECK_INT_EQ(ref.leap, 0);
    CHECK_INT_EQ(ref.stratum, 5);
    CHECK_INT_EQ((long)ref.ref_id, 0x7F7F0101L);
    CHECK(fake_env_log_contains(&w.f, "Enabled local reference mode"));
    memset(&q, 0, sizeof(q));
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_LOCAL3), CMDMON_STT_SUCCESS);
    node_get_served_ref(w.n, &w.f.now, &ref);
    CHECK_INT_EQ(ref.leap, 3);
    CHECK(fake_env_log_contains(&w.f, "Disabled local reference mode"));
    world_fini(&w);
}

static void test_dfreq_doffset(void)
{
    struct world w;
    struct cmdmon_request q;
    struct disc_tracking t;

    world_start(&w, NULL);
    memset(&q, 0, sizeof(q));
    /* Positive = the clock is fast (chronyd then reports "10.000 ppm fast"). */
    q.u.value.value = 10.0;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DFREQ), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Accumulated delta freq of 10.000ppm"));
    reference_get_tracking(&w.n->ref, &w.f.now, &t);
    CHECK_NEAR(t.freq_ppm, 10.0, 1e-6);
    q.u.value.value = 0.5;
    CHECK_INT_EQ(control(&w, &q, CMDMON_REQ_DOFFSET2), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Accumulated delta offset of 0.500000 seconds"));
    CHECK_NEAR(clock_remaining_offset(&w.n->engine.clock, &w.f.now), 0.5, 1e-3);
    world_fini(&w);
}

/* The whole path: a datagram on the Unix command socket. */
static void test_through_socket(void)
{
    const char *lines[] = {"bindcmdaddress /tmp/cmdtest/chronyd.sock", NULL};
    struct world w;
    struct cmdmon_request q;
    struct cmdmon_reply r;
    struct net_rx rx;
    uint8_t buf[CMDMON_MAX_REQ_LEN];
    size_t len;

    world_start(&w, lines);
    add_request(&q, CMDMON_ADD_SERVER, "192.0.2.1", CMDMON_SRC_ONLINE);
    q.version = CMDMON_PROTO_VERSION;
    q.command = CMDMON_REQ_ADD_SOURCE;
    for (int i = 0; i < 2; i++) {
        len = cmdmon_encode_request(&q, buf, sizeof(buf));
        CHECK(len > 0);
        memset(&rx, 0, sizeof(rx));
        rx.data = buf;
        rx.len = len;
        rx.sock = w.n->cmd.unix_sock;
        snprintf(rx.remote.path, sizeof(rx.remote.path), "/tmp/cmdtest/c.sock");
        w.f.n_sent = 0;
        node_on_datagram(w.n, &rx, &w.f.now);
        CHECK_INT_EQ(w.f.n_sent, 1);
        CHECK(cmdmon_decode_reply(w.f.sent[0].data, w.f.sent[0].len, &r) == CMDMON_OK);
        CHECK_INT_EQ(r.status, i == 0 ? CMDMON_STT_SUCCESS : CMDMON_STT_SOURCEALREADYKNOWN);
    }
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    world_fini(&w);
}

/* The rows as they were built before they were kept (a scan of every source for each
 * directive, in directive order): the reference the kept rows are checked against. */
static int rows_reference(const struct sources *ss, struct source_row *r)
{
    size_t order[1024], n_order = 0;
    int n = 0;

    for (size_t i = 0; i < ss->n_entries; i++) {
        size_t j;
        if (!ss->entries[i].cfg)
            continue;
        for (j = n_order; j > 0 && ss->entries[order[j - 1]].seq > ss->entries[i].seq; j--)
            order[j] = order[j - 1];
        order[j] = i;
        n_order++;
    }
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i]->refclock)
            r[n++] = (struct source_row){i, 0, 0};
    for (size_t k = 0; k < n_order; k++) {
        const struct source_entry *e = &ss->entries[order[k]];
        for (int i = 0; i < ss->n; i++)
            if (ss->v[i]->cfg_index == (int)order[k])
                r[n++] = (struct source_row){i, order[k], 0};
        for (int i = 0; sources_entry_unresolved(e) && i < e->n_ids; i++)
            r[n++] = (struct source_row){-1, order[k], e->ids[i]};
    }
    return n;
}

static int rows_match_reference(struct world *w)
{
    static struct source_row ref[2048];
    const struct source_row *rows;
    int n = sources_rows(&w->n->srcs, &rows), n_ref = rows_reference(&w->n->srcs, ref);

    if (n != n_ref)
        return 0;
    for (int i = 0; i < n; i++)
        if (rows[i].source != ref[i].source || rows[i].entry != ref[i].entry ||
            rows[i].id != ref[i].id)
            return 0;
    return 1;
}

/* The kept rows (built once per change, in linear time, for chronyc's one request per
 * row) against the reference, through random additions of addresses and names,
 * deletions by address and by placeholder, and lookups answered in any order, with the
 * directive slots of deleted sources reused. */
static void test_rows_random_changes(void)
{
    const char *lines[] = {"server 192.0.2.1", "server a.test", "pool p.test maxsources 2",
                           "server 192.0.2.2", NULL};
    uint32_t seed = 20261207, x = seed;
    struct world w;
    struct cmdmon_request q;
    char name[32], addr[32];
    int next_addr = 10, bad = 0;

    printf("# test_rows_random_changes seed %u\n", (unsigned)seed);
    n_pending = 0;
    world_init(&w);
    w.f.env.resolver = (struct env_resolver){&w, deferred_resolve};
    world_build(&w, lines);
    for (int step = 0; step < 600 && !bad; step++) {
        const struct sources *ss = &w.n->srcs;
        x = x * 1103515245u + 12345u;
        switch ((x >> 16) % 5) {
        case 0: /* an address */
            snprintf(addr, sizeof(addr), "198.51.%d.%d", next_addr / 250, next_addr % 250 + 1);
            next_addr++;
            (void)add(&w, CMDMON_ADD_SERVER, addr, CMDMON_SRC_ONLINE);
            break;
        case 1: /* a name, resolved later */
            if (n_pending < 6) {
                snprintf(name, sizeof(name), "n%d.test", step);
                (void)add(&w, (x >> 8) & 1 ? CMDMON_ADD_POOL : CMDMON_ADD_SERVER, name,
                          CMDMON_SRC_ONLINE);
            }
            break;
        case 2: /* a pending lookup answered */
            if (n_pending > 0) {
                struct deferred d = pending[(x >> 8) % (uint32_t)n_pending];
                char a2[32];
                snprintf(addr, sizeof(addr), "203.0.%d.%d", next_addr / 250, next_addr % 250 + 1);
                snprintf(a2, sizeof(a2), "203.0.%d.%d", (next_addr + 1) / 250,
                         (next_addr + 1) % 250 + 1);
                next_addr += 2;
                deferred_answer(d.name, addr, (x >> 9) & 1 ? a2 : NULL);
            }
            break;
        case 3: /* a source deleted by address */
            if (ss->n > 0) {
                char b[64];
                const struct source *s = ss->v[(x >> 8) % (uint32_t)ss->n];
                addr_request(&q, ip_addr_format(&s->remote.ip, b, sizeof(b)));
                (void)control(&w, &q, CMDMON_REQ_DEL_SOURCE);
            }
            break;
        default: /* a placeholder deleted */
            for (size_t i = 0; i < ss->n_entries; i++) {
                const struct source_entry *e = &ss->entries[i];
                if (sources_entry_unresolved(e) && (x >> 8) % 3 == 0) {
                    memset(&q, 0, sizeof(q));
                    q.u.address.ip.family = CMDMON_AF_ID;
                    put_be32(q.u.address.ip.bytes, e->ids[e->n_ids - 1]);
                    (void)control(&w, &q, CMDMON_REQ_DEL_SOURCE);
                    break;
                }
            }
            break;
        }
        if (!rows_match_reference(&w)) {
            printf("# rows differ after step %d\n", step);
            bad = 1;
        }
    }
    CHECK(!bad);
    CHECK(w.n->srcs.n > 20); /* the table did grow */
    world_fini(&w);
}

int main(void)
{
    RUN(test_add_server_selected);
    RUN(test_add_invalid);
    RUN(test_add_options);
    RUN(test_too_many_sources);
    RUN(test_delete);
    RUN(test_delete_selected_unsynchronises);
    RUN(test_selectopts);
    RUN(test_offset);
    RUN(test_reset_sources);
    RUN(test_reload_sourcedirs);
    RUN(test_sourcedir_at_start);
    RUN(test_delete_while_replacing);
    RUN(test_refresh);
    RUN(test_refresh_directive);
    RUN(test_modify_limits);
    RUN(test_activity_unresolved);
    RUN(test_rows_in_configuration_order);
    RUN(test_rows_random_changes);
    RUN(test_added_removed_logged);
    RUN(test_refresh_onoffline);
    RUN(test_local);
    RUN(test_leap_list_reread);
    RUN(test_dfreq_doffset);
    RUN(test_through_socket);
    return check_summary();
}
