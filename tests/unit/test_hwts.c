/* NIC hardware timestamping (`hwtimestamp`): the kernel interface of proto/hwts.c against
 * <linux/net_tstamp.h> and <linux/sockios.h> (hwtstamp_config, the SIOC*HWTSTAMP requests,
 * filters, flags, scm_ts_pktinfo), chrony's choice of the receive filter, the conversion
 * of a packet's hardware timestamp (core/hwclock.c: the frame's duration, rxcomp, txcomp),
 * the tracking across a change of the system clock's frequency, and the platform's
 * reading of the hardware timestamp, interface and frame length of a datagram. */
#include "check.h"

#include "core/hwclock.h"
#include "lib/ts.h"
#include "platform/internal.h"
#include "proto/hwts.h"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <math.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#define SAME_LAYOUT(ours, theirs, f)                                                               \
    CHECK_INT_EQ(offsetof(struct ours, f), offsetof(struct theirs, f))

static void test_abi(void)
{
    CHECK_INT_EQ(sizeof(struct hwts_config), sizeof(struct hwtstamp_config));
    SAME_LAYOUT(hwts_config, hwtstamp_config, flags);
    SAME_LAYOUT(hwts_config, hwtstamp_config, tx_type);
    SAME_LAYOUT(hwts_config, hwtstamp_config, rx_filter);
    CHECK_INT_EQ(sizeof(struct hwts_pktinfo), sizeof(struct scm_ts_pktinfo));
    SAME_LAYOUT(hwts_pktinfo, scm_ts_pktinfo, if_index);
    SAME_LAYOUT(hwts_pktinfo, scm_ts_pktinfo, pkt_length);
    CHECK_INT_EQ(HWTS_SCM_TIMESTAMPING_PKTINFO, SCM_TIMESTAMPING_PKTINFO);
    CHECK_INT_EQ(HWTS_SIOCSHWTSTAMP, SIOCSHWTSTAMP);
    CHECK_INT_EQ(HWTS_SIOCGHWTSTAMP, SIOCGHWTSTAMP);
    CHECK_INT_EQ(HWTS_TX_OFF, HWTSTAMP_TX_OFF);
    CHECK_INT_EQ(HWTS_TX_ON, HWTSTAMP_TX_ON);
    CHECK_INT_EQ(HWTS_FILTER_NONE, HWTSTAMP_FILTER_NONE);
    CHECK_INT_EQ(HWTS_FILTER_ALL, HWTSTAMP_FILTER_ALL);
    CHECK_INT_EQ(HWTS_FILTER_PTP_V2_L4_EVENT, HWTSTAMP_FILTER_PTP_V2_L4_EVENT);
    CHECK_INT_EQ(HWTS_FILTER_PTP_V2_EVENT, HWTSTAMP_FILTER_PTP_V2_EVENT);
    CHECK_INT_EQ(HWTS_FILTER_NTP_ALL, HWTSTAMP_FILTER_NTP_ALL);
    CHECK_INT_EQ(HWTS_SOF_TX_HARDWARE, SOF_TIMESTAMPING_TX_HARDWARE);
    CHECK_INT_EQ(HWTS_SOF_TX_SOFTWARE, SOF_TIMESTAMPING_TX_SOFTWARE);
    CHECK_INT_EQ(HWTS_SOF_RX_HARDWARE, SOF_TIMESTAMPING_RX_HARDWARE);
    CHECK_INT_EQ(HWTS_SOF_RX_SOFTWARE, SOF_TIMESTAMPING_RX_SOFTWARE);
    CHECK_INT_EQ(HWTS_SOF_SOFTWARE, SOF_TIMESTAMPING_SOFTWARE);
    CHECK_INT_EQ(HWTS_SOF_RAW_HARDWARE, SOF_TIMESTAMPING_RAW_HARDWARE);
    CHECK_INT_EQ(HWTS_SOF_OPT_ID, SOF_TIMESTAMPING_OPT_ID);
    CHECK_INT_EQ(HWTS_SOF_OPT_CMSG, SOF_TIMESTAMPING_OPT_CMSG);
    CHECK_INT_EQ(HWTS_SOF_OPT_TSONLY, SOF_TIMESTAMPING_OPT_TSONLY);
    CHECK_INT_EQ(HWTS_SOF_OPT_PKTINFO, SOF_TIMESTAMPING_OPT_PKTINFO);
}

