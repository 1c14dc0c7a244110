/* The RTC driver of chrony (rtcfile, rtcdevice, rtconutc, hwclockfile, rtcautotrim,
 * chronyd -s, log rtc, chronyc rtcdata/trimrtc/writertc): the device through env.rtc, the
 * tracking maths in core/rtc.c. */
#ifndef DAEMON_RTC_H
#define DAEMON_RTC_H

#include "core/rtc.h"

#include <stdint.h>
#include <time.h>

struct config;
struct env;
struct sched;
struct sources;
struct reference;
struct logfiles;
struct cmdmon_rtc;

struct rtc {
    /* What it uses (not owned), set by node_new. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;
    struct sources *srcs;
    struct reference *ref;
    struct logfiles *logs;
    int utc;               /* the RTC keeps UTC (rtconutc, hwclockfile) */
    int running;           /* the driver is initialised (chrony's driver_initialised) */
    int preinit_ok;        /* chronyd -s read the RTC */
    int handle;            /* env.rtc handle, -1 */
    int skip;              /* interrupts to ignore after turning them on */
    struct rtc_coefs file; /* read from rtcfile at start */
    struct rtc_track track;
    double shifted; /* sched's sum of clock steps the samples were moved by */
    uint64_t timer;
};

/* chronyd -s, before the reference starts: set the system clock from the RTC (corrected
 * by the rtcfile's coefficients), or from the drift file's time when that is later. */
void rtc_initial_set(struct rtc *r);
/* With rtcfile: open the device (chrony's messages when it cannot be), as chrony does
 * before the reference reads the drift file. */
void rtc_open(struct rtc *r);
/* Start measuring (the fast initial sampling when chronyd -s read the RTC). Returns 0,
 * or -1 with a fatal message in err (rtcfile with rtcsync). */
int rtc_start(struct rtc *r, char *err, size_t errlen);
/* Turn the interrupts off, close the device, save the coefficients. */
void rtc_stop(struct rtc *r);
/* chronyc rtcdata: 0 when the driver is not running. */
int rtc_report(struct rtc *r, struct cmdmon_rtc *out);
/* chronyc trimrtc: 0 when the driver is not running. */
int rtc_trim(struct rtc *r, const struct timespec *raw_now);
/* chronyc writertc: CMDMON_STT_SUCCESS, _NORTC or _BADRTCFILE. */
int rtc_write(struct rtc *r);

#endif
