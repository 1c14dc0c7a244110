/* Source selection and combining; see select.h. The steps follow chrony's
 * SRC_SelectSource(): build intervals, drop unusable sources, find the
 * interval shared by most sources, keep the sources overlapping it, apply
 * require/prefer, choose the best by score with hysteresis, combine. */
#include "core/select.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/select_int.h"
#include "lib/mem.h"

void select_config_default(struct select_config *c)
{
    c->min_sources = 1;
    c->max_distance = 3.0;
    c->max_jitter = 1.0;
    c->reselect_distance = 1e-4;
    c->stratum_weight = 1e-3;
    c->combine_limit = 3.0;
    c->max_clock_error = 1e-6;
    c->orphan_stratum = 16;
    c->auth_mode = SELECT_AUTH_MIX;
    c->quiet = 0;
}

struct selector *select_new(void)
{
    struct selector *s = xcalloc(1, sizeof(*s));

    s->selected = -1;
    s->last_updated = -1;
    return s;
}

void select_free(struct selector *s)
{
    if (!s)
        return;
    free(s->src);
    free(s->sel_list);
    free(s->ep);
    free(s->ev);
    free(s);
}

static void reset_src(struct sel_src *x)
{
    memset(x, 0, sizeof(*x));
    x->status = SELECT_ST_BAD_STATS;
    x->score = 1.0;
}

int select_add_source(struct selector *s)
{
    if ((size_t)s->n >= s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->src = xrealloc(s->src, s->cap * sizeof(*s->src));
        s->sel_list = xrealloc(s->sel_list, s->cap * sizeof(*s->sel_list));
        s->ep = xrealloc(s->ep, 2 * s->cap * sizeof(*s->ep));
        s->ev_cap = 4 * (int)s->cap + 8;
        s->ev = xrealloc(s->ev, (size_t)s->ev_cap * sizeof(*s->ev));
    }
    assert((size_t)s->n < s->cap && s->ev_cap >= 4 * s->n + 8);
    reset_src(&s->src[s->n]);
    return s->n++;
}

void select_remove_source(struct selector *s, int index)
{
    /* The caller keeps its indices in step with ours. */
    assert(index >= 0 && index < s->n);
    if (index < 0 || index >= s->n)
        return;
    memmove(&s->src[index], &s->src[index + 1], (size_t)(s->n - index - 1) * sizeof(*s->src));
    s->n--;
    if (s->last_updated == index)
        s->last_updated = -1;
    else if (s->last_updated > index)
        s->last_updated--;
    if (s->selected > index) {
        s->selected--;
    } else if (s->selected == index) {
        s->selected = -1;
        s->report_selection_loss = 1;
    }
}

void select_reset_source(struct selector *s, int index)
{
    assert(index >= 0 && index < s->n);
    if (index >= 0 && index < s->n)
        reset_src(&s->src[index]);
}

int select_count(const struct selector *s)
{
    return s->n;
}

int select_selected(const struct selector *s)
{
    return s->selected;
}

void select_force_reselect(struct selector *s)
{
    s->selected = -1;
}

void select_add_update(struct selector *s, int index)
{
    assert(index >= 0 && index < s->n);
    if (index >= 0 && index < s->n)
        s->src[index].updates++;
}

static struct select_event *push_event(struct selector *s, enum select_event_code code, int src)
{
    struct select_event *e;

    assert(src >= -1 && src < s->n);
    if (s->n_ev >= s->ev_cap)
        return NULL;
    e = &s->ev[s->n_ev++];
    memset(e, 0, sizeof(*e));
    e->code = code;
    e->source = src;
    return e;
}

/* chrony logs selection messages only in the normal reference mode. */
struct select_event *sel_log_event(struct selector *s, enum select_event_code code, int src)
{
    assert(s->cfg); /* during a run only */
    if (s->cfg->quiet)
        return NULL;
    return push_event(s, code, src);
}

/* Set a status; count consecutive bad statuses of the source that provided
 * the last sample and ask for its replacement past the threshold. */
void sel_set_status(struct selector *s, int i, enum select_status st)
{
    struct sel_src *x;

    assert(i >= 0 && i < s->n);
    assert((int)st >= 0 && st < SELECT_ST_COUNT);
    x = &s->src[i];
    x->status = st;
    if (i != s->last_updated)
        return;
    if (x->bad < INT_MAX &&
        (st == SELECT_ST_FALSETICKER || st == SELECT_ST_BAD_DISTANCE || st == SELECT_ST_JITTERY))
        x->bad++;
    else
        x->bad = 0;
    if (x->bad >= SELECT_BAD_HANDLE_THRESHOLD && x->type == SELECT_TYPE_NTP)
        push_event(s, SELECT_EV_REPLACE_SOURCE, i);
}

