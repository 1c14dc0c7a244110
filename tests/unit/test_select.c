/* Unit tests for core/select: falsetickers, majority, minsources, options,
 * jitter, distance, hysteresis, combining, messages, and an end-to-end run
 * with core/sourcestats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/select.h"
#include "core/sourcestats.h"
#include "lib/rng.h"
#include "lib/ts.h"

#define MAXS 8

static uint64_t seed = 1;

struct world {
    struct selector *s;
    struct select_config cfg;
    struct select_input in[MAXS];
    struct select_result res;
    int n;
};

/* A healthy NTP source: offset (s), root distance (s), full reachability. */
static void set_source(struct select_input *in, double offset, double dist)
{
    memset(in, 0, sizeof(*in));
    in->type = SELECT_TYPE_NTP;
    in->stratum = 2;
    in->leap = 0;
    in->reachability = 0xff;
    in->reachability_size = 8;
    in->ref_id = 0x0a000001;
    in->sel.select_ok = 1;
    in->sel.offset = offset;
    in->sel.root_distance = dist;
    in->sel.lo_limit = offset - dist;
    in->sel.hi_limit = offset + dist;
    in->sel.std_dev = 1e-5;
    in->sel.first_sample_ago = 500;
    in->sel.last_sample_ago = 10;
    in->sel.n_samples = 10;
    ts_from_double(&in->tracking.ref_time, 1700000000.0);
    in->tracking.offset = offset;
    in->tracking.offset_sd = 1e-5;
    in->tracking.frequency = 1e-7;
    in->tracking.frequency_sd = 1e-9;
    in->tracking.skew = 1e-8;
    in->tracking.root_delay = dist;
    in->tracking.root_dispersion = dist / 2;
}

static void world_init(struct world *w, int n)
{
    int i;

    memset(w, 0, sizeof(*w));
    w->s = select_new();
    select_config_default(&w->cfg);
    w->n = n;
    for (i = 0; i < n; i++) {
        CHECK_INT_EQ(select_add_source(w->s), i);
        set_source(&w->in[i], 0.0, 0.01);
        w->in[i].ref_id = 0x0a000001 + (uint32_t)i;
    }
}

static void world_fini(struct world *w)
{
    select_free(w->s);
}

static void run(struct world *w, int updated)
{
    select_run(w->s, &w->cfg, w->in, w->n, updated, &w->res);
}

/* Every source reports a new sample once. */
static void run_all(struct world *w)
{
    int i;

    for (i = 0; i < w->n; i++)
        run(w, i);
}

static char state(struct world *w, int i)
{
    struct select_source_state st;

    CHECK(select_get_source_state(w->s, i, &st));
    return st.status_char;
}

static char rpt(struct world *w, int i)
{
    struct select_source_state st;

    CHECK(select_get_source_state(w->s, i, &st));
    return select_report_state_char(st.rpt_state);
}

static const struct select_event *find_event(struct world *w, enum select_event_code code, int src)
{
    int i;

    for (i = 0; i < w->res.n_events; i++)
        if (w->res.events[i].code == code && (src < 0 || w->res.events[i].source == src))
            return &w->res.events[i];
    return NULL;
}

static int has_event(struct world *w, enum select_event_code code, int src)
{
    return find_event(w, code, src) != NULL;
}

static void test_no_sources(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 0);
    run(&w, -1);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_SOURCES);
    CHECK_INT_EQ(w.res.selected, -1);
    world_fini(&w);
    CHECK_INT_EQ(select_event_format(&(struct select_event){SELECT_EV_NO_SOURCES, -1, 0, 0, 0, 0},
                                     NULL, buf, sizeof(buf)),
                 1);
    CHECK_STR_EQ(buf, "Can't synchronise: no sources");
}

