/* Reference clocks: the SHM and SOCK decoders (ntpd's segment handshake, gpsd's SOCK
 * datagram), and the engine's refclock path: sample checks, the median filter of a poll,
 * the reachability, selection, and pulses locked to another refclock. */
#include "check.h"

#include "core/engine.h"
#include "core/leapdb.h"
#include "core/refclock.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

static void shm_sample(struct refclock_shm_time *t, int mode)
{
    memset(t, 0, sizeof(*t));
    t->mode = mode;
    t->count = 7;
    t->valid = 1;
    t->receive_sec = 1700000000;
    t->receive_usec = 250000;
    t->receive_nsec = 250000123;
    t->clock_sec = 1700000000;
    t->clock_usec = 750000;
    t->clock_nsec = 750000456;
    t->leap = 1;
}

static void test_shm_decode(void)
{
    struct refclock_shm_time t;
    struct refclock_reading r;

    shm_sample(&t, 0);
    CHECK_INT_EQ(refclock_shm_decode(&t, 99, &r), REFCLOCK_OK); /* mode 0 ignores count */
    CHECK_INT_EQ((int)r.sys.tv_sec, 1700000000);
    CHECK_INT_EQ((int)r.sys.tv_nsec, 250000123); /* nsec fields agree with usec: used */
    CHECK_INT_EQ((int)r.ref.tv_nsec, 750000456);
    CHECK_INT_EQ(r.leap, 1);
    CHECK_INT_EQ(r.pulse, 0);

    shm_sample(&t, 1);
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_OK);
    CHECK_INT_EQ(refclock_shm_decode(&t, 8, &r), REFCLOCK_COUNT_CHANGED);
    t.valid = 0;
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_NOT_VALID);
    shm_sample(&t, 2);
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_BAD_MODE);
    shm_sample(&t, -1);
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_BAD_MODE);

    /* A writer of microseconds only: stale nsec fields are not used. */
    shm_sample(&t, 0);
    t.clock_nsec = 0;
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_OK);
    CHECK_INT_EQ((int)r.sys.tv_nsec, 250000000);
    CHECK_INT_EQ((int)r.ref.tv_nsec, 750000000);
    /* Out-of-range fields are normalised, never trusted. */
    t.receive_usec = 2500000;
    t.clock_usec = -250000;
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_OK);
    CHECK_INT_EQ((int)r.sys.tv_sec, 1700000002);
    CHECK_INT_EQ((int)r.sys.tv_nsec, 500000000);
    CHECK_INT_EQ((int)r.ref.tv_sec, 1699999999);
    CHECK_INT_EQ((int)r.ref.tv_nsec, 750000000);
    /* Seconds no date has: refused before any arithmetic can overflow. */
    shm_sample(&t, 0);
    t.clock_sec = (time_t)(1LL << 62);
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_BAD_TIME);
    shm_sample(&t, 0);
    t.receive_sec = (time_t) - (1LL << 41);
    CHECK_INT_EQ(refclock_shm_decode(&t, 7, &r), REFCLOCK_BAD_TIME);
}

static size_t sock_sample(uint8_t *buf, long sec, long usec, double offset, int pulse, int leap,
                          int magic)
{
    struct refclock_sock_sample s;

    memset(&s, 0, sizeof(s));
    s.tv_sec = sec;
    s.tv_usec = usec;
    s.offset = offset;
    s.pulse = pulse;
    s.leap = leap;
    s.magic = magic;
    memcpy(buf, &s, sizeof(s));
    return sizeof(s);
}

