/* Linux clock driver logic (platform/clock_linux.c) against an in-process
 * fake kernel: tick/frequency split, start-up sequence, steps, leap and sync
 * status. The real adjtimex() is never called here. Also the capability
 * mask of privilege dropping. */
#include "check.h"

#include "platform/clock_linux.h"
#include "platform/platform.h"
#include "platform/privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <math.h>
#include <string.h>

#define MAX_CALLS 16

struct fake_kernel {
    struct timex calls[MAX_CALLS];
    int n_calls;
    long tick, freq, constant;
    int status, state;
    unsigned int fail_modes; /* modes value that fails with fail_errno */
    int fail_errno;
    struct timespec now, set_to;
    int n_settime;
};

static int fk_adjtimex(void *ctx, struct timex *tx)
{
    struct fake_kernel *k = ctx;
    if (k->n_calls < MAX_CALLS)
        k->calls[k->n_calls++] = *tx;
    if (k->fail_errno && tx->modes == k->fail_modes) {
        errno = k->fail_errno;
        return -1;
    }
    if (tx->modes & ADJ_TICK)
        k->tick = tx->tick;
    if ((tx->modes & ADJ_FREQUENCY) && !(tx->modes & ADJ_OFFSET_SINGLESHOT))
        k->freq = tx->freq;
    if (tx->modes & ADJ_STATUS)
        k->status = tx->status;
    if (tx->modes & ADJ_TIMECONST)
        k->constant = tx->constant;
    tx->constant = k->constant; /* ADJ_TAI's value is not the time constant */
    tx->tick = k->tick;
    tx->freq = k->freq;
    tx->status = k->status;
    return k->state;
}

static int fk_gettime(void *ctx, struct timespec *ts)
{
    *ts = ((struct fake_kernel *)ctx)->now;
    return 0;
}

static int fk_settime(void *ctx, const struct timespec *ts)
{
    struct fake_kernel *k = ctx;
    k->set_to = *ts;
    k->n_settime++;
    return 0;
}

static char last_msg[256];

