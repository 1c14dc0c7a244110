#include "core/ntp_server.h"

#include "core/keys.h"

#include "lib/bytes.h"
#include "lib/ntp_time.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define NTP_PORT 123

/* Offsets of header fields (RFC 5905 §7.3, figure 8). */
#define OFF_ORIGIN 24
#define OFF_RX 32
#define OFF_TX 40

static enum ntp_drop_reason reason_from_verdict(enum ntp_verdict v)
{
    switch (v) {
    case NTP_OK:
        return NTP_SRV_REPLY;
    case NTP_TOO_SHORT:
        return NTP_SRV_DROP_TOO_SHORT;
    case NTP_TOO_LONG:
        return NTP_SRV_DROP_TOO_LONG;
    case NTP_BAD_LENGTH:
        return NTP_SRV_DROP_BAD_LENGTH;
    case NTP_BAD_VERSION:
        return NTP_SRV_DROP_BAD_VERSION;
    default:
        return NTP_SRV_DROP_BAD_FORMAT;
    }
}

/* chrony NCR_ProcessRxUnknown: only client and symmetric active requests are answered; an
 * NTPv1 packet has a reserved field instead of the mode, so mode 0 from a port other than 123
 * is taken as a client request. Never reply in mode 0. Returns the reply mode or a drop. */
static int reply_mode(const struct ntp_packet *pkt, uint16_t src_port, enum ntp_drop_reason *why)
{
    switch (pkt->mode) {
    case NTP_MODE_ACTIVE:
        return NTP_MODE_PASSIVE;
    case NTP_MODE_CLIENT:
        return NTP_MODE_SERVER;
    case NTP_MODE_UNDEFINED:
        if (pkt->version == 1 && src_port != NTP_PORT)
            return NTP_MODE_SERVER;
        break;
    case NTP_MODE_CONTROL:
        *why = NTP_SRV_DROP_MODE_CONTROL;
        return -1;
    case NTP_MODE_PRIVATE:
        *why = NTP_SRV_DROP_MODE_PRIVATE;
        return -1;
    default:
        break;
    }
    *why = NTP_SRV_DROP_MODE_UNEXPECTED;
    return -1;
}

/* RFC 8915 §5.7: an authentic NTS request is answered with NTS fields, one whose cookie or
 * authenticator does not verify with a NAK (chrony), anything else is dropped. */
static enum ntp_drop_reason check_nts(const struct nts_server_keys *nts, const uint8_t *req,
                                      size_t req_len, struct ntp_server_auth *auth)
{
    auth->nts_verdict = nts_server_check_request(nts, req, req_len, &auth->nts_req);
    if (auth->nts_verdict == NTS_SERVER_OK)
        auth->nts = 1;
    else if (nts_server_verdict_is_nak(auth->nts_verdict))
        auth->nts_nak = 1;
    else
        return NTP_SRV_DROP_AUTH_NTS;
    return NTP_SRV_REPLY;
}

/* chrony NAU_CheckRequestAuth and NAU_GenerateResponseAuth: requests without authentication
 * are answered, a symmetric MAC must verify with a known key (else no reply, not even a
 * crypto-NAK), MS-SNTP requests are answered only to be signed by ntp_signd (dropped without
 * its socket; the extended authenticator is not supported), NTS requests are checked with the
 * NTS server keys (dropped without them). */
