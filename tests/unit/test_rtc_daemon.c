/* Unit tests for the RTC driver of the daemon (daemon/rtc.c) on the shared fake
 * environment: chrony's messages without a device, the gain rate of a drifting RTC
 * through the update edges and the timers, writertc and the rtc file, trimrtc, the
 * rtc log, hwclockfile/rtconutc, bad rtc files and chronyd -s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "fake_env.h"
#include "lib/ts.h"
#include "proto/cmdmon.h"

#define T0 1700000000.0

static struct node *make_node(struct fake_env *f, struct config **cfg, const char **lines,
                              int rtc_set)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8, .rtc_set = rtc_set};
    struct node *n;

    *cfg = config_new();
    for (int i = 0; lines[i]; i++) {
        int r = config_parse_line(*cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err));
        if (r != 0)
            printf("  config error: %s\n", err);
        CHECK(r == 0);
    }
    n = node_new(*cfg, &f->env, &o);
    CHECK(node_start(n, &f->now, err, sizeof(err)) == 0);
    return n;
}

/* A command as the command server executes it (the node's command table): the status,
 * the reply in *out when out is given. */
static int command(struct fake_env *f, struct node *n, uint16_t cmd, struct cmdmon_reply *out)
{
    struct cmdmon_request q;
    struct cmdmon_reply rpy;

    memset(&q, 0, sizeof(q));
    memset(&rpy, 0, sizeof(rpy));
    q.command = cmd;
    cmdmon_execute(&n->cmd, &q, &f->now, &rpy);
    if (out)
        *out = rpy;
    return rpy.status;
}

static void done(struct fake_env *f, struct node *n, struct config *cfg)
{
    node_stop(n, &f->now);
    node_free(n);
    config_free(cfg);
    fake_env_fini(f);
}

/* An RTC fast by off s at T0, gaining gain (s/s). */
static void drift(struct fake_env *f, double off, double gain)
{
    f->rtc_present = 1;
    f->rtc_gain = gain;
    f->rtc_off = off - gain * T0;
}

/* Run the node's timers and the RTC's edges (while it asks for them) for secs. */
static void run_for(struct fake_env *f, struct node *n, double secs)
{
    struct timespec end, when;

    ts_add(&end, &f->now, secs);
    while (ts_cmp(&f->now, &end) < 0) {
        int have = node_next_timeout(n, &when);
        if (f->rtc_uie) {
            /* the next edge is at most ~1 s away: take it unless a timer comes first */
            if (!have || ts_diff(&when, &f->now) > 1.01) {
                fake_env_rtc_edge(f);
                node_on_timer(n, &f->now);
                continue;
            }
        }
        if (!have || ts_cmp(&when, &end) > 0) {
            f->now = end;
            break;
        }
        if (ts_cmp(&when, &f->now) > 0)
            f->now = when;
        node_on_timer(n, &f->now);
    }
}

static void test_no_device(void)
{
    struct fake_env f;
    struct config *cfg;
    struct cmdmon_rtc rep;
    const char *conf[] = {"rtcfile /var/lib/chrony/rtc", NULL};
    struct node *n;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    n = make_node(&f, &cfg, conf, 0);
    CHECK(fake_env_log_contains(&f,
                                "Could not open RTC device /dev/rtc : No such file or directory"));
    CHECK(fake_env_log_contains(&f, "RTC driver could not be initialised"));
    CHECK_INT_EQ(rtc_report(&n->rtc, &rep), 0);
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_RTCREPORT, NULL), CMDMON_STT_NORTC);
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_TRIMRTC, NULL), CMDMON_STT_NORTC);
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_WRITERTC, NULL), CMDMON_STT_NORTC);
    done(&f, n, cfg);
}

static void test_no_rtcfile(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *conf[] = {"rtcdevice /dev/rtc0", NULL};
    struct node *n;

    fake_env_init(&f);
    drift(&f, 0.0, 0.0);
    n = make_node(&f, &cfg, conf, 0);
    CHECK_INT_EQ(f.rtc_open, 0);
    CHECK_INT_EQ(rtc_write(&n->rtc), CMDMON_STT_NORTC);
    done(&f, n, cfg);
}