static void capture(void *ctx, enum log_level level, const char *msg)
{
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static const struct logger test_log = {NULL, capture, LOGL_DEBUG};

static void setup(struct lclk *c, struct fake_kernel *k)
{
    struct lclk_ops ops = {k, fk_adjtimex, fk_gettime, fk_settime};
    memset(k, 0, sizeof(*k));
    k->tick = 10000;
    k->state = TIME_OK;
    last_msg[0] = '\0';
    lclk_init(c, &ops, &test_log, 100);
}

static void test_tick_params(void)
{
    struct lclk_tick t;
    lclk_tick_init(&t, 100);
    CHECK_INT_EQ(t.nominal_tick_us, 10000);
    CHECK_INT_EQ(t.max_tick_bias_us, 1000);
    CHECK_NEAR(lclk_max_freq_ppm(&t), 100000.0, 1e-9);
    lclk_tick_init(&t, 1024);
    CHECK_INT_EQ(t.nominal_tick_us, 977);
    CHECK_INT_EQ(t.max_tick_bias_us, 97);
    lclk_tick_init(&t, 0);
    CHECK_INT_EQ(t.hz, 100);
}

static void test_split_small_stays_on_tick(void)
{
    struct lclk_tick t;
    long d, kf;
    lclk_tick_init(&t, 100);
    /* 123.456 ppm rounds to tick +1, but tick 0 is its neighbour: stay. */
    lclk_split_freq(&t, 123.456, 0, &d, &kf);
    CHECK_INT_EQ(d, 0);
    CHECK_INT_EQ(kf, (long)(123.456 * 65536.0));
    lclk_split_freq(&t, 40.0, 0, &d, &kf);
    CHECK_INT_EQ(d, 0);
    CHECK_INT_EQ(kf, 40 * 65536);
}

static void test_split_uses_tick_beyond_range(void)
{
    struct lclk_tick t;
    long d, kf;
    lclk_tick_init(&t, 100);
    lclk_split_freq(&t, -700.0, 0, &d, &kf);
    CHECK_INT_EQ(d, -7);
    CHECK_INT_EQ(kf, 0);
    /* Next to the current tick -6: keep it, the rest in freq. */
    lclk_split_freq(&t, -700.0, -6, &d, &kf);
    CHECK_INT_EQ(d, -6);
    CHECK_INT_EQ(kf, -100 * 65536);
    lclk_split_freq(&t, 2345.5, 0, &d, &kf);
    CHECK_INT_EQ(d, 23);
    CHECK_NEAR(lclk_join_freq(&t, 10000 + d, kf), 2345.5, 1e-4);
}

static void test_split_clamps(void)
{
    struct lclk_tick t;
    long d, kf;
    lclk_tick_init(&t, 100);
    lclk_split_freq(&t, 250000.0, 0, &d, &kf);
    CHECK_INT_EQ(d, 1000);
    CHECK_INT_EQ(kf, 0);
    lclk_split_freq(&t, -250000.0, 0, &d, &kf);
    CHECK_INT_EQ(d, -1000);
    CHECK_INT_EQ(kf, 0);
}

static void test_join_round_trip(void)
{
    struct lclk_tick t;
    long d, kf, cur = 0;
    lclk_tick_init(&t, 100);
    for (double f = -99000.0; f <= 99000.0; f += 1234.567) {
        lclk_split_freq(&t, f, cur, &d, &kf);
        CHECK(fabs((double)kf / 65536.0) <= 500.0);
        CHECK_NEAR(lclk_join_freq(&t, 10000 + d, kf), f, 1.0 / 65536.0);
        cur = d;
    }
}

static void test_step_timeval(void)
{
    struct timex tx;
    lclk_step_to_timeval(0.5, &tx);
    CHECK_INT_EQ(tx.time.tv_sec, -1);
    CHECK_INT_EQ(tx.time.tv_usec, 500000000);
    lclk_step_to_timeval(-1.25, &tx);
    CHECK_INT_EQ(tx.time.tv_sec, 1);
    CHECK_INT_EQ(tx.time.tv_usec, 250000000);
    lclk_step_to_timeval(0.0, &tx);
    CHECK_INT_EQ(tx.time.tv_sec, 0);
    CHECK_INT_EQ(tx.time.tv_usec, 0);
    lclk_step_to_timeval(-1e-10, &tx);
    CHECK_INT_EQ(tx.time.tv_sec, 0);
    CHECK(tx.time.tv_usec >= 0 && tx.time.tv_usec < 1000000000);
}

static void test_start_disables_pll(void)
{
    struct lclk c;
    struct fake_kernel k;
    char err[128] = "";
    setup(&c, &k);
    k.status = STA_PLL | STA_FLL | STA_PPSFREQ;
    k.tick = 9990;
    CHECK_INT_EQ(lclk_start(&c, err, sizeof(err)), 0);
    CHECK_INT_EQ(k.n_calls, 4);
    CHECK_INT_EQ(k.calls[0].modes, ADJ_OFFSET_SINGLESHOT);
    CHECK_INT_EQ(k.calls[0].offset, 0);
    CHECK_INT_EQ(k.calls[1].modes, ADJ_OFFSET | ADJ_STATUS);
    CHECK_INT_EQ(k.calls[1].status, STA_PLL | STA_UNSYNC);
    CHECK_INT_EQ(k.calls[1].offset, 0);
    CHECK_INT_EQ(k.calls[2].modes, ADJ_STATUS);
    CHECK_INT_EQ(k.calls[2].status, STA_UNSYNC);
    CHECK_INT_EQ(k.calls[3].modes, 0);
    CHECK_INT_EQ(k.status, STA_UNSYNC);
    CHECK_INT_EQ(c.delta_tick_us, -10);
    CHECK_INT_EQ(c.started, 1);
}

static void test_start_failure_message(void)
{
    struct lclk c;
    struct fake_kernel k;
    char err[128] = "";
    setup(&c, &k);
    k.fail_modes = ADJ_OFFSET_SINGLESHOT;
    k.fail_errno = EPERM;
    CHECK_INT_EQ(lclk_start(&c, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "adjtimex(0x8001) failed : Operation not permitted");
    CHECK_INT_EQ(c.started, -1);
}

static void test_set_and_get_freq(void)
{
    struct lclk c;
    struct fake_kernel k;
    double applied = 0.0;
    setup(&c, &k);
    CHECK_INT_EQ(lclk_set_freq(&c, 123.456, &applied), 0);
    CHECK_INT_EQ(k.calls[0].modes, ADJ_TICK | ADJ_FREQUENCY);
    CHECK_INT_EQ(k.calls[0].tick, 10000);
    CHECK_INT_EQ(k.calls[0].freq, (long)(123.456 * 65536.0));
    CHECK_NEAR(applied, 123.456, 1.0 / 65536.0);
    CHECK_NEAR(lclk_get_freq(&c), 123.456, 1.0 / 65536.0);
    CHECK_INT_EQ(lclk_set_freq(&c, -700.0, &applied), 0);
    CHECK_INT_EQ(k.tick, 9993);
    CHECK_INT_EQ(k.freq, 0);
    CHECK_NEAR(lclk_get_freq(&c), -700.0, 1e-9);
    k.fail_modes = ADJ_TICK | ADJ_FREQUENCY;
    k.fail_errno = EPERM;
    CHECK_INT_EQ(lclk_set_freq(&c, 5.0, NULL), -1);
    CHECK_STR_EQ(last_msg, "adjtimex(0x4002) failed : Operation not permitted");
}

static void test_step(void)
{
    struct lclk c;
    struct fake_kernel k;
    setup(&c, &k);
    CHECK_INT_EQ(lclk_step(&c, 0.5), 0);
    CHECK_INT_EQ(k.calls[0].modes, ADJ_SETOFFSET | ADJ_NANO);
    CHECK_INT_EQ(k.calls[0].time.tv_sec, -1);
    CHECK_INT_EQ(k.calls[0].time.tv_usec, 500000000);
    CHECK_INT_EQ(k.n_settime, 0);
}

static void test_step_fallback_settime(void)
{
    struct lclk c;
    struct fake_kernel k;
    setup(&c, &k);
    k.fail_modes = ADJ_SETOFFSET | ADJ_NANO;
    k.fail_errno = EINVAL;
    k.now.tv_sec = 1000;
    k.now.tv_nsec = 800000000;
    CHECK_INT_EQ(lclk_step(&c, -0.3), 0);
    CHECK_INT_EQ(k.n_settime, 1);
    CHECK_INT_EQ(k.set_to.tv_sec, 1001);
    CHECK_INT_EQ(k.set_to.tv_nsec, 100000000);
    /* No permission: no fallback, an error. */
    k.fail_errno = EPERM;
    CHECK_INT_EQ(lclk_step(&c, 1.0), -1);
    CHECK_INT_EQ(k.n_settime, 1);
}

static void test_leap(void)
{
    struct lclk c;
    struct fake_kernel k;
    setup(&c, &k);
    CHECK_INT_EQ(lclk_set_leap(&c, 1, 0), 0);
    CHECK_INT_EQ(k.calls[1].modes, ADJ_STATUS);
    CHECK_INT_EQ(k.status, STA_UNSYNC | STA_INS);
    CHECK_STR_EQ(last_msg, "System clock status set to insert leap second");
    CHECK_INT_EQ(lclk_set_leap(&c, -1, 0), 0);
    CHECK_INT_EQ(k.status, STA_UNSYNC | STA_DEL);
    CHECK_STR_EQ(last_msg, "System clock status set to delete leap second");
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 0), 0);
    CHECK_INT_EQ(k.status, STA_UNSYNC);
    CHECK_STR_EQ(last_msg, "System clock status set to not insert/delete leap second");
    CHECK_INT_EQ(lclk_set_leap(&c, 1, 0), 0);
    k.state = TIME_WAIT;
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 0), 0);
    CHECK_STR_EQ(last_msg, "System clock status reset after leap second");
    /* No change: no message. */
    last_msg[0] = '\0';
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 0), 0);
    CHECK_STR_EQ(last_msg, "");
}

