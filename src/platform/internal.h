/* Internals shared by the platform's source files. */
#ifndef PLATFORM_INTERNAL_H
#define PLATFORM_INTERNAL_H

#include "platform/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/types.h>

/* Descriptors at or above min(FD_SETSIZE, RLIMIT_NOFILE) - PLAT_FD_RESERVE are kept for the server,
 * command, NTS-KE and metrics sockets: a client socket there is refused, so that many sources never
 * take the command socket's place (select() cannot watch a descriptor >= FD_SETSIZE). */
#define PLAT_FD_RESERVE 64
/* Room in p->socks for one more entry (at index p->n_socks). */
struct platform;
void plat_socks_grow(struct platform *p);
/* chrony's options of a socket about to be bound to an IP address and port (0: any):
 * SO_REUSEADDR and SO_REUSEPORT with a port, IP_FREEBIND always; failures ignored. */
void plat_bind_options(int fd, int port);
/* SO_BINDTODEVICE to device (NULL or "": nothing); -1 with errno if it cannot. */
int plat_bind_device(int fd, const char *device);
/* Datagrams remembered per socket until the kernel reports when they left. */
#define PLAT_TX_RING 32
/* The NTP header, behind the 48-byte prefix of NTP over PTP (ptpport) when there is one. */
#define PLAT_TX_HEAD 96

/* A datagram sent on a socket with kernel transmit timestamps, waiting for its
 * timestamp (matched by the kernel's per-socket counter, SOF_TIMESTAMPING_OPT_ID). */
struct plat_tx_rec {
    uint32_t id;
    int used;
    uint8_t head[PLAT_TX_HEAD]; /* the first bytes as sent */
    size_t len;
    struct net_addr remote, local;
};

/* What the control messages of one received message say (plat_cmsg_parse). */
struct plat_cmsg_info {
    struct timespec sw_ts; /* kernel software timestamp, zero if none */
    struct timespec hw_ts; /* raw hardware timestamp, zero if none */
    int if_index;          /* interface of IP_PKTINFO / IPV6_PKTINFO, 0 if none */
    int ts_if_index;       /* of SCM_TIMESTAMPING_PKTINFO (the timestamping device), 0 if none */
    int l2_len;            /* layer-2 length of SCM_TIMESTAMPING_PKTINFO, 0 if none */
    struct net_addr local; /* destination address (IP_PKTINFO / IPV6_PKTINFO) */
    int is_tx_ts;          /* an error-queue message carrying a transmit timestamp */
    uint32_t tx_id;        /* its SOF_TIMESTAMPING_OPT_ID counter */
};

/* Parse the control messages of msg (no system call: a pure reading of the buffer). */
struct msghdr;
void plat_cmsg_parse(struct msghdr *msg, struct plat_cmsg_info *out);

struct plat_sock {
    int fd;
    int is_unix;
    /* A stream socket (env.stream): its events go to cb, not to the datagram handler. */
    stream_cb cb;
    void *cb_arg;
    int want_write;
    int no_read; /* a stream whose owner stopped asking for STREAM_EV_READ */
    /* Kernel transmit timestamps (NETF_TX_TIMESTAMPS): datagrams sent, by counter. */
    struct plat_tx_rec *tx;
    uint32_t tx_next_id;
    int tx_pending; /* records of tx still waiting for their timestamp */
};

struct plat_clock {
    enum platform_clock_kind kind;
    /* No-control clock: time = system + offset + (system - base) * freq * 1e-6 */
    struct timespec base; /* system time when freq was last changed */
    double offset;        /* s added at base */
    double freq_ppm;
    int leap;
};

#define PLAT_MAX_REFDEV 16
/* A refclock device whose readability goes to cb (env.refdev's extts). */
struct plat_refdev_watch {
    int used;
    int fd;
    refdev_cb cb;
    void *arg;
};

struct plat_lookup;
struct plat_nts_ke;
struct plat_nke_server;

struct platform {
    struct env env;
    struct logger logger;
    struct plat_clock clock;
    struct plat_sock *socks; /* grown as needed; every fd < FD_SETSIZE */
    int n_socks, cap_socks;
    int client_fd_limit; /* first descriptor a client socket may not have */
    struct plat_refdev_watch refdev_watch[PLAT_MAX_REFDEV];
    /* logging */
    FILE *log_fp;
    char *log_path; /* -l FILE, for cyclelogs */
    int log_syslog;
    int log_stderr;
    /* resolver: results come back through a pipe */
    int resolve_pipe[2];
    pthread_mutex_t resolve_lock;
    struct plat_lookup *done_lookups;
    int pending_lookups;
    /* NTS-KE client sessions of the loop (nts_ke_client.c) */
    struct plat_nts_ke *nts_ke;
    /* NTS-KE server: listeners, sessions and server keys (nts_ke_server.c) */
    struct plat_nke_server *nts_ke_server;
    /* daemonize: pipe to the waiting parent */
    int ready_fd;
    volatile int stop;
    int family;
    int no_sendmmsg; /* sendmmsg failed as missing: one sendmsg per datagram */
    /* platform_set_dir_owner(): the run-as user the directories must belong to */
    int dir_owner_set;
    uid_t dir_uid;
    gid_t dir_gid;
    /* `hwtimestamp` enabled on some interface (hwts.c): UDP sockets ask for hardware
     * timestamps too (net.c) */
    int hwts_on;
};

