/* The engine alone, without a daemon: events in, the outcome's actions out, in order.
 * A server is played by hand with the codec, so the whole path of a sample (response,
 * statistics, selection, discipline, clock command) runs through engine calls only. */
#include "check.h"

#include "core/engine.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <string.h>

struct rig {
    struct engine e;
    struct engine_out out;
    struct rng rng;
    struct timespec now;  /* raw = true time here: the clock is perfect */
    int server_stratum;   /* of the played server, 1 unless set */
    uint32_t local_refid; /* of the local address the replies arrive on, 0 = unknown */
    /* measurements.log rows of the responses: how many, how many did not show the poll
     * the sample led to, how many came before the event's tracking.log row */
    int meas_rows, meas_stale_poll, meas_before_tracking;
    double delay[4]; /* s, extra round-trip delay of the path to source i */
    int mute[4];     /* source i gets no replies */
};

/* The rows of one response (out->a[from..]): chrony writes the measurement after the
 * sample was processed, with the source's poll and poll score after its adjustment. */
static void check_measurement_rows(struct rig *r, int src, int from)
{
    const struct ntp_client *c = &engine_source(&r->e, src)->client;
    int tracking = -1;

    for (int i = from; i < r->out.n; i++) {
        const struct engine_action *a = &r->out.a[i];
        if (a->type == ENGINE_ACT_LOG_TRACKING)
            tracking = i;
        if (a->type != ENGINE_ACT_LOG_MEASUREMENT)
            continue;
        r->meas_rows++;
        if (a->u.meas.poll != ntp_client_get_poll(c) ||
            a->u.meas.poll_score != ntp_client_get_poll_score(c))
            r->meas_stale_poll++;
        if (tracking < 0) {
            for (int j = i + 1; j < r->out.n; j++)
                if (r->out.a[j].type == ENGINE_ACT_LOG_TRACKING)
                    r->meas_before_tracking++;
        }
    }
}

static void rig_init_mode(struct rig *r, int makestep, enum disc_mode mode)
{
    struct engine_config c;

    memset(r, 0, sizeof(*r));
    memset(&c, 0, sizeof(c));
    clock_config_default(&c.clock);
    disc_config_default(&c.disc);
    select_config_default(&c.select);
    if (makestep) {
        c.disc.makestep_threshold = 0.1;
        c.disc.makestep_limit = -1;
    }
    c.mode = mode;
    c.precision = 1e-8;
    c.precision_log2 = -26;
    c.log_mask = ENGINE_LOG_TRACKING | ENGINE_LOG_MEASUREMENTS;
    rng_seed(&r->rng, 42);
    r->now.tv_sec = 1700000000;
    engine_init(&r->e, &c, &r->rng, &r->now);
    engine_out_init(&r->out);
    engine_start(&r->e, &r->now, 0, 0, 0.0, 0.0, &r->out);
}

static void rig_init(struct rig *r, int makestep)
{
    rig_init_mode(r, makestep, DISC_MODE_NORMAL);
}

static void rig_fini(struct rig *r)
{
    engine_out_fini(&r->out);
    engine_fini(&r->e);
}

static int add_server_samples(struct rig *r, uint32_t ref_id, int max_samples)
{
    struct engine_source_params p;

    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    p.client.minpoll = p.client.maxpoll = 0;
    p.client.iburst = 0;
    sourcestats_params_default(&p.stats);
    p.stats.max_samples = max_samples;
    p.ref_id = ref_id;
    return engine_add_source(&r->e, &p, &r->now);
}

static int add_server_with(struct rig *r, uint32_t ref_id, int max_unreach, int copy)
{
    struct engine_source_params p;

    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    p.client.minpoll = p.client.maxpoll = 0;
    p.client.iburst = 0;
    p.client.max_unreach = max_unreach;
    p.client.copy = copy;
    sourcestats_params_default(&p.stats);
    p.ref_id = ref_id;
    return engine_add_source(&r->e, &p, &r->now);
}

static int add_server(struct rig *r, uint32_t ref_id)
{
    return add_server_samples(r, ref_id, 0);
}

static int count(const struct engine_out *o, enum engine_act_type t)
{
    int n = 0;
    for (int i = 0; i < o->n; i++)
        n += o->a[i].type == t;
    return n;
}

static int find(const struct engine_out *o, enum engine_act_type t)
{
    for (int i = 0; i < o->n; i++)
        if (o->a[i].type == t)
            return i;
    return -1;
}

/* Run every timer due by r->now; answer each request as a server whose clock is `offset`
 * ahead of ours (delay 1 ms each way). Returns the number of requests. */