static void test_single_source_selected(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 1);
    run(&w, -1); /* no new sample yet: waits for an update */
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_WAITS_UPDATE);
    CHECK(state(&w, 0) == 'U');
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    CHECK_INT_EQ(w.res.selected, 0);
    CHECK(w.res.selection_changed);
    CHECK(w.res.update_reference);
    CHECK_INT_EQ(w.res.ref.combined, 1);
    CHECK_INT_EQ(w.res.ref.stratum, 2);
    CHECK_INT_EQ(w.res.ref.ref_id, 0x0a000001);
    CHECK_NEAR(w.res.ref.offset, 0.0, 0);
    CHECK(state(&w, 0) == '*');
    CHECK(rpt(&w, 0) == '*');
    CHECK(has_event(&w, SELECT_EV_SELECTED, 0));
    CHECK(select_event_format(&w.res.events[0], "192.0.2.1", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Selected source 192.0.2.1");
    /* Reported once per selection; no reference update without a new sample. */
    run(&w, -1);
    CHECK_INT_EQ(w.res.n_events, 0);
    CHECK(!w.res.update_reference);
    CHECK_INT_EQ(w.res.selected, 0);
    world_fini(&w);
}

/* Five sources, two of them 0.5 s off: the liars are falsetickers and never
 * selected; the three others agree and are combined. */
static void test_two_liars_of_five(void)
{
    struct world w;
    int round, i;
    char buf[128];

    world_init(&w, 5);
    set_source(&w.in[0], 0.001, 0.01);
    set_source(&w.in[1], -0.002, 0.012);
    set_source(&w.in[2], 0.0005, 0.02);
    set_source(&w.in[3], 0.5, 0.008); /* liars have the shortest distance */
    set_source(&w.in[4], 0.501, 0.008);
    run(&w, 0);
    CHECK(has_event(&w, SELECT_EV_FALSETICKER, 3));
    CHECK(has_event(&w, SELECT_EV_FALSETICKER, 4));
    for (round = 0; round < 5; round++) {
        run_all(&w);
        CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
        CHECK(w.res.selected >= 0 && w.res.selected <= 2);
        CHECK(state(&w, 3) == 'x');
        CHECK(state(&w, 4) == 'x');
        CHECK(rpt(&w, 3) == 'x');
    }
    CHECK_INT_EQ(w.res.selected, 0); /* shortest distance of the truechimers */
    CHECK(state(&w, 0) == '*');
    for (i = 1; i < 3; i++)
        CHECK(state(&w, i) == '+');
    /* The falseticker message is logged once per selection, then not again. */
    run(&w, 3);
    CHECK(!has_event(&w, SELECT_EV_FALSETICKER, 3));
    CHECK(select_event_format(&(struct select_event){SELECT_EV_FALSETICKER, 3, 0, 0, 0, 0},
                              "10.0.0.4", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Detected falseticker 10.0.0.4");
    world_fini(&w);
}

static void test_falseticker_replaced_after_threshold(void)
{
    struct world w;
    int i;

    world_init(&w, 3);
    set_source(&w.in[2], 0.5, 0.01);
    run_all(&w);
    for (i = 0; i < SELECT_BAD_HANDLE_THRESHOLD - 2; i++) {
        run(&w, 2);
        CHECK(!has_event(&w, SELECT_EV_REPLACE_SOURCE, 2));
    }
    run(&w, 2);
    CHECK(has_event(&w, SELECT_EV_REPLACE_SOURCE, 2));
    world_fini(&w);
}

static void test_minsources(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 1);
    w.cfg.min_sources = 2;
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NOT_ENOUGH);
    CHECK_INT_EQ(w.res.selected, -1);
    CHECK(!w.res.update_reference);
    CHECK(state(&w, 0) == 'W');
    CHECK(rpt(&w, 0) == '-');
    CHECK(has_event(&w, SELECT_EV_NOT_ENOUGH, -1));
    CHECK(select_event_format(&w.res.events[0], NULL, buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: not enough selectable sources");
    /* Logged once, not on every run. */
    run(&w, 0);
    CHECK(!has_event(&w, SELECT_EV_NOT_ENOUGH, -1));
    /* A second agreeing source makes it synchronise. */
    select_add_source(w.s);
    set_source(&w.in[1], 0.001, 0.01);
    w.n = 2;
    run(&w, 1);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    world_fini(&w);
}

static void test_no_majority(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 2);
    set_source(&w.in[1], 0.5, 0.01);
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_MAJORITY);
    CHECK(state(&w, 0) == 'x' && state(&w, 1) == 'x');
    world_fini(&w);

    world_init(&w, 4);
    set_source(&w.in[2], 0.5, 0.01);
    set_source(&w.in[3], 0.5, 0.01);
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_MAJORITY);
    CHECK(has_event(&w, SELECT_EV_NO_MAJORITY_SOME, -1));
    CHECK(select_event_format(&w.res.events[0], NULL, buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: no majority (only 2 of 4 sources agree)");
    run(&w, 1); /* reported once */
    CHECK(!has_event(&w, SELECT_EV_NO_MAJORITY_SOME, -1));
    world_fini(&w);

    world_init(&w, 3);
    set_source(&w.in[1], 0.5, 0.01);
    set_source(&w.in[2], -0.5, 0.01);
    run(&w, 0);
    CHECK(has_event(&w, SELECT_EV_NO_MAJORITY_NONE, -1));
    CHECK(select_event_format(&w.res.events[0], NULL, buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: no majority (no agreement among 3 sources)");
    world_fini(&w);
}

/* Losing the majority while synchronised unsynchronises the reference. */
static void test_majority_lost(void)
{
    struct world w;

    world_init(&w, 3);
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    set_source(&w.in[1], 0.5, 0.01);
    set_source(&w.in[2], -0.5, 0.01);
    run(&w, 1);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_MAJORITY);
    CHECK(w.res.unsynchronise);
    CHECK_INT_EQ(select_selected(w.s), -1);
    world_fini(&w);
}

static void test_prefer(void)
{
    struct world w;

    world_init(&w, 3);
    set_source(&w.in[0], 0.0, 0.005);
    set_source(&w.in[1], 0.001, 0.05);
    w.in[1].conf_options = SELECT_OPT_PREFER;
    set_source(&w.in[2], 0.0, 0.006);
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 1);
    CHECK(state(&w, 0) == 'P' && state(&w, 2) == 'P');
    CHECK(rpt(&w, 0) == '-');
    run(&w, 1);
    CHECK(w.res.update_reference);
    CHECK_INT_EQ(w.res.ref.combined, 1);
    world_fini(&w);
}

static void test_noselect(void)
{
    struct world w;
    struct select_source_state st;

    world_init(&w, 2);
    set_source(&w.in[0], 0.0, 0.001);
    w.in[0].conf_options = SELECT_OPT_NOSELECT;
    set_source(&w.in[1], 0.0, 0.01);
    run_all(&w);
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 1);
    CHECK(state(&w, 0) == 'N');
    CHECK(rpt(&w, 0) == '?');
    CHECK(select_get_source_state(w.s, 0, &st));
    CHECK_INT_EQ(st.eff_options, SELECT_OPT_NOSELECT);
    world_fini(&w);
}

/* One trusted source against two agreeing untrusted ones: trust wins. */
static void test_trust(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 3);
    set_source(&w.in[0], 0.0, 0.01);
    w.in[0].conf_options = SELECT_OPT_TRUST;
    set_source(&w.in[1], 0.5, 0.01);
    set_source(&w.in[2], 0.5, 0.01);
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    CHECK_INT_EQ(w.res.selected, 0);
    CHECK(state(&w, 1) == 'x' && state(&w, 2) == 'x');
    world_fini(&w);

    /* An untrusted source overlapping but not inside the trusted interval. */
    world_init(&w, 3);
    set_source(&w.in[0], 0.0, 0.01);
    w.in[0].conf_options = SELECT_OPT_TRUST;
    set_source(&w.in[1], 0.0, 0.005);
    set_source(&w.in[2], 0.008, 0.005);
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    CHECK(state(&w, 2) == 'T');
    CHECK(state(&w, 1) == '*' || state(&w, 1) == '+');
    world_fini(&w);

    /* Two trusted sources that disagree: no majority among trusted ones. */
    world_init(&w, 3);
    w.in[0].conf_options = SELECT_OPT_TRUST;
    set_source(&w.in[1], 0.5, 0.01);
    w.in[1].conf_options = SELECT_OPT_TRUST;
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_MAJORITY);
    CHECK(find_event(&w, SELECT_EV_NO_MAJORITY_NONE, -1) &&
          select_event_format(find_event(&w, SELECT_EV_NO_MAJORITY_NONE, -1), NULL, buf,
                              sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: no majority (no agreement among 2 trusted sources)");
    world_fini(&w);
}

static void test_require(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 3);
    set_source(&w.in[0], 0.5, 0.01);
    w.in[0].conf_options = SELECT_OPT_REQUIRE;
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_REQUIRED);
    CHECK_INT_EQ(w.res.selected, -1);
    CHECK(state(&w, 0) == 'x');
    CHECK(state(&w, 1) == 'W');
    CHECK(select_event_format(&(struct select_event){SELECT_EV_NO_REQUIRED, -1, 0, 0, 0, 0}, NULL,
                              buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: no required source in selectable sources");
    set_source(&w.in[0], 0.0, 0.01);
    w.in[0].conf_options = SELECT_OPT_REQUIRE;
    run_all(&w);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    world_fini(&w);
}

static void test_jitter_and_distance(void)
{
    struct world w;
    char buf[128];
    int i;

    world_init(&w, 3);
    w.in[1].sel.std_dev = 2.0;      /* above maxjitter 1 s */
    set_source(&w.in[2], 0.0, 4.0); /* above maxdistance 3 s */
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 0);
    CHECK(state(&w, 1) == '~');
    CHECK(rpt(&w, 1) == '~');
    CHECK(state(&w, 2) == 'd');
    CHECK(rpt(&w, 2) == '?');
    /* Logged (and replacement requested) after repeated bad updates. */
    for (i = 0; i < SELECT_BAD_HANDLE_THRESHOLD - 1; i++)
        run(&w, 1);
    CHECK(has_event(&w, SELECT_EV_MAX_JITTER, 1));
    CHECK(has_event(&w, SELECT_EV_REPLACE_SOURCE, 1));
    CHECK(find_event(&w, SELECT_EV_MAX_JITTER, 1) &&
          select_event_format(find_event(&w, SELECT_EV_MAX_JITTER, 1), "ntp1", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Jitter of ntp1 exceeds maxjitter of 1.000 seconds");
    CHECK(select_event_format(&(struct select_event){SELECT_EV_MAX_DISTANCE, 2, 0, 0, 0, 3.0},
                              "ntp2", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Root distance of ntp2 exceeds maxdistance of 3.000 seconds");
    world_fini(&w);
}

static void test_unusable_states(void)
{
    struct world w;
    char buf[128];

    world_init(&w, 4);
    w.in[0].sel.select_ok = 0; /* too few samples */
    w.in[1].leap = 3;          /* unsynchronised source */
    w.in[2].reachability = 0;  /* unreachable, samples older than others' */
    w.in[2].sel.last_sample_ago = 1000;
    w.in[2].sel.first_sample_ago = 1500;
    run_all(&w);
    CHECK(state(&w, 0) == 'M');
    CHECK(state(&w, 1) == 's');
    CHECK(state(&w, 2) == 'S');
    CHECK(state(&w, 3) == '*');
    CHECK(rpt(&w, 0) == '?' && rpt(&w, 1) == '?' && rpt(&w, 2) == '?');
    world_fini(&w);

    /* Nothing usable at all. */
    world_init(&w, 2);
    w.in[0].sel.select_ok = 0;
    w.in[1].sel.select_ok = 0;
    w.in[1].reachability = 0;
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_NO_SELECTABLE);
    CHECK(has_event(&w, SELECT_EV_NO_SELECTABLE_UNREACH, -1));
    CHECK(select_event_format(&w.res.events[0], NULL, buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "Can't synchronise: no selectable sources (1 unreachable sources)");
    world_fini(&w);
}

/* maxunreach: an unreachable source whose newest sample is not older than the oldest of the
 * reachable ones stays usable until its register was updated empty more than maxunreach
 * times in a row (chrony's unreachable run), then it is stale ('S'). */
static void test_max_unreach(void)
{
    struct world w;

    world_init(&w, 3);
    w.in[2].reachability = 0;
    w.in[2].max_unreach = 3;
    w.in[2].unreach_run = 3;
    run_all(&w);
    CHECK(state(&w, 2) == '*' || state(&w, 2) == '+');
    w.in[2].unreach_run = 4;
    run_all(&w);
    CHECK(state(&w, 2) == 'S');
    world_fini(&w);
}

/* At start, a source with too few samples that is only one poll behind the
 * others delays the first selection ('w'). */
static void test_waits_for_stats(void)
{
    struct world w;

    world_init(&w, 2);
    w.in[0].reachability = 0x7;
    w.in[0].reachability_size = 3;
    w.in[1].reachability = 0x3;
    w.in[1].reachability_size = 2;
    w.in[1].sel.select_ok = 0;
    run(&w, 0);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_WAITS_STATS);
    CHECK(state(&w, 0) == 'w');
    CHECK(state(&w, 1) == 'M');
    w.in[1].sel.select_ok = 1;
    w.in[1].reachability = 0x7;
    w.in[1].reachability_size = 3;
    run(&w, 1);
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    world_fini(&w);
}

/* Offsets weighted by 1/distance; a source beyond combinelimit x the
 * selected distance is 'D' and left out. */
static void test_combine(void)
{
    struct world w;
    double exp_off, wsum;

    world_init(&w, 4);
    set_source(&w.in[0], 0.001, 0.01);
    set_source(&w.in[1], 0.002, 0.02);
    set_source(&w.in[2], 0.003, 0.025);
    set_source(&w.in[3], 0.0, 0.05); /* > 3 x (0.01 + 1e-4) */
    run_all(&w);
    run(&w, 0);
    CHECK_INT_EQ(w.res.selected, 0);
    CHECK(w.res.update_reference);
    CHECK_INT_EQ(w.res.ref.combined, 3);
    CHECK(state(&w, 1) == '+' && state(&w, 2) == '+');
    CHECK(state(&w, 3) == 'D');
    CHECK(rpt(&w, 3) == '-');
    wsum = 1 / 0.01 + 1 / 0.02 + 1 / 0.025;
    exp_off = (0.001 / 0.01 + 0.002 / 0.02 + 0.003 / 0.025) / wsum;
    CHECK_NEAR(w.res.ref.offset, exp_off, 1e-12);
    CHECK_NEAR(w.res.ref.frequency, 1e-7, 1e-15);
    CHECK_NEAR(w.res.ref.frequency_sd, 1e-9 / sqrt(3.0), 1e-15);
    CHECK_NEAR(w.res.ref.skew, 1e-8 / sqrt(3.0), 1e-15);
    CHECK(w.res.ref.offset_sd > 1e-5);
    CHECK_NEAR(w.res.ref.root_delay, 0.01, 0);

    /* combinelimit 0 disables combining. */
    w.cfg.combine_limit = 0.0;
    run(&w, 0);
    CHECK_INT_EQ(w.res.ref.combined, 1);
    CHECK_NEAR(w.res.ref.offset, 0.001, 0);
    world_fini(&w);
}

/* A source with a different frequency is not combined either. */
static void test_combine_frequency_mismatch(void)
{
    struct world w;

    world_init(&w, 2);
    set_source(&w.in[1], 0.0, 0.011);
    w.in[1].tracking.frequency = 1e-5;
    run_all(&w);
    run(&w, 0);
    CHECK_INT_EQ(w.res.ref.combined, 1);
    CHECK(state(&w, 1) == 'D');
    world_fini(&w);
}

/* A better source replaces the selected one only after its score exceeds the
 * limit (several updates), not at once; a marginally better one never. */
static void test_reselect_hysteresis(void)
{
    struct world w;
    int i, switched_at = -1;

    world_init(&w, 2);
    set_source(&w.in[0], 0.0, 0.010);
    set_source(&w.in[1], 0.0, 0.0101);
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 0);
    set_source(&w.in[1], 0.0, 0.00995); /* better, but within reselectdist */
    for (i = 0; i < 50; i++)
        run(&w, i & 1);
    CHECK_INT_EQ(w.res.selected, 0);
    set_source(&w.in[1], 0.0, 0.005); /* twice as good */
    for (i = 0; i < 20 && switched_at < 0; i++) {
        run(&w, i & 1);
        if (w.res.selected == 1)
            switched_at = i;
    }
    CHECK(switched_at >= 2);
    CHECK(switched_at <= 6);
    CHECK(w.res.selection_changed);
    CHECK(has_event(&w, SELECT_EV_SELECTED, 1));
    world_fini(&w);
}

static void test_stratum_weight(void)
{
    struct world w;

    world_init(&w, 2);
    w.in[0].stratum = 3;
    set_source(&w.in[1], 0.0, 0.0105);
    w.in[1].stratum = 1; /* 2 strata x 1 ms outweigh 0.5 ms of distance */
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 1);
    world_fini(&w);
}

static void test_remove_and_reselect(void)
{
    struct world w;

    world_init(&w, 3);
    set_source(&w.in[2], 0.0, 0.001);
    run_all(&w);
    CHECK_INT_EQ(select_selected(w.s), 2);
    select_remove_source(w.s, 0);
    CHECK_INT_EQ(select_selected(w.s), 1);
    w.in[0] = w.in[1];
    w.in[1] = w.in[2];
    w.n = 2;
    select_remove_source(w.s, 1);
    CHECK_INT_EQ(select_selected(w.s), -1);
    w.n = 1;
    run(&w, 0);
    CHECK_INT_EQ(w.res.selected, 0);
    select_force_reselect(w.s);
    CHECK_INT_EQ(select_selected(w.s), -1);
    select_reset_source(w.s, 0);
    CHECK(state(&w, 0) == 'M');
    CHECK_INT_EQ(select_count(w.s), 1);
    world_fini(&w);
}

static void test_auth_select_mode(void)
{
    struct world w;
    struct select_source_state st;

    world_init(&w, 3);
    w.in[0].authenticated = 1;
    w.in[2].type = SELECT_TYPE_REFCLOCK;
    /* mix: authenticated NTP sources and refclocks become require + trust */
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 0),
                 SELECT_OPT_REQUIRE | SELECT_OPT_TRUST);
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 1), 0);
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 2),
                 SELECT_OPT_REQUIRE | SELECT_OPT_TRUST);
    w.cfg.auth_mode = SELECT_AUTH_PREFER;
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 1), SELECT_OPT_NOSELECT);
    w.cfg.auth_mode = SELECT_AUTH_REQUIRE;
    w.in[0].authenticated = 0;
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 0), SELECT_OPT_NOSELECT);
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 2), 0);
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 2);
    CHECK(select_get_source_state(w.s, 0, &st));
    CHECK(st.status_char == 'N');
    w.cfg.auth_mode = SELECT_AUTH_IGNORE;
    CHECK_INT_EQ(select_effective_options(&w.cfg, w.in, 3, 0), 0);
    world_fini(&w);
}

