/* The platform object and its select() event loop. Time is read once per
 * wake-up; signal handlers only set a flag. */
#include "platform/internal.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

void plat_random_fill(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t r = getrandom(p, len, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            abort(); /* no entropy source: nothing safe to fall back to */
        }
        p += r;
        len -= (size_t)r;
    }
}

static void random_bytes(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    plat_random_fill(buf, len);
}

struct platform *platform_new(const struct platform_opts *opts)
{
    struct platform *p = xcalloc(1, sizeof(*p));
    struct sigaction sa;
    p->ready_fd = -1;
    p->resolve_pipe[0] = p->resolve_pipe[1] = -1;
    p->family = opts->family;
    plat_log_init(p, opts);
    plat_clock_init(p, opts->clock, opts->softclock_offset);
    plat_net_init(p);
    plat_files_init(p);
    plat_shm_init(p);
    plat_refdev_init(p);
    plat_hwts_init(p);
    plat_process_init(p);
    plat_resolver_init(p);
    plat_rtc_init(p);
    plat_nts_ke_init(p);
    plat_nts_ke_server_init(p);
    p->env.random = (struct env_random){p, random_bytes};

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    /* As chrony: a hang-up ends the daemon cleanly too (files saved, pidfile removed). */
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return p;
}

void platform_free(struct platform *p)
{
    if (!p)
        return;
    plat_net_fini(p);
    plat_resolver_fini(p);
    plat_nts_ke_server_fini(p);
    plat_nts_ke_fini(p);
    plat_log_fini(p);
    free(p);
}

const struct env *platform_env(struct platform *p)
{
    return &p->env;
}

void platform_stop(struct platform *p)
{
    p->stop = 1;
}

/* select() timeout of d seconds, rounded up to whole microseconds. */
static struct timeval *timeout_after(double d, struct timeval *tv)
{
    if (d < 0)
        d = 0;
    if (d > 86400)
        d = 86400;
    tv->tv_sec = (time_t)d;
    tv->tv_usec = (suseconds_t)ceil((d - (double)tv->tv_sec) * 1e6);
    if (tv->tv_usec >= 1000000) {
        tv->tv_sec++;
        tv->tv_usec -= 1000000;
    }
    return tv;
}

/* select() timeout from an absolute deadline. */
static struct timeval *timeout_until(const struct timespec *now, const struct timespec *when,
                                     struct timeval *tv)
{
    return timeout_after(ts_diff(when, now), tv);
}

int platform_run(struct platform *p, const struct platform_handlers *h, double run_for)
{
    struct timespec now, end, when;
    int have_end = run_for > 0;
    p->env.clock.read(p->env.clock.ctx, &now);
    if (have_end)
        ts_add(&end, &now, run_for);
    while (!p->stop && !got_signal) {
        fd_set rd, wr;
        struct timeval tv, *tvp = NULL;
        int maxfd = -1, have = 0, r;
        double nts_left, srv_left;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        for (int i = 0; i < p->n_socks; i++) {
            if (!p->socks[i].no_read)
                FD_SET(p->socks[i].fd, &rd);
            if (p->socks[i].want_write)
                FD_SET(p->socks[i].fd, &wr);
            if (p->socks[i].fd > maxfd)
                maxfd = p->socks[i].fd;
        }
        if (p->pending_lookups && p->resolve_pipe[0] >= 0) {
            FD_SET(p->resolve_pipe[0], &rd);
            if (p->resolve_pipe[0] > maxfd)
                maxfd = p->resolve_pipe[0];
        }
        nts_left = plat_nts_ke_prepare(p, &rd, &wr, &maxfd);
        srv_left = plat_nts_ke_server_prepare(p, &rd, &wr, &maxfd);
        if (srv_left >= 0.0 && (nts_left < 0.0 || srv_left < nts_left))
            nts_left = srv_left;
        /* A step of the clock made while handling the last wake-up moved the deadlines:
         * the timeout is measured from the clock as it reads now. */
        p->env.clock.read(p->env.clock.ctx, &now);
        have = h->next_timeout(h->ctx, &when);
        if (have_end && (!have || ts_cmp(&end, &when) < 0)) {
            when = end;
            have = 1;
        }
        if (have)
            tvp = timeout_until(&now, &when, &tv);
        if (nts_left >= 0.0 && (!tvp || nts_left < (double)tv.tv_sec + tv.tv_usec * 1e-6))
            tvp = timeout_after(nts_left, &tv);
        r = select(maxfd + 1, &rd, &wr, NULL, tvp);
        /* The time of the wake-up: the datagrams are handled at it. */
        p->env.clock.read(p->env.clock.ctx, &now);
        if (r < 0 && errno != EINTR) {
            log_msg(p->env.log, LOGL_FATAL, "select() failed : %s", strerror(errno));
            return PLATFORM_RUN_FAILED;
        }
        /* NTS-KE sessions also move on when only their deadline passed. */
        plat_nts_ke_process(p, r > 0 ? &rd : NULL, r > 0 ? &wr : NULL);
        plat_nts_ke_server_process(p, r > 0 ? &rd : NULL, r > 0 ? &wr : NULL);
        if (r > 0) {
            if (p->resolve_pipe[0] >= 0 && FD_ISSET(p->resolve_pipe[0], &rd))
                plat_resolver_dispatch(p);
            for (int i = 0; i < p->n_socks; i++) {
                int fd = p->socks[i].fd;
                int ev = (FD_ISSET(fd, &rd) ? STREAM_EV_READ : 0) |
                         (FD_ISSET(fd, &wr) ? STREAM_EV_WRITE : 0);
                if (!ev)
                    continue;
                FD_CLR(fd, &rd);
                FD_CLR(fd, &wr);
                if (p->socks[i].cb)
                    plat_stream_event(p, fd, ev);
                else if (ev & STREAM_EV_READ)
                    plat_net_receive(p, fd, h, &now);
                i = -1; /* the handler may have opened/closed sockets: rescan */
            }
        }
        if (have_end && ts_cmp(&now, &end) >= 0)
            return got_signal ? got_signal : PLATFORM_RUN_TIMEOUT;
        /* The timers see the clock after the datagrams were handled (one of them may
         * have stepped it). */
        if (r > 0)
            p->env.clock.read(p->env.clock.ctx, &now);
        h->on_timer(h->ctx, &now);
        if (h->should_quit && h->should_quit(h->ctx))
            break;
    }
    return got_signal;
}
