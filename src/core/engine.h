/* The synchronisation engine: one component that owns the clock model (core/clock), the
 * discipline (core/discipline), the sources' protocol state (core/ntp_client) and
 * statistics (core/sourcestats), source selection and combining (core/select), their timers
 * and the detection of clock jumps. The order of the algorithm lives here:
 *
 *   response -> protocol tests -> sample -> statistics -> selection -> discipline ->
 *   clock command -> fan-out of the change to every source's samples and timestamps
 *
 * Events go in (a received datagram, a timer, a wake-up of the loop, a command); what must
 * happen comes out as a list of plain values appended to a struct engine_out, in the order
 * it must happen: clock commands for the driver, packets to send, log lines and events,
 * a drift file to write, a source to replace, the end of a -q/-Q run. The engine never
 * calls back into the daemon; it reads no clock, socket, file or random source.
 *
 * Times: "raw" = what the daemon's clock driver reads (the timer timescale); "cooked" = raw
 * corrected by the clock model (the best estimate of true time, the sample timescale).
 * Signs as in core/clock.h and core/discipline.h. Sources are numbered 0..n-1 in the order
 * they were added; removing one renumbers the ones after it. */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include "core/clock.h"
#include "core/discipline.h"
#include "core/hwclock.h"
#include "core/keys.h"
#include "core/leapdb.h"
#include "core/manual.h"
#include "core/ntp_client.h"
#include "core/ntp_server.h"
#include "core/nts_client.h"
#include "core/refclock.h"
#include "core/select.h"
#include "core/smooth.h"
#include "core/sourcedump.h"
#include "core/sourcestats.h"
#include "core/txqueue.h"
#include "lib/rng.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* chrony's JUMP_DETECT_THRESHOLD (s): a wake-up this far off was a jump of the clock. */
#define ENGINE_JUMP_THRESHOLD 10.0

/* Which log files want records (chrony's `log` directive). */
#define ENGINE_LOG_MEASUREMENTS 0x1
#define ENGINE_LOG_STATISTICS 0x2
#define ENGINE_LOG_SELECTION 0x4
#define ENGINE_LOG_TRACKING 0x8

struct engine_config {
    struct clock_config clock;
    struct disc_config disc;
    struct select_config select;
    enum disc_mode mode;    /* DISC_MODE_NORMAL, or -q/-Q, or initstepslew */
    int precision_log2;     /* of the local clock, served to NTP clients */
    double precision;       /* s, of the local clock (the sources' quantum) */
    double driver_freq_ppm; /* the driver's frequency at start (env_clock.get_freq) */
    unsigned log_mask;      /* ENGINE_LOG_* */
    /* smoothtime (disabled when its limits are 0) */
    struct smooth_config smooth;
};

struct engine_refclock;

/* One source's state kept by the engine. The daemon may read it (reports, dump files);
 * it changes it only through the engine's calls. */
struct engine_source {
    struct ntp_client client;
    struct sourcestats *stats;
    unsigned sel_options; /* SELECT_OPT_* */
    uint32_t ref_id;
    int nts;                   /* authenticated by NTS */
    int stratum, leap;         /* from the last synchronised response */
    uint32_t local_ref_id;     /* ours as seen on the path to it: the reference ID of the local
                                * address its last valid response arrived on (orphan mode) */
    struct timespec tx_cooked; /* when our last request left */
    int have_tx;
    enum ntp_client_ts_src tx_src; /* what measured tx_cooked */
    uint64_t n_samples;
    unsigned reach_before; /* reachability before the transmission in progress */
    /* Its transmit timer (raw): the protocol's deadline it was set from (armed_for), moved
     * later to keep the separation from other sources' (tx_when), and the order it was
     * armed in (earlier breaks ties). */
    int armed;
    struct timespec armed_for, tx_when;
    uint64_t tx_seq;
    int index; /* in engine->v (the armed timers in engine->txq name their source by it) */
    /* A reference clock (engine_refclock.c): its settings, filter and poll state; NULL for
     * an NTP source. A reference clock never transmits; its client is not started and
     * keeps only the reachability register. */
    struct engine_refclock *rc;
};