/* Set a status and log it once per selection (chrony's mark_source). */
void sel_mark(struct selector *s, int i, enum select_status st)
{
    struct sel_src *x = &s->src[i];
    struct select_event *e = NULL;

    sel_set_status(s, i, st);
    if (x->reported[st])
        return;
    switch (st) {
    case SELECT_ST_BAD_DISTANCE:
        if (x->bad >= SELECT_BAD_HANDLE_THRESHOLD &&
            (e = sel_log_event(s, SELECT_EV_MAX_DISTANCE, i)))
            e->value = s->cfg->max_distance;
        break;
    case SELECT_ST_JITTERY:
        if (x->bad >= SELECT_BAD_HANDLE_THRESHOLD &&
            (e = sel_log_event(s, SELECT_EV_MAX_JITTER, i)))
            e->value = s->cfg->max_jitter;
        break;
    case SELECT_ST_FALSETICKER:
        e = sel_log_event(s, SELECT_EV_FALSETICKER, i);
        break;
    case SELECT_ST_SELECTED:
        e = sel_log_event(s, SELECT_EV_SELECTED, i);
        break;
    default:
        break;
    }
    if (e)
        x->reported[st] = 1;
}

/* Give every source still OK the same final status, without logging. */
static void mark_ok(struct selector *s, enum select_status st)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (s->src[i].status == SELECT_ST_OK)
            sel_set_status(s, i, st);
}

/* Lose the selection. NO_EVENT means a transient state: the loss is logged
 * later, by a call with a message, unless a source is selected first. */
#define NO_EVENT SELECT_EV_COUNT
static void unselect(struct selector *s, enum select_event_code code, int n1)
{
    struct select_event *e;

    if (s->selected >= 0) {
        s->selected = -1;
        s->report_selection_loss = 1;
    }
    if (s->report_selection_loss && code != NO_EVENT) {
        if ((e = sel_log_event(s, code, -1)))
            e->n1 = n1;
        s->report_selection_loss = 0;
    }
}

/* What authselectmode adds to the options of authenticated sources, unauthenticated ones
 * and reference clocks, from the counts of selectable NTP sources of each kind (counted
 * once per selection: per source it would be quadratic in the number of sources). */
struct auth_opts {
    unsigned auth, unauth, refclk;
};

static struct auth_opts auth_options(const struct select_config *cfg, const struct select_input *in,
                                     int n)
{
    struct auth_opts o = {0, 0, 0};
    int i, n_auth = 0, n_unauth = 0;

    for (i = 0; i < n; i++) {
        if ((in[i].conf_options & SELECT_OPT_NOSELECT) || in[i].type != SELECT_TYPE_NTP)
            continue;
        if (in[i].authenticated)
            n_auth++;
        else
            n_unauth++;
    }
    switch (cfg->auth_mode) {
    case SELECT_AUTH_MIX: /* authenticated sources and refclocks must agree */
        if (n_auth > 0 && n_unauth > 0)
            o.auth = o.refclk = SELECT_OPT_REQUIRE | SELECT_OPT_TRUST;
        break;
    case SELECT_AUTH_PREFER:
        if (n_auth > 0)
            o.unauth = SELECT_OPT_NOSELECT;
        break;
    case SELECT_AUTH_REQUIRE:
        o.unauth = SELECT_OPT_NOSELECT;
        break;
    default:
        break;
    }
    return o;
}

static unsigned apply_auth_options(const struct select_input *in, const struct auth_opts *o)
{
    unsigned opt = in->conf_options;

    if (opt & SELECT_OPT_NOSELECT)
        return opt;
    if (in->type == SELECT_TYPE_REFCLOCK)
        return opt | o->refclk;
    return opt | (in->authenticated ? o->auth : o->unauth);
}

unsigned select_effective_options(const struct select_config *cfg, const struct select_input *in,
                                  int n, int index)
{
    struct auth_opts o = auth_options(cfg, in, n);
    return apply_auth_options(&in[index], &o);
}

static void report_no_majority(struct selector *s, const struct best_interval *b, int n_sel)
{
    struct select_event *e;

    if (!s->reported_no_majority) {
        e = sel_log_event(s, b->depth < 2 ? SELECT_EV_NO_MAJORITY_NONE : SELECT_EV_NO_MAJORITY_SOME,
                          -1);
        if (e) {
            e->n1 = b->depth;
            e->n2 = n_sel;
            e->trusted = b->trust_depth > 0;
        }
        s->reported_no_majority = 1;
        s->report_selection_loss = 0;
    }
    if (s->selected >= 0) {
        s->out->unsynchronise = 1;
        s->selected = -1;
    }
    mark_ok(s, SELECT_ST_FALSETICKER);
}

