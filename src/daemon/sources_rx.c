/* The life of a sample: a response on a source's socket goes through the
 * protocol state (RFC 5905 tests), its sample into source statistics, then
 * source selection, whose reference update goes to the discipline. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "lib/ts.h"

#include <math.h>
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

/* The statistics snapshot for tests B and C (see ntp_client_stats). */
static void fill_client_stats(const struct sourcestats *st, const struct timespec *rx_cooked,
                              struct ntp_client_stats *out)
{
    double ago, pred, min_delay, skew, sd, lo, hi;

    memset(out, 0, sizeof(*out));
    if (sourcestats_get_delay_test_data(st, rx_cooked, &ago, &pred, &min_delay, &skew, &sd)) {
        out->have_delay_test_data = 1;
        ts_add(&out->last_sample_time, rx_cooked, -ago);
        out->predicted_offset = pred;
        out->freq = 0.0;
        out->std_dev = sd;
    }
    sourcestats_get_frequency_range(st, &lo, &hi);
    out->skew = (hi - lo) / 2.0;
    out->min_delay = sourcestats_min_round_trip_delay(st);
    out->jitter_asymmetry = sourcestats_get_asymmetry(st);
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

/* A measurements.log line for a response (chrony's `log measurements`, or
 * every response with `rawmeasurements`). */
static void log_measurement(struct source *s, const struct ntp_client_result *res,
                            const struct timespec *when)
{
    struct node *n = s->node;
    struct ntp_client_report r;
    char ip[64];
    unsigned t;

    if (!logfiles_enabled(&n->logs, LOGF_MEASUREMENTS) || !res->valid ||
        !(res->synced || n->logs.raw_measurements))
        return;
    ntp_client_get_report(&s->client, &r);
    t = r.tests;
    logfiles_write(&n->logs, n->env, LOGF_MEASUREMENTS, when,
                   "%-15s %c %2d %u%u%u %u%u%u %u%u%u%u %3d %2d %4.2f %10.3e %10.3e %10.3e "
                   "%10.3e %10.3e %08X %d%c %c %c",
                   ip_addr_format(&s->remote.ip, ip, sizeof(ip)), leap_char(r.leap), r.stratum,
                   test_bit(t, 0), test_bit(t, 1), test_bit(t, 2), test_bit(t, 3), test_bit(t, 4),
                   test_bit(t, 5), test_bit(t, 6), test_bit(t, 7), test_bit(t, 8), test_bit(t, 9),
                   ntp_client_get_poll(&s->client), r.poll, ntp_client_get_poll_score(&s->client),
                   r.offset, r.peer_delay, r.peer_dispersion, r.root_delay, r.root_dispersion,
                   (unsigned)r.ref_id, r.mode, r.interleaved ? 'I' : 'B', r.tx_tss_char,
                   r.rx_tss_char);
}

/* A statistics.log line after a successful regression. */
static void log_statistics(struct source *s, const struct timespec *when)
{
    struct node *n = s->node;
    struct sourcestats_log l;
    char ip[64];

    if (!logfiles_enabled(&n->logs, LOGF_STATISTICS) || !sourcestats_get_log(s->stats, &l))
        return;
    logfiles_write(&n->logs, n->env, LOGF_STATISTICS, when,
                   "%-15s %10.3e %10.3e %10.3e %10.3e %10.3e %7.1e %3d %3d %3d %5.2f",
                   ip_addr_format(&s->remote.ip, ip, sizeof(ip)), l.std_dev, l.est_offset,
                   l.est_offset_sd, l.freq, l.skew, l.stress, l.n_samples, l.dropped, l.n_runs,
                   l.asym);
}

static void source_on_response(struct source *s, const struct net_rx *rx)
{
    struct node *n = s->node;
    struct ntp_client_stats stats;
    struct ntp_client_self self;
    struct ntp_client_rx_ctx ctx;
    struct ntp_client_result res;
    struct timespec rx_cooked;
    double err;

    reference_cooked_time(n, &rx->rx_ts, &rx_cooked, &err);
    fill_client_stats(s->stats, &rx_cooked, &stats);
    memset(&self, 0, sizeof(self));
    reference_get_self(n, &rx->rx_ts, &self.stratum, &self.ref_id, &self.root_delay,
                       &self.ref_time);
    self.local_refid = local_refid(rx);
    memset(&ctx, 0, sizeof(ctx));
    ctx.now = rx->rx_ts;
    ctx.rx_src = ts_src_of(rx->rx_ts_src);
    ctx.tx_src = NTP_CLIENT_TS_DAEMON;
    ctx.rx_err = err;
    ctx.stats = &stats;
    ctx.self = n->serve.socks[0] >= 0 || n->serve.socks[1] >= 0 ? &self : NULL;
    memset(&res, 0, sizeof(res));
    ntp_client_set_our_stratum(&s->client, self.stratum);
    ntp_client_on_response(&s->client, rx->data, rx->len, &rx_cooked,
                           s->have_tx ? &s->tx_cooked : NULL, &ctx, &res);
    if (res.synced) {
        s->stratum = res.stratum;
        s->leap = res.leap;
    }
    log_measurement(s, &res, &rx_cooked);
    if (res.has_sample)
        sources_process_sample(s, &res.sample, &rx->rx_ts);
    sources_arm(s);
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
        if (s->client.opts.symmetric) {
            int mode = rx->len > 0 ? rx->data[0] & 7 : 0;
            if ((mode == 1 || mode == 2) && ip_addr_equal(&rx->remote.ip, &s->remote.ip) &&
                rx->remote.port == s->remote.port) {
                source_on_response(s, rx);
                return 1;
            }
            continue;
        }
        mine = 1;
        /* A client socket only accepts its server's address and port. */
        if (ip_addr_equal(&rx->remote.ip, &s->remote.ip) && rx->remote.port == s->remote.port) {
            source_on_response(s, rx);
            return 1;
        }
    }
    return mine;
}

