/* The scenario table. The synchronisation scenarios follow chrony's own simulation
 * tests (test/simulation in chrony's source: 001-defaults and the following ones);
 * doc/SIMULATOR.md explains each bound that differs. Scenarios flagged all_only
 * are too long for the sanitizer run and run only with --all or --scenario. */
#include "scenario.h"

#include "daemon/node_internal.h"

#include <math.h>

/* Links: base delay + exponential jitter with the given mean, each way. */
#define EXPL(d, j)                                                                                 \
    {                                                                                              \
        (d), (j), JITTER_EXP, 0.0, 0                                                               \
    }
#define EXPL_LOSS(d, j, l)                                                                         \
    {                                                                                              \
        (d), (j), JITTER_EXP, (l), 0                                                               \
    }
#define LAN EXPL(1e-4, 1e-4)

#define SERVER1 "local stratum 1", "allow"
#define CLIENT_OFF 0.1
#define CLIENT_FREQ 100.0
#define CLIENT_WANDER 1e-9

/* A node: name, address, initial offset (s), frequency error (ppm), wander (fraction
 * per second), measured flag, then its chrony.conf lines. */
#define NODE(name, ip, off, freq, wander, measured, ...)                                           \
    {                                                                                              \
        (name), (ip), {__VA_ARGS__}, (off), (freq), (wander), (measured)                           \
    }

/* The client of chrony's default test: 0.1 s off, 100 ppm fast, wander 1e-9. */
#define DEFAULT_CLIENT(...)                                                                        \
    {                                                                                              \
        "client", "10.0.0.2", {__VA_ARGS__}, CLIENT_OFF, CLIENT_FREQ, CLIENT_WANDER, 1             \
    }
#define DEFAULT_SERVER                                                                             \
    {                                                                                              \
        "server", "10.0.0.1", {SERVER1}, 0.0, 0.0, 0.0, 0                                          \
    }

/* A stratum-1 server whose replies leave 200 us (mean) after their transmit timestamps,
 * with kernel TX timestamps (the xleave scenarios). */
#define XLEAVE_SERVER                                                                              \
    {                                                                                              \
        "server", "10.0.0.1", {SERVER1}, 0.0, 0.0, 0.0, 0, 2e-4, 1                                 \
    }

/* chrony's default limits: sync in [120, 210] s, then max |offset| 1 ms, rms 0.3 ms,
 * max |freq| 5e-4 (500 ppm), rms freq 1e-5 (10 ppm). chrony's rms limit is on the
 * whole frequency (slew included); the scenarios apply it to that figure and to the
 * frequency estimate's error. */
#define DEFAULT_BOUNDS                                                                             \
    {                                                                                              \
        120, 210, 1e-3, 3e-4, 500.0, 10.0, 10.0                                                    \
    }

/* The client's NIC of the hwts scenarios (see struct sim_refdev_model). */
#define HWTS_NIC                                                                                   \
    {                                                                                              \
        .phc = 1, .phc_offset = 3.7, .phc_freq_ppm = 25.0, .phc_noise = 10e-9, .nic = 1,           \
        .nic_ts_noise = 10e-9, .kernel_rx_late = 50e-6                                             \
    }

#define HWTS_NIC_SLOWTX                                                                            \
    {                                                                                              \
        .phc = 1, .phc_offset = 3.7, .phc_freq_ppm = 25.0, .phc_noise = 10e-9, .nic = 1,           \
        .nic_ts_noise = 10e-9, .kernel_rx_late = 50e-6, .nic_tx_report_late = 500e-6               \
    }

/* The hwts scenarios: the client's NTP source (index 0) took hardware RX and TX timestamps
 * when it has `hwtimestamp`, kernel ones otherwise (ntpdata's counters). */
static int check_hwts(struct world *w, const struct scenario *s, struct sc_result *r)
{
    struct sim_node *sn = &w->nodes[1];
    struct node *n = sn->node;
    struct ntp_client_report rep;
    int hw = sn->dev.nic_on;

    (void)s;
    if (engine_source_count(&n->engine) < 1) {
        sc_fail(r, "client has no source");
        return 0;
    }
    ntp_client_get_report(&engine_source(&n->engine, 0)->client, &rep);
    if (hw && (rep.total_hw_rx < 100 || rep.total_hw_tx < 100 || rep.rx_tss_char != 'H'))
        sc_fail(r, "hardware RX %u TX %u (last '%c'), expected most of %u", rep.total_hw_rx,
                rep.total_hw_tx, rep.rx_tss_char, rep.total_rx);
    if (!hw && (rep.total_hw_rx || rep.total_hw_tx || rep.total_kernel_rx < 100))
        sc_fail(r, "hardware RX %u TX %u, kernel RX %u without hwtimestamp", rep.total_hw_rx,
                rep.total_hw_tx, rep.total_kernel_rx);
    return r->ok;
}