static int run_until(struct rig *r, double seconds, double offset)
{
    struct timespec end, when;
    int requests = 0;

    ts_add(&end, &r->now, seconds);
    while (engine_next_timer(&r->e, &when) && ts_cmp(&when, &end) <= 0) {
        if (ts_cmp(&when, &r->now) > 0)
            r->now = when;
        engine_out_clear(&r->out);
        if (!engine_on_timer(&r->e, &r->now, &r->out))
            continue;
        for (int i = 0; i < r->out.n; i++) {
            const struct engine_action *a = &r->out.a[i];
            struct ntp_packet req, rep;
            struct engine_rx rx;
            uint8_t buf[NTP_HEADER_LEN];
            struct timespec srv, rxt;
            double extra;
            int src = a->source;
            if (a->type != ENGINE_ACT_SEND)
                continue;
            requests++;
            CHECK(ntp_decode(r->out.pkt + a->u.send.off, a->u.send.len, &req, NULL) == NTP_OK);
            engine_tx_done(&r->e, src, 1, &r->now, &r->now, &r->out);
            if (src >= 0 && src < 4 && r->mute[src])
                continue;
            memset(&rep, 0, sizeof(rep));
            rep.version = 4;
            rep.mode = NTP_MODE_SERVER;
            rep.stratum = (uint8_t)(r->server_stratum ? r->server_stratum : 1);
            rep.poll = 0;
            rep.precision = -20;
            rep.ref_id = 0x47505300;
            extra = src >= 0 && src < 4 ? r->delay[src] : 0.0;
            ts_add(&srv, &r->now, 0.001 + extra / 2.0 + offset);
            ntp_ts64_from_timespec(&rep.ref_ts, &srv);
            rep.origin_ts = req.tx_ts;
            ntp_ts64_from_timespec(&rep.rx_ts, &srv);
            ntp_ts64_from_timespec(&rep.tx_ts, &srv);
            CHECK(ntp_encode(&rep, buf, sizeof(buf)) == NTP_HEADER_LEN);
            ts_add(&rxt, &r->now, 0.002 + extra);
            memset(&rx, 0, sizeof(rx));
            rx.data = buf;
            rx.len = sizeof(buf);
            rx.rx_raw = rxt;
            rx.local_refid = r->local_refid;
            {
                int from = r->out.n;
                engine_on_response(&r->e, src, &rx, &r->out);
                check_measurement_rows(r, src, from);
            }
        }
    }
    r->now = end;
    return requests;
}

/* Requests go out one timer a call, responses become samples, selection picks the server
 * and the discipline answers with clock commands and tracking lines. */
static void test_sample_path_to_clock(void)
{
    struct rig r;
    int requests;

    rig_init(&r, 0);
    CHECK_INT_EQ(add_server(&r, 0xC0000201), 0);
    CHECK_INT_EQ(engine_source_count(&r.e), 1);
    CHECK_INT_EQ(engine_selected(&r.e), -1);
    requests = run_until(&r, 30.0, 0.010);
    CHECK(requests >= 10);
    CHECK_INT_EQ(engine_selected(&r.e), 0);
    CHECK(engine_source(&r.e, 0)->n_samples >= 5);
    CHECK_INT_EQ(engine_source(&r.e, 0)->stratum, 1);
    CHECK(r.e.n_updates > 0);
    /* Slewing: the clock model is correcting the 10 ms (local slow: negative remaining). */
    CHECK(engine_remaining_offset(&r.e, &r.now) < 0.0);
    rig_fini(&r);
}

/* measurements.log: each row is written after the sample it logs was processed (the
 * statistics, the selection and the reference update come first) and shows the poll and
 * poll score the sample led to, as chrony's receive_packet logs at its end. */
static void test_measurement_after_poll_adjustment(void)
{
    struct rig r;
    struct engine_source_params p;
    int polls_seen = 0, last_poll = -100;

    rig_init(&r, 0);
    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    p.client.minpoll = 0;
    p.client.maxpoll = 4;
    sourcestats_params_default(&p.stats);
    p.ref_id = 0xC0000201;
    CHECK_INT_EQ(engine_add_source(&r.e, &p, &r.now), 0);
    for (int i = 0; i < 40; i++) {
        run_until(&r, 10.0, 0.0);
        if (ntp_client_get_poll(&engine_source(&r.e, 0)->client) != last_poll) {
            last_poll = ntp_client_get_poll(&engine_source(&r.e, 0)->client);
            polls_seen++;
        }
    }
    CHECK(polls_seen >= 3); /* the poll did move */
    CHECK(r.meas_rows >= 20);
    CHECK_INT_EQ(r.meas_stale_poll, 0);
    CHECK_INT_EQ(r.meas_before_tracking, 0);
    rig_fini(&r);
}

