/* The Linux edge: a select() event loop, sockets, files, resolver, clock
 * drivers, logging sinks, pidfile and process setup. The only layer that
 * makes syscalls. One struct platform per process (chronyd main). */
#ifndef PLATFORM_PLATFORM_H
#define PLATFORM_PLATFORM_H

#include "daemon/env.h"

#include <stdint.h>
#include <time.h>

struct platform;

enum platform_clock_kind {
    PCLOCK_SYSTEM,   /* the real system clock (reads; control comes with the discipline) */
    PCLOCK_NULL,     /* -x (chrony's null driver): reads the system clock, keeps the
                      * frequency it is given without acting on it, refuses steps */
    PCLOCK_NOCONTROL /* --softclock (ours): a software clock riding on the system clock,
                      * steered and stepped like a real one, never touching it */
};

struct platform_opts {
    enum platform_clock_kind clock;
    double softclock_offset; /* --softclock=OFFSET: s the software clock starts ahead */
    int family;              /* 0 both, 4 or 6 (-4/-6) */
    const char *log_file;    /* -l FILE, NULL for stderr/syslog */
    int log_stderr;          /* -d/-n: log to stderr */
    int log_level;           /* -L: 0 info, 1 warn, 2 err, 3 fatal; -1 debug (-d -d) */
};

/* Handlers the loop calls; ctx is the node. */
struct platform_handlers {
    void *ctx;
    /* Earliest raw time the next timer is due; return 0 if none. */
    int (*next_timeout)(void *ctx, struct timespec *when);
    void (*on_timer)(void *ctx, const struct timespec *now);
    void (*on_datagram)(void *ctx, const struct net_rx *rx, const struct timespec *now);
    /* Non-zero when the daemon asked to exit (may be NULL). */
    int (*should_quit)(void *ctx);
};

struct platform *platform_new(const struct platform_opts *opts);
void platform_free(struct platform *p);
/* The environment table backed by this platform. Valid until platform_free. */
const struct env *platform_env(struct platform *p);

/* Run until a termination signal (SIGINT/SIGTERM/SIGQUIT) or platform_stop().
 * Returns the signal number, or 0 when stopped, PLATFORM_RUN_TIMEOUT when run_for
 * (-t, when > 0) seconds passed, PLATFORM_RUN_FAILED when select() failed (chrony's
 * fatal message logged). */
#define PLATFORM_RUN_TIMEOUT (-1)
#define PLATFORM_RUN_FAILED (-2)
int platform_run(struct platform *p, const struct platform_handlers *h, double run_for);
void platform_stop(struct platform *p);

/* Resolution of the clock in seconds: the smallest step between readings. */
double platform_measure_precision(void);

/* Take control of the system clock now (the driver otherwise does it before
 * its first control operation). Returns 0, or -1 with the message for a fatal
 * error. No-op for the -x clock. */
int platform_clock_take_control(struct platform *p, char *err, size_t errlen);
/* rtcsync: let set_sync_status clear STA_UNSYNC (default off, as chrony). */
void platform_clock_set_rtc_sync(struct platform *p, int enabled);
/* The configured NTP port (`port`), so that privilege dropping keeps
 * CAP_NET_BIND_SERVICE only when the port is privileged. Until this is
 * called the capability is kept. */
void platform_privs_set_ntp_port(int port);

/* Process setup. */
int platform_daemonize(struct platform *p, char *err, size_t errlen);
/* Tell the waiting parent that start-up finished (after daemonize). */
void platform_daemon_ready(struct platform *p);
int platform_pidfile_acquire(const char *path, char *err, size_t errlen);
/* Remove the pidfile: 0, or -1 with errno when it is there and cannot be removed. */
int platform_pidfile_release(const char *path);
/* Look a host name up now (blocking, as chrony while it reads its configuration): its
 * first IPv4 or IPv6 address in out, 0; -1 if it has none. */