static int check_clock_model(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* No sources and no corrections: the clock must have drifted by exactly
     * freq * duration. */
    const struct sim_node *sn = &w->nodes[0];
    const struct sc_node *n = &s->nodes[0];
    double expect = n->offset + n->freq_ppm * 1e-6 * s->duration;
    if (fabs(sn->m.last_off - expect) > 1e-9)
        sc_fail(r, "offset %.12f after %.0f s, expected %.12f", sn->m.last_off, s->duration,
                expect);
    if (sn->clock.n_steps || sn->clock.freq_set_ppm != 0.0)
        sc_fail(r, "node corrected its clock without sources");
    return r->ok;
}

static int check_scale(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* A generous wall-clock bound only (sanitizer builds are slow). */
    if (r->wall_s > 300.0)
        sc_fail(r, "took %.1f s of real time", r->wall_s);
    return r->ok;
}

static int check_scale_nodes(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* The bound: a minute of real time (at -O2; sanitizer builds get the
     * generous 300 s of scale-1000), and the server answered every client. */
    uint64_t served = w->hosts[w->nodes[0].host].sent;
    (void)s;
    if (r->wall_s > 300.0)
        sc_fail(r, "took %.1f s of real time", r->wall_s);
    if (served == 0)
        sc_fail(r, "the server answered nothing");
    return r->ok;
}

static int check_no_falseticker(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* Falsetickers are 0.5 s fast: following one even briefly would take the
     * client well past its initial 0.1 s offset. */
    for (int i = 0; i < w->n_nodes; i++)
        if (w->nodes[i].measured && w->nodes[i].m.max_off_all > 0.15)
            sc_fail(r, "%s moved to %.3f s: a falseticker was followed", w->nodes[i].name,
                    w->nodes[i].m.max_off_all);
    return r->ok;
}

static int check_not_updated(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* minsources not met: the clock runs free. */
    const struct sim_node *sn = &w->nodes[1];
    double expect = s->nodes[1].offset + s->nodes[1].freq_ppm * 1e-6 * s->duration;
    /* ...while it does poll its server (not a vacuous pass of a node that does nothing) */
    if (w->hosts[sn->host].sent == 0)
        sc_fail(r, "the client sent no requests");
    if (sn->clock.n_steps || fabs(sn->clock.freq_set_ppm) > 1e-9)
        sc_fail(r, "clock updated (%ld steps, freq %.6f ppm)", sn->clock.n_steps,
                sn->clock.freq_set_ppm);
    if (fabs(sn->m.last_off - expect) > 1e-3)
        sc_fail(r, "offset %.6f, expected free-running %.6f", sn->m.last_off, expect);
    return r->ok;
}

/* The RTC's gain rate as the node estimates it (ppm). */
static double rtc_gain_ppm(const struct world *w, int i)
{
    return 1e6 * w->nodes[i].node->rtc.track.gain;
}

static int check_rtc_drift(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* The client's clock follows the server: the RTC's 20 ppm against it within 0.2 ppm
     * after six hours, the estimate's offset at its reference time near the truth. */
    const struct rtc_track *t = &w->nodes[1].node->rtc.track;
    double truth = s->nodes[1].rtc.off + 20e-6 * (double)(t->ref_time - w->epoch.tv_sec);

    if (!t->valid)
        sc_fail(r, "no RTC coefficients");
    if (fabs(rtc_gain_ppm(w, 1) - 20.0) > 0.2)
        sc_fail(r, "RTC gain rate %.3f ppm, expected 20 +- 0.2", rtc_gain_ppm(w, 1));
    if (fabs(t->fast - truth) > 0.01)
        sc_fail(r, "RTC fast by %.6f s, expected %.6f", t->fast, truth);
    return r->ok;
}

static int check_rtc_set(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* 100 s fast, set from an RTC 0.2 s fast of true time read at a whole second (+0.5 s
     * on average): within a second of true time. */
    (void)s;
    if (!(fabs(w->nodes[0].m.last_off) < 1.0))
        sc_fail(r, "offset %.6f s after the set from the RTC", w->nodes[0].m.last_off);
    return r->ok;
}