/* makestep: the update steps; the outcome's clock command carries the step and the shift
 * of the daemon's raw deadlines, and the sources' deadlines moved with it. */
static void test_step_and_refusal(void)
{
    struct rig r;
    struct timespec when_before, when_after;
    uint64_t steps;
    int i;

    rig_init(&r, 1);
    add_server(&r, 0xC0000201);
    run_until(&r, 30.0, 1.0);
    CHECK(r.e.n_steps >= 1);
    /* A step the driver refuses goes back: the raw deadlines (and so the daemon's, which
     * it does not shift) are where they were, and the step is not counted. */
    engine_out_clear(&r.out);
    CHECK(engine_accumulate_offset(&r.e, &r.now, 0.5, &r.out));
    CHECK(engine_next_timer(&r.e, &when_before));
    steps = r.e.n_steps;
    engine_out_clear(&r.out);
    CHECK(engine_make_step(&r.e, &r.now, &r.out));
    i = find(&r.out, ENGINE_ACT_CLOCK);
    CHECK(i >= 0);
    CHECK(r.out.a[i].u.clock.cmd.step);
    CHECK_NEAR(r.out.a[i].u.clock.shift, r.out.a[i].u.clock.step_change.doffset, 1e-12);
    CHECK_NEAR(r.out.a[i].u.clock.shift, 0.5, 1e-6);
    engine_step_refused(&r.e, &r.out, i, &r.now);
    CHECK_INT_EQ((long)r.e.n_steps, (long)steps);
    CHECK(engine_next_timer(&r.e, &when_after));
    CHECK_NEAR(ts_diff(&when_after, &when_before), 0.0, 1e-9);
    rig_fini(&r);
}

/* chrony's count of clock updates (nocerttimecheck): every change of the clock after the
 * start (frequency, offset, steps the driver made), not a jump the daemon detected nor a
 * refused step. */
static void test_clock_change_count(void)
{
    struct rig r;
    struct timespec t;
    int i;

    rig_init(&r, 0);
    CHECK_INT_EQ((long)r.e.n_clock_changes, 0);
    engine_out_clear(&r.out);
    engine_accumulate_freq(&r.e, &r.now, 0.001, &r.out);
    CHECK_INT_EQ((long)r.e.n_clock_changes, 1);
    engine_out_clear(&r.out);
    CHECK(engine_accumulate_offset(&r.e, &r.now, 0.5, &r.out));
    CHECK_INT_EQ((long)r.e.n_clock_changes, 2);
    engine_out_clear(&r.out);
    /* chrony's LCL_MakeStep: the slew is cancelled (one change), then the step */
    CHECK(engine_make_step(&r.e, &r.now, &r.out));
    CHECK_INT_EQ((long)r.e.n_clock_changes, 4);
    i = find(&r.out, ENGINE_ACT_CLOCK);
    while (i >= 0 && i < r.out.n &&
           !(r.out.a[i].type == ENGINE_ACT_CLOCK && r.out.a[i].u.clock.cmd.step))
        i++;
    CHECK(i >= 0 && i < r.out.n);
    engine_step_refused(&r.e, &r.out, i, &r.now);
    CHECK_INT_EQ((long)r.e.n_clock_changes, 3);
    engine_expect_wake(&r.e, &r.now);
    engine_out_clear(&r.out);
    CHECK_INT_EQ(engine_on_wake(&r.e, &r.now, &r.out), 0);
    ts_add(&t, &r.now, -100.0);
    engine_out_clear(&r.out);
    CHECK_INT_EQ(engine_on_wake(&r.e, &t, &r.out), -1);
    CHECK_INT_EQ((long)r.e.n_clock_changes, 3);
    rig_fini(&r);
}

/* Two sources started together are kept apart by the separation of their poll (chrony:
 * 2^(poll-3) s within 2 ms..0.2 s; poll 0 here: 0.125 s), one transmission a call, and the
 * daemon is told which one comes next (to prepare its NTS request). Issue 10 defect 2. */
