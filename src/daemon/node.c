#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/keyfile.h"
#include "daemon/sources_dump.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "lib/ntp_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What each component uses of the others: set once, here. */
static void wire_reference(struct node *n)
{
    struct reference *r = &n->ref;

    r->cfg = n->cfg;
    r->env = n->env;
    r->sched = &n->sched;
    r->engine = &n->engine;
    r->logs = &n->logs;
}

static void wire_serve(struct node *n)
{
    struct ntp_serve *s = &n->serve;

    s->cfg = n->cfg;
    s->env = n->env;
    s->sched = &n->sched;
    s->ref = &n->ref;
    s->keys = &n->keys;
    s->clientlog = n->cmd.clientlog;
    s->family = n->opts.family;
    s->user = n->opts.user;
    s->scfilter = n->opts.scfilter;
}

static void wire_cmdmon(struct node *n)
{
    struct cmdmon_server *c = &n->cmd;

    c->cfg = n->cfg;
    c->env = n->env;
    c->serve = &n->serve;
    c->node = n;
    c->family = n->opts.family;
    c->defer_unix_socket = n->opts.defer_unix_socket;
}

static void wire_metrics(struct node *n)
{
    struct metrics_server *m = &n->metrics;

    m->cfg = n->cfg;
    m->env = n->env;
    m->sched = &n->sched;
    m->cmd = &n->cmd;
    m->version = n->opts.version ? n->opts.version : "";
    m->family = n->opts.family;
}

static void wire_tempcomp(struct node *n)
{
    struct tempcomp *t = &n->tempcomp;

    t->cfg = n->cfg;
    t->env = n->env;
    t->sched = &n->sched;
    t->srcs = &n->srcs;
    t->logs = &n->logs;
}

static void wire_refclocks(struct node *n)
{
    struct refclocks *r = &n->rcl;

    r->cfg = n->cfg;
    r->env = n->env;
    r->sched = &n->sched;
    r->srcs = &n->srcs;
    r->logs = &n->logs;
}

static void wire_sources(struct node *n)
{
    struct sources *ss = &n->srcs;

    ss->cfg = n->cfg;
    ss->env = n->env;
    ss->sched = &n->sched;
    ss->engine = &n->engine;
    ss->ref = &n->ref;
    ss->serve = &n->serve;
    ss->logs = &n->logs;
    ss->keys = &n->keys;
    ss->status = &n->status;
    ss->family = n->opts.family;
    ss->quit_mode = n->opts.quit_mode;
    ss->reload_dumps = n->opts.reload_dumps;
}

static void wire_hwts(struct node *n)
{
    struct hwts *h = &n->hwts;

    h->cfg = n->cfg;
    h->env = n->env;
    h->sched = &n->sched;
    h->precision = n->opts.precision;
}

static void wire_rtc(struct node *n)
{
    struct rtc *r = &n->rtc;

    r->cfg = n->cfg;
    r->env = n->env;
    r->sched = &n->sched;
    r->srcs = &n->srcs;
    r->ref = &n->ref;
    r->logs = &n->logs;
    r->handle = -1;
}

struct node *node_new(const struct config *cfg, const struct env *env, const struct node_opts *opts)
{
    struct node *n = xcalloc(1, sizeof(*n));
    uint64_t seed;
    n->cfg = cfg;
    n->env = env;
    n->opts = *opts;
    env->random.bytes(env->random.ctx, &seed, sizeof(seed));
    rng_seed(&n->rng, seed);
    sched_init(&n->sched);
    n->serve.socks[0] = n->serve.socks[1] = -1;
    n->serve.ptp_socks[0] = n->serve.ptp_socks[1] = -1;
    wire_cmdmon(n);
    cmdmon_server_init(&n->cmd, &n->rng);
    node_install_commands(n);
    wire_serve(n);
    wire_reference(n);
    wire_rtc(n);
    /* chronyd -s: before the reference reads the clock. */
    if (opts->rtc_set)
        rtc_initial_set(&n->rtc);
    rtc_open(&n->rtc);
    {
        struct timespec now;
        env->clock.read(env->clock.ctx, &now);
        reference_init(&n->ref, &n->rng, opts->quit_mode, opts->noclock, opts->precision, &now);
    }
    /* Before the sources, which check their keys, and before privileges are dropped. */
    keyfile_load(&n->keys, n->cfg->keyfile, n->env);
    wire_sources(n);
    sources_init(&n->srcs);
    wire_tempcomp(n);
    wire_refclocks(n);
    wire_metrics(n);
    metrics_server_init(&n->metrics);
    wire_hwts(n);
    return n;
}

void node_free(struct node *n)
{
    if (!n)
        return;
    metrics_server_fini(&n->metrics);
    hwts_fini(&n->hwts);
    rtc_stop(&n->rtc);
    tempcomp_fini(&n->tempcomp);
    refclocks_fini(&n->rcl);
    sources_fini(&n->srcs);
    engine_fini(&n->engine);
    reference_fini(&n->ref);
    logfiles_fini(&n->logs);
    serve_stop(&n->serve);
    cmdmon_server_fini(&n->cmd);
    sched_fini(&n->sched);
    keys_clear(&n->keys);
    free(n);
}

static unsigned engine_log_mask(const struct logfiles *l)
{
    return (logfiles_enabled(l, LOGF_MEASUREMENTS) ? ENGINE_LOG_MEASUREMENTS : 0u) |
           (logfiles_enabled(l, LOGF_STATISTICS) ? ENGINE_LOG_STATISTICS : 0u) |
           (logfiles_enabled(l, LOGF_SELECTION) ? ENGINE_LOG_SELECTION : 0u) |
           (logfiles_enabled(l, LOGF_TRACKING) ? ENGINE_LOG_TRACKING : 0u);
}