static void test_sock_decode(void)
{
    uint8_t buf[64];
    struct refclock_reading r;
    size_t len;

    CHECK_INT_EQ((int)sizeof(struct refclock_sock_sample), 40); /* gpsd's on 64-bit Linux */
    len = sock_sample(buf, 1700000000, 100000, -0.25, 0, 2, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_OK);
    CHECK_INT_EQ((int)r.sys.tv_sec, 1700000000);
    CHECK_INT_EQ((int)r.sys.tv_nsec, 100000000);
    CHECK_NEAR(ts_diff(&r.ref, &r.sys), -0.25, 1e-9);
    CHECK_INT_EQ(r.leap, 2);
    CHECK_INT_EQ(r.pulse, 0);
    len = sock_sample(buf, 1700000000, 999999, 1234.5, 0, 0, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_OK);
    CHECK_NEAR(ts_diff(&r.ref, &r.sys), 1234.5, 1e-9);
    /* A pulse carries its offset within the second. */
    len = sock_sample(buf, 1700000000, 5, 0.0001, 1, 0, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_OK);
    CHECK_INT_EQ(r.pulse, 1);
    CHECK_NEAR(r.pulse_offset, 0.0001, 1e-12);
    CHECK_INT_EQ(refclock_sock_decode(buf, len - 1, &r), REFCLOCK_BAD_LENGTH);
    CHECK_INT_EQ(refclock_sock_decode(buf, len + 1, &r), REFCLOCK_BAD_LENGTH);
    CHECK_INT_EQ(refclock_sock_decode(buf, 0, &r), REFCLOCK_BAD_LENGTH);
    len = sock_sample(buf, 1700000000, 5, 0.0, 0, 0, 0x4b434f53);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_BAD_MAGIC);
    len = sock_sample(buf, 0x7fffffffffffffffL, 5, 0.0, 0, 0, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_BAD_TIME);
    len = sock_sample(buf, 1700000000, -0x7fffffffffffffffL, 0.0, 0, 0, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_BAD_TIME);
    /* A NaN offset decodes, and the sanity check refuses it. */
    len = sock_sample(buf, 1700000000, -7, NAN, 0, 0, REFCLOCK_SOCK_MAGIC);
    CHECK_INT_EQ(refclock_sock_decode(buf, len, &r), REFCLOCK_OK);
    CHECK_INT_EQ((int)r.sys.tv_sec, 1699999999);
    CHECK(!refclock_time_offset_sane(&r.sys, NAN));
}

static void test_checks(void)
{
    struct timespec t = {1700000000, 0};

    CHECK(refclock_time_offset_sane(&t, 0.5));
    CHECK(!refclock_time_offset_sane(&t, 5e9));
    CHECK(!refclock_time_offset_sane(&t, -1.7e9)); /* before the NTP era of the daemon */
    CHECK_NEAR(refclock_fold_pulse(0.3, 1), 0.3, 1e-12);
    CHECK_NEAR(refclock_fold_pulse(0.7, 1), -0.3, 1e-12);
    CHECK_NEAR(refclock_fold_pulse(-0.7, 1), 0.3, 1e-12);
    CHECK_NEAR(refclock_fold_pulse(2.1, 1), 0.1, 1e-12);
    CHECK_NEAR(refclock_fold_pulse(0.3, 10), 0.0, 1e-12);
    CHECK(refclock_pulse_edge_ok(0.0, 1, 0.4, 0.4));
    CHECK(refclock_pulse_edge_ok(0.1, 1, 0.04, 0.0));
    CHECK(!refclock_pulse_edge_ok(0.1, 1, 0.06, 0.0));
}

struct rig {
    struct engine e;
    struct engine_out out;
    struct rng rng;
    struct timespec now;
};

static void rig_init(struct rig *r)
{
    struct engine_config c;

    memset(r, 0, sizeof(*r));
    memset(&c, 0, sizeof(c));
    clock_config_default(&c.clock);
    disc_config_default(&c.disc);
    select_config_default(&c.select);
    c.mode = DISC_MODE_NORMAL;
    c.precision = 1e-8;
    c.precision_log2 = -26;
    rng_seed(&r->rng, 1);
    r->now.tv_sec = 1700000000;
    engine_init(&r->e, &c, &r->rng, &r->now);
    engine_out_init(&r->out);
    engine_start(&r->e, &r->now, 0, 0, 0.0, 0.0, &r->out);
}

static void rig_fini(struct rig *r)
{
    engine_out_fini(&r->out);
    engine_fini(&r->e);
}

static int add_refclock(struct rig *r, uint32_t ref_id, uint32_t lock)
{
    struct engine_source_params p;
    struct refclock_params rp;

    memset(&rp, 0, sizeof(rp));
    rp.poll = 0;
    rp.dpoll = -2;
    rp.driver_polled = 1;
    rp.filter_length = 64;
    rp.max_lock_age = 2;
    rp.delay = 1e-9;
    rp.lock_ref_id = lock;
    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    sourcestats_params_default(&p.stats);
    p.stats.asymmetry = 0.0;
    p.ref_id = ref_id;
    p.refclock = &rp;
    return engine_add_source(&r->e, &p, &r->now);
}