int select_leap_vote(const struct selector *s, const struct select_input *in, int n)
{
    int i, votes = 0, ins = 0, del = 0;

    for (i = 0; i < s->n && i < n; i++) {
        if (!s->src[i].leap_vote)
            continue;
        votes++;
        ins += in[i].leap == 1;
        del += in[i].leap == 2;
    }
    if (ins > votes / 2)
        return 1;
    if (del > votes / 2)
        return 2;
    return 0;
}

/* Change the selected source if needed. Returns 0 if selection must wait. */
static int choose(struct selector *s, int best)
{
    int i;

    assert(best >= 0 && best < s->n);
    assert(s->selected >= -1 && s->selected < s->n);
    if (s->selected >= 0 && s->src[s->selected].status == SELECT_ST_OK &&
        (best == s->selected || s->src[best].score <= SELECT_SCORE_LIMIT))
        return 1;
    /* Switch only when the new source can update the reference right away. */
    if (s->src[best].updates == 0) {
        unselect(s, NO_EVENT, 0);
        mark_ok(s, SELECT_ST_WAITS_UPDATE);
        s->out->verdict = SELECT_VERDICT_WAITS_UPDATE;
        return 0;
    }
    s->selected = best;
    s->out->selection_changed = 1;
    for (i = 0; i < s->n; i++) {
        s->src[i].score = 1.0;
        s->src[i].distant = 0;
        memset(s->src[i].reported, 0, sizeof(s->src[i].reported));
    }
    s->reported_no_majority = 0;
    s->report_selection_loss = 0;
    s->forced_first_report = 1;
    return 1;
}

static void finish_selected(struct selector *s, const struct select_input *in, int n_sel)
{
    struct select_reference *r = &s->out->ref;
    const struct sourcestats_tracking *t;
    int i;

    assert(s->selected >= 0 && s->selected < s->n && n_sel <= s->n);
    t = &in[s->selected].tracking;

    s->out->verdict = SELECT_VERDICT_SELECTED;
    sel_mark(s, s->selected, SELECT_ST_SELECTED);
    if (s->src[s->selected].updates == 0) {
        /* No new sample from the selected source: keep the last combination. */
        for (i = 0; i < n_sel; i++)
            if (s->src[s->sel_list[i]].status == SELECT_ST_OK)
                sel_mark(s, s->sel_list[i],
                         s->src[s->sel_list[i]].distant ? SELECT_ST_DISTANT : SELECT_ST_UNSELECTED);
        return;
    }
    for (i = 0; i < s->n; i++)
        s->src[i].updates = 0;
    r->stratum = in[s->selected].stratum;
    r->leap = select_leap_vote(s, in, s->n);
    r->ref_id = in[s->selected].ref_id;
    r->ref_time = t->ref_time;
    r->offset = t->offset;
    r->offset_sd = t->offset_sd;
    r->frequency = t->frequency;
    r->frequency_sd = t->frequency_sd;
    r->skew = t->skew;
    r->root_delay = t->root_delay;
    r->root_dispersion = t->root_dispersion;
    r->combined = sel_combine(s, in, n_sel, r);
    s->out->update_reference = 1;
}

/* Steps after the interval search: majority, require, minsources, prefer,
 * scores, choice and combining. */
static void select_survivors(struct selector *s, const struct select_input *in, int n_sel,
                             int n_trust, int req_pending, int updated)
{
    struct best_interval b;
    int i, sel_prefer, best;

    sel_find_best_interval(s, &b);
    if (b.trust_depth > 0) {
        b.depth = b.trust_depth;
        n_sel = n_trust;
    }
    if (b.depth <= n_sel / 2) {
        report_no_majority(s, &b, n_sel);
        s->out->verdict = SELECT_VERDICT_NO_MAJORITY;
        return;
    }
    n_sel = sel_find_truechimers(s, &b, &req_pending);
    if (!n_sel || req_pending || n_sel < s->cfg->min_sources) {
        unselect(s,
                 !n_sel        ? SELECT_EV_NO_SELECTABLE
                 : req_pending ? SELECT_EV_NO_REQUIRED
                               : SELECT_EV_NOT_ENOUGH,
                 0);
        mark_ok(s, SELECT_ST_WAITS_SOURCES);
        s->out->verdict = !n_sel        ? SELECT_VERDICT_NO_SELECTABLE
                          : req_pending ? SELECT_VERDICT_NO_REQUIRED
                                        : SELECT_VERDICT_NOT_ENOUGH;
        return;
    }
    /* The survivors (trusted ones only, if any) vote on leap seconds. */
    for (i = 0; i < n_sel; i++)
        if (!b.trust_depth || (s->src[s->sel_list[i]].eff_options & SELECT_OPT_TRUST))
            s->src[s->sel_list[i]].leap_vote = 1;
    n_sel = sel_apply_prefer(s, n_sel, &sel_prefer);
    best = sel_update_scores(s, in, n_sel, sel_prefer, updated);
    if (best < 0 || !choose(s, best))
        return;
    finish_selected(s, in, n_sel);
}

