/* The simulator's world: virtual clocks, a virtual network and many chronyd nodes
 * (real struct node) plus simple probe clients, run by one event loop in true time
 * from one seed. Nothing here touches the real clock or the real network. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include "daemon/env.h"
#include "lib/ntp_time.h"
#include "lib/rng.h"
#include "vclock.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct node;
struct world;

enum jitter_kind { JITTER_EXP = 0, JITTER_NORMAL = 1 };

/* One direction of a link: delay = delay + jitter sample (exponential with mean
 * jitter, or |normal| with deviation jitter), lost with probability loss. */
struct link_dir {
    double delay;  /* s */
    double jitter; /* s */
    enum jitter_kind kind;
    double loss; /* 0..1 */
    /* One-step end-to-end PTP transparent clocks on the path: the jitter part of a
     * datagram's delay (its time queued in switches) is added to the correctionField of
     * an NTP-over-PTP message (chrony's `ptpport` framing), as `extfield F324` expects. */
    int ptp_tc;
};

/* A link between hosts a and b (indices into the world's hosts; -1 as b means
 * "every host" and makes the link the default for a). While down, packets sent in
 * either direction are lost: in [down_start, down_end), and when period > 0 in
 * the last down_len seconds of every period. */
struct link {
    int a, b;
    struct link_dir ab, ba;
    double down_start, down_end;
    double period, down_len;
};

#define SIM_MAX_SOCKS 64
#define SIM_MAX_LOG_LINES 100000

struct vsock {
    int used;
    uint16_t port;
    enum ip_family family;
    struct ip_addr bound; /* IPF_UNSPEC = any */
    int tx_ts;            /* opened with NETF_TX_TIMESTAMPS */
};

enum host_kind { HOST_NODE = 0, HOST_PROBE = 1 };

struct host {
    struct ip_addr ip;
    enum host_kind kind;
    int owner; /* node or probe index */
    struct vsock socks[SIM_MAX_SOCKS];
    uint16_t next_port;
    uint64_t sent, received, lost, undeliverable;
    /* A slow send path: each datagram leaves an exponentially distributed time of this
     * mean (s) after the send call, so that the daemon's transmit timestamp is early by
     * that much; 0 = at once (no random draw). */
    double tx_late;
    /* Report when datagrams left, on sockets that ask for it (kernel TX timestamps, as
     * net_rx.tx_ts); 0 = never. */
    int tx_ts;
};

/* A datagram in flight. */
struct packet {
    int src_host, dst_host;
    int dst_sock; /* set on delivery */
    struct net_addr src, dst;
    double t_sent;
    double t_wire;     /* true time its frame ended at the receiver's NIC (a report: when it
                        * left) */
    double sender_off; /* the sending node's clock offset at t_sent (0 for probes) */
    size_t len;
    uint8_t data[1200];
    struct packet *next_free;
};

struct node_metrics {
    uint64_t samples, samples_after;
    double sum_off2, max_off; /* after warm-up */
    double sum_freq2;         /* ppm^2, error of the node's frequency estimate, after warm-up */
    double sum_wfreq2;        /* ppm^2, the clock's whole frequency error, after warm-up */
    double max_freq;    /* ppm, the clock's whole frequency error (slew included), after warm-up */
    double max_off_all; /* whole run */
    double last_bad_t;  /* last sample with |offset| >= sync limit; -1 none */
    double first_1ms_t; /* first sample with |offset| < 1 ms; -1 none yet */
    int ever_sampled;
    double last_off;
};

/* A node's simulated refclock devices (env.refdev): a PPS source at /dev/pps0 whose edge
 * comes at every true whole second, and a PHC at /dev/ptp0 running on its own frequency,
 * which also timestamps those edges (extts). */