static int check_rtc_autotrim(struct world *w, const struct scenario *s, struct sc_result *r)
{
    /* 3 s fast: trimmed once when synchronised, then near the system's time. */
    const struct sim_node *sn = &w->nodes[1];

    (void)s;
    if (sn->rtc.n_sets != 1)
        sc_fail(r, "RTC set %d times, expected once", sn->rtc.n_sets);
    if (!(fabs(sn->node->rtc.track.fast) < 1.0))
        sc_fail(r, "RTC still fast by %.3f s", sn->node->rtc.track.fast);
    return r->ok;
}

const struct scenario sim_scenarios[] = {
    /* Runs with today's node: serving only. */
    {.name = "clock-model",
     .desc = "a node without sources, 100 ppm fast, drifts by exactly 0.1 s in 1000 s",
     .seed = 1,
     .duration = 1000,
     .link = LAN,
     .nodes = {{"lonely", "10.0.0.1", {"port 0"}, 0.01, 100.0, 0.0, 1}},
     .check = check_clock_model},
    {.name = "serve",
     .desc = "local stratum 1 server 12.3 ms fast and 2 ppm fast answering 10 probes",
     .seed = 2,
     .duration = 3600,
     .link = LAN,
     .nodes = {{"server", "10.0.0.1", {SERVER1}, 0.0123, 2.0, 0.0, 0}},
     .probes = {10, 0, 16.0, "10.1", PROBES_ANSWERED, 0.0, 1, 4e-4, 7.0711e-5}},
    {.name = "serve-stratum",
     .desc = "local stratum 7 served, allow by subnet, normal jitter",
     .seed = 3,
     .duration = 600,
     .link = {1e-3, 2e-4, JITTER_NORMAL, 0.0, 0},
     .nodes =
         {{"server", "10.0.0.1", {"local stratum 7", "allow 10.1.0.0/16"}, -0.5, -30.0, 0.0, 0}},
     .probes = {5, 0, 8.0, "10.1", PROBES_ANSWERED, 0.0, 7, 2.31915e-3, 8.5250e-5}},
    {.name = "serve-extstep",
     .desc = "the server's clock is stepped +0.2 s and -1 s while serving 10 probes",
     .seed = 7,
     .duration = 3600,
     .link = LAN,
     .nodes = {{"server", "10.0.0.1", {SERVER1}, 0.0, 5.0, 1e-8, 0}},
     .jumps = {{0, 1000.25, 0.2}, {0, 2000.5, -1.0}},
     .probes = {10, 0, 16.0, "10.1", PROBES_ANSWERED, 0.0, 1, 4e-4, 7.0711e-5}},
    {.name = "serve-loss",
     .desc = "30% loss each way: about 51% of replies missing",
     .seed = 4,
     .duration = 3600,
     .link = EXPL_LOSS(1e-4, 1e-4, 0.3),
     .nodes = {{"server", "10.0.0.1", {SERVER1}, 0.0, 0.0, 0.0, 0}},
     .probes = {20, 0, 16.0, "10.1", PROBES_ANSWERED, 0.51, 1, 4e-4, 0}},
    {.name = "serve-deny",
     .desc = "probes outside the allowed subnet get no reply",
     .seed = 5,
     .duration = 600,
     .link = LAN,
     .nodes = {{"server", "10.0.0.1", {"local stratum 1", "allow 10.2.0.0/16"}, 0.0, 0.0, 0.0, 0}},
     .probes = {5, 0, 16.0, "10.3", PROBES_DENIED, 0.0}},
    {.name = "scale-1000",
     .desc = "one server, 1000 probes polling every 64 s for one simulated day",
     .seed = 6,
     .duration = 86400,
     .sample_interval = 60,
     .link = LAN,
     .nodes = {{"server", "10.0.0.1", {SERVER1}, 0.0, 0.0, 0.0, 0}},
     .probes = {1000, 0, 64.0, "10.1", PROBES_ANSWERED, 0.0, 1, 4e-4, 7.0711e-5},
     .check = check_scale},

    {.name = "scale-1000-nodes",
     .desc = "one server, 1000 real client nodes (server 10.0.0.1) for one simulated hour",
     .seed = 8,
     .duration = 3600,
     .warmup = 210,
     .link = LAN,
     .nodes = {DEFAULT_SERVER},
     .clients = {1000, "10.2", {"server 10.0.0.1"}, CLIENT_OFF, CLIENT_FREQ, CLIENT_WANDER},
     .bounds = {120, 210, 1e-3, 3e-4, 500.0, 0},
     .check = check_scale_nodes},
    {.name = "scale-1000-nodes-long",
     .desc = "one server, 1000 real client nodes for one simulated day",
     .all_only = 1,
     .seed = 9,
     .duration = 86400,
     .warmup = 210,
     .sample_interval = 60,
     .link = LAN,
     .nodes = {DEFAULT_SERVER},
     .clients = {1000, "10.2", {"server 10.0.0.1"}, CLIENT_OFF, CLIENT_FREQ, CLIENT_WANDER},
     .bounds = {120, 240, 1e-3, 3e-4, 500.0, 0},
     .check = check_scale_nodes},

    /* Synchronisation (chrony test/simulation equivalents). */
    {.name = "defaults",
     .desc = "one stratum-1 server; client 0.1 s off, 100 ppm, wander 1e-9",
     .seed = 101,
     .duration = 10000,
     .warmup = 210,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     /* rms freq: error of the frequency estimate (not the slew), 0.1 ppm; the
      * issue's 10 ppb is below what an ideal estimator reaches (sim --freq-bound):
      * see doc/SIMULATOR.md. The whole frequency error (slew included) has
      * chrony's own limit, 10 ppm. */
     .bounds = {120, 210, 1e-3, 3e-4, 500.0, 0.1, 10.0}},
    {.name = "largefreq-neg",
     .desc = "client -500 ppm, offset preset so it is near 0 at the first update",
     .seed = 102,
     .duration = 10000,
     .warmup = 1000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {"client", "10.0.0.2", {"server 10.0.0.1"}, 500e-6 * 130, -500.0, CLIENT_WANDER, 1}},
     .bounds = {120, 1000, 1e-3, 3e-4, 500.0, 10.0, 10.0}},
    {.name = "largefreq-pos",
     .desc = "client +500 ppm, offset preset so it is near 0 at the first update",
     .seed = 103,
     .duration = 10000,
     .warmup = 1000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {"client", "10.0.0.2", {"server 10.0.0.1"}, -500e-6 * 130, 500.0, CLIENT_WANDER, 1}},
     .bounds = {120, 1000, 1e-3, 3e-4, 500.0, 10.0, 10.0}},
    {.name = "largeoffset-makestep",
     .desc = "client 100 s off with makestep 1 3: stepped, then synchronised",
     .seed = 104,
     .duration = 10000,
     .warmup = 300,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, NODE("client", "10.0.0.2", 100.0, CLIENT_FREQ, CLIENT_WANDER, 1,
                                    "server 10.0.0.1", "makestep 1 3")},
     .bounds = {0, 300, 1e-3, 3e-4, 500.0, 10.0, 10.0},
     /* our own step moves the jump detector's reference with it: no jump is seen */
     .logs = {{1, "System clock was stepped by", 1, 3},
              {1, "Forward time jump detected", 0, 0},
              {1, "Backward time jump detected", 0, 0}}},
    {.name = "extstep-back",
     .desc = "someone steps the client's clock by -100 s at 150 s; slewed back",
     .seed = 105,
     .duration = 10000,
     .warmup = 1600,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .jumps = {{1, 150, -100.0}},
     .bounds = {1300, 1600, 1e-3, 3e-4, 500.0, 10.0, 10.0},
     /* the relative select() wait makes the node see the step */
     .logs = {{1, "Backward time jump detected!", 1, 1}, {1, "Selected source 10.0.0.1", 2, 2}}},
    {.name = "extstep-fwd",
     .desc = "someone steps the client's clock by +100 s at 150 s; slewed back",
     .seed = 106,
     .duration = 10000,
     .warmup = 1600,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .jumps = {{1, 150, 100.0}},
     .bounds = {1300, 1600, 1e-3, 3e-4, 500.0, 10.0, 10.0},
     /* the relative select() wait makes the node see the step */
     .logs = {{1, "Forward time jump detected!", 1, 1}, {1, "Selected source 10.0.0.1", 2, 2}}},
    {.name = "largejitter",
     .desc = "exponential jitter 0.1 s each way, client 1 s off",
     .seed = 107,
     .duration = 10000,
     .warmup = 210,
     .link = EXPL(1e-4, 1e-1),
     .nodes = {DEFAULT_SERVER,
               {"client", "10.0.0.2", {"server 10.0.0.1"}, 1.0, CLIENT_FREQ, CLIENT_WANDER, 1}},
     .bounds = {0, 210, 5e-1, 1e-1, 2e5, 5e3, 5e3}},
    {.name = "largewander",
     .desc = "frequency wander 1e-7 per second",
     .seed = 108,
     .duration = 10000,
     .warmup = 210,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {"client", "10.0.0.2", {"server 10.0.0.1"}, CLIENT_OFF, CLIENT_FREQ, 1e-7, 1}},
     .bounds = {0, 210, 5e-3, 1e-3, 5e3, 100.0, 100.0}},
    {.name = "asymjitter",
     .desc = "1 ms base delay, exponential jitter 5e-4 split 3%/97% between directions",
     .seed = 109,
     .duration = 10000,
     .warmup = 1000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .links = {{1, 0, EXPL(1e-3, 0.03 * 5e-4), EXPL(1e-3, 0.97 * 5e-4)}},
     .bounds = {0, 1000, 1e-3, 5e-4, 500.0, 10.0, 10.0}},
    {.name = "loss30",
     .desc = "30% loss each way",
     .seed = 110,
     .duration = 10000,
     .warmup = 800,
     .link = EXPL_LOSS(1e-4, 1e-4, 0.3),
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .bounds = {120, 800, 1e-3, 3e-4, 500.0, 10.0, 10.0}},
    {.name = "intermittent",
     .desc = "packets pass only for 1200 s of every 10000 s",
     .seed = 111,
     .duration = 100000,
     .warmup = 210,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .links = {{1, 0, LAN, LAN, 0, 0, 10000, 8800}},
     .bounds = {0, 210, 1e-1, 2e-3, 1e4, 20.0, 20.0},
     /* chrony's 014-intermittent: once per connected period */
     .logs = {{1, "Can't synchronise: no selectable sources", 9, 10},
              {1, "Selected source 10.0.0.1", 9, 10}}},
    {.name = "falsetickers",
     .desc = "5 servers, 2 of them 0.5 s off: never selected",
     .seed = 112,
     .duration = 10000,
     .warmup = 210,
     .link = EXPL(1e-3, 1e-4),
     .nodes = {{"s1", "10.0.0.1", {SERVER1}, 0.5, 0.0, 0.0, 0},
               {"s2", "10.0.0.2", {SERVER1}, 0.5, 0.0, 0.0, 0},
               {"s3", "10.0.0.3", {SERVER1}, 0.0, 0.0, 0.0, 0},
               {"s4", "10.0.0.4", {SERVER1}, 0.0, 0.0, 0.0, 0},
               {"s5", "10.0.0.5", {SERVER1}, 0.0, 0.0, 0.0, 0},
               NODE("client", "10.0.0.6", CLIENT_OFF, CLIENT_FREQ, CLIENT_WANDER, 1,
                    "server 10.0.0.1", "server 10.0.0.2", "server 10.0.0.3", "server 10.0.0.4",
                    "server 10.0.0.5")},
     .bounds = DEFAULT_BOUNDS,
     .logs = {{5, "Selected source 10.0.0.1", 0, 0},
              {5, "Selected source 10.0.0.2", 0, 0},
              {5, "Selected source", 1, 1000},
              {5, "no majority", 0, 0}},
     .check = check_no_falseticker},
    {.name = "minsources",
     .desc = "minsources 2 with one server: the clock is never updated",
     .seed = 113,
     .duration = 3000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, NODE("client", "10.0.0.2", CLIENT_OFF, CLIENT_FREQ, 0.0, 1,
                                    "server 10.0.0.1", "minsources 2")},
     .check = check_not_updated},
    {.name = "stratum-chain",
     .desc = "stratum-2 server -> node1 (stratum 3) -> node2 (stratum 4); node1 loses "
             "upstream, local stratum 10 -> node2 at 11",
     .seed = 114,
     .duration = 40000,
     .warmup = 210,
     .link = LAN,
     .nodes =
         {{"top", "10.0.0.1", {"local stratum 2", "allow"}, 0.0, 0.0, 0.0, 0},
          {"node1",
           "10.0.0.2",
           {"server 10.0.0.1", "allow", "local stratum 10 distance 0.01"},
           CLIENT_OFF,
           CLIENT_FREQ,
           CLIENT_WANDER,
           1},
          {"node2", "10.0.0.3", {"server 10.0.0.2"}, -CLIENT_OFF, -CLIENT_FREQ, CLIENT_WANDER, 1}},
     .links = {{1, 0, LAN, LAN, 10000, 1e9, 0, 0}},
     .checkpoints = {{9000, 1, 3}, {9000, 2, 4}, {40000, 1, 10}, {40000, 2, 11}}},

    /* Accuracy benchmarks: 100000 s, judged after a 5000 s warm-up. */
    {.name = "bench-lan",
     .benchmark = 1,
     .desc = "delay 1e-4 + exp jitter 1e-4 each way",
     .seed = 201,
     .duration = 100000,
     .warmup = 5000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .bounds = {0, 5000, 1e-3, 3e-4, 0, 0}},
    {.name = "rtc-drift",
     .desc = "rtcfile: an RTC gaining 20 ppm against a synchronised client, six hours",
     .seed = 31,
     .duration = 6 * 3600,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1", "rtcfile /var/lib/chrony/rtc"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .has_rtc = 1,
                .rtc = {0.3, 20.0, 0}}},
     .check = check_rtc_drift},
    {.name = "rtc-set",
     .desc = "chronyd -s: a clock 100 s fast set from the RTC, no rtc file",
     .seed = 32,
     .duration = 600,
     .link = LAN,
     .nodes = {{.name = "lonely",
                .ip = "10.0.0.1",
                .conf = {"rtcfile /var/lib/chrony/rtc"},
                .offset = 100.0,
                .measured = 1,
                .has_rtc = 1,
                .rtc = {0.2, 20.0, 1}}},
     .logs = {{0, "System time set from RTC", 1, 1}, {0, "No valid rtcfile coefficients", 1, 1}},
     .check = check_rtc_set},
    {.name = "rtc-autotrim",
     .desc = "rtcautotrim 1: an RTC 3 s fast is trimmed once the client is synchronised",
     .seed = 33,
     .duration = 3600,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1", "rtcfile /var/lib/chrony/rtc", "rtcautotrim 1"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .has_rtc = 1,
                .rtc = {3.0, 5.0, 0}}},
     .logs = {{1, "RTC wrong by ", 1, 1}},
     .check = check_rtc_autotrim},
    {.name = "bench-wan",
     .benchmark = 1,
     .desc = "delay 1e-2 + exp jitter 1e-3 each way",
     .seed = 202,
     .duration = 100000,
     .warmup = 5000,
     .link = EXPL(1e-2, 1e-3),
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .bounds = {0, 5000, 2e-3, 6e-4, 0, 0}},
    {.name = "bench-asym",
     .benchmark = 1,
     .desc = "delay 1e-3 + exp jitter 5e-4 split 3%/97% between directions",
     .seed = 203,
     .duration = 100000,
     .warmup = 5000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .links = {{1, 0, EXPL(1e-3, 0.03 * 5e-4), EXPL(1e-3, 0.97 * 5e-4)}},
     .bounds = {0, 5000, 0, 0, 0, 0}},
    {.name = "bench-wander",
     .benchmark = 1,
     .desc = "lan with frequency wander 1e-7 per second",
     .seed = 204,
     .duration = 100000,
     .warmup = 5000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {"client", "10.0.0.2", {"server 10.0.0.1"}, CLIENT_OFF, CLIENT_FREQ, 1e-7, 1}},
     .bounds = {0, 5000, 0, 0, 0, 0}},
    {.name = "bench-loss",
     .benchmark = 1,
     .desc = "lan with 20% loss each way",
     .seed = 205,
     .duration = 100000,
     .warmup = 5000,
     .link = EXPL_LOSS(1e-4, 1e-4, 0.2),
     .nodes = {DEFAULT_SERVER, DEFAULT_CLIENT("server 10.0.0.1")},
     .bounds = {0, 5000, 0, 0, 0, 0}},

    /* Interleaved mode (xleave): the server's replies leave 200 us (mean, exponential)
     * after their transmit timestamp, and both hosts get kernel TX timestamps. In basic
     * mode the early timestamps bias the client by about half of that; interleaved, the
     * server's accurate transmit times come in the next replies. Same seed both ways. */
    {.name = "xleave-basic",
     .desc = "server replies 200 us late (exp) after their timestamps; client in basic mode",
     .seed = 301,
     .duration = 10000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {XLEAVE_SERVER,
               {"client",
                "10.0.0.2",
                {"server 10.0.0.1 minpoll 2 maxpoll 4"},
                CLIENT_OFF,
                CLIENT_FREQ,
                CLIENT_WANDER,
                1,
                0.0,
                1}},
     .bounds = {0, 1000, 1e-3, 3e-4, 0, 0}},
    {.name = "xleave",
     .desc = "the same with xleave: the accurate transmit times of the previous replies",
     .seed = 301,
     .duration = 10000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {XLEAVE_SERVER,
               {"client",
                "10.0.0.2",
                {"server 10.0.0.1 minpoll 2 maxpoll 4 xleave"},
                CLIENT_OFF,
                CLIENT_FREQ,
                CLIENT_WANDER,
                1,
                0.0,
                1}},
     .bounds = {0, 1000, 3e-5, 4.5e-6, 0, 0}},
    /* Kernel refclocks (env.refdev in simenv.c). A PHC kept on true time by PTP (50 ns
     * noise per reading, cross timestamps) as the only source. */
    {.name = "phc",
     .desc = "refclock PHC /dev/ptp0: a PHC on true time, 50 ns reading noise, crossts",
     .seed = 401,
     .duration = 3000,
     .warmup = 1000,
     .nodes = {{.name = "client",
                .ip = "10.0.0.2",
                .conf = {"refclock PHC /dev/ptp0"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .dev = {.phc = 1, .phc_noise = 50e-9}}},
     .logs = {{0, "Selected source PHC0", 1, 1}},
     .bounds = {0, 1000, 1e-6, 3e-7, 0, 0}},
    /* A PPS source (edges 200 ns jitter) whose seconds come from an NTP server. */
    {.name = "pps",
     .desc = "refclock PPS /dev/pps0 (200 ns jitter), the seconds from an NTP server",
     .seed = 402,
     .duration = 3000,
     .warmup = 1000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 4 maxpoll 6", "refclock PPS /dev/pps0"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .dev = {.pps = 1, .pps_jitter = 200e-9}}},
     .logs = {{1, "Selected source PPS0", 1, 1}},
     .bounds = {0, 1000, 1e-6, 3e-7, 0, 0}},
    /* The same edges timestamped by a free-running PHC (30 ppm fast, 12.3 s off, readings
     * with 2 ns noise, edges timestamped with 20 ns jitter): extpps turns them into system
     * time through the PHC's tracking against the system clock. */
    {
        .name = "phc-extpps",
        .desc = "refclock PHC /dev/ptp0:extpps, a free-running PHC, seconds from NTP",
        .seed = 403,
        .duration = 3000,
        .warmup = 1000,
        .link = LAN,
        .nodes = {DEFAULT_SERVER,
                  {.name = "client",
                   .ip = "10.0.0.2",
                   .conf = {"server 10.0.0.1 minpoll 4 maxpoll 6",
                            "refclock PHC /dev/ptp0:extpps poll 2"},
                   .offset = CLIENT_OFF,
                   .freq_ppm = CLIENT_FREQ,
                   .wander = CLIENT_WANDER,
                   .measured = 1,
                   .dev = {.phc = 1,
                           .phc_offset = 12.3,
                           .phc_freq_ppm = 30.0,
                           .phc_noise = 2e-9,
                           .extts_jitter = 20e-9}}},
        .logs = {{1, "Selected source PHC0", 1, 1}},
        .bounds = {0, 1000, 1e-6, 3e-7, 0, 0}},
    /* NIC hardware timestamps (`hwtimestamp`, env.hwts in simenv.c). The client's kernel
     * timestamps its packets 50 us (mean, exponential) after they arrived; its NIC stamps
     * the frames with a free-running PHC (25 ppm fast, 3.7 s off, 10 ns noise), tracked
     * from readings every 1-2 s; its datagrams leave 20 us (mean, exponential) after the
     * send call (the kernel's transmit timestamps see it). Kernel timestamps first, then
     * hardware ones, same seed. */
    {.name = "hwts-kernel",
     .desc = "client's kernel RX timestamps 50 us late (exp); kernel timestamps",
     .seed = 501,
     .duration = 5000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 2 maxpoll 4"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC}},
     .bounds = {0, 1000, 1e-3, 3e-4, 0, 0},
     .check = check_hwts},
    {.name = "hwts",
     .desc = "the same with hwtimestamp eth0: the NIC's timestamps through its PHC",
     .seed = 501,
     .duration = 5000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 2 maxpoll 4", "hwtimestamp eth0"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC}},
     .logs = {{1, "Enabled HW timestamping on eth0", 1, 1}},
     .bounds = {0, 1000, 3e-5, 5e-6, 0, 0},
     .check = check_hwts},
    /* `extfield F324` (chrony 4.8): NTP over PTP (`ptpport 319`) through one-step PTP
     * transparent clocks that put each datagram's queueing time (100 us mean, exponential,
     * both ways, over 100 us of fixed delay) into the correctionField; server and client
     * take hardware timestamps (their NICs as in the hwts scenarios). Without the field
     * the queueing noise stays in the measurements; with it the server returns its
     * correction of the request and the client takes both out of offset and delay. Same
     * seed both ways. */
    {.name = "f324-off",
     .desc = "NTP over PTP via transparent clocks, hardware timestamps, no extfield F324",
     .seed = 503,
     .duration = 5000,
     .warmup = 1000,
     .link = {1e-4, 1e-4, JITTER_EXP, 0.0, 1},
     .nodes = {{.name = "server",
                .ip = "10.0.0.1",
                .conf = {SERVER1, "hwtimestamp eth0", "ptpport 319"},
                .dev = HWTS_NIC},
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 port 319 minpoll 2 maxpoll 4", "hwtimestamp eth0",
                         "ptpport 319"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC}},
     .bounds = {0, 1000, 1e-3, 1e-4, 0, 0},
     .check = check_hwts},
    {.name = "f324",
     .desc = "the same with extfield F324: the transparent clocks' corrections applied",
     .seed = 503,
     .duration = 5000,
     .warmup = 1000,
     .link = {1e-4, 1e-4, JITTER_EXP, 0.0, 1},
     .nodes = {{.name = "server",
                .ip = "10.0.0.1",
                .conf = {SERVER1, "hwtimestamp eth0", "ptpport 319"},
                .dev = HWTS_NIC},
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 port 319 minpoll 2 maxpoll 4 extfield F324",
                         "hwtimestamp eth0", "ptpport 319"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC}},
     .bounds = {0, 1000, 1e-6, 2e-7, 0, 0},
     .check = check_hwts},
    /* hwtstimeout: the NIC reports its transmit timestamps 500 us after the frame left,
     * later than the server's reply comes back. With the default 1 ms the reply waits for
     * the hardware timestamp of its request; with `hwtstimeout 0` it is processed at once
     * with the daemon's transmit timestamp (20 us early, mean). Same seed both ways. */
    {.name = "hwts-slowtx",
     .desc = "NIC TX timestamps reported 500 us late; hwtstimeout 0.001 (default) waits",
     .seed = 502,
     .duration = 5000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 2 maxpoll 4", "hwtimestamp eth0"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC_SLOWTX}},
     .logs = {{1, "Saved valid response for later processing", 100, 100000}},
     .bounds = {0, 1000, 3e-5, 5e-6, 0, 0},
     .check = check_hwts},
    {.name = "hwts-slowtx-nowait",
     .desc = "the same with hwtstimeout 0: replies taken with the daemon's TX timestamps",
     .seed = 502,
     .duration = 5000,
     .warmup = 1000,
     .link = EXPL(1e-4, 1e-5),
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 2 maxpoll 4", "hwtimestamp eth0",
                         "hwtstimeout 0"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = CLIENT_WANDER,
                .measured = 1,
                .tx_late = 20e-6,
                .tx_ts = 1,
                .dev = HWTS_NIC_SLOWTX}},
     .logs = {{1, "Saved valid response for later processing", 0, 0}},
     .bounds = {0, 1000, 1e-4, 3e-5, 0, 0},
     .check = check_hwts},
    /* `refclock ... local` (chrony's 106-refclock local case): a free-running PHC (5 ppm
     * fast, 0.4 s off, 1 us reading noise) that is stable, a system clock that wanders
     * 100x more than the others (1e-7 per s) and an NTP server over the LAN (100 us
     * jitter). The PHC holds the system clock's frequency between the server's noisy
     * updates; phc-local-off is the same world without it (its figures are the baseline
     * that phc-local must beat). */
    {.name = "phc-local",
     .desc = "refclock PHC /dev/ptp0 local: a stable free-running PHC steadies the clock",
     .seed = 404,
     .duration = 6000,
     .warmup = 2000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 4 maxpoll 4",
                         "refclock PHC /dev/ptp0 local poll 2"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = 1e-7,
                .measured = 1,
                .dev = {.phc = 1, .phc_offset = 0.4, .phc_freq_ppm = 5.0, .phc_noise = 1e-6}}},
     .logs = {{1, "Selected source 10.0.0.1", 1, 1},
              {1, "Selected source PHC0", 0, 0},
              {1, "lost lock", 0, 0}},
     .bounds = {0, 2000, 1.5e-4, 3e-5, 12.0, 0.5, 0}},
    {.name = "phc-local-off",
     .desc = "phc-local without the local PHC: the same server and clock",
     .seed = 404,
     .duration = 6000,
     .warmup = 2000,
     .link = LAN,
     .nodes = {DEFAULT_SERVER,
               {.name = "client",
                .ip = "10.0.0.2",
                .conf = {"server 10.0.0.1 minpoll 4 maxpoll 4"},
                .offset = CLIENT_OFF,
                .freq_ppm = CLIENT_FREQ,
                .wander = 1e-7,
                .measured = 1,
                .dev = {.phc = 1, .phc_offset = 0.4, .phc_freq_ppm = 5.0, .phc_noise = 1e-6}}},
     .logs = {{1, "Selected source 10.0.0.1", 1, 1}},
     .bounds = {0, 1000, 4e-4, 8e-5, 0, 0}},
};

const size_t sim_n_scenarios = sizeof(sim_scenarios) / sizeof(sim_scenarios[0]);
