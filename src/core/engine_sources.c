/* The engine's sources (see engine.h): the life of a sample, from a response through the
 * protocol tests, the source's statistics and selection to the reference update; the
 * transmissions; the sources' commands. */
#include "core/engine_int.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct engine_source *src_at(const struct engine *e, int index)
{
    assert(index >= 0 && index < e->n);
    return e->v[index];
}

void engine_source_free(struct engine_source *s)
{
    if (!s)
        return;
    ntp_client_fini(&s->client);
    sourcestats_free(s->stats);
    engine_refclock_free(s->rc);
    free(s);
}

static int tx_class(const struct engine_source *s)
{
    return s->client.opts.symmetric ? 1 : 0;
}

/* Move *when later until it is at least sep from the last request of s's class and from
 * every other armed source of the class (chrony's SCH_AddTimeoutInClass): sources polling
 * at the same interval never send at the same instant. s is not in the queue. */
static void separate(const struct engine *e, const struct engine_source *s, double sep,
                     struct timespec *when)
{
    /* A time moved to o + sep reads back as up to a nanosecond closer to o. */
    const double tolerance = 2e-9;
    int c = tx_class(s);

    if (e->have_last_tx[c]) {
        double d = ts_diff(when, &e->last_tx[c]);
        if (d >= 0.0 && d < sep - tolerance)
            ts_add(when, &e->last_tx[c], sep);
    }
    txq_separate(&e->txq, c, sep, tolerance, when);
}

/* The source's timer leaves the queue. */
static void disarm(struct engine *e, struct engine_source *s)
{
    if (s->armed) {
        int found = txq_remove(&e->txq, &s->tx_when, s->tx_seq);
        assert(found);
        (void)found;
    }
    s->armed = 0;
}

/* (Re)arm the source's transmit timer from the protocol's deadline; a deadline that did
 * not change keeps its place. */
static void arm(struct engine *e, struct engine_source *s)
{
    struct timespec when;

    if (s->rc || !ntp_client_next_tx(&s->client, &when)) {
        disarm(e, s);
        return;
    }
    if (s->armed && ts_cmp(&when, &s->armed_for) == 0)
        return;
    disarm(e, s);
    s->armed_for = when;
    separate(e, s, ntp_client_separation(&s->client), &when);
    s->tx_when = when;
    s->armed = 1;
    s->tx_seq = ++e->seq;
    txq_insert(&e->txq, &s->tx_when, s->tx_seq, tx_class(s), s);
}

int engine_add_source(struct engine *e, const struct engine_source_params *p,
                      const struct timespec *raw_now)
{
    struct engine_source *s = xcalloc(1, sizeof(*s));
    struct ntp_client_params cp;
    struct sourcestats_params sp = p->stats;

    cp.local_precision = e->cfg.precision;
    cp.max_clock_error = e->cfg.clock.max_clock_error_ppm * 1e-6;
    ntp_client_init(&s->client, &p->client, &cp);
    if (p->key_id)
        ntp_client_set_auth(&s->client, p->keys, p->key_id);
    if (p->nts) {
        ntp_client_set_nts(&s->client, p->nts);
        s->nts = 1;
    }
    s->sel_options = p->sel_options;
    s->ref_id = p->ref_id;
    s->stratum = 0;
    s->leap = 3;
    sp.precision = e->cfg.precision;
    s->stats = sourcestats_new(&sp);
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->v = xrealloc(e->v, sizeof(*e->v) * (size_t)e->cap);
        e->inputs = xrealloc(e->inputs, sizeof(*e->inputs) * (size_t)e->cap);
    }
    s->index = e->n;
    e->v[e->n++] = s;
    select_add_source(e->sel);
    if (p->refclock) {
        s->rc = engine_refclock_new(e, p->refclock);
        return e->n - 1;
    }
    ntp_client_start(&s->client, raw_now);
    arm(e, s);
    return e->n - 1;
}

static void index_removed(int *index, int removed)
{
    if (*index == removed)
        *index = -1;
    else if (*index > removed)
        (*index)--;
}

