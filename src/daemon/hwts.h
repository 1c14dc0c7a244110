/* The node's NIC hardware timestamping (`hwtimestamp`, chrony's ntp_io_linux.c): enables it
 * on the configured interfaces through env->hwts, tracks each interface's PHC against the
 * system clock (core/hwclock.c, readings through env->refdev every 2^minpoll to 2^maxpoll
 * s) and turns the hardware timestamps of NTP packets into the daemon's raw time. */
#ifndef DAEMON_HWTS_H
#define DAEMON_HWTS_H

#include "core/hwclock.h"
#include "daemon/env.h"

#include <stddef.h>
#include <stdint.h>

struct config;
struct sched;

struct hwts_iface {
    struct hwts *owner;
    char name[32];
    int if_index;
    int dev;      /* its PHC (env.refdev) */
    int phc_mode; /* the way of reading that worked (KDEV_PHC_*) */
    int nocrossts;
    int minpoll, maxpoll; /* log2 s, clamped to -6..20 as chrony */
    int l2_udp4_start, l2_udp6_start;
    struct hwclock_packet_opts opts;
    struct hwclock clock;
    uint64_t timer;
};

struct hwts {
    /* Wired by the node. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;
    double precision; /* s, of the system clock */

    struct hwts_iface **v;
    int n;
};

/* Enable the `hwtimestamp` interfaces. A named interface that cannot is fatal: -1 with
 * chrony's message in err; `*` takes those that can. Before the NTP sockets open. */
int hwts_start(struct hwts *h, const struct timespec *now, char *err, size_t errlen);
void hwts_fini(struct hwts *h);
/* 1 if some interface timestamps in hardware. */
int hwts_enabled(const struct hwts *h);
/* A datagram or transmit report with a hardware timestamp: rx->rx_ts/rx_ts_src become the
 * converted time (RXTS_HW) when its interface is tracked and the time is within 1 s of
 * the kernel's or the daemon's, as chrony. now: the wake-up's raw time. */
void hwts_process(struct hwts *h, struct net_rx *rx, const struct timespec *now);
/* A burst of up to max readings of the PHC dev (env->refdev, nocrossts and *mode as its
 * phc_read) into r, their system times mapped to the daemon's raw time (env->shm's
 * from_system: the host's clock may not be ours). Used for the `hwtimestamp` interfaces
 * and for the PHC refclock. Returns the count (0: none). */
int hwts_read_phc(const struct env *env, int dev, int nocrossts, int *mode,
                  struct hwclock_reading *r, int max);
/* The raw timescale changed at raw_now: frequency by dfreq (fraction, positive = faster),
 * readings moved by -shift s (struct sources' clock_hook; arg is the struct hwts). */
void hwts_on_clock_change(void *arg, const struct timespec *raw_now, double dfreq, double shift);

#endif
