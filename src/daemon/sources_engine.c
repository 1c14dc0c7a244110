/* The sources' side of the engine: datagrams from the sources go in, the engine's
 * outcomes are performed here in order (clock commands through the reference, packets
 * on the sources' sockets, log lines, replacements), and the engine's timer is kept in
 * the node's scheduler. */
#include "daemon/sources.h"

#include "daemon/config.h"
#include "daemon/logfiles.h"
#include "daemon/ntp_serve.h"
#include "daemon/reference.h"
#include "daemon/sched.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <assert.h>
#include <stdlib.h>
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

/* The reference ID of the local address a datagram arrived on (chrony's UTI_IPToRefid:
 * an IPv4 address, or the first bytes of the MD5 of an IPv6 one), 0 if unknown. */
static uint32_t local_refid(const struct net_rx *rx)
{
    if (rx->local.ip.family != IPF_INET4 && rx->local.ip.family != IPF_INET6)
        return 0;
    return sources_refid_of(&rx->local.ip);
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
static void log_measurement(struct sources *ss, const struct source *s, const struct engine_meas *m)
{
    const struct ntp_client_report *r = &m->report;
    unsigned t = r->tests;
    char ip[64];

    if (!logfiles_enabled(ss->logs, LOGF_MEASUREMENTS) ||
        !(m->synced || ss->logs->raw_measurements))
        return;
    logfiles_write(ss->logs, ss->env, LOGF_MEASUREMENTS, &m->when,
                   "%-15s %c %2d %u%u%u %u%u%u %u%u%u%u %3d %2d %4.2f %10.3e %10.3e %10.3e "
                   "%10.3e %10.3e %08X %d%c %c %c",
                   sources_log_name(s, ip, sizeof(ip)), leap_char(r->leap), r->stratum,
                   test_bit(t, 0), test_bit(t, 1), test_bit(t, 2), test_bit(t, 3), test_bit(t, 4),
                   test_bit(t, 5), test_bit(t, 6), test_bit(t, 7), test_bit(t, 8), test_bit(t, 9),
                   m->poll, r->poll, m->poll_score, r->offset, r->peer_delay, r->peer_dispersion,
                   r->root_delay, r->root_dispersion, (unsigned)r->ref_id, r->mode,
                   r->interleaved ? 'I' : 'B', r->tx_tss_char, r->rx_tss_char);
}

/* A statistics.log line after a successful regression. */
static void log_statistics(struct sources *ss, const struct source *s,
                           const struct engine_stats_log *sl)
{
    const struct sourcestats_log *l = &sl->log;
    char ip[64];

    if (!logfiles_enabled(ss->logs, LOGF_STATISTICS))
        return;
    logfiles_write(ss->logs, ss->env, LOGF_STATISTICS, &sl->when,
                   "%-15s %10.3e %10.3e %10.3e %10.3e %10.3e %7.1e %3d %3d %3d %5.2f",
                   sources_log_name(s, ip, sizeof(ip)), l->std_dev, l->est_offset, l->est_offset_sd,
                   l->freq, l->skew, l->stress, l->n_samples, l->dropped, l->n_runs, l->asym);
}

/* A selection.log line of one source after a selection run. */
static void log_selection(struct sources *ss, const struct source *s,
                          const struct engine_sel_log *l)
{
    const struct select_source_state *st = &l->state;
    char ip[64];

    if (!logfiles_enabled(ss->logs, LOGF_SELECTION))
        return;
    logfiles_write(ss->logs, ss->env, LOGF_SELECTION, &l->when,
                   "%-15s %c -%c%c%c%c %4o %5.2f %10.3e %10.3e %10.3e",
                   sources_log_name(s, ip, sizeof(ip)), st->status_char,
                   st->eff_options & SELECT_OPT_NOSELECT ? 'N' : '-',
                   st->eff_options & SELECT_OPT_PREFER ? 'P' : '-',
                   st->eff_options & SELECT_OPT_TRUST ? 'T' : '-',
                   st->eff_options & SELECT_OPT_REQUIRE ? 'R' : '-', l->reach, st->score,
                   st->last_sample_ago, st->lo_limit, st->hi_limit);
}

static void log_select_event(struct sources *ss, const struct source *s,
                             const struct select_event *ev)
{
    char name[300], msg[400];

    name[0] = '\0';
    if (s)
        sources_display_name(s, name, sizeof(name));
    if (!select_event_format(ev, name, msg, sizeof(msg)))
        return;
    if (select_event_severity(ev->code) == SELECT_SEV_WARN)
        LOG_WARN(ss->env->log, "%s", msg);
    else
        LOG_INFO(ss->env->log, "%s", msg);
}

static void log_tracking(struct sources *ss, const struct engine_action *a)
{
    const char *name = ss->log_ref_name;

    if (a->source == -1)
        name = "0.0.0.0";
    else if (a->source >= 0 && a->source < ss->n)
        sources_log_name(ss->v[a->source], ss->log_ref_name, sizeof(ss->log_ref_name));
    reference_log_tracking(ss->ref, name, &a->u.tracking);
}

/* chrony's MAX_SERVER_INTERVAL: s a server may take between its receive and transmit
 * timestamps; with the source's maxdelay, how long a response can still be accepted. */
#define SOURCES_RX_TIMEOUT_SLACK 4.0

static void on_rx_timeout(void *arg, const struct timespec *now)
{
    struct source *s = arg;

    (void)now;
    s->rx_timer = 0;
    sources_close_socket(s->srcs, s);
}

/* Send the packet of an ENGINE_ACT_SEND, reading the transmit time just before it leaves;
 * a peer's packet is completed then. Tells the engine. */
static void perform_send(struct sources *ss, struct engine_out *out, int i,
                         const struct timespec *raw_now)
{
    struct engine_action *a = &out->a[i];
    struct source *s = ss->v[a->source];
    int index = a->source;
    size_t len = a->u.send.len;
    uint8_t buf[NTP_CLIENT_REQUEST_MAX_LEN];
    struct timespec tx_raw;
    int ok;

    memcpy(buf, out->pkt + a->u.send.off, len);
    /* As chrony, a client's request leaves from a new socket (a new source port), closed
     * after the response or once no response could pass the delay test any more: a
     * source holds a descriptor only while a request is in flight. */
    if (!s->on_server_socket) {
        sources_close_socket(ss, s);
        sources_open_socket(ss, s);
    }
    ss->env->clock.read(ss->env->clock.ctx, &tx_raw);
    if (s->symmetric)
        len = engine_peer_finish(ss->engine, index, buf, len, sizeof(buf), &tx_raw);
    /* serve_send puts it in the PTP encapsulation on the ptpport socket. */
    ok = len > 0 && s->sock >= 0 &&
         serve_send(ss->serve, s->sock, &s->remote, NULL, buf, len, 1) >= 0;
    if (!s->on_server_socket && s->sock >= 0)
        s->rx_timer = sched_add_after(ss->sched, raw_now,
                                      sources_engine_part(ss, index)->client.opts.max_delay +
                                          SOURCES_RX_TIMEOUT_SLACK,
                                      on_rx_timeout, s);
    engine_tx_done(ss->engine, index, ok, &tx_raw, raw_now, out);
}

static void perform_clock(struct sources *ss, struct engine_out *out, int i,
                          const struct timespec *raw_now)
{
    struct engine_clock_act act = out->a[i].u.clock;
    const struct env_clock *ec = &ss->env->clock;
    double f0 = ss->clock_hook && act.cmd.set_freq ? ec->get_freq(ec->ctx) : 0.0, dfreq = 0.0;

    if (!reference_perform_clock(ss->ref, &act)) {
        engine_step_refused(ss->engine, out, i, raw_now);
        return;
    }
    /* Raw readings moved by the step: so do the deadlines. */
    if (act.shift != 0.0)
        sched_shift(ss->sched, act.shift);
    if (!ss->clock_hook || !ec->can_control(ec->ctx))
        return;
    if (act.cmd.set_freq)
        dfreq = (1.0 + 1e-6 * ec->get_freq(ec->ctx)) / (1.0 + 1e-6 * f0) - 1.0;
    if (dfreq != 0.0 || act.shift != 0.0)
        ss->clock_hook(ss->clock_hook_arg, raw_now, dfreq, act.shift);
}

static void perform_one(struct sources *ss, struct engine_out *out, int i,
                        const struct timespec *raw_now)
{
    const struct engine_action *a = &out->a[i];
    const struct source *s = a->source >= 0 && a->source < ss->n ? ss->v[a->source] : NULL;
    char name[300];

    switch (a->type) {
    case ENGINE_ACT_NONE:
        break;
    case ENGINE_ACT_CLOCK:
        perform_clock(ss, out, i, raw_now);
        break;
    case ENGINE_ACT_EVENT:
        reference_log_event(ss->ref, &a->u.event);
        break;
    case ENGINE_ACT_SELECT_EVENT:
        log_select_event(ss, s, &a->u.sel_event);
        break;
    case ENGINE_ACT_LEAP_DROP:
        LOG_DEBUG(ss->env->log, "Dropping sample around leap second");
        break;
    case ENGINE_ACT_KOD_RATE:
        if (s) {
            char ip[IP_ADDR_STRLEN];
            LOG_WARN(ss->env->log, "Received KoD RATE from %s",
                     sources_log_name(s, ip, sizeof(ip)));
        }
        break;
    case ENGINE_ACT_OUT_OF_ORDER:
        LOG_WARN(ss->env->log, "Out of order sample detected, discarding history for %s",
                 sources_display_name(s, name, sizeof(name)));
        break;
    case ENGINE_ACT_LOG_MEASUREMENT:
        log_measurement(ss, s, &a->u.meas);
        break;
    case ENGINE_ACT_LOG_STATISTICS:
        log_statistics(ss, s, &a->u.stats);
        break;
    case ENGINE_ACT_LOG_SELECTION:
        log_selection(ss, s, &a->u.sel);
        break;
    case ENGINE_ACT_LOG_TRACKING:
        log_tracking(ss, a);
        break;
    case ENGINE_ACT_DRIFT:
        reference_write_drift(ss->ref, a->u.drift.freq_ppm, a->u.drift.skew_ppm);
        break;
    case ENGINE_ACT_QUIT:
        ss->status->quit_requested = 1;
        if (a->u.quit.mode_done) {
            ss->status->quit_mode_done = 1;
            ss->status->exit_status = a->u.quit.exit_status;
        }
        break;
    case ENGINE_ACT_INIT_END:
        sources_initstepslew_ended(ss);
        break;
    case ENGINE_ACT_SEND:
        perform_send(ss, out, i, raw_now);
        break;
    case ENGINE_ACT_REPLACE:
        sources_handle_bad(ss, a->source, raw_now);
        break;
    case ENGINE_ACT_MANUAL:
        if (a->u.manual.have_frequency)
            LOG_INFO(ss->env->log, "Making a frequency change of %.3f ppm and a slew of %.6f",
                     a->u.manual.freq_ppm, a->u.manual.slew);
        else
            LOG_INFO(ss->env->log, "Making a slew of %.6f", a->u.manual.slew);
        break;
    case ENGINE_ACT_LEAP_LIST_EXPIRED:
        reference_leap_expired(ss->ref);
        break;
    case ENGINE_ACT_LEAP_RELOAD:
        reference_leap_reload(ss->ref);
        break;
    }
}

void sources_perform(struct sources *ss, struct engine_out *out, const struct timespec *raw_now)
{
    /* By index: performing may append (engine_tx_done, engine_step_refused). */
    for (int i = 0; i < out->n; i++)
        perform_one(ss, out, i, raw_now);
    sources_rearm_engine(ss);
}

struct engine_out *sources_out_begin(struct sources *ss)
{
    struct engine_out *out;

    assert(ss->out_depth < SOURCES_OUT_DEPTH);
    out = &ss->outs[ss->out_depth++];
    engine_out_clear(out);
    return out;
}

void sources_out_end(struct sources *ss, const struct timespec *raw_now)
{
    assert(ss->out_depth > 0);
    sources_perform(ss, &ss->outs[ss->out_depth - 1], raw_now);
    ss->out_depth--;
}

static void on_engine_timer(void *arg, const struct timespec *now)
{
    struct sources *ss = arg;
    int due, more;

    ss->engine_timer = 0;
    do {
        /* An NTS source gets its random bytes (and an NTS-KE session when due) just
         * before its request is made. */
        due = engine_due_source(ss->engine, now);
        if (due >= 0)
            sources_nts_prepare(ss->v[due], now);
        more = engine_on_timer(ss->engine, now, sources_out_begin(ss));
        sources_out_end(ss, now);
    } while (more);
}

void sources_rearm_engine(struct sources *ss)
{
    struct timespec when;

    sched_cancel(ss->sched, ss->engine_timer);
    ss->engine_timer = 0;
    if (engine_next_timer(ss->engine, &when))
        ss->engine_timer = sched_add(ss->sched, &when, on_engine_timer, ss);
}

void sources_expect_wake(struct sources *ss, const struct timespec *when)
{
    engine_expect_wake(ss->engine, when);
}

int sources_on_wake(struct sources *ss, const struct timespec *now)
{
    int dir = engine_on_wake(ss->engine, now, sources_out_begin(ss));

    if (dir < 0)
        LOG_WARN(ss->env->log, "Backward time jump detected!");
    else if (dir > 0)
        LOG_WARN(ss->env->log, "Forward time jump detected!");
    sources_out_end(ss, now);
    return dir != 0;
}

void sources_select(struct sources *ss, int force, const struct timespec *raw_now)
{
    engine_reselect(ss->engine, force, raw_now, sources_out_begin(ss));
    sources_out_end(ss, raw_now);
}

/* Valid responses of source index so far. */
static uint32_t valid_responses(const struct sources *ss, int index)
{
    struct ntp_client_report r;

    ntp_client_get_report(&sources_engine_part(ss, index)->client, &r);
    return r.total_valid_rx;
}

/* hwtstimeout (chrony's save_response): a valid response that came before the hardware
 * transmit timestamp of its request waits for it, at most hwtstimeout s; a second valid
 * response while it waits has both processed at once. */
struct source_held {
    struct net_rx rx;
    uint8_t data[NTP_MAX_PACKET_LEN];
    uint64_t timer;
    int pending;
};

static void source_on_response(struct sources *ss, int index, const struct net_rx *rx);

void sources_release_held(struct sources *ss, struct source *s)
{
    if (!s->held)
        return;
    sched_cancel(ss->sched, s->held->timer);
    free(s->held);
    s->held = NULL;
}

static void process_held(struct sources *ss, struct source *s)
{
    struct net_rx rx;
    int index = sources_index(s);
    char ip[IP_ADDR_STRLEN];

    if (!s->held || !s->held->pending || index < 0)
        return;
    ip_addr_format(&s->remote.ip, ip, sizeof(ip));
    LOG_DEBUG(ss->env->log, "Processing saved response from %s", ip);
    sched_cancel(ss->sched, s->held->timer);
    s->held->timer = 0;
    s->held->pending = 0;
    rx = s->held->rx;
    rx.data = s->held->data;
    source_on_response(ss, index, &rx);
}

static void on_held_timeout(void *arg, const struct timespec *now)
{
    struct source *s = arg;

    (void)now;
    s->held->timer = 0;
    process_held(s->srcs, s);
}

/* 1 if rx was kept to wait for the transmit timestamp. */
static int hold_response(struct sources *ss, int index, const struct net_rx *rx)
{
    struct source *s = ss->v[index];

    if (!ss->hwts_enabled || !(ss->cfg->hwts_timeout > 0.0) || rx->len > NTP_MAX_PACKET_LEN ||
        !engine_response_waits_tx(ss->engine, index, rx->data, rx->len))
        return 0;
    if (s->held && s->held->pending) {
        process_held(ss, s);
        return 0;
    }
    if (!s->held)
        s->held = xcalloc(1, sizeof(*s->held));
    s->held->rx = *rx;
    memcpy(s->held->data, rx->data, rx->len);
    s->held->pending = 1;
    s->held->timer =
        sched_add_after(ss->sched, &rx->rx_ts, ss->cfg->hwts_timeout, on_held_timeout, s);
    LOG_DEBUG(ss->env->log, "Saved valid response for later processing");
    return 1;
}

static void source_on_response(struct sources *ss, int index, const struct net_rx *rx)
{
    struct engine_rx erx;
    struct source *s = ss->v[index];
    uint32_t valid = valid_responses(ss, index);
    /* A hardware transmit timestamp still to come (hwtstimeout 0, or its wait over) is
     * taken even after the response (ntpdata, interleaved mode): its socket stays open
     * until the receive timeout. */
    int tx_pending =
        ss->hwts_enabled && engine_response_waits_tx(ss->engine, index, rx->data, rx->len);

    memset(&erx, 0, sizeof(erx));
    erx.data = rx->data;
    erx.len = rx->len;
    erx.rx_raw = rx->rx_ts;
    erx.rx_src = ts_src_of(rx->rx_ts_src);
    erx.local_refid = local_refid(rx);
    erx.rx_duration = rx->rx_duration;
    erx.net_correction = rx->net_correction;
    engine_set_serving(ss->engine, serve_is_open(ss->serve));
    engine_on_response(ss->engine, index, &erx, sources_out_begin(ss));
    /* chrony's ntpdata shows the local address of the last valid response (its
     * inst->local_addr, updated with the report). A client expects nothing more on its
     * socket (chrony closes it): a request made by the outcome opens a new one. */
    if (valid_responses(ss, index) != valid) {
        s->local = rx->local.ip;
        if (!s->on_server_socket && !tx_pending)
            sources_close_socket(ss, s);
    }
    sources_out_end(ss, &rx->rx_ts);
}

/* The source rx is for among those using its socket: the client socket's owner, or a
 * scan (in index order, as the table) when it is a server socket that sources share. */
static int source_for(const struct sources *ss, const struct net_rx *rx,
                      int (*match)(const struct source *, const struct net_rx *))
{
    const struct sources_sock_use *u = sources_sock_use(ss, rx->sock);
    int i;

    if (u->owner && (i = sources_index(u->owner)) >= 0 && match(u->owner, rx))
        return i;
    for (i = 0; u->n_shared > 0 && i < ss->n; i++)
        if (ss->v[i]->sock == rx->sock && ss->v[i]->on_server_socket && match(ss->v[i], rx))
            return i;
    return -1;
}

static int same_remote(const struct source *s, const struct net_rx *rx)
{
    return ip_addr_equal(&rx->remote.ip, &s->remote.ip) && rx->remote.port == s->remote.port;
}

/* A source on the server socket: only its own replies are for it, mode 1 and 2 for a
 * peer, 4 for a client (chrony NCR_ProcessRxKnown); requests from its address are served
 * as any. */
static int reply_for(const struct source *s, const struct net_rx *rx)
{
    int mode = rx->len > 0 ? rx->data[0] & 7 : 0;
    int wanted = s->symmetric ? mode == 1 || mode == 2 : mode == 4;
    return (!s->on_server_socket || wanted) && same_remote(s, rx);
}

/* The kernel's transmit timestamp of a packet a source sent (requests on its client socket,
 * a peer's packets on the server socket); replies of our server are the server's. */
static int source_on_tx_timestamp(struct sources *ss, const struct net_rx *rx)
{
    int mode = rx->len > 0 ? rx->data[0] & 7 : 0, i;

    if (mode != 1 && mode != 2 && mode != 3)
        return 0;
    i = source_for(ss, rx, same_remote);
    if (i < 0)
        return 0;
    engine_on_tx_timestamp(ss->engine, i, rx->data, rx->len, &rx->rx_ts, ts_src_of(rx->rx_ts_src));
    /* chrony NCR_ProcessTxKnown: a hardware timestamp releases a held response. */
    if (rx->rx_ts_src == RXTS_HW && ss->v[i]->held && ss->v[i]->held->pending)
        process_held(ss, ss->v[i]);
    return 1;
}

int sources_on_datagram(struct sources *ss, const struct net_rx *rx, const struct timespec *raw_now)
{
    const struct sources_sock_use *u;
    int i;

    (void)raw_now;
    if (rx->sock < 0)
        return 0;
    if (rx->tx_ts)
        return source_on_tx_timestamp(ss, rx);
    i = source_for(ss, rx, reply_for);
    if (i >= 0) {
        if (hold_response(ss, i, rx))
            return 1;
        source_on_response(ss, i, rx);
        sources_maybe_refresh(ss, &rx->rx_ts);
        return 1;
    }
    /* A client socket only accepts its server's address and port: anything else that
     * arrives on it is dropped here. */
    u = sources_sock_use(ss, rx->sock);
    return u->owner && sources_index(u->owner) >= 0;
}