static void test_timer_order(void)
{
    struct rig r;
    struct timespec when;
    int i;

    rig_init(&r, 0);
    add_server(&r, 1);
    add_server(&r, 2);
    CHECK(engine_next_timer(&r.e, &when));
    r.now = when;
    CHECK_INT_EQ(engine_due_source(&r.e, &r.now), 0);
    engine_out_clear(&r.out);
    CHECK(engine_on_timer(&r.e, &r.now, &r.out));
    i = find(&r.out, ENGINE_ACT_SEND);
    CHECK(i >= 0 && r.out.a[i].source == 0);
    engine_tx_done(&r.e, 0, 1, &r.now, &r.now, &r.out);
    CHECK_INT_EQ(engine_due_source(&r.e, &r.now), -1);
    engine_out_clear(&r.out);
    CHECK(!engine_on_timer(&r.e, &r.now, &r.out));
    CHECK(engine_next_timer(&r.e, &when));
    CHECK_NEAR(ts_diff(&when, &r.now), 0.125, 1e-9);
    r.now = when;
    CHECK_INT_EQ(engine_due_source(&r.e, &r.now), 1);
    engine_out_clear(&r.out);
    CHECK(engine_on_timer(&r.e, &r.now, &r.out));
    CHECK_INT_EQ(count(&r.out, ENGINE_ACT_SEND), 1);
    CHECK_INT_EQ(r.out.a[find(&r.out, ENGINE_ACT_SEND)].source, 1);
    engine_tx_done(&r.e, 1, 0, &r.now, &r.now, &r.out);
    engine_out_clear(&r.out);
    CHECK(!engine_on_timer(&r.e, &r.now, &r.out));
    CHECK_INT_EQ(engine_due_source(&r.e, &r.now), -1);
    rig_fini(&r);
}

/* A wake-up far from the expected one is a jump: the model and every source start afresh
 * and the raw deadlines move with it. */
static void test_jump_detection(void)
{
    struct rig r;
    struct timespec t;
    int i;

    rig_init(&r, 0);
    add_server(&r, 1);
    run_until(&r, 20.0, 0.0);
    CHECK(engine_source(&r.e, 0)->n_samples > 0);
    engine_expect_wake(&r.e, &r.now);
    engine_out_clear(&r.out);
    CHECK_INT_EQ(engine_on_wake(&r.e, &r.now, &r.out), 0);
    CHECK_INT_EQ(r.out.n, 0);
    ts_add(&t, &r.now, -100.0);
    engine_out_clear(&r.out);
    CHECK_INT_EQ(engine_on_wake(&r.e, &t, &r.out), -1);
    i = find(&r.out, ENGINE_ACT_CLOCK);
    CHECK(i >= 0);
    CHECK(!r.out.a[i].u.clock.cmd.step);
    CHECK_NEAR(r.out.a[i].u.clock.shift, 100.0, 1e-6);
    CHECK_INT_EQ(sourcestats_samples(engine_source(&r.e, 0)->stats), 0);
    CHECK_INT_EQ(engine_selected(&r.e), -1);
    rig_fini(&r);
}

/* With `local`, the served reference time stays the same between refreshes (chrony: every
 * 64 s), so that a daemon polling itself recognises its own reference (issue 10 defect 3). */
static void test_local_reference_time_stable(void)
{
    struct rig r;
    struct ntp_server_ref a, b, c;
    struct timespec t;

    rig_init(&r, 0);
    engine_set_local(&r.e, 1, 10, 0, 1.0, 0.0, 0.0, 0.0);
    engine_get_served(&r.e, &r.now, &a);
    CHECK_INT_EQ(a.stratum, 10);
    ts_add(&t, &r.now, 10.0);
    engine_get_served(&r.e, &t, &b);
    CHECK(ts_cmp(&a.ref_time, &b.ref_time) == 0);
    CHECK(ts_diff(&r.now, &a.ref_time) >= 1.0);
    ts_add(&t, &r.now, 100.0);
    engine_get_served(&r.e, &t, &c);
    CHECK(ts_diff(&c.ref_time, &a.ref_time) > 60.0);
    rig_fini(&r);
}

/* chronyd -q with `maxsamples 1`: the one sample is selectable without a regression and
 * its offset is what the discipline steps (chrony's fast update mode); with the estimate
 * left at zero the clock would not be corrected. The server is 0.2 s ahead: the step moves
 * our clock forward by 0.2 s (step_offset, positive = clock fast, is -0.2). */