static void test_orphan(void)
{
    struct world w;

    world_init(&w, 2);
    w.cfg.orphan_stratum = 5;
    w.in[0].stratum = 5;
    w.in[0].ref_id = 0x7f000002;
    w.in[0].local_ref_id = 0x7f000003;
    w.in[1].stratum = 6;
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 0); /* smaller refid than ours: follow it */
    CHECK(state(&w, 1) == 'O');
    world_fini(&w);

    world_init(&w, 1);
    w.cfg.orphan_stratum = 5;
    w.in[0].stratum = 5;
    w.in[0].ref_id = 0x7f000009;
    w.in[0].local_ref_id = 0x7f000003;
    run(&w, 0);
    CHECK_INT_EQ(w.res.selected, -1); /* we are the orphan with the smallest refid */
    CHECK(state(&w, 0) == 'O');
    world_fini(&w);
}

/* chrony.conf(5), local ... orphan: sources at the orphan stratum serve no real time; the
 * one with the smallest reference ID among the reachable ones at exactly that stratum is
 * the orphan parent, selected only when nothing else is selectable and its ID is smaller
 * than our own on the path to it; all the others are ignored ('O'). */
static void test_orphan_parent(void)
{
    struct world w;
    char msg[100];
    const struct select_event *ev;
    int i;

    world_init(&w, 5);
    w.cfg.orphan_stratum = 8;
    for (i = 0; i < 4; i++) {
        w.in[i].stratum = 8;
        w.in[i].local_ref_id = 0xc0a80105; /* 192.168.1.5 */
    }
    w.in[0].ref_id = 0xc0a80109;
    w.in[1].ref_id = 0xc0a80103; /* the parent */
    w.in[2].ref_id = 0xc0a80104;
    w.in[3].ref_id = 0xc0a80101; /* smallest, but unreachable: not a candidate */
    w.in[3].reachability = 0;
    w.in[3].sel.last_sample_ago = 100; /* not stale either */
    w.in[4].stratum = 9;               /* synchronised to an orphan: always ignored */
    w.in[4].ref_id = 0xc0a80102;
    w.in[4].local_ref_id = 0xc0a80105;
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 1);
    CHECK(state(&w, 1) == '*');
    CHECK(state(&w, 0) == 'O');
    CHECK(state(&w, 2) == 'O');
    CHECK(state(&w, 3) == 'O');
    CHECK(state(&w, 4) == 'O');

    /* Our own ID is the smallest: no source is selected, we stay the root. */
    for (i = 0; i < 5; i++)
        w.in[i].local_ref_id = 0xc0a80100;
    select_force_reselect(w.s);
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, -1);
    CHECK(state(&w, 1) == 'O');

    /* A selectable source of a lower stratum wins over every orphan. */
    w.in[2].stratum = 3;
    for (i = 0; i < 5; i++)
        w.in[i].local_ref_id = 0xc0a80105;
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, 2);
    CHECK(state(&w, 1) == 'O');
    world_fini(&w);

    /* Our reference ID on the path to the candidate is unknown: nothing to compare it
     * with, chrony's error is logged and it is not selected. */
    world_init(&w, 2);
    w.cfg.orphan_stratum = 8;
    w.in[0].stratum = w.in[1].stratum = 8;
    run_all(&w);
    CHECK_INT_EQ(w.res.selected, -1);
    ev = find_event(&w, SELECT_EV_UNKNOWN_LOCAL_REFID, 0);
    CHECK(ev != NULL);
    if (ev) {
        CHECK(select_event_format(ev, "x", msg, sizeof(msg)));
        CHECK_STR_EQ(msg, "Unknown local refid in orphan mode");
        CHECK(select_event_severity(ev->code) == SELECT_SEV_WARN);
    }
    world_fini(&w);
}

