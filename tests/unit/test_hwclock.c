/* Unit tests for src/core/hwclock.c (tracking a NIC's clock from PHC readings) on
 * synthetic readings, and for the platform's reading of control messages (kernel receive
 * and transmit timestamps, packet info) built in a buffer. */
#include "check.h"

#include "core/hwclock.h"
#include "lib/ts.h"
#include "platform/internal.h"

#include <errno.h>
#include <math.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* A PHC 1000 s ahead of the system clock, 50 ppm fast at t0. */
static void phc_at(const struct timespec *local, struct timespec *hw)
{
    struct timespec t0 = {1700000000, 0};
    double d = ts_diff(local, &t0);
    ts_add(hw, &t0, 1000.0 + d * (1.0 + 50e-6));
}

static void test_tracking(void)
{
    struct hwclock h;
    struct timespec local = {1700000000, 123456789}, hw, out, check;
    double err = -1.0;

    hwclock_init(&h, 2, 16, 0.9, 100e-9);
    CHECK(hwclock_needs_sample(&h, &local));
    phc_at(&local, &hw);
    CHECK(!hwclock_cook(&h, &hw, &out, NULL));
    hwclock_add_sample(&h, &hw, &local, 100e-9);
    CHECK(!h.valid); /* one sample: no rate yet */
    ts_add(&local, &local, 0.5);
    CHECK(!hwclock_needs_sample(&h, &local));
    for (int i = 0; i < 20; i++) {
        /* Readings +-20 ns off, alternating. */
        struct timespec noisy;
        ts_add(&local, &local, 1.0);
        CHECK(hwclock_needs_sample(&h, &local));
        phc_at(&local, &hw);
        ts_add(&noisy, &local, i % 2 ? 20e-9 : -20e-9);
        hwclock_add_sample(&h, &hw, &noisy, 100e-9);
    }
    CHECK(h.valid);
    CHECK_NEAR(h.freq - 1.0, 50e-6, 1e-8);
    CHECK(h.n >= 2 && h.n <= 16);
    /* A hardware timestamp 3 s after the last sample maps back to the system time. */
    ts_add(&check, &local, 3.0);
    phc_at(&check, &hw);
    CHECK(hwclock_cook(&h, &hw, &out, &err));
    CHECK_NEAR(ts_diff(&out, &check), 0.0, 100e-9);
    CHECK_NEAR(err, 100e-9, 1e-12);

    /* The PHC steps by 1 ms: the fit misses the sample, tracking starts again. */
    ts_add(&local, &local, 1.0);
    phc_at(&local, &hw);
    ts_add(&hw, &hw, 1e-3);
    hwclock_add_sample(&h, &hw, &local, 100e-9);
    CHECK(!h.valid);
    CHECK_INT_EQ(h.n, 0);
    for (int i = 0; i < 2; i++) {
        ts_add(&local, &local, 1.0);
        phc_at(&local, &hw);
        ts_add(&hw, &hw, 1e-3);
        hwclock_add_sample(&h, &hw, &local, 100e-9);
    }
    CHECK(h.valid);
    ts_add(&check, &local, 0.5);
    phc_at(&check, &hw);
    ts_add(&hw, &hw, 1e-3);
    CHECK(hwclock_cook(&h, &hw, &out, NULL));
    CHECK_NEAR(ts_diff(&out, &check), 0.0, 1e-6);

    /* A PHC going backwards resets too. */
    ts_add(&local, &local, 1.0);
    hw = h.hw_ref;
    ts_add(&hw, &hw, -1.0);
    hwclock_add_sample(&h, &hw, &local, 100e-9);
    CHECK_INT_EQ(h.n, 1);
    CHECK(!h.valid);

    /* A rate off by more than 2/3 is refused. */
    hwclock_init(&h, 2, 16, 1.0, 100e-9);
    local = (struct timespec){1700000000, 0};
    hw = (struct timespec){5000, 0};
    hwclock_add_sample(&h, &hw, &local, 1e-6);
    local.tv_sec += 1;
    hw.tv_sec += 2;
    hwclock_add_sample(&h, &hw, &local, 1e-6);
    CHECK(h.valid == 0 || fabs(h.freq - 1.0) <= HWCLOCK_MAX_FREQ_OFFSET);
    CHECK(!h.valid);
}