void sources_process_sample(struct source *s, const struct ntp_sample *smp,
                            const struct timespec *raw_now)
{
    struct node *n = s->node;
    struct timespec cooked_now;
    enum sourcestats_add_result r;
    double predicted, error;
    char name[300];

    reference_cooked_time(n, raw_now, &cooked_now, NULL);
    if (engine_leap_second_close(&n->ref.engine, raw_now, &smp->time, smp->offset)) {
        LOG_DEBUG(n->env->log, "Dropping sample around leap second");
        return;
    }
    /* chrony's poll adjustment compares the sample with the prediction made
     * before it is accumulated. */
    predicted = sourcestats_predict_offset(s->stats, &smp->time);
    error = fabs(smp->offset - predicted);
    r = sourcestats_add_sample(s->stats, &smp->time, smp->offset, smp->peer_delay,
                               smp->peer_dispersion, smp->root_delay, smp->root_dispersion,
                               smp->stratum, smp->leap);
    if (r == SOURCESTATS_REJECTED)
        return;
    if (r == SOURCESTATS_ADDED_OUT_OF_ORDER)
        LOG_WARN(n->env->log, "Out of order sample detected, discarding history for %s",
                 sources_display_name(s, name, sizeof(name)));
    sourcestats_do_regression(s->stats, NULL);
    log_statistics(s, &cooked_now);
    s->n_samples++;
    sources_select(n, sources_index(s), raw_now);
    ntp_client_adjust_poll(
        &s->client, ntp_client_poll_adj(&s->client, smp, error, sourcestats_samples(s->stats)),
        raw_now);
}