static void test_leap_vote(void)
{
    struct world w;

    world_init(&w, 3);
    w.in[0].leap = 1;
    w.in[1].leap = 1;
    run_all(&w);
    CHECK_INT_EQ(w.res.leap, 1);
    CHECK(w.res.leap_valid);
    run(&w, w.res.selected);
    CHECK(w.res.update_reference);
    CHECK_INT_EQ(w.res.ref.leap, 1);
    CHECK_INT_EQ(select_leap_vote(w.s, w.in, 3), 1);
    w.in[1].leap = 0;
    CHECK_INT_EQ(select_leap_vote(w.s, w.in, 3), 0);
    world_fini(&w);
}

static void test_quiet_mode(void)
{
    struct world w;

    world_init(&w, 1);
    w.cfg.quiet = 1;
    run(&w, 0);
    CHECK_INT_EQ(w.res.selected, 0);
    CHECK_INT_EQ(w.res.n_events, 0);
    world_fini(&w);
}

static void test_special_mode_end(void)
{
    struct select_input in[2];
    int active[2] = {1, 1}, samples[2] = {0, 0};

    set_source(&in[0], 0, 0.01);
    set_source(&in[1], 0, 0.01);
    in[0].reachability_size = 7;
    in[1].reachability_size = 5; /* 2 more polls, 0 samples: cannot reach 3 */
    CHECK(select_special_mode_end(in, active, samples, 2));
    samples[1] = 1;
    CHECK(!select_special_mode_end(in, active, samples, 2));
    active[1] = 0;
    CHECK(select_special_mode_end(in, active, samples, 2));
}

