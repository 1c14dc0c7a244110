#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/sources_dump.h"
#include "lib/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct node *node_new(const struct config *cfg, const struct env *env, const struct node_opts *opts)
{
    struct node *n = xcalloc(1, sizeof(*n));
    uint64_t seed;
    n->cfg = cfg;
    n->env = env;
    n->opts = *opts;
    env->random.bytes(env->random.ctx, &seed, sizeof(seed));
    rng_seed(&n->rng, seed);
    sched_init(&n->sched);
    n->serve.socks[0] = n->serve.socks[1] = -1;
    cmdmon_server_init(n);
    n->cmd.rt.noclock = opts->noclock;
    {
        struct timespec now;
        env->clock.read(env->clock.ctx, &now);
        reference_init(n, &now);
    }
    /* Before the sources, which check their keys, and before privileges are dropped. */
    node_load_keys(n);
    sources_init(n);
    return n;
}

void node_free(struct node *n)
{
    if (!n)
        return;
    sources_fini(n);
    reference_fini(n);
    logfiles_fini(&n->logs);
    serve_stop(n);
    cmdmon_server_fini(n);
    sched_fini(&n->sched);
    keys_clear(&n->keys);
    free(n);
}

void node_load_keys(struct node *n)
{
    const char *path = n->cfg->keyfile;
    size_t len = 0;
    char *text;

    if (!path) {
        keys_clear(&n->keys);
        return;
    }
    text = n->env->files.read_all(n->env->files.ctx, path, &len);
    if (!text) {
        LOG_WARN(n->env->log, "Could not open keyfile %s", path);
        keys_clear(&n->keys);
        return;
    }
    keys_load(&n->keys, text, len, path, n->env->log);
    mem_wipe(text, len);
    free(text);
}

int node_start(struct node *n, const struct timespec *now, char *err, size_t errlen)
{
    if (serve_start(n, err, errlen) < 0)
        return -1;
    logfiles_init(&n->logs, n->cfg, n->env);
    sources_dump_prepare(n);
    reference_start(n, now);
    sources_start(n, now);
    return cmdmon_server_start(n, now, err, errlen);
}

void node_start_unprivileged(struct node *n)
{
    cmdmon_server_open_unix(n);
}

int node_next_timeout(void *node, struct timespec *when)
{
    struct node *n = node;
    if (!sched_next(&n->sched, when))
        return 0;
    reference_expect_wake(n, when);
    return 1;
}

void node_on_timer(void *node, const struct timespec *now)
{
    struct node *n = node;
    reference_check_jump(n, now);
    sched_run_due(&n->sched, now);
}

void node_on_datagram(void *node, const struct net_rx *rx, const struct timespec *now)
{
    struct node *n = node;
    if (sources_on_datagram(n, rx, now))
        return;
    if (!serve_on_datagram(n, rx, now))
        cmdmon_server_on_datagram(n, rx, now);
}

int node_quit_requested(void *node)
{
    return ((struct node *)node)->quit_requested;
}

int node_exit_status(const struct node *n)
{
    return n->exit_status;
}

int node_quit_mode_done(const struct node *n)
{
    return n->quit_mode_done;
}

void node_stop(struct node *n, const struct timespec *now)
{
    sources_dump_save_at_exit(n, now);
    reference_stop(n, now);
}

void node_get_served_ref(const struct node *n, const struct timespec *now,
                         struct ntp_server_ref *ref)
{
    /* The discipline's reference: synchronised, `local`, or unsynchronised. */
    reference_get_served(n, now, ref);
}