static uint32_t bits(int a, int b, int c)
{
    uint32_t m = 0;
    if (a >= 0)
        m |= 1u << a;
    if (b >= 0)
        m |= 1u << b;
    if (c >= 0)
        m |= 1u << c;
    return m;
}

/* The filters chrony asks for, and what SIOCSHWTSTAMP is given. */
static void test_rx_filter(void)
{
    uint32_t ntp_all = bits(HWTSTAMP_FILTER_NTP_ALL, HWTSTAMP_FILTER_ALL, -1);
    uint32_t all = bits(HWTSTAMP_FILTER_ALL, HWTSTAMP_FILTER_PTP_V2_EVENT, -1);
    uint32_t ptp = bits(HWTSTAMP_FILTER_PTP_V2_L4_EVENT, HWTSTAMP_FILTER_PTP_V2_EVENT, -1);
    uint32_t ptp2 = bits(HWTSTAMP_FILTER_PTP_V2_EVENT, -1, -1);
    struct hwts_config c, got;

    /* any (the default): NTP_ALL, else ALL, else none (TX only) */
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_ANY, ntp_all), HWTSTAMP_FILTER_NTP_ALL);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_ANY, all), HWTSTAMP_FILTER_ALL);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_ANY, ptp), HWTSTAMP_FILTER_NONE);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_ANY, 0), HWTSTAMP_FILTER_NONE);
    /* ptp: the L4 events, else the v2 events, else none */
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_PTP, ptp), HWTSTAMP_FILTER_PTP_V2_L4_EVENT);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_PTP, ptp2), HWTSTAMP_FILTER_PTP_V2_EVENT);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_PTP, all & ~ptp2), HWTSTAMP_FILTER_NONE);
    /* ntp, all and none are asked as they are, whatever the interface says */
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_NTP, 0), HWTSTAMP_FILTER_NTP_ALL);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_ALL, 0), HWTSTAMP_FILTER_ALL);
    CHECK_INT_EQ(hwts_choose_rx_filter(HWTS_RXF_NONE, ntp_all), HWTSTAMP_FILTER_NONE);

    c = hwts_config_request(HWTSTAMP_FILTER_NTP_ALL);
    CHECK_INT_EQ(c.flags, 0);
    CHECK_INT_EQ(c.tx_type, HWTSTAMP_TX_ON);
    CHECK_INT_EQ(c.rx_filter, HWTSTAMP_FILTER_NTP_ALL);
    /* The configuration read back must be the one asked for. */
    got = c;
    CHECK(hwts_config_is(&got, HWTSTAMP_FILTER_NTP_ALL));
    CHECK(!hwts_config_is(&got, HWTSTAMP_FILTER_ALL));
    got.tx_type = HWTSTAMP_TX_OFF;
    CHECK(!hwts_config_is(&got, HWTSTAMP_FILTER_NTP_ALL));
}

/* A PHC 5 s ahead of the system clock, running at its rate. */
static void track_exact(struct hwclock *h, struct timespec *local)
{
    struct timespec hw;

    hwclock_init(h, 2, 16, 1.0, 1e-9);
    for (int i = 0; i < 4; i++) {
        ts_add(local, local, 1.0);
        ts_add(&hw, local, 5.0);
        hwclock_add_sample(h, &hw, local, 1e-9);
    }
    CHECK(h->valid);
}

