/* The world loop: an event heap in true time (datagrams, probe polls, metric
 * samples, external clock steps, resolver answers) merged with each node's next
 * timer converted from its local time. One seed drives everything. */
#include "world.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "daemon/reference.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct world_event {
    double t;
    uint64_t seq; /* ties run in scheduling order */
    int kind;
    int a;
    double x;
    void *p;
};

/* 2026-01-01T00:00:00Z */
#define SIM_EPOCH 1767225600L

struct world *world_new(uint64_t seed)
{
    struct world *w = xcalloc(1, sizeof(*w));
    w->seed = seed;
    w->epoch.tv_sec = SIM_EPOCH;
    w->sample_interval = 1.0;
    w->sync_limit = 1e-3;
    w->duration = 1000.0;
    rng_seed(&w->rng, seed);
    w->default_link.a = w->default_link.b = -1;
    w->default_link.ab = w->default_link.ba = (struct link_dir){1e-4, 1e-4, JITTER_EXP, 0.0, 0};
    return w;
}

static void free_event_payload(struct world *w, struct world_event *e)
{
    if (e->kind == EV_PACKET || e->kind == EV_TXTS)
        vnet_packet_free(w, e->p);
    else if (e->kind == EV_RESOLVE)
        free(e->p);
}

void world_free(struct world *w)
{
    struct packet *p;
    if (!w)
        return;
    for (int i = 0; i < w->n_nodes; i++) {
        node_free(w->nodes[i].node);
        config_free(w->nodes[i].cfg);
        for (size_t j = 0; j < w->nodes[i].n_log; j++)
            free(w->nodes[i].log_lines[j]);
        free(w->nodes[i].log_lines);
    }
    for (size_t i = 0; i < w->n_ev; i++)
        free_event_payload(w, &w->ev[i]);
    while ((p = w->free_packets)) {
        w->free_packets = p->next_free;
        free(p);
    }
    free(w->ev);
    free(w->nodes);
    free(w->theap);
    free(w->hosts);
    free(w->links);
    free(w->probes);
    free(w);
}