static int count_trusted_ok(const struct selector *s)
{
    int i, n = 0;

    for (i = 0; i < s->n; i++)
        n += s->src[i].status == SELECT_ST_OK && (s->src[i].eff_options & SELECT_OPT_TRUST);
    return n;
}

/* Wait while a source without enough samples is only one poll behind the
 * best reachability of the usable ones, so that servers polled at the same
 * rate all get a chance at the first selection. */
static int waits_for_stats(const struct selector *s, const struct counts *c, int n_sel)
{
    return c->n_badstats && n_sel && s->selected < 0 && c->max_sel_reach_size < SELECT_REACH_BITS &&
           c->max_sel_reach >> 1 == c->max_badstat_reach;
}

void select_run(struct selector *s, const struct select_config *cfg, const struct select_input *in,
                int n, int updated, struct select_result *out)
{
    struct counts c;
    struct auth_opts ao;
    int i, n_sel;

    assert(s && cfg && out && (in || n == 0));
    assert(s->cfg == NULL); /* not re-entered */
    memset(out, 0, sizeof(*out));
    s->cfg = cfg;
    s->out = out;
    s->n_ev = 0;
    out->selected = -1;
    if (updated >= 0 && updated < s->n) {
        s->src[updated].updates++;
        s->last_updated = updated;
    }
    if (n != s->n || s->n == 0) {
        unselect(s, SELECT_EV_NO_SOURCES, 0);
        out->verdict = SELECT_VERDICT_NO_SOURCES;
        goto done;
    }
    ao = auth_options(cfg, in, n);
    for (i = 0; i < s->n; i++) {
        s->src[i].eff_options = apply_auth_options(&in[i], &ao);
        s->src[i].type = in[i].type;
    }
    sel_build_intervals(s, in, &c);
    n_sel = sel_drop_stale_and_orphans(s, in, &c);
    if (waits_for_stats(s, &c, n_sel)) {
        mark_ok(s, SELECT_ST_WAITS_STATS);
        unselect(s, NO_EVENT, 0);
        out->verdict = SELECT_VERDICT_WAITS_STATS;
        goto done;
    }
    /* Once a source has a full register, allow one failure to be logged even
     * before the first successful selection. */
    if (!s->forced_first_report && (c.max_sel_reach_size == SELECT_REACH_BITS ||
                                    c.max_badstat_reach_size == SELECT_REACH_BITS)) {
        s->report_selection_loss = 1;
        s->forced_first_report = 1;
    }
    if (n_sel == 0) {
        unselect(s, SELECT_EV_NO_SELECTABLE_UNREACH, c.n_unreach);
        out->verdict = SELECT_VERDICT_NO_SELECTABLE;
        goto done;
    }
    select_survivors(s, in, n_sel, count_trusted_ok(s), c.req_pending, updated);
done:
    assert(s->selected >= -1 && s->selected < s->n);
    assert(s->last_updated >= -1 && s->last_updated < s->n);
    assert(s->n_ev <= s->ev_cap);
    out->selected = s->selected;
    out->leap = select_leap_vote(s, in, n);
    out->leap_valid = out->selected >= 0;
    out->events = s->ev;
    out->n_events = s->n_ev;
    s->cfg = NULL;
    s->out = NULL;
}

void select_input_set_stats(struct select_input *in, const struct sourcestats *st,
                            const struct timespec *now)
{
    sourcestats_get_selection(st, now, &in->sel);
    sourcestats_get_tracking(st, &in->tracking);
}

int select_get_source_state(const struct selector *s, int index, struct select_source_state *out)
{
    const struct sel_src *x;

    if (index < 0 || index >= s->n)
        return 0;
    x = &s->src[index];
    out->status = x->status;
    out->status_char = select_status_char(x->status);
    out->rpt_state = select_status_report_state(x->status);
    out->eff_options = x->eff_options;
    out->score = x->score;
    out->lo_limit = x->lo;
    out->hi_limit = x->hi;
    out->root_distance = x->dist;
    out->last_sample_ago = x->last_ago;
    out->leap_vote = x->leap_vote;
    out->updates = x->updates;
    out->distant = x->distant;
    return 1;
}

int select_special_mode_end(const struct select_input *in, const int *active, const int *samples,
                            int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (!active[i])
            continue;
        /* No more updates expected than an initial burst of an NTP source. */
        if (in[i].reachability_size >= SELECT_REACH_BITS - 1)
            continue;
        if (SELECT_REACH_BITS - 1 - in[i].reachability_size + samples[i] >= 3)
            return 0;
    }
    return 1;
}
