/* UDP and Unix datagram sockets with kernel receive timestamps. Sockets are
 * created plain and made non-blocking/close-on-exec with fcntl afterwards so
 * LD_PRELOAD network simulators can intercept every call. */
#include "platform/internal.h"

#include "proto/hwts.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RX_BATCH 16
#define RX_BUF 1500

static void to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (a->ip.family == IPF_INET4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip.a, 4);
        *len = sizeof(*in);
    } else if (a->ip.family == IPF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        memcpy(&in6->sin6_addr, a->ip.a, 16);
        *len = sizeof(*in6);
    } else {
        /* A plain copy, not snprintf: a command reply takes this way every time. */
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strnlen(a->path, sizeof(a->path));
        if (n >= sizeof(un->sun_path))
            n = sizeof(un->sun_path) - 1;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->path, n);
        *len = sizeof(*un);
    }
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct net_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        a->ip.family = IPF_INET4;
        memcpy(a->ip.a, &in->sin_addr, 4);
        a->port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        a->ip.family = IPF_INET6;
        memcpy(a->ip.a, &in6->sin6_addr, 16);
        a->port = ntohs(in6->sin6_port);
        /* Present IPv4-mapped sources as IPv4. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            a->ip.family = IPF_INET4;
            memmove(a->ip.a, a->ip.a + 12, 4);
            memset(a->ip.a + 4, 0, 12);
        }
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
        size_t n = strnlen(un->sun_path, sizeof(un->sun_path));
        if (n >= sizeof(a->path))
            n = sizeof(a->path) - 1;
        memcpy(a->path, un->sun_path, n); /* a was zeroed: terminated */
    }
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void plat_socks_grow(struct platform *p)
{
    if (p->n_socks == p->cap_socks) {
        p->cap_socks = p->cap_socks ? 2 * p->cap_socks : 16;
        p->socks = xrealloc(p->socks, sizeof(*p->socks) * (size_t)p->cap_socks);
    }
}

/* Watch fd in the loop; limit is the first descriptor it may not have. */
static int track_below(struct platform *p, int fd, int is_unix, int limit)
{
    if (fd >= limit) {
        close(fd);
        errno = EMFILE;
        return -1;
    }
    plat_socks_grow(p);
    memset(&p->socks[p->n_socks], 0, sizeof(p->socks[0]));
    p->socks[p->n_socks].fd = fd;
    p->socks[p->n_socks].is_unix = is_unix;
    p->n_socks++;
    return fd;
}

static int track(struct platform *p, int fd, int is_unix)
{
    return track_below(p, fd, is_unix, FD_SETSIZE);
}

/* Software timestamps of received datagrams; with want_tx the socket can also report when
 * a datagram sent with send_ts left (SOF_TIMESTAMPING_TX_SOFTWARE asked per datagram in a
 * control message, as chrony does on its server sockets since Linux 4.7): on the error
 * queue without the data (OPT_TSONLY), numbered by the kernel's per-socket counter of
 * timestamped datagrams (OPT_ID). Returns 1 if transmit timestamps can be asked. */
#define TS_RX_FLAGS (SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
#define TS_TX_FLAGS (SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY)

/* With `hwtimestamp` (chrony with HW timestamping): raw hardware timestamps as well, the
 * IP_PKTINFO of the transmitted datagrams on the error queue (OPT_CMSG, and so no OPT_TSONLY:
 * the interface a transmit timestamp is from) and the interface and length of the frames
 * received (OPT_PKTINFO, when the kernel has it). */
#define TS_HW_FLAGS                                                                                \
    (SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_OPT_CMSG)

static int set_ts_flags(int fd, int flags)
{
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags));
}

/* The SO_TIMESTAMPING flags of a socket (want_tx: with transmit timestamps). */
static int ts_flags(const struct platform *p, int want_tx)
{
    int flags = TS_RX_FLAGS;
    if (p->hwts_on)
        flags |= TS_HW_FLAGS;
    if (want_tx)
        flags |= p->hwts_on ? SOF_TIMESTAMPING_OPT_ID : TS_TX_FLAGS;
    return flags;
}

