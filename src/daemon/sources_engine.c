/* The sources' side of the engine: datagrams from the sources go in, the engine's
 * outcomes are performed here in order (clock commands through the reference, packets
 * on the sources' sockets, log lines, replacements), and the engine's timer is kept in
 * the node's scheduler. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "lib/ts.h"

#include <string.h>

static enum ntp_client_ts_src ts_src_of(enum rx_ts_source src)
{
    switch (src) {
    case RXTS_KERNEL:
        return NTP_CLIENT_TS_KERNEL;
    case RXTS_HW:
        return NTP_CLIENT_TS_HW;
    default:
        return NTP_CLIENT_TS_DAEMON;
    }
}

static uint32_t local_refid(const struct net_rx *rx)
{
    if (rx->local.ip.family == IPF_INET4)
        return ip_addr_v4(&rx->local.ip);
    return 0;
}

static char leap_char(int leap)
{
    static const char chars[4] = {'N', '+', '-', '?'};
    return chars[leap & 3];
}

static unsigned test_bit(unsigned tests, int i)
{
    return (tests >> (9 - i)) & 1u;
}

/* A measurements.log line for a response (chrony's `log measurements`, or every
 * response with `rawmeasurements`). */
static void log_measurement(struct node *n, const struct source *s, const struct engine_meas *m)
{
    const struct ntp_client_report *r = &m->report;
    unsigned t = r->tests;
    char ip[64];

    if (!logfiles_enabled(&n->logs, LOGF_MEASUREMENTS) || !(m->synced || n->logs.raw_measurements))
        return;
    logfiles_write(&n->logs, n->env, LOGF_MEASUREMENTS, &m->when,
                   "%-15s %c %2d %u%u%u %u%u%u %u%u%u%u %3d %2d %4.2f %10.3e %10.3e %10.3e "
                   "%10.3e %10.3e %08X %d%c %c %c",
                   ip_addr_format(&s->remote.ip, ip, sizeof(ip)), leap_char(r->leap), r->stratum,
                   test_bit(t, 0), test_bit(t, 1), test_bit(t, 2), test_bit(t, 3), test_bit(t, 4),
                   test_bit(t, 5), test_bit(t, 6), test_bit(t, 7), test_bit(t, 8), test_bit(t, 9),
                   m->poll, r->poll, m->poll_score, r->offset, r->peer_delay, r->peer_dispersion,
                   r->root_delay, r->root_dispersion, (unsigned)r->ref_id, r->mode,
                   r->interleaved ? 'I' : 'B', r->tx_tss_char, r->rx_tss_char);
}

/* A statistics.log line after a successful regression. */
static void log_statistics(struct node *n, const struct source *s,
                           const struct engine_stats_log *sl)
{
    const struct sourcestats_log *l = &sl->log;
    char ip[64];

    if (!logfiles_enabled(&n->logs, LOGF_STATISTICS))
        return;
    logfiles_write(&n->logs, n->env, LOGF_STATISTICS, &sl->when,
                   "%-15s %10.3e %10.3e %10.3e %10.3e %10.3e %7.1e %3d %3d %3d %5.2f",
                   ip_addr_format(&s->remote.ip, ip, sizeof(ip)), l->std_dev, l->est_offset,
                   l->est_offset_sd, l->freq, l->skew, l->stress, l->n_samples, l->dropped,
                   l->n_runs, l->asym);
}

/* A selection.log line of one source after a selection run. */
static void log_selection(struct node *n, const struct source *s, const struct engine_sel_log *l)
{
    const struct select_source_state *st = &l->state;
    char ip[64];

    if (!logfiles_enabled(&n->logs, LOGF_SELECTION))
        return;
    logfiles_write(&n->logs, n->env, LOGF_SELECTION, &l->when,
                   "%-15s %c -%c%c%c%c %4o %5.2f %10.3e %10.3e %10.3e",
                   ip_addr_format(&s->remote.ip, ip, sizeof(ip)), st->status_char,
                   st->eff_options & SELECT_OPT_NOSELECT ? 'N' : '-',
                   st->eff_options & SELECT_OPT_PREFER ? 'P' : '-',
                   st->eff_options & SELECT_OPT_TRUST ? 'T' : '-',
                   st->eff_options & SELECT_OPT_REQUIRE ? 'R' : '-', l->reach, st->score,
                   st->last_sample_ago, st->lo_limit, st->hi_limit);
}

