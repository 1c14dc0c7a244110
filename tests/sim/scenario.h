/* Simulator scenarios: a table of worlds (nodes, clocks, links, probes, duration)
 * with the bounds that decide PASS or FAIL, and the runner that builds, runs and
 * judges one of them. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include "world.h"

#include <stddef.h>
#include <stdint.h>

#define SC_MAX_NODES 8
#define SC_MAX_CONF 8
#define SC_MAX_LINKS 8
#define SC_MAX_JUMPS 2
#define SC_MAX_CHECKPOINTS 4

struct sc_node {
    const char *name; /* also resolvable as a host name by other nodes */
    const char *ip;
    const char *conf[SC_MAX_CONF]; /* chrony.conf lines, NULL-terminated */
    double offset;                 /* s, initial local minus true time */
    double freq_ppm;               /* intrinsic frequency error, positive = fast */
    double wander;                 /* random-walk frequency step per simulated second, as a
                                    * fraction (1e-9 = 1 ppb), like clknetsim's (sum (* w (normal))) */
    int measured;                  /* judged by the bounds and shown in the figures */
    double tx_late;                /* s, mean delay of its datagrams after their transmit
                                    * timestamp (struct host tx_late), 0 = none */
    int tx_ts;                     /* it gets kernel TX timestamps (struct host tx_ts) */
    struct sim_refdev_model dev;   /* its PPS and PHC devices (none by default) */
    int has_rtc;                   /* an RTC as rtc says (world_add_node_rtc) */
    struct sim_rtc_cfg rtc;
};

/* A link between scenario nodes (by index); b = -1: from a to everyone. */
struct sc_link {
    int a, b;
    struct link_dir ab, ba;
    double down_start, down_end, period, down_len;
};

struct sc_jump {
    int node;
    double t, jump; /* true time, s; local time jumps by +jump */
};

/* The served stratum expected from a node at a true time (read from the node's
 * served reference, what its NTP replies would carry). */
struct sc_checkpoint {
    double t;
    int node;
    int stratum;
};

/* How many of a node's log lines contain text: min..max (chrony's own simulation
 * tests check messages such as "Selected source" the same way). */
struct sc_log_expect {
    int node;
    const char *text;
    int min, max;
};
#define SC_MAX_LOG_EXPECT 4

/* Bounds on every measured node; a zero bound is not checked. */
struct sc_bounds {
    double sync_min, sync_max; /* s: first time |offset| < sync limit for good */
    double max_off, rms_off;   /* s, after warm-up; max_off is also the sync limit */
    double max_freq, rms_freq; /* ppm, after warm-up */
    double rms_wfreq;          /* ppm: whole frequency error, slew included (chrony's
                                * freq_rms_limit), after warm-up */
};

/* Probe clients (see probe.c). */
struct sc_probes {
    int count;
    int target;           /* node index */
    double interval;      /* s */
    const char *prefix;   /* "10.1": probes at 10.1.X.Y */
    int expect;           /* PROBES_ANSWERED, PROBES_DENIED or PROBES_ANY */
    double loss_expected; /* fraction of requests whose reply is lost */
    int stratum;          /* expected in every reply (answered probes, local reference) */
    double delay_mean;    /* expected mean round trip, s (0 = not checked; +-5 %) */
    double err_rms;       /* expected rms of the offset error, s (0 = not checked; +-15 %) */
};
enum { PROBES_ANY = 0, PROBES_ANSWERED, PROBES_DENIED };

/* Many identical client nodes (real struct node) at PREFIX.(1 + i / 250).(1 + i % 250),
 * named c1, c2, ...; each gets its own clock streams from the world seed. Judged by
 * the bounds like measured nodes; the figures show one row with the worst of each. */
struct sc_clients {
    int count;
    const char *prefix;              /* "10.2" */
    const char *conf[SC_MAX_CONF];   /* chrony.conf lines, NULL-terminated */
    double offset, freq_ppm, wander; /* as struct sc_node */
};

struct scenario;
struct sc_result;
typedef int (*sc_check_fn)(struct world *w, const struct scenario *s, struct sc_result *r);

struct scenario {
    const char *name;
    const char *desc;
    int all_only;  /* long-running: only with --all / --scenario */
    int benchmark; /* accuracy benchmark: figures matter more than bounds */
    uint64_t seed; /* the scenario's fixed seed; --seed overrides */
    double duration, warmup;
    double sample_interval; /* s, 0 = 1 */
    struct link_dir link;   /* default for every pair of hosts, both directions */
    struct sc_node nodes[SC_MAX_NODES];
    struct sc_link links[SC_MAX_LINKS];
    struct sc_jump jumps[SC_MAX_JUMPS];
    struct sc_checkpoint checkpoints[SC_MAX_CHECKPOINTS];
    struct sc_log_expect logs[SC_MAX_LOG_EXPECT];
    struct sc_probes probes;
    struct sc_clients clients;
    struct sc_bounds bounds;
    sc_check_fn check; /* extra judgement, may be NULL */
};

/* What one run produced. */
struct sc_result {
    int ok;
    int counted; /* a failure counts (otherwise shown as xfail) */
    char why[512];
    double wall_s;
    uint64_t events;
    double rms_freq_ppb;  /* the first measured node's rms_freq figure */
    double rms_wfreq_ppm; /* its RMS whole frequency error, slew included (chrony's figure) */
};

extern const struct scenario sim_scenarios[];
extern const size_t sim_n_scenarios;

/* Build and run one scenario with seed. Fills r; prints the figures table rows
 * when figures is set (a failure shows as "xfail" there unless counted). Returns r->ok. */
int sc_run(const struct scenario *s, uint64_t seed, int figures, int verbose, int counted,
           struct sc_result *r);
/* Column titles of the figures table. */
void sc_print_header(void);
/* Append a reason to r->why and clear r->ok. */
void sc_fail(struct sc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