static int enable_timestamps(const struct platform *p, int fd, int want_tx)
{
    int on = 1;
    if (want_tx && p->hwts_on &&
        set_ts_flags(fd, ts_flags(p, 1) | SOF_TIMESTAMPING_OPT_PKTINFO) == 0)
        return 1;
    if (want_tx && set_ts_flags(fd, ts_flags(p, 1)) == 0)
        return 1;
    if (p->hwts_on && set_ts_flags(fd, ts_flags(p, 0) | SOF_TIMESTAMPING_OPT_PKTINFO) == 0)
        return 0;
    /* Prefer SO_TIMESTAMPING; fall back to nanosecond SO_TIMESTAMPNS. */
    if (set_ts_flags(fd, ts_flags(p, 0)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
    return 0;
}

/* A larger receive buffer, if the system's is smaller (the kernel caps the request at
 * net.core.rmem_max; a failure keeps the default). */
static void set_rcvbuf(int fd, int bytes)
{
    int cur = 0;
    socklen_t len = sizeof(cur);
    /* The kernel reports twice what was asked (its bookkeeping overhead included). */
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len) == 0 && cur / 2 >= bytes)
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

static struct plat_sock *find_sock(struct platform *p, int fd)
{
    for (int i = 0; i < p->n_socks; i++)
        if (p->socks[i].fd == fd)
            return &p->socks[i];
    return NULL;
}

void plat_bind_options(int fd, int port)
{
    int on = 1;
    /* As chrony binds an IP socket on Linux (failures ignored): a socket of a given port
     * shares it with other instances' sockets that ask the same (SO_REUSEPORT: several
     * server instances on one port, chrony's FAQ), and an address the host does not have
     * yet can be bound (IP_FREEBIND, for both families). */
    if (port > 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    }
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
}

int plat_bind_device(int fd, const char *device)
{
    if (!device || !device[0])
        return 0;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, strlen(device) + 1) < 0 ? -1 : 0;
}

static int net_udp_open(void *ctx, const struct net_addr *local, int flags,
                        const struct net_sock_opts *opts, int *err)
{
    struct platform *p = ctx;
    struct sockaddr_storage ss;
    socklen_t len;
    int on = 1;
    int af = local->ip.family == IPF_INET6 ? AF_INET6 : AF_INET;
    int fd = socket(af, SOCK_DGRAM, 0);
    if (fd < 0)
        goto fail;
    if (set_flags(fd) < 0)
        goto fail_close;
    if (flags & NETF_REUSE)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    /* The serving workers need the shared port; other sockets only take chrony's options. */
    if ((flags & NETF_REUSEPORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
        goto fail_close;
    plat_bind_options(fd, local->port);
    /* As chrony's server sockets: allowed to send to a broadcast address (a failure is
     * ignored, as there). */
    if (flags & NETF_BROADCAST)
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
    if (af == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
    } else {
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    }
    int txts = enable_timestamps(p, fd, flags & NETF_TX_TIMESTAMPS);
    /* As chrony's SCK_OpenUdpSocket: the device first, a failure fails the socket. */
    if (opts && plat_bind_device(fd, opts->device) < 0)
        goto fail_close;
    /* dscp: chrony ignores a failure */
    if (opts && opts->dscp > 0 && opts->dscp < 64) {
        int tos = opts->dscp << 2;
        if (af == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
        else
            setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    }
    if (opts && opts->rcvbuf > 0)
        set_rcvbuf(fd, opts->rcvbuf);
    to_sockaddr(local, &ss, &len);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0)
        goto fail_close;
    if (track_below(p, fd, 0, flags & NETF_SERVER ? FD_SETSIZE : p->client_fd_limit) < 0)
        goto fail;
    if (txts)
        p->socks[p->n_socks - 1].tx = calloc(PLAT_TX_RING, sizeof(struct plat_tx_rec));
    return fd;
fail_close:
    if (err)
        *err = errno;
    close(fd);
    return -1;
fail:
    if (err)
        *err = errno;
    return -1;
}

static int net_unix_open(void *ctx, const char *path, int *err)
{
    struct platform *p = ctx;
    struct net_addr a;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    memset(&a, 0, sizeof(a));
    if (strlen(path) >= sizeof(a.path)) {
        if (err)
            *err = ENAMETOOLONG;
        return -1;
    }
    snprintf(a.path, sizeof(a.path), "%s", path);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || set_flags(fd) < 0)
        goto fail;
    unlink(path);
    to_sockaddr(&a, &ss, &len);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0)
        goto fail;
    return track(p, fd, 1);
fail:
    if (err)
        *err = errno;
    if (fd >= 0)
        close(fd);
    return -1;
}

