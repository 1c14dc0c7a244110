/* NTP request flood from many distinct (source address, port) pairs on loopback.
 *
 *   ntpflood -p PORT [-n PAIRS] [-k PORTS] [-r RATE] [-d SECONDS] [-P PID] [-x]
 *
 * PAIRS pairs (default 1 000 000) are PAIRS/PORTS addresses spread evenly over
 * 127.1.0.0 - 127.254.255.255 (127.0.x.x is left to the server and legitimate clients),
 * each used with PORTS source ports. Each port is a UDP socket bound to 0.0.0.0 with an
 * ephemeral port; a request leaves it with its source address set per datagram
 * (IP_PKTINFO: any 127/8 address is local, no privilege needed), and the replies to
 * every 127/8 address on that port come back to the same socket, so none is lost to a
 * closed port. Pairs are used in order, address by address (the PORTS requests of one
 * address leave back to back), at RATE requests/s for SECONDS, wrapping after PAIRS.
 *
 * Every request is a 48-byte NTPv4 client request whose transmit timestamp is a tag;
 * a reply counts if its origin timestamp is one of our tags. With -x the requests look
 * like a client's in interleaved mode (an odd origin timestamp, receive timestamp not
 * equal to transmit), so the server keeps a timestamp for each reply. At the end one line of
 * key=value figures: pairs and addresses used, requests sent, replies, KoD RATE replies
 * (stratum 0, reference ID "RATE"), replies larger than their request, unmatched
 * datagrams and, with -P, the server's RSS and peak RSS (VmRSS, VmHWM, kB). */
#include "benchutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAXPORTS = 256, BATCH = 32, REQLEN = 48 };
#define ADDR_FIRST 0x7f010000u /* 127.1.0.0 */
#define ADDR_SPAN (0x7fff0000u - ADDR_FIRST)
#define SEQBITS 32 /* low bits of a tag: the request's number */

struct flood {
    struct sockaddr_in dst;
    int fds[MAXPORTS];
    int nports;
    unsigned long pairs, addrs, stride;
    uint64_t salt;
    long sent, replies, kod, larger, unmatched, send_err;
    unsigned long base; /* first address of the current block */
    int turn;           /* port whose turn it is */
    int xleave;         /* -x */
    int block;          /* addresses in the current block (set by its first port) */
};

static uint32_t addr_of(const struct flood *fl, unsigned long a)
{
    return ADDR_FIRST + (uint32_t)((a % fl->addrs) * fl->stride);
}

/* Addresses go in blocks of up to BATCH: each port in turn sends one request from every
 * address of the block (one sendmmsg), then the next block follows. */
static int send_batch(struct flood *fl, int want)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    unsigned char bufs[BATCH][REQLEN];
    struct sockaddr_in dst = fl->dst;
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl[BATCH];
    int n = 0, r;

    if (fl->turn == 0)
        fl->block = want > BATCH ? BATCH : want;
    want = fl->block;
    memset(msgs, 0, sizeof(msgs));
    for (; n < want; n++) {
        struct in_pktinfo pi;
        struct cmsghdr *cm;
        memset(bufs[n], 0, REQLEN);
        bufs[n][0] = 0x23; /* NTPv4 client */
        bufs[n][2] = 6;
        put64(bufs[n] + 40, fl->salt | (uint64_t)(fl->sent + n));
        if (fl->xleave) {
            put64(bufs[n] + 24, fl->salt | (uint64_t)(fl->sent + n) << 1 | 1);
            put64(bufs[n] + 32, ~fl->salt);
        }
        iov[n].iov_base = bufs[n];
        iov[n].iov_len = REQLEN;
        msgs[n].msg_hdr.msg_name = &dst;
        msgs[n].msg_hdr.msg_namelen = sizeof(dst);
        msgs[n].msg_hdr.msg_iov = &iov[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        msgs[n].msg_hdr.msg_control = ctl[n].buf;
        msgs[n].msg_hdr.msg_controllen = sizeof(ctl[n].buf);
        cm = CMSG_FIRSTHDR(&msgs[n].msg_hdr);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(pi));
        memset(&pi, 0, sizeof(pi));
        pi.ipi_spec_dst.s_addr = htonl(addr_of(fl, fl->base + (unsigned long)n));
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
    }
    r = sendmmsg(fl->fds[fl->turn], msgs, (unsigned)n, 0);
    if (r < 0) {
        if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
            perror("ntpflood: sendmmsg");
            exit(1);
        }
        fl->send_err++;
        return 0;
    }
    fl->sent += r;
    if (r < n)
        return r; /* the rest of the block on this port again */
    if (++fl->turn == fl->nports) {
        fl->turn = 0;
        fl->base = (fl->base + (unsigned long)fl->block) % fl->addrs;
    }
    return r;
}