static enum ntp_drop_reason check_auth(const struct ntp_server_authn *an, const uint8_t *req,
                                       const struct ntp_packet *pkt,
                                       const struct ntp_packet_info *info,
                                       struct ntp_server_auth *auth)
{
    /* chrony parse_packet: a MAC after NTS fields sets the mode back to symmetric. */
    switch (info->mac) {
    case NTP_MAC_NONE:
        if (!info->has_nts)
            return NTP_SRV_REPLY;
        return an->nts ? check_nts(an->nts, req, info->len, auth) : NTP_SRV_DROP_AUTH_NTS;
    case NTP_MAC_MSSNTP:
        if (!an->mssntp)
            return NTP_SRV_DROP_AUTH_MSSNTP;
        auth->mssntp = 1;
        auth->key_id = info->mac_key_id;
        return NTP_SRV_REPLY;
    case NTP_MAC_MSSNTP_EXT:
        return NTP_SRV_DROP_AUTH_MSSNTP;
    case NTP_MAC_SYMMETRIC:
        if (!an->keys ||
            !keys_check_mac(an->keys, req, info->mac_offset, info->mac_len, pkt->version))
            return NTP_SRV_DROP_AUTH_MAC;
        auth->symmetric = 1;
        auth->key_id = info->mac_key_id;
        auth->version = pkt->version;
        return NTP_SRV_REPLY;
    default:
        return NTP_SRV_DROP_AUTH_MAC;
    }
}

double ntp_server_root_dispersion(const struct ntp_server_ref *ref, const struct timespec *now)
{
    /* chrony reference.c get_root_dispersion: the dispersion grows linearly from the last
     * reference update by the skew, residual frequency and maximum clock error. */
    if (ref->root_dispersion_rate <= 0.0 || ts_is_zero(&ref->ref_time))
        return ref->root_dispersion;
    return ref->root_dispersion + fabs(ts_diff(now, &ref->ref_time)) * ref->root_dispersion_rate;
}

static void timespec_to_wire(struct ntp_ts64 *out, const struct timespec *ts)
{
    /* chrony UTI_TimespecToNtp64: a zero timespec stays an all-zero ("unset") timestamp. */
    if (ts_is_zero(ts)) {
        out->sec = 0;
        out->frac = 0;
        return;
    }
    ntp_ts64_from_timespec(out, ts);
}

static void ts64_add_frac(struct ntp_ts64 *t, uint32_t d)
{
    uint32_t f = t->frac + d;
    if (f < t->frac)
        t->sec++;
    t->frac = f;
}

/* Fill the reply header from ref (chrony transmit_packet for server/passive modes). */
static void build_reply(const struct ntp_server_ref *ref, const struct ntp_packet *req, int mode,
                        const struct timespec *rx_ts, struct ntp_packet *rep)
{
    int poll = req->poll;

    assert(mode == NTP_MODE_SERVER || mode == NTP_MODE_PASSIVE);
    memset(rep, 0, sizeof(*rep));
    rep->leap = (uint8_t)(ref->leap & 3);
    /* Echo the version; chrony never replies with a version above its own. */
    rep->version = req->version > NTP_VERSION ? NTP_VERSION : req->version;
    rep->mode = (uint8_t)mode;
    rep->stratum =
        ref->stratum > 0 && ref->stratum < NTP_SERVER_MAX_STRATUM ? (uint8_t)ref->stratum : 0;
    /* Suggest a longer polling interval to clients polling faster than the rate limit. */
    if (poll < ref->min_poll_log2)
        poll = ref->min_poll_log2 > 127 ? 127 : ref->min_poll_log2;
    rep->poll = (int8_t)poll;
    rep->precision = (int8_t)(ref->precision_log2 < -128  ? -128
                              : ref->precision_log2 > 127 ? 127
                                                          : ref->precision_log2);
    rep->root_delay = ntp_short_from_double(ref->root_delay);
    rep->root_dispersion = ntp_short_from_double(ntp_server_root_dispersion(ref, rx_ts));
    rep->ref_id = ref->ref_id;
    timespec_to_wire(&rep->ref_ts, &ref->ref_time);
    rep->origin_ts = req->tx_ts;
    timespec_to_wire(&rep->rx_ts, rx_ts);
    /* chrony marks its receive timestamps with the lowest bit set so that interleaved requests
     * (origin = one of our receive timestamps) can be recognised; the receive timestamp must
     * also differ from the origin. */
    rep->rx_ts.frac |= 1;
    if (ntp_ts64_equal(&rep->rx_ts, &rep->origin_ts))
        ts64_add_frac(&rep->rx_ts, 2);
}