/* The TAI offset of the leap table goes to the kernel with the leap status (ADJ_TAI),
 * logged as chrony when it changes; an applied leap second moves the kernel's own. */
static void test_leap_tai(void)
{
    struct lclk c;
    struct fake_kernel k;
    setup(&c, &k);
    last_msg[0] = '\0';
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 37), 0);
    CHECK_INT_EQ(k.calls[k.n_calls - 1].modes, ADJ_STATUS | ADJ_TAI);
    CHECK_INT_EQ(k.calls[k.n_calls - 1].constant, 37);
    CHECK_STR_EQ(last_msg, "System clock TAI offset set to 37 seconds");
    last_msg[0] = '\0';
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 37), 0);
    CHECK_INT_EQ(k.calls[k.n_calls - 1].constant, 37);
    CHECK_STR_EQ(last_msg, "");
    /* insert pending, then applied by the kernel (TIME_WAIT): 38 without a message */
    CHECK_INT_EQ(lclk_set_leap(&c, 1, 37), 0);
    CHECK_STR_EQ(last_msg, "System clock status set to insert leap second");
    k.state = TIME_WAIT;
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 38), 0);
    CHECK_INT_EQ(k.calls[k.n_calls - 1].constant, 38);
    CHECK_STR_EQ(last_msg, "System clock status reset after leap second");
    /* unknown offset: the kernel's is left alone */
    k.state = 0;
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 0), 0);
    CHECK_INT_EQ(k.calls[k.n_calls - 1].modes, ADJ_STATUS);
}

