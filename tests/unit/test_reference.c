/* The node's reference glue through the shared fake environment: drift file,
 * clock commands performed through env->clock (and refused ones), steps
 * moving the scheduler, clock jump detection, and the served reference. */
#include "check.h"
#include "fake_env.h"

#include "core/engine_int.h"
#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <string.h>

static struct node *make_node(struct fake_env *f, struct config **cfg, const char **lines)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8};
    struct node *n;

    *cfg = config_new();
    for (int i = 0; lines[i]; i++)
        CHECK(config_parse_line(*cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err)) == 0);
    n = node_new(*cfg, &f->env, &o);
    CHECK(node_start(n, &f->now, err, sizeof(err)) == 0);
    return n;
}

/* A clock command of the engine, performed by the node as the engine's own are. */
static void reference_apply(struct node *n, const struct timespec *now, struct clock_cmd *cmd)
{
    struct engine_out out;

    engine_out_init(&out);
    engine_apply(&n->engine, now, cmd, &out);
    sources_perform(&n->srcs, &out, now);
    engine_out_fini(&out);
}

/* A reference update as selection makes it. */
static void reference_update(struct node *n, const struct timespec *now,
                             const struct select_reference *sr)
{
    struct engine_out out;

    engine_out_init(&out);
    engine_update(&n->engine, now, sr, -2, &out);
    sources_perform(&n->srcs, &out, now);
    engine_out_fini(&out);
}

