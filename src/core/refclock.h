/* Reference clocks (chrony's `refclock` directive): the samples of the SHM and SOCK
 * drivers decoded from what the writer left (pure: the daemon copies the shared segment
 * or receives the datagram, this file only reads bytes), and a reference clock's state
 * between its driver and the engine: the settings, the median filter of the samples of
 * one poll, the reachability of the poll and the pulse (PPS) alignment. */
#ifndef CORE_REFCLOCK_H
#define CORE_REFCLOCK_H

#include "core/ntp_filter.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ntpd's SHM segment key of unit 0 ("NTP0"): unit N uses REFCLOCK_SHM_KEY + N. */
#define REFCLOCK_SHM_KEY 0x4e545030
/* The SOCK datagram's magic number ("SOCK"). */
#define REFCLOCK_SOCK_MAGIC 0x534f434b

/* The shared memory segment of ntpd's SHM refclock (type 28), as gpsd and ntpshm write
 * it, in this machine's native layout. mode 0: the writer sets valid last and the reader
 * clears it; mode 1: the writer also increments count before and after an update, and a
 * reader that sees count change while it copies drops the copy. */
struct refclock_shm_time {
    int mode;
    int count;
    time_t clock_sec; /* the reference (true) time of the sample */
    int clock_usec;
    time_t receive_sec; /* the system clock when the sample was taken */
    int receive_usec;
    int leap; /* 0 normal, 1 insert, 2 delete, 3 unsynchronised */
    int precision;
    int nsamples;
    int valid;
    int clock_nsec; /* used when they agree with the usec fields */
    int receive_nsec;
    int dummy[8];
};

/* gpsd's SOCK sample (chrony's refclock_sock.c layout): a struct timeval of the system
 * clock, the offset true - system (s), a pulse flag, the leap (0, 1 insert, 2 delete),
 * padding and the magic number, native byte order. */
struct refclock_sock_sample {
    long tv_sec;
    long tv_usec;
    double offset;
    int pulse;
    int leap;
    int pad;
    int magic;
};

/* One reading of a driver: the system clock's time (raw) and the reference time of the
 * same instant; or, for a pulse, the system time of the pulse and its offset from the
 * start of a second (s, system - true within the second). */
struct refclock_reading {
    struct timespec sys;
    struct timespec ref;
    int leap;
    int pulse;
    double pulse_offset;
};

enum refclock_verdict {
    REFCLOCK_OK = 0,
    REFCLOCK_NOT_VALID,     /* SHM: the writer has not marked a new sample */
    REFCLOCK_BAD_MODE,      /* SHM: mode not 0 or 1 */
    REFCLOCK_COUNT_CHANGED, /* SHM mode 1: the writer updated it while it was copied */
    REFCLOCK_BAD_LENGTH,    /* SOCK: not the length of a sample */
    REFCLOCK_BAD_MAGIC,     /* SOCK: not chrony's magic number */
    REFCLOCK_BAD_TIME       /* a time beyond +/- 2^40 s (no time, and no overflow later) */
};

/* An SHM segment copied into *t, then its count read again (count_after). REFCLOCK_OK
 * fills out (times normalised, within +/- 2^40 s; the nsec fields are used when they
 * agree with the usec ones); the reader clears valid then. */
enum refclock_verdict refclock_shm_decode(const struct refclock_shm_time *t, int count_after,
                                          struct refclock_reading *out);
/* A SOCK datagram (buf, len). */
enum refclock_verdict refclock_sock_decode(const uint8_t *buf, size_t len,
                                           struct refclock_reading *out);

/* chrony's UTI_IsTimeOffsetSane: |offset| below 2^32 s and t + offset within the era
 * NTP times are mapped to. */
int refclock_time_offset_sane(const struct timespec *t, double offset);

/* A pulse's offset folded into [-0.5/rate, 0.5/rate). */
double refclock_fold_pulse(double offset, int rate);
/* chrony's check of a pulse's edge with `width`: 1 if offset and distance are within the
 * half of the smaller of the pulse and the gap (always 1 without a width). */
int refclock_pulse_edge_ok(double width, int rate, double offset, double distance);

/* The `refclock` directive's settings the engine uses (chrony's defaults and limits). */
struct refclock_params {
    int poll, dpoll;   /* log2 s; dpoll <= poll for a driver that is polled */
    int driver_polled; /* 1: the driver is polled every 2^dpoll s (SHM); 0: samples arrive
                        * by themselves (SOCK) */
    int filter_length; /* samples kept: 1..256 */
    int pps_forced, pps_rate, max_lock_age, stratum, tai;
    uint32_t lock_ref_id; /* 0: none */
    int phc;              /* a PHC: the engine tracks it against the system clock (extpps) */
    int local;            /* `local`: an unsynchronised but stable clock the system clock
                           * follows between updates (pulses locked to itself) */
    double offset, delay, precision, max_dispersion, pulse_width;
};

#endif
