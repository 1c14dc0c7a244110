/* Symmetric active mode (`peer`, RFC 5905 §9 modes 1 and 2) on top of the client
 * association: the packets carry our reference and real timestamps, the timestamps of the
 * peer's packets are kept to answer them, and the transmit spacing follows chrony's peer
 * rules, in basic or (xleave) interleaved mode. */
#include "core/ntp_client.h"
#include "core/ntp_client_int.h"

#include "lib/ts.h"
#include "proto/ntp.h"

#include <assert.h>
#include <string.h>

/* chrony PEER_SAMPLING_ADJ: a peer waits this much longer than its polling interval when
 * the other side should transmit first. */
#define PEER_SAMPLING_ADJ 1.1
#define NTP_MAX_STRATUM 16

/* Unsigned comparison of two NTP timestamps (chrony UTI_CompareNtp64): -1, 0 or 1. */
static int ts64_cmp(const struct ntp_ts64 *a, const struct ntp_ts64 *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->frac != b->frac)
        return a->frac < b->frac ? -1 : 1;
    return 0;
}

static void wire_ts(struct ntp_ts64 *out, const struct timespec *ts)
{
    if (ts_is_zero(ts))
        memset(out, 0, sizeof(*out));
    else
        ntp_ts64_from_timespec(out, ts);
}

size_t ntp_client_peer_build(struct ntp_client *c, uint8_t *buf, size_t cap)
{
    struct ntp_packet p;
    /* Restarting the protocol (chrony's "initial" packet): with no valid packet since our
     * last transmission, answer the last packet the peer sent even if it failed tests. */
    int initial = !c->valid_rx && !ntp_ts64_is_zero(&c->init_remote_tx);

    assert(c->opts.symmetric && buf);
    memset(&p, 0, sizeof(p));
    p.version = (uint8_t)c->version;
    p.mode = NTP_MODE_ACTIVE;
    p.poll = (int8_t)c->local_poll;
    /* Interleaved (not when restarting): the origin is the peer's receive time of our last
     * packet and the transmit field our accurate transmit time of that packet. */
    if (initial)
        c->ilv_pending = 0;
    p.origin_ts = initial ? c->init_remote_tx : c->ilv_pending ? c->remote_rx : c->remote_tx;
    wire_ts(&p.rx_ts, initial ? &c->init_local_rx : &c->local_rx);
    c->req_rx = p.rx_ts;
    if (c->ilv_pending)
        c->ilv_tx = c->local_tx;
    c->updated_init = 0;
    if (initial)
        c->valid_timestamps = 0;
    c->peer_pending = 1;
    size_t len = ntp_encode(&p, buf, cap);
    /* `extfield F323` (chrony 4.3-4.8 in symmetric mode as well): the field goes first; its
     * values are written with the transmit timestamp (ntp_client_peer_finish). */
    if (len && c->opts.ext_mono_root && c->version == NTP_VERSION) {
        struct ntp_ef_mono_root ef;
        memset(&ef, 0, sizeof(ef));
        len = ntp_ef_mono_root_append(buf, len, cap, &ef);
    }
    /* chrony add_ef_net_correction for a peer: the network correction of the packet
     * answered (its receive time is in this one), when transparent clocks added to it. */
    if (len && c->opts.ext_net_correction && c->opts.net_corr_on && c->version == NTP_VERSION) {
        double corr = initial ? c->init_local_rx_corr : c->local_rx_corr;
        double dur = initial ? c->init_local_rx_dur : c->local_rx_dur;
        len = ntp_ef_net_correction_append(buf, len, cap, corr > dur ? corr : 0.0);
    }
    return len;
}

/* chrony add_ef_mono_root in a peer's packet, as a server's: our root delay and dispersion
 * (as in the header) and the receive time of the packet answered (the header's receive
 * field) on our monotonic timescale, with its epoch; zero timestamp without a timescale.
 * The field written by ntp_client_peer_build is filled in place. */
static void fill_mono_root(uint8_t *buf, const struct ntp_packet *p,
                           const struct ntp_packet_info *info, const struct ntp_server_ref *ref,
                           double root_disp)
{
    unsigned n = info->n_efs < NTP_INFO_MAX_EFS ? info->n_efs : NTP_INFO_MAX_EFS;
    struct ntp_ef_mono_root ef;
    struct timespec rx, mono;

    memset(&ef, 0, sizeof(ef));
    ef.root_delay = ntp_f28_from_double(ref->root_delay);
    ef.root_dispersion = ntp_f28_from_double(root_disp);
    if (ref->mono_valid) {
        /* As chrony, also with no packet received yet (zero receive time): the offset
         * alone, which no receiver uses (its test 3 fails on the zero receive field). */
        ntp_ts64_to_timespec(&rx, &p->rx_ts);
        ts_add(&mono, &rx, ref->mono_offset);
        wire_ts(&ef.mono_rx, &mono);
        ef.mono_epoch = ref->mono_epoch;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct ntp_ef_ref *f = &info->efs[i];
        if (f->type == NTP_EF_EXP_MONO_ROOT &&
            f->len == NTP_EF_HEADER_LEN + NTP_EF_MONO_ROOT_BODY_LEN) {
            (void)ntp_ef_mono_root_append(buf, f->offset, (size_t)f->offset + f->len, &ef);
            return;
        }
    }
}