/* A reading now: the true time is the system time + offset (chrony's sign). */
static int reading(struct rig *r, int index, double offset, struct engine_refclock_log *l)
{
    struct refclock_reading rd;

    memset(&rd, 0, sizeof(rd));
    rd.sys = r->now;
    ts_add(&rd.ref, &r->now, offset);
    return engine_refclock_sample(&r->e, index, &rd, &r->now, l);
}

static void advance(struct rig *r, double s)
{
    ts_add(&r->now, &r->now, s);
}

static void test_filter_and_reach(void)
{
    static const double offs[5] = {0.10, 0.12, 0.11, 0.50, 0.13};
    struct engine_refclock_log l;
    struct rig r;
    int i, s;

    rig_init(&r);
    s = add_refclock(&r, 0x47505300, 0);
    CHECK_INT_EQ(engine_source(&r.e, s)->armed, 0); /* a refclock never transmits */
    CHECK_INT_EQ(engine_refclock_report_poll(&r.e, s), 0);
    for (i = 0; i < 5; i++) {
        advance(&r, 0.2);
        CHECK(reading(&r, s, offs[i], &l));
        CHECK_INT_EQ(l.filtered, 0);
        CHECK_NEAR(l.raw_offset, offs[i], 1e-9);
        CHECK_NEAR(l.cooked_offset, offs[i], 1e-9);
    }
    engine_out_clear(&r.out);
    CHECK(engine_refclock_poll(&r.e, s, &r.now, &r.out, &l));
    CHECK_INT_EQ(l.filtered, 1);
    /* The 60% closest to the median: the outlier and the lowest offset are left out. */
    CHECK(l.cooked_offset > 0.105 && l.cooked_offset < 0.135);
    CHECK_INT_EQ((int)engine_source(&r.e, s)->client.reach, 1);
    CHECK_INT_EQ((int)engine_source(&r.e, s)->n_samples, 1);
    /* The engine's sample has the opposite sign: the local clock is slow. */
    engine_out_clear(&r.out);
    advance(&r, 1.0);
    CHECK(!engine_refclock_poll(&r.e, s, &r.now, &r.out, &l)); /* nothing read */
    CHECK_INT_EQ((int)engine_source(&r.e, s)->client.reach, 2);
    rig_fini(&r);
}

static void test_sample_checks(void)
{
    struct engine_refclock_log l;
    struct refclock_reading rd;
    struct rig r;
    int s;

    rig_init(&r);
    s = add_refclock(&r, 0x47505300, 0);
    memset(&rd, 0, sizeof(rd));
    /* Older than two polls, or from the future: dropped. */
    ts_add(&rd.sys, &r.now, -2.5);
    rd.ref = rd.sys;
    CHECK(!engine_refclock_sample(&r.e, s, &rd, &r.now, &l));
    ts_add(&rd.sys, &r.now, 0.5);
    rd.ref = rd.sys;
    CHECK(!engine_refclock_sample(&r.e, s, &rd, &r.now, &l));
    /* An unsynchronised leap status: dropped. */
    rd.sys = r.now;
    rd.ref = r.now;
    rd.leap = 3;
    CHECK(!engine_refclock_sample(&r.e, s, &rd, &r.now, &l));
    rd.leap = 1;
    CHECK(engine_refclock_sample(&r.e, s, &rd, &r.now, &l));
    CHECK_INT_EQ(l.leap, 1);
    /* The same time again: the filter takes increasing times only. */
    CHECK(!engine_refclock_sample(&r.e, s, &rd, &r.now, &l));
    /* A reading of an NTP source index is refused. */
    CHECK(!engine_refclock_sample(&r.e, 5, &rd, &r.now, &l));
    rig_fini(&r);
}