void engine_source_clear_reach(struct engine *e, int index)
{
    src_at(e, index)->client.reach = 0;
}

void engine_remove_source(struct engine *e, int index)
{
    struct engine_source *s = src_at(e, index);

    disarm(e, s);
    select_remove_source(e->sel, index);
    memmove(&e->v[index], &e->v[index + 1], sizeof(*e->v) * (size_t)(e->n - index - 1));
    e->n--;
    for (int i = index; i < e->n; i++)
        e->v[i]->index = i;
    index_removed(&e->selected, index);
    index_removed(&e->pending_replace, index);
    engine_source_free(s);
}

int engine_source_count(const struct engine *e)
{
    return e->n;
}

const struct engine_source *engine_source(const struct engine *e, int index)
{
    return index >= 0 && index < e->n ? e->v[index] : NULL;
}

int engine_selected(const struct engine *e)
{
    return e->selected;
}

int engine_get_select_state(const struct engine *e, int index, struct select_source_state *out)
{
    return select_get_source_state(e->sel, index, out);
}

void engine_sources_on_step(struct engine *e, double doffset)
{
    /* The protocol keeps its deadlines on the raw timescale, which moved back by doffset;
     * so do the armed timers and the last transmissions. */
    for (int c = 0; c < 2; c++)
        if (e->have_last_tx[c])
            ts_add(&e->last_tx[c], &e->last_tx[c], -doffset);
    txq_shift(&e->txq, -doffset); /* the same arithmetic as each source's tx_when below */
    for (int i = 0; i < e->n; i++) {
        struct engine_source *s = e->v[i];
        struct ntp_client *c = &s->client;
        if (s->armed) {
            ts_add(&s->tx_when, &s->tx_when, -doffset);
            ts_add(&s->armed_for, &s->armed_for, -doffset);
        }
        ts_add(&c->next_tx, &c->next_tx, -doffset);
        if (!ts_is_zero(&c->last_tx_now))
            ts_add(&c->last_tx_now, &c->last_tx_now, -doffset);
    }
}

void engine_sources_on_unknown_step(struct engine *e, const struct timespec *raw_now,
                                    struct engine_out *out)
{
    /* chrony resets the instances and their polling, then reselects. */
    for (int i = 0; i < e->n; i++) {
        struct engine_source *s = e->v[i];
        sourcestats_reset(s->stats);
        select_reset_source(e->sel, i);
        ntp_client_reset(&s->client);
        ntp_client_reset_poll(&s->client, raw_now);
        s->have_tx = 0;
        arm(e, s);
    }
    engine_select(e, -1, raw_now, out);
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

/* The measurements.log row of a response, written as chrony's receive_packet does at its
 * end: after the sample went through the statistics, the selection and the reference
 * update, with the poll and poll score the sample led to. report: the exchange as the
 * response left it. */
static void log_measurement(struct engine *e, int index, const struct ntp_client_result *res,
                            const struct ntp_client_report *report, const struct timespec *when,
                            struct engine_out *out)
{
    const struct engine_source *s = e->v[index];
    struct engine_action *a;

    if (!(e->cfg.log_mask & ENGINE_LOG_MEASUREMENTS) || !res->valid)
        return;
    a = engine_out_add(out, ENGINE_ACT_LOG_MEASUREMENT, index);
    a->u.meas.synced = res->synced;
    a->u.meas.report = *report;
    a->u.meas.poll = ntp_client_get_poll(&s->client);
    a->u.meas.poll_score = ntp_client_get_poll_score(&s->client);
    a->u.meas.when = *when;
}

/* chrony's SRC_ResetInstance: the source's selection state, reachability and samples start
 * afresh (its protocol state and reference ID stay); selection runs again when it was the
 * synchronisation source. */
static void reset_instance(struct engine *e, int index, const struct timespec *raw_now,
                           struct engine_out *out)
{
    struct engine_source *s = e->v[index];

