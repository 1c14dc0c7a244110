/* The node in a serving worker process (`serverworkers`, ours): the main process's served
 * state carried as plain bytes, and the node reduced to its NTP server. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/keyfile.h"

#include <string.h>

/* What a worker needs to answer as the main process would: the clock model (raw to cooked
 * time), the discipline (the served reference: stratum, reference ID and time, root delay
 * and dispersion, leap), the time smoothing, the monotonic timescale of F323 fields, the
 * NTS server keys, and what chronyc changed: the last allow/deny changes of NTP access
 * (replayed in order) and the number of rekeys (a worker reloads the keyfile itself). */
struct node_served_state {
    struct clock clock;
    struct discipline disc;
    struct smooth smooth;
    double mono_offset;
    uint32_t mono_epoch;
    struct nts_server_keys nts_keys;
    struct serve_access_change access_log[SERVE_ACCESS_LOG];
    uint32_t access_seq;
    uint32_t keys_gen;
};

size_t node_served_state_size(void)
{
    return sizeof(struct node_served_state);
}

void node_get_served_state(const struct node *n, void *buf)
{
    struct node_served_state st;
    memset(&st, 0, sizeof(st));
    st.clock = n->engine.clock;
    st.disc = n->engine.disc;
    st.smooth = n->engine.smooth;
    st.mono_offset = n->engine.mono_offset;
    st.mono_epoch = n->engine.mono_epoch;
    st.nts_keys = n->serve.nts_keys;
    memcpy(st.access_log, n->serve.access_log, sizeof(st.access_log));
    st.access_seq = n->serve.access_seq;
    st.keys_gen = n->keys_gen;
    memcpy(buf, &st, sizeof(st));
}

/* The main process's allow/deny changes this worker has not applied yet, in order. The
 * sockets stay as they are (a worker cannot open the server port again). */
static void replay_access(struct node *n, const struct node_served_state *st)
{
    for (uint32_t q = n->serve.access_seq + 1; q - 1 != st->access_seq; q++) {
        const struct serve_access_change *c = &st->access_log[q % SERVE_ACCESS_LOG];
        if (c->seq != q) {
            LOG_ERR(n->env->log, "NTP access changes lost in serving process");
            break;
        }
        if (!n->serve.access)
            n->serve.access = access_new();
        if (access_add(n->serve.access, &c->ip, c->bits, c->allow, c->all) != ACCESS_OK)
            LOG_ERR(n->env->log, "NTP access change not applied in serving process");
    }
    n->serve.access_seq = st->access_seq;
}

void node_set_served_state(struct node *n, const void *buf)
{
    struct node_served_state st;
    memcpy(&st, buf, sizeof(st));
    n->engine.clock = st.clock;
    n->engine.disc = st.disc;
    /* The discipline's clock is this process's copy of the model. */
    n->engine.disc.clock = &n->engine.clock;
    n->engine.smooth = st.smooth;
    n->engine.mono_offset = st.mono_offset;
    n->engine.mono_epoch = st.mono_epoch;
    n->serve.nts_keys = st.nts_keys;
    replay_access(n, &st);
    if (st.keys_gen != n->keys_gen) {
        keyfile_load(&n->keys, n->cfg->keyfile, n->env);
        n->keys_gen = st.keys_gen;
    }
    memset(&st, 0, sizeof(st));
}

void node_worker_begin(struct node *n)
{
    serve_worker_begin(&n->serve);
}

void node_worker_on_datagram(void *node, const struct net_rx *rx, const struct timespec *now)
{
    struct node *n = node;
    if (rx->tx_ts)
        serve_on_tx_timestamp(&n->serve, rx, now);
    else
        serve_on_datagram(&n->serve, rx, now);
}

void node_worker_on_timer(void *node, const struct timespec *now)
{
    struct node *n = node;
    (void)now;
    serve_flush(&n->serve);
    /* `clients -r` in the main process: zero this worker's counters now. */
    clientlog_apply_reset(n->serve.clientlog);
}

int node_server_socket(const struct node *n, int i)
{
    return i >= 0 && i < 2 ? n->serve.socks[i] : -1;
}

void node_worker_stats(const struct node *n, struct serve_stats *out)
{
    serve_get_stats(&n->serve, out);
}

void node_set_workers_stats(struct node *n, const struct serve_stats *sum)
{
    n->serve.workers = *sum;
}

size_t node_worker_clientlog_bytes(const struct node *n)
{
    return cmdmon_server_worker_log_bytes(&n->cmd);
}

struct clientlog *node_worker_clientlog_new(struct node *n, void *mem, uint64_t *seed)
{
    return cmdmon_server_worker_log_new(&n->cmd, mem, &n->rng, seed);
}

int node_worker_clientlog_view(struct node *n, void *mem, uint64_t seed)
{
    return cmdmon_server_add_worker_log(&n->cmd, mem, seed);
}

void node_worker_clientlog_ended(struct node *n, int view)
{
    cmdmon_server_worker_log_ended(&n->cmd, view);
}

void node_worker_use_clientlog(struct node *n, struct clientlog *cl)
{
    /* The log inherited from the main process is its copy: this worker starts its own. */
    clientlog_free(n->cmd.clientlog);
    n->cmd.clientlog = cl;
    n->serve.clientlog = cl;
}