static void test_drift_20ppm(void)
{
    struct fake_env f;
    struct config *cfg;
    struct cmdmon_rtc rep;
    struct cmdmon_reply rpy;
    struct rtc_coefs c;
    const char *conf[] = {"rtcfile /rtc", "logdir /log", "log rtc", "rtconutc", NULL};
    struct node *n;
    const char *text, *log;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 300000000);
    drift(&f, 0.2, 20e-6);
    n = make_node(&f, &cfg, conf, 0);
    CHECK_INT_EQ(f.rtc_open, 1);
    f.rtc_utc = -1;
    run_for(&f, n, 4 * 3600.0);
    CHECK_INT_EQ(f.rtc_utc, 1);
    /* chronyc rtcdata */
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_RTCREPORT, &rpy), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(rpy.reply, CMDMON_RPY_RTC);
    rep = rpy.u.rtc;
    CHECK_NEAR(rep.rtc_gain_rate_ppm, 20.0, 0.01);
    CHECK_NEAR(rep.rtc_seconds_fast, 0.2 + 20e-6 * ((double)rep.ref_time.tv_sec - T0), 1e-3);
    CHECK(rep.n_samples >= 3);
    CHECK(rep.span_seconds > 0);
    /* measurements 240 s apart in the end: the interrupts are off between them */
    CHECK_INT_EQ(n->rtc.track.period, 240);
    /* chronyc writertc */
    CHECK(fake_env_get_file(&f, "/rtc") == NULL);
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_WRITERTC, NULL), CMDMON_STT_SUCCESS);
    text = fake_env_get_file(&f, "/rtc");
    CHECK(text && rtc_coefs_parse(text, &c) == 0);
    CHECK_INT_EQ(c.valid, 1);
    CHECK_NEAR(c.rate_ppm, rep.rtc_gain_rate_ppm, 0.001);
    log = fake_env_get_file(&f, "/log/rtc.log");
    CHECK(log &&
          strstr(log, "   Date (UTC) Time   RTC fast (s) Val   Est fast (s)   Slope (ppm)  Ns  "
                      "Nr Meas"));
    CHECK(log && strstr(log, " 240\n"));
    done(&f, n, cfg);
}

/* A step of the system clock moves the samples with it (chrony's clock-change handler):
 * the gain rate is kept and the RTC is as much more fast of the clock. */
static void test_clock_step(void)
{
    struct fake_env f;
    struct config *cfg;
    struct cmdmon_rtc rep;
    const char *conf[] = {"rtcfile /rtc", NULL};
    struct node *n;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    drift(&f, 0.2, 20e-6);
    n = make_node(&f, &cfg, conf, 0);
    run_for(&f, n, 2 * 3600.0);
    /* the clock was 0.5 s fast: stepped back, as sources_engine.c performs a step */
    f.env.clock.step(f.env.clock.ctx, 0.5);
    sched_shift(&n->sched, 0.5);
    CHECK_INT_EQ(rtc_report(&n->rtc, &rep), 1);
    CHECK_NEAR(rep.rtc_seconds_fast, 0.7 + 20e-6 * ((double)rep.ref_time.tv_sec - T0), 1e-3);
    run_for(&f, n, 3600.0);
    CHECK_INT_EQ(rtc_report(&n->rtc, &rep), 1);
    CHECK_NEAR(rep.rtc_gain_rate_ppm, 20.0, 0.01);
    CHECK_NEAR(rep.rtc_seconds_fast, 0.7 + 20e-6 * ((double)rep.ref_time.tv_sec - T0), 1e-3);
    done(&f, n, cfg);
}

static void test_trimrtc(void)
{
    struct fake_env f;
    struct config *cfg;
    struct rtc_coefs c;
    const char *conf[] = {"rtcfile /rtc", NULL};
    struct node *n;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    drift(&f, 3.3, 5e-6);
    n = make_node(&f, &cfg, conf, 0);
    run_for(&f, n, 600.0);
    CHECK_NEAR(n->rtc.track.fast, 3.3, 0.01);
    /* chronyc trimrtc */
    CHECK_INT_EQ(command(&f, n, CMDMON_REQ_TRIMRTC, NULL), CMDMON_STT_SUCCESS);
    CHECK(fake_env_log_contains(&f, "RTC wrong by 3.30"));
    CHECK_INT_EQ(f.rtc_n_sets, 1);
    CHECK_INT_EQ(f.rtc_set_to, (long long)f.now.tv_sec);
    CHECK_INT_EQ(f.rtc_uie, 1);
    run_for(&f, n, 20.0);
    /* relocked: the file holds the new offset (within a second) and the kept gain rate */
    CHECK(fake_env_get_file(&f, "/rtc") && rtc_coefs_parse(fake_env_get_file(&f, "/rtc"), &c) == 0);
    CHECK(fabs(c.offset) < 1.0);
    CHECK_NEAR(c.rate_ppm, 5.0, 0.5);
    done(&f, n, cfg);
}

/* rtcautotrim: trimmed once synchronised (here to the local reference) and past the
 * threshold; not below it. */
static void test_autotrim(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *conf[] = {"rtcfile /rtc", "rtcautotrim 2", "local stratum 10", NULL};
    const char *conf_hi[] = {"rtcfile /rtc", "rtcautotrim 5", "local stratum 10", NULL};
    struct node *n;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    drift(&f, 3.3, 0.0);
    n = make_node(&f, &cfg, conf, 0);
    run_for(&f, n, 300.0);
    CHECK(fake_env_log_contains(&f, "RTC wrong by 3.30"));
    CHECK_INT_EQ(f.rtc_n_sets, 1);
    done(&f, n, cfg);

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    drift(&f, 3.3, 0.0);
    n = make_node(&f, &cfg, conf_hi, 0);
    run_for(&f, n, 300.0);
    CHECK_INT_EQ(f.rtc_n_sets, 0);
    done(&f, n, cfg);
}