static void account(struct ntp_server_counters *c, enum ntp_drop_reason why)
{
    if (!c)
        return;
    assert((unsigned)why < NTP_SRV_N_REASONS);
    c->received++;
    if (why == NTP_SRV_REPLY)
        c->replied++;
    else
        c->dropped[why]++;
}

static enum ntp_drop_reason classify(const struct ntp_server_authn *an, const uint8_t *req,
                                     size_t req_len, uint16_t src_port, struct ntp_packet *pkt,
                                     int *mode, struct ntp_server_auth *auth)
{
    struct ntp_packet_info info;
    enum ntp_verdict v = ntp_decode(req, req_len, pkt, &info);
    enum ntp_drop_reason why = NTP_SRV_REPLY;

    if (v != NTP_OK)
        return reason_from_verdict(v);
    /* chrony checks the mode before the authentication. */
    *mode = reply_mode(pkt, src_port, &why);
    if (*mode < 0)
        return why;
    auth->xleave =
        pkt->version == 4 && (pkt->origin_ts.frac & 1) && !ntp_ts64_equal(&pkt->rx_ts, &pkt->tx_ts);
    auth->origin = pkt->origin_ts;
    auth->req_rx = pkt->rx_ts;
    {
        struct ntp_ef_mono_root ef;
        double corr;
        auth->ef_mono_root = ntp_ef_mono_root_find(req, &info, &ef) == NTP_OK;
        auth->ef_net_correction = ntp_ef_net_correction_find(req, &info, &corr) == NTP_OK;
    }
    return check_auth(an, req, pkt, &info, auth);
}

/* chrony add_ef_mono_root for a server: its root delay and dispersion (at the receive time),
 * in 4.28 fixed point, and the receive time on the monotonic timescale with its epoch. Without
 * a monotonic timescale the timestamp is left zero, which chrony's clients read as "none"
 * (chrony sends it so while smoothing time). */
static size_t add_mono_root(const struct ntp_server_ref *ref, const struct timespec *rx_ts,
                            uint8_t *out, size_t len, size_t cap)
{
    struct ntp_ef_mono_root ef;

    memset(&ef, 0, sizeof(ef));
    ef.root_delay = ntp_f28_from_double(ref->root_delay);
    ef.root_dispersion = ntp_f28_from_double(ntp_server_root_dispersion(ref, rx_ts));
    if (ref->mono_valid) {
        struct timespec mono_rx;

        ts_add(&mono_rx, rx_ts, ref->mono_offset);
        ntp_ts64_from_timespec(&ef.mono_rx, &mono_rx);
        ef.mono_epoch = ref->mono_epoch;
    }
    return ntp_ef_mono_root_append(out, len, cap, &ef);
}

/* A KoD NTSN carrying only the request's Unique Identifier (RFC 8915 §5.7). */
static size_t make_nts_nak(const struct ntp_server_auth *auth, uint8_t *out, size_t len,
                           size_t out_cap)
{
    ntp_server_set_kod(out, len, NTS_KOD_NAK);
    return nts_server_finish_nak(&auth->nts_req, out, len, out_cap);
}

/* Everything but the NTS request's buffers, which are filled only for NTS requests: clearing
 * their kilobyte on every request would cost a third of the responder's time. */
static void auth_clear(struct ntp_server_auth *a)
{
    a->symmetric = 0;
    a->key_id = 0;
    a->version = 0;
    a->xleave = 0;
    memset(&a->origin, 0, sizeof(a->origin));
    memset(&a->req_rx, 0, sizeof(a->req_rx));
    a->nts = a->nts_nak = 0;
    a->ef_mono_root = 0;
    a->ef_net_correction = 0;
    a->nts_verdict = NTS_SERVER_OK;
    a->nts_req.uid_len = 0;
    a->nts_req.n_cookies = 0;
    a->nts_req.req_len = 0;
    a->mssntp = 0;
}