/* Convert a system-clock timestamp (e.g. from the kernel) to the driver's time. */
void plat_clock_from_system(const struct plat_clock *c, const struct timespec *sys,
                            struct timespec *out);
void plat_clock_init(struct platform *p, enum platform_clock_kind kind, double offset);
void plat_net_init(struct platform *p);
void plat_hwts_init(struct platform *p);
void plat_net_fini(struct platform *p);
/* Receive every queued datagram on fd and hand each to the handler. */
void plat_net_receive(struct platform *p, int fd, const struct platform_handlers *h,
                      const struct timespec *wake);
/* Hand the events ready on a stream socket to its callback. */
void plat_stream_event(struct platform *p, int fd, int events);
/* Watch a descriptor the caller owns: cb(arg, fd, STREAM_EV_READ) when it is readable;
 * unwatch forgets it without closing it. */
int plat_watch_fd(struct platform *p, int fd, stream_cb cb, void *arg);
void plat_unwatch_fd(struct platform *p, int fd);
/* env.refdev: PPS and PHC devices (refdev.c). */
void plat_refdev_init(struct platform *p);
void plat_files_init(struct platform *p);
/* env.shm: System V shared memory (shmget/shmat). */
void plat_shm_init(struct platform *p);
/* Files through their directory's descriptor (files.c). openat() following a link at name
 * only when root or we own it; the parent directory of path opened, its last component in
 * name; the two together (O_NOFOLLOW in flags: no link at all); a temporary file made with O_EXCL
 * and renamed over path. Descriptors or 0, -1 with errno. */
int plat_openat_guarded(int dir, const char *name, int flags, unsigned mode);
int plat_open_parent(const char *path, char *name, size_t len);
int plat_open_file(const char *path, int flags, unsigned mode);
int plat_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* chrony's check of a secret file's permission bits against perm: 1 with the warning in
 * msg when bits outside perm are set on a regular file, 0 otherwise. */
int plat_file_permission_warning(const char *path, unsigned perm, char *msg, size_t len);
/* env.process: programs (the sendmail of mailonchange), host name, local time. */
void plat_process_init(struct platform *p);
void plat_resolver_init(struct platform *p);
/* env.rtc: the RTC device (rtc.c). */
void plat_rtc_init(struct platform *p);
void plat_resolver_fini(struct platform *p);
void plat_resolver_dispatch(struct platform *p);
/* Cryptographically strong random bytes (getrandom; aborts without an entropy source). */
void plat_random_fill(void *buf, size_t len);
void plat_nts_ke_init(struct platform *p);
void plat_nts_ke_fini(struct platform *p);
/* Before select(): add the sockets the NTS-KE client sessions wait on to rd or wr (raising
 * *maxfd). Returns the seconds until the earliest session deadline, -1 with no session. */
double plat_nts_ke_prepare(struct platform *p, fd_set *rd, fd_set *wr, int *maxfd);
/* After select(): step the sessions whose sockets are ready in rd/wr (NULL: none is), end
 * those past their deadline, and hand finished results to their callbacks. */
void plat_nts_ke_process(struct platform *p, const fd_set *rd, const fd_set *wr);
/* The NTS-KE server behind env.nts_ke_server; fini stops it (its sessions are dropped). */
void plat_nts_ke_server_init(struct platform *p);
void plat_nts_ke_server_fini(struct platform *p);
/* Before select(): add its listening sockets to rd and the sockets its sessions wait on to rd
 * or wr (raising *maxfd). Returns the seconds until the earliest session deadline, -1 with
 * no session. */
double plat_nts_ke_server_prepare(struct platform *p, fd_set *rd, fd_set *wr, int *maxfd);
/* After select(): step the sessions whose sockets are ready in rd/wr (NULL: none is), end
 * those past their deadline, and accept a connection on each listener ready in rd. */
void plat_nts_ke_server_process(struct platform *p, const fd_set *rd, const fd_set *wr);
void plat_log_init(struct platform *p, const struct platform_opts *o);
void plat_log_fini(struct platform *p);
void plat_log_cycle(void *ctx);
void plat_report_fatal_to_parent(struct platform *p, const char *msg);

#endif