static void log_select_event(struct node *n, const struct source *s, const struct select_event *ev)
{
    char name[300], msg[400];

    name[0] = '\0';
    if (s)
        sources_display_name(s, name, sizeof(name));
    if (!select_event_format(ev, name, msg, sizeof(msg)))
        return;
    if (select_event_severity(ev->code) == SELECT_SEV_WARN)
        LOG_WARN(n->env->log, "%s", msg);
    else
        LOG_INFO(n->env->log, "%s", msg);
}

static void log_tracking(struct node *n, const struct engine_action *a)
{
    struct sources *ss = &n->srcs;
    const char *name = ss->log_ref_name;

    if (a->source == -1)
        name = "0.0.0.0";
    else if (a->source >= 0 && a->source < ss->n)
        ip_addr_format(&ss->v[a->source]->remote.ip, ss->log_ref_name, sizeof(ss->log_ref_name));
    reference_log_tracking(&n->ref, name, &a->u.tracking);
}

/* Send the packet of an ENGINE_ACT_SEND, reading the transmit time just before it leaves;
 * a peer's packet is completed then. Tells the engine. */
static void perform_send(struct node *n, struct engine_out *out, int i,
                         const struct timespec *raw_now)
{
    struct engine_action *a = &out->a[i];
    struct source *s = n->srcs.v[a->source];
    int index = a->source;
    size_t len = a->u.send.len;
    uint8_t buf[NTP_CLIENT_REQUEST_MAX_LEN];
    struct timespec tx_raw;
    int ok;

    memcpy(buf, out->pkt + a->u.send.off, len);
    if (!s->symmetric && s->sock < 0)
        s->sock = sources_open_socket(n, s->remote.ip.family);
    n->env->clock.read(n->env->clock.ctx, &tx_raw);
    if (s->symmetric)
        len = engine_peer_finish(&n->engine, index, buf, len, sizeof(buf), &tx_raw);
    ok = len > 0 && s->sock >= 0 &&
         n->env->net.send(n->env->net.ctx, s->sock, &s->remote, NULL, buf, len) >= 0;
    engine_tx_done(&n->engine, index, ok, &tx_raw, raw_now, out);
}

static void perform_clock(struct node *n, struct engine_out *out, int i,
                          const struct timespec *raw_now)
{
    struct engine_clock_act act = out->a[i].u.clock;

    if (!reference_perform_clock(&n->ref, &act)) {
        engine_step_refused(&n->engine, &act, raw_now, out);
        return;
    }
    /* Raw readings moved by the step: so do the deadlines. */
    if (act.shift != 0.0)
        sched_shift(&n->sched, act.shift);
}

static void perform_one(struct node *n, struct engine_out *out, int i,
                        const struct timespec *raw_now)
{
    const struct engine_action *a = &out->a[i];
    struct sources *ss = &n->srcs;
    const struct source *s = a->source >= 0 && a->source < ss->n ? ss->v[a->source] : NULL;
    char name[300];

    switch (a->type) {
    case ENGINE_ACT_CLOCK:
        perform_clock(n, out, i, raw_now);
        break;
    case ENGINE_ACT_EVENT:
        reference_log_event(&n->ref, &a->u.event);
        break;
    case ENGINE_ACT_SELECT_EVENT:
        log_select_event(n, s, &a->u.sel_event);
        break;
    case ENGINE_ACT_LEAP_DROP:
        LOG_DEBUG(n->env->log, "Dropping sample around leap second");
        break;
    case ENGINE_ACT_OUT_OF_ORDER:
        LOG_WARN(n->env->log, "Out of order sample detected, discarding history for %s",
                 sources_display_name(s, name, sizeof(name)));
        break;
    case ENGINE_ACT_LOG_MEASUREMENT:
        log_measurement(n, s, &a->u.meas);
        break;
    case ENGINE_ACT_LOG_STATISTICS:
        log_statistics(n, s, &a->u.stats);
        break;
    case ENGINE_ACT_LOG_SELECTION:
        log_selection(n, s, &a->u.sel);
        break;
    case ENGINE_ACT_LOG_TRACKING:
        log_tracking(n, a);
        break;
    case ENGINE_ACT_DRIFT:
        reference_write_drift(&n->ref, a->u.drift.freq_ppm, a->u.drift.skew_ppm);
        break;
    case ENGINE_ACT_QUIT:
        n->quit_requested = 1;
        if (a->u.quit.mode_done) {
            n->quit_mode_done = 1;
            n->exit_status = a->u.quit.exit_status;
        }
        break;
    case ENGINE_ACT_SEND:
        perform_send(n, out, i, raw_now);
        break;
    case ENGINE_ACT_REPLACE:
        sources_handle_bad(n, a->source, raw_now);
        break;
    case ENGINE_ACT_LEAP_LIST_EXPIRED:
        reference_leap_expired(&n->ref);
        break;
    }
}

