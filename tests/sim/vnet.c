/* The virtual network: hosts with numeric addresses, UDP sockets as port tables,
 * links with delay, jitter, loss and outages, datagrams queued as world events. */
#include "world.h"

#include "lib/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int addr_is_any(const struct ip_addr *ip)
{
    for (int i = 0; i < 16; i++)
        if (ip->a[i])
            return 0;
    return 1;
}

int vnet_open(struct world *w, int host, const struct net_addr *local, int flags)
{
    struct host *h = &w->hosts[host];
    enum ip_family fam = local && local->ip.family != IPF_UNSPEC ? local->ip.family : IPF_INET4;
    /* A socket of the other family opens fine but nothing will ever reach it: every
     * host has one address. */
    for (int i = 0; i < SIM_MAX_SOCKS; i++) {
        struct vsock *s = &h->socks[i];
        if (s->used)
            continue;
        memset(s, 0, sizeof(*s));
        s->used = 1;
        s->family = fam;
        s->tx_ts = (flags & NETF_TX_TIMESTAMPS) != 0;
        s->port = local ? local->port : 0;
        if (local && !addr_is_any(&local->ip))
            s->bound = local->ip;
        if (s->port == 0)
            s->port = h->next_port++;
        return i;
    }
    return -1;
}

void vnet_close(struct world *w, int host, int sock)
{
    if (sock >= 0 && sock < SIM_MAX_SOCKS)
        w->hosts[host].socks[sock].used = 0;
}

/* Direction parameters for a packet from src to dst. */
static const struct link *link_find(const struct world *w, int src, int dst, int *reverse)
{
    for (int i = 0; i < w->n_links; i++) {
        const struct link *l = &w->links[i];
        if (l->a == src && l->b == dst) {
            *reverse = 0;
            return l;
        }
        if (l->a == dst && l->b == src) {
            *reverse = 1;
            return l;
        }
    }
    for (int i = 0; i < w->n_links; i++) {
        const struct link *l = &w->links[i];
        if (l->b != -1)
            continue;
        if (l->a == src) {
            *reverse = 0;
            return l;
        }
        if (l->a == dst) {
            *reverse = 1;
            return l;
        }
    }
    *reverse = 0;
    return &w->default_link;
}

static int link_is_down(const struct link *l, double t)
{
    if (t >= l->down_start && t < l->down_end)
        return 1;
    if (l->period > 0 && fmod(t, l->period) >= l->period - l->down_len)
        return 1;
    return 0;
}

static double dir_delay(struct world *w, const struct link_dir *d, double *jitter)
{
    double j = 0.0;
    if (d->jitter > 0)
        j = d->kind == JITTER_EXP ? rng_exponential(&w->rng, d->jitter)
                                  : fabs(rng_normal(&w->rng) * d->jitter);
    *jitter = j;
    return d->delay + j;
}

/* A transparent clock's update of an NTP-over-PTP message (Sync or Delay_Req, version 2,
 * chrony's TLV 0x2023 after the 48-byte prefix): residence s added to the correctionField
 * (big-endian ns * 2^16). Other datagrams pass unchanged. */
static void ptp_tc_update(uint8_t *d, size_t len, double residence)
{
    int64_t corr = 0;

    if (len <= 48 || (d[0] & 0x0F) > 1 || (d[1] & 0x0F) != 2 || d[44] != 0x20 || d[45] != 0x23)
        return;
    for (int i = 0; i < 8; i++)
        corr = (int64_t)((uint64_t)corr << 8 | d[8 + i]);
    corr += (int64_t)llround(residence * 1e9 * 65536.0);
    for (int i = 7; i >= 0; i--, corr = (int64_t)((uint64_t)corr >> 8))
        d[8 + i] = (uint8_t)corr;
}

static struct packet *packet_alloc(struct world *w)
{
    struct packet *p = w->free_packets;
    if (p) {
        w->free_packets = p->next_free;
        return p;
    }
    return xmalloc(sizeof(*p));
}

void vnet_packet_free(struct world *w, struct packet *p)
{
    p->next_free = w->free_packets;
    w->free_packets = p;
}

static void fill_src(const struct host *h, int sock, struct net_addr *src)
{
    memset(src, 0, sizeof(*src));
    src->ip = h->ip;
    src->port = h->socks[sock].port;
}

