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
    ntp_client_on_response(&s->client, rx->data, rx->len, &rx_cooked,
                           s->have_tx ? &s->tx_cooked : NULL, &ctx, &res);
    if (res.synced) {
        s->stratum = res.stratum;
        s->leap = res.leap;
    }
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
    if (disc_leap_second_close(&n->ref.disc, &cooked_now, raw_now, &smp->time, smp->offset)) {
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

void sources_select(struct node *n, int updated, const struct timespec *raw_now)
{
    struct sources *ss = &n->srcs;
    struct select_result res;
    struct timespec cooked_now;
    struct disc_outcome out;

    if (ss->n == 0)
        return;
    reference_cooked_time(n, raw_now, &cooked_now, NULL);
    fill_inputs(n, &cooked_now);
    ss->sel_cfg.orphan_stratum = disc_get_orphan_stratum(&n->ref.disc);
    select_run(ss->sel, &ss->sel_cfg, ss->inputs, ss->n, updated, &res);
    ss->pending_replace = -1;
    log_select_events(n, &res);
    ss->selected = res.selected;
    for (int i = 0; i < ss->n; i++)
        ntp_client_set_sync_peer(&ss->v[i]->client, i == res.selected);
    if (res.update_reference) {
        reference_update(n, raw_now, &res.ref);
    } else if (res.unsynchronise) {
        reference_unsynchronise(n, raw_now);
    } else if (res.leap_valid && res.selected >= 0) {
        disc_update_leap(&n->ref.disc, raw_now, res.leap, &out);
        reference_apply(n, raw_now, &out.cmd);
    }
    if (ss->pending_replace >= 0)
        sources_handle_bad(n, ss->pending_replace, raw_now);
}