static void test_selected(void)
{
    struct engine_refclock_log l;
    struct rig r;
    int s, polls;

    rig_init(&r);
    s = add_refclock(&r, 0x47505300, 0);
    CHECK_INT_EQ(engine_refclock_find(&r.e, 0x47505300), s);
    CHECK_INT_EQ(engine_refclock_find(&r.e, 0x47505301), -1);
    for (polls = 0; polls < 20 && engine_selected(&r.e) != s; polls++) {
        for (int i = 0; i < 4; i++) {
            advance(&r, 0.25);
            reading(&r, s, 0.0, &l);
        }
        engine_out_clear(&r.out);
        engine_refclock_poll(&r.e, s, &r.now, &r.out, &l);
    }
    CHECK_INT_EQ(engine_selected(&r.e), s);
    CHECK_INT_EQ(engine_source(&r.e, s)->stratum, 0);
    rig_fini(&r);
}

static void test_locked_pulse(void)
{
    struct engine_refclock_log l;
    struct refclock_reading rd;
    struct rig r;
    int a, b;

    rig_init(&r);
    a = add_refclock(&r, 0x4e4d4541, 0);          /* "NMEA": seconds, 1.3 s off */
    b = add_refclock(&r, 0x50505300, 0x4e4d4541); /* "PPS", locked to it */
    memset(&rd, 0, sizeof(rd));
    rd.pulse = 1;
    /* No sample of the lock yet: the pulse cannot be numbered. */
    rd.sys = r.now;
    rd.pulse_offset = -0.3001;
    CHECK(!engine_refclock_sample(&r.e, b, &rd, &r.now, &l));
    CHECK(reading(&r, a, 1.3, &l));
    advance(&r, 0.1);
    rd.sys = r.now;
    CHECK(engine_refclock_sample(&r.e, b, &rd, &r.now, &l));
    CHECK_INT_EQ(l.pulse, 1);
    CHECK_NEAR(l.cooked_offset, 1.3001, 1e-9); /* the whole second from the lock */
    /* Too far from the lock's sample (maxlockage 2 pulses): dropped. */
    advance(&r, 2.5);
    rd.sys = r.now;
    CHECK(!engine_refclock_sample(&r.e, b, &rd, &r.now, &l));
    /* A pulse without a lock needs us synchronised: dropped here. */
    rig_fini(&r);
    rig_init(&r);
    b = add_refclock(&r, 0x50505300, 0);
    rd.sys = r.now;
    CHECK(!engine_refclock_sample(&r.e, b, &rd, &r.now, &l));
    rig_fini(&r);
}

/* The daemon's defaults for a polled refclock (refclocks.c), for the option tests. */
static void default_rp(struct refclock_params *rp)
{
    memset(rp, 0, sizeof(*rp));
    rp->poll = 0;
    rp->dpoll = -2;
    rp->driver_polled = 1;
    rp->filter_length = 64;
    rp->max_lock_age = 2;
    rp->delay = 1e-9;
}

static int add_refclock_rp(struct rig *r, uint32_t ref_id, const struct refclock_params *rp)
{
    struct engine_source_params p;

    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    sourcestats_params_default(&p.stats);
    p.stats.asymmetry = 0.0;
    p.ref_id = ref_id;
    p.refclock = rp;
    return engine_add_source(&r->e, &p, &r->now);
}

/* Readings every 0.25 s and a poll each second until the refclock is selected. */
static void poll_until_selected(struct rig *r, int s, double offset)
{
    struct engine_refclock_log l;

    for (int polls = 0; polls < 20 && engine_selected(&r->e) != s; polls++) {
        for (int i = 0; i < 4; i++) {
            advance(r, 0.25);
            reading(r, s, offset, &l);
        }
        engine_out_clear(&r->out);
        engine_refclock_poll(&r->e, s, &r->now, &r->out, &l);
    }
}

/* `filter 2`: the poll's sample comes from the last two readings only. */
static void test_filter_option(void)
{
    static const double offs[5] = {0.10, 0.10, 0.10, 0.30, 0.30};
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct rig r;

    for (int len = 64; len >= 2; len -= 62) {
        int s;
        rig_init(&r);
        default_rp(&rp);
        rp.filter_length = len;
        s = add_refclock_rp(&r, 0x47505300, &rp);
        for (int i = 0; i < 5; i++) {
            advance(&r, 0.2);
            CHECK(reading(&r, s, offs[i], &l));
        }
        engine_out_clear(&r.out);
        CHECK(engine_refclock_poll(&r.e, s, &r.now, &r.out, &l));
        if (len == 2)
            CHECK_NEAR(l.cooked_offset, 0.30, 1e-6);
        else
            CHECK(l.cooked_offset < 0.2); /* mostly the earlier readings */
        rig_fini(&r);
    }
}