int vnet_send(struct world *w, int src_host, int sock, const struct net_addr *remote,
              const void *buf, size_t len)
{
    struct host *h = &w->hosts[src_host];
    const struct link *l;
    const struct link_dir *d;
    struct packet *p;
    int dst, rev;
    double roll, late;

    if (sock < 0 || sock >= SIM_MAX_SOCKS || !h->socks[sock].used || len > sizeof(p->data))
        return -1;
    h->sent++;
    dst = world_find_host(w, &remote->ip);
    if (dst < 0) {
        h->undeliverable++;
        return 0; /* UDP to an address nobody has: silently gone */
    }
    l = link_find(w, src_host, dst, &rev);
    d = rev ? &l->ba : &l->ab;
    /* Draw the loss roll even when the link is down so the random stream does not
     * depend on the outage schedule. */
    roll = rng_uniform(&w->rng);
    late = h->tx_late > 0.0 ? rng_exponential(&w->rng, h->tx_late) : 0.0;
    if ((h->tx_ts || (h->kind == HOST_NODE && w->nodes[h->owner].dev.nic_on)) &&
        h->socks[sock].tx_ts && h->kind == HOST_NODE) {
        /* The report of when it left, even if the network loses it. */
        struct packet *r = packet_alloc(w);
        r->src_host = r->dst_host = src_host;
        r->dst_sock = sock;
        fill_src(h, sock, &r->src);
        r->dst = *remote;
        r->t_sent = w->t + late;
        r->t_wire = r->t_sent;
        r->sender_off = 0.0;
        r->len = len;
        memcpy(r->data, buf, len);
        world_schedule(
            w,
            w->t + late +
                (w->nodes[h->owner].dev.nic_on ? w->nodes[h->owner].dev.m.nic_tx_report_late : 0.0),
            EV_TXTS, 0, 0.0, r);
    }
    if (link_is_down(l, w->t) || roll < d->loss) {
        h->lost++;
        return 0;
    }
    p = packet_alloc(w);
    p->src_host = src_host;
    p->dst_host = dst;
    fill_src(h, sock, &p->src);
    p->dst = *remote;
    p->t_sent = w->t;
    p->sender_off = h->kind == HOST_NODE ? vclock_offset(&w->nodes[h->owner].clock, w->t) : 0.0;
    p->len = len;
    memcpy(p->data, buf, len);
    double jitter;
    p->t_wire = w->t + late + dir_delay(w, d, &jitter);
    if (d->ptp_tc)
        ptp_tc_update(p->data, p->len, jitter);
    /* The receiver's kernel timestamps it (and hands it over) a while after it arrived. */
    if (w->hosts[dst].kind == HOST_NODE && w->nodes[w->hosts[dst].owner].dev.m.kernel_rx_late > 0.0)
        world_schedule(w,
                       p->t_wire +
                           rng_exponential(&w->nodes[w->hosts[dst].owner].dev.rng,
                                           w->nodes[w->hosts[dst].owner].dev.m.kernel_rx_late),
                       EV_PACKET, 0, 0.0, p);
    else
        world_schedule(w, p->t_wire, EV_PACKET, 0, 0.0, p);
    return 0;
}

static int sock_matches(const struct vsock *s, const struct net_addr *dst)
{
    if (!s->used || s->port != dst->port || s->family != dst->ip.family)
        return 0;
    return s->bound.family == IPF_UNSPEC || ip_addr_equal(&s->bound, &dst->ip);
}

void world_deliver(struct world *w, struct packet *p)
{
    struct host *h = &w->hosts[p->dst_host];
    int sock = -1;
    for (int i = 0; i < SIM_MAX_SOCKS && sock < 0; i++)
        if (sock_matches(&h->socks[i], &p->dst))
            sock = i;
    if (sock < 0) {
        h->undeliverable++;
        vnet_packet_free(w, p);
        return;
    }
    h->received++;
    p->dst_sock = sock;
    if (h->kind == HOST_NODE) {
        sim_node_on_packet(w, &w->nodes[h->owner], p);
    } else {
        probe_on_reply(w, h->owner, p);
    }
    vnet_packet_free(w, p);
}
