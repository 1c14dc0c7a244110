/* Sources end to end through the shared fake environment: the node polls a
 * fake server (replies encoded with proto/ntp), gets samples, selects the
 * source, steers the clock and serves stratum + 1. The local clock of the
 * test advances at the rate the node sets through env->clock.set_freq. */
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
    struct timespec true_now; /* true time */
    double intrinsic_ppm;     /* local clock frequency error, positive = fast */
    int stratum;              /* of the fake server */
    double delay;             /* s, round trip */
    int answer;               /* 0: the server is down */
    int kod_rate;             /* 1: the server answers with KoD RATE */
    const char *dead;         /* address of a server that never answers */
    int n_requests;
    struct timespec last_request; /* true time */
    double min_gap;               /* s, shortest interval between two requests */
};

static void world_init(struct world *w, const char **lines, double offset, double freq_ppm)
{
    char err[256];

    memset(w, 0, sizeof(*w));
    fake_env_init(&w->f);
    w->f.control = 1;
    w->true_now = w->f.now;
    ts_add(&w->f.now, &w->f.now, offset);
    w->intrinsic_ppm = freq_ppm;
    w->stratum = 1;
    w->delay = 0.002;
    w->answer = 1;
    w->min_gap = 1e9;
    w->cfg = config_new();
    for (int i = 0; lines[i]; i++) {
        int r = config_parse_line(w->cfg, lines[i], NULL, i + 1, &w->f.env.files, err, sizeof(err));
        if (r != 0)
            printf("  config error: %s\n", err);
        CHECK(r == 0);
    }
}

static void world_start(struct world *w)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8};
    w->n = node_new(w->cfg, &w->f.env, &o);
    CHECK(node_start(w->n, &w->f.now, err, sizeof(err)) == 0);
}

static void world_fini(struct world *w)
{
    node_free(w->n);
    config_free(w->cfg);
    fake_env_fini(&w->f);
}

/* Advance true time by dt; the local clock runs at its intrinsic rate plus
 * the frequency the node set (driver convention: positive = faster). */
static void advance(struct world *w, double dt)
{
    ts_add(&w->true_now, &w->true_now, dt);
    ts_add(&w->f.now, &w->f.now, dt * (1.0 + (w->intrinsic_ppm + w->f.freq_ppm) * 1e-6));
}

static double local_error(const struct world *w)
{
    return ts_diff(&w->f.now, &w->true_now);
}

static void reply(struct world *w, const struct fake_sent *req)
{
    struct ntp_packet q, r;
    uint8_t buf[NTP_HEADER_LEN];
    struct timespec srv_rx, srv_tx, ref;
    struct net_rx rx;

    if (ntp_decode(req->data, req->len, &q, NULL) != NTP_OK || q.mode != NTP_MODE_CLIENT)
        return;
    if (w->n_requests++ > 0 && ts_diff(&w->true_now, &w->last_request) < w->min_gap)
        w->min_gap = ts_diff(&w->true_now, &w->last_request);
    w->last_request = w->true_now;
    if (!w->answer)
        return;
    if (w->dead) {
        struct ip_addr dead;
        ip_addr_parse(&dead, w->dead);
        if (ip_addr_equal(&dead, &req->remote.ip))
            return;
    }
    advance(w, w->delay / 2);
    srv_rx = w->true_now;
    ts_add(&srv_tx, &srv_rx, 1e-5);
    ts_add(&ref, &srv_rx, -10.0);
    memset(&r, 0, sizeof(r));
    r.leap = 0;
    r.version = q.version;
    r.mode = NTP_MODE_SERVER;
    r.stratum = (uint8_t)w->stratum;
    r.poll = q.poll;
    r.precision = -20;
    r.root_delay = ntp_short_from_double(0.0001);
    r.root_dispersion = ntp_short_from_double(0.0001);
    r.ref_id = 0x47505300; /* "GPS" */
    if (w->kod_rate) {
        r.leap = NTP_LEAP_UNSYNC;
        r.stratum = 0;
        r.ref_id = 0x52415445; /* "RATE" */
    }
    ntp_ts64_from_timespec(&r.ref_ts, &ref);
    r.origin_ts = q.tx_ts;
    ntp_ts64_from_timespec(&r.rx_ts, &srv_rx);
    ntp_ts64_from_timespec(&r.tx_ts, &srv_tx);
    CHECK(ntp_encode(&r, buf, sizeof(buf)) == NTP_HEADER_LEN);
    advance(w, w->delay / 2 + 1e-5);
    memset(&rx, 0, sizeof(rx));
    rx.sock = req->sock;
    rx.data = buf;
    rx.len = sizeof(buf);
    rx.remote = req->remote;
    ip_addr_parse(&rx.local.ip, "192.0.2.100"); /* our address (IP_PKTINFO) */
    rx.rx_ts = w->f.now;
    node_on_datagram(w->n, &rx, &w->f.now);
}

