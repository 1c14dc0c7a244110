/* `serverworkers N` (ours): N - 1 forked processes answer NTP requests beside the main
 * process, each on its own SO_REUSEPORT socket of the server port, requests steered by
 * client address; the main process keeps the sources, the clock, the command and NTS-KE
 * servers and sends each worker its served state whenever it changes; each worker sends
 * back its serving counters (at most every WORKERS_REPORT_INTERVAL seconds while they
 * change), which serverstats adds to the main process's. */
#ifndef CHRONYD_WORKERS_H
#define CHRONYD_WORKERS_H

#include "core/serve_stats.h"
#include "daemon/node.h"
#include "platform/platform.h"

#define WORKERS_MAX 64
#define WORKERS_REPORT_INTERVAL 0.5 /* s */

struct workers;
/* The main process's end of one worker's counters pipe (the callback's argument). */
struct worker_link {
    struct workers *w;
    int i;
};

struct workers {
    int n; /* workers started */
    int pid[WORKERS_MAX];
    int fd[WORKERS_MAX];                   /* pipe to each; -1 once it ended */
    int back[WORKERS_MAX];                 /* pipe from each (its counters); -1 once it ended */
    struct serve_stats stats[WORKERS_MAX]; /* the last counters each reported */
    int log[WORKERS_MAX];                  /* the view of each one's client log, -1 none */
    struct worker_link link[WORKERS_MAX];
    struct platform *p;
    struct node *node;
    int dirty;           /* a state message could not be sent to every worker */
    int scfilter;        /* chronyd -F: the workers are not waited for (no wait4) */
    unsigned char *last; /* the state sent last (node_served_state_size bytes) */
    unsigned char *cur;
};

/* Fork count - 1 workers after node_start, before the privileges are dropped (user: the
 * user to switch to, scfilter: chronyd -F's level, 0 none; each worker applies them
 * itself). Returns in the main process only. */
void workers_start(struct workers *w, struct platform *p, struct node *n, int count,
                   const char *user, int scfilter);
/* After each wake-up of the main loop: send the served state if it changed. */
void workers_publish(struct workers *w, const struct node *n);
/* End and wait for the workers (before node_free). */
void workers_stop(struct workers *w);

#endif