/* What a new source starts with. */
struct engine_source_params {
    struct ntp_client_opts client;
    struct sourcestats_params stats; /* precision is the engine's */
    unsigned sel_options;            /* SELECT_OPT_* */
    uint32_t ref_id;
    const struct keys *keys; /* with key_id: symmetric key authentication (not owned) */
    uint32_t key_id;
    struct nts_client *nts; /* NTS state (not owned; outlives the source), or NULL */
    const struct refclock_params *refclock; /* a reference clock (copied), or NULL */
};

enum engine_act_type {
    ENGINE_ACT_NONE,            /* nothing (an event withdrawn after a refused step) */
    ENGINE_ACT_CLOCK,           /* perform .u.clock's driver calls (see struct engine_clock_act) */
    ENGINE_ACT_EVENT,           /* log .u.event (clock_event_format) */
    ENGINE_ACT_SELECT_EVENT,    /* log .u.sel_event (select_event_format) */
    ENGINE_ACT_LEAP_DROP,       /* debug "Dropping sample around leap second" */
    ENGINE_ACT_OUT_OF_ORDER,    /* warn "Out of order sample detected, discarding history for" */
    ENGINE_ACT_LOG_MEASUREMENT, /* measurements.log line: .u.meas */
    ENGINE_ACT_LOG_STATISTICS,  /* statistics.log line: .u.stats */
    ENGINE_ACT_LOG_SELECTION,   /* selection.log line: .u.sel */
    ENGINE_ACT_LOG_TRACKING,    /* tracking.log line: .u.tracking; .source: the reference (-1:
                                   none, "0.0.0.0"; -2: the reference named last) */
    ENGINE_ACT_DRIFT,           /* replace the drift file: .u.drift */
    ENGINE_ACT_QUIT,            /* the daemon should exit: .u.quit */
    ENGINE_ACT_INIT_END,        /* initstepslew ended (.u.quit.exit_status 1: it failed): the
                                   daemon removes its sources and starts normal operation,
                                   calling engine_set_normal_mode() */
    ENGINE_ACT_SEND,            /* send .u.send's packet to .source, then engine_tx_done() */
    ENGINE_ACT_REPLACE,         /* .source is bad: look its name up again (if it has one) */
    ENGINE_ACT_LEAP_LIST_EXPIRED, /* warn "Leap second list %s needs update" (at each reload) */
    ENGINE_ACT_LEAP_RELOAD,       /* read the leap table again (chrony: at most twice a day)
                                     and hand it over with engine_set_leapdb */
    ENGINE_ACT_MANUAL,            /* info "Making a slew of %.6f" (.u.manual; with a frequency:
                                     "Making a frequency change of %.3f ppm and a slew of %.6f") */
    ENGINE_ACT_KOD_RATE,          /* warn "Received KoD RATE from %s" (.source's address); the
                                     source already backs off */
};

/* Driver calls in the order clock_cmd prescribes (set_freq, step, set_leap, set_sync).
 * After a successful step, or when no step is asked for, the daemon moves the raw-time
 * deadlines it keeps itself by -shift s (shift = 0 without a step). A refused step goes
 * back with engine_step_refused(). */
struct engine_clock_act {
    struct clock_cmd cmd; /* only the driver fields are meaningful */
    double shift;
    int slew_if_refused; /* a refused step of a reference update is slewed instead (chrony) */
    int has_step_change;
    struct clock_change step_change; /* the STEP change of cmd, for engine_step_refused */
};

struct engine_meas {
    int synced; /* tests 6-7 passed (chrony logs unsynchronised ones only with rawmeasurements) */
    struct ntp_client_report report;
    int poll;             /* log2 s, the source's local poll */
    double poll_score;    /* the accumulated poll adjustment */
    struct timespec when; /* cooked receive time */
};

struct engine_stats_log {
    struct sourcestats_log log;
    struct timespec when; /* cooked */
};

struct engine_sel_log {
    struct select_source_state state;
    unsigned reach;
    struct timespec when; /* cooked */
};