    ntp_client_clear_reach(&s->client);
    sourcestats_reset(s->stats);
    select_reset_source(e->sel, index);
    s->stratum = 0;
    s->leap = 3;
    if (index == e->selected)
        engine_select(e, -1, raw_now, out);
}

/* `extfield F323`: the server corrected its own time since the samples kept so far were
 * taken; they are shifted with it before the new one joins them (chrony's SST_CorrectOffset),
 * so its time corrections are not taken for a frequency error. */
static void correct_mono(struct engine_source *s, const struct ntp_client_result *res)
{
    if (res->mono_doffset != 0.0)
        sourcestats_correct_offset(s->stats, res->mono_doffset);
}

void engine_on_response(struct engine *e, int index, const struct engine_rx *rx,
                        struct engine_out *out)
{
    struct engine_source *s = src_at(e, index);
    struct ntp_client_stats stats;
    struct ntp_client_self self;
    struct ntp_client_rx_ctx ctx;
    struct ntp_client_result res;
    enum ntp_client_verdict v;
    struct ntp_server_ref ref;
    struct ntp_client_report report;
    struct timespec rx_cooked;
    double err;

    engine_cooked_time(e, &rx->rx_raw, &rx_cooked, &err);
    fill_client_stats(s->stats, &rx_cooked, &stats);
    memset(&self, 0, sizeof(self));
    engine_get_served(e, &rx->rx_raw, &ref);
    self.stratum = ref.stratum;
    self.ref_id = ref.ref_id;
    self.root_delay = ref.root_delay;
    self.ref_time = ref.ref_time;
    self.local_refid = rx->local_refid;
    memset(&ctx, 0, sizeof(ctx));
    ctx.now = rx->rx_raw;
    ctx.rx_src = rx->rx_src;
    ctx.tx_src = s->have_tx ? s->tx_src : NTP_CLIENT_TS_DAEMON;
    ctx.rx_err = err;
    ctx.rx_duration = rx->rx_duration;
    ctx.rx_net_correction = rx->net_correction;
    ctx.stats = &stats;
    ctx.self = e->serving ? &self : NULL;
    memset(&res, 0, sizeof(res));
    ntp_client_set_our_stratum(&s->client, self.stratum);
    v = ntp_client_on_response(&s->client, rx->data, rx->len, &rx_cooked,
                               s->have_tx ? &s->tx_cooked : NULL, &ctx, &res);
    /* chrony logs a valid KoD RATE as it postpones the next request. */
    if (v == NTP_CLIENT_KOD_RATE && res.valid)
        engine_out_add(out, ENGINE_ACT_KOD_RATE, index);
    if (res.valid && rx->local_refid)
        s->local_ref_id = rx->local_refid;
    if (res.copy > 0)
        s->ref_id = res.copy_ref_id;
    else if (res.copy < 0)
        reset_instance(e, index, &rx->rx_raw, out);
    if (res.synced) {
        s->stratum = res.stratum;
        s->leap = res.leap;
    }
    ntp_client_get_report(&s->client, &report);
    if (res.has_sample) {
        correct_mono(s, &res);
        engine_on_sample(e, index, &res.sample, &rx->rx_raw, out);
    }
    log_measurement(e, index, &res, &report, &rx_cooked, out);
    engine_check_special_end(e, &rx->rx_raw, out);
    arm(e, s);
}

static void log_statistics(struct engine *e, int index, const struct timespec *when,
                           struct engine_out *out)
{
    struct sourcestats_log l;
    struct engine_action *a;