static void serve_sent(struct world *w)
{
    /* Copy first: replies may make the node send again. */
    struct fake_sent sent[FAKE_MAX_SENT];
    int n = w->f.n_sent;
    memcpy(sent, w->f.sent, sizeof(sent[0]) * (size_t)n);
    w->f.n_sent = 0;
    for (int i = 0; i < n; i++)
        reply(w, &sent[i]);
}

/* Run for `seconds` of true time. */
static void run(struct world *w, double seconds)
{
    struct timespec end, when;

    ts_add(&end, &w->true_now, seconds);
    while (ts_cmp(&w->true_now, &end) < 0) {
        double rate = 1.0 + (w->intrinsic_ppm + w->f.freq_ppm) * 1e-6;
        double dt = ts_diff(&end, &w->true_now);
        if (node_next_timeout(w->n, &when)) {
            double to = ts_diff(&when, &w->f.now) / rate;
            if (to < dt)
                dt = to > 0.0 ? to : 0.0;
        }
        advance(w, dt);
        node_on_timer(w->n, &w->f.now);
        serve_sent(w);
    }
}

/* The same as the platform loop does it: the time is read once per wake-up into a copy
 * that the node's calls get (a step made during the wake-up does not move it), and the
 * loop tells the node when it expects to wake up. */
static void run_loop(struct world *w, double seconds)
{
    struct timespec end, when, now;

    ts_add(&end, &w->true_now, seconds);
    while (ts_cmp(&w->true_now, &end) < 0) {
        double rate = 1.0 + (w->intrinsic_ppm + w->f.freq_ppm) * 1e-6;
        double dt = ts_diff(&end, &w->true_now);
        if (node_next_timeout(w->n, &when)) {
            double to = ts_diff(&when, &w->f.now) / rate;
            if (to < dt)
                dt = to > 0.0 ? to : 0.0;
        }
        advance(w, dt);
        now = w->f.now;
        node_on_timer(w->n, &now);
        serve_sent(w);
    }
}

static void served(struct world *w, struct ntp_server_ref *ref)
{
    node_get_served_ref(w->n, &w->f.now, ref);
}

static void test_sync_to_server(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 2", "allow", NULL};
    struct world w;
    struct ntp_server_ref ref;
    struct disc_tracking t;

    world_init(&w, lines, 0.05, 20.0);
    world_start(&w);
    served(&w, &ref);
    CHECK_INT_EQ(ref.leap, 3);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    run(&w, 300.0);
    CHECK(w.n_requests > 20);
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.1"));
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    served(&w, &ref);
    CHECK_INT_EQ(ref.leap, 0);
    CHECK_INT_EQ(ref.stratum, 2);
    CHECK_INT_EQ((long)ref.ref_id, 0xC0000201L);
    CHECK(ref.root_delay > 0.002 && ref.root_delay < 0.01);
    /* The frequency error was measured and compensated by the driver. */
    CHECK_NEAR(w.f.freq_ppm, -20.0, 1.0);
    reference_get_tracking(&w.n->ref, &w.f.now, &t);
    CHECK_INT_EQ(t.stratum, 2);
    CHECK_NEAR(t.freq_ppm, 20.0, 1.0);
    /* Cooked time is close to true time. */
    {
        struct timespec cooked;
        reference_cooked_time(&w.n->ref, &w.f.now, &cooked, NULL);
        CHECK_NEAR(ts_diff(&cooked, &w.true_now), 0.0, 0.005);
    }
    world_fini(&w);
}

static void test_stratum_follows_source(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct ntp_server_ref ref;

    world_init(&w, lines, 0.0, 0.0);
    w.stratum = 3;
    world_start(&w);
    run(&w, 60.0);
    served(&w, &ref);
    CHECK_INT_EQ(ref.stratum, 4);
    world_fini(&w);
}

static int source_named(struct world *w, int index, const char *name)
{
    const struct source *s = sources_get(&w->n->srcs, index);
    return s && strcmp(s->name, name) == 0;
}

/* initstepslew: its host is polled alone first (a name that does not resolve is left out
 * with chrony's warning), its first estimate steps the clock, then it is removed and the
 * configured server starts; selection messages only in normal operation. */