struct engine_tracking {
    struct disc_log_entry log;
    struct timespec when; /* cooked */
};

struct engine_action {
    enum engine_act_type type;
    int source; /* index of the source concerned, -1 if none */
    union {
        struct engine_clock_act clock;
        struct clock_event event;
        struct select_event sel_event;
        struct engine_meas meas;
        struct engine_stats_log stats;
        struct engine_sel_log sel;
        struct engine_tracking tracking;
        struct {
            double freq_ppm, skew_ppm;
        } drift;
        struct {
            int exit_status; /* 0, or 1 after a failed -q/-Q run (or initstepslew) */
            int mode_done;   /* -q/-Q: the one measurement was made */
        } quit;
        struct {
            size_t off, len; /* the packet: engine_out.pkt[off .. off + len) */
        } send;
        struct {
            int have_frequency;
            double freq_ppm, slew; /* ppm, s */
        } manual;
    } u;
};

/* The outcome of events, owned by the caller: engine_out_init() once, engine_out_clear()
 * before a new event (the engine appends, so calls made while performing an outcome, such
 * as engine_tx_done(), add their actions after the ones being performed), and
 * engine_out_fini(). Perform the actions in order, by index (the arrays may move). */
struct engine_out {
    struct engine_action *a;
    int n, cap;
    uint8_t *pkt;
    size_t pkt_len, pkt_cap;
};

void engine_out_init(struct engine_out *o);
void engine_out_clear(struct engine_out *o);
void engine_out_fini(struct engine_out *o);

struct engine {
    struct engine_config cfg;
    struct rng *rng; /* the node's (not owned): cookies, scheduling randomness, fuzz */
    struct clock clock;
    struct discipline disc;
    int started;        /* the initial frequency was set (engine_start) */
    uint64_t n_updates; /* reference updates applied */
    uint64_t n_steps;   /* steps performed */
    /* Changes of the clock (frequency, offset, steps; not the jumps the daemon detects)
     * since engine_start: chrony's count of clock updates for `nocerttimecheck`. */
    uint64_t n_clock_changes;
    uint64_t seq;       /* of the last timer armed */
    uint64_t clock_seq; /* when the clock model's and discipline's timers were armed */
    double own_shift;   /* s, sum of the offsets of our own steps: the raw times of an event
                         * that made one move by its part of it */
    /* Jump detection (chrony's scheduler does this), raw times. */
    struct timespec last_wake, expected_wake;
    int have_last_wake, have_expected_wake;
    /* Sources and selection. */
    struct engine_source **v;
    int n, cap;
    struct txqueue txq; /* the armed sources' transmit timers, earliest first */
    struct selector *sel;
    struct select_input *inputs; /* scratch, cap entries */
    int selected;                /* index of the synchronisation source, -1 */
    int pending_replace;         /* source to replace after a selection run, -1 */
    int serving;                 /* our server sockets are open (RFC 5905 test D applies) */
    /* When the last request of a client (0) and of a peer (1) left, raw: the next one of
     * another source keeps the separation from it (chrony's timeout classes). */
    struct timespec last_tx[2];
    int have_last_tx[2];
    struct manual manual; /* chronyc settime samples (`manual`) */
    /* Leap second table (leapseclist or leapsectz). */
    struct leapdb leapdb;
    int leap_src; /* 0 none, 1 list, 2 timezone */
    /* Time smoothing (engine_smooth.c): enabled by engine_start, after the initial
     * frequency; the state before the last step, put back if the driver refuses it. */
    struct smooth smooth, smooth_saved;
    int smooth_hold; /* changes do not reach the smoothing (undoing a refused step) */
    /* The monotonic timescale served in F323 fields (chrony's server_mono_offset/epoch):
     * cooked time + mono_offset, which the slews of our corrections do not move; a step
     * starts a new epoch (an ID derived from mono_seed, which counts the epochs). */
    double mono_offset;
    uint32_t mono_epoch;
    uint64_t mono_seed;
    /* The 12-hour period (cooked time / 43200 s) the table was last asked for in, or
     * INT64_MIN before the first update: a new period asks for a reload. */
    int64_t leap_period;
};