    if (!(e->cfg.log_mask & ENGINE_LOG_STATISTICS) || !sourcestats_get_log(e->v[index]->stats, &l))
        return;
    a = engine_out_add(out, ENGINE_ACT_LOG_STATISTICS, index);
    a->u.stats.log = l;
    a->u.stats.when = *when;
}

void engine_on_sample(struct engine *e, int index, const struct ntp_sample *smp,
                      const struct timespec *raw_now, struct engine_out *out)
{
    struct engine_source *s = src_at(e, index);
    struct timespec cooked_now, now;
    enum sourcestats_add_result r;
    double predicted, error, mark = e->own_shift;

    engine_cooked_time(e, raw_now, &cooked_now, NULL);
    if (disc_leap_second_close(&e->disc, &cooked_now, raw_now, &smp->time, smp->offset)) {
        engine_out_add(out, ENGINE_ACT_LEAP_DROP, index);
        return;
    }
    /* chrony's poll adjustment compares the sample with the prediction made before it is
     * accumulated. */
    predicted = sourcestats_predict_offset(s->stats, &smp->time);
    error = fabs(smp->offset - predicted);
    r = sourcestats_add_sample(s->stats, &smp->time, smp->offset, smp->peer_delay,
                               smp->peer_dispersion, smp->root_delay, smp->root_dispersion,
                               smp->stratum, smp->leap);
    if (r == SOURCESTATS_REJECTED)
        return;
    if (r == SOURCESTATS_ADDED_OUT_OF_ORDER)
        engine_out_add(out, ENGINE_ACT_OUT_OF_ORDER, index);
    sourcestats_do_regression(s->stats, NULL);
    log_statistics(e, index, &cooked_now, out);
    s->n_samples++;
    engine_select(e, index, raw_now, out);
    if (s->rc)
        return; /* a refclock polls at its configured interval */
    /* A step made by the update moved the raw timescale the next poll is planned on. */
    engine_now_since(e, mark, raw_now, &now);
    ntp_client_adjust_poll(
        &s->client, ntp_client_poll_adj(&s->client, smp, error, sourcestats_samples(s->stats)),
        &now);
}

static void fill_inputs(struct engine *e, const struct timespec *cooked_now)
{
    for (int i = 0; i < e->n; i++) {
        const struct engine_source *s = e->v[i];
        struct select_input *in = &e->inputs[i];
        memset(in, 0, sizeof(*in));
        in->type = s->rc ? SELECT_TYPE_REFCLOCK : SELECT_TYPE_NTP;
        in->conf_options = s->sel_options;
        in->authenticated = s->client.auth_key != 0 || s->nts;
        in->stratum = s->stratum;
        in->leap = s->leap;
        in->reachability = ntp_client_get_reach(&s->client);
        in->reachability_size = ntp_client_get_reach_size(&s->client);
        in->unreach_run = ntp_client_get_unreach_run(&s->client);
        in->max_unreach = s->client.opts.max_unreach;
        in->ref_id = s->ref_id;
        in->local_ref_id = s->local_ref_id;
        select_input_set_stats(in, s->stats, cooked_now);
    }
}

static void select_events(struct engine *e, const struct select_result *res, struct engine_out *out)
{
    for (int i = 0; i < res->n_events; i++) {
        const struct select_event *ev = &res->events[i];
        if (ev->code == SELECT_EV_REPLACE_SOURCE && ev->source >= 0)
            e->pending_replace = ev->source;
        engine_out_add(out, ENGINE_ACT_SELECT_EVENT, ev->source)->u.sel_event = *ev;
    }
}

/* selection.log: one line per source after a selection run. */
static void log_selection(struct engine *e, const struct timespec *when, struct engine_out *out)
{
    struct select_source_state st;
    struct engine_action *a;

    if (!(e->cfg.log_mask & ENGINE_LOG_SELECTION))
        return;
    for (int i = 0; i < e->n; i++) {
        if (!select_get_source_state(e->sel, i, &st))
            continue;
        a = engine_out_add(out, ENGINE_ACT_LOG_SELECTION, i);
        a->u.sel.state = st;
        a->u.sel.reach = ntp_client_get_reach(&e->v[i]->client);
        a->u.sel.when = *when;
    }
}

void engine_select(struct engine *e, int updated, const struct timespec *raw_now,
                   struct engine_out *out)
{
    struct select_result res;
    struct timespec cooked_now;

