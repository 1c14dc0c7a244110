/* The environment table of a simulated node: its virtual clock, its host on the
 * virtual network, a numeric/world-name resolver, empty files and a seeded RNG. */
#include "world.h"

#include "daemon/node.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_node_local_ts(struct sim_node *sn, struct timespec *out)
{
    ts_add(out, &sn->w->epoch, vclock_local(&sn->clock, sn->w->t));
}

static void clk_read(void *ctx, struct timespec *out)
{
    sim_node_local_ts(ctx, out);
}

static int clk_can_control(void *ctx)
{
    return 1;
}

static int clk_set_freq(void *ctx, double freq_ppm)
{
    struct sim_node *sn = ctx;
    vclock_set_freq(&sn->clock, sn->w->t, freq_ppm);
    return 0;
}

static double clk_get_freq(void *ctx)
{
    struct sim_node *sn = ctx;
    return sn->clock.freq_set_ppm;
}

static int clk_step(void *ctx, double offset)
{
    struct sim_node *sn = ctx;
    vclock_step(&sn->clock, sn->w->t, offset);
    return 0;
}

static int clk_set_leap(void *ctx, int leap, int tai_offset)
{
    struct sim_node *sn = ctx;
    (void)tai_offset;
    sn->clock.leap = leap;
    return 0;
}

static void clk_set_sync_status(void *ctx, int synced, double est_error, double max_error)
{
    struct sim_node *sn = ctx;
    sn->clock.synced = synced;
}

/* The virtual network has one interface per host: socket options do not apply. */
static int net_udp_open(void *ctx, const struct net_addr *local, int flags,
                        const struct net_sock_opts *opts, int *err)
{
    struct sim_node *sn = ctx;
    int s = vnet_open(sn->w, sn->host, local, flags);
    if (s < 0 && err)
        *err = 99; /* EADDRNOTAVAIL */
    return s;
}

static int net_unix_open(void *ctx, const char *path, int *err)
{
    /* A Unix socket opens (a daemon may insist on its command socket) but nothing
     * in the simulated world ever talks to it. */
    struct sim_node *sn = ctx;
    struct net_addr local;
    int s;
    memset(&local, 0, sizeof(local));
    local.ip.family = IPF_UNSPEC;
    s = vnet_open(sn->w, sn->host, &local, 0);
    if (s >= 0)
        sn->w->hosts[sn->host].socks[s].family = IPF_UNSPEC;
    else if (err)
        *err = 24; /* EMFILE */
    return s;
}

static void net_close(void *ctx, int sock)
{
    struct sim_node *sn = ctx;
    vnet_close(sn->w, sn->host, sock);
}

static int net_send(void *ctx, int sock, const struct net_addr *remote,
                    const struct net_addr *local, const void *buf, size_t len)
{
    struct sim_node *sn = ctx;
    return vnet_send(sn->w, sn->host, sock, remote, buf, len);
}

static char *files_read_all(void *ctx, const char *path, size_t *len)
{
    return NULL;
}

static int files_write_atomic(void *ctx, const char *path, const void *data, size_t len)
{
    return 0;
}

static int files_append(void *ctx, const char *path, const void *data, size_t len)
{
    return 0;
}

static char **files_list_glob(void *ctx, const char *pattern, int *n)
{
    *n = 0;
    return NULL;
}

static int files_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    return 0;
}

static int files_remove(void *ctx, const char *path)
{
    return 0;
}

/* A lookup answered on the next turn of the world loop, like the resolver thread. */
struct sim_lookup {
    resolve_cb cb;
    void *arg;
    int status;
    struct ip_addr ip;
};

static int resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb, void *arg)
{
    struct sim_node *sn = ctx;
    struct world *w = sn->w;
    struct sim_lookup *l = xcalloc(1, sizeof(*l));
    l->cb = cb;
    l->arg = arg;
    l->status = 2;
    if (ip_addr_parse(&l->ip, name)) {
        l->status = 0;
    } else {
        for (int i = 0; i < w->n_nodes; i++) {
            if (strcmp(w->nodes[i].name, name) == 0) {
                l->ip = w->hosts[w->nodes[i].host].ip;
                l->status = 0;
            }
        }
    }
    if (l->status == 0 && family != IPF_UNSPEC && family != l->ip.family)
        l->status = 2;
    world_schedule(w, w->t, EV_RESOLVE, 0, 0.0, l);
    return 0;
}

void sim_resolve_finish(void *p)
{
    struct sim_lookup *l = p;
    l->cb(l->arg, l->status, l->status == 0 ? &l->ip : NULL, l->status == 0 ? 1 : 0);
    free(l);
}

