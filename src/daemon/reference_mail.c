/* mailonchange: when the discipline corrects the clock by more than the threshold, a mail
 * goes to the configured address through the sendmail program, with chrony's headers and
 * text (reference.c maybe_log_offset). The program runs through env->process, which does
 * not wait for it. */
#include "daemon/reference.h"

#include "daemon/config.h"
#include "daemon/env.h"

#include <stdio.h>
#include <string.h>

/* chrony's configure --with-sendmail default. */
#ifndef CHRONY_MAIL_PROGRAM
#define CHRONY_MAIL_PROGRAM "/usr/lib/sendmail"
#endif

/* The mail, headers first, into buf. change: s, the adjustment applied to the clock
 * (positive = the clock goes forward); now: s since 1970, the clock's reading. */
static size_t compose(const struct env_process *pr, const char *to, double change, double threshold,
                      long long now, char *buf, size_t cap)
{
    char host[255], when[255];
    size_t n = 0;

    if (!pr->hostname || pr->hostname(pr->ctx, host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "%s", "<UNKNOWN>");
    host[sizeof(host) - 1] = '\0';
    /* chrony leaves the date out when the local time cannot be had. */
    if (!pr->format_local_time ||
        pr->format_local_time(pr->ctx, now,
                              "On %A, %d %B %Y\n  with the system clock reading %H:%M:%S (%Z)",
                              when, sizeof(when)) == 0)
        when[0] = '\0';
    n = (size_t)snprintf(buf, cap,
                         "To: %s\n"
                         "Subject: chronyd reports change to system clock on node [%s]\n"
                         "\n"
                         "%s"
                         "\n\nchronyd started to apply an adjustment of %.3f seconds to it,\n"
                         "  which exceeded the reporting threshold of %.3f seconds\n\n",
                         to, host, when, change, threshold);
    return n < cap ? n : cap - 1;
}

void reference_mail_change(struct reference *r, double change, double threshold)
{
    const struct env_process *pr = &r->env->process;
    const char *to = r->cfg->mailonchange_user;
    const char *const argv[] = {CHRONY_MAIL_PROGRAM, "-t", NULL};
    struct timespec now;
    char mail[2048];
    size_t len;

    if (!to)
        return;
    r->env->clock.read(r->env->clock.ctx, &now);
    len = compose(pr, to, change, threshold, (long long)now.tv_sec, mail, sizeof(mail));
    /* chrony's message (its format also ends in a stray newline, not repeated here). */
    if (!pr->run_with_input ||
        pr->run_with_input(pr->ctx, CHRONY_MAIL_PROGRAM, argv, mail, len) < 0)
        LOG_ERR(r->env->log, "Could not send mail notification to user %s", to);
}
