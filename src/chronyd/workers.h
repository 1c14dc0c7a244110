/* `serverworkers N` (ours): N - 1 forked processes answer NTP requests beside the main
 * process, each on its own SO_REUSEPORT socket of the server port, requests steered by
 * client address; the main process keeps the sources, the clock, the command and NTS-KE
 * servers and sends each worker its served state whenever it changes. */
#ifndef CHRONYD_WORKERS_H
#define CHRONYD_WORKERS_H

#include "daemon/node.h"
#include "platform/platform.h"

#define WORKERS_MAX 64

struct workers {
    int n; /* workers running */
    int pid[WORKERS_MAX];
    int fd[WORKERS_MAX]; /* pipe to each */
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