static void random_bytes(void *ctx, void *buf, size_t len)
{
    struct sim_node *sn = ctx;
    rng_fill(&sn->rng, buf, len);
}

static void log_write(void *ctx, enum log_level level, const char *msg)
{
    struct sim_node *sn = ctx;
    if (level >= LOGL_WARN)
        sn->log_warnings++;
    if (sn->n_log < SIM_MAX_LOG_LINES) {
        sn->log_lines = xgrow(sn->log_lines, &sn->cap_log, sn->n_log + 1, sizeof(*sn->log_lines));
        sn->log_lines[sn->n_log++] = xstrdup(msg);
    }
    if (sn->w->verbose)
        fprintf(stderr, "%12.6f %s: %s\n", sn->w->t, sn->name, msg);
}

/* env.refdev of the simulated devices. Handles: 0 the PPS source, 1 the PHC. */

/* The PHC's time at true time t, with noise (s, Gaussian deviation). */
static void phc_at(struct sim_node *sn, double t, double noise, struct timespec *out)
{
    const struct sim_refdev_model *m = &sn->dev.m;
    double since = t * (1.0 + m->phc_freq_ppm * 1e-6) + m->phc_offset;
    if (noise > 0.0)
        since += noise * rng_normal(&sn->dev.rng);
    ts_add(out, &sn->w->epoch, since);
}

/* The PHC's time now (+ a reading's noise). */
static void phc_now(struct sim_node *sn, struct timespec *out)
{
    phc_at(sn, sn->w->t, sn->dev.m.phc_noise, out);
}

/* The NIC's timestamp of a frame of len bytes of UDP data that ended at true time t_end
 * (received) or started at t_start (sent). */
#define SIM_NIC_IFINDEX 2
#define SIM_NIC_SPEED 1000
static void nic_stamp(struct sim_node *sn, double t, size_t len, int received, struct timespec *out)
{
    double frame = (double)(42 + len + 4) * 8.0 / (SIM_NIC_SPEED * 1e6);
    phc_at(sn, received ? t - frame : t, sn->dev.m.nic_ts_noise, out);
}

/* env.hwts: one interface, eth0, with hardware timestamping when the model has a NIC. */
static int hw_enable(void *ctx, const char *name, int rxfilter, struct env_hwts_info *info)
{
    struct sim_node *sn = ctx;
    if (!sn->dev.m.nic || strcmp(name, "eth0") != 0) {
        LOG_DEBUG(&sn->logger, "HW timestamping not supported on %s", name);
        return 0;
    }
    info->if_index = SIM_NIC_IFINDEX;
    info->rx_filter = rxfilter == 1 /* none */ ? 0 : 1;
    sn->dev.nic_on = 1;
    return 1;
}

static char **hw_list(void *ctx, int *n)
{
    char **v = xcalloc(2, sizeof(*v));
    (void)ctx;
    v[0] = xstrdup("lo");
    v[1] = xstrdup("eth0");
    *n = 2;
    return v;
}

static int hw_link_speed(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "eth0") == 0 ? SIM_NIC_SPEED : 0;
}

static int rd_pps_open(void *ctx, const char *path, int clear, char *err, size_t errlen)
{
    struct sim_node *sn = ctx;
    (void)clear;
    if (!sn->dev.m.pps || strcmp(path, "/dev/pps0") != 0) {
        snprintf(err, errlen, "Could not open %s : %s", path, "No such file or directory");
        return -1;
    }
    return 0;
}

static int rd_pps_fetch(void *ctx, int dev, int clear, uint32_t *seq, struct timespec *ts,
                        char *err, size_t errlen)
{
    struct sim_node *sn = ctx;
    (void)dev, (void)clear, (void)err, (void)errlen;
    sn->dev.pps_fetches++;
    *seq = sn->dev.seq;
    *ts = sn->dev.edge;
    return sn->dev.seq != 0;
}

static int rd_phc_open(void *ctx, const char *path, int rw, char *err, size_t errlen)
{
    struct sim_node *sn = ctx;
    (void)rw;
    if (!sn->dev.m.phc ||
        (strcmp(path, "/dev/ptp0") != 0 && !(sn->dev.m.nic && strcmp(path, "eth0") == 0))) {
        LOG_ERR(&sn->logger, "Could not open PHC (of) %s", path);
        snprintf(err, errlen, "Could not open PHC");
        return -1;
    }
    return 1;
}

