/* chrony's log files (see logfiles.h). The file names, column titles and the
 * banner made of a rule of '=' as wide as the titles are chrony's. */
#include "daemon/logfiles.h"

#include "daemon/config.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const file_names[LOGF_N] = {
    "measurements", "statistics", "tracking", "selection", "tempcomp", "refclocks", "rtc"};

static const char *const titles[LOGF_N] = {
    "   Date (UTC) Time     IP Address   L St 123 567 ABCD  LP RP Score    Offset  Peer del. "
    "Peer disp.  Root del. Root disp. Refid     MTxRx",
    "   Date (UTC) Time     IP Address    Std dev'n Est offset  Offset sd  Diff freq   Est skew  "
    "Stress  Ns  Bs  Nr  Asym",
    "   Date (UTC) Time     IP Address   St   Freq ppm   Skew ppm     Offset L Co  Offset sd "
    "Rem. corr. Root delay Root disp. Max. error",
    "   Date (UTC) Time     IP Address   S EOpts Reach Score Last sample  Low end   High end",
    "   Date (UTC) Time        Temp.       Comp.",
    "   Date (UTC) Time         Refid  DP L P  Raw offset   Cooked offset      Disp.",
    "   Date (UTC) Time   RTC fast (s) Val   Est fast (s)   Slope (ppm)  Ns  Nr Meas"};

static const unsigned flags_of[LOGF_N] = {CFG_LOG_MEASUREMENTS | CFG_LOG_RAWMEASUREMENTS,
                                          CFG_LOG_STATISTICS,
                                          CFG_LOG_TRACKING,
                                          CFG_LOG_SELECTION,
                                          CFG_LOG_TEMPCOMP,
                                          CFG_LOG_REFCLOCKS,
                                          CFG_LOG_RTC};

void logfiles_init(struct logfiles *lf, const struct config *cfg, const struct env *env)
{
    const char *dir = cfg->logdir;
    char err[256];
    int any = 0;

    memset(lf, 0, sizeof(*lf));
    lf->banner = cfg->logbanner;
    lf->raw_measurements = !!(cfg->log_flags & CFG_LOG_RAWMEASUREMENTS);
    if (!dir || !*dir) {
        /* chrony warns when the log's first line comes, then drops the log */
        for (int k = 0; k < LOGF_N; k++)
            lf->no_dir[k] = !!(cfg->log_flags & flags_of[k]);
        return;
    }
    for (int k = 0; k < LOGF_N; k++) {
        if (!(cfg->log_flags & flags_of[k]))
            continue;
        size_t n = strlen(dir) + strlen(file_names[k]) + 6;
        lf->paths[k] = xmalloc(n);
        snprintf(lf->paths[k], n, "%s/%s.log", dir, file_names[k]);
        any = 1;
    }
    /* chrony creates a missing logdir; an existing one is used as it is (a
     * directory that cannot be written shows in the first line's error). */
    if (any && env->files.prepare_dir)
        (void)env->files.prepare_dir(env->files.ctx, dir, 0755, err, sizeof(err));
}

void logfiles_hold(struct logfiles *lf)
{
    lf->hold = 1;
}

void logfiles_release(struct logfiles *lf, const struct env *env)
{
    lf->hold = 0;
    for (int k = 0; k < LOGF_N; k++) {
        if (lf->held[k] && lf->paths[k] &&
            env->files.append(env->files.ctx, lf->paths[k], lf->held[k], lf->held_len[k]) < 0) {
            LOG_ERR(env->log, "Could not open log file %s", lf->paths[k]);
            lf->reported[k] = 1;
        }
        free(lf->held[k]);
        lf->held[k] = NULL;
        lf->held_len[k] = 0;
    }
}

void logfiles_fini(struct logfiles *lf)
{
    for (int k = 0; k < LOGF_N; k++) {
        free(lf->held[k]);
        lf->held[k] = NULL;
        free(lf->paths[k]);
        lf->paths[k] = NULL;
    }
}

int logfiles_enabled(const struct logfiles *lf, enum logfile_kind k)
{
    return k < LOGF_N && (lf->paths[k] != NULL || lf->no_dir[k]);
}

void logfiles_cycle(struct logfiles *lf)
{
    for (int k = 0; k < LOGF_N; k++)
        lf->entries[k] = 0;
}

/* The banner: a rule, the titles, a rule. */
static size_t format_banner(enum logfile_kind k, char *buf, size_t cap)
{
    size_t w = strlen(titles[k]), need = 3 * (w + 1);
    if (need >= cap)
        return 0;
    memset(buf, '=', w);
    buf[w] = '\n';
    memcpy(buf + w + 1, titles[k], w);
    buf[2 * w + 1] = '\n';
    memset(buf + 2 * w + 2, '=', w);
    buf[3 * w + 2] = '\n';
    return need;
}

static size_t format_time(enum logfile_kind k, const struct timespec *when, char *buf, size_t cap)
{
    struct tm tm;
    time_t t = when->tv_sec;
    size_t n;
    if (!gmtime_r(&t, &tm))
        return 0;
    if (k != LOGF_REFCLOCKS)
        return strftime(buf, cap, "%Y-%m-%d %H:%M:%S ", &tm);
    n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
    if (n && n + 9 < cap)
        n += (size_t)snprintf(buf + n, cap - n, ".%06d ", (int)(when->tv_nsec / 1000));
    return n;
}

void logfiles_write(struct logfiles *lf, const struct env *env, enum logfile_kind k,
                    const struct timespec *when, const char *fmt, ...)
{
    char buf[1024];
    size_t len = 0, room;
    va_list ap;
    int r;

    if (!logfiles_enabled(lf, k))
        return;
    if (!lf->paths[k]) {
        LOG_WARN(env->log, "logdir not specified");
        lf->no_dir[k] = 0;
        return;
    }
    if (lf->banner > 0 && lf->entries[k] % (unsigned long)lf->banner == 0)
        len = format_banner(k, buf, sizeof(buf));
    len += format_time(k, when, buf + len, sizeof(buf) - len);
    room = sizeof(buf) - len - 1;
    va_start(ap, fmt);
    r = vsnprintf(buf + len, room, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    len += (size_t)r < room ? (size_t)r : room - 1;
    buf[len++] = '\n';
    lf->entries[k]++;
    if (lf->hold) {
        if (lf->held_len[k] + len <= 65536) {
            lf->held[k] = xrealloc(lf->held[k], lf->held_len[k] + len);
            memcpy(lf->held[k] + lf->held_len[k], buf, len);
            lf->held_len[k] += len;
        }
        return;
    }
    if (env->files.append(env->files.ctx, lf->paths[k], buf, len) < 0) {
        if (!lf->reported[k])
            LOG_ERR(env->log, "Could not open log file %s", lf->paths[k]);
        lf->reported[k] = 1;
        return;
    }
    lf->reported[k] = 0;
}
