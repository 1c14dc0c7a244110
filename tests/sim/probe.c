/* Probe clients: minimal SNTP clients with perfect clocks, written with the proto
 * codec, that poll a node and compare the offset they measure (RFC 5905 §8
 * on-wire calculation) with the node's true offset known to the world. */
#include "world.h"

#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <string.h>

static void true_ntp_now(const struct world *w, struct ntp_ts64 *out)
{
    struct timespec ts;
    ts_add(&ts, &w->epoch, w->t);
    ntp_ts64_from_timespec(out, &ts);
}

void probe_send(struct world *w, int idx)
{
    struct probe *p = &w->probes[idx];
    struct ntp_packet req;
    struct net_addr remote;
    uint8_t buf[NTP_HEADER_LEN];

    memset(&req, 0, sizeof(req));
    req.leap = NTP_LEAP_UNSYNC;
    req.version = NTP_VERSION;
    req.mode = NTP_MODE_CLIENT;
    req.poll = 6;
    req.precision = -20;
    true_ntp_now(w, &req.tx_ts);
    if (ntp_encode(&req, buf, sizeof(buf)) != NTP_HEADER_LEN)
        return;
    memset(&remote, 0, sizeof(remote));
    remote.ip = w->hosts[w->nodes[p->target].host].ip;
    remote.port = 123;
    p->sent_tx = req.tx_ts;
    p->t_sent = w->t;
    p->pending = 1;
    w->pstats.sent++;
    vnet_send(w, p->host, 0, &remote, buf, sizeof(buf));
}

static void note_reply(struct probe_stats *s, const struct ntp_packet *pkt, double err,
                       double delay)
{
    if (s->replies == 0) {
        s->stratum_min = s->stratum_max = pkt->stratum;
        s->ref_id = pkt->ref_id;
    }
    s->replies++;
    if (pkt->stratum < s->stratum_min)
        s->stratum_min = pkt->stratum;
    if (pkt->stratum > s->stratum_max)
        s->stratum_max = pkt->stratum;
    s->leap_mask |= 1u << pkt->leap;
    if (pkt->ref_id != s->ref_id)
        s->refid_mixed = 1;
    s->ref_id = pkt->ref_id;
    s->sum_err += err;
    s->sum_err2 += err * err;
    if (fabs(err) > s->max_err)
        s->max_err = fabs(err);
    s->sum_delay += delay;
    if (delay > s->max_delay)
        s->max_delay = delay;
    /* The on-wire offset is off from the truth by at most half the round trip. */
    if (s->replies == 1 || fabs(err) - delay / 2 > s->max_err_over_bound)
        s->max_err_over_bound = fabs(err) - delay / 2;
}

void probe_on_reply(struct world *w, int idx, const struct packet *pk)
{
    struct probe *p = &w->probes[idx];
    struct ntp_packet pkt;
    struct ntp_ts64 t4;
    double offset, delay, truth;

    if (ntp_decode(pk->data, pk->len, &pkt, NULL) != NTP_OK || pkt.mode != NTP_MODE_SERVER ||
        !p->pending || !ntp_ts64_equal(&pkt.origin_ts, &p->sent_tx)) {
        w->pstats.bad++;
        return;
    }
    p->pending = 0;
    true_ntp_now(w, &t4);
    offset = (ntp_ts64_diff(&pkt.rx_ts, &p->sent_tx) + ntp_ts64_diff(&pkt.tx_ts, &t4)) / 2;
    delay = ntp_ts64_diff(&t4, &p->sent_tx) - ntp_ts64_diff(&pkt.tx_ts, &pkt.rx_ts);
    /* The node's offset when it sent the reply. */
    truth = pk->sender_off;
    note_reply(&w->pstats, &pkt, offset - truth, delay);
}
