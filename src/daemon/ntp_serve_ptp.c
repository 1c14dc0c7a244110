/* NTP over PTP (chrony's `ptpport` and `ptpdomain`): the sockets of the PTP event port,
 * shared by the server and the sources whose port is the ptpport, and the encapsulation
 * of what is sent and received on them (src/proto/ptp). */
#include "daemon/config.h"
#include "daemon/ntp_serve.h"
#include "proto/ntp.h"
#include "proto/ptp.h"

#include <string.h>

static int open_ptp_socket(struct ntp_serve *s, enum ip_family fam, const struct ip_addr *bind)
{
    /* chrony opens it as a server socket (bindaddress), with transmit timestamps. */
    return serve_open_socket(s, fam, bind, s->cfg->ptp_port, NETF_SERVER | NETF_TX_TIMESTAMPS);
}

int serve_ptp_start(struct ntp_serve *s, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    s->ptp_socks[0] = s->ptp_socks[1] = -1;
    /* chrony keeps the PTP port open whether it serves or has sources or not. */
    if (s->cfg->ptp_port <= 0)
        return 0;
    if (s->family != 6)
        s->ptp_socks[0] = open_ptp_socket(s, IPF_INET4, &s->cfg->bind_addr4);
    if (s->family != 4)
        s->ptp_socks[1] = open_ptp_socket(s, IPF_INET6, &s->cfg->bind_addr6);
    return 0;
}

void serve_ptp_stop(struct ntp_serve *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->ptp_socks[i] >= 0)
            s->env->net.close(s->env->net.ctx, s->ptp_socks[i]);
        s->ptp_socks[i] = -1;
    }
}

int serve_is_ptp_socket(const struct ntp_serve *s, int sock)
{
    return sock >= 0 && (sock == s->ptp_socks[0] || sock == s->ptp_socks[1]);
}

int serve_ptp_socket_for(const struct ntp_serve *s, enum ip_family fam, int port)
{
    if (s->cfg->ptp_port <= 0 || port != s->cfg->ptp_port)
        return -1;
    return s->ptp_socks[fam == IPF_INET6 ? 1 : 0];
}

int serve_ptp_unwrap(const struct ntp_serve *s, const struct net_rx *rx, struct net_rx *out)
{
    struct ptp_ntp_msg m;
    enum ptp_verdict v;

    *out = *rx;
    if (!serve_is_ptp_socket(s, rx->sock))
        return 1;
    if (rx->tx_ts) {
        /* Our own message, of which only the first bytes were kept. */
        if (rx->len <= PTP_NTP_PREFIX_LEN)
            return 0;
        out->data = rx->data + PTP_NTP_PREFIX_LEN;
        out->len = rx->len - PTP_NTP_PREFIX_LEN;
        return 1;
    }
    v = ptp_ntp_decode(rx->data, rx->len, (uint8_t)s->cfg->ptp_domain, &m);
    if (v != PTP_OK) {
        LOG_DEBUG(s->env->log, "Unexpected PTP message (%s)", ptp_verdict_name(v));
        return 0;
    }
    /* chrony: the correctionField of transparent clocks (ns * 2^16) counts only when the
     * frame's duration is known, i.e. with a hardware receive timestamp. */
    if (out->net_correction > 0.0)
        out->net_correction += m.correction / (65536.0 * 1e9);
    LOG_DEBUG(s->env->log, "Unwrapped PTP->NTP len=%zu corr=%.9f", m.ntp_len,
              m.correction / (65536.0 * 1e9));
    out->data = rx->data + m.ntp_offset;
    out->len = m.ntp_len;
    return 1;
}

int serve_send(struct ntp_serve *s, int sock, const struct net_addr *remote,
               const struct net_addr *local, const uint8_t *buf, size_t len, int want_ts)
{
    uint8_t ptp[PTP_NTP_PREFIX_LEN + NTP_MAX_PACKET_LEN];
    int (*send)(void *, int, const struct net_addr *, const struct net_addr *, const void *,
                size_t) = want_ts && s->env->net.send_ts ? s->env->net.send_ts : s->env->net.send;

    if (serve_is_ptp_socket(s, sock)) {
        if (len < NTP_HEADER_LEN || len > NTP_MAX_PACKET_LEN)
            return -1;
        len = ptp_ntp_encode(ptp, sizeof(ptp), buf, len, (uint8_t)s->cfg->ptp_domain,
                             s->ptp_sequence++);
        if (!len)
            return -1;
        buf = ptp;
    }
    return send(s->env->net.ctx, sock, remote, local, buf, len);
}