/* `precision 1e-3`: the readings' dispersion; `delay 0.01`: the samples' delay;
 * `stratum 3`: the refclock's stratum once selected. */
static void test_precision_delay_stratum(void)
{
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct rig r;
    int s;

    rig_init(&r);
    default_rp(&rp);
    rp.precision = 1e-3;
    rp.delay = 0.01;
    rp.stratum = 3;
    s = add_refclock_rp(&r, 0x47505300, &rp);
    advance(&r, 0.25);
    CHECK(reading(&r, s, 0.0, &l));
    CHECK(l.dispersion >= 1e-3 && l.dispersion < 1.001e-3);
    poll_until_selected(&r, s, 0.0);
    CHECK_INT_EQ(engine_selected(&r.e), s);
    CHECK_INT_EQ(engine_source(&r.e, s)->stratum, 3);
    CHECK_NEAR(sourcestats_min_round_trip_delay(engine_source(&r.e, s)->stats), 0.01, 1e-9);
    rig_fini(&r);
}

/* `maxdispersion 1e-6`: a poll of scattered readings gives no sample. */
static void test_maxdispersion_option(void)
{
    static const double offs[5] = {0.10, 0.12, 0.11, 0.14, 0.13};
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct rig r;

    for (int limit = 0; limit < 2; limit++) {
        int s;
        rig_init(&r);
        default_rp(&rp);
        rp.max_dispersion = limit ? 1e-6 : 0.0;
        s = add_refclock_rp(&r, 0x47505300, &rp);
        for (int i = 0; i < 5; i++) {
            advance(&r, 0.2);
            CHECK(reading(&r, s, offs[i], &l));
        }
        engine_out_clear(&r.out);
        CHECK_INT_EQ(engine_refclock_poll(&r.e, s, &r.now, &r.out, &l), !limit);
        rig_fini(&r);
    }
}

/* `pps`: the readings of a refclock locked to another are pulses (their whole seconds
 * come from the lock); `rate 2`: pulses twice a second, so maxlockage 2 is one second. */
static void test_pps_and_rate_options(void)
{
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct rig r;

    for (int rate = 1; rate <= 2; rate++) {
        int a, b;
        rig_init(&r);
        default_rp(&rp);
        a = add_refclock_rp(&r, 0x4e4d4541, &rp); /* "NMEA": 1.3 s off */
        rp.lock_ref_id = 0x4e4d4541;
        rp.pps_forced = 1;
        rp.pps_rate = rate;
        b = add_refclock_rp(&r, 0x50505300, &rp);
        CHECK(reading(&r, a, 1.3, &l));
        advance(&r, 0.1);
        CHECK(reading(&r, b, 0.3001, &l)); /* only the fraction counts */
        CHECK_INT_EQ(l.pulse, 1);
        CHECK_NEAR(l.cooked_offset, 1.3001, 1e-6);
        advance(&r, 1.1); /* 1.2 s after the lock's sample */
        CHECK_INT_EQ(reading(&r, b, 0.3001, &l), rate == 1);
        rig_fini(&r);
    }
}

/* `width 0.1`: a pulse further from the lock's second than its width allows is dropped. */
static void test_width_option(void)
{
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct rig r;

    for (int wide = 0; wide < 2; wide++) {
        int a, b;
        rig_init(&r);
        default_rp(&rp);
        a = add_refclock_rp(&r, 0x4e4d4541, &rp);
        rp.lock_ref_id = 0x4e4d4541;
        rp.pps_forced = 1;
        rp.pulse_width = wide ? 0.1 : 0.0;
        b = add_refclock_rp(&r, 0x50505300, &rp);
        CHECK(reading(&r, a, 1.3, &l));
        advance(&r, 0.1);
        /* 0.08 s off the lock's second: more than half the width */
        CHECK_INT_EQ(reading(&r, b, 0.38, &l), !wide);
        rig_fini(&r);
    }
}

/* `tai`: the refclock keeps TAI; the leap second table's offset is taken off, and without
 * the table the readings cannot be used. */