static void test_initstepslew_step(void)
{
    const char *lines[] = {"initstepslew 1 192.0.2.1 no.such.name",
                           "server 192.0.2.2 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;

    world_init(&w, lines, 5.0, 0.0);
    world_start(&w);
    run(&w, 1.0);
    CHECK(fake_env_log_contains(&w.f,
                                "Could not resolve address of initstepslew server no.such.name"));
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK(source_named(&w, 0, "192.0.2.1"));
    CHECK_INT_EQ(node_init_running(w.n), 1);
    run(&w, 30.0);
    CHECK(fake_env_log_contains(&w.f, "System's initial offset : 5.0"));
    CHECK(fake_env_log_contains(&w.f, " seconds fast of true (step)"));
    CHECK_NEAR(w.f.stepped, 5.0, 0.01);
    CHECK_NEAR(local_error(&w), 0.0, 0.01);
    CHECK_INT_EQ(node_init_running(w.n), 0);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK(source_named(&w, 0, "192.0.2.2"));
    CHECK(!fake_env_log_contains(&w.f, "Selected source 192.0.2.1"));
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.2"));
    CHECK(!fake_env_log_contains(&w.f, "System clock was stepped"));
    world_fini(&w);
}

/* Below the threshold the offset is slewed; a host that never answers ends the mode with
 * chrony's warning and nothing corrected. */
static void test_initstepslew_slew_and_dead(void)
{
    const char *slew[] = {"initstepslew 10 192.0.2.1",
                          "server 192.0.2.2 iburst minpoll 0 maxpoll 0", NULL};
    const char *dead[] = {"initstepslew 1 192.0.2.1", "server 192.0.2.2 iburst minpoll 0 maxpoll 0",
                          NULL};
    struct world w;

    world_init(&w, slew, 5.0, 0.0);
    world_start(&w);
    run(&w, 30.0);
    CHECK(fake_env_log_contains(&w.f, " seconds fast of true (slew)"));
    CHECK_NEAR(w.f.stepped, 0.0, 1e-9);
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.2"));
    world_fini(&w);

    world_init(&w, dead, 5.0, 0.0);
    w.dead = "192.0.2.1";
    world_start(&w);
    run(&w, 30.0);
    CHECK(fake_env_log_contains(&w.f, "No suitable source for initstepslew"));
    CHECK(!fake_env_log_contains(&w.f, "initial offset"));
    CHECK_NEAR(w.f.stepped, 0.0, 1e-9);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK(source_named(&w, 0, "192.0.2.2"));
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.2"));
    world_fini(&w);
}

/* -q: the initstepslew hosts make the one measurement; the configured server is never
 * added. */
static void test_initstepslew_quit_mode(void)
{
    const char *lines[] = {"initstepslew 1 192.0.2.1", "server 192.0.2.2 iburst", NULL};
    struct node_opts o = {.family = 0, .precision = 1e-8, .quit_mode = 1};
    struct world w;
    char err[256];

    world_init(&w, lines, 5.0, 0.0);
    w.n = node_new(w.cfg, &w.f.env, &o);
    CHECK(node_start(w.n, &w.f.now, err, sizeof(err)) == 0);
    for (int i = 0; i < 300 && !node_quit_requested(w.n); i++)
        run(&w, 0.1);
    CHECK(node_quit_mode_done(w.n));
    CHECK_INT_EQ(node_exit_status(w.n), 0);
    CHECK(fake_env_log_contains(&w.f, "System clock wrong by -5.0"));
    CHECK_NEAR(w.f.stepped, 5.0, 0.01);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    CHECK(source_named(&w, 0, "192.0.2.1"));
    CHECK(!fake_env_log_contains(&w.f, "initial offset"));
    world_fini(&w);
}

static void test_makestep(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", "makestep 1 3", NULL};
    struct world w;
    struct ntp_server_ref ref;

    world_init(&w, lines, 5.0, 0.0);
    world_start(&w);
    run(&w, 60.0);
    CHECK_NEAR(w.f.stepped, 5.0, 0.01);
    CHECK_NEAR(local_error(&w), 0.0, 0.01);
    CHECK(fake_env_log_contains(&w.f, "System clock wrong by -5.0"));
    CHECK(fake_env_log_contains(&w.f, "System clock was stepped by -5.0"));
    served(&w, &ref);
    CHECK_INT_EQ(ref.stratum, 2);
    world_fini(&w);
}

/* A clock a year fast is stepped once; the step is ours, not a jump, and polling goes on at
 * its interval (issue 10 defect 1). */
static void test_own_large_step(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 2 maxpoll 2", "makestep 1 -1", NULL};
    struct world w;
    int before;

    world_init(&w, lines, 365.0 * 86400.0, 0.0);
    world_start(&w);
    run_loop(&w, 60.0);
    CHECK(fake_env_log_contains(&w.f, "System clock was stepped by -31536000"));
    CHECK_NEAR(local_error(&w), 0.0, 0.01);
    CHECK(!fake_env_log_contains(&w.f, "time jump detected"));
    before = w.n_requests;
    run_loop(&w, 120.0);
    /* 4 s polling: about 30 requests in two minutes; never two at once (iburst: 1 s). */
    CHECK(w.n_requests - before >= 25 && w.n_requests - before <= 32);
    CHECK(w.min_gap > 0.5);
    CHECK(!fake_env_log_contains(&w.f, "time jump detected"));
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    world_fini(&w);
}

/* logchange: an update whose offset is above the threshold logs chrony's "System clock
 * wrong by"; with the default of 1 s a 0.3 s offset does not. */
static void test_logchange(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", "logchange 0.1", NULL};
    const char *dflt[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;

    world_init(&w, lines, 0.3, 0.0);
    world_start(&w);
    run(&w, 30.0);
    CHECK(fake_env_log_contains(&w.f, "System clock wrong by -0.3"));
    world_fini(&w);
    world_init(&w, dflt, 0.3, 0.0);
    world_start(&w);
    run(&w, 30.0);
    CHECK(!fake_env_log_contains(&w.f, "System clock wrong by"));
    world_fini(&w);
}

static int refuse_freq(void *ctx, double ppm)
{
    (void)ctx;
    (void)ppm;
    return -1;
}

static int refuse_step(void *ctx, double offset)
{
    (void)ctx;
    (void)offset;
    return -1;
}

/* A driver that refuses every adjustment (the system clock without
 * CAP_SYS_TIME): logged once, tracking and serving go on. */
static void test_refused_commands(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", "makestep 1 -1", NULL};
    struct world w;
    struct ntp_server_ref ref;
    int n_warn = 0;

    world_init(&w, lines, 3.0, 0.0);
    w.f.env.clock.set_freq = refuse_freq;
    w.f.env.clock.step = refuse_step;
    world_start(&w);
    run(&w, 60.0);
    for (int i = 0; i < w.f.n_log; i++)
        n_warn += strstr(w.f.log[i], "Could not set system clock frequency") != NULL;
    CHECK_INT_EQ(n_warn, 1);
    CHECK(fake_env_log_contains(&w.f, "Could not step system clock"));
    CHECK_NEAR(w.f.stepped, 0.0, 1e-12);
    served(&w, &ref);
    CHECK_INT_EQ(ref.stratum, 2);
    world_fini(&w);
}

static void test_local_until_synchronised(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", "local stratum 8", NULL};
    struct world w;
    struct ntp_server_ref ref;

    world_init(&w, lines, 0.0, 0.0);
    world_start(&w);
    served(&w, &ref);
    CHECK_INT_EQ(ref.stratum, 8);
    CHECK_INT_EQ((long)ref.ref_id, (long)NTP_REFID_LOCAL);
    run(&w, 30.0);
    served(&w, &ref);
    CHECK_INT_EQ(ref.stratum, 2);
    world_fini(&w);
}

/* As chrony: an unreachable source is deselected, but the reference stays
 * synchronised (its root dispersion grows) until `local` takes over past
 * the local distance. */
static void test_unreachable_deselected(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct ntp_server_ref ref1, ref2;

    world_init(&w, lines, 0.0, 0.0);
    world_start(&w);
    run(&w, 30.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), 0);
    served(&w, &ref1);
    w.answer = 0;
    run(&w, 300.0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    CHECK(fake_env_log_contains(&w.f, "Can't synchronise: no selectable sources"));
    served(&w, &ref2);
    CHECK_INT_EQ(ref2.stratum, 2);
    CHECK(ntp_server_root_dispersion(&ref2, &w.f.now) >
          ntp_server_root_dispersion(&ref1, &w.f.now) - 1e-9);
    world_fini(&w);
}

static void test_bad_source_dropped(void)
{
    const char *lines[] = {"server 192.0.2.1 minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct net_rx rx;
    uint8_t junk[48];

    world_init(&w, lines, 0.0, 0.0);
    w.answer = 0;
    world_start(&w);
    run(&w, 1.0);
    memset(junk, 0xff, sizeof(junk));
    memset(&rx, 0, sizeof(rx));
    rx.sock = w.n->srcs.v[0]->sock;
    rx.data = junk;
    rx.len = sizeof(junk);
    ip_addr_parse(&rx.remote.ip, "192.0.2.1");
    rx.remote.port = 123;
    rx.rx_ts = w.f.now;
    node_on_datagram(w.n, &rx, &w.f.now);
    /* From another address: not the source's. */
    ip_addr_parse(&rx.remote.ip, "192.0.2.9");
    node_on_datagram(w.n, &rx, &w.f.now);
    CHECK_INT_EQ((long)sourcestats_samples(sources_engine_part(&w.n->srcs, 0)->stats), 0);
    CHECK_INT_EQ(sources_selected(&w.n->srcs), -1);
    world_fini(&w);
}

/* A KoD RATE answer is logged as chrony's "Received KoD RATE from ADDRESS" (a warning)
 * and the source backs off: four polling intervals more before the next request. */
static void test_kod_rate_logged(void)
{
    const char *lines[] = {"server 192.0.2.1 minpoll 2 maxpoll 2", NULL};
    struct world w;

    world_init(&w, lines, 0.0, 0.0);
    w.kod_rate = 1;
    world_start(&w);
    run(&w, 100.0);
    CHECK(fake_env_log_contains(&w.f, "Received KoD RATE from 192.0.2.1"));
    /* 4 s polling without KoD would be ~25 requests; with the 16 s backoff ~5. */
    CHECK(w.n_requests >= 3 && w.n_requests <= 8);
    CHECK_INT_EQ((long)sourcestats_samples(sources_engine_part(&w.n->srcs, 0)->stats), 0);
    world_fini(&w);
}

static void test_invalid_host_and_pool(void)
{
    const char *lines[] = {"server not-an-address.invalid", "pool 192.0.2.5 maxsources 2",
                           "server 192.0.2.1 offline", NULL};
    struct world w;
    char name[64];
    int on, off, bon, boff, unres;

    world_init(&w, lines, 0.0, 0.0);
    world_start(&w);
    CHECK(fake_env_log_contains(&w.f, "Invalid host not-an-address.invalid"));
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    CHECK_STR_EQ(sources_display_name(sources_get(&w.n->srcs, 0), name, sizeof(name)), "192.0.2.5");
    sources_get_activity(&w.n->srcs, &on, &off, &bon, &boff, &unres);
    CHECK_INT_EQ(on, 1);
    CHECK_INT_EQ(off, 1);
    /* chrony keeps the unresolved source of an invalid name (its ID# address). */
    CHECK_INT_EQ(unres, 1);
    CHECK_INT_EQ(sources_find(&w.n->srcs, &w.n->srcs.v[1]->remote.ip), 1);
    world_fini(&w);
}

static void test_two_sources_agree(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0",
                           "server 192.0.2.2 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;
    struct select_source_state st0, st1;

    world_init(&w, lines, 0.02, -5.0);
    world_start(&w);
    run(&w, 120.0);
    CHECK(sources_selected(&w.n->srcs) >= 0);
    CHECK(sources_get_select_state(&w.n->srcs, 0, &st0));
    CHECK(sources_get_select_state(&w.n->srcs, 1, &st1));
    CHECK(st0.status_char == '*' || st1.status_char == '*');
    CHECK(st0.status_char == '+' || st1.status_char == '+');
    world_fini(&w);
}

/* Three servers started together never get two requests at the same instant: chrony's
 * separation of 2^(poll-3) s (0.125 s at poll 0) between sources (issue 10 defect 2). */
static void test_requests_separated(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0",
                           "server 192.0.2.2 iburst minpoll 0 maxpoll 0",
                           "server 192.0.2.3 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;

    world_init(&w, lines, 0.0, 0.0);
    world_start(&w);
    run_loop(&w, 60.0);
    CHECK(w.n_requests > 100);
    CHECK(w.min_gap >= 0.125 - 1e-6);
    world_fini(&w);
}

static int pool_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb,
                        void *arg)
{
    struct ip_addr a[3];
    (void)ctx;
    (void)family;
    if (strcmp(name, "pool.test") != 0) {
        cb(arg, 2, NULL, 0);
        return 0;
    }
    ip_addr_parse(&a[0], "192.0.2.1");
    ip_addr_parse(&a[1], "192.0.2.2");
    ip_addr_parse(&a[2], "192.0.2.3");
    cb(arg, 0, a, 3);
    return 0;
}

/* A pool takes maxsources addresses; one that stops answering for a whole
 * reachability register is replaced by an unused address of the name. */
static void test_pool_replaces_unreachable(void)
{
    const char *lines[] = {"pool pool.test maxsources 2 iburst minpoll 0 maxpoll 0", NULL};
    struct world w;
    char name[64];

    world_init(&w, lines, 0.0, 0.0);
    w.f.env.resolver.resolve = pool_resolve;
    world_start(&w);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    CHECK_STR_EQ(sources_display_name(sources_get(&w.n->srcs, 0), name, sizeof(name)),
                 "192.0.2.1 (pool.test)");
    w.dead = "192.0.2.1";
    run(&w, 60.0);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 replaced with 192.0.2.3"));
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    CHECK_STR_EQ(sources_display_name(sources_get(&w.n->srcs, 0), name, sizeof(name)),
                 "192.0.2.3 (pool.test)");
    run(&w, 30.0);
    CHECK(ntp_client_get_reach(&sources_engine_part(&w.n->srcs, 0)->client) != 0);
    world_fini(&w);
}

static int n_lookups;

static int counting_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb,
                            void *arg)
{
    struct ip_addr a;

    (void)ctx;
    (void)family;
    (void)name;
    n_lookups++;
    ip_addr_parse(&a, "192.0.2.1"); /* still the one address: nothing to move to */
    cb(arg, 0, &a, 1);
    return 0;
}

static enum ip_family asked_family;

static int family_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb,
                          void *arg)
{
    struct ip_addr a;

    (void)ctx;
    (void)name;
    asked_family = family;
    ip_addr_parse(&a, family == IPF_INET6 ? "2001:db8::1" : "192.0.2.1");
    cb(arg, 0, &a, 1);
    return 0;
}

