/* Internals shared by select.c (object, events, run) and select_steps.c
 * (the selection steps). Not for use outside the select module. */
#ifndef CORE_SELECT_INT_H
#define CORE_SELECT_INT_H

#include "core/select.h"

/* Selection history of one source. */
struct sel_src {
    enum select_status status;
    enum select_source_type type; /* copy of the input during a run */
    unsigned eff_options;
    double score;
    int distant; /* runs left before the source may be combined again */
    int updates; /* new samples since the last reference update */
    int bad;     /* consecutive bad statuses while being the updated source */
    int leap_vote;
    unsigned char reported[SELECT_ST_COUNT]; /* message logged since last change */
    double lo, hi, dist, std_dev, last_ago;  /* interval used in the last run */
};

/* One end of a correctness interval. */
struct endpoint {
    double offset;
    int tag; /* -1 low end, +1 high end: low ends sort first on ties */
    int index;
};

struct selector {
    struct sel_src *src;
    size_t cap;
    int n;
    int selected;
    int last_updated;          /* source that got the last new sample, -1 */
    int reported_no_majority;  /* "no majority" logged since last selection */
    int report_selection_loss; /* a selection loss waits to be logged */
    int forced_first_report;   /* one failure may be logged before first selection */
    int *sel_list;             /* scratch: selectable source indices */
    struct endpoint *ep;       /* scratch: 2 per source */
    struct select_event *ev;   /* events of the current run */
    int n_ev;
    int ev_cap;
    /* Valid during a run only. */
    const struct select_config *cfg;
    struct select_result *out;
};

/* Counts gathered while building intervals. */
struct counts {
    int n_badstats, n_unreach, req_pending;
    unsigned max_sel_reach, max_badstat_reach;
    int max_sel_reach_size, max_badstat_reach_size;
    double max_reach_sample_ago;
};

/* Result of the interval search. */
struct best_interval {
    int depth, trust_depth;
    double lo, hi, trust_lo, trust_hi;
};

/* Add a message event (none in quiet mode); NULL if none was added. */
struct select_event *sel_log_event(struct selector *s, enum select_event_code code, int src);
void sel_set_status(struct selector *s, int i, enum select_status st);
void sel_mark(struct selector *s, int i, enum select_status st);
void sel_build_intervals(struct selector *s, const struct select_input *in, struct counts *c);
int sel_drop_stale_and_orphans(struct selector *s, const struct select_input *in,
                               const struct counts *c);
int sel_find_best_interval(struct selector *s, struct best_interval *b);
int sel_find_truechimers(struct selector *s, const struct best_interval *b, int *req_pending);
int sel_apply_prefer(struct selector *s, int n_sel, int *sel_prefer);
int sel_update_scores(struct selector *s, const struct select_input *in, int n_sel, int sel_prefer,
                      int updated);
int sel_combine(struct selector *s, const struct select_input *in, int n_sel,
                struct select_reference *r);

#endif