void sources_perform(struct node *n, struct engine_out *out, int from,
                     const struct timespec *raw_now)
{
    /* By index: performing may append (engine_tx_done, engine_step_refused). */
    for (int i = from; i < out->n; i++)
        perform_one(n, out, i, raw_now);
    sources_rearm_engine(n);
}

static void on_engine_timer(void *arg, const struct timespec *now)
{
    struct node *n = arg;
    struct engine_out out;
    int due;

    n->srcs.engine_timer = 0;
    engine_out_init(&out);
    for (;;) {
        /* An NTS source gets its random bytes (and an NTS-KE session when due) just
         * before its request is made. */
        due = engine_due_source(&n->engine, now);
        if (due >= 0)
            sources_nts_prepare(n->srcs.v[due], now);
        engine_out_clear(&out);
        if (!engine_on_timer(&n->engine, now, &out))
            break;
        sources_perform(n, &out, 0, now);
    }
    engine_out_fini(&out);
    sources_rearm_engine(n);
}

void sources_rearm_engine(struct node *n)
{
    struct timespec when;

    sched_cancel(&n->sched, n->srcs.engine_timer);
    n->srcs.engine_timer = 0;
    if (engine_next_timer(&n->engine, &when))
        n->srcs.engine_timer = sched_add(&n->sched, &when, on_engine_timer, n);
}

void sources_expect_wake(struct node *n, const struct timespec *when)
{
    engine_expect_wake(&n->engine, when);
}

int sources_on_wake(struct node *n, const struct timespec *now)
{
    struct engine_out out;
    int dir;

    engine_out_init(&out);
    dir = engine_on_wake(&n->engine, now, &out);
    if (dir < 0)
        LOG_WARN(n->env->log, "Backward time jump detected!");
    else if (dir > 0)
        LOG_WARN(n->env->log, "Forward time jump detected!");
    if (out.n)
        sources_perform(n, &out, 0, now);
    engine_out_fini(&out);
    return dir != 0;
}

void sources_select(struct node *n, int force, const struct timespec *raw_now)
{
    struct engine_out out;

    engine_out_init(&out);
    engine_reselect(&n->engine, force, raw_now, &out);
    sources_perform(n, &out, 0, raw_now);
    engine_out_fini(&out);
}

static void source_on_response(struct node *n, int index, const struct net_rx *rx)
{
    struct engine_rx erx;
    struct engine_out out;

    memset(&erx, 0, sizeof(erx));
    erx.data = rx->data;
    erx.len = rx->len;
    erx.rx_raw = rx->rx_ts;
    erx.rx_src = ts_src_of(rx->rx_ts_src);
    erx.local_refid = local_refid(rx);
    engine_set_serving(&n->engine, serve_is_open(&n->serve));
    engine_out_init(&out);
    engine_on_response(&n->engine, index, &erx, &out);
    sources_perform(n, &out, 0, &rx->rx_ts);
    engine_out_fini(&out);
}

int sources_on_datagram(struct node *n, const struct net_rx *rx, const struct timespec *raw_now)
{
    struct sources *ss = &n->srcs;
    int mine = 0;

    (void)raw_now;
    if (rx->sock < 0)
        return 0;
    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        if (s->sock != rx->sock)
            continue;
        /* A peer shares the server socket: only its own mode 1 and 2 packets are for it
         * (chrony NCR_ProcessRxKnown); client requests from it are served as any. */
        if (s->symmetric) {
            int mode = rx->len > 0 ? rx->data[0] & 7 : 0;
            if ((mode == 1 || mode == 2) && ip_addr_equal(&rx->remote.ip, &s->remote.ip) &&
                rx->remote.port == s->remote.port) {
                source_on_response(n, i, rx);
                return 1;
            }
            continue;
        }
        mine = 1;
        /* A client socket only accepts its server's address and port. */
        if (ip_addr_equal(&rx->remote.ip, &s->remote.ip) && rx->remote.port == s->remote.port) {
            source_on_response(n, i, rx);
            return 1;
        }
    }
    return mine;
}
