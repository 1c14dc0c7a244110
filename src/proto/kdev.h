/* The Linux kernel's binary interface of the reference clock devices, computed here so
 * that it can be checked against the kernel headers (tests/unit/test_kdev.c): the PPS API
 * of RFC 2783 as <linux/pps.h> has it (/dev/ppsN) and the PTP hardware clock ioctls of
 * <linux/ptp_clock.h> (/dev/ptpN). Pure: layouts, ioctl request numbers and the reading
 * of the structures the kernel fills; the platform makes the calls. */
#ifndef PROTO_KDEV_H
#define PROTO_KDEV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The generic Linux ioctl request number: direction (1 write, 2 read), type, number, size
 * of the argument. */
#define KDEV_IOC_WRITE 1u
#define KDEV_IOC_READ 2u
unsigned long kdev_ioc(unsigned dir, unsigned type, unsigned nr, size_t size);

/* <linux/pps.h> */
#define KDEV_PPS_CAPTUREASSERT 0x01
#define KDEV_PPS_CAPTURECLEAR 0x02
#define KDEV_PPS_TSFMT_TSPEC 0x1000
#define KDEV_PPS_TIME_INVALID 0x01

struct kdev_pps_ktime {
    int64_t sec;
    int32_t nsec;
    uint32_t flags;
};
struct kdev_pps_kinfo {
    uint32_t assert_sequence;
    uint32_t clear_sequence;
    struct kdev_pps_ktime assert_tu;
    struct kdev_pps_ktime clear_tu;
    int32_t current_mode;
};
struct kdev_pps_kparams {
    int32_t api_version;
    int32_t mode;
    struct kdev_pps_ktime assert_off_tu;
    struct kdev_pps_ktime clear_off_tu;
};
struct kdev_pps_fdata {
    struct kdev_pps_kinfo info;
    struct kdev_pps_ktime timeout; /* sec and nsec zero: no waiting */
};

/* The PPS requests carry the size of a pointer, as the kernel declares them. */
unsigned long kdev_pps_getparams(void);
unsigned long kdev_pps_setparams(void);
unsigned long kdev_pps_getcap(void);
unsigned long kdev_pps_fetch(void);

/* The mode asking for one edge: assert, or clear (the other edge's capture off). */
int32_t kdev_pps_mode(int32_t mode, int clear);
/* The sequence number and time of the edge (clear: the clear edge) of a fetch. Returns 0
 * when the time is zero (no edge yet) or invalid. */
int kdev_pps_edge(const struct kdev_pps_fdata *f, int clear, uint32_t *seq, struct timespec *ts);

/* <linux/ptp_clock.h> */
#define KDEV_PTP_MAX_SAMPLES 25
#define KDEV_PTP_ENABLE_FEATURE 0x1
#define KDEV_PTP_RISING_EDGE 0x2
#define KDEV_PTP_FALLING_EDGE 0x4
#define KDEV_PTP_PF_NONE 0
#define KDEV_PTP_PF_EXTTS 1

struct kdev_ptp_time {
    int64_t sec;
    uint32_t nsec;
    uint32_t reserved;
};
struct kdev_ptp_caps {
    int32_t v[20]; /* max_adj, n_alarm, n_ext_ts, ... and reserved words */
};
struct kdev_ptp_extts_request {
    uint32_t index;
    uint32_t flags;
    uint32_t rsv[2];
};
struct kdev_ptp_sys_offset {
    uint32_t n_samples;
    uint32_t rsv[3];
    struct kdev_ptp_time ts[2 * KDEV_PTP_MAX_SAMPLES + 1]; /* system, PHC, system, ... */
};
struct kdev_ptp_sys_offset_extended {
    uint32_t n_samples;
    uint32_t rsv[3];
    struct kdev_ptp_time ts[KDEV_PTP_MAX_SAMPLES][3]; /* system, PHC, system */
};
struct kdev_ptp_sys_offset_precise {
    struct kdev_ptp_time device;
    struct kdev_ptp_time sys_realtime;
    struct kdev_ptp_time sys_monoraw;
    uint32_t rsv[4];
};
struct kdev_ptp_pin_desc {
    char name[64];
    uint32_t index;
    uint32_t func;
    uint32_t chan;
    uint32_t rsv[5];
};
struct kdev_ptp_extts_event {
    struct kdev_ptp_time t;
    uint32_t index;
    uint32_t flags;
    uint32_t rsv[2];
};

unsigned long kdev_ptp_getcaps(void);
unsigned long kdev_ptp_extts_request(void);
unsigned long kdev_ptp_sys_offset(void);
unsigned long kdev_ptp_pin_setfunc(void);
unsigned long kdev_ptp_sys_offset_precise(void);
unsigned long kdev_ptp_sys_offset_extended(void);

/* One PHC reading: the system clock before, the PHC, the system clock after (the same
 * instant twice for a cross timestamp). */
struct kdev_phc_reading {
    struct timespec before, phc, after;
};
/* The ways of reading a PHC, in chrony's order of preference. */
enum kdev_phc_mode {
    KDEV_PHC_UNKNOWN = 0,
    KDEV_PHC_BASIC = 1,   /* PTP_SYS_OFFSET */
    KDEV_PHC_PRECISE = 2, /* PTP_SYS_OFFSET_PRECISE (cross timestamps) */
    KDEV_PHC_EXTENDED = 3 /* PTP_SYS_OFFSET_EXTENDED */
};
/* The readings of a filled structure into out (at most max, n asked). Return the count. */
int kdev_phc_basic(const struct kdev_ptp_sys_offset *s, int n, struct kdev_phc_reading *out,
                   int max);
int kdev_phc_extended(const struct kdev_ptp_sys_offset_extended *s, int n,
                      struct kdev_phc_reading *out, int max);
int kdev_phc_precise(const struct kdev_ptp_sys_offset_precise *s, struct kdev_phc_reading *out,
                     int max);
/* The request of extts on channel: enable (rising and/or falling edge) or disable. */
struct kdev_ptp_extts_request kdev_ptp_extts(int channel, int rising, int falling, int enable);
/* The pin function of extts on channel (disable: none). */
struct kdev_ptp_pin_desc kdev_ptp_pin(int pin, int channel, int enable);
/* An event's PHC time and channel. */
void kdev_ptp_event(const struct kdev_ptp_extts_event *e, struct timespec *ts, int *channel);

#endif