int platform_resolve_host(const char *name, struct ip_addr *out);
int platform_drop_privileges(const char *user, char *err, size_t errlen);
/* mlockall(MCL_CURRENT | MCL_FUTURE) after lifting RLIMIT_MEMLOCK (-m, lock_all).
 * 0, or -1 with chrony's message. */
int platform_lock_memory(char *err, size_t errlen);
/* SCHED_FIFO for the main thread at prio (clamped to the system's range; -P,
 * sched_priority). The priority set, or -1 with chrony's message. */
int platform_set_priority(int prio, char *err, size_t errlen);
/* chronyd -F LEVEL: load the system call filter (scfilter.c) into every thread.
 * 0 does nothing; 1 allows only the calls the daemon needs, 2 denies a list of
 * calls it never makes; positive levels kill on a denied call, negative ones
 * send SIGSYS. Returns 0, or -1 with chrony's message in err. */
int platform_scfilter_apply(int level, char *err, size_t errlen);
/* systemd's service notification (sd_notify(3)) without libsystemd: send msg
 * ("READY=1", "STOPPING=1") as one datagram to the Unix socket that
 * $NOTIFY_SOCKET names, a path or an abstract name written with a leading '@'.
 * 0 when sent or when the variable is unset, -1 with chrony's message. */
int platform_notify_service(const char *msg, char *err, size_t errlen);
/* After dropping root: warn as chrony when the daemon cannot read path (a key file)
 * or could write to it. NULL: nothing. */
void platform_check_read_only(struct platform *p, const char *path);
/* Create path and its missing parents before privileges are dropped, as chrony
 * does for the command socket, log and dump directories: parents get 0755, the
 * last directory mode and, when root makes it, the owner of user. Existing
 * directories are left as they are. Problems are logged; 0 or -1. */
int platform_create_dir(struct platform *p, const char *path, unsigned mode);
/* The user (-u / user directive) the daemon will run as: root makes the daemon's
 * directories for it, and they must belong to it. NULL or unknown: this process. */
void platform_set_dir_owner(struct platform *p, const char *user);
/* Switch logging to syslog (after daemonizing, when no -l file). */
void platform_log_to_syslog(struct platform *p);

/* Serving worker processes (`serverworkers`, ours; workers.c). Fork one: in the child
 * (returns 0) everything the loop watched for the parent is let go, *fd is the read end
 * of a pipe from the parent and *back the write end of a pipe to it; in the parent the
 * child's pid, *fd the write end and *back the read end (both non-blocking); -1 if it
 * cannot. */
int platform_worker_fork(struct platform *p, int *fd, int *back);
/* Watch a descriptor the caller owns: cb(arg, fd, STREAM_EV_READ) when readable. */
int platform_watch(struct platform *p, int fd, stream_cb cb, void *arg);
/* Stop watching fd and close it. */
void platform_unwatch_close(struct platform *p, int fd);
/* One message of len bytes (at most PIPE_BUF, so it goes whole or not at all): 0 or -1. */
int platform_worker_send(int fd, const void *msg, size_t len);
/* The last whole message waiting into msg: 1, 0 if none, -1 at the end (the other process
 * gone; a message read before the end is returned first). */
int platform_worker_receive(int fd, void *msg, size_t len);
/* Close the pipe to worker pid (it ends when it sees the pipe closed; fd -1: closed
 * already); with wait 1 also end it and wait for it (kill, waitpid: not under chronyd
 * -F's filter). */
void platform_worker_stop(int pid, int fd, int wait);
/* Steer the requests among the n SO_REUSEPORT sockets of fd's group by client address
 * (one client, one process). 0, or -1 (the kernel then spreads by address and port). */
int platform_reuseport_steer(int fd, int n, int ipv6);
/* Zeroed memory of len bytes shared with the processes forked after (MAP_SHARED, page
 * aligned; pages cost RAM only once written), NULL if it cannot be mapped. It stays
 * mapped until the process ends. */
void *platform_shared_alloc(size_t len);

#endif