static void test_update_once_max_samples_one(void)
{
    struct rig r;
    int i, stepped = 0, quit = 0;
    double step = 0.0;
    struct timespec end, when;

    rig_init_mode(&r, 0, DISC_MODE_UPDATE_ONCE);
    add_server_samples(&r, 0xC0000201, 1);
    ts_add(&end, &r.now, 30.0);
    while (!quit && engine_next_timer(&r.e, &when) && ts_cmp(&when, &end) <= 0) {
        run_until(&r, ts_diff(&when, &r.now), 0.2);
        for (i = 0; i < r.out.n; i++) {
            if (r.out.a[i].type == ENGINE_ACT_CLOCK && r.out.a[i].u.clock.cmd.step) {
                stepped++;
                step = r.out.a[i].u.clock.cmd.step_offset;
            }
            if (r.out.a[i].type == ENGINE_ACT_QUIT) {
                quit = 1;
                CHECK(r.out.a[i].u.quit.mode_done);
                CHECK_INT_EQ(r.out.a[i].u.quit.exit_status, 0);
            }
        }
    }
    CHECK(quit);
    CHECK_INT_EQ(stepped, 1);
    CHECK_NEAR(step, -0.2, 1e-3);
    rig_fini(&r);
}

/* What the special modes' ends left in the outcomes of a run (see run_mode). */
struct mode_seen {
    int ended, exit_status, stepped, slewed, event_before_clock, select_events;
    double step;
    enum clock_event_code code;
};

/* Run timers one at a time for up to `seconds` with a server `offset` ahead (muted source 0
 * if mute) until ENGINE_ACT_INIT_END or ENGINE_ACT_QUIT. */
static void run_mode(struct rig *r, double seconds, double offset, struct mode_seen *m)
{
    struct timespec end, when;
    int ev_at = -1;

    memset(m, 0, sizeof(*m));
    ts_add(&end, &r->now, seconds);
    while (!m->ended && engine_next_timer(&r->e, &when) && ts_cmp(&when, &end) <= 0) {
        run_until(r, ts_diff(&when, &r->now), offset);
        for (int i = 0; i < r->out.n; i++) {
            const struct engine_action *a = &r->out.a[i];
            if (a->type == ENGINE_ACT_EVENT &&
                (a->u.event.code == DISC_EV_INIT_OFFSET || a->u.event.code == DISC_EV_WRONG_ONCE ||
                 a->u.event.code == DISC_EV_INIT_FAILED ||
                 a->u.event.code == DISC_EV_NO_SUITABLE)) {
                m->code = a->u.event.code;
                ev_at = i;
            }
            if (a->type == ENGINE_ACT_SELECT_EVENT)
                m->select_events++;
            if (a->type == ENGINE_ACT_CLOCK && a->u.clock.cmd.step) {
                m->stepped++;
                m->step = a->u.clock.cmd.step_offset;
                m->event_before_clock = ev_at >= 0 && ev_at < i;
            }
            if (a->type == ENGINE_ACT_INIT_END || a->type == ENGINE_ACT_QUIT) {
                m->ended = a->type;
                m->exit_status = a->u.quit.exit_status;
            }
        }
    }
}

/* initstepslew: the first estimate of the iburst source ends the mode: stepped when at
 * least the threshold away (the message first, then the clock), else slewed; no selection
 * messages meanwhile (chrony logs none in a special mode); then ENGINE_ACT_INIT_END, and
 * normal operation once the daemon asks for it. */
static void test_init_step_slew(void)
{
    struct rig r;
    struct mode_seen m;
    struct timespec now;

    rig_init_mode(&r, 0, DISC_MODE_INIT_STEP_SLEW);
    r.e.disc.cfg.init_step_threshold = 1.0;
    add_server(&r, 0xC0000201);
    run_mode(&r, 30.0, 2.0, &m);
    CHECK_INT_EQ(m.ended, ENGINE_ACT_INIT_END);
    CHECK_INT_EQ(m.exit_status, 0);
    CHECK_INT_EQ(m.code, DISC_EV_INIT_OFFSET);
    CHECK_INT_EQ(m.stepped, 1);
    CHECK_NEAR(m.step, -2.0, 1e-3);
    CHECK(m.event_before_clock);
    CHECK_INT_EQ(m.select_events, 0);
    CHECK(engine_special_mode(&r.e));
    /* Nothing more is taken until the daemon switches to normal operation. */
    run_mode(&r, 10.0, 0.0, &m);
    CHECK_INT_EQ(m.ended, 0);
    CHECK_INT_EQ(m.stepped, 0);
    CHECK(!engine_discipline(&r.e)->synced);
    engine_set_normal_mode(&r.e);
    CHECK(!engine_special_mode(&r.e));
    run_until(&r, 20.0, 0.0);
    CHECK(engine_discipline(&r.e)->synced);
    rig_fini(&r);

    rig_init_mode(&r, 0, DISC_MODE_INIT_STEP_SLEW);
    r.e.disc.cfg.init_step_threshold = 1.0;
    add_server(&r, 0xC0000201);
    run_mode(&r, 30.0, 0.5, &m);
    CHECK_INT_EQ(m.ended, ENGINE_ACT_INIT_END);
    CHECK_INT_EQ(m.code, DISC_EV_INIT_OFFSET);
    CHECK_INT_EQ(m.stepped, 0);
    now = r.now;
    CHECK_NEAR(engine_remaining_offset(&r.e, &now), -0.5, 0.01);
    rig_fini(&r);
}

