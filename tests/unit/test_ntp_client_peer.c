/* Unit tests for symmetric mode (src/core/ntp_client_peer.c): two peer associations
 * exchanging packets directly, with clocks 10 ms apart and 1 ms one-way delays; the
 * protocol restart through the "initial" packet, the mode checks, the transmit spacing
 * rules and the key. */
#include "check.h"

#include "core/keys.h"
#include "core/ntp_client.h"
#include "core/ntp_server.h"
#include "lib/rng.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <string.h>

static const struct timespec base = {1700000000, 0};
static const struct ntp_client_params params = {1e-7, 1e-6};

struct peer {
    struct ntp_client c;
    double clock_off; /* s, this clock minus true time */
    int stratum;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    size_t len;
    struct timespec tx; /* local time the packet left */
    /* `extfield F323`: the monotonic timescale served (local time + mono_offset) */
    int mono_valid;
    double mono_offset, root_delay;
    uint32_t mono_epoch;
};

static struct timespec local_at(const struct peer *p, double true_s)
{
    struct timespec t;
    ts_add(&t, &base, true_s + p->clock_off);
    return t;
}

static void peer_init(struct peer *p, double off, int stratum)
{
    struct ntp_client_opts o;
    struct timespec t0 = base;
    memset(p, 0, sizeof(*p));
    ntp_client_opts_default(&o);
    o.symmetric = 1;
    o.minpoll = o.maxpoll = 0;
    ntp_client_init(&p->c, &o, &params);
    ntp_client_start(&p->c, &t0);
    p->clock_off = off;
    p->stratum = stratum;
    ntp_client_set_our_stratum(&p->c, stratum);
}

/* p transmits at true time t. */
static int send_at(struct peer *p, double t, struct rng *rng)
{
    struct ntp_server_ref ref;
    struct timespec now = local_at(p, t);
    p->len = ntp_client_on_timer(&p->c, &now, rng, p->pkt, sizeof(p->pkt), NULL);
    if (!p->len)
        return 0;
    ntp_server_ref_local(&ref, p->stratum, &now, -20);
    ref.root_delay = p->root_delay;
    ref.mono_valid = p->mono_valid;
    ref.mono_offset = p->mono_offset;
    ref.mono_epoch = p->mono_epoch;
    p->tx = now;
    p->len = ntp_client_peer_finish(&p->c, p->pkt, p->len, sizeof(p->pkt), &ref, &now);
    return p->len > 0;
}

/* to receives from's last packet at true time t. */
static enum ntp_client_verdict recv_at(struct peer *to, const struct peer *from, double t,
                                       const struct peer *tx_of, struct ntp_client_result *res)
{
    struct timespec rx = local_at(to, t);
    return ntp_client_on_response(&to->c, from->pkt, from->len, &rx, &tx_of->tx, NULL, res);
}

