/* chrony's log files: the `log` directive's measurements (or rawmeasurements),
 * statistics, tracking and selection files in `logdir`, one line per event in
 * chrony's columns, with the column banner at the start of a file and every
 * `logbanner` lines (chrony.conf(5)). Lines are appended through env->files,
 * which opens the file for each line, so a file moved away by log rotation is
 * recreated at the next line; `cyclelogs` restarts the banner count. */
#ifndef DAEMON_LOGFILES_H
#define DAEMON_LOGFILES_H

#include "daemon/env.h"

#include <time.h>

struct config;

enum logfile_kind {
    LOGF_MEASUREMENTS = 0,
    LOGF_STATISTICS,
    LOGF_TRACKING,
    LOGF_SELECTION,
    LOGF_TEMPCOMP,
    LOGF_REFCLOCKS, /* the time has microseconds ("... HH:MM:SS.uuuuuu") */
    LOGF_RTC,
    LOGF_N
};

struct logfiles {
    char *paths[LOGF_N];           /* NULL: not logged */
    unsigned long entries[LOGF_N]; /* lines written since start or cyclelogs */
    int reported[LOGF_N];          /* a write error was logged */
    int no_dir[LOGF_N];            /* asked for without logdir: warned at the first line */
    int raw_measurements;          /* log every response, not only valid ones */
    int banner;                    /* logbanner: lines between banners, 0 = none */
    int hold;                      /* lines kept in memory until logfiles_release() */
    char *held[LOGF_N];
    size_t held_len[LOGF_N];
};

/* Paths from cfg (log_flags, logdir, logbanner); creates logdir if missing. */
void logfiles_init(struct logfiles *lf, const struct config *cfg, const struct env *env);
void logfiles_fini(struct logfiles *lf);
int logfiles_enabled(const struct logfiles *lf, enum logfile_kind k);
/* Append one line: the UTC date and time of `when` ("YYYY-MM-DD HH:MM:SS"), a
 * space, then the formatted text; the banner first when it is due. */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
void logfiles_write(struct logfiles *lf, const struct env *env, enum logfile_kind k,
                    const struct timespec *when, const char *fmt, ...);
/* As chrony, whose log files are opened after root is dropped: the lines written during
 * start-up (as root) are kept (up to 64 KiB a file) and appended by logfiles_release()
 * once the daemon runs as its user, so that the files are that user's. */
void logfiles_hold(struct logfiles *lf);
void logfiles_release(struct logfiles *lf, const struct env *env);
/* chronyc cyclelogs: every file starts again with a banner. */
void logfiles_cycle(struct logfiles *lf);

#endif