static void net_close(void *ctx, int sock)
{
    struct platform *p = ctx;
    for (int i = 0; i < p->n_socks; i++) {
        if (p->socks[i].fd != sock)
            continue;
        free(p->socks[i].tx);
        p->socks[i] = p->socks[--p->n_socks];
        close(sock);
        return;
    }
}

static void add_pktinfo(struct msghdr *msg, char *cbuf, size_t cap, const struct net_addr *local)
{
    struct cmsghdr *cm;
    if (!local || local->ip.family == IPF_UNSPEC)
        return;
    msg->msg_control = cbuf;
    msg->msg_controllen = cap;
    cm = CMSG_FIRSTHDR(msg);
    memset(cbuf, 0, cap);
    if (local->ip.family == IPF_INET4) {
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi_spec_dst, local->ip.a, 4);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    } else {
        struct in6_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi6_addr, local->ip.a, 16);
        cm->cmsg_level = IPPROTO_IPV6;
        cm->cmsg_type = IPV6_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    }
    msg->msg_controllen = cm->cmsg_len;
}

/* Remember a datagram sent on a socket with transmit timestamps under the number the
 * kernel gave it (its counter counts the datagrams sent since it was enabled). */
static void tx_remember(struct platform *p, int sock, const struct net_addr *remote,
                        const struct net_addr *local, const void *buf, size_t len)
{
    struct plat_sock *s = find_sock(p, sock);
    struct plat_tx_rec *r;
    if (!s || !s->tx)
        return;
    r = &s->tx[s->tx_next_id % PLAT_TX_RING];
    if (!r->used)
        s->tx_pending++;
    memset(r, 0, sizeof(*r));
    r->id = s->tx_next_id++;
    r->used = 1;
    r->len = len < PLAT_TX_HEAD ? len : PLAT_TX_HEAD;
    memcpy(r->head, buf, r->len);
    r->remote = *remote;
    if (local)
        r->local = *local;
}

/* A failed send may or may not have used a number: drop what is queued, then restart the
 * kernel's counter at 0 by turning OPT_ID off and on, and forget the datagrams. */
static void tx_resync(struct platform *p, int sock)
{
    struct plat_sock *s = find_sock(p, sock);
    int rx_only = ts_flags(p, 0), all = ts_flags(p, 1);
    char cbuf[256];
    struct msghdr msg;
    if (!s || !s->tx)
        return;
    for (int i = 0; i < 4 * PLAT_TX_RING; i++) {
        memset(&msg, 0, sizeof(msg));
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof(cbuf);
        if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            break;
    }
    setsockopt(sock, SOL_SOCKET, SO_TIMESTAMPING, &rx_only, sizeof(rx_only));
    if (setsockopt(sock, SOL_SOCKET, SO_TIMESTAMPING, &all, sizeof(all)) < 0) {
        free(s->tx);
        s->tx = NULL;
        return;
    }
    memset(s->tx, 0, PLAT_TX_RING * sizeof(*s->tx));
    s->tx_next_id = 0;
    s->tx_pending = 0;
}

/* Room for the control messages of one datagram sent: its source address and the request
 * for its transmit timestamp. */
union plat_tx_cbuf {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
};

/* The message of one datagram to send; ask = 1 asks the kernel for its transmit timestamp
 * (a control message, as chrony on its server sockets). */