static int rd_phc_read(void *ctx, int dev, int nocrossts, int *mode,
                       struct env_refdev_phc_reading *out, int max)
{
    struct sim_node *sn = ctx;
    int cross = !nocrossts && !sn->dev.m.phc_no_crossts, n = cross ? 1 : 10;
    struct timespec now;
    (void)dev;
    if (max < n)
        n = max;
    sn->dev.phc_reads++;
    *mode = cross ? 2 : 3;
    sim_node_local_ts(sn, &now);
    for (int i = 0; i < n; i++) {
        out[i].before = out[i].after = now;
        if (!cross) {
            ts_add(&out[i].before, &now, -0.5e-6);
            ts_add(&out[i].after, &now, 0.5e-6);
        }
        phc_now(sn, &out[i].phc);
    }
    return n;
}

static int rd_phc_extts(void *ctx, int dev, int pin, int channel, int rising, int falling,
                        int enable, refdev_cb cb, void *arg)
{
    struct sim_node *sn = ctx;
    (void)dev, (void)pin, (void)channel, (void)rising, (void)falling;
    sn->dev.extts_on = enable;
    sn->dev.cb = enable ? cb : NULL;
    sn->dev.cb_arg = enable ? arg : NULL;
    return 0;
}

static int rd_phc_extts_read(void *ctx, int dev, struct timespec *phc, int *channel)
{
    struct sim_node *sn = ctx;
    (void)dev;
    if (sn->dev.n_extts < 1)
        return 0;
    *phc = sn->dev.extts[0];
    *channel = 0;
    memmove(&sn->dev.extts[0], &sn->dev.extts[1],
            (size_t)(--sn->dev.n_extts) * sizeof(sn->dev.extts[0]));
    return 1;
}

static void rd_close(void *ctx, int dev)
{
    (void)ctx, (void)dev;
}

void sim_node_on_edge(struct world *w, struct sim_node *sn)
{
    struct sim_refdev *d = &sn->dev;
    struct timespec now;
    (void)w;
    if (!sn->started)
        return;
    if (d->m.pps) {
        sim_node_local_ts(sn, &now);
        ts_add(&d->edge, &now, d->m.pps_jitter * rng_normal(&d->rng));
        d->seq++;
    }
    if (d->m.phc && d->extts_on) {
        if (d->n_extts < 4) {
            struct timespec *e = &d->extts[d->n_extts++];
            phc_now(sn, e);
            ts_add(e, e, d->m.extts_jitter * rng_normal(&d->rng));
        }
        d->extts_events++;
        sim_node_local_ts(sn, &now);
        d->cb(d->cb_arg, 1);
        /* As the platform loop: the timers and the jump check see the clock as it reads
         * after the wake-up's handlers (one of them may have stepped it). */
        sim_node_local_ts(sn, &now);
        node_on_timer(sn->node, &now);
    }
}

/* The RTC's reading at true time t (s since the world's start). */
static long long rtc_reading(const struct sim_node *sn, double t)
{
    return (long long)sn->w->epoch.tv_sec +
           (long long)floor(t + sn->rtc.off + sn->rtc.gain * t + 1e-9 * sn->w->epoch.tv_nsec);
}

void sim_rtc_schedule_edge(struct world *w, int idx)
{
    struct sim_node *sn = &w->nodes[idx];
    long long k = rtc_reading(sn, w->t) + 1 - (long long)w->epoch.tv_sec;
    double t = ((double)k - sn->rtc.off) / (1.0 + sn->rtc.gain);

    /* just past the edge: the reading is the new second */
    world_schedule(w, t + 1e-9, EV_RTC, idx, (double)sn->rtc.gen, NULL);
}

static int rtc_open(void *ctx, const char *device, stream_cb cb, void *arg, int *err)
{
    struct sim_node *sn = ctx;

    (void)device;
    if (!sn->rtc.present) {
        *err = ENOENT;
        return -1;
    }
    if (cb) {
        sn->rtc.open = 1;
        sn->rtc.cb = cb;
        sn->rtc.arg = arg;
    }
    return 0;
}

static int rtc_set_uie(void *ctx, int h, int on, int *err)
{
    struct sim_node *sn = ctx;

    (void)h;
    (void)err;
    if (on && !sn->rtc.uie) {
        sn->rtc.gen++;
        sn->rtc.uie = 1;
        sim_rtc_schedule_edge(sn->w, sn->idx);
    }
    sn->rtc.uie = on;
    return 0;
}

static int rtc_read_edge(void *ctx, int h, int *err)
{
    (void)ctx;
    (void)h;
    (void)err;
    return 1;
}

static int rtc_read_time(void *ctx, int h, int utc, long long *t, int *err)
{
    struct sim_node *sn = ctx;

    (void)h;
    (void)utc;
    (void)err;
    *t = rtc_reading(sn, sn->w->t);
    return 0;
}