static void test_packet_conversion(void)
{
    struct hwclock h;
    struct timespec local = {1700000000, 0}, hw, when, out;
    struct hwclock_packet_opts o = {1000, 42, 0.0, 0.0};
    double d = -1.0;

    track_exact(&h, &local);
    ts_add(&when, &local, 0.25);
    ts_add(&hw, &when, 5.0);
    /* A 48-byte NTP packet over IPv4: 42 + 48 + 4 (FCS) bytes at 1 Gb/s = 752 ns, added:
     * the NIC stamped the start of the frame. */
    CHECK_NEAR(hwclock_frame_duration(94, 1000), 98 * 8e-9, 1e-15);
    CHECK(hwclock_cook_packet(&h, &hw, 48, 0, &o, &out, NULL, &d));
    CHECK_NEAR(d, 752e-9, 1e-12);
    CHECK_NEAR(ts_diff(&out, &when), 752e-9, 2e-9);
    /* The frame's length when the kernel gives it (SCM_TIMESTAMPING_PKTINFO). */
    CHECK(hwclock_cook_packet(&h, &hw, 48, 110, &o, &out, NULL, &d));
    CHECK_NEAR(d, 114 * 8e-9, 1e-12);
    /* IPv6 (62 bytes before the data), at 100 Mb/s. */
    o.l2_udp_start = 62;
    o.link_speed = 100;
    CHECK(hwclock_cook_packet(&h, &hw, 48, 0, &o, &out, NULL, &d));
    CHECK_NEAR(d, (62 + 48 + 4) * 80e-9, 1e-12);
    /* Unknown speed: no correction. */
    o.link_speed = 0;
    CHECK(hwclock_cook_packet(&h, &hw, 48, 0, &o, &out, NULL, &d));
    CHECK_NEAR(d, 0.0, 0.0);
    CHECK_NEAR(ts_diff(&out, &when), 0.0, 2e-9);
    /* rxcomp is subtracted from a receive timestamp, txcomp added to a transmit one. */
    o.link_speed = 1000;
    o.l2_udp_start = 42;
    o.rx_comp = 300e-9;
    o.tx_comp = 1e-6;
    CHECK(hwclock_cook_packet(&h, &hw, 48, 0, &o, &out, NULL, NULL));
    CHECK_NEAR(ts_diff(&out, &when), 752e-9 - 300e-9, 2e-9);
    CHECK(hwclock_cook_packet(&h, &hw, 0, 0, &o, &out, NULL, &d));
    CHECK_NEAR(d, 0.0, 0.0);
    CHECK_NEAR(ts_diff(&out, &when), 1e-6, 2e-9);
    /* Not tracked yet: nothing. */
    hwclock_init(&h, 2, 16, 1.0, 1e-9);
    CHECK(!hwclock_cook_packet(&h, &hw, 48, 0, &o, &out, NULL, NULL));
}

/* The system clock's frequency changes by 100 ppm (and then it is stepped): the tracking
 * follows without starting again. */
static void test_frequency_change(void)
{
    struct hwclock h;
    struct timespec raw = {1700000000, 0}, w, hw, out;
    double t = 0.0, rate = 1.0, off = 0.0; /* raw = t * rate + off (true time t) */
    int n_before;

    hwclock_init(&h, 2, 16, 1.0, 1e-9);
    for (int i = 0; i < 8; i++) {
        t += 1.0;
        ts_add(&w, &raw, t * rate + off);
        ts_add(&hw, &raw, 7.0 + t * (1.0 + 20e-6)); /* the PHC: 20 ppm fast */
        hwclock_add_sample(&h, &hw, &w, 1e-9);
    }
    CHECK(h.valid);
    n_before = h.n;
    /* At true time t + 0.5 the raw clock runs 100 ppm faster from then on. */
    ts_add(&w, &raw, (t + 0.5) * rate + off);
    off -= (t + 0.5) * 100e-6;
    rate *= 1.0 + 100e-6;
    hwclock_slew(&h, &w, 100e-6, 0.0);
    /* Then stepped back 2 ms. */
    ts_add(&w, &raw, (t + 0.7) * rate + off);
    off -= 2e-3;
    hwclock_slew(&h, &w, 0.0, 2e-3);
    for (int i = 0; i < 4; i++) {
        t += 1.0;
        ts_add(&w, &raw, t * rate + off);
        ts_add(&hw, &raw, 7.0 + t * (1.0 + 20e-6));
        hwclock_add_sample(&h, &hw, &w, 1e-9);
        CHECK(h.valid);
    }
    CHECK_INT_EQ(h.n, n_before + 4 > 16 ? 16 : n_before + 4);
    /* A timestamp half a second later converts to the raw time of that instant. */
    ts_add(&hw, &raw, 7.0 + (t + 0.5) * (1.0 + 20e-6));
    ts_add(&w, &raw, (t + 0.5) * rate + off);
    CHECK(hwclock_cook(&h, &hw, &out, NULL));
    CHECK_NEAR(ts_diff(&out, &w), 0.0, 5e-9);
}

