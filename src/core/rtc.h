/* Tracking of the real-time clock against the system clock (rtcfile): the RTC's
 * whole-second edges are paired with the system time they were seen at, a robust line
 * through the RTC's offsets gives how fast it is and how much it gains, and the rtc file
 * keeps these between runs. Pure: times are passed in, actions are returned. */
#ifndef CORE_RTC_H
#define CORE_RTC_H

#include <stddef.h>
#include <time.h>

#define RTC_MAX_SAMPLES 64
/* s between measurements while few samples are held; doubled as more arrive */
#define RTC_MIN_PERIOD 15
/* samples taken one second apart before the initial set (-s) or a relock after a trim */
#define RTC_FAST_SAMPLES 8

enum rtc_mode {
    RTC_MODE_NORMAL,   /* sampling every period */
    RTC_MODE_INITIAL,  /* sampling every second to correct the system clock at start */
    RTC_MODE_AFTERTRIM /* sampling every second to find the offset after a trim */
};

/* Coefficients of the rtc file: at ref_time (s since 1970, UTC, on the RTC's scale) the
 * RTC was fast by offset s and gains rate_ppm (ppm of its own time). */
struct rtc_coefs {
    int valid;
    long long ref_time;
    double offset;
    double rate_ppm;
};

struct rtc_track {
    long long rtc_sec[RTC_MAX_SAMPLES];   /* RTC reading at each edge */
    struct timespec sys[RTC_MAX_SAMPLES]; /* system time of each edge */
    int n_samples;
    int n_since_regression;
    int n_runs;
    int valid;          /* coefficients below are usable */
    long long ref_time; /* s, RTC time of the newest sample at the last fit */
    double fast;        /* s the RTC was fast of the system clock at ref_time */
    double gain;        /* s the RTC gains per s of its own time */
    double saved_gain;  /* gain kept over a trim */
    double autotrim;    /* s, 0 = off */
    enum rtc_mode mode;
    int period; /* s until the next measurement in normal mode */
};

/* What the caller has to do after a sample. */
struct rtc_result {
    int trim;         /* autotrim threshold passed: call rtc_track_trim */
    int initial_done; /* the initial samples are in: sys_error is set when have_file */
    int have_file;    /* initial_done with valid file coefficients */
    double sys_error; /* s, positive = system clock fast (correct by slewing it) */
    int write_file;   /* relock after trim done: write coefs */
    struct rtc_coefs coefs;
};

void rtc_track_init(struct rtc_track *t, double autotrim);
/* Start the fast sampling that corrects the system clock at start (chronyd -s). */
void rtc_track_start_initial(struct rtc_track *t);
/* One update edge: the RTC read rtc (s since 1970, UTC) at system time sys. synced: the
 * system clock is synchronised (stratum < 16; autotrim waits for it). file: the
 * coefficients read at start (for the initial correction). */
void rtc_track_add(struct rtc_track *t, long long rtc, const struct timespec *sys, int synced,
                   const struct rtc_coefs *file, struct rtc_result *out);
/* The system clock was stepped by -offset (offset s, positive = it was fast): the
 * samples' system times move with it, and the RTC is that much more fast of it. */
void rtc_track_shift(struct rtc_track *t, double offset);
/* s until the RTC's update interrupts should be turned on again (0: keep them on). */
int rtc_track_next_delay(const struct rtc_track *t);
/* Trim the RTC at system time now: returns 1 with the second to set the RTC to in *set_to
 * when it is more than 1 s off (the caller logs "RTC wrong by ..." and sets it), else 0. */
int rtc_track_trim(struct rtc_track *t, const struct timespec *now, long long *set_to);
/* The coefficients to save (valid = 0 when nothing is known yet). */
void rtc_track_coefs(const struct rtc_track *t, struct rtc_coefs *out);
/* Span of the samples held (s). */
long rtc_track_span(const struct rtc_track *t);

/* Error of an RTC reading rtc at the file's coefficients: s the RTC is fast. */
double rtc_coefs_error(const struct rtc_coefs *c, long long rtc);

/* rtc file text: "VALID REF OFFSET RATE_PPM\n" ("%1d %.0f %.6f %.3f"). */
size_t rtc_coefs_format(const struct rtc_coefs *c, char *buf, size_t len);
/* Parse the file's text. 0, or -1 when it does not hold four numbers. */
int rtc_coefs_parse(const char *text, struct rtc_coefs *out);
/* The LOCAL/UTC line of an adjtime file (the third line): 1 UTC, 0 LOCAL, -1 unknown. */
int rtc_adjtime_utc(const char *text);

#endif
