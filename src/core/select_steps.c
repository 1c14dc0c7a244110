/* The steps of source selection: intervals, falsetickers, prefer, scores and
 * combining; see select.h and select.c for the order they run in. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/select_int.h"
#include "lib/ts.h"

/* Step 1 for one source: validate its interval. Returns 1 if still OK. */
static int check_source(struct selector *s, const struct select_input *in, int i, struct counts *c)
{
    struct sel_src *x;
    const struct sourcestats_selection *si = &in->sel;
    double extra;

    assert(i >= 0 && i < s->n);
    x = &s->src[i];

    x->lo = si->lo_limit;
    x->hi = si->hi_limit;
    x->dist = si->root_distance;
    x->std_dev = si->std_dev;
    x->last_ago = si->last_sample_ago;
    if (!si->select_ok) {
        c->n_badstats++;
        sel_mark(s, i, SELECT_ST_BAD_STATS);
        if (c->max_badstat_reach < in->reachability)
            c->max_badstat_reach = in->reachability;
        if (c->max_badstat_reach_size < in->reachability_size)
            c->max_badstat_reach_size = in->reachability_size;
        return 0;
    }
    if (in->leap == 3) {
        sel_mark(s, i, SELECT_ST_UNSYNCHRONISED);
        return 0;
    }
    /* A source without new samples (newest older than half the span) gets
     * extra dispersion for the clock error accumulated since. */
    if (si->first_sample_ago < 2.0 * si->last_sample_ago) {
        extra = s->cfg->max_clock_error * (2.0 * si->last_sample_ago - si->first_sample_ago);
        x->dist += extra;
        x->lo -= extra;
        x->hi += extra;
    }
    if (!(x->dist <= s->cfg->max_distance && x->lo <= x->hi)) {
        sel_mark(s, i, SELECT_ST_BAD_DISTANCE);
        return 0;
    }
    if (x->std_dev > s->cfg->max_jitter) {
        sel_mark(s, i, SELECT_ST_JITTERY);
        return 0;
    }
    return 1;
}

void sel_build_intervals(struct selector *s, const struct select_input *in, struct counts *c)
{
    struct sel_src *x;
    int i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < s->n; i++) {
        x = &s->src[i];
        x->leap_vote = 0;
        if (x->eff_options & SELECT_OPT_REQUIRE)
            c->req_pending = 1;
        if (x->eff_options & SELECT_OPT_NOSELECT) {
            sel_mark(s, i, SELECT_ST_UNSELECTABLE);
            continue;
        }
        if (in[i].reachability == 0)
            c->n_unreach++;
        if (!check_source(s, &in[i], i, c))
            continue;
        x->status = SELECT_ST_OK;
        if (in[i].reachability && c->max_reach_sample_ago < in[i].sel.first_sample_ago)
            c->max_reach_sample_ago = in[i].sel.first_sample_ago;
        if (c->max_sel_reach < in[i].reachability)
            c->max_sel_reach = in[i].reachability;
        if (c->max_sel_reach_size < in[i].reachability_size)
            c->max_sel_reach_size = in[i].reachability_size;
    }
}

/* Drop stale sources and orphans; returns the number of sources left. */
int sel_drop_stale_and_orphans(struct selector *s, const struct select_input *in,
                               const struct counts *c)
{
    int i, n_sel = 0, orphan = -1;

    for (i = 0; i < s->n; i++) {
        if (s->src[i].status != SELECT_ST_OK)
            continue;
        /* An unreachable source stays usable while its newest sample is not
         * older than the oldest sample of the reachable ones, and for at most
         * maxunreach updates of its empty register. */
        if (!in[i].reachability && (c->max_reach_sample_ago < s->src[i].last_ago ||
                                    in[i].unreach_run > in[i].max_unreach)) {
            sel_mark(s, i, SELECT_ST_STALE);
            continue;
        }
        /* Orphan mode: NTP sources at or above the orphan stratum serve
         * unsynchronised local time; of those at exactly that stratum the
         * one with the smallest refid may be used if nothing else is. */
        if (in[i].stratum >= s->cfg->orphan_stratum && in[i].type == SELECT_TYPE_NTP) {
            sel_mark(s, i, SELECT_ST_ORPHAN);
            if (in[i].stratum == s->cfg->orphan_stratum && in[i].reachability &&
                (orphan < 0 || in[i].ref_id < in[orphan].ref_id))
                orphan = i;
            continue;
        }
        n_sel++;
    }
    /* Smaller refid wins: the orphan with the smallest refid among the group
     * (us included) keeps serving its own time; without our refid on the path
     * to it there is nothing to compare (chrony logs an error then). */
    if (n_sel == 0 && orphan >= 0) {
        if (!in[orphan].local_ref_id) {
            sel_log_event(s, SELECT_EV_UNKNOWN_LOCAL_REFID, orphan);
        } else if (in[orphan].ref_id < in[orphan].local_ref_id) {
            s->src[orphan].status = SELECT_ST_OK;
            n_sel = 1;
        }
    }
    return n_sel;
}

