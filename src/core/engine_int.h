/* Internals shared by engine.c and engine_sources.c. */
#ifndef CORE_ENGINE_INT_H
#define CORE_ENGINE_INT_H

#include "core/engine.h"

/* Append an action (its union zeroed); a packet buffer of cap bytes at *off. */
struct engine_action *engine_out_add(struct engine_out *o, enum engine_act_type type, int source);
uint8_t *engine_out_packet(struct engine_out *o, size_t cap, size_t *off);

/* Perform-and-fan-out of a clock command: an ENGINE_ACT_CLOCK for the driver, the change
 * to the discipline and every source, the dispersion, the events, and the commands that
 * follow from the change. */
void engine_apply(struct engine *e, const struct timespec *raw_now, struct clock_cmd *cmd,
                  struct engine_out *out);
/* A clock command without its fan-out (chrony's LCL_AccumulateFrequencyAndOffsetNoHandlers,
 * used by a `local` refclock): the driver calls, the events and the clock timer; the
 * caller hands cmd's changes to what must follow them (no step, no dispersion). */
void engine_apply_quiet(struct engine *e, const struct clock_cmd *cmd, struct engine_out *out);
/* A reference update from selection; ref_source: the selected source (for the log). */
void engine_update(struct engine *e, const struct timespec *raw_now,
                   const struct select_reference *ref, int ref_source, struct engine_out *out);
void engine_unsynchronise(struct engine *e, const struct timespec *raw_now, struct engine_out *out);
/* A special mode ended (d: DISC_MODE_DONE): its message, the clock command, then
 * ENGINE_ACT_QUIT (-q/-Q) or ENGINE_ACT_INIT_END (initstepslew). */
void engine_mode_done(struct engine *e, const struct timespec *raw_now, struct disc_outcome *d,
                      struct engine_out *out);
/* chrony's special_mode_end check after a reachability update: in a special mode, when no
 * source can still become selectable within its initial burst, the mode fails. */
void engine_check_special_end(struct engine *e, const struct timespec *raw_now,
                              struct engine_out *out);
void engine_update_leap(struct engine *e, const struct timespec *raw_now, int leap,
                        struct engine_out *out);
void engine_log_tracking(struct engine *e, const struct timespec *raw_now,
                         const struct disc_log_entry *l, int source, struct engine_out *out);

/* raw_now of an event, moved by our own steps made since own_shift was `mark`. */
void engine_now_since(const struct engine *e, double mark, const struct timespec *raw_now,
                      struct timespec *out);

/* Time smoothing (engine_smooth.c): a clock change being fanned out; the leap second
 * correction that cmd starts (before its changes are fanned out). */
void engine_smooth_change(struct engine *e, const struct clock_change *ch, struct engine_out *out);
void engine_smooth_leap(struct engine *e, const struct clock_cmd *cmd,
                        const struct timespec *raw_now, struct engine_out *out);

/* Sources (engine_sources.c). */
void engine_source_free(struct engine_source *s);
/* A step moved the raw timescale back by doffset: so do the sources' deadlines. */
void engine_sources_on_step(struct engine *e, double doffset);
/* The clock jumped by itself: every source starts afresh, then selection. */
void engine_sources_on_unknown_step(struct engine *e, const struct timespec *raw_now,
                                    struct engine_out *out);
/* The transmit timer of source index expired. */
void engine_source_transmit(struct engine *e, int index, const struct timespec *raw_now,
                            struct engine_out *out);
/* Selection (updated = index with a new sample, or -1). */
void engine_select(struct engine *e, int updated, const struct timespec *raw_now,
                   struct engine_out *out);

/* Reference clocks (engine_refclock.c): a new one's state from p (the engine's precision
 * applies), its end, and a clock change to its filter (an unknown step empties it). */
struct engine_refclock *engine_refclock_new(const struct engine *e,
                                            const struct refclock_params *p);
void engine_refclock_free(struct engine_refclock *rc);
void engine_refclock_on_change(struct engine_refclock *rc, const struct clock_change *ch);

#endif