/* `ipv4` / `ipv6`: the name is resolved to addresses of that family only. */
static void test_family_options(void)
{
    static const struct {
        const char *line;
        enum ip_family family;
    } cases[] = {
        {"server ntp.test ipv4", IPF_INET4},
        {"server ntp.test ipv6", IPF_INET6},
        {"server ntp.test", IPF_UNSPEC},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *lines[] = {cases[i].line, NULL};
        struct world w;

        world_init(&w, lines, 0.0, 0.0);
        w.f.env.resolver.resolve = family_resolve;
        asked_family = (enum ip_family) - 1;
        world_start(&w);
        CHECK_INT_EQ(asked_family, cases[i].family);
        CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
        world_fini(&w);
    }
}

/* `certset 1`: an NTS source trusts the `ntstrustedcerts` of set 1 only; without the
 * option, set 0 (the files given without a set ID). */
static void test_certset_option(void)
{
    const char *lines[] = {"ntstrustedcerts 1 /etc/one.pem", "ntstrustedcerts /etc/zero.pem",
                           "ntstrustedcerts 2 /etc/two.pem", "server 192.0.2.1 nts certset 1",
                           "server 192.0.2.2 nts",           NULL};
    struct world w;
    const struct source *a, *b;

    world_init(&w, lines, 0.0, 0.0);
    world_start(&w);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    a = sources_get(&w.n->srcs, 0);
    b = sources_get(&w.n->srcs, 1);
    CHECK_INT_EQ(a->n_nts_certs, 1);
    CHECK_INT_EQ(b->n_nts_certs, 1);
    if (a->n_nts_certs == 1 && b->n_nts_certs == 1) {
        CHECK_STR_EQ(a->nts_certs[0], "/etc/one.pem");
        CHECK_STR_EQ(b->nts_certs[0], "/etc/zero.pem");
    }
    world_fini(&w);
}