static void build(struct msghdr *msg, char *buf, size_t cap, int level[], int type[],
                  const void *data[], size_t len[], int n)
{
    struct cmsghdr *c;
    size_t total = 0;

    memset(buf, 0, cap);
    memset(msg, 0, sizeof(*msg));
    for (int i = 0; i < n; i++)
        total += CMSG_SPACE(len[i]);
    msg->msg_control = buf;
    msg->msg_controllen = total;
    c = CMSG_FIRSTHDR(msg);
    for (int i = 0; i < n; i++, c = CMSG_NXTHDR(msg, c)) {
        c->cmsg_level = level[i];
        c->cmsg_type = type[i];
        c->cmsg_len = CMSG_LEN(len[i]);
        memcpy(CMSG_DATA(c), data[i], len[i]);
    }
}

/* A datagram timestamped by a NIC: the raw hardware timestamp (third of SO_TIMESTAMPING),
 * the interface of IP_PKTINFO and the timestamping device and frame length of
 * SCM_TIMESTAMPING_PKTINFO. */
static void test_cmsg(void)
{
    char buf[512];
    struct msghdr msg;
    struct plat_cmsg_info ci;
    struct scm_timestamping ts;
    struct in_pktinfo pi;
    struct scm_ts_pktinfo tpi;
    int level[3] = {SOL_SOCKET, IPPROTO_IP, SOL_SOCKET};
    int type[3] = {SO_TIMESTAMPING, IP_PKTINFO, SCM_TIMESTAMPING_PKTINFO};
    const void *data[3] = {&ts, &pi, &tpi};
    size_t len[3] = {sizeof(ts), sizeof(pi), sizeof(tpi)};

    memset(&ts, 0, sizeof(ts));
    ts.ts[2] = (struct timespec){1700000123, 456};
    memset(&pi, 0, sizeof(pi));
    pi.ipi_ifindex = 3;
    memset(&tpi, 0, sizeof(tpi));
    tpi.if_index = 5;
    tpi.pkt_length = 90;
    build(&msg, buf, sizeof(buf), level, type, data, len, 3);
    plat_cmsg_parse(&msg, &ci);
    CHECK(ts_is_zero(&ci.sw_ts));
    CHECK(ci.hw_ts.tv_sec == 1700000123 && ci.hw_ts.tv_nsec == 456);
    CHECK_INT_EQ(ci.if_index, 3);
    CHECK_INT_EQ(ci.ts_if_index, 5);
    CHECK_INT_EQ(ci.l2_len, 90);
    /* Without the timestamping message: no length, the interface from IP_PKTINFO only. */
    build(&msg, buf, sizeof(buf), level, type, data, len, 2);
    plat_cmsg_parse(&msg, &ci);
    CHECK_INT_EQ(ci.if_index, 3);
    CHECK_INT_EQ(ci.ts_if_index, 0);
    CHECK_INT_EQ(ci.l2_len, 0);
}

int main(void)
{
    RUN(test_abi);
    RUN(test_rx_filter);
    RUN(test_packet_conversion);
    RUN(test_frequency_change);
    RUN(test_cmsg);
    return check_summary();
}