size_t ntp_server_respond_authn(const struct ntp_server_ref *ref,
                                const struct ntp_server_authn *authn, const uint8_t *req,
                                size_t req_len, uint16_t src_port, const struct timespec *rx_ts,
                                uint8_t *out, size_t out_cap, struct ntp_server_auth *auth,
                                enum ntp_drop_reason *why, struct ntp_server_counters *counters)
{
    struct ntp_server_auth unused;
    struct ntp_packet pkt, rep;
    enum ntp_drop_reason reason;
    int mode = -1;
    size_t len = 0;

    assert(ref && authn && rx_ts && (req || req_len == 0));
    if (!auth)
        auth = &unused;
    auth_clear(auth);
    reason = classify(authn, req, req_len, src_port, &pkt, &mode, auth);
    if (reason == NTP_SRV_REPLY && (!out || out_cap < NTP_HEADER_LEN))
        reason = NTP_SRV_DROP_NO_BUFFER;
    if (reason == NTP_SRV_REPLY) {
        build_reply(ref, &pkt, mode, rx_ts, &rep);
        len = ntp_encode(&rep, out, out_cap);
        if (len && auth->ef_mono_root)
            len = add_mono_root(ref, rx_ts, out, len, out_cap < req_len ? out_cap : req_len);
        if (len && auth->ef_net_correction && ref->net_corr_on)
            len = ntp_ef_net_correction_append(
                out, len, out_cap < req_len ? out_cap : req_len,
                ref->rx_net_correction > ref->rx_duration ? ref->rx_net_correction : 0.0);
        if (auth->nts_nak)
            len = make_nts_nak(auth, out, len, out_cap < req_len ? out_cap : req_len);
        if (!len)
            reason = NTP_SRV_DROP_NO_BUFFER;
    }
    /* A reply is a whole header in the caller's buffer, or nothing. */
    assert(len <= out_cap && (len == 0 || len >= NTP_HEADER_LEN));
    assert((len > 0) == (reason == NTP_SRV_REPLY));
    if (why)
        *why = reason;
    account(counters, reason);
    return len;
}

size_t ntp_server_respond_nts(const struct ntp_server_ref *ref, const struct keys *keys,
                              const struct nts_server_keys *nts, const uint8_t *req, size_t req_len,
                              uint16_t src_port, const struct timespec *rx_ts, uint8_t *out,
                              size_t out_cap, struct ntp_server_auth *auth,
                              enum ntp_drop_reason *why, struct ntp_server_counters *counters)
{
    struct ntp_server_authn an = {keys, nts, 0};
    return ntp_server_respond_authn(ref, &an, req, req_len, src_port, rx_ts, out, out_cap, auth,
                                    why, counters);
}

size_t ntp_server_respond_auth(const struct ntp_server_ref *ref, const struct keys *keys,
                               const uint8_t *req, size_t req_len, uint16_t src_port,
                               const struct timespec *rx_ts, uint8_t *out, size_t out_cap,
                               struct ntp_server_auth *auth, enum ntp_drop_reason *why,
                               struct ntp_server_counters *counters)
{
    return ntp_server_respond_nts(ref, keys, NULL, req, req_len, src_port, rx_ts, out, out_cap,
                                  auth, why, counters);
}

size_t ntp_server_respond_port(const struct ntp_server_ref *ref, const uint8_t *req, size_t req_len,
                               uint16_t src_port, const struct timespec *rx_ts, uint8_t *out,
                               size_t out_cap, enum ntp_drop_reason *why,
                               struct ntp_server_counters *counters)
{
    return ntp_server_respond_auth(ref, NULL, req, req_len, src_port, rx_ts, out, out_cap, NULL,
                                   why, counters);
}

