/* Fuzz target for the NTP server responder (src/core/ntp_server): any input must be answered
 * or dropped with a reason, the reply must decode, never be longer than the request, and the
 * counters must balance. The first two bytes choose the served reference, the source port and
 * whether NTS server keys are given (then NTS replies and NAKs must not outgrow the request). */
#include "core/ntp_server.h"
#include "proto/ntp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void choose_ref(struct ntp_server_ref *ref, uint8_t sel, const struct timespec *now)
{
    switch (sel % 3) {
    case 0:
        ntp_server_ref_unsynchronised(ref, -20);
        break;
    case 1:
        ntp_server_ref_local(ref, sel >> 4, now, -24);
        break;
    default:
        memset(ref, 0, sizeof(*ref));
        ref->leap = sel >> 6;
        ref->stratum = sel >> 2;
        ref->precision_log2 = -(int)(sel & 31);
        ref->ref_id = 0x7F000001U;
        ref->ref_time = (struct timespec){now->tv_sec - sel, 0};
        ref->root_delay = sel / 100.0;
        ref->root_dispersion = sel / 1000.0;
        ref->root_dispersion_rate = 1e-5;
        ref->min_poll_log2 = (sel & 1) ? NTP_SERVER_MIN_POLL_DEFAULT : 4;
        break;
    }
}

static void check_reply(const uint8_t *req, const uint8_t *out, size_t len, int nts)
{
    struct ntp_packet q, r;
    if ((!nts && len != NTP_HEADER_LEN) || ntp_decode(out, len, &r, NULL) != NTP_OK)
        abort();
    ntp_decode(req, NTP_HEADER_LEN, &q, NULL);
    if (r.mode != NTP_MODE_SERVER && r.mode != NTP_MODE_PASSIVE)
        abort();
    if (r.version != q.version || !ntp_ts64_equal(&r.origin_ts, &q.tx_ts))
        abort();
    if (ntp_ts64_equal(&r.rx_ts, &r.origin_ts) || ntp_ts64_equal(&r.tx_ts, &r.rx_ts))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct timespec rx = {1700000000, 999999999};
    const struct timespec tx = {1700000001, 0};
    struct ntp_server_counters c;
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    struct nts_server_keys ks;
    enum ntp_drop_reason why = NTP_SRV_N_REASONS;
    uint8_t out[NTP_MAX_PACKET_LEN + 16], rnd[NTS_SERVER_REPLY_RANDOM],
        krnd[NTS_SERVER_KEYS_RANDOM];
    uint8_t sel = size > 0 ? data[0] : 0;
    uint16_t port = size > 1 && (data[1] & 1) ? 123 : 40000;
    int nts = size > 1 && (data[1] & 2);
    size_t len;

    memset(&c, 0, sizeof(c));
    memset(rnd, 0x5A, sizeof(rnd));
    memset(krnd, 0x5A, sizeof(krnd));
    nts_server_keys_init(&ks, krnd);
    choose_ref(&ref, sel, &rx);
    len = ntp_server_respond_nts(&ref, NULL, nts ? &ks : NULL, data, size, port, &rx, out,
                                 sizeof(out), &auth, &why, &c);
    if (len > size || (len == 0) != (why != NTP_SRV_REPLY) || why >= NTP_SRV_N_REASONS)
        abort();
    if (c.received != 1 || c.received != c.replied + ntp_server_counters_dropped(&c))
        abort();
    if (len > 0) {
        ntp_server_set_tx(out, len, &tx);
        len = ntp_server_finish_nts(&ks, &auth, out, len, sizeof(out), rnd);
        if (len > size)
            abort();
        if (len > 0)
            check_reply(data, out, len, nts);
    }
    return 0;
}