static void test_state_chars(void)
{
    CHECK(select_status_char(SELECT_ST_WAITS_UPDATE) == 'U');
    CHECK(select_status_char(SELECT_ST_OUTLIER) == 'L');
    CHECK(select_status_char(SELECT_ST_COUNT) == '?');
    CHECK_INT_EQ(select_status_report_state(SELECT_ST_NONPREFERRED), SELECT_RPT_SELECTABLE);
    CHECK_INT_EQ(select_status_report_state(SELECT_ST_STALE), SELECT_RPT_NONSELECTABLE);
    CHECK(select_report_state_char(SELECT_RPT_UNSELECTED) == '+');
    CHECK(select_event_severity(SELECT_EV_SELECTED) == SELECT_SEV_INFO);
    CHECK(select_event_severity(SELECT_EV_NO_SELECTABLE) == SELECT_SEV_WARN);
}

/* Random scenarios: an honest majority (overlapping intervals near 0) and a
 * minority of liars 0.5 s away, random options and unusable sources. The
 * liars are never selected and always falsetickers; a selection always has
 * a majority of the candidates agreeing; the combined offset stays inside
 * the honest intervals. */
static int is_candidate(char c)
{
    return c == 'x' || c == 'T' || c == '*' || c == '+' || c == 'D' || c == 'P' || c == 'W' ||
           c == 'U';
}

