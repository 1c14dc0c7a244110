/* The PPS and PHC refclock drivers of the node through the fake env.refdev: opening (edge,
 * read-write for extts, missing devices), pulses fetched once per edge and locked to a
 * SOCK refclock, PHC readings (cross timestamps, nocrossts), extts pulses, closing. */
#include "refclock_node.h"

#include "core/refclock.h"
#include "lib/ts.h"

#include <stdio.h>
#include <string.h>

/* A SOCK sample of gpsd: the system time now, true - system = offset. */
static void sock_sample(struct fake_env *f, struct node *n, double offset)
{
    struct refclock_sock_sample s;
    struct net_rx rx;
    memset(&s, 0, sizeof(s));
    s.tv_sec = f->now.tv_sec;
    s.tv_usec = f->now.tv_nsec / 1000;
    s.offset = offset;
    s.magic = REFCLOCK_SOCK_MAGIC;
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->rcl.v[0].sock;
    rx.data = (const uint8_t *)&s;
    rx.len = sizeof(s);
    rx.rx_ts = f->now;
    node_on_datagram(n, &rx, &f->now);
}

static void test_missing_devices(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *pps[] = {"refclock PPS /dev/pps0", NULL};
    const char *phc[] = {"refclock PHC /dev/ptp0", NULL};

    fake_env_init(&f);
    CHECK(!make_node(&f, &cfg, pps, err, sizeof(err)));
    CHECK_STR_EQ(err, "Could not open /dev/pps0 : No such file or directory");
    config_free(cfg);
    CHECK(!make_node(&f, &cfg, phc, err, sizeof(err)));
    CHECK_STR_EQ(err, "Could not open PHC");
    CHECK(fake_env_log_contains(&f, "Could not open PHC (of) /dev/ptp0"));
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_pps_locked(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *lines[] = {"logdir /var/log/chrony", "log refclocks",
                           "refclock SOCK /run/gps.sock refid GPS poll 2",
                           "refclock PPS /dev/pps0:clear lock GPS poll 2", NULL};
    struct node *n;
    int d;

    fake_env_init(&f);
    d = fake_env_add_refdev(&f, "/dev/pps0", 0);
    n = make_node(&f, &cfg, lines, err, sizeof(err));
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK_INT_EQ(f.refdev[d].opens, 1);
    CHECK_INT_EQ(f.refdev[d].clear, 1);
    for (int k = 1; k <= 20; k++) {
        /* the system clock is 100 us ahead: the edge of second k at k + 100 us */
        f.refdev[d].seq[1] = (uint32_t)k;
        f.refdev[d].edge[1] = (struct timespec){1700000000 + k, 100000};
        f.refdev[d].seq[0] = 1000; /* the assert edge is not the one asked */
        fake_env_set_time(&f, 1700000000 + k, 300000000);
        sock_sample(&f, n, -100e-6 + 0.0123); /* a coarse time 12.3 ms off */
        node_on_timer(n, &f.now);
        if (k == 10) {
            /* the same edge fetched again is not a new pulse */
            node_on_timer(n, &f.now);
        }
    }
    /* every edge once, at its place in the second: the system clock 100 us ahead */
    CHECK_INT_EQ(log_lines_with(&f, " N 1 -1.000000e-04 -1.000000e-04"), 20);
    node_free(n);
    CHECK_INT_EQ(f.refdev[d].opens, 0);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_phc_readings(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *lines[] = {"logdir /var/log/chrony", "log refclocks",
                           "refclock PHC /dev/ptp0 poll 2 dpoll 0",
                           "refclock PHC /dev/ptp1:nocrossts poll 2", NULL};
    struct node *n;
    int d0, d1;

    fake_env_init(&f);
    d0 = fake_env_add_refdev(&f, "/dev/ptp0", 1);
    d1 = fake_env_add_refdev(&f, "/dev/ptp1", 1);
    f.refdev[d0].phc_offset = 37.0; /* a PHC on TAI */
    f.refdev[d1].phc_offset = -0.25;
    n = make_node(&f, &cfg, lines, err, sizeof(err));
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK_INT_EQ(f.refdev[d0].rw, 0);
    for (int k = 1; k <= 12; k++) {
        fake_env_set_time(&f, 1700000000 + k, 0);
        node_on_timer(n, &f.now);
    }
    CHECK_INT_EQ(f.refdev[d0].last_mode, 2);
    CHECK_INT_EQ(f.refdev[d1].last_mode, 3);
    /* raw offsets: the reference minus the system clock */
    CHECK(strstr(fake_env_get_file(&f, LOG_PATH), "PHC0    1 N 0  3.700000e+01") != NULL);
    CHECK(strstr(fake_env_get_file(&f, LOG_PATH), "PHC1    1 N 0 -2.500000e-01") != NULL);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_phc_extpps(void)
{
    struct fake_env f;
    struct config *cfg;
    char err[256];
    const char *lines[] = {
        "logdir /var/log/chrony", "log refclocks", "refclock SOCK /run/gps.sock refid GPS poll 2",
        "refclock PHC /dev/ptp0:extpps:pin=1:channel=2:clear lock GPS poll 2", NULL};
    struct node *n;
    int d;

    fake_env_init(&f);
    d = fake_env_add_refdev(&f, "/dev/ptp0", 1);
    f.refdev[d].phc_offset = 0.5;
    n = make_node(&f, &cfg, lines, err, sizeof(err));
    CHECK(n != NULL);
    if (!n)
        return;
    CHECK_INT_EQ(f.refdev[d].rw, 1);
    CHECK_INT_EQ(f.refdev[d].extts_on, 1);
    CHECK_INT_EQ(f.refdev[d].extts_pin, 1);
    CHECK_INT_EQ(f.refdev[d].extts_channel, 2);
    CHECK_INT_EQ(f.refdev[d].extts_falling, 1);
    CHECK_INT_EQ(f.refdev[d].extts_rising, 0);
    for (int k = 1; k <= 20; k++) {
        struct timespec edge;
        fake_env_set_time(&f, 1700000000 + k, 0);
        node_on_timer(n, &f.now); /* a PHC reading for the tracking */
        sock_sample(&f, n, -200e-6 + 0.004);
        /* the pulse came at system time k + 200 us: PHC time + 0.5 s */
        fake_env_set_time(&f, 1700000000 + k, 300000000);
        ts_add(&edge, &(struct timespec){1700000000 + k, 200000}, 0.5);
        fake_env_extts(&f, d, &edge);
        if (k == 5)
            fake_env_extts(&f, d, &edge); /* a duplicate is ignored */
    }
    CHECK(log_lines_with(&f, " N 1 -2.000000e-04 -2.000000e-04") >= 15);
    CHECK(fake_env_log_contains(&f, "Ignoring duplicated PHC timestamp"));
    node_free(n);
    CHECK_INT_EQ(f.refdev[d].extts_on, 0);
    CHECK_INT_EQ(f.refdev[d].opens, 0);
    config_free(cfg);
    fake_env_fini(&f);
}

/* A fake System V shared memory: the key and permissions asked for. */
struct fake_shm {
    int key, perm, attached;
    struct refclock_shm_time seg;
};

static void *shm_attach(void *ctx, int key, size_t size, int perm, char *err, size_t errlen)
{
    struct fake_shm *s = ctx;
    (void)err;
    (void)errlen;
    if (size > sizeof(s->seg))
        return NULL;
    s->key = key;
    s->perm = perm;
    s->attached++;
    return &s->seg;
}

static void shm_detach(void *ctx, void *addr)
{
    struct fake_shm *s = ctx;
    (void)addr;
    s->attached--;
}

/* SHM UNIT:perm=MODE: the segment of key "NTP0" + UNIT is created with that mode (0600
 * without the option). */
static void test_shm_perm(void)
{
    static const struct {
        const char *line;
        int key, perm;
    } cases[] = {
        {"refclock SHM 0", 0x4e545030, 0600},
        {"refclock SHM 2:perm=0644", 0x4e545032, 0644},
        {"refclock SHM 1:perm=0666", 0x4e545031, 0666},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake_env f;
        struct fake_shm shm;
        struct config *cfg;
        struct node *n;
        char err[256];
        const char *lines[] = {cases[i].line, NULL};

        fake_env_init(&f);
        memset(&shm, 0, sizeof(shm));
        f.env.shm = (struct env_shm){&shm, shm_attach, shm_detach, NULL};
        n = make_node(&f, &cfg, lines, err, sizeof(err));
        CHECK(n != NULL);
        CHECK_INT_EQ(shm.attached, 1);
        CHECK_INT_EQ(shm.key, cases[i].key);
        CHECK_INT_EQ(shm.perm, cases[i].perm);
        node_free(n);
        CHECK_INT_EQ(shm.attached, 0);
        config_free(cfg);
        fake_env_fini(&f);
    }
}

int main(void)
{
    RUN(test_missing_devices);
    RUN(test_pps_locked);
    RUN(test_phc_readings);
    RUN(test_phc_extpps);
    RUN(test_shm_perm);
    return check_summary();
}