/* No host answers: chrony's special_mode_end gives up once no source can still collect
 * three samples within its first burst of polls; initstepslew fails with its own warning and
 * the daemon goes on, -q fails with "No suitable source for synchronisation" (exit 1). */
static void test_special_mode_unreachable(void)
{
    struct rig r;
    struct mode_seen m;

    rig_init_mode(&r, 0, DISC_MODE_INIT_STEP_SLEW);
    add_server(&r, 0xC0000201);
    r.mute[0] = 1;
    run_mode(&r, 60.0, 2.0, &m);
    CHECK_INT_EQ(m.ended, ENGINE_ACT_INIT_END);
    CHECK_INT_EQ(m.exit_status, 1);
    CHECK_INT_EQ(m.code, DISC_EV_INIT_FAILED);
    CHECK_INT_EQ(m.stepped, 0);
    /* five empty reachability updates after the first request, one per second here */
    CHECK_INT_EQ(ntp_client_get_reach_size(&engine_source(&r.e, 0)->client), 5);
    rig_fini(&r);

    rig_init_mode(&r, 0, DISC_MODE_UPDATE_ONCE);
    add_server(&r, 0xC0000201);
    r.mute[0] = 1;
    run_mode(&r, 60.0, 2.0, &m);
    CHECK_INT_EQ(m.ended, ENGINE_ACT_QUIT);
    CHECK_INT_EQ(m.exit_status, 1);
    CHECK_INT_EQ(m.code, DISC_EV_NO_SUITABLE);
    rig_fini(&r);
}

/* `local stratum 10 orphan`: a reachable orphan of the same stratum whose reference ID is
 * smaller than ours on the path to it is the orphan parent and is selected; with ours the
 * smaller, we stay the root (chrony.conf(5); issue 10 defect 7). */
static void test_orphan_parent(void)
{
    struct rig r;

    rig_init(&r, 0);
    engine_set_local(&r.e, 1, 10, 1, 1.0, 0.0, 0.0, 0.0);
    r.server_stratum = 10;
    r.local_refid = 0xC0000264; /* 192.0.2.100 */
    add_server(&r, 0xC0000201);
    run_until(&r, 30.0, 0.0);
    CHECK_INT_EQ((long)engine_source(&r.e, 0)->local_ref_id, 0xC0000264L);
    CHECK_INT_EQ(engine_selected(&r.e), 0);
    rig_fini(&r);

    rig_init(&r, 0);
    engine_set_local(&r.e, 1, 10, 1, 1.0, 0.0, 0.0, 0.0);
    r.server_stratum = 10;
    r.local_refid = 0xC0000200; /* 192.0.2.0: ours is the smaller */
    add_server(&r, 0xC0000201);
    run_until(&r, 30.0, 0.0);
    CHECK_INT_EQ(engine_selected(&r.e), -1);
    rig_fini(&r);
}

/* Removing a source renumbers the ones after it; selection follows. */
static void test_remove_source(void)
{
    struct rig r;

    rig_init(&r, 0);
    add_server(&r, 1);
    add_server(&r, 2);
    add_server(&r, 3);
    engine_remove_source(&r.e, 1);
    CHECK_INT_EQ(engine_source_count(&r.e), 2);
    CHECK_INT_EQ((long)engine_source(&r.e, 1)->ref_id, 3);
    CHECK(engine_source(&r.e, 2) == NULL);
    rig_fini(&r);
}

/* chronyc makestep THRESHOLD LIMIT at run time: without makestep the 1 s offset is slewed;
 * after engine_set_makestep(1, 0.1) the next update steps it, once. */