static void random_scenario(struct world *w, struct rng *r, int *liar)
{
    int i, honest = 0, liars = 0;
    struct select_input *in;

    for (i = 0; i < w->n; i++) {
        in = &w->in[i];
        liar[i] = rng_uniform(r) < 0.3;
        set_source(in, (liar[i] ? 0.5 : 0.0) + 1e-3 * (rng_uniform(r) - 0.5),
                   0.002 + 0.05 * rng_uniform(r));
        in->stratum = 1 + (int)(4 * rng_uniform(r));
        in->conf_options = rng_uniform(r) < 0.1 ? SELECT_OPT_NOSELECT : 0;
        in->conf_options |= rng_uniform(r) < 0.2 ? SELECT_OPT_PREFER : 0;
        in->sel.select_ok = rng_uniform(r) < 0.9;
        in->sel.std_dev = rng_uniform(r) < 0.1 ? 2.0 : 1e-4;
        in->tracking.frequency = 1e-6 * rng_normal(r);
        if (!in->sel.select_ok || in->sel.std_dev > 1.0 || (in->conf_options & SELECT_OPT_NOSELECT))
            continue;
        honest += !liar[i];
        liars += liar[i];
    }
    /* Keep an honest majority: turn surplus liars into noselect sources. */
    for (i = 0; i < w->n && liars >= honest; i++) {
        if (liar[i] && !(w->in[i].conf_options & SELECT_OPT_NOSELECT) && w->in[i].sel.select_ok &&
            w->in[i].sel.std_dev <= 1.0) {
            w->in[i].conf_options |= SELECT_OPT_NOSELECT;
            liars--;
        }
    }
}