/* The intervals between replacement lookups are chrony's: uniformly random within
 * 0 .. 7 x 2^9 s after each (NSR_HandleBadSource), from the node's rng; a bad source
 * reported every second gets its lookups at those random intervals. */
static void test_replacement_interval_random(void)
{
    const char *lines[] = {"server ntp.test", NULL};
    struct world w;
    struct timespec t, last;
    double gap, min_gap = 1e9, max_gap = 0.0, sum = 0.0;
    int gaps = 0;

    world_init(&w, lines, 0.0, 0.0);
    w.f.env.resolver.resolve = counting_resolve;
    world_start(&w);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 1);
    n_lookups = 0;
    t = w.f.now;
    last = t;
    for (int i = 0; i < 200000; i++) {
        int before = n_lookups;
        ts_add(&t, &t, 1.0);
        sources_handle_bad(&w.n->srcs, 0, &t);
        if (n_lookups == before)
            continue;
        if (before > 0) {
            gap = ts_diff(&t, &last);
            min_gap = gap < min_gap ? gap : min_gap;
            max_gap = gap > max_gap ? gap : max_gap;
            sum += gap;
            gaps++;
        }
        last = t;
    }
    CHECK(gaps >= 60);
    CHECK(min_gap < 600.0);
    CHECK(max_gap > 3000.0 && max_gap <= 3585.0);
    CHECK(fabs(sum / gaps - 1792.0) < 400.0);
    world_fini(&w);
}