static void build_tx_msg(const struct platform *p, const struct net_addr *remote,
                         const struct net_addr *local, const void *buf, size_t len, int ask,
                         struct msghdr *msg, struct sockaddr_storage *ss, struct iovec *iov,
                         union plat_tx_cbuf *cbuf)
{
    socklen_t sslen;
    size_t used = 0;
    memset(msg, 0, sizeof(*msg));
    to_sockaddr(remote, ss, &sslen);
    iov->iov_base = (void *)buf;
    iov->iov_len = len;
    msg->msg_name = ss;
    msg->msg_namelen = sslen;
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    if (local && local->ip.family == remote->ip.family) {
        add_pktinfo(msg, cbuf->buf, sizeof(cbuf->buf), local);
        used = msg->msg_controllen ? CMSG_SPACE(msg->msg_controllen - CMSG_LEN(0)) : 0;
    }
    if (ask) {
        struct cmsghdr *cm = (struct cmsghdr *)(cbuf->buf + used);
        int flags = SOF_TIMESTAMPING_TX_SOFTWARE | (p->hwts_on ? SOF_TIMESTAMPING_TX_HARDWARE : 0);
        memset(cm, 0, CMSG_SPACE(sizeof(int)));
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SO_TIMESTAMPING;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &flags, sizeof(flags));
        msg->msg_control = cbuf->buf;
        msg->msg_controllen = used + CMSG_SPACE(sizeof(int));
    }
}

/* Send one datagram; ask = 1 asks for its transmit timestamp on a socket that can report
 * it. */
static int send_one(struct platform *p, int sock, const struct net_addr *remote,
                    const struct net_addr *local, const void *buf, size_t len, int ask)
{
    struct sockaddr_storage ss;
    struct iovec iov;
    struct msghdr msg;
    union plat_tx_cbuf cbuf;
    struct plat_sock *s = find_sock(p, sock);

    ask = ask && s && s->tx;
    build_tx_msg(p, remote, local, buf, len, ask, &msg, &ss, &iov, &cbuf);
    if (sendmsg(sock, &msg, 0) < 0) {
        if (ask)
            tx_resync(p, sock);
        return -1;
    }
    if (ask)
        tx_remember(p, sock, remote, local, buf, len);
    return 0;
}

/* Datagrams per sendmmsg call. */
#define TX_BATCH 32

/* tx[0..n), all on one socket (n <= TX_BATCH): sendmmsg, continued after a datagram the
 * kernel refused (sendmmsg stops there and reports only what it sent). Where sendmmsg itself
 * is missing (ENOSYS, or a descriptor that is not the kernel's: an LD_PRELOAD simulator
 * intercepts sendmsg but not sendmmsg), the platform falls back to one sendmsg each. */
static void send_run(struct platform *p, struct net_tx *tx, int n)
{
    struct mmsghdr msgs[TX_BATCH];
    struct sockaddr_storage names[TX_BATCH];
    struct iovec iovs[TX_BATCH];
    union plat_tx_cbuf cbufs[TX_BATCH];
    struct plat_sock *s = find_sock(p, tx[0].sock);
    int can_ts = s && s->tx, done = 0;

    for (int i = 0; i < n; i++) {
        build_tx_msg(p, tx[i].remote, tx[i].local, tx[i].buf, tx[i].len, tx[i].want_ts && can_ts,
                     &msgs[i].msg_hdr, &names[i], &iovs[i], &cbufs[i]);
        msgs[i].msg_len = 0;
        tx[i].failed = 0;
    }
    while (done < n) {
        int r = p->no_sendmmsg ? -1 : sendmmsg(tx[0].sock, msgs + done, (unsigned)(n - done), 0);
        if (r < 0 && (p->no_sendmmsg || errno == ENOSYS || errno == EBADF || errno == ENOTSOCK)) {
            p->no_sendmmsg = 1;
            for (; done < n; done++)
                tx[done].failed = send_one(p, tx[done].sock, tx[done].remote, tx[done].local,
                                           tx[done].buf, tx[done].len, tx[done].want_ts) < 0;
            return;
        }
        if (r <= 0) {
            /* The first of the rest was refused: a number the kernel may have used. */
            tx[done].failed = 1;
            if (tx[done].want_ts && can_ts)
                tx_resync(p, tx[done].sock);
            done++;
            continue;
        }
        for (int i = done; i < done + r; i++)
            if (tx[i].want_ts && can_ts)
                tx_remember(p, tx[i].sock, tx[i].remote, tx[i].local, tx[i].buf, tx[i].len);
        done += r;
    }
}