struct sim_refdev_model {
    int pps;             /* /dev/pps0 exists */
    double pps_jitter;   /* s, deviation of an edge's system timestamp (Gaussian) */
    int phc;             /* /dev/ptp0 exists */
    double phc_offset;   /* s, PHC minus true time at t = 0 */
    double phc_freq_ppm; /* the PHC's frequency error, positive = fast */
    double phc_noise;    /* s, deviation of a PHC reading (Gaussian) */
    double extts_jitter; /* s, deviation of the PHC's timestamp of an edge (extts) */
    int phc_no_crossts;  /* no cross timestamps: readings 1 us wide (extended offsets) */
    /* A NIC, eth0 (ifindex 2, 1 Gb/s), that timestamps packets in hardware with that PHC
     * (the PHC also opens as "eth0"): `hwtimestamp eth0` gets the PHC's time of the start
     * of each frame, received or sent, with nic_ts_noise (Gaussian); the frame lasts
     * (42 + UDP data + 4) bytes at 1 Gb/s. */
    int nic;
    double nic_ts_noise;
    double nic_tx_report_late; /* s, the NIC's transmit timestamp is reported this late */
    /* s, mean of the exponential delay between a datagram's arrival at the NIC and the
     * kernel's receive timestamp (interrupt latency): the datagram is handed over then. */
    double kernel_rx_late;
};

struct sim_refdev {
    struct sim_refdev_model m;
    struct rng rng;       /* own stream: the devices' noise */
    uint32_t seq;         /* PPS: edges so far */
    struct timespec edge; /* PPS: the last edge, system time */
    int extts_on;
    refdev_cb cb; /* the node's callback while extts is on */
    void *cb_arg;
    struct timespec extts[4]; /* PHC timestamps of edges not read yet */
    int n_extts;
    uint64_t pps_fetches, phc_reads, extts_events; /* counters for the checks */
    int nic_on;                                    /* hardware timestamping enabled on eth0 */
    uint64_t hw_rx, hw_tx;                         /* hardware timestamps handed over */
};

/* A node's RTC (env.rtc): reads epoch + t + off + gain * t at true time t, ticking whole
 * seconds; its update edges are world events while its interrupts are on. */
struct sim_rtc {
    int present;
    double off;    /* s, at true time 0 */
    double gain;   /* s/s, positive = the RTC gains */
    int open, uie; /* opened with a callback; update interrupts on */
    stream_cb cb;
    void *arg;
    unsigned gen; /* edge events of an older generation are stale */
    int n_sets;   /* RTC_SET_TIME calls */
};

/* What world_add_node_rtc gives a node's RTC; set_clock: chronyd -s. */
struct sim_rtc_cfg {
    double off, gain_ppm;
    int set_clock;
};

struct sim_node {
    struct world *w;
    int idx;
    char name[32];
    int host;
    int measured; /* metrics are judged for this node */
    struct vclock clock;
    struct rng rng; /* env->random */
    struct env env;
    struct logger logger;
    struct config *cfg;
    struct node *node;
    int started;
    int has_timer;
    struct timespec timer_local; /* raw local deadline from node_next_timeout */
    double timer_t;              /* its true-time estimate */
    int heap_pos;                /* index in the world's timer heap, -1 if not there */
    struct node_metrics m;
    struct sim_rtc rtc;
    uint64_t log_warnings;
    char **log_lines; /* every log line of the node (up to SIM_MAX_LOG_LINES) */
    size_t n_log, cap_log;
    struct sim_refdev dev; /* its refclock devices (none unless the scenario gives some) */
};

/* A probe client: an SNTP client with a perfect clock polling one node. */
struct probe {
    int host;
    int target;      /* node index */
    double interval; /* s */
    int pending;
    struct ntp_ts64 sent_tx; /* transmit timestamp of the outstanding request */
    double t_sent;
};

struct probe_stats {
    uint64_t sent, replies, bad;
    double sum_err, sum_err2, max_err; /* measured offset minus the target's true offset */
    double sum_delay, max_delay;
    double max_err_over_bound; /* max of |err| - delay/2 (<= ~0 if consistent) */
    int stratum_min, stratum_max;
    unsigned leap_mask; /* bit per leap value seen */
    uint32_t ref_id;    /* last seen */
    int refid_mixed;
};

struct world_event;

struct world {
    uint64_t seed;
    double t; /* true time now, s since start */
    double duration;
    double warmup; /* metrics after this */
    double sample_interval;
    double sync_limit;     /* |offset| bound for the convergence time, s */
    struct timespec epoch; /* true time 0 as a Unix time */
    struct rng rng;        /* network */
    int verbose;

    struct sim_node *nodes;
    int n_nodes, cap_nodes;
    int max_nodes; /* capacity allocated with the first node (64 if 0); nodes never move */
    int *theap;    /* node indices with a timer, a min-heap on (timer_t, index) */
    int n_theap;
    struct host *hosts;
    int n_hosts;
    size_t cap_hosts;
    struct link *links;
    int n_links;
    size_t cap_links;
    struct link default_link;

