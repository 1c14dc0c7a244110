/* Log sinks: stderr or a file (-l) with chrony's ISO 8601 UTC prefix, or
 * syslog when running as a daemon. */
#include "platform/internal.h"

#include <string.h>
#include <syslog.h>
#include <time.h>

static void write_line(FILE *fp, const char *prefix, const char *msg)
{
    char stamp[32];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(fp, "%s %s%s\n", stamp, prefix, msg);
    fflush(fp);
}

static void sink(void *ctx, enum log_level level, const char *msg)
{
    struct platform *p = ctx;
    const char *prefix = level == LOGL_FATAL ? "Fatal error : " : "";
    if (p->log_syslog) {
        static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT};
        syslog(prio[level], "%s%s", prefix, msg);
    }
    if (p->log_fp)
        write_line(p->log_fp, prefix, msg);
    else if (p->log_stderr || (!p->log_syslog && level >= LOGL_WARN))
        write_line(stderr, prefix, msg);
    if (level == LOGL_FATAL)
        plat_report_fatal_to_parent(p, msg);
    /* A fatal error is always shown on the terminal too when we still have one. */
    if (level == LOGL_FATAL && p->log_fp && !p->log_syslog && p->ready_fd < 0)
        fprintf(stderr, "%s%s\n", prefix, msg);
}

void plat_log_init(struct platform *p, const struct platform_opts *o)
{
    static const enum log_level levels[] = {LOGL_INFO, LOGL_WARN, LOGL_ERR, LOGL_FATAL};
    p->log_stderr = o->log_stderr;
    p->log_fp = NULL;
    if (o->log_file) {
        p->log_fp = fopen(o->log_file, "a");
        if (p->log_fp)
            p->log_stderr = 0;
    }
    p->logger.ctx = p;
    p->logger.write = sink;
    if (o->log_level < 0)
        p->logger.min_level = LOGL_DEBUG;
    else
        p->logger.min_level = levels[o->log_level > 3 ? 3 : o->log_level];
    p->env.log = &p->logger;
}

void platform_log_to_syslog(struct platform *p)
{
    if (p->log_fp)
        return;
    openlog("chronyd", LOG_PID, LOG_DAEMON);
    p->log_syslog = 1;
    p->log_stderr = 0;
}

void plat_log_fini(struct platform *p)
{
    if (p->log_fp)
        fclose(p->log_fp);
    p->log_fp = NULL;
    if (p->log_syslog)
        closelog();
}
