/* The daemon's `hwtimestamp` component (daemon/hwts.c) on the shared fake environment with
 * a fake env.hwts: chrony's fatal message for a named interface that cannot, `*` taking
 * the interfaces that can, "(TX only)", and the conversion of a datagram's and a transmit
 * report's hardware timestamps through the tracked PHC (frame duration, rxcomp, txcomp,
 * the interface by index, timestamps too far from the kernel's left alone). */
#include "check.h"

#include "daemon/config.h"
#include "daemon/hwts.h"
#include "daemon/ntp_serve.h"
#include "proto/ptp.h"
#include "daemon/sched.h"
#include "fake_env.h"
#include "lib/ts.h"
#include "proto/hwts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fake NIC: eth0 (ifindex 7) can, everything else cannot. */
struct fake_nic {
    int enables, last_rxfilter;
};

static int nic_enable(void *ctx, const char *name, int rxfilter, struct env_hwts_info *info)
{
    struct fake_nic *nic = ctx;
    if (strcmp(name, "eth0") != 0)
        return 0;
    nic->enables++;
    nic->last_rxfilter = rxfilter;
    info->if_index = 7;
    info->rx_filter = rxfilter == HWTS_RXF_NONE ? HWTS_FILTER_NONE : HWTS_FILTER_NTP_ALL;
    return 1;
}

static char **nic_list(void *ctx, int *n)
{
    static const char *const names[] = {"lo", "eth0", "veth1"};
    char **v = malloc(3 * sizeof(*v));
    (void)ctx;
    for (int i = 0; i < 3; i++)
        v[i] = strdup(names[i]);
    *n = 3;
    return v;
}

static int nic_speed(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "eth0") == 0 ? 1000 : 0;
}

struct rig {
    struct fake_env f;
    struct fake_nic nic;
    struct config *cfg;
    struct sched sched;
    struct hwts h;
};

/* The component on config lines; returns hwts_start's result, its message in err. */
static int rig_start(struct rig *r, const char **lines, char *err, size_t errlen)
{
    char perr[256];

    memset(r, 0, sizeof(*r));
    fake_env_init(&r->f);
    r->f.env.hwts = (struct env_hwts){&r->nic, nic_enable, nic_list, nic_speed};
    fake_env_add_refdev(&r->f, "eth0", 1);
    r->f.refdev[0].phc_offset = 12.5;
    r->cfg = config_new();
    for (int i = 0; lines[i]; i++)
        CHECK(config_parse_line(r->cfg, lines[i], NULL, i + 1, &r->f.env.files, perr,
                                sizeof(perr)) == 0);
    sched_init(&r->sched);
    r->h.cfg = r->cfg;
    r->h.env = &r->f.env;
    r->h.sched = &r->sched;
    r->h.precision = 1e-8;
    err[0] = '\0';
    return hwts_start(&r->h, &r->f.now, err, errlen);
}

static void rig_done(struct rig *r)
{
    hwts_fini(&r->h);
    sched_fini(&r->sched);
    config_free(r->cfg);
    fake_env_fini(&r->f);
}