static void net_send_batch(void *ctx, struct net_tx *tx, int n)
{
    int i = 0;
    while (i < n) {
        int run = 1;
        while (i + run < n && run < TX_BATCH && tx[i + run].sock == tx[i].sock)
            run++;
        send_run(ctx, tx + i, run);
        i += run;
    }
}

static int net_send(void *ctx, int sock, const struct net_addr *remote,
                    const struct net_addr *local, const void *buf, size_t len)
{
    return send_one(ctx, sock, remote, local, buf, len, 0);
}

static int net_send_ts(void *ctx, int sock, const struct net_addr *remote,
                       const struct net_addr *local, const void *buf, size_t len)
{
    return send_one(ctx, sock, remote, local, buf, len, 1);
}

void plat_cmsg_parse(struct msghdr *msg, struct plat_cmsg_info *out)
{
    memset(out, 0, sizeof(*out));
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING &&
            cm->cmsg_len >= CMSG_LEN(sizeof(struct scm_timestamping))) {
            struct scm_timestamping ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
            out->sw_ts = ts.ts[0];
            out->hw_ts = ts.ts[2];
        } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == HWTS_SCM_TIMESTAMPING_PKTINFO &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct hwts_pktinfo))) {
            struct hwts_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            out->ts_if_index = (int)pi.if_index;
            out->l2_len = (int)pi.pkt_length;
        } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            memcpy(&out->sw_ts, CMSG_DATA(cm), sizeof(out->sw_ts));
        } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            out->if_index = pi.ipi_ifindex;
            out->local.ip.family = IPF_INET4;
            memcpy(out->local.ip.a, &pi.ipi_addr, 4);
        } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            out->if_index = (int)pi.ipi6_ifindex;
            out->local.ip.family = IPF_INET6;
            memcpy(out->local.ip.a, &pi.ipi6_addr, 16);
        } else if (((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
                    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)) &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
            /* The error queue's report of a timestamp (not of an ICMP error). */
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
            if (ee.ee_errno == ENOMSG && ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
                out->is_tx_ts = 1;
                out->tx_id = ee.ee_data;
            }
        }
    }
}

/* A hardware timestamp, with the interface it came from (the timestamping device's, else
 * the one of IP_PKTINFO, as chrony) and the frame's length. */
static void set_hw(const struct plat_cmsg_info *ci, struct net_rx *rx)
{
    if (ts_is_zero(&ci->hw_ts))
        return;
    rx->hw_ts = ci->hw_ts;
    rx->if_index = ci->ts_if_index > 0 ? ci->ts_if_index : ci->if_index;
    rx->l2_len = ci->l2_len;
}

static void parse_cmsgs(struct platform *p, struct msghdr *msg, struct net_rx *rx)
{
    struct plat_cmsg_info ci;
    plat_cmsg_parse(msg, &ci);
    if (!ts_is_zero(&ci.sw_ts)) {
        plat_clock_from_system(&p->clock, &ci.sw_ts, &rx->rx_ts);
        rx->rx_ts_src = RXTS_KERNEL;
    }
    if (ci.local.ip.family != IPF_UNSPEC)
        rx->local.ip = ci.local.ip;
    set_hw(&ci, rx);
}

/* Transmit timestamps waiting on the error queue of fd: each is handed to the handler with
 * the datagram it belongs to (net_rx.tx_ts). Returns 0 if the socket went away. */
