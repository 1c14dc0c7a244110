#include "chronyd/workers.h"

#include "core/clientlog.h"
#include "daemon/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct worker_run {
    struct node *node;
    int back; /* the pipe to the main process: the counters */
    int quit;
    unsigned char *state;
    struct serve_stats base; /* the counters at the fork (the main process's) */
    struct serve_stats sent; /* the counters last reported */
    int unsent;              /* they changed since */
    int reported;            /* a report was tried at last_report */
    struct timespec last_report;
};

/* Report the counters when they changed, at most every WORKERS_REPORT_INTERVAL (a pipe
 * that is full, the main process being stopped, is tried again after the interval). */
static void w_report(struct worker_run *r, const struct timespec *now)
{
    struct serve_stats cur;
    uint8_t msg[SERVE_STATS_MSG_LEN];
    double ago;

    node_worker_stats(r->node, &cur);
    serve_stats_since(&cur, &cur, &r->base);
    r->unsent = memcmp(&cur, &r->sent, sizeof(cur)) != 0;
    if (!r->unsent)
        return;
    ago = ts_diff(now, &r->last_report);
    if (r->reported && ago >= 0.0 && ago < WORKERS_REPORT_INTERVAL)
        return;
    serve_stats_encode(&cur, msg);
    if (platform_worker_send(r->back, msg, sizeof(msg)) == 0) {
        r->sent = cur;
        r->unsent = 0;
    }
    r->last_report = *now;
    r->reported = 1;
}

static int w_next_timeout(void *ctx, struct timespec *when)
{
    struct worker_run *r = ctx;
    if (!r->unsent)
        return 0;
    ts_add(when, &r->last_report, WORKERS_REPORT_INTERVAL);
    return 1;
}

static void w_on_timer(void *ctx, const struct timespec *now)
{
    struct worker_run *r = ctx;
    node_worker_on_timer(r->node, now);
    w_report(r, now);
}

static void w_on_datagram(void *ctx, const struct net_rx *rx, const struct timespec *now)
{
    node_worker_on_datagram(((struct worker_run *)ctx)->node, rx, now);
}

static int w_should_quit(void *ctx)
{
    return ((struct worker_run *)ctx)->quit;
}

static void w_on_state(void *arg, int fd, int events)
{
    struct worker_run *r = arg;
    int got = platform_worker_receive(fd, r->state, node_served_state_size());
    (void)events;
    if (got < 0)
        r->quit = 1; /* the main process ended */
    else if (got > 0)
        node_set_served_state(r->node, r->state);
}

/* The worker's life: its own sockets, the user's privileges, then serve until the main
 * process goes. Never returns. */
static void worker_main(struct platform *p, struct node *n, int fd, int back, const char *user,
                        int scfilter, struct clientlog *log)
{
    struct platform_handlers h;
    struct worker_run r;
    char err[256];

    /* Its own client log, in the memory the main process reads for `clients` (the counters
     * reported start from it). */
    if (log)
        node_worker_use_clientlog(n, log);
    memset(&r, 0, sizeof(r));
    r.node = n;
    r.back = back;
    r.state = xmalloc(node_served_state_size());
    node_worker_stats(n, &r.base);
    node_worker_begin(n);
    /* As the main process: the user's privileges, then chronyd -F's system call filter. */
    if (platform_drop_privileges(user, err, sizeof(err)) < 0 ||
        (scfilter && platform_scfilter_apply(scfilter, err, sizeof(err)) < 0) ||
        platform_watch(p, fd, w_on_state, &r) < 0)
        _exit(1);
    memset(&h, 0, sizeof(h));
    h.ctx = &r;
    h.next_timeout = w_next_timeout;
    h.on_timer = w_on_timer;
    h.on_datagram = w_on_datagram;
    h.should_quit = w_should_quit;
    platform_run(p, &h, 0);
    _exit(0);
}

/* In the main process: a worker's counters arrived, or its pipe ended (the worker did):
 * its last report stays in the totals. */
