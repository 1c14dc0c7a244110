/* Open-loop NTP load generator (loopback only).
 *
 * Requests leave at a fixed rate whatever the server does (open loop), from NSOCK
 * sockets spread over NADDR loopback source addresses (127.0.x.y, each with its own
 * ephemeral port). Every request carries a unique 64-bit tag in its transmit timestamp;
 * a reply counts only if its origin timestamp is a tag we sent and have not seen
 * answered, so stray, duplicated or stale replies are not counted as answers.
 *
 *   ntpgen -p PORT [-r RATE] [-d SECONDS] [-a NADDR] [-n NSOCK] [-P PID]
 *   ntpgen -p PORT -s [-d SECONDS] [-m MAXRATE] [-P PID] [-H SECONDS]
 *
 * -r runs once at RATE requests/s; -s searches the highest rate with loss <= 1 %
 * (doubling, then bisecting; every step lasts -d seconds) and then runs -H seconds at
 * half that rate. Each run prints one line of key=value figures: target and sent
 * rate, replies, loss, latency p50/p99 (us; of all requests sent, a request never
 * answered counting as slower than every answer: a percentile among the lost ones prints
 * the histogram's end, 200000, as a server that drops requests in a stall must not look
 * faster than one that queues and answers them), replies larger than their request,
 * unmatched replies and, with -P, the server's CPU (utime+stime) per reply and its
 * peak RSS (VmHWM) from /proc, its child processes (serving workers) included. */
#include "benchutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAXSOCK = 1024, BATCH = 64, REQLEN = 48, HIST_US = 200000 };
#define TAGBITS 22 /* send-time table: 4M entries */
#define TAGSIZE (1u << TAGBITS)
#define SEQBITS 40 /* low bits of a tag: the sequence number (from run to run) */

struct gen {
    struct sockaddr_in dst;
    int fds[MAXSOCK];
    struct pollfd pfds[MAXSOCK];
    int nsock;
    uint64_t salt;   /* high bits of the tags of this run */
    double *sent_at; /* send time of tag & (TAGSIZE-1) */
    uint8_t *seen;
    uint32_t *hist; /* latency histogram, 1 us bins, last bin = overflow */
};

struct result {
    double target, duration;
    long sent, got, larger, unmatched, late;
    double p50_us, p99_us, cpu_us_per_reply;
    long hwm_kb;
};

/* utime+stime of PID in clock ticks and its parent's pid, or -1 */
static long proc_cpu_ticks_of(int pid, int *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (!p)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", ppid, &ut, &st) != 3)
        return -1;
    return (long)(ut + st);
}

/* The children of PID (a server's worker processes), up to max: their count. */
static int proc_children(int pid, int *kids, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max) {
        int k = atoi(e->d_name), pp = 0;
        if (k > 0 && k != pid && proc_cpu_ticks_of(k, &pp) >= 0 && pp == pid)
            kids[n++] = k;
    }
    closedir(d);
    return n;
}

/* utime+stime of PID and its children (worker processes) in clock ticks, or -1 */
static long proc_cpu_ticks(int pid)
{
    int kids[64], pp;
    long t = proc_cpu_ticks_of(pid, &pp);
    if (t < 0)
        return -1;
    for (int i = 0, n = proc_children(pid, kids, 64); i < n; i++) {
        long k = proc_cpu_ticks_of(kids[i], &pp);
        if (k > 0)
            t += k;
    }
    return t;
}

/* Peak RSS of PID plus that of its children (worker processes), kB, or -1 */
static long proc_hwm_kb(int pid)
{
    int kids[64];
    long kb = proc_kb(pid, "VmHWM");
    if (kb < 0)
        return -1;
    for (int i = 0, n = proc_children(pid, kids, 64); i < n; i++) {
        long k = proc_kb(kids[i], "VmHWM");
        if (k > 0)
            kb += k;
    }
    return kb;
}

static int open_sockets(struct gen *g, int naddr, int nsock)
{
    g->nsock = 0;
    for (int i = 0; i < nsock; i++) {
        int a = i % naddr;
        /* 127.0.1.1, 127.0.1.2, ... (never the server's 127.0.0.1) */
        int fd = udp_socket("ntpgen",
                            0x7f000000u | (1u << 8) | (uint32_t)((a / 250) << 8) |
                                (uint32_t)(a % 250 + 1),
                            1 << 20, 1 << 20, 0);
        if (fd < 0)
            return -1;
        g->fds[g->nsock] = fd;
        g->pfds[g->nsock].fd = fd;
        g->pfds[g->nsock].events = POLLIN;
        g->nsock++;
    }
    return 0;
}