/* The command server's view of the sources, through its command table: the requests
 * chronyc sends, as calls. */
struct source_view {
    void *ctx;
    int (*n_sources)(void *ctx);
    int (*source_data)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_source_data *out);
    int (*sourcestats)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_sourcestats *out);
    int (*select_data)(void *ctx, int index, const struct timespec *now,
                       struct cmdmon_select_data *out);
    int (*ntp_data)(void *ctx, const struct cmdmon_addr *addr, struct cmdmon_ntp_data *out);
    int (*source_name)(void *ctx, const struct cmdmon_addr *addr, uint8_t name[CMDMON_NAME_LEN]);
    int (*tracking)(void *ctx, const struct timespec *now, struct cmdmon_tracking *out);
    void (*activity)(void *ctx, struct cmdmon_activity *out);
    /* -1 when the sources do not handle the command */
    int (*control)(void *ctx, const struct cmdmon_request *req, const struct timespec *now);
};

static struct timespec view_now;

static int view_exec(void *ctx, struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    memset(rpy, 0, sizeof(*rpy));
    req->length = 1000;
    cmdmon_execute(&((struct node *)ctx)->cmd, req, &view_now, rpy);
    return rpy->status;
}

static int view_n_sources(void *ctx)
{
    struct cmdmon_request q;
    struct cmdmon_reply r;

    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_N_SOURCES;
    view_exec(ctx, &q, &r);
    return (int)r.u.n_sources.n_sources;
}

static int view_indexed(void *ctx, uint16_t command, int index, struct cmdmon_reply *r)
{
    struct cmdmon_request q;

    memset(&q, 0, sizeof(q));
    q.command = command;
    q.u.index.index = index;
    return view_exec(ctx, &q, r);
}

static int view_source_data(void *ctx, int index, const struct timespec *now,
                            struct cmdmon_source_data *out)
{
    struct cmdmon_reply r;
    int st;

    view_now = *now;
    st = view_indexed(ctx, CMDMON_REQ_SOURCE_DATA, index, &r);
    if (st == CMDMON_STT_SUCCESS) /* as chronyd: nothing written otherwise */
        *out = r.u.source_data;
    return st;
}

static int view_sourcestats(void *ctx, int index, const struct timespec *now,
                            struct cmdmon_sourcestats *out)
{
    struct cmdmon_reply r;
    int st;