static void test_set_makestep(void)
{
    struct rig r;

    rig_init(&r, 0);
    add_server(&r, 0xC0000201);
    run_until(&r, 30.0, 1.0);
    CHECK_INT_EQ((long)r.e.n_steps, 0);
    rig_fini(&r);

    rig_init(&r, 0);
    engine_set_makestep(&r.e, 1, 0.1);
    add_server(&r, 0xC0000201);
    run_until(&r, 30.0, 1.0);
    CHECK_INT_EQ((long)r.e.n_steps, 1);
    rig_fini(&r);
}

/* chronyc reselectdist at run time: a better source (1 ms instead of 101 ms of delay)
 * added after the first was selected replaces it with chrony's default reselect distance
 * (1e-4 s), and not with 1 s, which outweighs the difference of their distances. */
static void test_set_reselect_distance(void)
{
    struct rig r;
    int dist;

    for (dist = 0; dist < 2; dist++) {
        rig_init(&r, 0);
        if (dist) {
            CHECK_INT_EQ(engine_set_reselect_distance(&r.e, 1.0), 1);
            CHECK_INT_EQ(engine_set_reselect_distance(&r.e, 1.0), 0);
        }
        r.delay[0] = 0.1;
        add_server(&r, 1);
        run_until(&r, 20.0, 0.0);
        CHECK_INT_EQ(engine_selected(&r.e), 0);
        add_server(&r, 2);
        run_until(&r, 60.0, 0.0);
        CHECK_INT_EQ(engine_selected(&r.e), dist ? 0 : 1);
        rig_fini(&r);
    }
}

/* maxunreach: a source that stopped answering stays usable while its newest sample is not
 * older than the oldest of the reachable source's; with `maxunreach 0` it is stale ('S')
 * from the first update that leaves its reachability register empty (chrony). */
static void test_max_unreach(void)
{
    struct rig r;
    struct select_source_state st;
    int maxunreach;

    for (maxunreach = 0; maxunreach < 2; maxunreach++) {
        rig_init(&r, 0);
        add_server(&r, 1);
        add_server_with(&r, 2, maxunreach ? 100000 : 0, 0);
        run_until(&r, 30.0, 0.0);
        CHECK(engine_get_select_state(&r.e, 1, &st));
        CHECK(st.status == SELECT_ST_SELECTED || st.status == SELECT_ST_UNSELECTED);
        r.mute[1] = 1;
        run_until(&r, 12.0, 0.0);
        CHECK_INT_EQ((long)ntp_client_get_reach(&engine_source(&r.e, 1)->client), 0);
        CHECK(engine_get_select_state(&r.e, 1, &st));
        if (maxunreach)
            CHECK(st.status != SELECT_ST_STALE);
        else
            CHECK_INT_EQ(st.status, SELECT_ST_STALE);
        rig_fini(&r);
    }
}

/* `copy`: the client of a closely related server (stratum 3, reference ID "GPS") assumes
 * its reference ID and stratum: the source counts as stratum 2 and we serve stratum 3 with
 * the server's reference ID; without copy, stratum 4 and the server's address. */
static void test_copy(void)
{
    struct rig r;
    struct ntp_server_ref ref;
    int copy;

    for (copy = 0; copy < 2; copy++) {
        rig_init(&r, 0);
        r.server_stratum = 3;
        add_server_with(&r, 0xC0000201, 100000, copy);
        run_until(&r, 30.0, 0.0);
        CHECK_INT_EQ(engine_selected(&r.e), 0);
        CHECK_INT_EQ(engine_source(&r.e, 0)->stratum, copy ? 2 : 3);
        engine_get_served(&r.e, &r.now, &ref);
        CHECK_INT_EQ(ref.stratum, copy ? 3 : 4);
        CHECK_INT_EQ((long)ref.ref_id, copy ? 0x47505300L : 0xC0000201L);
        rig_fini(&r);
    }
}

/* A kernel transmit timestamp of the last request replaces the daemon's when 0-1 s after
 * it (chrony's update_tx_timestamp); others are counted, not used. The sample's delay and
 * ntpdata's "TX timestamping" follow. */