static int receive_tx_timestamps(struct platform *p, int fd, const struct platform_handlers *h,
                                 const struct timespec *wake)
{
    for (int n = 0; n < RX_BATCH; n++) {
        struct plat_sock *s = find_sock(p, fd);
        struct plat_cmsg_info ci;
        struct plat_tx_rec rec, *r;
        struct net_rx rx;
        char cbuf[512];
        uint8_t data[64];
        struct iovec iov = {data, sizeof(data)};
        struct msghdr msg;

        if (!s)
            return 0;
        if (!s->tx)
            return 1;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof(cbuf);
        if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return 1;
        plat_cmsg_parse(&msg, &ci);
        if (!ci.is_tx_ts || (ts_is_zero(&ci.sw_ts) && ts_is_zero(&ci.hw_ts)))
            continue;
        r = &s->tx[ci.tx_id % PLAT_TX_RING];
        if (!r->used || r->id != ci.tx_id)
            continue;
        r->used = 0;
        s->tx_pending--;
        rec = *r;
        memset(&rx, 0, sizeof(rx));
        rx.sock = fd;
        rx.data = rec.head;
        rx.len = rec.len;
        rx.remote = rec.remote;
        rx.local = rec.local;
        /* A hardware timestamp alone: the daemon converts it, or drops the report. */
        rx.rx_ts = *wake;
        rx.rx_ts_src = RXTS_NONE;
        if (!ts_is_zero(&ci.sw_ts)) {
            plat_clock_from_system(&p->clock, &ci.sw_ts, &rx.rx_ts);
            rx.rx_ts_src = RXTS_KERNEL;
        }
        set_hw(&ci, &rx);
        rx.tx_ts = 1;
        h->on_datagram(h->ctx, &rx, wake);
    }
    return 1;
}

void plat_net_receive(struct platform *p, int fd, const struct platform_handlers *h,
                      const struct timespec *wake)
{
    static uint8_t bufs[RX_BATCH][RX_BUF];
    static char cbufs[RX_BATCH][256];
    struct mmsghdr msgs[RX_BATCH];
    struct iovec iovs[RX_BATCH];
    struct sockaddr_storage names[RX_BATCH];
    int n;

    struct plat_sock *s = find_sock(p, fd);
    /* As chrony's command sockets, a Unix socket takes one request per wake-up: asking the
     * kernel for a batch costs one more (failing) receive per request, and a client
     * waits for each answer before it sends again. */
    unsigned batch = s && s->is_unix ? 1 : RX_BATCH;
    /* Transmit timestamps first: on loopback they are queued before the answer comes.
     * With none awaited (a server answering in basic mode), the error queue is read only
     * when the wake-up brought no datagram, which saves a system call per wake-up. */
    int tx_first = !s || !s->tx || s->tx_pending > 0;

    if (tx_first && !receive_tx_timestamps(p, fd, h, wake))
        return;
    memset(msgs, 0, batch * sizeof(msgs[0]));
    for (unsigned i = 0; i < batch; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = RX_BUF;
        msgs[i].msg_hdr.msg_name = &names[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(names[i]);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = cbufs[i];
        msgs[i].msg_hdr.msg_controllen = sizeof(cbufs[i]);
    }
    n = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, NULL);
    if (n <= 0 && !tx_first) {
        receive_tx_timestamps(p, fd, h, wake);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct net_rx rx;
        memset(&rx, 0, sizeof(rx));
        rx.sock = fd;
        rx.data = bufs[i];
        rx.len = msgs[i].msg_len;
        /* A datagram without a timestamp falls back to the wake-up time. */
        rx.rx_ts = *wake;
        rx.rx_ts_src = RXTS_NONE;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            rx.len = RX_BUF;
        from_sockaddr(&names[i], &rx.remote);
        if (msgs[i].msg_hdr.msg_namelen == 0 || msgs[i].msg_hdr.msg_namelen <= sizeof(sa_family_t))
            rx.remote.path[0] = '\0';
        parse_cmsgs(p, &msgs[i].msg_hdr, &rx);
        h->on_datagram(h->ctx, &rx, wake);
    }
}

/* chrony SCK_OpenUnixStreamSocket: non-blocking before connect(), so that a Unix socket
 * connects at once or fails (EAGAIN with a full backlog) and nothing waits. */