/* Another process changing the kernel's frequency, PLL bit or time constant is noticed
 * at the driver's next call, with chrony's warning; our own changes are not. */
static void test_interference(void)
{
    static const char *warning = "System clock interference detected (another NTP client?)";
    struct lclk c;
    struct fake_kernel k;
    char err[128];

    setup(&c, &k);
    last_msg[0] = '\0';
    CHECK_INT_EQ(lclk_start(&c, err, sizeof(err)), 0);
    CHECK_INT_EQ(lclk_set_freq(&c, 12.5, NULL), 0);
    lclk_get_freq(&c);
    CHECK_INT_EQ(lclk_set_freq(&c, -3.0, NULL), 0);
    lclk_set_sync_status(&c, 1, 0.001, 0.01);
    CHECK_INT_EQ(lclk_set_leap(&c, 1, 37), 0);
    CHECK_INT_EQ(lclk_set_leap(&c, 0, 37), 0);
    CHECK(strcmp(last_msg, warning) != 0);
    /* the frequency changed behind our back */
    k.freq += 65536;
    lclk_get_freq(&c);
    CHECK_STR_EQ(last_msg, warning);
    /* once per change */
    last_msg[0] = '\0';
    lclk_get_freq(&c);
    CHECK_STR_EQ(last_msg, "");
    /* the PLL switched on, the time constant changed */
    k.status |= STA_PLL;
    lclk_get_freq(&c);
    CHECK_STR_EQ(last_msg, warning);
    last_msg[0] = '\0';
    k.constant = 6;
    lclk_set_freq(&c, 1.0, NULL);
    CHECK_STR_EQ(last_msg, warning);
}