size_t ntp_server_respond(const struct ntp_server_ref *ref, const uint8_t *req, size_t req_len,
                          const struct timespec *rx_ts, uint8_t *out, size_t out_cap,
                          enum ntp_drop_reason *why, struct ntp_server_counters *counters)
{
    return ntp_server_respond_port(ref, req, req_len, 0, rx_ts, out, out_cap, why, counters);
}

size_t ntp_server_finish_nts(const struct nts_server_keys *nts, const struct ntp_server_auth *auth,
                             uint8_t *reply, size_t len, size_t cap,
                             const uint8_t rnd[NTS_SERVER_REPLY_RANDOM])
{
    assert(auth && reply && len <= cap);
    if (!auth->nts)
        return len;
    if (!nts)
        return 0;
    return nts_server_finish_reply(nts, &auth->nts_req, reply, len, cap, rnd);
}

size_t ntp_server_sign_reply(const struct keys *keys, const struct ntp_server_auth *auth,
                             uint8_t *reply, size_t len, size_t cap)
{
    assert(auth && reply && len <= cap);
    /* chrony NAU_GenerateResponseAuth: the reply carries a MAC with the request's key,
     * truncated as the request's version requires. */
    if (!auth->symmetric)
        return len;
    if (!keys)
        return 0;
    return keys_append_mac(keys, auth->key_id, auth->version, reply, len, cap);
}

void ntp_server_set_tx(uint8_t *reply, size_t len, const struct timespec *tx_ts)
{
    struct ntp_ts64 tx, rx, origin;

    assert(tx_ts);
    if (!reply || len < NTP_HEADER_LEN)
        return;
    ntp_ts64_from_bytes(&origin, reply + OFF_ORIGIN);
    ntp_ts64_from_bytes(&rx, reply + OFF_RX);
    timespec_to_wire(&tx, tx_ts);
    /* chrony: the server transmit timestamp has the lowest bit clear (so it never equals the
     * marked receive timestamp) and must not equal the origin. */
    tx.frac &= ~(uint32_t)1;
    if (!ntp_ts64_is_zero(&tx) && ntp_ts64_equal(&tx, &origin))
        ts64_add_frac(&tx, 2);
    if (ntp_ts64_equal(&tx, &rx))
        ts64_add_frac(&tx, 2);
    ntp_ts64_to_bytes(reply + OFF_TX, &tx);
}

size_t ntp_server_broadcast(const struct ntp_server_ref *ref, int poll_log2,
                            const struct timespec *tx_ts, uint8_t *out, size_t out_cap)
{
    struct ntp_packet pkt;
    size_t len;

    assert(ref && tx_ts);
    if (!out || out_cap < NTP_HEADER_LEN)
        return 0;
    memset(&pkt, 0, sizeof(pkt));
    /* chrony transmit_packet(MODE_BROADCAST): the server's own state as in a reply, its
     * version, the broadcast interval as poll; no originate or receive timestamp. */
    pkt.leap = (uint8_t)(ref->leap & 3);
    pkt.version = NTP_VERSION;
    pkt.mode = NTP_MODE_BROADCAST;
    pkt.stratum =
        ref->stratum > 0 && ref->stratum < NTP_SERVER_MAX_STRATUM ? (uint8_t)ref->stratum : 0;
    pkt.poll = (int8_t)(poll_log2 < -128 ? -128 : poll_log2 > 127 ? 127 : poll_log2);
    pkt.precision = (int8_t)(ref->precision_log2 < -128  ? -128
                             : ref->precision_log2 > 127 ? 127
                                                         : ref->precision_log2);
    pkt.root_delay = ntp_short_from_double(ref->root_delay);
    pkt.root_dispersion = ntp_short_from_double(ntp_server_root_dispersion(ref, tx_ts));
    pkt.ref_id = ref->ref_id;
    timespec_to_wire(&pkt.ref_ts, &ref->ref_time);
    timespec_to_wire(&pkt.tx_ts, tx_ts);
    len = ntp_encode(&pkt, out, out_cap);
    assert(len == 0 || len == NTP_HEADER_LEN);
    return len;
}