static void test_named_fatal(void)
{
    struct rig r;
    char err[256];

    CHECK_INT_EQ(rig_start(&r, (const char *[]){"hwtimestamp lo", NULL}, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Could not enable HW timestamping on lo");
    CHECK(!hwts_enabled(&r.h));
    rig_done(&r);
    /* eth0 after lo is never tried: the first named failure ends the start. */
    CHECK_INT_EQ(rig_start(&r, (const char *[]){"hwtimestamp eth0", "hwtimestamp veth1", NULL}, err,
                           sizeof(err)),
                 -1);
    CHECK_STR_EQ(err, "Could not enable HW timestamping on veth1");
    rig_done(&r);
}

static void test_wildcard(void)
{
    struct rig r;
    char err[256];

    CHECK_INT_EQ(rig_start(&r, (const char *[]){"hwtimestamp *", NULL}, err, sizeof(err)), 0);
    CHECK(hwts_enabled(&r.h));
    CHECK_INT_EQ(r.h.n, 1);
    CHECK_INT_EQ(r.nic.enables, 1);
    CHECK(fake_env_log_contains(&r.f, "Enabled HW timestamping on eth0"));
    CHECK_INT_EQ(r.f.refdev[0].opens, 1);
    rig_done(&r);
    /* Named and `*`: the named one's options, once. */
    CHECK_INT_EQ(rig_start(&r,
                           (const char *[]){"hwtimestamp * rxfilter all",
                                            "hwtimestamp eth0 rxfilter none", NULL},
                           err, sizeof(err)),
                 0);
    CHECK_INT_EQ(r.nic.enables, 1);
    CHECK_INT_EQ(r.nic.last_rxfilter, HWTS_RXF_NONE);
    CHECK(fake_env_log_contains(&r.f, "Enabled HW timestamping (TX only) on eth0"));
    rig_done(&r);
}

/* The options of `hwtimestamp`: rxfilter (what the NIC is asked for), nocrossts (the PHC
 * read without cross timestamps), minpoll (the samples' separation) and maxpoll (the poll
 * timer), minsamples, maxsamples and precision (the PHC's tracking, core/hwclock). */
static void test_options(void)
{
    static const struct {
        const char *word;
        int rxfilter;
    } filters[] = {{"none", HWTS_RXF_NONE},
                   {"ntp", HWTS_RXF_NTP},
                   {"ptp", HWTS_RXF_PTP},
                   {"all", HWTS_RXF_ALL}};
    struct rig r;
    struct timespec when;
    char err[256], line[64];

    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        snprintf(line, sizeof(line), "hwtimestamp eth0 rxfilter %s", filters[i].word);
        CHECK_INT_EQ(rig_start(&r, (const char *[]){line, NULL}, err, sizeof(err)), 0);
        CHECK_INT_EQ(r.nic.last_rxfilter, filters[i].rxfilter);
        rig_done(&r);
    }
    /* The defaults. */
    CHECK_INT_EQ(rig_start(&r, (const char *[]){"hwtimestamp eth0", NULL}, err, sizeof(err)), 0);
    CHECK_INT_EQ(r.nic.last_rxfilter, HWTS_RXF_ANY);
    CHECK_INT_EQ(r.f.refdev[0].last_mode, 2); /* cross timestamps */
    CHECK(sched_next(&r.sched, &when));
    CHECK_NEAR(ts_diff(&when, &r.f.now), 2.0, 1e-9);
    CHECK_INT_EQ(r.h.n, 1);
    if (r.h.n == 1) {
        const struct hwclock *c = &r.h.v[0]->clock;
        CHECK(c->min_samples == 2 && c->max_samples == 16);
        CHECK_NEAR(c->min_separation, 1.0, 0);
        CHECK_NEAR(c->precision, 100e-9, 0);
    }
    rig_done(&r);
    CHECK_INT_EQ(rig_start(&r,
                           (const char *[]){"hwtimestamp eth0 minpoll 1 maxpoll 3 minsamples 3 "
                                            "maxsamples 5 precision 1e-6 nocrossts",
                                            NULL},
                           err, sizeof(err)),
                 0);
    CHECK_INT_EQ(r.f.refdev[0].last_mode, 3); /* plain readings */
    CHECK(sched_next(&r.sched, &when));
    CHECK_NEAR(ts_diff(&when, &r.f.now), 8.0, 1e-9);
    CHECK_INT_EQ(r.h.n, 1);
    if (r.h.n == 1) {
        const struct hwclock *c = &r.h.v[0]->clock;
        CHECK(c->min_samples == 3 && c->max_samples == 5);
        CHECK_NEAR(c->min_separation, 2.0, 0);
        CHECK_NEAR(c->precision, 1e-6, 0);
    }
    rig_done(&r);
}

/* The PHC's time of the system time t (the fake PHC reads the clock + 12.5 s). */
static void phc_of(const struct timespec *t, struct timespec *out)
{
    ts_add(out, t, 12.5);
}

static void test_conversion(void)
{
    struct rig r;
    struct net_rx rx;
    struct timespec when;
    char err[256];

    CHECK_INT_EQ(rig_start(&r, (const char *[]){"hwtimestamp eth0 rxcomp 1e-6 txcomp 2e-6", NULL},
                           err, sizeof(err)),
                 0);
    /* One PHC sample at the start; a packet 1.5 s later brings the second one. */
    ts_add(&r.f.now, &r.f.now, 1.5);
    memset(&rx, 0, sizeof(rx));
    rx.len = 48;
    rx.if_index = 7;
    rx.remote.ip.family = IPF_INET4;
    rx.rx_ts = r.f.now;
    rx.rx_ts_src = RXTS_KERNEL;
    ts_add(&when, &r.f.now, -20e-6);
    phc_of(&when, &rx.hw_ts);
    hwts_process(&r.h, &rx, &r.f.now);
    CHECK_INT_EQ(rx.rx_ts_src, RXTS_HW);
    /* the frame's 752 ns at 1 Gb/s added, rxcomp taken off */
    CHECK_NEAR(ts_diff(&rx.rx_ts, &when), 752e-9 - 1e-6, 1e-9);
    /* `extfield F324`: the frame's duration starts the network correction */
    CHECK_NEAR(rx.rx_duration, 752e-9, 1e-12);
    CHECK(rx.net_correction == rx.rx_duration);
    /* The frame's length from the kernel. */
    rx.rx_ts = r.f.now;
    rx.l2_len = 200;
    hwts_process(&r.h, &rx, &r.f.now);
    CHECK_NEAR(ts_diff(&rx.rx_ts, &when), 204 * 8e-9 - 1e-6, 1e-9);
    /* A transmit report: txcomp added, no frame duration. */
    memset(&rx, 0, sizeof(rx));
    rx.len = 48;
    rx.tx_ts = 1;
    rx.if_index = 7;
    rx.rx_ts = r.f.now;
    phc_of(&when, &rx.hw_ts);
    hwts_process(&r.h, &rx, &r.f.now);
    CHECK_INT_EQ(rx.rx_ts_src, RXTS_HW);
    CHECK_NEAR(ts_diff(&rx.rx_ts, &when), 2e-6, 1e-9);
    CHECK(rx.rx_duration == 0.0 && rx.net_correction == 0.0);
    /* Another interface, or 2 s away from the kernel's timestamp: left alone. */
    rx.rx_ts = r.f.now;
    rx.rx_ts_src = RXTS_NONE;
    rx.if_index = 3;
    hwts_process(&r.h, &rx, &r.f.now);
    CHECK_INT_EQ(rx.rx_ts_src, RXTS_NONE);
    CHECK(fake_env_log_contains(&r.f, "HW clock not found for interface 3"));
    rx.if_index = 7;
    ts_add(&when, &r.f.now, -2.0);
    phc_of(&when, &rx.hw_ts);
    hwts_process(&r.h, &rx, &r.f.now);
    CHECK_INT_EQ(rx.rx_ts_src, RXTS_NONE);
    CHECK(fake_env_log_contains(&r.f, "Unacceptable timestamp delay"));
    /* The PHC is polled by a timer too, every 2^maxpoll s (2 s by default). */
    CHECK(sched_next(&r.sched, &when));
    CHECK_NEAR(ts_diff(&when, &r.f.now), 2.0, 1e-9);
    rig_done(&r);
}

/* NTP over PTP (`ptpport`): the correctionField of transparent clocks is added to the
 * network correction of a datagram only when it has one (a hardware timestamp gave it the
 * frame's duration), as chrony NIO_UnwrapMessage; the NTP packet is what is left. */
static void test_ptp_correction(void)
{
    struct fake_env f;
    struct config *cfg = config_new();
    struct ntp_serve s;
    struct net_rx rx, out;
    uint8_t ntp[48] = {0x23}, msg[PTP_NTP_PREFIX_LEN + 48];
    size_t len;
    int64_t corr = (int64_t)(25e-6 * 1e9 * 65536.0); /* 25 us */

    fake_env_init(&f);
    cfg->ptp_port = 319;
    memset(&s, 0, sizeof(s));
    s.cfg = cfg;
    s.env = &f.env;
    s.ptp_socks[0] = 5;
    s.ptp_socks[1] = -1;
    len = ptp_ntp_encode(msg, sizeof(msg), ntp, sizeof(ntp), 123, 1);
    CHECK_INT_EQ(len, sizeof(msg));
    for (int i = 0; i < 8; i++)
        msg[8 + i] = (uint8_t)((uint64_t)corr >> (56 - 8 * i));
    memset(&rx, 0, sizeof(rx));
    rx.sock = 5;
    rx.data = msg;
    rx.len = len;
    /* no hardware timestamp: no correction */
    CHECK(serve_ptp_unwrap(&s, &rx, &out));
    CHECK_INT_EQ(out.len, 48);
    CHECK(out.data == msg + PTP_NTP_PREFIX_LEN);
    CHECK(out.net_correction == 0.0);
    /* with the frame's duration: both */
    rx.rx_duration = rx.net_correction = 1.1e-6;
    CHECK(serve_ptp_unwrap(&s, &rx, &out));
    CHECK_NEAR(out.net_correction, 26.1e-6, 1e-12);
    CHECK(out.rx_duration == 1.1e-6);
    /* the plain NTP socket: untouched */
    rx.sock = 4;
    CHECK(serve_ptp_unwrap(&s, &rx, &out));
    CHECK(out.net_correction == 1.1e-6 && out.len == len);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_ptp_correction);
    RUN(test_named_fatal);
    RUN(test_wildcard);
    RUN(test_options);
    RUN(test_conversion);
    return check_summary();
}