static void test_sync_status(void)
{
    struct lclk c;
    struct fake_kernel k;
    setup(&c, &k);
    /* Without rtcsync STA_UNSYNC stays set, the errors still go in. */
    lclk_set_sync_status(&c, 1, 0.001, 0.25);
    CHECK_INT_EQ(k.calls[0].modes, ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR);
    CHECK_INT_EQ(k.calls[0].status, STA_UNSYNC);
    CHECK_INT_EQ(k.calls[0].esterror, 1000);
    CHECK_INT_EQ(k.calls[0].maxerror, 250000);
    c.rtc_sync = 1;
    lclk_set_sync_status(&c, 1, 0.001, 0.25);
    CHECK_INT_EQ(k.calls[1].status, 0);
    /* Bounds of 16 s or more mean unsynchronised. */
    lclk_set_sync_status(&c, 1, 20.0, 16.0);
    CHECK_INT_EQ(k.calls[2].status, STA_UNSYNC);
    CHECK_INT_EQ(k.calls[2].esterror, 16000000);
    CHECK_INT_EQ(k.calls[2].maxerror, 16000000);
    lclk_set_sync_status(&c, 0, 0.001, 0.002);
    CHECK_INT_EQ(k.calls[3].status, STA_UNSYNC);
    CHECK_INT_EQ(k.calls[3].maxerror, 16000000);
    /* The leap bits survive a status update. */
    lclk_set_leap(&c, 1, 0);
    lclk_set_sync_status(&c, 1, 0.001, 0.002);
    CHECK_INT_EQ(k.status, STA_INS);
}

static void test_privs_mask(void)
{
    CHECK_INT_EQ(plat_privs_caps_mask(0, 0), 0);
    CHECK_INT_EQ(plat_privs_caps_mask(1, 0), 1ULL << CAP_SYS_TIME);
    CHECK_INT_EQ(plat_privs_caps_mask(0, 1), 1ULL << CAP_NET_BIND_SERVICE);
    CHECK_INT_EQ(plat_privs_caps_mask(1, 1), (1ULL << 25) | (1ULL << 10));
}

static void test_privs_net_bind_port(void)
{
    CHECK(plat_privs_port_needs_bind_cap(123));
    CHECK(plat_privs_port_needs_bind_cap(1023));
    CHECK(!plat_privs_port_needs_bind_cap(1024));
    CHECK(!plat_privs_port_needs_bind_cap(0));
    CHECK(!plat_privs_port_needs_bind_cap(11123));
    CHECK_INT_EQ(plat_privs_keep_net_bind(), 1);
    platform_privs_set_ntp_port(0);
    CHECK_INT_EQ(plat_privs_keep_net_bind(), 0);
    platform_privs_set_ntp_port(123);
    CHECK_INT_EQ(plat_privs_keep_net_bind(), 1);
}

static void test_privs_noop_cases(void)
{
    char err[128] = "";
    CHECK_INT_EQ(plat_privs_drop(NULL, 1, 1, err, sizeof(err)), 0);
    CHECK_INT_EQ(plat_privs_drop("", 1, 1, err, sizeof(err)), 0);
    CHECK_INT_EQ(plat_privs_drop("root", 1, 1, err, sizeof(err)), 0);
    CHECK_INT_EQ(plat_privs_drop("no-such-user-xyzzy", 1, 1, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Could not get user/group ID of no-such-user-xyzzy");
}

int main(void)
{
    RUN(test_tick_params);
    RUN(test_split_small_stays_on_tick);
    RUN(test_split_uses_tick_beyond_range);
    RUN(test_split_clamps);
    RUN(test_join_round_trip);
    RUN(test_step_timeval);
    RUN(test_start_disables_pll);
    RUN(test_start_failure_message);
    RUN(test_set_and_get_freq);
    RUN(test_step);
    RUN(test_step_fallback_settime);
    RUN(test_leap);
    RUN(test_leap_tai);
    RUN(test_interference);
    RUN(test_sync_status);
    RUN(test_privs_mask);
    RUN(test_privs_net_bind_port);
    RUN(test_privs_noop_cases);
    return check_summary();
}