    view_now = *now;
    st = view_indexed(ctx, CMDMON_REQ_SOURCESTATS, index, &r);
    if (st == CMDMON_STT_SUCCESS) /* as chronyd: nothing written otherwise */
        *out = r.u.sourcestats;
    return st;
}

static int view_select_data(void *ctx, int index, const struct timespec *now,
                            struct cmdmon_select_data *out)
{
    struct cmdmon_reply r;
    int st;

    view_now = *now;
    st = view_indexed(ctx, CMDMON_REQ_SELECT_DATA, index, &r);
    if (st == CMDMON_STT_SUCCESS) /* as chronyd: nothing written otherwise */
        *out = r.u.select_data;
    return st;
}

static int view_ntp_data(void *ctx, const struct cmdmon_addr *addr, struct cmdmon_ntp_data *out)
{
    struct cmdmon_request q;
    struct cmdmon_reply r;
    int st;

    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_NTP_DATA;
    q.u.address.ip = *addr;
    st = view_exec(ctx, &q, &r);
    if (st == CMDMON_STT_SUCCESS) /* as chronyd: nothing written otherwise */
        *out = r.u.ntp_data;
    return st;
}

static int view_source_name(void *ctx, const struct cmdmon_addr *addr,
                            uint8_t name[CMDMON_NAME_LEN])
{
    struct cmdmon_request q;
    struct cmdmon_reply r;
    int st;

    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_NTP_SOURCE_NAME;
    q.u.address.ip = *addr;
    st = view_exec(ctx, &q, &r);
    if (st == CMDMON_STT_SUCCESS)
        memcpy(name, r.u.source_name.name, CMDMON_NAME_LEN);
    return st;
}

static int view_tracking(void *ctx, const struct timespec *now, struct cmdmon_tracking *out)
{
    struct cmdmon_request q;
    struct cmdmon_reply r;

    view_now = *now;
    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_TRACKING;
    view_exec(ctx, &q, &r);
    *out = r.u.tracking;
    return r.reply == CMDMON_RPY_TRACKING;
}

static void view_activity(void *ctx, struct cmdmon_activity *out)
{
    struct cmdmon_request q;
    struct cmdmon_reply r;

    memset(&q, 0, sizeof(q));
    q.command = CMDMON_REQ_ACTIVITY;
    view_exec(ctx, &q, &r);
    *out = r.u.activity;
}

static int view_control(void *ctx, const struct cmdmon_request *req, const struct timespec *now)
{
    const struct node *n = ctx;
    struct cmdmon_request q = *req;
    struct cmdmon_reply r;

    for (size_t i = 0; i < n->cmd.n_commands; i++)
        if (n->cmd.commands[i].command == req->command &&
            n->cmd.commands[i].handle != node_h_sources_control)
            return -1;
    view_now = *now;
    return view_exec(ctx, &q, &r);
}

static void view_init(struct source_view *v, struct node *n)
{
    v->ctx = n;
    v->n_sources = view_n_sources;
    v->source_data = view_source_data;
    v->sourcestats = view_sourcestats;
    v->select_data = view_select_data;
    v->ntp_data = view_ntp_data;
    v->source_name = view_source_name;
    v->tracking = view_tracking;
    v->activity = view_activity;
    v->control = view_control;
}