    if (e->n == 0)
        return;
    engine_cooked_time(e, raw_now, &cooked_now, NULL);
    fill_inputs(e, &cooked_now);
    e->cfg.select.orphan_stratum = disc_get_orphan_stratum(&e->disc);
    /* chrony logs no selection messages in a special reference mode. */
    e->cfg.select.quiet = e->disc.mode != DISC_MODE_NORMAL;
    select_run(e->sel, &e->cfg.select, e->inputs, e->n, updated, &res);
    e->pending_replace = -1;
    select_events(e, &res, out);
    log_selection(e, &cooked_now, out);
    e->selected = res.selected;
    for (int i = 0; i < e->n; i++)
        ntp_client_set_sync_peer(&e->v[i]->client, i == res.selected);
    if (res.update_reference)
        engine_update(e, raw_now, &res.ref,
                      res.selected >= 0 && res.selected < e->n ? res.selected : -2, out);
    else if (res.unsynchronise)
        engine_unsynchronise(e, raw_now, out);
    else if (res.leap_valid && res.selected >= 0)
        engine_update_leap(e, raw_now, res.leap, out);
    if (e->pending_replace >= 0)
        engine_out_add(out, ENGINE_ACT_REPLACE, e->pending_replace);
}

/* What follows a transmission (or an expiry that sent nothing). */
static void after_transmit(struct engine *e, int index, unsigned reach_before,
                           const struct timespec *raw_now, struct engine_out *out)
{
    struct engine_source *s = e->v[index];
    unsigned reach = ntp_client_get_reach(&s->client);

    /* chrony tries to replace a source unreachable for a full register. */
    if (!reach && ntp_client_get_reach_size(&s->client) == NTP_CLIENT_REACH_BITS)
        engine_out_add(out, ENGINE_ACT_REPLACE, index);
    /* chrony reselects when the selected source missed a poll, and after every update
     * that leaves a register empty (maxunreach may make the source stale). */
    if ((reach != reach_before && !(reach & 1u) && index == e->selected) ||
        (!reach && ntp_client_get_unreach_run(&s->client) > 0))
        engine_select(e, -1, raw_now, out);
    engine_check_special_end(e, raw_now, out);
    arm(e, s);
}

void engine_check_special_end(struct engine *e, const struct timespec *raw_now,
                              struct engine_out *out)
{
    struct timespec cooked_now;
    int *active, *samples, end;

    if (e->n == 0 || e->disc.mode == DISC_MODE_NORMAL || e->disc.mode == DISC_MODE_IGNORE)
        return;
    engine_cooked_time(e, raw_now, &cooked_now, NULL);
    fill_inputs(e, &cooked_now);
    active = xcalloc((size_t)e->n, sizeof(*active));
    samples = xcalloc((size_t)e->n, sizeof(*samples));
    for (int i = 0; i < e->n; i++) {
        active[i] = e->v[i]->client.opmode != NTP_CLIENT_OFFLINE;
        samples[i] = sourcestats_samples(e->v[i]->stats);
    }
    end = select_special_mode_end(e->inputs, active, samples, e->n);
    free(active);
    free(samples);
    if (end)
        engine_unsynchronise(e, raw_now, out);
}

void engine_source_transmit(struct engine *e, int index, const struct timespec *raw_now,
                            struct engine_out *out)
{
    struct engine_source *s = src_at(e, index);
    struct ntp_client_result res;
    struct engine_action *a;
    struct ntp_server_ref ref;
    struct timespec now;
    uint8_t *buf;
    size_t off, len;
    double mark = e->own_shift;

