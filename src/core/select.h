/* Source selection and combining (the role of the selection part of chrony's
 * sources.c): from per-source correctness intervals, find the largest set of
 * agreeing sources (Marzullo-style intersection, trust/require/prefer
 * options), pick the synchronisation source with hysteresis, and combine the
 * estimates of the sources close to it.
 *
 * A struct selector keeps the state that survives between runs (scores,
 * "distant" penalties, pending updates, reported messages, the selected
 * index). Sources are identified by their index, which the caller keeps in
 * step with select_add_source()/select_remove_source(). Nothing here logs or
 * reads a clock: select_run() gets all inputs and returns events (log message
 * codes with arguments) and the reference update to perform.
 *
 * Use, per wake-up: after a source's new sample went through
 * sourcestats_add_sample() and sourcestats_do_regression(), fill one
 * select_input per source (select_input_set_stats() plus options, stratum,
 * leap, reachability), call select_run() with updated = that source, log
 * the events (select_event_format()), and if update_reference is set hand
 * out->ref to the discipline. Also run it with updated = -1 when a source's
 * reachability drops to 0 or a source is removed or reset.
 *
 * Signs: offsets are in seconds, positive = local clock fast relative to the
 * source; frequencies s/s, positive = local clock gains (runs fast). */
#ifndef CORE_SELECT_H
#define CORE_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/sourcestats.h"

/* Selection options (same bits as the cmdmon SELECT_DATA conf/eff options). */
#define SELECT_OPT_NOSELECT 0x1
#define SELECT_OPT_PREFER 0x2
#define SELECT_OPT_TRUST 0x4
#define SELECT_OPT_REQUIRE 0x8

/* Bits of the reachability register. */
#define SELECT_REACH_BITS 8
/* Score above which another source replaces the selected one. */
#define SELECT_SCORE_LIMIT 10.0
/* Runs of selection a source stays out of combining after being too distant. */
#define SELECT_DISTANT_PENALTY 32
/* Consecutive bad statuses (x, d, ~) after which a source should be replaced. */
#define SELECT_BAD_HANDLE_THRESHOLD 4

enum select_source_type {
    SELECT_TYPE_NTP = 0,
    SELECT_TYPE_REFCLOCK = 1,
};

/* authselectmode directive. */
enum select_auth_mode {
    SELECT_AUTH_REQUIRE = 0,
    SELECT_AUTH_PREFER,
    SELECT_AUTH_MIX, /* chrony's default */
    SELECT_AUTH_IGNORE,
};

/* Status of a source after a run; select_status_char() gives the selectdata
 * letter. Order matters only for SELECT_ST_OK being 0. */
enum select_status {
    SELECT_ST_OK = 0,         /* transient inside select_run(), never reported */
    SELECT_ST_UNSELECTABLE,   /* N noselect */
    SELECT_ST_BAD_STATS,      /* M missing samples / no valid regression */
    SELECT_ST_UNSYNCHRONISED, /* s source's leap status is "unsynchronised" */
    SELECT_ST_BAD_DISTANCE,   /* d root distance > maxdistance */
    SELECT_ST_JITTERY,        /* ~ std dev > maxjitter */
    SELECT_ST_WAITS_STATS,    /* w waiting for others to get samples */
    SELECT_ST_STALE,          /* S unreachable with samples older than others' */
    SELECT_ST_ORPHAN,         /* O stratum >= orphan stratum */
    SELECT_ST_UNTRUSTED,      /* T not inside the trusted sources' interval */
    SELECT_ST_FALSETICKER,    /* x does not agree with the majority */
    SELECT_ST_WAITS_SOURCES,  /* W not enough selectable sources */
    SELECT_ST_NONPREFERRED,   /* P others have the prefer option */
    SELECT_ST_WAITS_UPDATE,   /* U new best source has no new sample yet */
    SELECT_ST_DISTANT,        /* D too far from the selected source to combine */
    SELECT_ST_OUTLIER,        /* L (reserved, as in chrony) */
    SELECT_ST_UNSELECTED,     /* + combined with the selected source */
    SELECT_ST_SELECTED,       /* * the synchronisation source */
    SELECT_ST_COUNT
};

/* SOURCE_DATA state field (chronyc sources column 2). */
enum select_report_state {
    SELECT_RPT_SELECTED = 0,      /* '*' */
    SELECT_RPT_NONSELECTABLE = 1, /* '?' */
    SELECT_RPT_FALSETICKER = 2,   /* 'x' */
    SELECT_RPT_JITTERY = 3,       /* '~' */
    SELECT_RPT_UNSELECTED = 4,    /* '+' */
    SELECT_RPT_SELECTABLE = 5,    /* '-' */
};

char select_status_char(enum select_status st);
enum select_report_state select_status_report_state(enum select_status st);
/* The chronyc sources state symbol of a report state ('*', '?', 'x', '~', '+', '-'). */
char select_report_state_char(enum select_report_state rs);

