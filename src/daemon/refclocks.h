/* The node's reference clocks (`refclock` directives, chrony's refclock.c with its SHM,
 * SOCK, PPS, PHC and RTC drivers; the kernel devices through env->refdev, the RTC through
 * env->rtc): each is a source of the
 * engine (added through the sources, first); this component opens its device (the shared memory
 * segment through env->shm, or the Unix datagram socket it listens on through env->net), polls the
 * driver every 2^dpoll s (SHM) or takes the datagrams as they come (SOCK), hands the readings to
 * the engine's refclock filter, ends each poll of 2^poll s, and writes refclocks.log. */
#ifndef DAEMON_REFCLOCKS_H
#define DAEMON_REFCLOCKS_H

#include "core/hwclock.h"
#include "daemon/env.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct sched;
struct sources;
struct logfiles;
struct source;

enum refclock_driver {
    REFCLOCK_DRIVER_SHM,
    REFCLOCK_DRIVER_SOCK,
    REFCLOCK_DRIVER_PPS,
    REFCLOCK_DRIVER_PHC,
    REFCLOCK_DRIVER_RTC
};

struct refclock_inst {
    struct refclocks *owner;
    size_t cfg_index;
    enum refclock_driver driver;
    struct source *src; /* its source (owned by the sources) */
    uint32_t ref_id;
    volatile void *shm; /* the attached segment (SHM) */
    int sock;           /* the listening socket (SOCK), -1 */
    char *path;         /* the socket's path (SOCK), removed at the end */
    uint64_t timer;
    int driver_polled; /* driver polls (SHM) or samples (SOCK) in this poll */
    int dev;           /* the PPS or PHC device (env.refdev), -1 */
    int clear;         /* PPS, PHC extpps: the clear (falling) edge */
    uint32_t last_seq; /* PPS: the sequence number of the last edge taken */
    int phc_mode;      /* PHC: the way of reading that worked (KDEV_PHC_*) */
    int nocrossts, extpps, pin, channel;
    struct timespec last_extts; /* PHC: the last external timestamp taken */
    int poll, dpoll;            /* log2 s, as the engine uses them */
    int rtc;                    /* RTC: the device (env.rtc), -1 */
    int rtc_utc;                /* RTC: it keeps UTC (else local time) */
    int rtc_polling;            /* RTC: no update interrupts, read at each driver poll */
    int rtc_skip;               /* RTC: interrupts still to skip (the first may be bogus) */
};

struct refclocks {
    /* What it uses (not owned), set by node_new. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;
    struct sources *srcs; /* the engine's sources and the performing of its outcomes */
    struct logfiles *logs;
    struct refclock_inst *v;
    size_t n;
};

/* Open every refclock's device and add its source (before the NTP sources are started);
 * returns 0, or -1 with chrony's fatal message in err. Polling starts at once. */
int refclocks_start(struct refclocks *r, const struct timespec *raw_now, char *err, size_t errlen);
void refclocks_fini(struct refclocks *r);
/* 1 if rx arrived on a SOCK refclock's socket (and was handled). */
int refclocks_on_datagram(struct refclocks *r, const struct net_rx *rx,
                          const struct timespec *raw_now);

#endif
