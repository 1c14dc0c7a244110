/* Fuzz target: the clock discipline (core/discipline + core/clock model)
 * fed with hostile reference updates. Offsets, frequencies and skews reach it
 * from servers that win the selection, and the initial frequency comes from
 * the drift file, so any finite or non-finite value may arrive.
 *
 * Input: 6 bytes of setup, then 12-byte records:
 *   s[0]: makestep limit, leap mode, local reference, fallback drift;
 *   s[1..2]: drift file frequency (mantissa, exponent); s[3]: maxchange;
 *   s[4..5]: maxupdateskew, corrtimeratio.
 *   r[0] % 8: 0-3 reference update, 4 manual update, 5 unsynchronised,
 *             6 leap vote change, 7 unknown clock step;
 *   r[1]: time step; r[2..9]: offset, frequency, skew, root distance as
 *   (mantissa, exponent) pairs; r[10]: stratum (0-15) and leap; r[11]: sources.
 * Non-finite values go only into reference updates (the path that guards
 * against them); manual input and detected clock jumps are always finite.
 * Every outcome's clock changes go back to disc_on_clock_change and the
 * clock and discipline timers run, as the daemon does. Oracle: no crash or
 * undefined behaviour, stratum and leap status in range. */
#include "core/clock.h"
#include "core/discipline.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SETUP_LEN 6
#define REC_LEN 12
#define MAX_RECS 256

struct fz_world {
    struct clock c;
    struct discipline d;
    struct timespec raw;
};

/* Mantissa and exponent: about 1e-15 .. 1e12, and inf/NaN for exponent 255. */
static double value(uint8_t mant, uint8_t exp)
{
    if (exp == 255)
        return mant & 1 ? NAN : (int8_t)mant * INFINITY;
    return ldexp((int8_t)mant, (int)(exp % 96) - 56);
}

/* As value() but always finite: for inputs the daemon measures itself. */
static double finite_value(uint8_t mant, uint8_t exp)
{
    return ldexp((int8_t)mant, (int)(exp % 96) - 56);
}

static void apply_cmd(struct fz_world *w, struct clock_cmd *cmd)
{
    for (int i = 0; i < cmd->n_changes && i < CLOCK_CMD_MAX_CHANGES; i++) {
        struct clock_change ch = cmd->changes[i];
        disc_on_clock_change(&w->d, &ch, NULL);
    }
    if (cmd->n_events > CLOCK_CMD_MAX_EVENTS)
        abort();
}

static void check(struct fz_world *w)
{
    struct disc_tracking tr;
    struct disc_ntp_state ns;
    struct timespec cooked, when;
    struct clock_cmd cmd;
    struct disc_outcome out;

    clock_cooked_time(&w->c, &w->raw, &cooked, NULL);
    disc_get_tracking(&w->d, &w->raw, 0.5, &tr);
    disc_get_ntp_state(&w->d, &cooked, 0.5, &ns);
    if (tr.leap_status < 0 || tr.leap_status > 3 || ns.leap < 0 || ns.leap > 3)
        abort();
    if (ns.stratum < 0 || ns.stratum > DISC_MAX_STRATUM)
        abort();
    (void)disc_get_stratum(&w->d, &cooked);
    (void)disc_root_distance(&w->d, &cooked);
    (void)disc_leap_second_close(&w->d, &cooked, &w->raw, &cooked, 0.1);
    /* Run due timers once each. */
    if (clock_next_timer(&w->c, &when) && ts_diff(&when, &w->raw) <= 0.0) {
        clock_cmd_init(&cmd);
        clock_on_timer(&w->c, &w->raw, &cmd);
        apply_cmd(w, &cmd);
    }
    if (disc_next_timer(&w->d, &when) && ts_diff(&when, &cooked) <= 0.0) {
        disc_outcome_init(&out);
        disc_on_timer(&w->d, &w->raw, &out);
        apply_cmd(w, &out.cmd);
    }
}