static void test_kernel_tx_timestamp(void)
{
    struct rig r;
    struct timespec when, ktx, srv, rxt;
    struct ntp_packet req, rep;
    struct engine_rx rx;
    struct ntp_client_report rpt;
    uint8_t pkt[NTP_HEADER_LEN], other[NTP_HEADER_LEN], buf[NTP_HEADER_LEN];
    const struct engine_source *es;
    int src, sent = -1;

    rig_init(&r, 0);
    src = add_server(&r, 0x0a000001);
    while (sent < 0 && engine_next_timer(&r.e, &when)) {
        if (ts_cmp(&when, &r.now) > 0)
            r.now = when;
        engine_out_clear(&r.out);
        engine_on_timer(&r.e, &r.now, &r.out);
        sent = find(&r.out, ENGINE_ACT_SEND);
    }
    CHECK(sent >= 0);
    memcpy(pkt, r.out.pkt + r.out.a[sent].u.send.off, NTP_HEADER_LEN);
    CHECK(ntp_decode(pkt, sizeof(pkt), &req, NULL) == NTP_OK);
    engine_tx_done(&r.e, src, 1, &r.now, &r.now, &r.out);
    es = engine_source(&r.e, src);
    CHECK_INT_EQ(es->tx_src, NTP_CLIENT_TS_DAEMON);
    /* Another packet (an earlier request): counted, not used. */
    memcpy(other, pkt, sizeof(other));
    other[47] ^= 1;
    ts_add(&ktx, &r.now, 50e-6);
    engine_on_tx_timestamp(&r.e, src, other, sizeof(other), &ktx, NTP_CLIENT_TS_KERNEL);
    CHECK_INT_EQ(es->tx_src, NTP_CLIENT_TS_DAEMON);
    /* Before the daemon's timestamp, or more than a second after it: not used. */
    ts_add(&ktx, &r.now, -1e-6);
    engine_on_tx_timestamp(&r.e, src, pkt, sizeof(pkt), &ktx, NTP_CLIENT_TS_KERNEL);
    ts_add(&ktx, &r.now, 1.5);
    engine_on_tx_timestamp(&r.e, src, pkt, sizeof(pkt), &ktx, NTP_CLIENT_TS_KERNEL);
    CHECK_INT_EQ(es->tx_src, NTP_CLIENT_TS_DAEMON);
    /* The real one, 100 us after the daemon read its clock. */
    ts_add(&ktx, &r.now, 100e-6);
    engine_on_tx_timestamp(&r.e, src, pkt, sizeof(pkt), &ktx, NTP_CLIENT_TS_KERNEL);
    CHECK_INT_EQ(es->tx_src, NTP_CLIENT_TS_KERNEL);
    CHECK_NEAR(ts_diff(&es->tx_cooked, &r.now), 100e-6, 1e-9);
    ntp_client_get_report(&es->client, &rpt);
    CHECK_INT_EQ(rpt.total_kernel_tx, 4);

    /* The server answers at once (no processing time): 1 ms each way from the kernel's. */
    memset(&rep, 0, sizeof(rep));
    rep.version = 4;
    rep.mode = NTP_MODE_SERVER;
    rep.stratum = 1;
    rep.precision = -20;
    rep.ref_id = 0x47505300;
    ts_add(&srv, &ktx, 0.001);
    ntp_ts64_from_timespec(&rep.ref_ts, &srv);
    rep.origin_ts = req.tx_ts;
    ntp_ts64_from_timespec(&rep.rx_ts, &srv);
    ntp_ts64_from_timespec(&rep.tx_ts, &srv);
    CHECK(ntp_encode(&rep, buf, sizeof(buf)) == NTP_HEADER_LEN);
    ts_add(&rxt, &ktx, 0.002);
    memset(&rx, 0, sizeof(rx));
    rx.data = buf;
    rx.len = sizeof(buf);
    rx.rx_raw = rxt;
    rx.rx_src = NTP_CLIENT_TS_KERNEL;
    engine_on_response(&r.e, src, &rx, &r.out);
    ntp_client_get_report(&es->client, &rpt);
    CHECK_INT_EQ(rpt.total_valid_rx, 1);
    CHECK(rpt.tx_tss_char == 'K' && rpt.rx_tss_char == 'K');
    CHECK_NEAR(rpt.peer_delay, 0.002, 1e-6);
    CHECK_NEAR(rpt.offset, 0.0, 1e-6);
    rig_fini(&r);
}

int main(void)
{
    RUN(test_kernel_tx_timestamp);
    RUN(test_sample_path_to_clock);
    RUN(test_step_and_refusal);
    RUN(test_clock_change_count);
    RUN(test_measurement_after_poll_adjustment);
    RUN(test_timer_order);
    RUN(test_jump_detection);
    RUN(test_remove_source);
    RUN(test_orphan_parent);
    RUN(test_local_reference_time_stable);
    RUN(test_update_once_max_samples_one);
    RUN(test_set_makestep);
    RUN(test_set_reselect_distance);
    RUN(test_max_unreach);
    RUN(test_init_step_slew);
    RUN(test_special_mode_unreachable);
    RUN(test_copy);
    return check_summary();
}