static int ev_before(const struct world_event *a, const struct world_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void world_schedule(struct world *w, double t, int kind, int a, double x, void *p)
{
    size_t i;
    w->ev = xgrow(w->ev, &w->cap_ev, w->n_ev + 1, sizeof(*w->ev));
    i = w->n_ev++;
    w->ev[i] = (struct world_event){t, w->ev_seq++, kind, a, x, p};
    while (i > 0 && ev_before(&w->ev[i], &w->ev[(i - 1) / 2])) {
        struct world_event tmp = w->ev[i];
        w->ev[i] = w->ev[(i - 1) / 2];
        w->ev[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static struct world_event ev_pop(struct world *w)
{
    struct world_event top = w->ev[0];
    size_t i = 0;
    w->ev[0] = w->ev[--w->n_ev];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->n_ev && ev_before(&w->ev[l], &w->ev[m]))
            m = l;
        if (r < w->n_ev && ev_before(&w->ev[r], &w->ev[m]))
            m = r;
        if (m == i)
            break;
        struct world_event tmp = w->ev[i];
        w->ev[i] = w->ev[m];
        w->ev[m] = tmp;
        i = m;
    }
    return top;
}

int world_add_host(struct world *w, const char *ip, enum host_kind kind, int owner)
{
    struct host *h;
    w->hosts = xgrow(w->hosts, &w->cap_hosts, (size_t)w->n_hosts + 1, sizeof(*w->hosts));
    h = &w->hosts[w->n_hosts];
    memset(h, 0, sizeof(*h));
    if (!ip_addr_parse(&h->ip, ip))
        return -1;
    h->kind = kind;
    h->owner = owner;
    h->next_port = 32768;
    return w->n_hosts++;
}

int world_count_log(const struct world *w, int idx, const char *text)
{
    const struct sim_node *sn = &w->nodes[idx];
    int n = 0;
    for (size_t i = 0; i < sn->n_log; i++)
        if (strstr(sn->log_lines[i], text))
            n++;
    return n;
}

int world_find_host(const struct world *w, const struct ip_addr *ip)
{
    /* Nodes are few; probe addresses are laid out arithmetically. */
    for (int i = 0; i < w->n_nodes; i++)
        if (ip_addr_equal(&w->hosts[w->nodes[i].host].ip, ip))
            return w->nodes[i].host;
    /* Probe i is at PREFIX.(1 + i / 250).(1 + i % 250), whatever its prefix. */
    if (ip->family == IPF_INET4 && ip->a[2] >= 1 && ip->a[3] >= 1 && ip->a[3] <= 250) {
        int idx = (ip->a[2] - 1) * 250 + (ip->a[3] - 1);
        if (idx < w->n_probes && ip_addr_equal(&w->hosts[w->probes[idx].host].ip, ip))
            return w->probes[idx].host;
    }
    return -1;
}

int world_add_node(struct world *w, const char *name, const char *ip, const char *const *conf,
                   double offset, double freq_ppm, double wander_ppm)
{
    return world_add_node_rtc(w, name, ip, conf, offset, freq_ppm, wander_ppm, NULL);
}

int world_add_node_rtc(struct world *w, const char *name, const char *ip, const char *const *conf,
                       double offset, double freq_ppm, double wander_ppm,
                       const struct sim_rtc_cfg *rtc)
{
    struct node_opts opts = {.family = 0, .precision = 1e-8};
    struct sim_node *sn;
    char err[256];
    int idx = w->n_nodes;
    if (w->n_nodes == w->cap_nodes) {
        /* nodes hold their own env tables whose ctx points at them: never move them
         * after a node was created */
        if (w->n_nodes) {
            fprintf(stderr, "sim: too many nodes\n");
            return -1;
        }
        w->cap_nodes = w->max_nodes > 64 ? w->max_nodes : 64;
        w->nodes = xcalloc((size_t)w->cap_nodes, sizeof(*w->nodes));
        w->theap = xcalloc((size_t)w->cap_nodes, sizeof(*w->theap));
    }
    sn = &w->nodes[idx];
    memset(sn, 0, sizeof(*sn));
    sn->w = w;
    sn->idx = idx;
    sn->heap_pos = -1;
    snprintf(sn->name, sizeof(sn->name), "%s", name);
    sn->host = world_add_host(w, ip, HOST_NODE, idx);
    if (sn->host < 0)
        return -1;
    vclock_init(&sn->clock, offset, freq_ppm, wander_ppm,
                w->seed ^ (0xC10C0000ULL + (uint64_t)idx));
    rng_seed(&sn->rng, w->seed ^ (0x5EED0000ULL + (uint64_t)idx));
    sim_node_env_init(sn);
    if (rtc) {
        sn->rtc.present = 1;
        sn->rtc.off = rtc->off;
        sn->rtc.gain = rtc->gain_ppm * 1e-6;
        opts.rtc_set = rtc->set_clock;
    }
    sn->cfg = config_new();
    for (int i = 0; conf && conf[i]; i++) {
        if (config_parse_line(sn->cfg, conf[i], NULL, i + 1, &sn->env.files, err, sizeof(err))) {
            fprintf(stderr, "sim: %s: config line \"%s\": %s\n", name, conf[i], err);
            config_free(sn->cfg);
            sn->cfg = NULL;
            return -1;
        }
    }
    sn->node = node_new(sn->cfg, &sn->env, &opts);
    w->n_nodes++;
    return idx;
}

void world_add_link(struct world *w, const struct link *l)
{
    w->links = xgrow(w->links, &w->cap_links, (size_t)w->n_links + 1, sizeof(*w->links));
    w->links[w->n_links++] = *l;
}

void world_add_jump(struct world *w, int node, double t, double jump)
{
    world_schedule(w, t, EV_JUMP, node, jump, NULL);
}

void world_add_probes(struct world *w, const char *prefix, int count, int target, double interval)
{
    for (int i = 0; i < count; i++) {
        char ip[64];
        struct probe *p;
        int n = w->n_probes;
        struct net_addr local;
        w->probes = xgrow(w->probes, &w->cap_probes, (size_t)n + 1, sizeof(*w->probes));
        p = &w->probes[n];
        memset(p, 0, sizeof(*p));
        snprintf(ip, sizeof(ip), "%s.%d.%d", prefix, 1 + n / 250, 1 + n % 250);
        p->host = world_add_host(w, ip, HOST_PROBE, n);
        p->target = target;
        p->interval = interval;
        memset(&local, 0, sizeof(local));
        local.ip.family = IPF_INET4;
        vnet_open(w, p->host, &local, 0);
        w->n_probes++;
        world_schedule(w, rng_uniform(&w->rng) * interval, EV_PROBE, n, 0.0, NULL);
    }
}

/* The node timers in a binary heap on (timer_t, index): the earliest timer is
 * found in O(1) however many nodes there are, and ties go to the lower index. */
static int timer_before(const struct world *w, int a, int b)
{
    const struct sim_node *x = &w->nodes[a], *y = &w->nodes[b];
    return x->timer_t < y->timer_t || (x->timer_t == y->timer_t && a < b);
}

static void theap_set(struct world *w, int pos, int node)
{
    w->theap[pos] = node;
    w->nodes[node].heap_pos = pos;
}

static void theap_sift(struct world *w, int pos)
{
    int node = w->theap[pos];
    while (pos > 0 && timer_before(w, node, w->theap[(pos - 1) / 2])) {
        theap_set(w, pos, w->theap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    for (;;) {
        int l = 2 * pos + 1, m = l;
        if (l >= w->n_theap)
            break;
        if (l + 1 < w->n_theap && timer_before(w, w->theap[l + 1], w->theap[l]))
            m = l + 1;
        if (!timer_before(w, w->theap[m], node))
            break;
        theap_set(w, pos, w->theap[m]);
        pos = m;
    }
    theap_set(w, pos, node);
}

/* Put the node in the heap, move it, or take it out, after has_timer/timer_t changed. */
static void timer_update(struct world *w, struct sim_node *sn)
{
    int pos = sn->heap_pos;
    if (!sn->has_timer) {
        if (pos < 0)
            return;
        sn->heap_pos = -1;
        if (--w->n_theap > pos) {
            theap_set(w, pos, w->theap[w->n_theap]);
            theap_sift(w, pos);
        }
        return;
    }
    if (pos < 0) {
        pos = w->n_theap++;
        theap_set(w, pos, sn->idx);
    }
    theap_sift(w, pos);
}

/* True time at which to look at the node's clock again for its deadline: the
 * crossing at the current frequency, but no later than the next wander step (the
 * frequency changes there), so a timer is never fired late. */
static double timer_aim(struct world *w, struct sim_node *sn)
{
    const struct vclock *c = &sn->clock;
    double t = vclock_true_at(c, ts_diff(&sn->timer_local, &w->epoch));
    if (c->wander_step_ppm > 0.0 && t > c->next_wander_t)
        t = c->next_wander_t;
    return t;
}

/* Re-read a node's next deadline and aim at it. */
static void node_refresh_timer(struct world *w, struct sim_node *sn)
{
    vclock_advance(&sn->clock, w->t);
    sn->has_timer = node_next_timeout(sn->node, &sn->timer_local);
    if (sn->has_timer)
        sn->timer_t = timer_aim(w, sn);
    timer_update(w, sn);
}

/* Someone else steps a node's clock by +jump. The platform loop waits in select()
 * for a relative timeout computed before the step, so the pending wait keeps its
 * length in elapsed time: the raw deadline moves with the clock. The node then
 * wakes at a raw time off by the jump, which is how its jump detection (like
 * chrony's scheduler) notices a step backwards. */
static void node_jump(struct world *w, struct sim_node *sn, double jump)
{
    vclock_jump(&sn->clock, w->t, jump);
    if (!sn->has_timer)
        return;
    ts_add(&sn->timer_local, &sn->timer_local, jump);
    sn->timer_t = timer_aim(w, sn);
    if (sn->timer_t < w->t)
        sn->timer_t = w->t;
    timer_update(w, sn);
}

static void node_fire_timer(struct world *w, struct sim_node *sn)
{
    struct timespec now;
    sim_node_local_ts(sn, &now);
    if (ts_cmp(&now, &sn->timer_local) < 0) {
        /* Not there yet (a wander step or rounding): aim again, always moving on. */
        double t = timer_aim(w, sn);
        sn->timer_t = t > w->t + 1e-9 ? t : w->t + 1e-9;
        timer_update(w, sn);
        return;
    }
    node_on_timer(sn->node, &now);
    node_refresh_timer(w, sn);
}

static void node_sample(struct world *w, struct sim_node *sn)
{
    struct node_metrics *m = &sn->m;
    double off = vclock_offset(&sn->clock, w->t);
    double freq = vclock_freq_ppm(&sn->clock);
    double est = vclock_estimate_error_ppm(&sn->clock, reference_base_freq_ppm(&sn->node->ref));
    m->samples++;
    m->last_off = off;
    if (!m->ever_sampled) {
        m->ever_sampled = 1;
        m->last_bad_t = -1.0;
        m->first_1ms_t = -1.0;
    }
    if (m->first_1ms_t < 0 && fabs(off) < 1e-3)
        m->first_1ms_t = w->t;
    if (fabs(off) > m->max_off_all)
        m->max_off_all = fabs(off);
    if (!(fabs(off) < w->sync_limit))
        m->last_bad_t = w->t;
    if (w->t < w->warmup)
        return;
    m->samples_after++;
    m->sum_off2 += off * off;
    m->sum_freq2 += est * est;
    m->sum_wfreq2 += freq * freq;
    if (fabs(off) > m->max_off)
        m->max_off = fabs(off);
    if (fabs(freq) > m->max_freq)
        m->max_freq = fabs(freq);
}

static void dispatch(struct world *w, struct world_event *e)
{
    switch (e->kind) {
    case EV_PACKET: {
        struct packet *p = e->p;
        int dst = p->dst_host;
        world_deliver(w, p); /* frees p */
        if (w->hosts[dst].kind == HOST_NODE)
            node_refresh_timer(w, &w->nodes[w->hosts[dst].owner]);
        break;
    }
    case EV_TXTS: {
        struct packet *p = e->p;
        struct sim_node *sn = &w->nodes[w->hosts[p->dst_host].owner];
        sim_node_on_tx_report(w, sn, p);
        vnet_packet_free(w, p);
        node_refresh_timer(w, sn);
        break;
    }
    case EV_PROBE:
        probe_send(w, e->a);
        world_schedule(w, w->t + w->probes[e->a].interval, EV_PROBE, e->a, 0.0, NULL);
        break;
    case EV_SAMPLE:
        for (int i = 0; i < w->n_nodes; i++)
            node_sample(w, &w->nodes[i]);
        world_schedule(w, w->t + w->sample_interval, EV_SAMPLE, 0, 0.0, NULL);
        break;
    case EV_JUMP:
        node_jump(w, &w->nodes[e->a], e->x);
        break;
    case EV_EDGE:
        sim_node_on_edge(w, &w->nodes[e->a]);
        node_refresh_timer(w, &w->nodes[e->a]);
        world_schedule(w, w->t + 1.0, EV_EDGE, e->a, 0.0, NULL);
        break;
    case EV_RTC: {
        struct sim_node *sn = &w->nodes[e->a];
        if ((unsigned)e->x != sn->rtc.gen || !sn->rtc.uie || !sn->rtc.cb)
            break;
        vclock_advance(&sn->clock, w->t);
        sn->rtc.cb(sn->rtc.arg, 0, STREAM_EV_READ);
        sim_rtc_schedule_edge(w, e->a);
        node_refresh_timer(w, sn);
        break;
    }
    case EV_RESOLVE:
        sim_resolve_finish(e->p);
        /* the callback may have changed any node's timers; lookups are rare */
        for (int i = 0; i < w->n_nodes; i++)
            node_refresh_timer(w, &w->nodes[i]);
        break;
    }
}

static int start_nodes(struct world *w)
{
    char err[256];
    for (int i = 0; i < w->n_nodes; i++) {
        struct sim_node *sn = &w->nodes[i];
        struct timespec now;
        sim_node_local_ts(sn, &now);
        err[0] = '\0';
        if (node_start(sn->node, &now, err, sizeof(err)) != 0) {
            fprintf(stderr, "sim: node %s failed to start: %s\n", sn->name, err);
            return -1;
        }
        sn->started = 1;
        node_refresh_timer(w, sn);
    }
    return 0;
}

static void stop_nodes(struct world *w)
{
    for (int i = 0; i < w->n_nodes; i++) {
        struct sim_node *sn = &w->nodes[i];
        struct timespec now;
        if (!sn->started)
            continue;
        sim_node_local_ts(sn, &now);
        node_stop(sn->node, &now);
    }
}

int world_start(struct world *w)
{
    if (start_nodes(w) < 0)
        return -1;
    world_schedule(w, 0.0, EV_SAMPLE, 0, 0.0, NULL);
    /* the devices' edges at every true whole second (the epoch is one) */
    for (int i = 0; i < w->n_nodes; i++)
        if (w->nodes[i].dev.m.pps || w->nodes[i].dev.m.phc)
            world_schedule(w, floor(w->t) + 1.0, EV_EDGE, i, 0.0, NULL);
    return 0;
}

static void note_time(struct world *w, double t)
{
    if (t == w->t && ++w->same_t_steps > SIM_MAX_SAME_T_STEPS) {
        fprintf(stderr, "sim: stuck at t = %.9f s\n", t);
        w->stuck = 1;
        w->stuck_t = t;
    } else if (t != w->t) {
        w->same_t_steps = 0;
    }
    w->t = t;
}

/* One step of the loop: the earliest of the event heap and the node timers, if it
 * is not later than until. Returns 0 when nothing is due by then. */
static int world_step(struct world *w, double until)
{
    struct sim_node *next = w->n_theap ? &w->nodes[w->theap[0]] : NULL;
    double te = w->n_ev ? w->ev[0].t : INFINITY;
    if (w->stuck)
        return 0;
    if (next && next->timer_t < te) {
        if (next->timer_t > until)
            return 0;
        note_time(w, next->timer_t);
        node_fire_timer(w, next);
    } else {
        struct world_event e;
        if (te > until)
            return 0;
        e = ev_pop(w);
        note_time(w, e.t);
        dispatch(w, &e);
    }
    w->events_run++;
    return 1;
}

void world_run_until(struct world *w, double until)
{
    if (until > w->duration)
        until = w->duration;
    while (world_step(w, until))
        ;
    if (until > w->t)
        w->t = until;
}

void world_finish(struct world *w)
{
    stop_nodes(w);
}

int world_run(struct world *w)
{
    if (world_start(w) < 0)
        return -1;
    world_run_until(w, w->duration);
    world_finish(w);
    return 0;
}
