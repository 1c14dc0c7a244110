/* Builds a world from a scenario, runs it, judges the bounds and prints figures. */
#include "scenario.h"

#include "daemon/node_internal.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void sc_fail(struct sc_result *r, const char *fmt, ...)
{
    size_t used = strlen(r->why);
    va_list ap;
    if (used && used + 2 < sizeof(r->why)) {
        strcat(r->why, "; ");
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(r->why + used, sizeof(r->why) - used, fmt, ap);
    va_end(ap);
    r->ok = 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts_to_double(&ts);
}

/* First time after which every sample stayed below the sync limit; INFINITY if
 * the last sample was still above it. */
static double sync_time(const struct world *w, const struct sim_node *sn)
{
    const struct node_metrics *m = &sn->m;
    if (!m->ever_sampled || m->last_bad_t < 0)
        return 0.0;
    if (m->last_bad_t + w->sample_interval > w->duration)
        return INFINITY;
    return m->last_bad_t + w->sample_interval;
}

static double rms(double sum2, uint64_t n)
{
    return n ? sqrt(sum2 / (double)n) : 0.0;
}

static int build_clients(struct world *w, const struct sc_clients *c)
{
    for (int i = 0; i < c->count; i++) {
        char name[16], ip[32];
        int idx;
        snprintf(name, sizeof(name), "c%d", i + 1);
        snprintf(ip, sizeof(ip), "%s.%d.%d", c->prefix ? c->prefix : "10.2", 1 + i / 250,
                 1 + i % 250);
        idx = world_add_node(w, name, ip, c->conf, c->offset, c->freq_ppm, c->wander * 1e6);
        if (idx < 0)
            return -1;
        w->nodes[idx].measured = 1;
    }
    return 0;
}

static int build(struct world *w, const struct scenario *s)
{
    int n_fixed = 0;
    while (n_fixed < SC_MAX_NODES && s->nodes[n_fixed].name)
        n_fixed++;
    w->max_nodes = n_fixed + s->clients.count;
    for (int i = 0; i < SC_MAX_NODES && s->nodes[i].name; i++) {
        const struct sc_node *n = &s->nodes[i];
        if (world_add_node_rtc(w, n->name, n->ip, n->conf, n->offset, n->freq_ppm, n->wander * 1e6,
                               n->has_rtc ? &n->rtc : NULL) < 0)
            return -1;
        w->nodes[i].measured = n->measured;
        w->hosts[w->nodes[i].host].tx_late = n->tx_late;
        w->hosts[w->nodes[i].host].tx_ts = n->tx_ts;
        w->nodes[i].dev.m = n->dev;
    }
    if (build_clients(w, &s->clients) < 0)
        return -1;
    for (int i = 0; i < SC_MAX_LINKS; i++) {
        const struct sc_link *l = &s->links[i];
        struct link wl;
        if (l->a == 0 && l->b == 0)
            break;
        wl = (struct link){w->nodes[l->a].host,
                           l->b < 0 ? -1 : w->nodes[l->b].host,
                           l->ab,
                           l->ba,
                           l->down_start,
                           l->down_end,
                           l->period,
                           l->down_len};
        world_add_link(w, &wl);
    }
    for (int i = 0; i < SC_MAX_JUMPS; i++)
        if (s->jumps[i].jump != 0.0)
            world_add_jump(w, s->jumps[i].node, s->jumps[i].t, s->jumps[i].jump);
    if (s->probes.count)
        world_add_probes(w, s->probes.prefix ? s->probes.prefix : "10.1", s->probes.count,
                         s->probes.target, s->probes.interval);
    return 0;
}

static int served_stratum(struct world *w, int node)
{
    struct sim_node *sn = &w->nodes[node];
    struct ntp_server_ref ref;
    struct timespec now;
    sim_node_local_ts(sn, &now);
    node_get_served_ref(sn->node, &now, &ref);
    return ref.stratum;
}

static void run_checkpoints(struct world *w, const struct scenario *s, struct sc_result *r)
{
    for (int i = 0; i < SC_MAX_CHECKPOINTS; i++) {
        const struct sc_checkpoint *c = &s->checkpoints[i];
        int got;
        if (c->t <= 0)
            break;
        world_run_until(w, c->t);
        got = served_stratum(w, c->node);
        if (got != c->stratum)
            sc_fail(r, "%s at %.0f s: stratum %d, expected %d", s->nodes[c->node].name, c->t, got,
                    c->stratum);
    }
    world_run_until(w, w->duration);
}

static void judge_node(const struct world *w, const struct scenario *s, const struct sim_node *sn,
                       struct sc_result *r)
{
    const struct sc_bounds *b = &s->bounds;
    const struct node_metrics *m = &sn->m;
    double st = sync_time(w, sn);
    double ro = rms(m->sum_off2, m->samples_after), rf = rms(m->sum_freq2, m->samples_after);
    if (b->sync_max > 0 && !(st >= b->sync_min && st <= b->sync_max))
        sc_fail(r, "%s: sync time %.0f s not in [%.0f, %.0f]", sn->name, st, b->sync_min,
                b->sync_max);
    if (b->max_off > 0 && !(m->max_off <= b->max_off))
        sc_fail(r, "%s: max offset %.3e > %.3e", sn->name, m->max_off, b->max_off);
    if (b->rms_off > 0 && !(ro <= b->rms_off))
        sc_fail(r, "%s: rms offset %.3e > %.3e", sn->name, ro, b->rms_off);
    if (b->max_freq > 0 && !(m->max_freq <= b->max_freq))
        sc_fail(r, "%s: max freq error %.3e ppm > %.3e", sn->name, m->max_freq, b->max_freq);
    if (b->rms_freq > 0 && !(rf <= b->rms_freq))
        sc_fail(r, "%s: rms freq estimate error %.3e ppm > %.3e", sn->name, rf, b->rms_freq);
    if (b->rms_wfreq > 0 && !(rms(m->sum_wfreq2, m->samples_after) <= b->rms_wfreq))
        sc_fail(r, "%s: rms whole freq error %.3e ppm > %.3e", sn->name,
                rms(m->sum_wfreq2, m->samples_after), b->rms_wfreq);
}

static void judge_probe_figures(const struct probe_stats *p, const struct sc_probes *sp,
                                struct sc_result *r)
{
    double n = (double)p->replies, mean_delay = p->sum_delay / n, err_rms = sqrt(p->sum_err2 / n);
    if (sp->stratum && (p->stratum_min != sp->stratum || p->stratum_max != sp->stratum))
        sc_fail(r, "probes: stratum %d..%d, expected %d", p->stratum_min, p->stratum_max,
                sp->stratum);
    if (sp->stratum && (p->leap_mask != 1u || p->ref_id != NTP_REFID_LOCAL || p->refid_mixed))
        sc_fail(r, "probes: leap mask %#x, ref id %08x", p->leap_mask, (unsigned)p->ref_id);
    if (sp->delay_mean > 0 && fabs(mean_delay / sp->delay_mean - 1.0) > 0.05)
        sc_fail(r, "probes: mean delay %.3e, expected %.3e", mean_delay, sp->delay_mean);
    if (sp->err_rms > 0 && fabs(err_rms / sp->err_rms - 1.0) > 0.15)
        sc_fail(r, "probes: rms offset error %.3e, expected %.3e", err_rms, sp->err_rms);
    /* The error is (return - outbound delay) / 2: zero mean when the link is symmetric. */
    if (sp->err_rms > 0 && fabs(p->sum_err / n) > 4.0 * err_rms / sqrt(n))
        sc_fail(r, "probes: mean offset error %.3e is biased", p->sum_err / n);
}

static void judge_probes(const struct world *w, const struct scenario *s, struct sc_result *r)
{
    const struct probe_stats *p = &w->pstats;
    const struct sc_probes *sp = &s->probes;
    if (!sp->count)
        return;
    if (p->bad)
        sc_fail(r, "probes: %llu bad replies", (unsigned long long)p->bad);
    if (sp->expect == PROBES_DENIED) {
        /* Not vacuous: the node saw the requests and refused them (the last ones
         * may still be in flight). */
        uint64_t denied = w->nodes[sp->target].node->serve.denied;
        if (p->replies)
            sc_fail(r, "probes: %llu replies to denied clients", (unsigned long long)p->replies);
        if (denied > p->sent || denied + (uint64_t)sp->count < p->sent)
            sc_fail(r, "probes: node denied %llu of %llu requests", (unsigned long long)denied,
                    (unsigned long long)p->sent);
    }
    if (sp->expect != PROBES_ANSWERED)
        return;
    if (p->sent == 0 || p->replies == 0) {
        sc_fail(r, "probes: no replies");
        return;
    }
    /* Replies still in flight at the end are not lost. */
    double lost = 1.0 - (double)p->replies / (double)p->sent;
    if (fabs(lost - sp->loss_expected) > 0.03 + 3.0 * sqrt(0.25 / (double)p->sent))
        sc_fail(r, "probes: %.3f of replies missing, expected %.3f", lost, sp->loss_expected);
    judge_probe_figures(p, sp, r);
    if (p->max_err_over_bound > 1e-8)
        sc_fail(r, "probes: offset error exceeds half the delay by %.3e s", p->max_err_over_bound);
}

static void judge_logs(const struct world *w, const struct scenario *s, struct sc_result *r)
{
    for (int i = 0; i < SC_MAX_LOG_EXPECT && s->logs[i].text; i++) {
        const struct sc_log_expect *e = &s->logs[i];
        int n = world_count_log(w, e->node, e->text);
        if (n < e->min || n > e->max)
            sc_fail(r, "%s: \"%s\" logged %d times, expected %d..%d", s->nodes[e->node].name,
                    e->text, n, e->min, e->max);
    }
}

void sc_print_header(void)
{
    printf("%-20s %-8s %-6s %9s %9s %10s %10s %12s %12s %9s %7s\n", "scenario", "node", "status",
           "sync_s", "first1ms", "rms_off_s", "max_off_s", "rms_freq_ppb", "max_freq_ppm",
           "pkts_sent", "wall_s");
}

/* One row for the generated clients: the worst of each figure, packets in total. */
static void print_clients_row(const struct world *w, const struct scenario *s, const char *status,
                              const struct sc_result *r, int first)
{
    double st = 0, f1 = 0, ro = 0, mo = 0, rf = 0, mf = 0;
    unsigned long long pkts = 0;
    for (int i = first; i < w->n_nodes; i++) {
        const struct sim_node *sn = &w->nodes[i];
        const struct node_metrics *m = &sn->m;
        st = fmax(st, sync_time(w, sn));
        f1 = fmax(f1, m->first_1ms_t < 0 ? INFINITY : m->first_1ms_t);
        ro = fmax(ro, rms(m->sum_off2, m->samples_after));
        mo = fmax(mo, m->max_off);
        rf = fmax(rf, rms(m->sum_freq2, m->samples_after));
        mf = fmax(mf, m->max_freq);
        pkts += (unsigned long long)w->hosts[sn->host].sent;
    }
    printf("%-20s %-8s %-6s %9.1f %9.1f %10.3e %10.3e %12.2f %12.3f %9llu %7.2f\n", s->name,
           "clients", status, st, f1, ro, mo, rf * 1e3, mf, pkts, r->wall_s);
}

static void print_figures(const struct world *w, const struct scenario *s,
                          const struct sc_result *r)
{
    const char *status = r->ok ? "PASS" : r->counted ? "FAIL" : "xfail";
    int rows = 0, n_fixed = w->n_nodes - s->clients.count;
    if (s->clients.count) {
        print_clients_row(w, s, status, r, n_fixed);
        rows++;
    }
    for (int i = 0; i < n_fixed; i++) {
        const struct sim_node *sn = &w->nodes[i];
        const struct node_metrics *m = &sn->m;
        if (!sn->measured)
            continue;
        printf("%-20s %-8s %-6s %9.1f %9.1f %10.3e %10.3e %12.2f %12.3f %9llu %7.2f\n", s->name,
               sn->name, status, sync_time(w, sn), m->first_1ms_t < 0 ? INFINITY : m->first_1ms_t,
               rms(m->sum_off2, m->samples_after), m->max_off,
               rms(m->sum_freq2, m->samples_after) * 1e3, m->max_freq,
               (unsigned long long)w->hosts[sn->host].sent, r->wall_s);
        rows++;
    }
    if (w->n_probes) {
        const struct probe_stats *p = &w->pstats;
        double n = p->replies ? (double)p->replies : 1.0;
        printf("%-20s %-8s %-6s probes=%d sent=%llu replies=%llu err_mean=%.2e err_rms=%.2e "
               "delay_mean=%.2e stratum=%d..%d wall_s=%.2f events=%llu\n",
               s->name, "probes", status, w->n_probes, (unsigned long long)p->sent,
               (unsigned long long)p->replies, p->sum_err / n, sqrt(p->sum_err2 / n),
               p->sum_delay / n, p->stratum_min, p->stratum_max, r->wall_s,
               (unsigned long long)r->events);
        rows++;
    }
    if (!rows)
        printf("%-20s %-8s %-6s %9s %9s %10s %10s %12s %12s %9s %7.2f\n", s->name, "-", status, "-",
               "-", "-", "-", "-", "-", "-", r->wall_s);
}

int sc_run(const struct scenario *s, uint64_t seed, int figures, int verbose, int counted,
           struct sc_result *r)
{
    struct world *w = world_new(seed);
    double t0 = wall_now();
    memset(r, 0, sizeof(*r));
    r->ok = 1;
    r->counted = counted;
    w->verbose = verbose;
    w->duration = s->duration;
    w->warmup = s->warmup;
    w->sample_interval = s->sample_interval > 0 ? s->sample_interval : 1.0;
    w->sync_limit = s->bounds.max_off > 0 ? s->bounds.max_off : 1e-3;
    w->default_link.ab = w->default_link.ba = s->link;
    if (build(w, s) < 0 || world_start(w) < 0) {
        sc_fail(r, "could not build the world");
        world_free(w);
        return 0;
    }
    run_checkpoints(w, s, r);
    if (w->stuck)
        sc_fail(r, "the world got stuck at t = %.9f s (a timer always due?)", w->stuck_t);
    world_finish(w);
    r->wall_s = wall_now() - t0;
    r->events = w->events_run;
    r->rms_freq_ppb = -1.0;
    for (int i = 0; i < w->n_nodes; i++) {
        const struct sim_node *sn = &w->nodes[i];
        if (!sn->measured)
            continue;
        judge_node(w, s, sn, r);
        if (r->rms_freq_ppb < 0.0) {
            r->rms_freq_ppb = rms(sn->m.sum_freq2, sn->m.samples_after) * 1e3;
            r->rms_wfreq_ppm = rms(sn->m.sum_wfreq2, sn->m.samples_after);
        }
    }
    judge_probes(w, s, r);
    judge_logs(w, s, r);
    if (s->check)
        s->check(w, s, r);
    if (figures)
        print_figures(w, s, r);
    world_free(w);
    return r->ok;
}