static int stream_unix_connect(void *ctx, const char *path, stream_cb cb, void *arg, int *err)
{
    struct platform *p = ctx;
    struct net_addr a;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, e;

    memset(&a, 0, sizeof(a));
    if (strlen(path) >= sizeof(a.path) ||
        strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        *err = ENAMETOOLONG;
        return -1;
    }
    snprintf(a.path, sizeof(a.path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    to_sockaddr(&a, &ss, &len);
    if (set_flags(fd) < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
        e = errno;
        close(fd);
        *err = e;
        return -1;
    }
    if (track(p, fd, 1) < 0) {
        *err = errno;
        return -1;
    }
    p->socks[p->n_socks - 1].cb = cb;
    p->socks[p->n_socks - 1].cb_arg = arg;
    return fd;
}

static void stream_want_write(void *ctx, int sock, int on)
{
    struct plat_sock *s = find_sock(ctx, sock);
    if (s)
        s->want_write = on;
}

static long stream_send(void *ctx, int sock, const void *buf, size_t len)
{
    ssize_t r;
    (void)ctx;
    r = send(sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    return (long)r;
}

static long stream_recv(void *ctx, int sock, void *buf, size_t cap)
{
    ssize_t r;
    (void)ctx;
    r = recv(sock, buf, cap, MSG_DONTWAIT);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    return r == 0 ? -1 : (long)r;
}

static int track_stream(struct platform *p, int fd, stream_cb cb, void *arg)
{
    if (track(p, fd, 0) < 0)
        return -1;
    p->socks[p->n_socks - 1].cb = cb;
    p->socks[p->n_socks - 1].cb_arg = arg;
    return fd;
}

static int stream_tcp_listen(void *ctx, const struct net_addr *local, stream_cb cb, void *arg,
                             int *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int on = 1;
    int af = local->ip.family == IPF_INET6 ? AF_INET6 : AF_INET;
    int fd = socket(af, SOCK_STREAM, 0);

    if (fd < 0) {
        *err = errno;
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    plat_bind_options(fd, local->port);
    if (af == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    to_sockaddr(local, &ss, &len);
    if (set_flags(fd) < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
        *err = errno;
        close(fd);
        return -1;
    }
    if (track_stream(ctx, fd, cb, arg) < 0) {
        *err = errno;
        return -1;
    }
    return fd;
}

static int stream_tcp_accept(void *ctx, int listener, struct net_addr *remote, stream_cb cb,
                             void *arg)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd;

    memset(&ss, 0, sizeof(ss));
    fd = accept(listener, (struct sockaddr *)&ss, &len);
    if (fd < 0)
        return -1;
    if (set_flags(fd) < 0) {
        close(fd);
        return -1;
    }
    from_sockaddr(&ss, remote);
    return track_stream(ctx, fd, cb, arg);
}

static void stream_want_read(void *ctx, int sock, int on)
{
    struct plat_sock *s = find_sock(ctx, sock);
    if (s)
        s->no_read = !on;
}

int plat_watch_fd(struct platform *p, int fd, stream_cb cb, void *arg)
{
    if (fd >= FD_SETSIZE)
        return -1;
    plat_socks_grow(p);
    memset(&p->socks[p->n_socks], 0, sizeof(p->socks[0]));
    p->socks[p->n_socks].fd = fd;
    p->socks[p->n_socks].cb = cb;
    p->socks[p->n_socks].cb_arg = arg;
    p->n_socks++;
    return 0;
}

void plat_unwatch_fd(struct platform *p, int fd)
{
    for (int i = 0; i < p->n_socks; i++) {
        if (p->socks[i].fd == fd) {
            free(p->socks[i].tx);
            p->socks[i] = p->socks[--p->n_socks];
            return;
        }
    }
}

void plat_stream_event(struct platform *p, int fd, int events)
{
    struct plat_sock *s = find_sock(p, fd);
    if (s && s->cb)
        s->cb(s->cb_arg, fd, events);
}

void plat_net_init(struct platform *p)
{
    struct rlimit rl;
    rlim_t top = FD_SETSIZE;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top)
        top = rl.rlim_cur;
    p->client_fd_limit = top > 2 * PLAT_FD_RESERVE ? (int)top - PLAT_FD_RESERVE : (int)top / 2;
    p->env.net = (struct env_net){p,        net_udp_open, net_unix_open, net_close,
                                  net_send, net_send_ts,  net_send_batch};
    p->env.stream = (struct env_stream){
        p,         stream_unix_connect, stream_want_write, stream_send,     stream_recv,
        net_close, stream_tcp_listen,   stream_tcp_accept, stream_want_read};
}

void plat_net_fini(struct platform *p)
{
    while (p->n_socks)
        net_close(p, p->socks[0].fd);
    free(p->socks);
    p->socks = NULL;
    p->cap_socks = 0;
}