static void check_invariants(struct world *w, const int *liar)
{
    int i, cand = 0, agree = 0;
    char c;

    for (i = 0; i < w->n; i++) {
        c = state(w, i);
        if (liar[i] && is_candidate(c))
            CHECK(c == 'x');
        cand += is_candidate(c);
        agree += is_candidate(c) && c != 'x' && c != 'T';
    }
    if (w->res.selected < 0)
        return;
    CHECK(!liar[w->res.selected]);
    CHECK(state(w, w->res.selected) == '*');
    CHECK(2 * agree > cand);
    if (w->res.update_reference)
        CHECK(fabs(w->res.ref.offset) < 0.06);
}

static void test_random_scenarios(void)
{
    struct world w;
    struct rng r;
    int trial, k, liar[MAXS], selected_runs = 0;

    rng_seed(&r, seed + 11);
    for (trial = 0; trial < 300; trial++) {
        world_init(&w, 1 + (int)(MAXS * rng_uniform(&r)));
        w.cfg.min_sources = 1 + (rng_uniform(&r) < 0.2);
        for (k = 0; k < 20; k++) {
            if (k % 5 == 0)
                random_scenario(&w, &r, liar);
            run(&w, (int)(w.n * rng_uniform(&r)));
            check_invariants(&w, liar);
            selected_runs += w.res.selected >= 0;
        }
        world_fini(&w);
    }
    CHECK(selected_runs > 1000); /* the scenarios do synchronise most of the time */
}