static int compare_endpoints(const void *a, const void *b)
{
    const struct endpoint *u = a, *v = b;

    if (u->offset != v->offset)
        return u->offset < v->offset ? -1 : 1;
    return (u->tag > v->tag) - (u->tag < v->tag);
}

/* Sort the interval ends and find the region covered by most intervals,
 * giving priority to the depth of trusted intervals (Marzullo's algorithm
 * with chrony's trust extension). Returns the number of trusted intervals. */
int sel_find_best_interval(struct selector *s, struct best_interval *b)
{
    int i, n_ep = 0, n_trust = 0, depth = 0, tdepth = 0, trusted;

    for (i = 0; i < s->n; i++) {
        if (s->src[i].status != SELECT_ST_OK)
            continue;
        if (s->src[i].eff_options & SELECT_OPT_TRUST)
            n_trust++;
        s->ep[n_ep++] = (struct endpoint){s->src[i].lo, -1, i};
        s->ep[n_ep++] = (struct endpoint){s->src[i].hi, +1, i};
    }
    assert(n_ep <= 2 * s->n);
    qsort(s->ep, (size_t)n_ep, sizeof(*s->ep), compare_endpoints);
    memset(b, 0, sizeof(*b));
    for (i = 0; i < n_ep; i++) {
        trusted = (s->src[s->ep[i].index].eff_options & SELECT_OPT_TRUST) != 0;
        if (s->ep[i].tag < 0) {
            depth++;
            tdepth += trusted;
            if (tdepth > b->trust_depth || (tdepth == b->trust_depth && depth > b->depth)) {
                if (tdepth > b->trust_depth) {
                    b->trust_depth = tdepth;
                    b->trust_lo = s->ep[i].offset;
                }
                b->depth = depth;
                b->lo = s->ep[i].offset;
            }
        } else {
            if (tdepth == b->trust_depth) {
                if (depth == b->depth)
                    b->hi = s->ep[i].offset;
                b->trust_hi = s->ep[i].offset;
            }
            tdepth -= trusted;
            depth--;
        }
        /* Low ends sort first on ties and every OK interval has lo <= hi
         * (check_source), so no interval closes before it opens. */
        assert(depth >= 0 && tdepth >= 0 && tdepth <= depth);
    }
    assert(depth == 0 && b->depth <= n_ep / 2 && b->trust_depth <= n_trust);
    return n_trust;
}

/* Keep the sources whose interval contains the best interval or lies inside
 * it; mark the others falsetickers (or untrusted). Returns the count. */
int sel_find_truechimers(struct selector *s, const struct best_interval *b, int *req_pending)
{
    struct sel_src *x;
    int i, n = 0;

    for (i = 0; i < s->n; i++) {
        x = &s->src[i];
        if (x->status != SELECT_ST_OK)
            continue;
        if (!((x->lo <= b->lo && x->hi >= b->hi) || (x->lo >= b->lo && x->hi <= b->hi))) {
            sel_mark(s, i, SELECT_ST_FALSETICKER);
            continue;
        }
        /* With trusted sources, others must lie inside the trusted interval so
         * that they cannot pull the combined offset out of it. */
        if (b->trust_depth > 0 && !(x->eff_options & SELECT_OPT_TRUST) &&
            !(x->lo >= b->trust_lo && x->hi <= b->trust_hi)) {
            sel_mark(s, i, SELECT_ST_UNTRUSTED);
            continue;
        }
        s->sel_list[n++] = i;
        if (x->eff_options & SELECT_OPT_REQUIRE)
            *req_pending = 0;
    }
    return n;
}

/* With any preferred source among the survivors, keep only those. */
int sel_apply_prefer(struct selector *s, int n_sel, int *sel_prefer)
{
    int i, j;

    *sel_prefer = 0;
    for (i = 0; i < n_sel; i++)
        if (s->src[s->sel_list[i]].eff_options & SELECT_OPT_PREFER)
            break;
    if (i == n_sel)
        return n_sel;
    for (i = j = 0; i < n_sel; i++) {
        if (!(s->src[s->sel_list[i]].eff_options & SELECT_OPT_PREFER))
            sel_mark(s, s->sel_list[i], SELECT_ST_NONPREFERRED);
        else
            s->sel_list[j++] = s->sel_list[i];
    }
    *sel_prefer = 1;
    return j;
}

/* Selection distance: root distance plus the stratum penalty. Candidates
 * that are NTP sources also get the reselect distance added (see
 * update_scores), the selected source's reference distance does not: that
 * is the hysteresis of reselectdist. */