static void test_bad_file_and_hwclock(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *conf[] = {"rtcfile /rtc", "hwclockfile /adjtime", "rtconutc", NULL};
    struct node *n;

    fake_env_init(&f);
    drift(&f, 0.0, 0.0);
    fake_env_put_file(&f, "/rtc", "1 two 3\n");
    fake_env_put_file(&f, "/adjtime", "0.000000 1700000000 0.000000\n1700000000\nLOCAL\n");
    /* the coefficients are read only by chronyd -s, as chrony does */
    n = make_node(&f, &cfg, conf, 1);
    CHECK(fake_env_log_contains(&f, "Could not read coefficients from /rtc"));
    f.rtc_utc = -1;
    run_for(&f, n, 5.0);
    CHECK_INT_EQ(f.rtc_utc, 0); /* the file wins over rtconutc */
    done(&f, n, cfg);

    fake_env_init(&f);
    drift(&f, 0.0, 0.0);
    fake_env_put_file(&f, "/adjtime", "0.0 0 0.0\n0\n");
    n = make_node(&f, &cfg, conf, 0);
    CHECK(fake_env_log_contains(&f, "Could not read RTC LOCAL/UTC setting from /adjtime"));
    f.rtc_utc = -1;
    run_for(&f, n, 5.0);
    CHECK_INT_EQ(f.rtc_utc, 1);
    done(&f, n, cfg);
}

/* chronyd -s: the clock is set from the RTC corrected by the file, then slewed by the
 * error the fast sampling finds. */
static void test_initial_set(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *conf[] = {"rtcfile /rtc", NULL};
    struct node *n;
    double err;

    fake_env_init(&f);
    /* The system clock reads T0 + 5000 but the true time is T0 + 1000; the RTC is 2 s
     * fast of true time, as its file says (2 s at T0, no gain). */
    fake_env_set_time(&f, (long)T0 + 5000, 0);
    f.stepped = -4000.0;
    drift(&f, 2.0, 0.0);
    fake_env_put_file(&f, "/rtc", "1 1700000000 2.000000 0.000\n");
    n = make_node(&f, &cfg, conf, 1);
    CHECK(fake_env_log_contains(&f, "System time set from RTC"));
    err = ts_diff(&f.now, &(struct timespec){(time_t)T0 + 1000, 0});
    CHECK(fabs(err) < 1.0);
    run_for(&f, n, 12.0);
    /* The set assumed the reading half a second old; the edges show it was not. */
    CHECK(fake_env_log_contains(&f, "System clock off from RTC by 0.50"));
    done(&f, n, cfg);
}

/* chronyd -s without an RTC: a drift file from the future brings the clock forward. */
static void test_initial_set_driftfile(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *conf[] = {"rtcfile /rtc", "driftfile /drift", NULL};
    struct node *n;

    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    fake_env_put_file(&f, "/drift", "1.0 0.1\n");
    f.files_mtime = (long long)T0 + 3600;
    n = make_node(&f, &cfg, conf, 1);
    CHECK(fake_env_log_contains(&f, "System time restored from driftfile"));
    CHECK_NEAR(f.stepped, -3600.0, 1e-6);
    CHECK(fake_env_log_contains(&f, "RTC driver could not be initialised"));
    done(&f, n, cfg);

    /* An RTC that lost its time (before the drift file was written) is not trusted. */
    fake_env_init(&f);
    fake_env_set_time(&f, (long)T0, 0);
    drift(&f, -86400.0, 0.0);
    fake_env_put_file(&f, "/drift", "1.0 0.1\n");
    f.files_mtime = (long long)T0 + 3600;
    n = make_node(&f, &cfg, conf, 1);
    CHECK(fake_env_log_contains(&f, "RTC time before last driftfile modification (ignored)"));
    CHECK(fake_env_log_contains(&f, "System time restored from driftfile"));
    CHECK_NEAR(f.stepped, -3600.0, 1e-6);
    CHECK(!fake_env_log_contains(&f, "System time set from RTC"));
    done(&f, n, cfg);
}

int main(void)
{
    RUN(test_no_device);
    RUN(test_no_rtcfile);
    RUN(test_drift_20ppm);
    RUN(test_clock_step);
    RUN(test_trimrtc);
    RUN(test_autotrim);
    RUN(test_bad_file_and_hwclock);
    RUN(test_initial_set);
    RUN(test_initial_set_driftfile);
    return check_summary();
}
