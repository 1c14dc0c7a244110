#include "chronyd/workers.h"

#include "daemon/config.h"
#include "lib/log.h"
#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct worker_run {
    struct node *node;
    int fd;
    int quit;
    unsigned char *state;
};

static int w_next_timeout(void *ctx, struct timespec *when)
{
    (void)ctx;
    (void)when;
    return 0;
}

static void w_on_timer(void *ctx, const struct timespec *now)
{
    node_worker_on_timer(((struct worker_run *)ctx)->node, now);
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
static void worker_main(struct platform *p, struct node *n, int fd, const char *user, int scfilter)
{
    struct platform_handlers h;
    struct worker_run r;
    char err[256];

    memset(&r, 0, sizeof(r));
    r.node = n;
    r.fd = fd;
    r.state = xmalloc(node_served_state_size());
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

void workers_start(struct workers *w, struct platform *p, struct node *n, int count,
                   const char *user, int scfilter)
{
    const struct env *env = platform_env(p);
    size_t size = node_served_state_size();

    memset(w, 0, sizeof(*w));
    w->last = xcalloc(1, size);
    w->cur = xcalloc(1, size);
    if (count > WORKERS_MAX)
        count = WORKERS_MAX;
    for (int i = 1; i < count; i++) {
        int fd, pid = platform_worker_fork(p, &fd);
        if (pid == 0)
            worker_main(p, n, fd, user, scfilter);
        if (pid < 0) {
            LOG_ERR(env->log, "Could not start NTP serving process");
            break;
        }
        w->pid[w->n] = pid;
        w->fd[w->n] = fd;
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
        if (platform_worker_send(w->fd[i], w->cur, size) < 0)
            w->dirty = 1;
    memcpy(w->last, w->cur, size);
}

void workers_stop(struct workers *w)
{
    for (int i = 0; i < w->n; i++)
        platform_worker_stop(w->pid[i], w->fd[i], !w->scfilter);
    w->n = 0;
    if (w->last)
        mem_wipe(w->last, node_served_state_size());
    if (w->cur)
        mem_wipe(w->cur, node_served_state_size());
    free(w->last);
    free(w->cur);
    w->last = w->cur = NULL;
}