static void on_worker_stats(void *arg, int fd, int events)
{
    struct worker_link *l = arg;
    struct workers *w = l->w;
    struct serve_stats sum, got;
    uint8_t msg[SERVE_STATS_MSG_LEN];
    int r = platform_worker_receive(fd, msg, sizeof(msg));

    (void)events;
    if (r > 0 && serve_stats_decode(msg, sizeof(msg), &got) == 0)
        serve_stats_update(&w->stats[l->i], &got);
    if (r < 0) {
        LOG_WARN(platform_env(w->p)->log, "NTP serving process %d ended", w->pid[l->i]);
        serve_stats_end(&w->stats[l->i]);
        node_worker_clientlog_ended(w->node, w->log[l->i]);
        platform_unwatch_close(w->p, fd);
        w->back[l->i] = -1;
        platform_worker_stop(w->pid[l->i], w->fd[l->i], 0);
        w->fd[l->i] = -1;
    }
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < w->n; i++)
        serve_stats_add(&sum, &w->stats[i]);
    node_set_workers_stats(w->node, &sum);
}

void workers_start(struct workers *w, struct platform *p, struct node *n, int count,
                   const char *user, int scfilter)
{
    const struct env *env = platform_env(p);
    size_t size = node_served_state_size();

    memset(w, 0, sizeof(*w));
    w->p = p;
    w->node = n;
    w->last = xcalloc(1, size);
    w->cur = xcalloc(1, size);
    if (count > WORKERS_MAX)
        count = WORKERS_MAX;
    for (int i = 1; i < count; i++) {
        /* The worker's client log, shared with this process (mapped before the fork). */
        size_t bytes = node_worker_clientlog_bytes(n);
        void *mem = bytes ? platform_shared_alloc(bytes) : NULL;
        uint64_t seed = 0;
        struct clientlog *log = mem ? node_worker_clientlog_new(n, mem, &seed) : NULL;
        int fd, back, pid;

        if (bytes && !log)
            LOG_ERR(env->log, "Could not share client log of NTP serving process");
        pid = platform_worker_fork(p, &fd, &back);
        if (pid == 0)
            worker_main(p, n, fd, back, user, scfilter, log);
        clientlog_free(log); /* the worker's handle; this process reads through a view */
        if (pid < 0) {
            LOG_ERR(env->log, "Could not start NTP serving process");
            break;
        }
        w->log[w->n] = log ? node_worker_clientlog_view(n, mem, seed) : -1;
        if (log && w->log[w->n] < 0)
            LOG_ERR(env->log, "Could not share client log of NTP serving process");
        w->pid[w->n] = pid;
        w->fd[w->n] = fd;
        w->back[w->n] = back;
        w->link[w->n].w = w;
        w->link[w->n].i = w->n;
        /* Watched before the next fork: the next worker lets it go (closes it). */
        if (platform_watch(p, back, on_worker_stats, &w->link[w->n]) < 0) {
            LOG_ERR(env->log, "Could not watch NTP serving process");
            platform_unwatch_close(p, back);
            w->back[w->n] = -1;
        }
        w->n++;
    }
    for (int i = 0; i < 2; i++) {
        int fd = node_server_socket(n, i);
        if (fd >= 0 && platform_reuseport_steer(fd, w->n + 1, i == 1) < 0)
            LOG_DEBUG(env->log, "Could not steer NTP requests by address");
    }
    w->dirty = 1;
    w->scfilter = scfilter;
}

void workers_publish(struct workers *w, const struct node *n)
{
    size_t size = node_served_state_size();
    if (!w->n)
        return;
    node_get_served_state(n, w->cur);
    if (!w->dirty && memcmp(w->cur, w->last, size) == 0)
        return;
    w->dirty = 0;
    for (int i = 0; i < w->n; i++)
        if (w->fd[i] >= 0 && platform_worker_send(w->fd[i], w->cur, size) < 0)
            w->dirty = 1;
    memcpy(w->last, w->cur, size);
}

void workers_stop(struct workers *w)
{
    for (int i = 0; i < w->n; i++) {
        if (w->back[i] >= 0)
            platform_unwatch_close(w->p, w->back[i]);
        platform_worker_stop(w->pid[i], w->fd[i], !w->scfilter);
    }
    w->n = 0;
    if (w->last)
        mem_wipe(w->last, node_served_state_size());
    if (w->cur)
        mem_wipe(w->cur, node_served_state_size());
    free(w->last);
    free(w->cur);
    w->last = w->cur = NULL;
}