/* chrony's start-up check of the time: NTP timestamps are read in the era window from
 * NTP_ERA_SPLIT; warn when its end is less than ten years away. */
static void check_era_end(const struct node *n, const struct timespec *now)
{
    const long long end = NTP_ERA_SPLIT + 4294967295LL;
    time_t t = (time_t)end;
    struct tm tm;
    char buf[32];

    if (end - (long long)now->tv_sec >= 10LL * 365 * 24 * 3600)
        return;
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, sizeof(buf), "INVALID    INVALID ");
    LOG_WARN(n->env->log, "Assumed NTP time ends at %s!", buf);
}

int node_start(struct node *n, const struct timespec *now, char *err, size_t errlen)
{
    check_era_end(n, now);
    /* Before the NTP sockets open, which then ask for hardware timestamps. */
    if (hwts_start(&n->hwts, now, err, errlen) < 0)
        return -1;
    n->srcs.hwts_enabled = hwts_enabled(&n->hwts);
    if (n->srcs.hwts_enabled) {
        n->srcs.clock_hook = hwts_on_clock_change;
        n->srcs.clock_hook_arg = &n->hwts;
    }
    if (serve_start(&n->serve, err, errlen) < 0)
        return -1;
    logfiles_init(&n->logs, n->cfg, n->env);
    if (n->opts.user && strcmp(n->opts.user, "root") != 0)
        logfiles_hold(&n->logs);
    engine_set_log_mask(&n->engine, engine_log_mask(&n->logs));
    sources_dump_prepare(&n->srcs);
    reference_start(&n->ref, now, sources_out_begin(&n->srcs));
    sources_out_end(&n->srcs, now);
    /* chrony creates the refclocks' sources before the NTP sources (and their dumps). */
    if (refclocks_start(&n->rcl, now, err, errlen) < 0)
        return -1;
    sources_start(&n->srcs, now);
    if (tempcomp_start(&n->tempcomp, now, err, errlen) < 0)
        return -1;
    if (rtc_start(&n->rtc, err, errlen) < 0)
        return -1;
    if (cmdmon_server_start(&n->cmd, err, errlen) < 0)
        return -1;
    return metrics_server_start(&n->metrics, err, errlen);
}

void node_start_unprivileged(struct node *n)
{
    logfiles_release(&n->logs, n->env);
    cmdmon_server_open_unix(&n->cmd);
}

int node_next_timeout(void *node, struct timespec *when)
{
    struct node *n = node;
    if (!sched_next(&n->sched, when))
        return 0;
    sources_expect_wake(&n->srcs, when);
    return 1;
}

void node_on_timer(void *node, const struct timespec *now)
{
    struct node *n = node;
    /* The loop comes here after every wake-up, once its datagrams were handled: the
     * replies they queued leave first, in one batch. */
    serve_flush(&n->serve);
    sources_on_wake(&n->srcs, now);
    sched_run_due(&n->sched, now);
}

void node_on_datagram(void *node, const struct net_rx *in, const struct timespec *now)
{
    struct node *n = node;
    struct net_rx unwrapped, hw;
    const struct net_rx *rx = &unwrapped;
    /* A NIC's timestamp becomes the daemon's time first (chrony NIO_Linux_ProcessMessage);
     * a transmit report whose hardware timestamp cannot be used carries no time. */
    if (!ts_is_zero(&in->hw_ts)) {
        hw = *in;
        hwts_process(&n->hwts, &hw, now);
        if (hw.tx_ts && hw.rx_ts_src == RXTS_NONE)
            return;
        in = &hw;
    }
    if (refclocks_on_datagram(&n->rcl, in, now))
        return;
    /* NTP over PTP (`ptpport`): from here on only the NTP packet. */
    if (!serve_ptp_unwrap(&n->serve, in, &unwrapped))
        return;
    if (sources_on_datagram(&n->srcs, rx, now))
        return;
    /* A transmit timestamp is for the sources or the server, never a command. */
    if (rx->tx_ts) {
        serve_on_tx_timestamp(&n->serve, rx, now);
        return;
    }
    if (!serve_on_datagram(&n->serve, rx, now))
        cmdmon_server_on_datagram(&n->cmd, rx, now);
}

int node_quit_requested(void *node)
{
    return ((struct node *)node)->status.quit_requested;
}

int node_exit_status(const struct node *n)
{
    return n->status.exit_status;
}

int node_synchronised(const struct node *n, const struct timespec *now)
{
    struct ntp_server_ref ref;
    reference_get_served(&n->ref, now, &ref);
    return ref.leap != 3 && ref.stratum > 0 && ref.stratum < 16;
}

int node_init_running(const struct node *n)
{
    return n->status.init_running;
}

int node_quit_mode_done(const struct node *n)
{
    return n->status.quit_mode_done;
}

void node_stop(struct node *n, const struct timespec *now)
{
    sources_dump_save_at_exit(&n->srcs, now);
    reference_stop(&n->ref, now);
    rtc_stop(&n->rtc);
}

void node_get_served_ref(const struct node *n, const struct timespec *now,
                         struct ntp_server_ref *ref)
{
    /* The discipline's reference: synchronised, `local`, or unsynchronised. */
    reference_get_served(&n->ref, now, ref);
}