static int rtc_set_time(void *ctx, int h, int utc, long long t)
{
    struct sim_node *sn = ctx;
    double now = sn->w->t;

    (void)h;
    (void)utc;
    sn->rtc.n_sets++;
    /* reads t now, ticks t + 1 half a second later */
    sn->rtc.off = (double)(t - (long long)sn->w->epoch.tv_sec) + 0.5 - now - sn->rtc.gain * now;
    sn->rtc.gen++;
    if (sn->rtc.uie)
        sim_rtc_schedule_edge(sn->w, sn->idx);
    return 0;
}

static void rtc_close(void *ctx, int h)
{
    struct sim_node *sn = ctx;

    (void)h;
    sn->rtc.open = 0;
    sn->rtc.uie = 0;
    sn->rtc.cb = NULL;
    sn->rtc.gen++;
}

void sim_node_env_init(struct sim_node *sn)
{
    struct env *e = &sn->env;
    memset(e, 0, sizeof(*e));
    e->clock = (struct env_clock){sn,           clk_read, clk_can_control, clk_set_freq,
                                  clk_get_freq, clk_step, clk_set_leap,    clk_set_sync_status};
    e->net = (struct env_net){sn, net_udp_open, net_unix_open, net_close, net_send, NULL, NULL};
    e->files = (struct env_files){sn,
                                  files_read_all,
                                  files_write_atomic,
                                  files_append,
                                  files_list_glob,
                                  files_prepare_dir,
                                  files_remove,
                                  files_write_atomic,
                                  NULL /* daemons log through the simulator */,
                                  NULL /* no file modes */,
                                  NULL /* no modification times */};
    e->resolver = (struct env_resolver){sn, resolve};
    e->rtc = (struct env_rtc){sn,           rtc_open, rtc_set_uie, rtc_read_edge, rtc_read_time,
                              rtc_set_time, rtc_close};
    e->random = (struct env_random){sn, random_bytes};
    e->refdev = (struct env_refdev){sn,          rd_pps_open,  rd_pps_fetch,      rd_phc_open,
                                    rd_phc_read, rd_phc_extts, rd_phc_extts_read, rd_close};
    e->hwts = (struct env_hwts){sn, hw_enable, hw_list, hw_link_speed};
    rng_seed(&sn->dev.rng, sn->w->seed ^ (0xDE7000ULL + (uint64_t)sn->idx));
    sn->logger = (struct logger){sn, log_write, LOGL_DEBUG};
    e->log = &sn->logger;
}

void sim_node_on_tx_report(struct world *w, struct sim_node *sn, struct packet *p)
{
    struct net_rx rx;
    struct timespec now;
    if (!sn->started || !w->hosts[sn->host].socks[p->dst_sock].used)
        return;
    sim_node_local_ts(sn, &now);
    memset(&rx, 0, sizeof(rx));
    rx.sock = p->dst_sock;
    rx.data = p->data;
    rx.len = p->len;
    rx.remote = p->dst;
    rx.local = p->src;
    rx.rx_ts = now;
    rx.rx_ts_src = RXTS_KERNEL;
    rx.tx_ts = 1;
    /* With hardware timestamping the kernel reports only the NIC's timestamp. */
    if (sn->dev.nic_on) {
        nic_stamp(sn, p->t_wire, p->len, 0, &rx.hw_ts);
        rx.if_index = SIM_NIC_IFINDEX;
        rx.rx_ts_src = RXTS_NONE;
        sn->dev.hw_tx++;
    }
    node_on_datagram(sn->node, &rx, &now);
    sim_node_local_ts(sn, &now); /* the report may have stepped the clock */
    node_on_timer(sn->node, &now);
}

void sim_node_on_packet(struct world *w, struct sim_node *sn, struct packet *p)
{
    struct net_rx rx;
    struct timespec now;
    sim_node_local_ts(sn, &now);
    memset(&rx, 0, sizeof(rx));
    rx.sock = p->dst_sock;
    rx.data = p->data;
    rx.len = p->len;
    rx.remote = p->src;
    rx.local = p->dst;
    rx.rx_ts = now;
    rx.rx_ts_src = RXTS_KERNEL;
    if (sn->dev.nic_on) {
        nic_stamp(sn, p->t_wire, p->len, 1, &rx.hw_ts);
        rx.if_index = SIM_NIC_IFINDEX;
        sn->dev.hw_rx++;
    }
    node_on_datagram(sn->node, &rx, &now);
    /* The platform loop runs the timers (and the node's jump check) after every
     * wake-up, not only after a timeout, with the clock read again after the datagrams:
     * a step the datagram caused moved the deadlines and the jump detector's reference,
     * so the time read before it would look like a forward jump (and make every timer
     * within the step due at once). */
    sim_node_local_ts(sn, &now);
    node_on_timer(sn->node, &now);
}