/* Global options (chrony.conf directives), chrony's defaults in comments. */
struct select_config {
    int min_sources;                 /* minsources, 1 */
    double max_distance;             /* maxdistance, 3 s */
    double max_jitter;               /* maxjitter, 1 s */
    double reselect_distance;        /* reselectdist, 1e-4 s */
    double stratum_weight;           /* stratumweight, 1e-3 s */
    double combine_limit;            /* combinelimit, 3 */
    double max_clock_error;          /* maxclockerror, 1 ppm = 1e-6 */
    int orphan_stratum;              /* local ... orphan stratum, else 16 (NTP_MAX_STRATUM) */
    enum select_auth_mode auth_mode; /* authselectmode, mix */
    /* Reference is in a special mode (-q/-Q, initstepslew): chrony logs no
     * selection messages then; no message events are produced. */
    int quiet;
};
void select_config_default(struct select_config *c);

/* What the caller knows about one source at this run. */
struct select_input {
    enum select_source_type type;
    unsigned conf_options; /* SELECT_OPT_* as configured */
    int authenticated;     /* NTP source uses NTS or a symmetric key */
    int stratum;           /* current stratum of the source */
    int leap;              /* current leap status of the source, 0-3 (3 = unsynchronised) */
    unsigned reachability; /* 8-bit reachability register */
    int reachability_size; /* number of valid bits in it, 0-8 */
    /* maxunreach: an unreachable source whose register was updated empty more than
     * max_unreach times in a row (unreach_run) is stale, even when its newest sample is
     * not older than the oldest of the reachable sources. */
    int unreach_run, max_unreach;
    uint32_t ref_id; /* our reference ID for the source (orphan tie-break) */
    /* Orphan mode (local ... orphan, chrony.conf(5)): our own reference ID on the path
     * to this source, i.e. chrony's refid of the local address its last valid response
     * arrived on (the IPv4 address, or the first 4 bytes of the MD5 hash of an IPv6
     * address, as for ref_id); 0 = unknown. Of the reachable sources at exactly the
     * orphan stratum, the one with the smallest ref_id is selected only when no other
     * source is selectable and its ref_id is smaller than this (else we are the
     * smallest and stay the root, serving our local time). Unknown: not selected, and
     * SELECT_EV_UNKNOWN_LOCAL_REFID. */
    uint32_t local_ref_id;
    /* sourcestats_get_selection(now) and sourcestats_get_tracking(). */
    struct sourcestats_selection sel;
    struct sourcestats_tracking tracking;
};

/* Fill in->sel and in->tracking from a source's statistics at time now
 * (cooked); other fields are left alone. */
void select_input_set_stats(struct select_input *in, const struct sourcestats *st,
                            const struct timespec *now);

/* Per-source state after a run (selectdata / sources reports). */
struct select_source_state {
    enum select_status status;
    char status_char;                   /* selectdata letter */
    enum select_report_state rpt_state; /* sources state */
    unsigned eff_options;               /* effective options (authselectmode applied) */
    double score;
    double lo_limit, hi_limit; /* s, correctness interval used */
    double root_distance;      /* s, including stale extra dispersion */
    double last_sample_ago;    /* s */
    int leap_vote;             /* counted in the leap second vote */
    int updates;               /* new samples since the last reference update */
    int distant;
};

enum select_event_code {
    SELECT_EV_SELECTED = 0,          /* info: "Selected source %s" (source) */
    SELECT_EV_FALSETICKER,           /* warn: "Detected falseticker %s" (source) */
    SELECT_EV_MAX_DISTANCE,          /* warn: root distance exceeds maxdistance (source, value) */
    SELECT_EV_MAX_JITTER,            /* warn: jitter exceeds maxjitter (source, value) */
    SELECT_EV_NO_SOURCES,            /* warn: "Can't synchronise: no sources" */
    SELECT_EV_NO_SELECTABLE_UNREACH, /* warn: no selectable sources (n1 unreachable) */
    SELECT_EV_NO_MAJORITY_NONE,      /* warn: no agreement among n2 [trusted] sources */
    SELECT_EV_NO_MAJORITY_SOME,      /* warn: only n1 of n2 [trusted] sources agree */
    SELECT_EV_NO_SELECTABLE,         /* warn: "Can't synchronise: no selectable sources" */
    SELECT_EV_NO_REQUIRED,           /* warn: no required source in selectable sources */
    SELECT_EV_NOT_ENOUGH,            /* warn: not enough selectable sources (minsources) */
    SELECT_EV_REPLACE_SOURCE,        /* action, no log: try to replace this NTP source */
    /* error: "Unknown local refid in orphan mode" (source: the orphan candidate, whose
       select_input.local_ref_id is 0, so it cannot be compared with ours) */
    SELECT_EV_UNKNOWN_LOCAL_REFID,
    SELECT_EV_COUNT
};