static void drain(struct flood *fl, int fd)
{
    for (;;) {
        unsigned char buf[2048];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        uint64_t seq;
        if (n < 0)
            return;
        if (n < REQLEN) {
            fl->unmatched++;
            continue;
        }
        if (!tag_seq(get64(buf + 24), fl->salt, SEQBITS, &seq) || (long)seq >= fl->sent) {
            fl->unmatched++;
            continue;
        }
        fl->replies++;
        if (n > REQLEN)
            fl->larger++;
        if (buf[1] == 0 && !memcmp(buf + 12, "RATE", 4))
            fl->kod++;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: ntpflood -p PORT [-n PAIRS] [-k PORTS] [-r RATE] [-d SECONDS] "
                    "[-P PID] [-x]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct flood fl;
    double rate = 20000, seconds = 10, t0, end, tail;
    int opt, pid = 0, port = 0;
    struct pollfd pfds[MAXPORTS];

    memset(&fl, 0, sizeof(fl));
    fl.pairs = 1000000;
    fl.nports = 1;
    while ((opt = getopt(argc, argv, "p:n:k:r:d:P:x")) != -1) {
        switch (opt) {
        case 'n':
            fl.pairs = strtoul(optarg, NULL, 10);
            break;
        case 'k':
            fl.nports = atoi(optarg);
            break;
        case 'x':
            fl.xleave = 1;
            break;
        default:
            if (!load_opt(opt, optarg, &port, &rate, &seconds, &pid))
                usage();
        }
    }
    if (port <= 0 || port > 65535 || fl.nports < 1 || fl.nports > MAXPORTS || rate <= 0 ||
        fl.pairs < (unsigned long)fl.nports || fl.pairs % (unsigned long)fl.nports)
        usage();
    fl.addrs = fl.pairs / (unsigned long)fl.nports;
    if (fl.addrs > ADDR_SPAN) {
        fprintf(stderr, "ntpflood: at most %u addresses\n", ADDR_SPAN);
        return 2;
    }
    fl.stride = ADDR_SPAN / fl.addrs;
    fl.dst.sin_family = AF_INET;
    fl.dst.sin_port = htons((uint16_t)port);
    fl.dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fl.salt = tag_salt(SEQBITS) | 0x8000000000000000ull;
    for (int i = 0; i < fl.nports; i++) {
        fl.fds[i] = udp_socket("ntpflood", INADDR_ANY, 4 << 20, 0, 1);
        if (fl.fds[i] < 0)
            return 1;
        pfds[i].fd = fl.fds[i];
        pfds[i].events = POLLIN;
    }

    t0 = now_s();
    end = t0 + seconds;
    for (double t = t0; t < end; t = now_s()) {
        long due = (long)((t - t0) * rate) + 1 - fl.sent;
        while (due > 0) {
            int n = send_batch(&fl, due > BATCH ? BATCH : (int)due);
            if (n <= 0)
                break;
            due -= n;
        }
        if (poll(pfds, (nfds_t)fl.nports, 1) > 0)
            for (int i = 0; i < fl.nports; i++)
                if (pfds[i].revents & POLLIN)
                    drain(&fl, fl.fds[i]);
    }
    /* Replies still in flight. */
    tail = now_s() + 0.5;
    while (now_s() < tail)
        if (poll(pfds, (nfds_t)fl.nports, 100) > 0)
            for (int i = 0; i < fl.nports; i++)
                drain(&fl, fl.fds[i]);

    {
        unsigned long used = (unsigned long)fl.sent < fl.pairs ? (unsigned long)fl.sent : fl.pairs;
        printf("pairs=%lu addresses=%lu ports=%d seconds=%.1f rate=%.0f sent=%ld replies=%ld "
               "kod=%ld larger=%ld unmatched=%ld send_errors=%ld",
               used, (used + (unsigned long)fl.nports - 1) / (unsigned long)fl.nports, fl.nports,
               seconds, fl.sent / seconds, fl.sent, fl.replies, fl.kod, fl.larger, fl.unmatched,
               fl.send_err);
        if (pid > 0)
            printf(" rss_kb=%ld hwm_kb=%ld", proc_kb(pid, "VmRSS"), proc_kb(pid, "VmHWM"));
        printf("\n");
    }
    return 0;
}