/* Set up at raw_now; nothing is applied until engine_start. rng must outlive the engine. */
void engine_init(struct engine *e, const struct engine_config *cfg, struct rng *rng,
                 const struct timespec *raw_now);
void engine_fini(struct engine *e);
/* Initial frequency from the drift file (see disc_init_frequency), then the tracking.log
 * line of the unsynchronised start. */
void engine_start(struct engine *e, const struct timespec *raw_now, int have_file, int file_ok,
                  double freq_ppm, double skew_ppm, struct engine_out *out);
void engine_set_log_mask(struct engine *e, unsigned mask);
/* After ENGINE_ACT_INIT_END: the reference leaves the initstepslew mode for normal
 * operation (chrony's REF_SetMode(REF_ModeNormal)). */
void engine_set_normal_mode(struct engine *e);
/* 1 while the reference is in a special mode (-q/-Q, initstepslew, or the ignore mode after
 * one), else 0. */
int engine_special_mode(const struct engine *e);
/* The server sockets are open: responses are checked against our own reference. */
void engine_set_serving(struct engine *e, int serving);

/* The leap second table (leapseclist: is_list; leapsectz otherwise), moved into the
 * engine: the status of today and TAI - UTC when the sources announce none. An empty
 * table (a reload that failed) answers nothing until the next reload. */
void engine_set_leapdb(struct engine *e, struct leapdb *db, int is_list);

/* Sources. engine_add_source returns the new source's index; it starts polling at raw_now
 * (the first request 0.2 s later). engine_remove_source takes it out (chrony takes a source
 * offline first: engine_source_clear_reach() and a selection when it is the
 * synchronisation source). */
int engine_add_source(struct engine *e, const struct engine_source_params *p,
                      const struct timespec *raw_now);
void engine_remove_source(struct engine *e, int index);
void engine_source_clear_reach(struct engine *e, int index);
int engine_source_count(const struct engine *e);
const struct engine_source *engine_source(const struct engine *e, int index);
/* Index of the synchronisation source, -1 if none. */
int engine_selected(const struct engine *e);

/* A datagram from source index's address. */
struct engine_rx {
    const uint8_t *data;
    size_t len;
    struct timespec rx_raw; /* when it arrived (kernel timestamp, or the wake-up time) */
    enum ntp_client_ts_src rx_src;
    uint32_t local_refid; /* IPv4 address it arrived on, for the loop test (0 if none) */
    double rx_duration, net_correction; /* `extfield F324`: see ntp_client_rx_ctx */
};
void engine_on_response(struct engine *e, int index, const struct engine_rx *rx,
                        struct engine_out *out);
/* hwtstimeout: 1 if the response of source index should wait for the hardware transmit
 * timestamp of its request (its request has none yet and ntp_client_response_waits). */
int engine_response_waits_tx(const struct engine *e, int index, const uint8_t *data, size_t len);
/* The one entry of samples into the engine, whatever measured them (an NTP exchange of
 * engine_on_response(), a transmission that flushed the filter, or a source of another
 * kind): the source's statistics, selection, the discipline, and the source's polling
 * interval adjusted to the sample. raw_now: when it was taken. */
void engine_on_sample(struct engine *e, int index, const struct ntp_sample *smp,
                      const struct timespec *raw_now, struct engine_out *out);

/* After an ENGINE_ACT_SEND: ok = it left at raw time tx_raw (read just before sending);
 * raw_now: the time of the event that asked for it. Appends what follows the transmission
 * (a source unreachable for a whole register is bad; a selection when the synchronisation
 * source missed a poll). */
void engine_tx_done(struct engine *e, int index, int ok, const struct timespec *tx_raw,
                    const struct timespec *raw_now, struct engine_out *out);