/* End to end: five sources measured with noise by sourcestats, two of them
 * 0.5 s off; selection from the statistics marks the liars. */
static void test_with_sourcestats(void)
{
    static const double true_off[5] = {0.0, 0.0, 0.0, 0.5, 0.5};
    struct sourcestats *st[5];
    struct sourcestats_params p;
    struct world w;
    struct timespec t;
    struct rng r;
    int i, k;

    rng_seed(&r, seed);
    sourcestats_params_default(&p);
    world_init(&w, 5);
    for (k = 0; k < 5; k++)
        st[k] = sourcestats_new(&p);
    for (i = 0; i < 12; i++) {
        for (k = 0; k < 5; k++) {
            ts_from_double(&t, 1700000000.0 + 64.0 * i + k);
            sourcestats_add_sample(st[k], &t, true_off[k] + 1e-4 * rng_normal(&r), 0.01, 1e-5, 0.01,
                                   0.001, 2, 0);
            sourcestats_do_regression(st[k], NULL);
            for (int j = 0; j < 5; j++)
                select_input_set_stats(&w.in[j], st[j], &t);
            run(&w, k);
            CHECK(w.res.selected < 3);
        }
    }
    CHECK_INT_EQ(w.res.verdict, SELECT_VERDICT_SELECTED);
    CHECK(state(&w, 3) == 'x' && state(&w, 4) == 'x');
    CHECK(w.res.selected >= 0);
    CHECK(fabs(w.res.ref.offset) < 1e-3);
    for (k = 0; k < 5; k++)
        sourcestats_free(st[k]);
    world_fini(&w);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--seed"))
        seed = strtoull(argv[2], NULL, 0);
    printf("seed %llu\n", (unsigned long long)seed);
    RUN(test_no_sources);
    RUN(test_single_source_selected);
    RUN(test_two_liars_of_five);
    RUN(test_falseticker_replaced_after_threshold);
    RUN(test_minsources);
    RUN(test_no_majority);
    RUN(test_majority_lost);
    RUN(test_prefer);
    RUN(test_noselect);
    RUN(test_trust);
    RUN(test_require);
    RUN(test_jitter_and_distance);
    RUN(test_unusable_states);
    RUN(test_max_unreach);
    RUN(test_waits_for_stats);
    RUN(test_combine);
    RUN(test_combine_frequency_mismatch);
    RUN(test_reselect_hysteresis);
    RUN(test_stratum_weight);
    RUN(test_remove_and_reselect);
    RUN(test_auth_select_mode);
    RUN(test_orphan);
    RUN(test_orphan_parent);
    RUN(test_leap_vote);
    RUN(test_quiet_mode);
    RUN(test_special_mode_end);
    RUN(test_state_chars);
    RUN(test_random_scenarios);
    RUN(test_with_sourcestats);
    return check_summary();
}