    struct probe *probes;
    int n_probes;
    size_t cap_probes;
    struct probe_stats pstats;

    struct world_event *ev;
    size_t n_ev, cap_ev;
    uint64_t ev_seq;
    struct packet *free_packets;

    uint64_t events_run;
    uint64_t same_t_steps; /* consecutive steps without time moving */
    int stuck;             /* the loop stopped: time did not move for too many steps */
    double stuck_t;
};

/* Steps at one instant after which the world declares itself stuck (a node whose
 * timer never stops being due would otherwise spin forever). */
#define SIM_MAX_SAME_T_STEPS 10000000

/* Create an empty world; epoch 2026-01-01T00:00:00Z. Free with world_free. */
struct world *world_new(uint64_t seed);
void world_free(struct world *w);
/* Add a host with a numeric address; returns its index. */
int world_add_host(struct world *w, const char *ip, enum host_kind kind, int owner);
int world_find_host(const struct world *w, const struct ip_addr *ip);
/* Add a chronyd node. Config lines are parsed now; returns the node index or -1
 * (message on stderr). Clock: initial offset (s, positive = fast), frequency error
 * (ppm) and wander step (ppm per simulated second). */
int world_add_node(struct world *w, const char *name, const char *ip, const char *const *conf,
                   double offset, double freq_ppm, double wander_ppm);
/* As world_add_node, with an RTC (NULL: none). */
int world_add_node_rtc(struct world *w, const char *name, const char *ip, const char *const *conf,
                       double offset, double freq_ppm, double wander_ppm,
                       const struct sim_rtc_cfg *rtc);
void world_add_link(struct world *w, const struct link *l);
/* Add count probes at addresses prefix.(1 + i / 250).(1 + i % 250) (prefix "10.1"),
 * polling node `target` every interval seconds from a random phase. */
void world_add_probes(struct world *w, const char *prefix, int count, int target, double interval);
/* Schedule an external clock jump of a node at true time t. */
void world_add_jump(struct world *w, int node, double t, double jump);
/* Start every node and run until duration, then stop the nodes. Returns 0, or -1 if a
 * node failed to start. Equivalent to world_start + world_run_until(duration) +
 * world_finish; the pieces let a scenario look at the nodes at checkpoints. */
int world_run(struct world *w);
int world_start(struct world *w);
/* Run every event due at or before true time until (clamped to duration). */
void world_run_until(struct world *w, double until);
/* node_stop on every started node (they are freed by world_free). */
void world_finish(struct world *w);

/* Internal to the simulator's files. */
void world_schedule(struct world *w, double t, int kind, int a, double x, void *p);
void world_deliver(struct world *w, struct packet *p);
int vnet_send(struct world *w, int src_host, int sock, const struct net_addr *remote,
              const void *buf, size_t len);
int vnet_open(struct world *w, int host, const struct net_addr *local, int flags);
void vnet_close(struct world *w, int host, int sock);
void vnet_packet_free(struct world *w, struct packet *p);
void probe_send(struct world *w, int idx);
void probe_on_reply(struct world *w, int idx, const struct packet *p);
void sim_node_env_init(struct sim_node *sn);
void sim_node_local_ts(struct sim_node *sn, struct timespec *out);
void sim_node_on_packet(struct world *w, struct sim_node *sn, struct packet *p);
/* Number of log lines of node idx containing text. */
int world_count_log(const struct world *w, int idx, const char *text);
/* Completes a lookup scheduled by the node resolver (EV_RESOLVE) and frees it. */
void sim_resolve_finish(void *p);

/* Hand a node the report that its datagram p (dst = where it went) left on p->dst_sock. */
void sim_node_on_tx_report(struct world *w, struct sim_node *sn, struct packet *p);
/* The edge of second t on node idx's refclock devices (EV_EDGE). */
void sim_node_on_edge(struct world *w, struct sim_node *sn);
/* The RTC's next update edge of node idx scheduled (when its interrupts are on). */
void sim_rtc_schedule_edge(struct world *w, int idx);

enum world_event_kind {
    EV_PACKET = 0,
    EV_PROBE,
    EV_SAMPLE,
    EV_JUMP,
    EV_RESOLVE,
    EV_TXTS,
    EV_RTC,
    EV_EDGE
};

#endif