/* The kernel's (or the NIC's) report that a packet of source index left at raw time
 * tx_raw: pkt/len its first bytes as sent. If it is the last request (its transmit
 * timestamp is the one the source expects back) and 0-1 s after the daemon's timestamp
 * (chrony's MAX_TX_DELAY), it replaces that one; a kernel/hardware timestamp is counted
 * (ntpdata) either way. */
void engine_on_tx_timestamp(struct engine *e, int index, const uint8_t *pkt, size_t len,
                            const struct timespec *tx_raw, enum ntp_client_ts_src src);
/* Symmetric mode: complete the packet of an ENGINE_ACT_SEND just before it leaves at raw
 * time tx_raw (our reference, the transmit timestamp, the MAC). Returns the length to send,
 * 0 for nothing. */
size_t engine_peer_finish(struct engine *e, int index, uint8_t *buf, size_t len, size_t cap,
                          const struct timespec *tx_raw);
/* NTS: random bytes for the source's next request (ntp_client_set_nts_random). */
void engine_source_set_nts_random(struct engine *e, int index,
                                  const uint8_t rnd[NTS_CLIENT_RANDOM_LEN]);
/* The source whose transmission engine_on_timer() would run next at raw_now, -1 if the
 * next item is not a transmission or nothing is due (the daemon prepares NTS first). */
int engine_due_source(const struct engine *e, const struct timespec *raw_now);

/* The driver refused the step of out's ENGINE_ACT_CLOCK at index: the model and everything
 * fanned out go back to the unstepped timescale, the events of the command that say the
 * clock was stepped are withdrawn, and the offset of a reference update's step is slewed
 * instead, as chrony does (its actions are appended). */
void engine_step_refused(struct engine *e, struct engine_out *out, int index,
                         const struct timespec *raw_now);

/* Timers, in raw time: the earliest deadline. engine_on_timer runs the earliest item due
 * at raw_now (the clock model's, the discipline's, or a source's transmission) and returns
 * 1, or 0 when nothing is due: the daemon performs each outcome and calls again. */
int engine_next_timer(const struct engine *e, struct timespec *raw_when);
int engine_on_timer(struct engine *e, const struct timespec *raw_now, struct engine_out *out);

/* The loop will wake at raw time `when` at the latest. */
void engine_expect_wake(struct engine *e, const struct timespec *when);
/* Start of a wake-up at raw time now: a clock that went back, or forward past the expected
 * wake-up, by more than ENGINE_JUMP_THRESHOLD was stepped by someone else: the model, the
 * reference and every source start afresh. Returns -1 (backward), 1 (forward) or 0. */
int engine_on_wake(struct engine *e, const struct timespec *now, struct engine_out *out);

/* Commands. */
/* chronyc makestep: step the remaining correction now (0 if there is nothing valid). */
int engine_make_step(struct engine *e, const struct timespec *raw_now, struct engine_out *out);
/* chronyc dfreq (ppm), doffset (s; returns 0 if invalid). */
void engine_accumulate_freq(struct engine *e, const struct timespec *raw_now, double dfreq_ppm,
                            struct engine_out *out);
int engine_accumulate_offset(struct engine *e, const struct timespec *raw_now, double doffset,
                             struct engine_out *out);
/* chronyc local: enable or disable the local reference (activate and the wait times in s,
 * used when enabled; zero is chrony's default then). maxupdateskew (ppm). */
void engine_set_local(struct engine *e, int enabled, int stratum, int orphan, double distance,
                      double activate, double wait_synced, double wait_unsynced);
void engine_set_max_update_skew(struct engine *e, double skew_ppm);
/* chronyc makestep THRESHOLD LIMIT: the discipline steps an update whose offset is above
 * threshold (s) in the next limit updates (< 0: always), as the makestep directive. */
void engine_set_makestep(struct engine *e, int limit, double threshold);
/* chronyc reselectdist (s): the distance added to a candidate other than the selected
 * source when selection compares them (chrony's SRC_SetReselectDistance). Returns 1 if
 * it changed (chrony logs the new value then), else 0. */
int engine_set_reselect_distance(struct engine *e, double distance);
/* Run selection now (force: even when nothing changed, chronyc reselect). */
void engine_reselect(struct engine *e, int force, const struct timespec *raw_now,
                     struct engine_out *out);