static void test_slew(void)
{
    struct hwclock h;
    struct timespec local = {1700000000, 0}, hw = {1000, 0}, out;

    hwclock_init(&h, 2, 8, 1.0, 1e-9);
    for (int i = 0; i < 4; i++) {
        hwclock_add_sample(&h, &hw, &local, 1e-9);
        local.tv_sec++;
        hw.tv_sec++;
    }
    CHECK(h.valid);
    /* The system clock is stepped back by 0.25 s (it was fast): the same PHC time now
     * reads 0.25 s earlier in system time. */
    hwclock_slew(&h, &local, 0.0, 0.25);
    CHECK(hwclock_cook(&h, &(struct timespec){1003, 0}, &out, NULL));
    CHECK_NEAR(ts_diff(&out, &(struct timespec){1700000003, 0}), -0.25, 1e-9);
}

/* min/max samples (`hwtimestamp ... minsamples/maxsamples`): the fit keeps at most
 * max_samples; min_separation (2^minpoll) keeps closer samples out. */
static void test_sample_limits(void)
{
    struct hwclock h;
    struct timespec local = {1700000000, 0}, hw = {1000, 0};

    for (int max = 4; max <= 16; max += 12) {
        hwclock_init(&h, 3, max, 2.0, 1e-9);
        for (int i = 0; i < 10; i++) {
            hwclock_add_sample(&h, &hw, &local, 1e-9);
            local.tv_sec += 2;
            hw.tv_sec += 2;
        }
        CHECK_INT_EQ(h.n, max < 10 ? max : 10);
        CHECK(!hwclock_needs_sample(&h, &(struct timespec){local.tv_sec - 1, 0}));
        CHECK(hwclock_needs_sample(&h, &local));
    }
}

static void test_readings(void)
{
    struct hwclock h;
    struct hwclock_reading r[4];
    struct timespec hw, local;
    double err;

    hwclock_init(&h, 2, 16, 1.0, 10e-9);
    /* Delays 300, 100, 105, 900 ns: the two shortest (within 20 ns) are averaged. */
    for (int i = 0; i < 4; i++) {
        static const long delay[4] = {300, 100, 105, 900};
        r[i].before = (struct timespec){1700000000, 1000000 * (i + 1)};
        r[i].after = r[i].before;
        r[i].after.tv_nsec += delay[i];
        /* PHC = system + 5 s, read at the middle. */
        r[i].hw = (struct timespec){1700000005, 1000000 * (i + 1) + delay[i] / 2};
    }
    CHECK(hwclock_process_readings(&h, r, 4, 20e-9, &hw, &local, &err));
    CHECK_NEAR(ts_diff(&hw, &local), 5.0, 1e-9);
    CHECK_NEAR(ts_diff(&local, &(struct timespec){1700000000, 2500051}), 0.0, 2e-9);
    CHECK_NEAR(err, (100e-9 + 105e-9) / 2.0 / 2.0, 1e-12);
    /* Only the shortest with a coarse local precision of 1 ns; the floor is the precision. */
    hwclock_init(&h, 2, 16, 1.0, 1e-6);
    CHECK(hwclock_process_readings(&h, r, 4, 1e-9, &hw, &local, &err));
    CHECK_NEAR(ts_diff(&local, &(struct timespec){1700000000, 2000050}), 0.0, 1e-9);
    CHECK_NEAR(err, 1e-6, 1e-12);
    /* A step during the readings. */
    r[2].after.tv_sec -= 1;
    CHECK(!hwclock_process_readings(&h, r, 4, 1e-9, &hw, &local, &err));
    CHECK(!hwclock_process_readings(&h, r, 0, 1e-9, &hw, &local, &err));
}

/* A message's control buffer with the given control messages (level, type, data). */
struct cm {
    int level, type;
    const void *data;
    size_t len;
};