static void record(struct fz_world *w, const uint8_t *r)
{
    struct disc_outcome out;
    struct disc_update u;
    struct timespec cooked;
    struct clock_cmd cmd;
    double offset = value(r[2], r[3]);

    ts_add(&w->raw, &w->raw, ldexp(r[1] & 0x3f, (r[1] >> 6) * 4));
    clock_cooked_time(&w->c, &w->raw, &cooked, NULL);
    disc_outcome_init(&out);
    switch (r[0] % 8) {
    case 4:
        disc_update_manual(&w->d, &w->raw, &cooked, finite_value(r[2], r[3]),
                           finite_value(r[4], r[5]) * 1e-6, fabs(finite_value(r[6], r[7])) * 1e-6,
                           &out);
        break;
    case 5:
        disc_set_unsynchronised(&w->d, &w->raw, &out);
        break;
    case 6:
        disc_update_leap(&w->d, &w->raw, r[10] >> 5 & 3, &out);
        break;
    case 7:
        clock_cmd_init(&out.cmd);
        /* a jump of the system clock: at most a few centuries */
        clock_notify_unknown_step(&w->c, &w->raw, ldexp((int8_t)r[2], r[3] % 48 - 20), 1e-3,
                                  &out.cmd);
        break;
    default:
        memset(&u, 0, sizeof(u));
        u.stratum = r[10] & 0xf; /* selectable sources have stratum < 16 */
        u.leap = r[10] >> 5 & 3;
        u.combined = 1 + r[11] % 4;
        u.ref_id = 0xc0000201u;
        ts_add(&u.ref_time, &cooked, -(double)(r[11] >> 2));
        u.offset = offset;
        u.offset_sd = fabs(offset) * 0.01 + 1e-6;
        u.frequency = value(r[4], r[5]) * 1e-6;
        u.frequency_sd = 1e-8;
        u.skew = fabs(value(r[6], r[7])) * 1e-6;
        u.root_delay = fabs(value(r[8], r[9]));
        u.root_dispersion = u.root_delay / 2;
        u.db_leap = r[0] >> 6 & 3;
        disc_update(&w->d, &w->raw, &u, &out);
        break;
    }
    apply_cmd(w, &out.cmd);
    if (r[0] & 0x08) {
        clock_cmd_init(&cmd);
        clock_make_step(&w->c, &w->raw, &cmd);
        apply_cmd(w, &cmd);
    }
    check(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clock_config cc;
    struct disc_config dc;
    struct clock_cmd cmd;
    struct disc_outcome out;
    struct fz_world w;
    double freq, skew;
    size_t n;

    if (size < SETUP_LEN)
        return 0;
    memset(&w, 0, sizeof(w));
    w.raw.tv_sec = 1700000000;
    clock_config_default(&cc);
    disc_config_default(&dc);
    dc.makestep_limit = (data[0] & 3) == 3 ? -1 : data[0] & 3;
    dc.makestep_threshold = 0.1;
    dc.leap_mode = (enum disc_leap_mode)(data[0] >> 2 & 3);
    dc.local_enabled = data[0] >> 4 & 1;
    dc.local_orphan = data[0] >> 5 & 1;
    if (data[0] & 0x40) {
        dc.fb_drift_min = 2;
        dc.fb_drift_max = 6;
    }
    if (data[3]) {
        dc.maxchange_offset = data[3] * 0.1;
        dc.maxchange_delay = data[3] % 4;
        dc.maxchange_ignore = data[3] % 3;
    }
    dc.max_update_skew_ppm = data[4] ? data[4] * 10.0 : dc.max_update_skew_ppm;
    dc.corr_time_ratio = data[5] ? data[5] * 0.1 : dc.corr_time_ratio;
    clock_cmd_init(&cmd);
    clock_init(&w.c, &cc, &w.raw, 0.0, &cmd);
    disc_init(&w.d, &dc, &w.c, &w.raw);
    freq = value(data[1], data[2]);
    skew = fabs(freq) * 0.01;
    disc_outcome_init(&out);
    disc_init_frequency(&w.d, &w.raw, data[0] >> 7, isfinite(freq), freq, skew, &out);
    apply_cmd(&w, &out.cmd);
    n = (size - SETUP_LEN) / REC_LEN;
    if (n > MAX_RECS)
        n = MAX_RECS;
    for (size_t i = 0; i < n; i++)
        record(&w, data + SETUP_LEN + i * REC_LEN);
    disc_final_drift(&w.d, &freq, &skew);
    return 0;
}