static void test_drift_file_read_and_saved(void)
{
    const char *lines[] = {"driftfile /var/lib/chrony/drift", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    const char *text;

    fake_env_init(&f);
    fake_env_put_file(&f, "/var/lib/chrony/drift", "12.5 0.1\n");
    n = make_node(&f, &cfg, lines);
    CHECK(fake_env_log_contains(&f,
                                "Frequency 12.500 +/- 0.100 ppm read from /var/lib/chrony/drift"));
    /* The absolute frequency (clock fast) is compensated by slowing it. */
    CHECK_NEAR(f.freq_ppm, -12.5, 1e-9);
    node_stop(n, &f.now);
    text = fake_env_get_file(&f, "/var/lib/chrony/drift");
    CHECK(text != NULL);
    CHECK_STR_EQ(text, "           12.500000             0.100000\n");
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_bad_drift_file(void)
{
    const char *lines[] = {"driftfile /drift", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    fake_env_put_file(&f, "/drift", "garbage\n");
    n = make_node(&f, &cfg, lines);
    CHECK(
        fake_env_log_contains(&f, "Could not read valid frequency and skew from driftfile /drift"));
    CHECK_NEAR(f.freq_ppm, 0.0, 1e-12);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static int fired;
static void on_fire(void *arg, const struct timespec *now)
{
    (void)arg;
    (void)now;
    fired++;
}

/* A step moves the clock through the driver and every raw deadline with it. */
static void test_step_shifts_deadlines(void)
{
    const char *lines[] = {NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct clock_cmd cmd;
    struct timespec when, start;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    start = f.now;
    ts_add(&when, &f.now, 100.0);
    sched_add(&n->sched, &when, on_fire, NULL);
    clock_cmd_init(&cmd);
    CHECK(clock_step(&n->engine.clock, &f.now, 10.0, &cmd));
    reference_apply(n, &f.now, &cmd);
    CHECK_NEAR(f.stepped, 10.0, 1e-9);
    CHECK_NEAR(ts_diff(&f.now, &start), -10.0, 1e-9);
    /* The timer stays 100 s away in elapsed time (raw start + 90 now). */
    fired = 0;
    fake_env_advance(&f, 99.5);
    node_on_timer(n, &f.now);
    CHECK_INT_EQ(fired, 0);
    fake_env_advance(&f, 0.5);
    node_on_timer(n, &f.now);
    CHECK_INT_EQ(fired, 1);
    CHECK_INT_EQ((long)n->engine.n_steps, 1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static int refuse_step(void *ctx, double offset)
{
    (void)ctx;
    (void)offset;
    return -1;
}

static void test_refused_step_undone(void)
{
    const char *lines[] = {NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct clock_cmd cmd;
    struct timespec before, after;

    fake_env_init(&f);
    f.env.clock.step = refuse_step;
    n = make_node(&f, &cfg, lines);
    reference_cooked_time(&n->ref, &f.now, &before, NULL);
    for (int i = 0; i < 2; i++) {
        clock_cmd_init(&cmd);
        CHECK(clock_step(&n->engine.clock, &f.now, 1.0, &cmd));
        reference_apply(n, &f.now, &cmd);
    }
    reference_cooked_time(&n->ref, &f.now, &after, NULL);
    CHECK_NEAR(ts_diff(&after, &before), 0.0, 1e-9);
    CHECK(fake_env_log_contains(&f, "Could not step system clock"));
    CHECK_INT_EQ((long)n->engine.n_steps, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_jump_detection(void)
{
    const char *lines[] = {NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct timespec when;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    node_on_timer(n, &f.now);
    CHECK(node_next_timeout(n, &when));
    /* The loop woke 100 s after its deadline: the clock jumped forward. */
    f.now = when;
    fake_env_advance(&f, 100.0);
    node_on_timer(n, &f.now);
    CHECK(fake_env_log_contains(&f, "Forward time jump detected!"));
    CHECK(!fake_env_log_contains(&f, "Backward time jump detected!"));
    fake_env_advance(&f, -50.0);
    node_on_timer(n, &f.now);
    CHECK(fake_env_log_contains(&f, "Backward time jump detected!"));
    /* Small irregularities are not jumps. */
    f.n_log = 0;
    fake_env_advance(&f, -5.0);
    node_on_timer(n, &f.now);
    CHECK_INT_EQ(f.n_log, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* mailonchange: an update correcting the clock by more than the threshold hands chrony's
 * mail to `/usr/lib/sendmail -t`; a smaller one sends nothing; a program that cannot be
 * started is logged with chrony's message. */
static struct select_reference mail_update(const struct timespec *now, double offset)
{
    struct select_reference sr;
    memset(&sr, 0, sizeof(sr));
    sr.stratum = 3;
    sr.combined = 1;
    sr.ref_id = 0x0A000001;
    sr.ref_time = *now;
    sr.offset = offset;
    sr.offset_sd = 1e-5;
    sr.skew = 1e-7;
    return sr;
}

/* `driftfile FILE interval 60`: the file is rewritten after 60 s of updates, not only
 * after the default hour. */
static void test_drift_file_interval(void)
{
    for (int with = 0; with < 2; with++) {
        const char *lines[] = {with ? "driftfile /var/lib/chrony/drift interval 60"
                                    : "driftfile /var/lib/chrony/drift",
                               NULL};
        struct fake_env f;
        struct config *cfg;
        struct node *n;
        struct select_reference sr;

        fake_env_init(&f);
        n = make_node(&f, &cfg, lines);
        for (int i = 0; i < 6; i++) {
            sr = mail_update(&f.now, 1e-6);
            reference_update(n, &f.now, &sr);
            fake_env_advance(&f, 16.0);
        }
        CHECK_INT_EQ(fake_env_get_file(&f, "/var/lib/chrony/drift") != NULL, with);
        node_free(n);
        config_free(cfg);
        fake_env_fini(&f);
    }
}

static void test_mail_on_change(void)
{
    const char *lines[] = {"mailonchange root@localhost 0.5", NULL};
    const char *want = "To: root@localhost\n"
                       "Subject: chronyd reports change to system clock on node [testhost]\n"
                       "\n"
                       "On Tuesday, 14 November 2023\n"
                       "  with the system clock reading 22:13:36 (GMT)\n"
                       "\n"
                       "chronyd started to apply an adjustment of -2.000 seconds to it,\n"
                       "  which exceeded the reporting threshold of 0.500 seconds\n"
                       "\n";
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct select_reference sr;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    sr = mail_update(&f.now, 0.3); /* below the threshold */
    reference_update(n, &f.now, &sr);
    CHECK_INT_EQ(f.n_runs, 0);
    fake_env_advance(&f, 16.0);
    sr = mail_update(&f.now, 2.0); /* clock 2 s fast: goes back by 2 s */
    reference_update(n, &f.now, &sr);
    CHECK_INT_EQ(f.n_runs, 1);
    CHECK_STR_EQ(f.proc_path, "/usr/lib/sendmail");
    CHECK_STR_EQ(f.proc_args, "-t");
    CHECK_STR_EQ(f.proc_input, want);
    f.proc_fail = 1;
    fake_env_advance(&f, 16.0);
    sr = mail_update(&f.now, -1.0);
    reference_update(n, &f.now, &sr);
    CHECK(fake_env_log_contains(&f, "Could not send mail notification to user root@localhost"));
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_served_reference(void)
{
    const char *lines[] = {NULL};
    const char *lines_local[] = {"local stratum 7", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct ntp_server_ref ref;
    struct select_reference sr;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    node_get_served_ref(n, &f.now, &ref);
    CHECK_INT_EQ(ref.leap, 3);
    CHECK_INT_EQ(ref.stratum, 16);
    CHECK_INT_EQ((long)ref.ref_id, 0);
    /* a 1e-8 s clock is served as 2^-27 (nearest), not 2^-26 (rounded up) */
    CHECK_INT_EQ(ref.precision_log2, -27);

    memset(&sr, 0, sizeof(sr));
    sr.stratum = 3;
    sr.leap = 0;
    sr.combined = 1;
    sr.ref_id = 0x0A000001;
    sr.ref_time = f.now;
    sr.offset = 0.001;
    sr.offset_sd = 1e-5;
    sr.skew = 1e-7;
    sr.root_delay = 0.02;
    sr.root_dispersion = 0.003;
    reference_update(n, &f.now, &sr);
    node_get_served_ref(n, &f.now, &ref);
    CHECK_INT_EQ(ref.leap, 0);
    CHECK_INT_EQ(ref.stratum, 4);
    CHECK_INT_EQ((long)ref.ref_id, 0x0A000001L);
    CHECK_NEAR(ref.root_delay, 0.02, 1e-9);
    CHECK(ref.root_dispersion >= 0.003 && ref.root_dispersion < 0.004);
    CHECK(ref.root_dispersion_rate > 1e-6 && ref.root_dispersion_rate < 2e-6);
    CHECK_INT_EQ((long)n->engine.n_updates, 1);
    node_free(n);
    config_free(cfg);

    n = make_node(&f, &cfg, lines_local);
    node_get_served_ref(n, &f.now, &ref);
    CHECK_INT_EQ(ref.leap, 0);
    CHECK_INT_EQ(ref.stratum, 7);
    CHECK_INT_EQ((long)ref.ref_id, (long)NTP_REFID_LOCAL);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* F323's monotonic timescale as chrony's server keeps it: our slews move the real time
 * against it (the served field carries the receive time plus the corrections made since),
 * a step starts a new epoch. */
static void test_served_mono(void)
{
    const char *lines[] = {"local stratum 5", "allow 127.0.0.1", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct clock_cmd cmd;
    struct ntp_server_ref ref;
    uint32_t epoch;
    uint8_t req[76];
    struct net_rx rx;
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct ntp_ef_mono_root ef;

    fake_env_init(&f);
    f.control = 1;
    n = make_node(&f, &cfg, lines);
    node_get_served_ref(n, &f.now, &ref);
    CHECK(ref.mono_valid);
    CHECK(ref.mono_offset == 0.0);
    epoch = ref.mono_epoch;
    /* a slew of 0.25 s (the clock was fast): the real time goes back against it */
    clock_cmd_init(&cmd);
    CHECK(clock_accumulate_offset(&n->engine.clock, &f.now, 0.25, 0.0, &cmd));
    reference_apply(n, &f.now, &cmd);
    node_get_served_ref(n, &f.now, &ref);
    CHECK_NEAR(ref.mono_offset, 0.25, 1e-12);
    CHECK_INT_EQ((long)ref.mono_epoch, (long)epoch);
    /* a client's F323 request gets the monotonic receive time in the reply */
    memset(req, 0, sizeof(req));
    req[0] = (4 << 3) | 3;
    req[47] = 1;
    CHECK_INT_EQ(ntp_ef_mono_root_append(req, 48, sizeof(req), &(struct ntp_ef_mono_root){0}), 76);
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->serve.socks[0];
    rx.data = req;
    rx.len = sizeof(req);
    ip_addr_parse(&rx.remote.ip, "127.0.0.1");
    rx.remote.port = 50000;
    rx.rx_ts = f.now;
    f.n_sent = 0;
    node_on_datagram(n, &rx, &f.now);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(ntp_decode(f.sent[0].data, f.sent[0].len, &p, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_mono_root_find(f.sent[0].data, &info, &ef), NTP_OK);
    CHECK_NEAR(ntp_ts64_diff(&ef.mono_rx, &p.rx_ts), 0.25, 1e-6);
    CHECK_INT_EQ((long)ef.mono_epoch, (long)epoch);
    /* a step: another epoch, from zero */
    clock_cmd_init(&cmd);
    CHECK(clock_step(&n->engine.clock, &f.now, 10.0, &cmd));
    reference_apply(n, &f.now, &cmd);
    node_get_served_ref(n, &f.now, &ref);
    CHECK(ref.mono_epoch != epoch);
    CHECK(ref.mono_offset == 0.0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* The precision exponent as chrony's: log2 of the resolution rounded to nearest. */
static void test_precision_rounding(void)
{
    CHECK_INT_EQ(reference_precision_log2(1e-8), -27);   /* log2 = -26.58 */
    CHECK_INT_EQ(reference_precision_log2(1.5e-8), -26); /* -25.99 */
    CHECK_INT_EQ(reference_precision_log2(1e-9), -30);   /* -29.90 */
    CHECK_INT_EQ(reference_precision_log2(3e-7), -22);   /* -21.67 */
    CHECK_INT_EQ(reference_precision_log2(0.0009765625), -10);
    CHECK_INT_EQ(reference_precision_log2(1.0), 0);
}

/* Served timestamps are cooked: with an offset being slewed, the receive
 * timestamp of a reply is the corrected time, not the raw one. */
static void test_served_timestamps_cooked(void)
{
    const char *lines[] = {"local stratum 5", "allow", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct clock_cmd cmd;
    struct ntp_packet req, rep;
    uint8_t buf[NTP_HEADER_LEN];
    struct net_rx rx;
    struct timespec rxts;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    clock_cmd_init(&cmd);
    CHECK(clock_accumulate_offset(&n->engine.clock, &f.now, 0.5, 0.0, &cmd));
    reference_apply(n, &f.now, &cmd);
    memset(&req, 0, sizeof(req));
    req.version = 4;
    req.mode = NTP_MODE_CLIENT;
    req.tx_ts.sec = 1;
    CHECK(ntp_encode(&req, buf, sizeof(buf)) == NTP_HEADER_LEN);
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->serve.socks[0];
    rx.data = buf;
    rx.len = sizeof(buf);
    ip_addr_parse(&rx.remote.ip, "192.0.2.7");
    rx.remote.port = 40000;
    rx.rx_ts = f.now;
    f.n_sent = 0;
    node_on_datagram(n, &rx, &f.now);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK(ntp_decode(f.sent[0].data, f.sent[0].len, &rep, NULL) == NTP_OK);
    ntp_ts64_to_timespec(&rxts, &rep.rx_ts);
    /* 0.5 s fast, nothing slewed yet: served time is 0.5 s behind raw. */
    CHECK_NEAR(ts_diff(&rxts, &f.now), -0.5, 1e-6);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* tempcomp: the sensor reads 25 degrees, k1 = 1 ppm a degree from 20: the driver runs
 * 5 ppm faster, the absolute frequency stays; tempcomp.log records it. Out of the sanity
 * limit or unreadable: chrony's warnings, no change. */
static void test_tempcomp(void)
{
    const char *lines[] = {"tempcomp /sensor 10 20 0 1 0", "logdir /log", "log tempcomp", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    const char *log;

    fake_env_init(&f);
    fake_env_put_file(&f, "/sensor", "25.0\n");
    n = make_node(&f, &cfg, lines);
    CHECK_NEAR(f.freq_ppm, 5.0, 1e-9);
    CHECK_NEAR(engine_base_freq_ppm(&n->engine), 0.0, 1e-12);
    log = fake_env_get_file(&f, "/log/tempcomp.log");
    CHECK(log && strstr(log, " 2.5000e+01  5.0000e+00"));
    fake_env_put_file(&f, "/sensor", "100\n");
    fake_env_advance(&f, 10.0);
    node_on_timer(n, &f.now);
    CHECK(fake_env_log_contains(&f, "Temperature compensation of 80.000 ppm exceeds sanity limit "
                                    "of 10.0"));
    CHECK_NEAR(f.freq_ppm, 5.0, 1e-9);
    fake_env_put_file(&f, "/sensor", "x\n");
    fake_env_advance(&f, 10.0);
    node_on_timer(n, &f.now);
    CHECK(fake_env_log_contains(&f, "Could not read temperature from /sensor"));
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* tempcomp with a point file: interpolated between the two nearest points. */
static void test_tempcomp_points(void)
{
    const char *lines[] = {"tempcomp /sensor 10 /points", NULL};
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    fake_env_put_file(&f, "/points", "20 0\n30 2\n40 6\n");
    fake_env_put_file(&f, "/sensor", "35\n");
    n = make_node(&f, &cfg, lines);
    CHECK_NEAR(tempcomp_compensation(&n->tempcomp, 35.0), 4.0, 1e-12);
    CHECK_NEAR(tempcomp_compensation(&n->tempcomp, 10.0), -2.0, 1e-12);
    CHECK_NEAR(tempcomp_compensation(&n->tempcomp, 50.0), 10.0, 1e-12);
    CHECK_NEAR(f.freq_ppm, 4.0, 1e-6);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_drift_file_read_and_saved);
    RUN(test_mail_on_change);
    RUN(test_drift_file_interval);
    RUN(test_precision_rounding);
    RUN(test_served_mono);
    RUN(test_bad_drift_file);
    RUN(test_step_shifts_deadlines);
    RUN(test_refused_step_undone);
    RUN(test_jump_detection);
    RUN(test_served_reference);
    RUN(test_served_timestamps_cooked);
    RUN(test_tempcomp);
    RUN(test_tempcomp_points);
    return check_summary();
}