static void fill_inputs(struct node *n, const struct timespec *cooked_now)
{
    struct sources *ss = &n->srcs;

    for (int i = 0; i < ss->n; i++) {
        const struct source *s = ss->v[i];
        struct select_input *in = &ss->inputs[i];
        memset(in, 0, sizeof(*in));
        in->type = SELECT_TYPE_NTP;
        in->conf_options = s->sel_options;
        in->authenticated = s->client.auth_key != 0 || s->nts_on;
        in->stratum = s->stratum;
        in->leap = s->leap;
        in->reachability = ntp_client_get_reach(&s->client);
        in->reachability_size = ntp_client_get_reach_size(&s->client);
        in->ref_id = s->ref_id;
        select_input_set_stats(in, s->stats, cooked_now);
    }
}

static void log_select_events(struct node *n, const struct select_result *res)
{
    struct sources *ss = &n->srcs;
    char name[300], msg[400];

    for (int i = 0; i < res->n_events; i++) {
        const struct select_event *ev = &res->events[i];
        name[0] = '\0';
        if (ev->source >= 0 && ev->source < ss->n)
            sources_display_name(ss->v[ev->source], name, sizeof(name));
        if (ev->code == SELECT_EV_REPLACE_SOURCE && ev->source >= 0)
            n->srcs.pending_replace = ev->source;
        if (!select_event_format(ev, name, msg, sizeof(msg)))
            continue;
        if (select_event_severity(ev->code) == SELECT_SEV_WARN)
            LOG_WARN(n->env->log, "%s", msg);
        else
            LOG_INFO(n->env->log, "%s", msg);
    }
}

/* selection.log: one line per source after a selection run. */
static void log_selection(struct node *n, const struct timespec *when)
{
    struct sources *ss = &n->srcs;
    struct select_source_state st;
    char ip[64];

    if (!logfiles_enabled(&n->logs, LOGF_SELECTION))
        return;
    for (int i = 0; i < ss->n; i++) {
        if (!select_get_source_state(ss->sel, i, &st))
            continue;
        logfiles_write(&n->logs, n->env, LOGF_SELECTION, when,
                       "%-15s %c -%c%c%c%c %4o %5.2f %10.3e %10.3e %10.3e",
                       ip_addr_format(&ss->v[i]->remote.ip, ip, sizeof(ip)), st.status_char,
                       st.eff_options & SELECT_OPT_NOSELECT ? 'N' : '-',
                       st.eff_options & SELECT_OPT_PREFER ? 'P' : '-',
                       st.eff_options & SELECT_OPT_TRUST ? 'T' : '-',
                       st.eff_options & SELECT_OPT_REQUIRE ? 'R' : '-',
                       ntp_client_get_reach(&ss->v[i]->client), st.score, st.last_sample_ago,
                       st.lo_limit, st.hi_limit);
    }
}

void sources_select(struct node *n, int updated, const struct timespec *raw_now)
{
    struct sources *ss = &n->srcs;
    struct select_result res;
    struct timespec cooked_now;

    if (ss->n == 0)
        return;
    reference_cooked_time(n, raw_now, &cooked_now, NULL);
    fill_inputs(n, &cooked_now);
    ss->sel_cfg.orphan_stratum = engine_orphan_stratum(&n->ref.engine);
    select_run(ss->sel, &ss->sel_cfg, ss->inputs, ss->n, updated, &res);
    ss->pending_replace = -1;
    log_select_events(n, &res);
    log_selection(n, &cooked_now);
    ss->selected = res.selected;
    for (int i = 0; i < ss->n; i++)
        ntp_client_set_sync_peer(&ss->v[i]->client, i == res.selected);
    if (res.update_reference) {
        if (res.selected >= 0 && res.selected < ss->n)
            ip_addr_format(&ss->v[res.selected]->remote.ip, n->log_ref_name,
                           sizeof(n->log_ref_name));
        reference_update(n, raw_now, &res.ref);
    } else if (res.unsynchronise) {
        reference_unsynchronise(n, raw_now);
    } else if (res.leap_valid && res.selected >= 0) {
        reference_update_leap(n, raw_now, res.leap);
    }
    if (ss->pending_replace >= 0)
        sources_handle_bad(n, ss->pending_replace, raw_now);
}