void ntp_server_set_interleaved(uint8_t *reply, size_t len, const struct ntp_ts64 *req_rx,
                                const struct timespec *prev_tx)
{
    if (!reply || len < NTP_HEADER_LEN)
        return;
    ntp_ts64_to_bytes(reply + OFF_ORIGIN, req_rx);
    /* The transmit timestamp is the previous reply's, marked like any server transmit
     * timestamp; ntp_server_set_tx keeps it distinct from origin and receive. */
    ntp_server_set_tx(reply, len, prev_tx);
}

void ntp_server_set_kod(uint8_t *reply, size_t len, uint32_t kod)
{
    /* chrony transmit_packet with a KoD code: leap 3, stratum 0, the code as reference id. */
    if (!reply || len < NTP_HEADER_LEN)
        return;
    reply[0] = (uint8_t)(NTP_LEAP_UNSYNC << 6 | (reply[0] & 0x3F));
    reply[1] = 0;
    put_be32(reply + 12, kod);
}

int ntp_server_reason_is_hit(enum ntp_drop_reason why)
{
    /* chrony logs the client access (CLG_LogServiceAccess) after the format and mode checks
     * and before the authentication check. */
    switch (why) {
    case NTP_SRV_REPLY:
    case NTP_SRV_DROP_AUTH_MAC:
    case NTP_SRV_DROP_AUTH_MSSNTP:
    case NTP_SRV_DROP_AUTH_NTS:
    case NTP_SRV_DROP_NO_BUFFER:
        return 1;
    default:
        return 0;
    }
}

void ntp_server_ref_unsynchronised(struct ntp_server_ref *ref, int precision_log2)
{
    memset(ref, 0, sizeof(*ref));
    ref->leap = NTP_LEAP_UNSYNC;
    ref->stratum = NTP_SERVER_MAX_STRATUM;
    ref->precision_log2 = precision_log2;
    ref->ref_id = NTP_REFID_UNSYNC;
    /* chrony: "standard for a client" values, ignored by anyone since we are unsynchronised. */
    ref->root_delay = 1.0;
    ref->root_dispersion = 1.0;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
}

void ntp_server_ref_local(struct ntp_server_ref *ref, int stratum, const struct timespec *now,
                          int precision_log2)
{
    memset(ref, 0, sizeof(*ref));
    ref->leap = NTP_LEAP_NONE;
    /* chrony REF_EnableLocal clamps the stratum to 1..15. */
    ref->stratum = stratum < 1 ? 1 : stratum > 15 ? 15 : stratum;
    ref->precision_log2 = precision_log2;
    ref->ref_id = NTP_REFID_LOCAL;
    /* One second in the past so that a transmit timestamp can never precede it. */
    ref->ref_time = *now;
    ref->ref_time.tv_sec--;
    ref->min_poll_log2 = NTP_SERVER_MIN_POLL_DEFAULT;
}

const char *ntp_server_reason_name(enum ntp_drop_reason why)
{
    static const char *const names[NTP_SRV_N_REASONS] = {
        "reply",       "too-short",    "too-long",     "bad-length",      "bad-version",
        "bad-format",  "mode-control", "mode-private", "mode-unexpected", "auth-mac",
        "auth-mssntp", "auth-nts",     "no-buffer",
    };
    if ((unsigned)why >= NTP_SRV_N_REASONS)
        return "unknown";
    return names[why];
}

uint64_t ntp_server_counters_dropped(const struct ntp_server_counters *c)
{
    uint64_t sum = 0;
    for (int i = 0; i < NTP_SRV_N_REASONS; i++)
        sum += c->dropped[i];
    return sum;
}
