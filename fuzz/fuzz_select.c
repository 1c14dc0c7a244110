/* Fuzz target: source selection (core/select) fed by per-source statistics
 * (core/sourcestats), as the daemon runs them after every NTP sample. Servers
 * choose their offsets, distances, strata and leap bits, so the input drives
 * up to six sources.
 *
 * Input: 2 bytes of setup (number of sources, minsources, authselectmode,
 * orphan stratum, combinelimit), then 8-byte records:
 *   r[0]: source (low 3 bits), action (bits 3-5), time step (bits 6-7);
 *   r[1..4]: offset and delay (mantissa, exponent); r[5]: stratum and leap;
 *   r[6]: options (noselect/prefer/trust/require) and authentication;
 *   r[7]: reachability register.
 * Oracle: no crash or undefined behaviour; the selected index is in range,
 * every event formats, the leap vote is 0-2. */
#include "core/select.h"
#include "core/sourcestats.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SOURCES 6
#define SETUP_LEN 2
#define REC_LEN 8
#define MAX_RECS 400

struct fz_world {
    struct selector *sel;
    struct sourcestats *st[MAX_SOURCES];
    struct select_input in[MAX_SOURCES];
    struct select_config cfg;
    int n;
    struct timespec now;
};

static double value(uint8_t mant, uint8_t exp)
{
    return ldexp((int8_t)mant, (int)(exp % 64) - 50);
}

static void check_run(struct fz_world *w, int updated)
{
    struct select_result res;
    struct select_source_state ss;
    char buf[256];

    for (int i = 0; i < w->n; i++)
        select_input_set_stats(&w->in[i], w->st[i], &w->now);
    select_run(w->sel, &w->cfg, w->in, w->n, updated, &res);
    if (res.selected < -1 || res.selected >= w->n)
        abort();
    for (int i = 0; i < res.n_events; i++) {
        select_event_format(&res.events[i], "192.0.2.1 (ntp.example)", buf, sizeof(buf));
        if (!memchr(buf, '\0', sizeof(buf)))
            abort();
        (void)select_event_severity(res.events[i].code);
    }
    for (int i = 0; i < w->n; i++) {
        if (!select_get_source_state(w->sel, i, &ss))
            abort();
        (void)select_status_char(ss.status);
        (void)select_report_state_char(ss.rpt_state);
        (void)select_effective_options(&w->cfg, w->in, w->n, i);
    }
    int leap = select_leap_vote(w->sel, w->in, w->n);
    if (leap < 0 || leap > 2)
        abort();
}

static void apply(struct fz_world *w, const uint8_t *r)
{
    int i = (r[0] & 7) % w->n;
    struct select_input *in = &w->in[i];
    double offset = value(r[1], r[2]), delay = fabs(value(r[3], r[4]));
    int actives[MAX_SOURCES], samples[MAX_SOURCES];

    ts_add(&w->now, &w->now, ldexp(1.0, 2 * (r[0] >> 6)));
    in->stratum = r[5] & 0x1f;
    in->leap = r[5] >> 5 & 3;
    in->conf_options = r[6] & 0xf;
    in->authenticated = r[6] >> 4 & 1;
    in->reachability = r[7];
    in->reachability_size = r[6] >> 5;
    switch (r[0] >> 3 & 7) {
    case 0:
    case 1:
    case 2:
    case 3:
        sourcestats_add_sample(w->st[i], &w->now, offset, delay, delay / 16 + 1e-6, delay,
                               delay / 4 + 1e-5, in->stratum, in->leap);
        sourcestats_do_regression(w->st[i], NULL);
        check_run(w, i);
        break;
    case 4:
        check_run(w, -1);
        break;
    case 5:
        select_force_reselect(w->sel);
        check_run(w, -1);
        break;
    case 6:
        sourcestats_reset(w->st[i]);
        select_reset_source(w->sel, i);
        check_run(w, -1);
        break;
    default:
        for (int k = 0; k < w->n; k++) {
            actives[k] = (r[7] >> k) & 1;
            samples[k] = sourcestats_samples(w->st[k]);
        }
        (void)select_special_mode_end(w->in, actives, samples, w->n);
        for (int k = 0; k < w->n; k++)
            sourcestats_slew_samples(w->st[k], &w->now, offset * 1e-7, offset);
        check_run(w, -1);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum select_auth_mode modes[4] = {SELECT_AUTH_REQUIRE, SELECT_AUTH_PREFER,
                                                   SELECT_AUTH_MIX, SELECT_AUTH_IGNORE};
    struct fz_world w;
    struct sourcestats_params p;
    size_t n_recs;

    if (size < SETUP_LEN)
        return 0;
    memset(&w, 0, sizeof(w));
    w.now.tv_sec = 1700000000;
    select_config_default(&w.cfg);
    w.n = 1 + data[0] % MAX_SOURCES;
    w.cfg.min_sources = 1 + (data[0] >> 3) % 3;
    w.cfg.auth_mode = modes[data[0] >> 5 & 3];
    w.cfg.quiet = data[0] >> 7;
    if (data[1] & 0x10)
        w.cfg.orphan_stratum = data[1] & 0xf;
    w.cfg.combine_limit = (data[1] >> 5) * 1.0;
    sourcestats_params_default(&p);
    p.precision = 1e-8;
    w.sel = select_new();
    for (int i = 0; i < w.n; i++) {
        w.st[i] = sourcestats_new(&p);
        if (select_add_source(w.sel) != i)
            abort();
        w.in[i].type = i == 5 ? SELECT_TYPE_REFCLOCK : SELECT_TYPE_NTP;
        w.in[i].ref_id = 0xc0000201u + (uint32_t)i;
        w.in[i].leap = 3;
    }
    n_recs = (size - SETUP_LEN) / REC_LEN;
    if (n_recs > MAX_RECS)
        n_recs = MAX_RECS;
    for (size_t k = 0; k < n_recs; k++)
        apply(&w, data + SETUP_LEN + k * REC_LEN);
    if (w.n > 1) {
        select_remove_source(w.sel, 0);
        sourcestats_free(w.st[0]);
        memmove(&w.st[0], &w.st[1], sizeof(w.st[0]) * (size_t)(w.n - 1));
        memmove(&w.in[0], &w.in[1], sizeof(w.in[0]) * (size_t)(w.n - 1));
        w.n--;
        check_run(&w, -1);
    }
    for (int i = 0; i < w.n; i++)
        sourcestats_free(w.st[i]);
    select_free(w.sel);
    return 0;
}