static void ts64_add_frac(struct ntp_ts64 *t, uint32_t d)
{
    uint32_t f = t->frac + d;
    if (f < t->frac)
        t->sec++;
    t->frac = f;
}

size_t ntp_client_peer_finish(struct ntp_client *c, uint8_t *buf, size_t len, size_t cap,
                              const struct ntp_server_ref *ref, const struct timespec *tx)
{
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct ntp_ts64 t;
    double root_disp;
    int prec;

    assert(buf && ref && tx && len <= cap);
    prec = ref->precision_log2 < -30 ? -30 : ref->precision_log2;
    if (!c->opts.symmetric || !c->peer_pending || ntp_decode(buf, len, &p, &info) != NTP_OK)
        return 0;
    c->peer_pending = 0;
    p.leap = (uint8_t)(ref->leap & 3);
    p.stratum = ref->stratum > 0 && ref->stratum < NTP_MAX_STRATUM ? (uint8_t)ref->stratum : 0;
    p.precision = (int8_t)(prec > 127 ? 127 : prec);
    p.root_delay = ntp_short_from_double(ref->root_delay);
    root_disp = ntp_server_root_dispersion(ref, tx);
    p.root_dispersion = ntp_short_from_double(root_disp);
    p.ref_id = ref->ref_id;
    wire_ts(&p.ref_ts, &ref->ref_time);
    /* RFC 5905 §8: never equal to the receive or origin timestamp (a packet must not be
     * its own valid response) nor to our previous transmit timestamp. */
    wire_ts(&t, c->ilv_pending ? &c->ilv_tx : tx);
    while (ntp_ts64_equal(&t, &p.rx_ts) || ntp_ts64_equal(&t, &p.origin_ts) ||
           ntp_ts64_equal(&t, &c->cookie))
        ts64_add_frac(&t, 4);
    p.tx_ts = t;
    if (c->opts.ext_mono_root)
        fill_mono_root(buf, &p, &info, ref, root_disp);
    /* The header is rewritten; extension fields after it stay. */
    if (!ntp_encode(&p, buf, cap))
        len = 0;
    if (c->auth_key)
        len = keys_append_mac(c->keys, c->auth_key, c->version, buf, len, cap);
    if (len)
        c->cookie = t;
    return len;
}

int ntp_client_peer_update_timestamps(struct ntp_client *c, const struct ntp_packet *p, int valid,
                                      int synced, int t1, int t5, const struct timespec *rx_ts)
{
    /* chrony: in symmetric mode a later valid packet of the same exchange may update the
     * timestamps (the peer may send twice per our packet); a packet failing only tests
     * 2-3 is kept for restarting the protocol, if authentic. */
    if (valid && (!c->valid_rx || ts64_cmp(&c->remote_tx, &p->tx_ts) < 0)) {
        c->remote_rx = p->rx_ts;
        c->remote_tx = p->tx_ts;
        c->local_rx = *rx_ts;
        c->valid_timestamps = synced;
        memset(&c->init_remote_tx, 0, sizeof(c->init_remote_tx));
        memset(&c->init_local_rx, 0, sizeof(c->init_local_rx));
        c->updated_init = 0;
        return 1;
    } else if (t1 && t5 && !ntp_ts64_is_zero(&p->tx_ts) &&
               (!c->updated_init || ts64_cmp(&c->init_remote_tx, &p->tx_ts) < 0)) {
        c->init_remote_tx = p->tx_ts;
        c->init_local_rx = *rx_ts;
        c->updated_init = 1;
    }
    return 0;
}

int ntp_client_transmit_poll(const struct ntp_client *c)
{
    /* chrony get_transmit_poll: a responding peer polling faster is followed, down to
     * minpoll. */
    if (c->opts.symmetric && c->local_poll > c->remote_poll && c->reach)
        return c->remote_poll > c->opts.minpoll ? c->remote_poll : c->opts.minpoll;
    return c->local_poll;
}

double ntp_client_peer_spacing(const struct ntp_client *c, double delay, int on_tx, double last_tx)
{
    /* chrony get_transmit_delay for MODE_ACTIVE: a peer of higher stratum waits for our
     * packet so its measurement is short; peers of equal stratum interleave evenly. */
    int stratum_diff = c->remote_stratum - c->our_stratum;

    assert(delay > 0.0); /* a polling interval */
    if ((stratum_diff > 0 && last_tx * PEER_SAMPLING_ADJ < delay) ||
        (!on_tx && stratum_diff == 0 && last_tx / delay > PEER_SAMPLING_ADJ - 0.5))
        delay *= PEER_SAMPLING_ADJ;
    return delay;
}

void ntp_client_set_our_stratum(struct ntp_client *c, int stratum)
{
    c->our_stratum = stratum;
}