/* The command server's view (its command table) of a synchronised node. */
static void test_cmdmon_reports(void)
{
    const char *lines[] = {"server 192.0.2.1 iburst minpoll 0 maxpoll 0 prefer", NULL};
    struct world w;
    struct source_view view, *ops = &view;
    struct cmdmon_source_data sd;
    struct cmdmon_sourcestats ss;
    struct cmdmon_select_data sel;
    struct cmdmon_ntp_data nd;
    struct cmdmon_tracking t;
    struct cmdmon_activity act;
    struct cmdmon_request req;
    uint8_t name[CMDMON_NAME_LEN];

    world_init(&w, lines, 0.01, 0.0);
    world_start(&w);
    run(&w, 30.0);
    view_init(&view, w.n);
    memset(&sd, 0, sizeof(sd));
    memset(&ss, 0, sizeof(ss));
    memset(&sel, 0, sizeof(sel));
    memset(&nd, 0, sizeof(nd));
    CHECK_INT_EQ(ops->n_sources(ops->ctx), 1);
    CHECK_INT_EQ(ops->source_data(ops->ctx, 0, &w.f.now, &sd), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sd.state, CMDMON_SRC_SELECTED);
    CHECK_INT_EQ(sd.stratum, 1);
    CHECK_INT_EQ(sd.poll, 0);
    CHECK_INT_EQ(sd.flags, CMDMON_SELOPT_PREFER);
    CHECK(sd.reachability != 0);
    CHECK(sd.since_sample < 5);
    CHECK_INT_EQ(ops->source_data(ops->ctx, 1, &w.f.now, &sd), CMDMON_STT_NOSUCHSOURCE);
    CHECK_INT_EQ(ops->sourcestats(ops->ctx, 0, &w.f.now, &ss), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ((long)ss.ref_id, 0xC0000201L);
    CHECK(ss.n_samples >= 3);
    CHECK_INT_EQ(ops->select_data(ops->ctx, 0, &w.f.now, &sel), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(sel.state_char, '*');
    CHECK_INT_EQ(ops->ntp_data(ops->ctx, &sd.ip, &nd), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(nd.flags & 0x3ff, 0x3ff);
    CHECK_INT_EQ(nd.remote_port, 123);
    /* The local address of the exchange: where the responses arrived (chrony's). */
    CHECK_INT_EQ(nd.local_addr.family, CMDMON_AF_INET4);
    CHECK_INT_EQ((long)get_be32(nd.local_addr.bytes), 0xC0000264L);
    CHECK(nd.total_good_count >= 3);
    CHECK_INT_EQ(ops->source_name(ops->ctx, &sd.ip, name), CMDMON_STT_SUCCESS);
    CHECK_STR_EQ((const char *)name, "192.0.2.1");
    CHECK(ops->tracking(ops->ctx, &w.f.now, &t));
    CHECK_INT_EQ(t.stratum, 2);
    CHECK_INT_EQ((long)t.ref_id, 0xC0000201L);
    CHECK_INT_EQ(t.ip.family, CMDMON_AF_INET4);
    ops->activity(ops->ctx, &act);
    CHECK_INT_EQ(act.online, 1);
    memset(&req, 0, sizeof(req));
    req.command = CMDMON_REQ_OFFLINE;
    CHECK_INT_EQ(ops->control(ops->ctx, &req, &w.f.now), CMDMON_STT_SUCCESS);
    ops->activity(ops->ctx, &act);
    CHECK_INT_EQ(act.offline, 1);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 offline"));
    req.command = CMDMON_REQ_ONLINE;
    CHECK_INT_EQ(ops->control(ops->ctx, &req, &w.f.now), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&w.f, "Source 192.0.2.1 online"));
    req.command = CMDMON_REQ_MODIFY_MINPOLL;
    req.u.modify_int.address = sd.ip;
    req.u.modify_int.value = 3;
    CHECK_INT_EQ(ops->control(ops->ctx, &req, &w.f.now), CMDMON_STT_SUCCESS);
    req.command = CMDMON_REQ_DUMP;
    CHECK_INT_EQ(ops->control(ops->ctx, &req, &w.f.now), -1);
    world_fini(&w);
}

/* As chrony, a client's request leaves from a socket of its own: closed once the
 * response is taken, or maxdelay + 4 s after the request when none comes; the next
 * request opens another. */
static void test_client_socket_per_request(void)
{
    const char *lines[] = {"server 192.0.2.1 minpoll 4 maxpoll 4 maxdelay 2", NULL};
    struct world w;
    int first, k;

    world_init(&w, lines, 0.0, 0.0);
    w.answer = 0;
    world_start(&w);
    CHECK_INT_EQ(w.n->srcs.v[0]->sock, -1); /* none before the first request */
    for (k = 0; k < 200 && w.n_requests == 0; k++)
        run(&w, 0.05);
    CHECK_INT_EQ(w.n_requests, 1);
    first = w.n->srcs.v[0]->sock;
    CHECK(first >= 0);
    run(&w, 5.8); /* maxdelay 2 + 4 s: still waiting */
    CHECK_INT_EQ(w.n->srcs.v[0]->sock, first);
    run(&w, 0.3);
    CHECK_INT_EQ(w.n->srcs.v[0]->sock, -1);
    CHECK_INT_EQ(w.f.next_sock, first + 1); /* nothing opened meanwhile */
    /* The next request (16 s poll) gets a new socket, closed with its response. */
    w.answer = 1;
    for (k = 0; k < 400 && w.n_requests == 1; k++)
        run(&w, 0.05);
    CHECK_INT_EQ(w.n_requests, 2);
    CHECK(w.f.next_sock > first + 1);
    CHECK_INT_EQ(w.n->srcs.v[0]->sock, -1);
    CHECK(ntp_client_get_reach(&sources_engine_part(&w.n->srcs, 0)->client) != 0);
    world_fini(&w);
}

int main(void)
{
    RUN(test_sync_to_server);
    RUN(test_client_socket_per_request);
    RUN(test_stratum_follows_source);
    RUN(test_makestep);
    RUN(test_own_large_step);
    RUN(test_logchange);
    RUN(test_refused_commands);
    RUN(test_local_until_synchronised);
    RUN(test_unreachable_deselected);
    RUN(test_bad_source_dropped);
    RUN(test_kod_rate_logged);
    RUN(test_invalid_host_and_pool);
    RUN(test_two_sources_agree);
    RUN(test_requests_separated);
    RUN(test_cmdmon_reports);
    RUN(test_pool_replaces_unreachable);
    RUN(test_family_options);
    RUN(test_certset_option);
    RUN(test_replacement_interval_random);
    RUN(test_initstepslew_step);
    RUN(test_initstepslew_slew_and_dead);
    RUN(test_initstepslew_quit_mode);
    return check_summary();
}