    disarm(e, s);
    s->reach_before = ntp_client_get_reach(&s->client);
    e->last_tx[tx_class(s)] = *raw_now;
    e->have_last_tx[tx_class(s)] = 1;
    memset(&res, 0, sizeof(res));
    if (s->client.opts.symmetric) {
        engine_get_served(e, raw_now, &ref);
        ntp_client_set_our_stratum(&s->client, ref.stratum);
    }
    buf = engine_out_packet(out, NTP_CLIENT_REQUEST_MAX_LEN, &off);
    len = ntp_client_on_timer(&s->client, raw_now, e->rng, buf, NTP_CLIENT_REQUEST_MAX_LEN, &res);
    if (res.has_sample) {
        correct_mono(s, &res);
        engine_on_sample(e, index, &res.sample, raw_now, out);
    }
    if (!len) {
        engine_now_since(e, mark, raw_now, &now);
        after_transmit(e, index, s->reach_before, &now, out);
        return;
    }
    /* The buffer may have moved while the sample was processed. */
    out->pkt_len = off + len;
    a = engine_out_add(out, ENGINE_ACT_SEND, index);
    a->u.send.off = off;
    a->u.send.len = len;
}

size_t engine_peer_finish(struct engine *e, int index, uint8_t *buf, size_t len, size_t cap,
                          const struct timespec *tx_raw)
{
    struct engine_source *s = src_at(e, index);
    struct ntp_server_ref ref;
    struct timespec tx;

    engine_cooked_time(e, tx_raw, &tx, NULL);
    engine_get_served(e, tx_raw, &ref);
    return ntp_client_peer_finish(&s->client, buf, len, cap, &ref, &tx);
}

void engine_tx_done(struct engine *e, int index, int ok, const struct timespec *tx_raw,
                    const struct timespec *raw_now, struct engine_out *out)
{
    struct engine_source *s = src_at(e, index);

    if (!ok) {
        ntp_client_on_send_error(&s->client, raw_now);
    } else {
        engine_cooked_time(e, tx_raw, &s->tx_cooked, NULL);
        s->have_tx = 1;
        s->tx_src = NTP_CLIENT_TS_DAEMON;
        /* The interleaved modes use it after the response: the next packet carries it. */
        ntp_client_set_local_tx(&s->client, &s->tx_cooked);
    }
    after_transmit(e, index, s->reach_before, raw_now, out);
}

int engine_response_waits_tx(const struct engine *e, int index, const uint8_t *data, size_t len)
{
    const struct engine_source *s = src_at(e, index);

    return !s->rc && s->have_tx && s->tx_src != NTP_CLIENT_TS_HW &&
           ntp_client_response_waits(&s->client, data, len);
}

void engine_on_tx_timestamp(struct engine *e, int index, const uint8_t *pkt, size_t len,
                            const struct timespec *tx_raw, enum ntp_client_ts_src src)
{
    struct engine_source *s = src_at(e, index);
    struct ntp_ts64 sent;
    struct timespec tx;
    double delay;

    if (len < NTP_CLIENT_REQUEST_LEN || src == NTP_CLIENT_TS_DAEMON)
        return;
    /* chrony's update_tx_timestamp(): only the last packet sent, never earlier than the
     * daemon's timestamp nor more than a second after it. The client counts it (ntpdata)
     * either way and, even after the response, gives it to the interleaved mode. */
    ntp_ts64_from_bytes(&sent, pkt + 40);
    engine_cooked_time(e, tx_raw, &tx, NULL);
    if (!s->have_tx || !ntp_ts64_equal(&sent, &s->client.cookie)) {
        ntp_client_count_tx_ts(&s->client, src);
        return;
    }
    ntp_client_set_tx_ts(&s->client, &tx, src);
    delay = ts_diff(&tx, &s->tx_cooked);
    if (delay < 0.0 || delay > 1.0)
        return;
    s->tx_cooked = tx;
    s->tx_src = src;
}

void engine_source_set_nts_random(struct engine *e, int index,
                                  const uint8_t rnd[NTS_CLIENT_RANDOM_LEN])
{
    ntp_client_set_nts_random(&src_at(e, index)->client, rnd);
}

void engine_reselect(struct engine *e, int force, const struct timespec *raw_now,
                     struct engine_out *out)
{
    if (force)
        select_force_reselect(e->sel);
    engine_select(e, -1, raw_now, out);
}

void engine_reset_sources(struct engine *e, const struct timespec *raw_now, struct engine_out *out)
{
    /* chrony resets every source instance (reachability, stratum, leap, samples), then
     * notifies an unknown clock step: the protocol state and polling start afresh and the
     * sources are selected again. */
    for (int i = 0; i < e->n; i++) {
        struct engine_source *s = e->v[i];
        ntp_client_clear_reach(&s->client);
        s->stratum = 0;
        s->leap = 3;
    }
    engine_sources_on_unknown_step(e, raw_now, out);
}

int engine_source_command(struct engine *e, int index, enum engine_src_cmd cmd, int i1, int i2,
                          double d, const struct timespec *raw_now)
{
    struct engine_source *s = src_at(e, index);
    struct ntp_client *c = &s->client;
    int was, changed = 0;

    switch (cmd) {
    case ENGINE_SRC_ONLINE:
    case ENGINE_SRC_OFFLINE:
        was = ntp_client_is_online(c);
        ntp_client_set_online(c, cmd == ENGINE_SRC_ONLINE, raw_now);
        changed = was != ntp_client_is_online(c);
        arm(e, s);
        break;
    case ENGINE_SRC_BURST:
        ntp_client_initiate_burst(c, i1, i2, raw_now);
        arm(e, s);
        break;
    case ENGINE_SRC_MINPOLL:
        ntp_client_set_minpoll(c, i1);
        break;
    case ENGINE_SRC_MAXPOLL:
        ntp_client_set_maxpoll(c, i1);
        break;
    case ENGINE_SRC_MINSTRATUM:
        ntp_client_set_min_stratum(c, i1);
        break;
    case ENGINE_SRC_POLLTARGET:
        ntp_client_set_polltarget(c, i1);
        break;
    case ENGINE_SRC_MAXDELAY:
        ntp_client_set_max_delay(c, d);
        break;
    case ENGINE_SRC_MAXDELAYRATIO:
        ntp_client_set_max_delay_ratio(c, d);
        break;
    case ENGINE_SRC_MAXDELAYDEVRATIO:
        ntp_client_set_max_delay_dev_ratio(c, d);
        break;
    case ENGINE_SRC_OFFSET:
        ntp_client_set_offset(c, d);
        break;
    case ENGINE_SRC_SELECTOPTS:
        changed = s->sel_options != (unsigned)i1;
        s->sel_options = (unsigned)i1;
        break;
    }
    return changed;
}

void engine_source_restart(struct engine *e, int index, uint32_t ref_id)
{
    struct engine_source *s = src_at(e, index);

    s->ref_id = ref_id;
    /* A new server: no exchange, samples or reachability carry over. */
    ntp_client_reset(&s->client);
    ntp_client_clear_reach(&s->client);
    sourcestats_reset(s->stats);
    select_reset_source(e->sel, index);
    s->have_tx = 0;
    s->stratum = 0;
    s->leap = 3;
    arm(e, s);
}

void engine_source_set_ref_id(struct engine *e, int index, uint32_t ref_id)
{
    src_at(e, index)->ref_id = ref_id;
}

void engine_source_dump(const struct engine *e, int index, struct sourcedump *d)
{
    const struct engine_source *s = src_at(e, index);

    d->authenticated = s->client.auth_key != 0;
    d->reach = ntp_client_get_reach(&s->client) & ((1u << SOURCEDUMP_REACH_BITS) - 1);
    d->reach_size = ntp_client_get_reach_size(&s->client);
    d->stratum = s->stratum;
    d->leap = s->leap;
    sourcedump_from_stats(d, s->stats);
}

int engine_source_load(struct engine *e, int index, const struct sourcedump *d)
{
    struct engine_source *s = src_at(e, index);

    if (!sourcedump_to_stats(d, s->stats))
        return 0;
    s->client.reach = d->reach;
    s->client.reach_size = d->reach_size;
    s->stratum = d->stratum;
    s->leap = d->leap;
    return 1;
}

void engine_source_allow_update(struct engine *e, int index)
{
    assert(index >= 0 && index < e->n);
    select_add_update(e->sel, index);
}
