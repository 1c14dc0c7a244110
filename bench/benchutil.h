/* What the loopback load generators bench/ntpgen.c and bench/ntpflood.c share: a
 * monotonic clock in seconds, big-endian 64-bit fields of a packet, the tags that mark
 * their requests, a server's memory figures from /proc and their UDP sockets. Header
 * only (static inline), so that each tool still builds from its one .c file. */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Seconds of CLOCK_MONOTONIC. */
static inline double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* v into / out of 8 bytes at p, most significant first (an NTP timestamp field). */
static inline void put64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static inline uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A request's tag is salt | sequence number: the salt's low seqbits bits are zero and
 * its high bits differ from run to run (the process id and the wall clock's nanoseconds
 * mixed), so that replies to an earlier run or another generator do not match. */
static inline uint64_t tag_salt(int seqbits)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 40) &
           ~((UINT64_C(1) << seqbits) - 1);
}

/* 1 with the sequence number of tag in *seq if tag carries salt, else 0. */
static inline int tag_seq(uint64_t tag, uint64_t salt, int seqbits, uint64_t *seq)
{
    uint64_t low = (UINT64_C(1) << seqbits) - 1;
    if ((tag & ~low) != salt)
        return 0;
    *seq = tag & low;
    return 1;
}

/* The figure of field ("VmHWM", "VmRSS") in /proc/PID/status, kB, or -1. */
static inline long proc_kb(int pid, const char *field)
{
    char path[64], line[256];
    long kb = -1;
    size_t n = strlen(field);
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            kb = atol(line + n + 1);
            break;
        }
    fclose(f);
    return kb;
}

/* The options both generators take: -p PORT (the server's), -r RATE (requests/s),
 * -d SECONDS (of sending) and -P PID (the server's, for its /proc figures). 1 if opt was
 * one of them (its value stored), else 0. */
static inline int load_opt(int opt, const char *arg, int *port, double *rate, double *seconds,
                           int *pid)
{
    if (opt == 'p')
        *port = atoi(arg);
    else if (opt == 'r')
        *rate = atof(arg);
    else if (opt == 'd')
        *seconds = atof(arg);
    else if (opt == 'P')
        *pid = atoi(arg);
    else
        return 0;
    return 1;
}

/* A non-blocking, close-on-exec UDP socket bound to the IPv4 address addr (host order;
 * INADDR_ANY: every local one) with an ephemeral port. rcvbuf and sndbuf (bytes, 0: the
 * system's) size its buffers; pktinfo asks IP_PKTINFO, so that a datagram may carry its
 * source address. -1 after a message "WHO: socket" or "WHO: bind" (errno's text). */
static inline int udp_socket(const char *who, uint32_t addr, int rcvbuf, int sndbuf, int pktinfo)
{
    struct sockaddr_in src;
    char what[64];
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

    if (fd < 0) {
        snprintf(what, sizeof(what), "%s: socket", who);
        perror(what);
        return -1;
    }
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (pktinfo)
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(addr);
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
        snprintf(what, sizeof(what), "%s: bind", who);
        perror(what);
        close(fd);
        return -1;
    }
    return fd;
}

#endif