enum select_severity { SELECT_SEV_INFO = 0, SELECT_SEV_WARN = 1 };

struct select_event {
    enum select_event_code code;
    int source;   /* index, -1 if none */
    int n1, n2;   /* counts for the "Can't synchronise" messages */
    int trusted;  /* the counts refer to trusted sources */
    double value; /* maxdistance / maxjitter for those messages */
};

enum select_severity select_event_severity(enum select_event_code code);
/* chrony's message text for the event into buf (always terminated). name is
 * the source's display name ("ADDRESS" or "ADDRESS (NAME)"), ignored by the
 * global messages. Returns 0 for events without a log message. */
int select_event_format(const struct select_event *ev, const char *name, char *buf, size_t len);

enum select_verdict {
    SELECT_VERDICT_SELECTED = 0,  /* a source is selected (see update_reference) */
    SELECT_VERDICT_NO_SOURCES,    /* no sources at all */
    SELECT_VERDICT_WAITS_STATS,   /* transient: others still collecting samples */
    SELECT_VERDICT_NO_SELECTABLE, /* no source has a usable interval */
    SELECT_VERDICT_NO_MAJORITY,   /* no majority agrees */
    SELECT_VERDICT_NOT_ENOUGH,    /* fewer than minsources / none survive */
    SELECT_VERDICT_NO_REQUIRED,   /* no source with the require option survives */
    SELECT_VERDICT_WAITS_UPDATE,  /* transient: new best source has no new sample */
};

/* The reference update (chrony's REF_SetReference arguments). */
struct select_reference {
    int stratum;     /* of the selected source (ours = this + 1) */
    int leap;        /* voted leap status, 0-2 */
    int combined;    /* sources combined (1 = only the selected one) */
    uint32_t ref_id; /* of the selected source */
    struct timespec ref_time;
    double offset; /* s, local fast positive */
    double offset_sd;
    double frequency; /* s/s, local fast positive */
    double frequency_sd;
    double skew;
    double root_delay; /* of the selected source */
    double root_dispersion;
};

struct select_result {
    enum select_verdict verdict;
    int selected;          /* index of the selected source, -1 if none */
    int selection_changed; /* a new source was selected in this run */
    int update_reference;  /* ref is valid: update the clock with it */
    struct select_reference ref;
    /* Selection was lost and the reference should be marked unsynchronised
     * (chrony calls REF_SetUnsynchronised only in the no-majority case; in the
     * other failure cases the reference simply stops being updated). */
    int unsynchronise;
    int leap; /* voted leap status (valid if leap_valid) */
    int leap_valid;
    /* Owned by the selector; valid until the next select_run() or
     * select_add_source(). */
    const struct select_event *events;
    int n_events;
};

struct selector;

struct selector *select_new(void);
void select_free(struct selector *s);

/* Register a new source at index select_count(s) and return that index. */
int select_add_source(struct selector *s);
/* Remove a source; higher indices move down by one. If it was the selected
 * source, nothing is selected until the next select_run(). */
void select_remove_source(struct selector *s, int index);
/* Forget a source's selection history (after its samples were reset); if
 * it was selected, run select_run() next, as chrony reselects then. */
void select_reset_source(struct selector *s, int index);
int select_count(const struct selector *s);
/* Index of the selected source, -1 if none. */
int select_selected(const struct selector *s);
/* Drop the current selection so that the next run chooses afresh
 * (chrony's SRC_ReselectSource; the caller runs select_run() next). */
void select_force_reselect(struct selector *s);
/* A source got a reference update from outside (dump files reloaded): allow
 * an immediate reference update from it. */
void select_add_update(struct selector *s, int index);

/* Run the selection. inputs has select_count(s) entries, same indices (a
 * different n is a caller bug and is treated as "no sources").
 * updated: index of the source that just got a new sample (its regression
 * already rerun), or -1 (reachability change, removal, reselect). */
void select_run(struct selector *s, const struct select_config *cfg,
                const struct select_input *inputs, int n, int updated, struct select_result *out);

/* State of one source after the last run; 0 if index is out of range. */
int select_get_source_state(const struct selector *s, int index, struct select_source_state *out);

/* Effective options of a source under authselectmode, given all inputs. */
unsigned select_effective_options(const struct select_config *cfg,
                                  const struct select_input *inputs, int n, int index);

/* Leap status voted by sources with a vote after the last run: insert (1) or
 * delete (2) if more than half of the voters announce it, else 0. */
int select_leap_vote(const struct selector *s, const struct select_input *inputs, int n);

/* chrony's test for the end of a special reference mode (-q/-Q,
 * initstepslew): 1 if no active source can still collect the 3 samples
 * needed to become selectable before its 8th poll. active[i] nonzero =
 * source i is polling; samples[i] = sourcestats_samples(). */
int select_special_mode_end(const struct select_input *inputs, const int *active,
                            const int *samples, int n);

#endif