static void receive(struct gen *g, int fd, struct result *r, long base)
{
    static unsigned char bufs[BATCH][512];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = sizeof(bufs[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        double t = now_s();
        for (int i = 0; i < n; i++) {
            unsigned len = msgs[i].msg_len;
            if (len < REQLEN) {
                r->unmatched++;
                continue;
            }
            uint64_t seq;
            if (!tag_seq(get64(bufs[i] + 24), g->salt, SEQBITS, &seq) || seq < (uint64_t)base ||
                seq >= (uint64_t)(base + r->sent) || seq - (uint64_t)base >= TAGSIZE) {
                r->unmatched++;
                continue;
            }
            uint32_t k = (uint32_t)(seq & (TAGSIZE - 1));
            if (g->seen[k]) {
                r->unmatched++;
                continue;
            }
            g->seen[k] = 1;
            r->got++;
            if (len > REQLEN)
                r->larger++;
            double us = (t - g->sent_at[k]) * 1e6;
            long b = us < 0 ? 0 : (long)us;
            if (b >= HIST_US)
                b = HIST_US - 1;
            g->hist[b]++;
        }
    }
}

static double percentile(const uint32_t *hist, long total, double q)
{
    long need = (long)(q * (double)total + 0.999999), acc = 0;
    if (total <= 0)
        return -1;
    if (need < 1)
        need = 1;
    for (long b = 0; b < HIST_US; b++) {
        acc += hist[b];
        if (acc >= need)
            return (double)b + 0.5;
    }
    return HIST_US;
}

/* One open-loop run at RATE for SECONDS, then a drain of 0.3 s for late replies. */
static void run(struct gen *g, double rate, double seconds, int pid, struct result *r)
{
    static long base = 0; /* sequence numbers never repeat across runs */
    unsigned char reqs[BATCH][REQLEN];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    int next = 0;
    long ticks0, ticks1, limit;
    double start, end, t;

    memset(r, 0, sizeof(*r));
    r->target = rate;
    limit = (long)(rate * seconds);
    if (limit > (long)TAGSIZE)
        limit = TAGSIZE;
    memset(g->seen, 0, TAGSIZE);
    memset(g->hist, 0, sizeof(uint32_t) * HIST_US);
    memset(reqs, 0, sizeof(reqs));
    for (int i = 0; i < BATCH; i++) {
        reqs[i][0] = (4 << 3) | 3; /* LI 0, version 4, mode 3 (client) */
        reqs[i][2] = 6;            /* poll */
        reqs[i][3] = 0xec;         /* precision -20 */
        iov[i].iov_base = reqs[i];
        iov[i].iov_len = REQLEN;
    }
    ticks0 = pid > 0 ? proc_cpu_ticks(pid) : -1;
    start = now_s();
    end = start + seconds;
    while (r->sent < limit && (t = now_s()) < end + 1.0) { /* all LIMIT, on schedule */
        long due = (long)((t - start) * rate) + 1 - r->sent;
        if (due > limit - r->sent)
            due = limit - r->sent;
        while (due > 0) {
            int n = due > BATCH ? BATCH : (int)due;
            memset(msgs, 0, sizeof(msgs));
            for (int i = 0; i < n; i++) {
                uint64_t seq = (uint64_t)(base + r->sent + i);
                put64(reqs[i] + 40, g->salt | seq);
                g->sent_at[seq & (TAGSIZE - 1)] = t;
                msgs[i].msg_hdr.msg_name = &g->dst;
                msgs[i].msg_hdr.msg_namelen = sizeof(g->dst);
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int fd = g->fds[next];
            next = (next + 1) % g->nsock;
            int s = sendmmsg(fd, msgs, (unsigned)n, 0);
            if (s <= 0) {
                if (errno != EAGAIN && errno != ENOBUFS && errno != EPERM) {
                    perror("ntpgen: sendmmsg");
                    exit(1);
                }
                /* a full send buffer: the request is lost on our side; count it as
                 * sent (open loop) so that the loss shows */
                s = n;
            }
            r->sent += s;
            due -= s;
        }
        /* wait for replies until the next request is due */
        double wait = (double)(r->sent + 1) / rate - (now_s() - start);
        struct timespec ts = {0, 0};
        if (wait > 0) {
            ts.tv_sec = (time_t)wait;
            ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
        }
        if (ppoll(g->pfds, (nfds_t)g->nsock, &ts, NULL) > 0)
            for (int i = 0; i < g->nsock; i++)
                if (g->pfds[i].revents & POLLIN)
                    receive(g, g->fds[i], r, base);
    }
    r->duration = now_s() - start;
    /* drain */
    end = now_s() + 0.3;
    while ((t = now_s()) < end) {
        struct timespec ts = {0, (long)((end - t) * 1e9)};
        if (ppoll(g->pfds, (nfds_t)g->nsock, &ts, NULL) <= 0)
            break;
        for (int i = 0; i < g->nsock; i++)
            if (g->pfds[i].revents & POLLIN)
                receive(g, g->fds[i], r, base);
    }
    ticks1 = pid > 0 ? proc_cpu_ticks(pid) : -1;
    r->p50_us = percentile(g->hist, r->sent, 0.50);
    r->p99_us = percentile(g->hist, r->sent, 0.99);
    r->cpu_us_per_reply = -1;
    if (ticks0 >= 0 && ticks1 >= 0 && r->got > 0)
        r->cpu_us_per_reply =
            (double)(ticks1 - ticks0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)r->got;
    r->hwm_kb = pid > 0 ? proc_hwm_kb(pid) : -1;
    base += r->sent;
}

static double loss_of(const struct result *r)
{
    return r->sent > 0 ? 1.0 - (double)r->got / (double)r->sent : 1.0;
}

static void print(const char *what, const struct result *r)
{
    printf("%s target=%.0f sent_rate=%.0f replies=%ld sent=%ld loss=%.4f p50_us=%.1f p99_us=%.1f "
           "larger=%ld unmatched=%ld cpu_us_per_reply=%.3f hwm_kb=%ld\n",
           what, r->target, r->duration > 0 ? (double)r->sent / r->duration : 0, r->got, r->sent,
           loss_of(r), r->p50_us, r->p99_us, r->larger, r->unmatched, r->cpu_us_per_reply,
           r->hwm_kb);
    fflush(stdout);
}

/* A step passes if the loss is at most 1 % and the generator kept up with the rate. */
static int ok(const struct result *r)
{
    return loss_of(r) <= 0.01 && (double)r->sent >= 0.97 * r->target * r->duration;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ntpgen -p PORT [-h 127.0.0.1] [-r RATE | -s [-m MAXRATE] [-H SECONDS]]\n"
            "              [-d SECONDS] [-a NADDR] [-n NSOCK] [-P SERVERPID] [-v]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct gen g;
    const char *host = "127.0.0.1";
    int port = 0, naddr = 16, nsock = 32, pid = 0, search = 0, verbose = 0, c;
    double rate = 1000, seconds = 1, maxrate = 4e6, half = 2;
    struct result r;

    while ((c = getopt(argc, argv, "h:p:r:d:a:n:P:sm:H:v")) != -1) {
        switch (c) {
        case 'h':
            host = optarg;
            break;
        case 'a':
            naddr = atoi(optarg);
            break;
        case 'n':
            nsock = atoi(optarg);
            break;
        case 's':
            search = 1;
            break;
        case 'm':
            maxrate = atof(optarg);
            break;
        case 'H':
            half = atof(optarg);
            break;
        case 'v':
            verbose = 1;
            break;
        default:
            if (!load_opt(c, optarg, &port, &rate, &seconds, &pid))
                usage();
        }
    }
    if (port <= 0 || port > 65535 || rate <= 0 || seconds <= 0 || seconds > 60 || naddr < 1 ||
        naddr > 10000 || nsock < 1 || nsock > MAXSOCK)
        usage();
    if (nsock < naddr)
        nsock = naddr;
    memset(&g.dst, 0, sizeof(g.dst));
    g.dst.sin_family = AF_INET;
    g.dst.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &g.dst.sin_addr) != 1 ||
        (ntohl(g.dst.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "ntpgen: loopback IPv4 addresses only\n");
        return 2;
    }
    g.sent_at = calloc(TAGSIZE, sizeof(double));
    g.seen = calloc(TAGSIZE, 1);
    g.hist = calloc(HIST_US, sizeof(uint32_t));
    if (!g.sent_at || !g.seen || !g.hist)
        return 1;
    g.salt = tag_salt(SEQBITS);
    signal(SIGPIPE, SIG_IGN);
    if (open_sockets(&g, naddr, nsock) < 0)
        return 1;

    if (!search) {
        run(&g, rate, seconds, pid, &r);
        print("run", &r);
        return 0;
    }

    /* saturation search: double from 10000/s while the loss stays <= 1 %, then bisect */
    double good = 0, bad = 0, x = 10000;
    struct result best;
    memset(&best, 0, sizeof(best));
    while (x <= maxrate) {
        run(&g, x, seconds, 0, &r);
        if (verbose)
            print("step", &r);
        if (!ok(&r)) {
            bad = x;
            break;
        }
        good = x;
        best = r;
        x *= 2;
    }
    if (bad == 0)
        bad = maxrate;
    for (int i = 0; i < 5 && bad - good > 0.03 * bad; i++) {
        x = (good + bad) / 2;
        run(&g, x, seconds, 0, &r);
        if (verbose)
            print("step", &r);
        if (ok(&r)) {
            good = x;
            best = r;
        } else {
            bad = x;
        }
    }
    print("saturation", &best);
    if (good > 0 && half > 0) {
        run(&g, good / 2, half, pid, &r);
        print("half", &r);
    }
    return 0;
}