static void build(struct msghdr *msg, char *buf, size_t cap, const struct cm *cms, int n)
{
    struct cmsghdr *c;
    size_t total = 0;
    memset(buf, 0, cap);
    memset(msg, 0, sizeof(*msg));
    for (int i = 0; i < n; i++)
        total += CMSG_SPACE(cms[i].len);
    msg->msg_control = buf;
    msg->msg_controllen = total;
    c = CMSG_FIRSTHDR(msg);
    for (int i = 0; i < n; i++, c = CMSG_NXTHDR(msg, c)) {
        c->cmsg_level = cms[i].level;
        c->cmsg_type = cms[i].type;
        c->cmsg_len = CMSG_LEN(cms[i].len);
        memcpy(CMSG_DATA(c), cms[i].data, cms[i].len);
    }
}

static void test_cmsg(void)
{
    char buf[512];
    struct msghdr msg;
    struct plat_cmsg_info ci;
    struct scm_timestamping ts;
    struct in_pktinfo pi;
    struct sock_extended_err ee;
    struct timespec ns = {1700000000, 42};

    /* A received datagram: software timestamp and destination address. */
    memset(&ts, 0, sizeof(ts));
    ts.ts[0] = (struct timespec){1700000001, 500};
    memset(&pi, 0, sizeof(pi));
    pi.ipi_addr.s_addr = htonl(0x7f000002);
    build(&msg, buf, sizeof(buf),
          (struct cm[]){{SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)},
                        {IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi)}},
          2);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ci.sw_ts.tv_sec == 1700000001 && ci.sw_ts.tv_nsec == 500);
    CHECK(ts_is_zero(&ci.hw_ts));
    CHECK(!ci.is_tx_ts);
    CHECK_INT_EQ(ci.local.ip.family, IPF_INET4);
    CHECK(ci.local.ip.a[0] == 127 && ci.local.ip.a[3] == 2);

    /* SO_TIMESTAMPNS fallback. */
    build(&msg, buf, sizeof(buf), (struct cm[]){{SOL_SOCKET, SO_TIMESTAMPNS, &ns, sizeof(ns)}}, 1);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ci.sw_ts.tv_sec == 1700000000 && ci.sw_ts.tv_nsec == 42);

    /* An error-queue transmit timestamp: the extended error names it and its number. */
    memset(&ee, 0, sizeof(ee));
    ee.ee_errno = ENOMSG;
    ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
    ee.ee_info = SCM_TSTAMP_SND;
    ee.ee_data = 7;
    ts.ts[0] = (struct timespec){1700000002, 9};
    ts.ts[2] = (struct timespec){55, 66};
    build(&msg, buf, sizeof(buf),
          (struct cm[]){{SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)},
                        {IPPROTO_IP, IP_RECVERR, &ee, sizeof(ee)}},
          2);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ci.is_tx_ts);
    CHECK_INT_EQ(ci.tx_id, 7);
    CHECK(ci.sw_ts.tv_sec == 1700000002 && ci.sw_ts.tv_nsec == 9);
    CHECK(ci.hw_ts.tv_sec == 55 && ci.hw_ts.tv_nsec == 66);
    /* The same over IPv6. */
    build(&msg, buf, sizeof(buf), (struct cm[]){{IPPROTO_IPV6, IPV6_RECVERR, &ee, sizeof(ee)}}, 1);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ci.is_tx_ts && ci.tx_id == 7 && ts_is_zero(&ci.sw_ts));

    /* An ICMP error is not a timestamp; a truncated message is skipped. */
    ee.ee_errno = ECONNREFUSED;
    ee.ee_origin = SO_EE_ORIGIN_ICMP;
    build(&msg, buf, sizeof(buf), (struct cm[]){{IPPROTO_IP, IP_RECVERR, &ee, sizeof(ee)}}, 1);
    plat_cmsg_parse(&msg, &ci);
    CHECK(!ci.is_tx_ts);
    build(&msg, buf, sizeof(buf), (struct cm[]){{SOL_SOCKET, SO_TIMESTAMPING, &ts, 8}}, 1);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ts_is_zero(&ci.sw_ts));
    /* No control messages at all. */
    memset(&msg, 0, sizeof(msg));
    plat_cmsg_parse(&msg, &ci);
    CHECK(ts_is_zero(&ci.sw_ts) && !ci.is_tx_ts);
}

int main(void)
{
    RUN(test_tracking);
    RUN(test_slew);
    RUN(test_sample_limits);
    RUN(test_readings);
    RUN(test_cmsg);
    return check_summary();
}
