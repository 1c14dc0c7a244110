/* Tracking of a NIC's hardware clock (PHC) against the system clock, so that hardware
 * timestamps can be turned into system time (chrony's hwclock.c, `hwtimestamp`). Samples
 * pair a PHC reading with the system time it was taken at; a least-squares line through
 * the newest ones gives the PHC's offset and rate. Pure: times are arguments, no
 * allocation (fixed arrays), one instance per interface. */
#ifndef CORE_HWCLOCK_H
#define CORE_HWCLOCK_H

#include <time.h>

#define HWCLOCK_MIN_SAMPLES 2
#define HWCLOCK_MAX_SAMPLES 64
/* Largest believable rate error of a PHC (chrony's MAX_FREQ_OFFSET). */
#define HWCLOCK_MAX_FREQ_OFFSET (2.0 / 3.0)

struct hwclock {
    struct timespec hw_ref, local_ref; /* newest sample */
    /* Samples as intervals before the newest one: x local (s), y hardware (s), oldest
     * first in the last n slots. */
    double x[HWCLOCK_MAX_SAMPLES], y[HWCLOCK_MAX_SAMPLES];
    int min_samples, max_samples, n;
    double last_err;       /* s, error bound of the newest sample */
    double min_separation; /* s, between samples */
    double precision;      /* s, expected precision of the readings */
    int valid;             /* offset and freq are usable */
    double offset;         /* s, PHC minus its expected reading at local_ref (fit) */
    double freq;           /* PHC seconds per system second */
};

/* min/max samples are clamped to 2-64 (max >= min); min_separation (s) between samples
 * (chrony: the PHC polling interval); precision (s): floor of a sample's error. */
void hwclock_init(struct hwclock *h, int min_samples, int max_samples, double min_separation,
                  double precision);
/* 1 if a new sample is due at system time now. */
int hwclock_needs_sample(const struct hwclock *h, const struct timespec *now);

/* One PHC reading: system time before, PHC time, system time after (PTP_SYS_OFFSET*);
 * for a precise cross-timestamp (PTP_SYS_OFFSET_PRECISE) before == after. */
struct hwclock_reading {
    struct timespec before, hw, after;
};

/* Combine n readings into one sample: the readings whose delay (after - before) is within
 * local_precision (s, the system clock's resolution) of the smallest are averaged, the
 * system time taken at the middle of each. Writes the sample's PHC time, system time and
 * error bound (half the mean delay, at least the precision). Returns 0 if n < 1 or a
 * delay is negative (the clock stepped during the readings). */
int hwclock_process_readings(const struct hwclock *h, const struct hwclock_reading *r, int n,
                             double local_precision, struct timespec *hw_ts,
                             struct timespec *local_ts, double *err);

/* Add a sample (PHC time hw_ts read at system time local_ts, error bound err in s). A PHC
 * that went backwards or a sample closer than half the separation to the last one starts
 * the tracking afresh; so does a fit that misses the new sample's error interval or a
 * rate off by more than HWCLOCK_MAX_FREQ_OFFSET. */
void hwclock_add_sample(struct hwclock *h, const struct timespec *hw_ts,
                        const struct timespec *local_ts, double err);

/* System time of the PHC time hw (a hardware timestamp), with the error bound of the newest
 * sample in *err (may be NULL). Returns 0 while the clock is not tracked yet. */
int hwclock_cook(const struct hwclock *h, const struct timespec *hw, struct timespec *local,
                 double *err);

/* What chrony's process_hw_timestamp applies to a NIC's timestamp of an NTP packet. */
struct hwclock_packet_opts {
    int link_speed;   /* Mb/s of the interface, 0 = unknown (no length correction) */
    int l2_udp_start; /* bytes at layer 2 before the UDP data, when the frame's length is
                         not known (chrony: 42 for IPv4, 62 for IPv6 until a transmitted
                         frame tells) */
    double rx_comp;   /* s, `rxcomp`: subtracted from receive timestamps */
    double tx_comp;   /* s, `txcomp`: added to transmit timestamps */
};

/* The time a frame of l2_len bytes plus its 4-byte frame check sequence lasts on a link of
 * link_speed Mb/s (s); 0 when the speed is unknown. */
double hwclock_frame_duration(int l2_len, int link_speed);

/* System time of the hardware timestamp hw of an NTP packet: rx_len > 0 for a received
 * packet of rx_len bytes of UDP data (l2_len: its length at layer 2, 0 = unknown and then
 * l2_udp_start + rx_len), 0 for a transmit timestamp. A NIC timestamps the start of a
 * frame and NTP wants the end of a received one: the frame's duration is added to a
 * receive timestamp before the conversion, then rxcomp is subtracted; txcomp is added to
 * a transmit timestamp. *rx_duration (may be NULL) gets the duration added. Returns 0
 * while the clock is not tracked. */
int hwclock_cook_packet(const struct hwclock *h, const struct timespec *hw, int rx_len, int l2_len,
                        const struct hwclock_packet_opts *o, struct timespec *local, double *err,
                        double *rx_duration);

/* The system clock was stepped by -offset s (positive = it was fast) or its frequency
 * changed by dfreq (fraction, positive = faster: raw intervals after `when` are 1 + dfreq
 * times what they were) at when: the samples and the fit follow. */
void hwclock_slew(struct hwclock *h, const struct timespec *when, double dfreq, double offset);

#endif