static void test_tai_option(void)
{
    static const char list[] = "2272060800 10\n3692217600 37\n";
    struct engine_refclock_log l;
    struct refclock_params rp;
    struct leapdb db;
    struct rig r;
    int s;

    rig_init(&r);
    default_rp(&rp);
    rp.tai = 1;
    s = add_refclock_rp(&r, 0x47505300, &rp);
    advance(&r, 0.25);
    CHECK(!reading(&r, s, 37.01, &l));
    CHECK_INT_EQ(leapdb_parse_list(&db, list, strlen(list)), 0);
    engine_set_leapdb(&r.e, &db, 1);
    advance(&r, 0.25);
    CHECK(reading(&r, s, 37.01, &l));
    CHECK_NEAR(l.cooked_offset, 0.01, 1e-6);
    rig_fini(&r);
}

/* `local`: readings are pulses locked to the refclock's own last sample (the first one
 * starts the lock), unsynchronised so that selection leaves it out, maxlockage at least 3;
 * a longer gap loses the lock (the daemon warns) and the next pulse starts again. */
static void test_local(void)
{
    struct engine_refclock_log l;
    struct select_source_state st;
    struct refclock_params rp;
    struct engine_source_params p;
    struct rig r;
    int s, polls;

    rig_init(&r);
    memset(&rp, 0, sizeof(rp));
    rp.poll = 0;
    rp.dpoll = -2;
    rp.driver_polled = 1;
    rp.filter_length = 64;
    rp.max_lock_age = 2;
    rp.delay = 1e-9;
    rp.stratum = 3;
    rp.local = 1;
    memset(&p, 0, sizeof(p));
    ntp_client_opts_default(&p.client);
    sourcestats_params_default(&p.stats);
    p.ref_id = 0x4f43584f; /* "OCXO" */
    p.refclock = &rp;
    s = engine_add_source(&r.e, &p, &r.now);
    /* 2.3 s off: a pulse keeps only the place in the second, 0.3 s. */
    for (polls = 0; polls < 12; polls++) {
        for (int i = 0; i < 4; i++) {
            advance(&r, 0.25);
            CHECK(reading(&r, s, 2.3 + 1e-6 * polls, &l));
            CHECK_INT_EQ(l.pulse, 1);
            CHECK_INT_EQ(l.leap, 3);
            CHECK_NEAR(l.cooked_offset, 0.3 + 1e-6 * polls, 1e-3);
        }
        engine_out_clear(&r.out);
        CHECK(engine_refclock_poll(&r.e, s, &r.now, &r.out, &l));
        CHECK_INT_EQ(l.leap, 3);
    }
    CHECK_INT_EQ(engine_selected(&r.e), -1);
    CHECK_INT_EQ(engine_source(&r.e, s)->leap, 3);
    CHECK_INT_EQ(engine_source(&r.e, s)->stratum, 3);
    CHECK(engine_get_select_state(&r.e, s, &st));
    CHECK_INT_EQ(st.status, SELECT_ST_UNSYNCHRONISED);
    CHECK(sourcestats_samples(engine_source(&r.e, s)->stats) > 0);
    /* 2.9 s without a pulse is within maxlockage 3 (raised from 2). */
    advance(&r, 2.9);
    CHECK(reading(&r, s, 2.3, &l));
    CHECK_INT_EQ(l.lost_lock, 0);
    /* 3.5 s is not: the lock is lost, the samples dropped; the next pulse starts again. */
    advance(&r, 3.5);
    CHECK(!reading(&r, s, 2.3, &l));
    CHECK_INT_EQ(l.lost_lock, 1);
    CHECK_INT_EQ(sourcestats_samples(engine_source(&r.e, s)->stats), 0);
    advance(&r, 0.25);
    CHECK(reading(&r, s, 2.3, &l));
    CHECK_INT_EQ(l.lost_lock, 0);
    rig_fini(&r);
}

int main(void)
{
    RUN(test_shm_decode);
    RUN(test_sock_decode);
    RUN(test_checks);
    RUN(test_filter_and_reach);
    RUN(test_sample_checks);
    RUN(test_selected);
    RUN(test_locked_pulse);
    RUN(test_local);
    RUN(test_filter_option);
    RUN(test_precision_delay_stratum);
    RUN(test_maxdispersion_option);
    RUN(test_pps_and_rate_options);
    RUN(test_width_option);
    RUN(test_tai_option);
    return check_summary();
}