static void test_exchange(void)
{
    struct peer a, b;
    struct ntp_client_result res;
    struct ntp_packet p;
    struct rng rng;

    rng_seed(&rng, 7);
    peer_init(&a, 0.010, 5);
    peer_init(&b, 0.0, 6);
    /* A speaks first: its origin and receive timestamps are zero. */
    CHECK(send_at(&a, 1.0, &rng));
    CHECK_INT_EQ(ntp_decode(a.pkt, a.len, &p, NULL), NTP_OK);
    CHECK_INT_EQ(p.mode, NTP_MODE_ACTIVE);
    CHECK_INT_EQ(p.stratum, 5);
    CHECK(ntp_ts64_is_zero(&p.origin_ts) && ntp_ts64_is_zero(&p.rx_ts));
    CHECK(!ntp_ts64_is_zero(&p.tx_ts));
    /* B cannot use it (test 3), but keeps it to answer. */
    recv_at(&b, &a, 1.001, &b, &res);
    CHECK(!res.valid);
    CHECK(!ntp_ts64_is_zero(&b.c.init_remote_tx));
    /* B's answer echoes A's transmit timestamp and carries its receive time. */
    CHECK(send_at(&b, 1.5, &rng));
    CHECK_INT_EQ(ntp_decode(b.pkt, b.len, &p, NULL), NTP_OK);
    CHECK(ntp_ts64_equal(&p.origin_ts, &a.c.cookie));
    CHECK(!ntp_ts64_is_zero(&p.rx_ts));
    /* A gets a good sample: B (true time) is 10 ms behind A. */
    CHECK_INT_EQ(recv_at(&a, &b, 1.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK(res.valid && res.good && res.has_sample);
    CHECK_NEAR(res.sample.offset, 0.010, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.002, 1e-6);
    /* A's next packet answers B's; B measures A 10 ms ahead. */
    CHECK(send_at(&a, 2.0, &rng));
    CHECK_INT_EQ(recv_at(&b, &a, 2.001, &b, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, -0.010, 1e-6);
    /* The same packet again is a duplicate (test 1). */
    CHECK_INT_EQ(recv_at(&b, &a, 2.002, &b, &res), NTP_CLIENT_DROP_DUPLICATE);
}

/* `extfield F324` between peers (chrony 4.8): a packet carries the network correction of
 * the packet it answers (here B's "initial" answer, from the packet kept for restarting),
 * and the receiver applies it with its own correction of the answer. */
static void test_net_correction(void)
{
    struct peer a, b;
    struct ntp_client_result res;
    struct ntp_client_rx_ctx ctx;
    struct ntp_packet_info info;
    struct timespec rx;
    struct rng rng;
    const double dur = 0.7e-6;
    double corr = -1.0;

    rng_seed(&rng, 9);
    peer_init(&a, 0.010, 5);
    peer_init(&b, 0.0, 6);
    a.c.opts.ext_net_correction = b.c.opts.ext_net_correction = 1;
    a.c.opts.net_corr_on = b.c.opts.net_corr_on = 1;
    memset(&ctx, 0, sizeof(ctx));
    ctx.rx_duration = dur;
    /* A's first packet: nothing received yet, a zero correction */
    CHECK(send_at(&a, 1.0, &rng));
    CHECK_INT_EQ(a.len, 76);
    CHECK_INT_EQ(ntp_decode(a.pkt, a.len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(a.pkt, &info, &corr), NTP_OK);
    CHECK(corr == 0.0);
    /* transparent clocks held it 600 us of its 1 ms */
    ctx.rx_net_correction = dur + 0.0006;
    rx = local_at(&b, 1.001);
    ntp_client_on_response(&b.c, a.pkt, a.len, &rx, &b.tx, &ctx, &res);
    CHECK(!res.valid);
    CHECK(send_at(&b, 1.5, &rng));
    CHECK_INT_EQ(b.len, 76);
    CHECK_INT_EQ(ntp_decode(b.pkt, b.len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(b.pkt, &info, &corr), NTP_OK);
    CHECK_NEAR(corr, dur + 0.0006, 1e-9);
    /* B's answer was held 200 us: A's offset error of the asymmetric residence is gone */
    ctx.rx_net_correction = dur + 0.0002;
    rx = local_at(&a, 1.501);
    CHECK_INT_EQ(ntp_client_on_response(&a.c, b.pkt, b.len, &rx, &a.tx, &ctx, &res),
                 NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, 0.010 + 0.0002, 1e-6);
    CHECK_NEAR(res.sample.peer_delay, 0.002 - 0.0008 * (1.0 - 100e-6), 1e-6);
    /* A's next packet carries A's correction of B's answer */
    CHECK(send_at(&a, 2.0, &rng));
    CHECK_INT_EQ(ntp_decode(a.pkt, a.len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(a.pkt, &info, &corr), NTP_OK);
    CHECK_NEAR(corr, dur + 0.0002, 1e-9);
}

/* The F323 field of p's last packet (0 if none). */
static int mono_field(const struct peer *p, struct ntp_packet *h, struct ntp_ef_mono_root *ef)
{
    struct ntp_packet_info info;
    return ntp_decode(p->pkt, p->len, h, &info) == NTP_OK &&
           ntp_ef_mono_root_find(p->pkt, &info, ef) == NTP_OK;
}

/* p corrects its clock by -d s (a slew of our daemon: the real time moves, the monotonic
 * time does not; the receive times kept to answer the peer follow the real time). */
static void correct_clock(struct peer *p, double t, double d)
{
    struct timespec when = local_at(p, t);
    ntp_client_slew_times(&p->c, &when, 0.0, d);
    p->clock_off -= d;
    p->mono_offset += d;
}

/* `extfield F323` between peers (chrony 4.3-4.8 treat mode 1/2 packets as server responses
 * here): each packet carries the field with the sender's root delay/dispersion and the
 * receive time of the packet it answers on its monotonic scale; the receiver turns the
 * change of the peer's monotonic-minus-real offset into the correction of its kept
 * samples (res.mono_doffset), within one epoch and with the option only. */
static void test_mono_root(void)
{
    struct peer a, b;
    struct ntp_client_result res;
    struct ntp_packet h;
    struct ntp_ef_mono_root ef;
    struct rng rng;

    rng_seed(&rng, 11);
    peer_init(&a, 0.010, 5);
    peer_init(&b, 0.0, 6);
    a.c.opts.ext_mono_root = b.c.opts.ext_mono_root = 1;
    a.mono_valid = b.mono_valid = 1;
    a.mono_offset = 100.0;
    a.mono_epoch = 7;
    b.mono_offset = 200.0;
    b.mono_epoch = 9;
    b.root_delay = 0.0123457;
    /* A's first packet: the field after the header, nothing received yet */
    CHECK(send_at(&a, 1.0, &rng));
    CHECK_INT_EQ(a.len, 76);
    CHECK(mono_field(&a, &h, &ef));
    CHECK(ntp_ts64_is_zero(&h.rx_ts));
    CHECK_INT_EQ((long)ef.mono_epoch, 7);
    recv_at(&b, &a, 1.001, &b, &res);
    CHECK(!res.valid);
    /* B's answer: the receive field on B's monotonic scale, B's root values in 4.28 */
    CHECK(send_at(&b, 1.5, &rng));
    CHECK_INT_EQ(b.len, 76);
    CHECK(mono_field(&b, &h, &ef));
    CHECK(!ntp_ts64_is_zero(&h.rx_ts));
    CHECK_NEAR(ntp_ts64_diff(&ef.mono_rx, &h.rx_ts), 200.0, 1e-6);
    CHECK_INT_EQ((long)ef.mono_epoch, 9);
    CHECK_NEAR(ntp_f28_to_double(ef.root_delay), 0.0123457, 1e-8);
    CHECK_NEAR(ntp_f28_to_double(ef.root_dispersion), ntp_short_to_double(h.root_dispersion),
               1.0 / 65536);
    /* A takes B's root delay from the field (finer than the header's 1/65536 s) */
    CHECK_INT_EQ(recv_at(&a, &b, 1.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample && res.mono_doffset == 0.0);
    CHECK_NEAR(res.sample.root_delay, 0.0123457 + 0.002, 1e-7);
    CHECK_INT_EQ((long)a.c.remote_mono_epoch, 9);
    CHECK(send_at(&a, 2.0, &rng));
    CHECK(mono_field(&a, &h, &ef));
    CHECK_NEAR(ntp_ts64_diff(&ef.mono_rx, &h.rx_ts), 100.0, 1e-6);
    CHECK_INT_EQ(recv_at(&b, &a, 2.001, &b, &res), NTP_CLIENT_GOOD);
    CHECK(res.has_sample && res.mono_doffset == 0.0);
    /* B slews its clock back by 3 ms: A measures B 3 ms further behind, and the samples
     * A kept must follow (chrony's mono_doffset, local fast positive) */
    correct_clock(&b, 2.2, 0.003);
    CHECK(send_at(&b, 2.5, &rng));
    CHECK_INT_EQ(recv_at(&a, &b, 2.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, 0.013, 1e-6);
    CHECK(res.has_sample);
    CHECK_NEAR(res.mono_doffset, 0.003, 1e-8);
    /* once only */
    CHECK(send_at(&a, 3.0, &rng));
    CHECK_INT_EQ(recv_at(&b, &a, 3.001, &b, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.mono_doffset, 0.0, 1e-8);
    CHECK(send_at(&b, 3.5, &rng));
    CHECK_INT_EQ(recv_at(&a, &b, 3.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.mono_doffset, 0.0, 1e-8);
    /* A's own correction reaches B the same way */
    correct_clock(&a, 3.7, -0.002);
    CHECK(send_at(&a, 4.0, &rng));
    CHECK_INT_EQ(recv_at(&b, &a, 4.001, &b, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.offset, -0.015, 1e-6);
    CHECK_NEAR(res.mono_doffset, -0.002, 1e-8);
    /* a step: B's new epoch, no correction */
    correct_clock(&b, 4.2, 0.5);
    b.mono_offset = 0.0;
    b.mono_epoch = 10;
    CHECK(send_at(&b, 4.5, &rng));
    CHECK_INT_EQ(recv_at(&a, &b, 4.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK(res.mono_doffset == 0.0);
    CHECK_INT_EQ((long)a.c.remote_mono_epoch, 10);
    /* without the option A sends no field and ignores B's */
    a.c.opts.ext_mono_root = 0;
    CHECK(send_at(&a, 5.0, &rng));
    CHECK_INT_EQ(a.len, 48);
    CHECK(recv_at(&b, &a, 5.001, &b, &res) == NTP_CLIENT_GOOD);
    correct_clock(&b, 5.2, 0.004);
    CHECK(send_at(&b, 5.5, &rng));
    CHECK_INT_EQ(b.len, 76);
    CHECK_INT_EQ(recv_at(&a, &b, 5.501, &a, &res), NTP_CLIENT_GOOD);
    CHECK(res.mono_doffset == 0.0);
}

/* A passive server (a daemon answering a mode-1 packet of an unknown peer, chrony's
 * NCR_ProcessRxUnknown) answers the field too, and the active side follows its
 * corrections. s plays the server: its clock and monotonic offset. */
static void test_mono_root_passive(void)
{
    struct peer a, s;
    struct ntp_client_result res;
    struct ntp_server_ref ref;
    struct ntp_packet h;
    struct ntp_ef_mono_root ef;
    enum ntp_drop_reason why;
    struct ntp_server_counters cnt;
    struct timespec rx;
    struct rng rng;

    rng_seed(&rng, 12);
    peer_init(&a, 0.010, 5);
    peer_init(&s, 0.0, 4);
    a.c.opts.ext_mono_root = 1;
    s.mono_offset = 300.0;
    for (int i = 0; i < 3; i++) {
        double t = 1.0 + i;
        if (i == 2) /* the server slews back by 3 ms: its monotonic time does not move */
            s.clock_off -= 0.003, s.mono_offset += 0.003;
        CHECK(send_at(&a, t, &rng));
        rx = local_at(&s, t + 0.001);
        ntp_server_ref_local(&ref, s.stratum, &rx, -20);
        ref.mono_valid = 1;
        ref.mono_offset = s.mono_offset;
        ref.mono_epoch = 5;
        memset(&cnt, 0, sizeof(cnt));
        s.len = ntp_server_respond(&ref, a.pkt, a.len, &rx, s.pkt, sizeof(s.pkt), &why, &cnt);
        CHECK_INT_EQ(s.len, 76);
        s.tx = local_at(&s, t + 0.0011);
        ntp_server_set_tx(s.pkt, s.len, &s.tx);
        CHECK(mono_field(&s, &h, &ef));
        CHECK_INT_EQ(h.mode, NTP_MODE_PASSIVE);
        CHECK_NEAR(ntp_ts64_diff(&ef.mono_rx, &h.rx_ts), s.mono_offset, 1e-6);
        CHECK_INT_EQ((long)ef.mono_epoch, 5);
        CHECK_INT_EQ(recv_at(&a, &s, t + 0.0021, &a, &res), NTP_CLIENT_GOOD);
        CHECK(res.has_sample);
        CHECK_NEAR(res.sample.offset, i == 2 ? 0.013 : 0.010, 1e-6);
        CHECK_NEAR(res.mono_doffset, i == 2 ? 0.003 : 0.0, 1e-8);
    }
}

static void test_modes(void)
{
    struct peer a;
    struct ntp_client cl;
    struct ntp_client_opts o;
    struct ntp_client_result res;
    struct ntp_packet p;
    uint8_t buf[48];
    struct timespec t = base;

    peer_init(&a, 0.0, 5);
    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_SERVER;
    p.stratum = 1;
    p.tx_ts.sec = 5;
    ntp_encode(&p, buf, sizeof(buf));
    CHECK_INT_EQ(ntp_client_on_response(&a.c, buf, 48, &t, NULL, NULL, &res), NTP_CLIENT_DROP_MODE);
    p.mode = NTP_MODE_PASSIVE;
    ntp_encode(&p, buf, sizeof(buf));
    CHECK(ntp_client_on_response(&a.c, buf, 48, &t, NULL, NULL, &res) != NTP_CLIENT_DROP_MODE);
    /* A client association takes only server packets. */
    ntp_client_opts_default(&o);
    ntp_client_init(&cl, &o, &params);
    ntp_client_start(&cl, &t);
    p.mode = NTP_MODE_ACTIVE;
    ntp_encode(&p, buf, sizeof(buf));
    CHECK_INT_EQ(ntp_client_on_response(&cl, buf, 48, &t, NULL, NULL, &res), NTP_CLIENT_DROP_MODE);
    /* Finishing is only for a pending symmetric packet. */
    struct ntp_server_ref ref;
    ntp_server_ref_local(&ref, 5, &t, -20);
    CHECK_INT_EQ(ntp_client_peer_finish(&cl, buf, 48, sizeof(buf), &ref, &t), 0);
    CHECK_INT_EQ(ntp_client_peer_finish(&a.c, buf, 48, sizeof(buf), &ref, &t), 0);
}

static void test_transmit_never_equals_origin(void)
{
    struct peer a, b;
    struct ntp_client_result res;
    struct ntp_packet p;
    struct rng rng;

    rng_seed(&rng, 3);
    peer_init(&a, 0.0, 5);
    peer_init(&b, 0.0, 5);
    CHECK(send_at(&a, 1.0, &rng));
    recv_at(&b, &a, 1.0, &b, &res);
    /* B answers at the very instant of A's transmit timestamp. */
    CHECK(send_at(&b, 1.0, &rng));
    CHECK_INT_EQ(ntp_decode(b.pkt, b.len, &p, NULL), NTP_OK);
    CHECK(!ntp_ts64_equal(&p.tx_ts, &p.origin_ts));
    CHECK(!ntp_ts64_equal(&p.tx_ts, &p.rx_ts));
}

/* A's clock is corrected between receiving B's packet and answering it: the receive
 * timestamp A sends is on the corrected timescale too, so B measures the true delay, not
 * one grown by the correction (chrony NCR_SlewTimes; issue 10 defect 5). */
static void test_correction_moves_receive_time(void)
{
    struct peer a, b;
    struct ntp_client_result res;
    struct rng rng;
    struct timespec when;

    rng_seed(&rng, 7);
    peer_init(&a, 0.010, 5);
    peer_init(&b, 0.0, 6);
    CHECK(send_at(&a, 1.0, &rng));
    recv_at(&b, &a, 1.001, &b, &res);
    CHECK(send_at(&b, 1.5, &rng));
    CHECK_INT_EQ(recv_at(&a, &b, 1.501, &a, &res), NTP_CLIENT_GOOD);
    /* A's clock was 0.5 s fast of its cooked time: cooked time moves back by 0.5 s. */
    when = local_at(&a, 1.6);
    ntp_client_slew_times(&a.c, &when, 0.0, 0.5);
    a.clock_off -= 0.5;
    CHECK(send_at(&a, 2.0, &rng));
    CHECK_INT_EQ(recv_at(&b, &a, 2.001, &b, &res), NTP_CLIENT_GOOD);
    CHECK_NEAR(res.sample.peer_delay, 0.002, 1e-6);
    CHECK_NEAR(res.sample.offset, 0.49, 1e-6);
}

static void test_spacing(void)
{
    struct peer a;
    struct timespec when, t = base;
    struct rng rng;

    rng_seed(&rng, 1);
    /* chrony: against a peer of higher stratum, wait 1.1 polls after transmitting. */
    peer_init(&a, 0.0, 5);
    a.c.remote_stratum = 6;
    CHECK(send_at(&a, 0.0, &rng));
    CHECK(ntp_client_next_tx(&a.c, &when));
    CHECK(ts_diff(&when, &t) >= 1.1 && ts_diff(&when, &t) < 1.1 * 1.021);
    /* Against a peer of lower stratum, one poll (lengthened by up to 2 %, as every one). */
    peer_init(&a, 0.0, 5);
    a.c.remote_stratum = 4;
    CHECK(send_at(&a, 0.0, &rng));
    CHECK(ntp_client_next_tx(&a.c, &when));
    CHECK(ts_diff(&when, &t) >= 1.0 && ts_diff(&when, &t) < 1.021);
}

static void test_keyed(void)
{
    static const char kf[] = "2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n";
    struct keys ks;
    struct peer a, b;
    struct ntp_client_result res;
    struct ntp_packet_info info;
    struct rng rng;

    keys_init(&ks);
    keys_load(&ks, kf, strlen(kf), "k", NULL);
    rng_seed(&rng, 5);
    peer_init(&a, 0.010, 5);
    peer_init(&b, 0.0, 6);
    ntp_client_set_auth(&a.c, &ks, 2);
    ntp_client_set_auth(&b.c, &ks, 2);
    CHECK(send_at(&a, 1.0, &rng));
    CHECK_INT_EQ(a.len, 72);
    CHECK_INT_EQ(ntp_decode(a.pkt, a.len, NULL, &info), NTP_OK);
    CHECK(info.mac == NTP_MAC_SYMMETRIC && keys_check_mac(&ks, a.pkt, 48, 24, 4));
    recv_at(&b, &a, 1.001, &b, &res);
    CHECK(send_at(&b, 1.5, &rng));
    CHECK_INT_EQ(recv_at(&a, &b, 1.501, &a, &res), NTP_CLIENT_GOOD);
    /* A forged bit: test 5 fails, the packet is not even kept to answer. */
    CHECK(send_at(&a, 2.0, &rng));
    a.pkt[30] ^= 1;
    recv_at(&b, &a, 2.001, &b, &res);
    CHECK(!res.valid);
    keys_clear(&ks);
}

int main(void)
{
    RUN(test_exchange);
    RUN(test_modes);
    RUN(test_net_correction);
    RUN(test_mono_root);
    RUN(test_mono_root_passive);
    RUN(test_transmit_never_equals_origin);
    RUN(test_spacing);
    RUN(test_correction_moves_receive_time);
    RUN(test_keyed);
    return check_summary();
}