static double sel_distance(const struct selector *s, const struct select_input *in, int i,
                           int min_stratum)
{
    return s->src[i].dist + (in[i].stratum - min_stratum) * s->cfg->stratum_weight;
}

/* Update scores; returns the index with the highest score. */
int sel_update_scores(struct selector *s, const struct select_input *in, int n_sel, int sel_prefer,
                      int updated)
{
    double max_score = 0.0, sel_dist = 0.0, d;
    int i, best = -1, min_stratum;

    assert(n_sel >= 1 && n_sel <= s->n);
    min_stratum = in[s->sel_list[0]].stratum;
    for (i = 1; i < n_sel; i++)
        if (in[s->sel_list[i]].stratum < min_stratum)
            min_stratum = in[s->sel_list[i]].stratum;
    if (s->selected >= 0)
        sel_dist = sel_distance(s, in, s->selected, min_stratum);
    for (i = 0; i < s->n; i++) {
        if (s->src[i].status != SELECT_ST_OK ||
            (sel_prefer && !(s->src[i].eff_options & SELECT_OPT_PREFER))) {
            s->src[i].score = 1.0;
            s->src[i].distant = SELECT_DISTANT_PENALTY;
            continue;
        }
        d = sel_distance(s, in, i, min_stratum);
        if (in[i].type == SELECT_TYPE_NTP)
            d += s->cfg->reselect_distance;
        if (s->selected >= 0) {
            /* Scores move only for pairs where one of the two has a new sample. */
            if (i == updated || s->selected == updated) {
                s->src[i].score *= sel_dist / d;
                if (s->src[i].score < 1.0)
                    s->src[i].score = 1.0;
            }
        } else {
            /* Nothing selected: the shortest distance gets the highest score. */
            s->src[i].score = 1.0 / d;
        }
        if (max_score < s->src[i].score) {
            max_score = s->src[i].score;
            best = i;
        }
    }
    return best;
}

/* Weighted combination of the selected source with the survivors close to
 * it (chrony's combine_sources): offsets weighted by 1/root distance,
 * frequencies by 1/variance. Returns the number of sources combined. */
int sel_combine(struct selector *s, const struct select_input *in, int n_sel,
                struct select_reference *r)
{
    const struct sourcestats_tracking *t;
    double sel_dist, w, off, off_sd, elapsed;
    double sw_off = 0, s_off = 0, s2_sd = 0, sw_freq = 0, s_freq = 0, inv_fsd = 0, inv_skew = 0;
    int i, k, combined = 0;

    assert(n_sel >= 1 && s->selected >= 0 && s->selected < s->n);
    if (n_sel == 1)
        return 1;
    sel_dist = s->src[s->selected].dist;
    if (in[s->selected].type == SELECT_TYPE_NTP)
        sel_dist += s->cfg->reselect_distance;
    for (k = 0; k < n_sel; k++) {
        i = s->sel_list[k];
        t = &in[i].tracking;
        if (i != s->selected &&
            (s->src[i].dist > s->cfg->combine_limit * sel_dist ||
             fabs(r->frequency - t->frequency) >
                 s->cfg->combine_limit * (r->skew + t->skew + s->cfg->max_clock_error))) {
            /* A short penalty while the source is new, a long one later. */
            s->src[i].distant =
                in[i].reachability_size >= SELECT_REACH_BITS ? SELECT_DISTANT_PENALTY : 1;
        } else if (s->src[i].distant) {
            s->src[i].distant--;
        }
        if (s->src[i].distant) {
            sel_mark(s, i, SELECT_ST_DISTANT);
            continue;
        }
        if (s->src[i].status == SELECT_ST_OK)
            sel_mark(s, i, SELECT_ST_UNSELECTED);
        elapsed = ts_diff(&r->ref_time, &t->ref_time);
        off = t->offset + elapsed * t->frequency;
        off_sd = t->offset_sd + elapsed * t->frequency_sd;
        w = 1.0 / s->src[i].dist;
        sw_off += w;
        s_off += w * off;
        s2_sd += w * (off_sd * off_sd + (off - r->offset) * (off - r->offset));
        sw_freq += 1.0 / (t->frequency_sd * t->frequency_sd);
        s_freq += t->frequency / (t->frequency_sd * t->frequency_sd);
        inv_fsd += 1.0 / (t->frequency_sd * t->frequency_sd);
        inv_skew += 1.0 / (t->skew * t->skew);
        combined++;
    }
    /* The selected source is never distant. */
    assert(combined > 0);
    if (combined == 0)
        return 1;
    r->offset = s_off / sw_off;
    r->offset_sd = sqrt(s2_sd / sw_off);
    r->frequency = s_freq / sw_freq;
    r->frequency_sd = 1.0 / sqrt(inv_fsd);
    r->skew = 1.0 / sqrt(inv_skew);
    return combined;
}