/* chronyc reset sources: every source forgets its samples, reachability, stratum and
 * leap, the protocol state and polling start afresh, and the sources are selected again. */
void engine_reset_sources(struct engine *e, const struct timespec *raw_now, struct engine_out *out);

/* tempcomp: the oscillator's correction for its temperature (ppm, see clock_set_temp_comp). */
void engine_set_temp_comp(struct engine *e, const struct timespec *raw_now, double comp_ppm,
                          struct engine_out *out);

/* Manual time input (`manual`, chronyc manual and settime). */
void engine_manual_enable(struct engine *e, int enabled);
int engine_manual_enabled(const struct engine *e);
void engine_manual_reset(struct engine *e);
/* A time typed at raw_now: 0 when refused (disabled, not sane, too close to the previous
 * one), else 1, the reference is updated from the samples, and the chronyc reply: the
 * fitted offset (s, positive = fast), the frequency change and the new absolute
 * frequency (ppm). */
int engine_manual_settime(struct engine *e, const struct timespec *raw_now,
                          const struct timespec *ts, double *offset, double *dfreq_ppm,
                          double *new_afreq_ppm, struct engine_out *out);
/* Delete sample index and update from the others; 0 if there is no such sample. */
int engine_manual_delete(struct engine *e, int index, const struct timespec *raw_now,
                         struct engine_out *out);
const struct manual *engine_manual(const struct engine *e);

/* Commands on one source. */
enum engine_src_cmd {
    ENGINE_SRC_ONLINE,     /* go online (iburst if configured) */
    ENGINE_SRC_OFFLINE,    /* go offline, forget the reachability */
    ENGINE_SRC_BURST,      /* i1 good samples within i2 requests */
    ENGINE_SRC_MINPOLL,    /* i1 */
    ENGINE_SRC_MAXPOLL,    /* i1 */
    ENGINE_SRC_MINSTRATUM, /* i1 */
    ENGINE_SRC_POLLTARGET, /* i1 */
    ENGINE_SRC_MAXDELAY,   /* d, s */
    ENGINE_SRC_MAXDELAYRATIO,
    ENGINE_SRC_MAXDELAYDEVRATIO,
    ENGINE_SRC_OFFSET,     /* d, s */
    ENGINE_SRC_SELECTOPTS, /* i1: new SELECT_OPT_* set */
};
/* Returns 1 if the source's state changed (online, selection options), else 0. */
int engine_source_command(struct engine *e, int index, enum engine_src_cmd cmd, int i1, int i2,
                          double d, const struct timespec *raw_now);
/* The source moved to a new address (ref_id): a new server, nothing carries over. */
void engine_source_restart(struct engine *e, int index, uint32_t ref_id);
/* The source's NTS-KE session moved it to another address: new reference ID. */
void engine_source_set_ref_id(struct engine *e, int index, uint32_t ref_id);

/* Reference clocks (engine_refclock.c). The line of refclocks.log of a sample
 * (filtered = 0) or of the sample of a poll (filtered = 1), offsets in chrony's sign
 * there (true - local). */
struct engine_refclock_log {
    struct timespec when; /* cooked */
    int filtered, pulse;
    int leap; /* the refclock's leap status 0-3 */
    double raw_offset, cooked_offset, dispersion;
    int lost_lock; /* a `local` refclock's reading came too late: it starts again (the
                    * daemon warns "Local refclock lost lock"); set also when 0 is returned */
};
/* A reading of the driver of reference clock index at raw_now: 1 if it went into the
 * filter (*log filled), 0 (log->lost_lock may be set) if it was dropped (not sane, too old, bad
 * leap, an unlocked pulse while we are not synchronised, ...). */
int engine_refclock_sample(struct engine *e, int index, const struct refclock_reading *r,
                           const struct timespec *raw_now, struct engine_refclock_log *log);
/* The end of a poll of reference clock index: the reachability, and the filtered sample
 * (if any) handed to the statistics and selection (out). Returns 1 when a sample went
 * on (*log filled), else 0. */
