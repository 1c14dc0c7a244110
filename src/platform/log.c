/* Log sinks: stderr or a file (-l) with chrony's ISO 8601 UTC prefix, or
 * syslog when running as a daemon. */
#include "platform/internal.h"

#include "lib/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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
    p->logger.ctx = p;
    p->logger.write = sink;
    if (o->log_level < 0)
        p->logger.min_level = LOGL_DEBUG;
    else
        p->logger.min_level = levels[o->log_level > 3 ? 3 : o->log_level];
    p->env.log = &p->logger;
    if (o->log_file) {
        /* As chrony: appended to, never through a link, and fatal when it can't be. */
        int fd = plat_open_file(o->log_file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0640);
        p->log_fp = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (!p->log_fp) {
            int saved = errno;
            if (fd >= 0)
                close(fd);
            p->log_stderr = 1;
            log_msg(&p->logger, LOGL_FATAL, "Could not open %s : %s", o->log_file, strerror(saved));
            exit(1);
        }
        p->log_stderr = 0;
        p->log_path = xstrdup(o->log_file);
    }
}

void platform_log_to_syslog(struct platform *p)
{
    if (p->log_fp)
        return;
    openlog("chronyd", LOG_PID, LOG_DAEMON);
    p->log_syslog = 1;
    p->log_stderr = 0;
}

/* cyclelogs: as chrony, a new file only when nothing is at the path (the old one was
 * moved away); O_EXCL makes the check and the creation one step. The old file stays
 * when the new one cannot be created. */
void plat_log_cycle(void *ctx)
{
    struct platform *p = ctx;
    FILE *f;
    int fd;
    if (!p->log_fp || !p->log_path)
        return;
    fd = open(p->log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return;
    f = fdopen(fd, "a");
    if (!f) {
        close(fd);
        return;
    }
    fclose(p->log_fp);
    p->log_fp = f;
}

void plat_log_fini(struct platform *p)
{
    if (p->log_fp)
        fclose(p->log_fp);
    p->log_fp = NULL;
    free(p->log_path);
    p->log_path = NULL;
    if (p->log_syslog)
        closelog();
}