int engine_refclock_poll(struct engine *e, int index, const struct timespec *raw_now,
                         struct engine_out *out, struct engine_refclock_log *log);
/* A burst of n readings of the PHC of reference clock index (system times raw), as
 * chrony's phc_poll: combined into one sample (the PHC time, the raw system time and its
 * error bound are written out) that also feeds the PHC's tracking against the cooked
 * system clock. The tracking follows every later change of the clock (chrony's slew
 * handler of hwclock.c), so the frequency changes of the system clock between a reading
 * and an edge do not bend it. Returns 0 if the readings are unusable or index is not a
 * PHC. */
int engine_refclock_phc_readings(struct engine *e, int index, const struct hwclock_reading *r,
                                 int n, struct timespec *phc_ts, struct timespec *sys_raw,
                                 double *err);
/* The raw system time of the PHC time phc_ts (an extpps edge) from the tracking, with its
 * error bound (s); 0 while the PHC is not tracked yet. */
int engine_refclock_phc_time(const struct engine *e, int index, const struct timespec *phc_ts,
                             struct timespec *sys_raw, double *err);
/* Index of the reference clock with this reference ID, -1 if none. */
int engine_refclock_find(const struct engine *e, uint32_t ref_id);
/* The refclock's poll (log2 s) for reports, or 0 for an NTP source. */
int engine_refclock_report_poll(const struct engine *e, int index);
/* chronyc offset of a refclock (s, added to its samples). */
void engine_refclock_set_offset(struct engine *e, int index, double offset);

/* Dump files (chronyd -r, chronyc dump): the source's history and state. */
void engine_source_dump(const struct engine *e, int index, struct sourcedump *d);
/* Load a parsed dump into the source; 0 if its samples are out of order. */
int engine_source_load(struct engine *e, int index, const struct sourcedump *d);
/* The next selection may update the reference from this source (chrony after -r). */
void engine_source_allow_update(struct engine *e, int index);

/* raw -> cooked; err (may be NULL): uncertainty of the correction, s. */
void engine_cooked_time(const struct engine *e, const struct timespec *raw, struct timespec *cooked,
                        double *err);
/* The clock model's estimate of the clock's own frequency error (ppm, positive = fast). */
double engine_base_freq_ppm(const struct engine *e);
/* What our NTP server advertises at raw_now: synchronised, local reference, or
 * unsynchronised. Refreshes the local reference time, hence not const. */
void engine_get_served(struct engine *e, const struct timespec *raw_now,
                       struct ntp_server_ref *ref);
/* chronyc tracking figures at raw_now (fuzz: the reference time's, see disc_get_tracking). */
void engine_get_tracking(struct engine *e, const struct timespec *raw_now,
                         struct disc_tracking *out);
/* Selection state of a source after the last selection run; 0 if out of range. */
int engine_get_select_state(const struct engine *e, int index, struct select_source_state *out);
/* The discipline's state (drift file contents, synchronised). */
const struct discipline *engine_discipline(const struct engine *e);
/* Remaining correction at raw (s, positive = clock fast). */
double engine_remaining_offset(const struct engine *e, const struct timespec *raw);

/* Time smoothing (smoothtime, core/smooth.h), fed by every clock change the engine makes.
 * engine_smooth_offset: what to add to the cooked time of raw_now that our NTP server
 * serves (s, 0 when disabled). engine_smooth_report: chronyc smoothing at raw_now, 0 when
 * disabled. reset and activate (chronyc smoothtime) append their log events to out and
 * return 0 when smoothing is disabled. */
int engine_smooth_enabled(const struct engine *e);
double engine_smooth_offset(const struct engine *e, const struct timespec *raw_now);
int engine_smooth_report(const struct engine *e, const struct timespec *raw_now,
                         struct smooth_report *r);
int engine_smooth_reset(struct engine *e, const struct timespec *raw_now, struct engine_out *out);
int engine_smooth_activate(struct engine *e, const struct timespec *raw_now,
                           struct engine_out *out);

#endif
