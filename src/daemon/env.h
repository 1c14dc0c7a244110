/* The environment table: the only way a node reaches the outside world.
 * Implementations: platform/ (Linux), the no-control clock (-x), the
 * simulator's virtual world (tests/sim) and the shared test fakes
 * (tests/support). Every operation takes the implementation's ctx first. */
#ifndef DAEMON_ENV_H
#define DAEMON_ENV_H

#include "lib/addr.h"
#include "lib/log.h"
#include "core/nts_server.h"
#include "proto/nts_ke.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* UDP/Unix endpoint. For Unix sockets ip.family is IPF_UNSPEC and path is set. */
struct net_addr {
    struct ip_addr ip;
    uint16_t port;
    char path[108];
};

enum rx_ts_source {
    RXTS_NONE = 0,   /* no timestamp: the wake-up time was used */
    RXTS_KERNEL = 1, /* kernel software timestamp (SO_TIMESTAMPING / SO_TIMESTAMPNS) */
    RXTS_HW = 2      /* NIC hardware timestamp */
};

struct net_rx {
    int sock; /* handle returned by udp_open / unix_open */
    const uint8_t *data;
    size_t len;
    struct net_addr remote;
    struct net_addr local; /* destination address of the datagram when known */
    struct timespec rx_ts; /* raw clock time of reception */
    enum rx_ts_source rx_ts_src;
    /* 1: not a received datagram but the kernel's report of one we sent on sock to remote
     * (from local): data/len are its first bytes (at least 96: the 48-byte NTP header, also
     * behind a 48-byte NTP-over-PTP prefix, when it had them), rx_ts/rx_ts_src the time it left
     * (SOF_TIMESTAMPING_TX_*). */
    int tx_ts;
    /* NIC hardware timestamp (raw, in the time of the interface's PHC), zero if none; the
     * daemon turns it into rx_ts (RXTS_HW) when it tracks that interface's clock. */
    struct timespec hw_ts;
    int if_index; /* interface the datagram came in or left on, 0 = unknown */
    int l2_len;   /* its length at layer 2 when the kernel tells, else 0 */
    /* Set by the daemon, not the platform (chrony's rx_duration and net_correction): the
     * time the frame took to arrive (s, with a hardware rx_ts and a known link speed, else
     * 0), and that plus the PTP correctionField of transparent clocks on the ptpport. */
    double rx_duration, net_correction;
};

/* Clock driver. Times are "raw": what the system clock reads now, before any
 * correction the core still intends to apply. */
struct env_clock {
    void *ctx;
    /* Read the (realtime) system clock. */
    void (*read)(void *ctx, struct timespec *out);
    /* 1 if the driver really controls the clock (0 for -x / read-only). */
    int (*can_control)(void *ctx);
    /* Set the frequency offset in ppm, positive = clock runs faster. Returns 0 on success. */
    int (*set_freq)(void *ctx, double freq_ppm);
    /* Currently applied frequency offset in ppm. */
    double (*get_freq)(void *ctx);
    /* Step the clock by -offset: offset in s, positive = clock was fast. Returns 0 on success. */
    int (*step)(void *ctx, double offset);
    /* Leap second pending: 0 none, 1 insert, -1 delete; tai_offset: TAI - UTC in s from
     * the leap table for the kernel (0 = unknown, leave it). */
    int (*set_leap)(void *ctx, int leap, int tai_offset);
    /* Tell the kernel whether the clock is synchronised (for RTC sync / STA_UNSYNC). */
    void (*set_sync_status)(void *ctx, int synced, double est_error, double max_error);
};

enum net_open_flags {
    NETF_SERVER = 1, /* bound listening socket (may share with others) */
    NETF_REUSE = 2,
    NETF_IPV6ONLY = 4,
    NETF_BROADCAST = 8,      /* may send to broadcast addresses (SO_BROADCAST) */
    NETF_TX_TIMESTAMPS = 16, /* datagrams sent with send_ts are reported when they left
                                (net_rx.tx_ts), if the system can */
    NETF_REUSEPORT = 32      /* shares its address with the sockets of the other serving
                                processes (SO_REUSEPORT: `serverworkers`) */
};

/* Options of a UDP socket from chrony.conf (binddevice, bindacqdevice, bindcmddevice,
 * dscp). */
struct net_sock_opts {
    const char *device; /* bound to this interface (SO_BINDTODEVICE) before the address;
                           NULL: any interface */
    int dscp;           /* 1-63: IP_TOS / IPV6_TCLASS of the packets sent = dscp << 2;
                           0: the system's default */
    int rcvbuf;         /* > 0: bytes asked for the receive buffer (SO_RCVBUF, within the
                           system's limit; never smaller than the default); 0: the default */
};

/* One datagram of a batch (env_net.send_batch). */
struct net_tx {
    int sock;
    const struct net_addr *remote;
    const struct net_addr *local; /* address to send from, or NULL */
    const void *buf;
    size_t len;
    int want_ts; /* 1: as send_ts (its transmit time reported later) */
    int failed;  /* set by send_batch: 1 if it could not be sent */
};

struct env_net {
    void *ctx;
    /* Open a UDP socket bound to local (ip UNSPEC with family hint via local->ip.family,
     * port 0 = ephemeral), with opts (NULL: none). Returns a handle >= 0 or -1 (errno-like
     * code in *err if non-NULL; a device that cannot be bound fails the open, as chrony). */
    int (*udp_open)(void *ctx, const struct net_addr *local, int flags,
                    const struct net_sock_opts *opts, int *err);
    /* Open a Unix datagram socket bound to path. Returns a handle or -1. */
    int (*unix_open)(void *ctx, const char *path, int *err);
    void (*close)(void *ctx, int sock);
    /* Send one datagram. local may be NULL or the address to send from. Returns 0 or -1. */
    int (*send)(void *ctx, int sock, const struct net_addr *remote, const struct net_addr *local,
                const void *buf, size_t len);
    /* As send, and on a socket opened with NETF_TX_TIMESTAMPS the time it left comes back
     * later as a net_rx with tx_ts set. NULL: only send (no transmit timestamps). */
    int (*send_ts)(void *ctx, int sock, const struct net_addr *remote, const struct net_addr *local,
                   const void *buf, size_t len);
    /* Send tx[0..n) in this order with as few system calls as the system allows (Linux:
     * one sendmmsg per run of datagrams on the same socket); sets tx[i].failed. NULL: the
     * caller sends one datagram at a time. */
    void (*send_batch)(void *ctx, struct net_tx *tx, int n);
};

/* Unix stream sockets (the ntp_signd client), non-blocking in the event loop. */
enum stream_event {
    STREAM_EV_READ = 1, /* readable: data, end of stream or an error to collect */
    STREAM_EV_WRITE = 2 /* writable (reported only while asked for with want_write) */
};

/* Called from the event loop with the events ready on sock (STREAM_EV_*). */
typedef void (*stream_cb)(void *arg, int sock, int events);

struct env_stream {
    void *ctx;
    /* Connect a non-blocking Unix stream socket to path (a Unix socket connects at once or
     * fails: nothing waits). Returns a handle >= 0, or -1 with an errno-like code in *err
     * (ENAMETOOLONG for a path too long). The loop then calls cb(arg, sock, events). */
    int (*unix_connect)(void *ctx, const char *path, stream_cb cb, void *arg, int *err);
    /* Ask for (on = 1) or stop asking for STREAM_EV_WRITE. */
    void (*want_write)(void *ctx, int sock, int on);
    /* Write up to len bytes: the count written, 0 if none could be now, -1 on an error. */
    long (*send)(void *ctx, int sock, const void *buf, size_t len);
    /* Read up to cap bytes: the count read, 0 if none is there now, -1 at the end of the
     * stream or on an error. */
    long (*recv)(void *ctx, int sock, void *buf, size_t cap);
    void (*close)(void *ctx, int sock);
    /* TCP (the metrics endpoint). NULL where the environment has none. */
    /* Listen on local; the loop calls cb(arg, sock, STREAM_EV_READ) while connections
     * wait. Returns a handle >= 0, or -1 with an errno-like code in *err. */
    int (*tcp_listen)(void *ctx, const struct net_addr *local, stream_cb cb, void *arg, int *err);
    /* Accept one waiting connection as a non-blocking stream whose events go to cb(arg, ...):
     * its handle, the peer in *remote; -1 when none waits or it failed. */
    int (*tcp_accept)(void *ctx, int listener, struct net_addr *remote, stream_cb cb, void *arg);
    /* Stop (on = 0) or resume (on = 1) asking for STREAM_EV_READ (asked from the start). */
    void (*want_read)(void *ctx, int sock, int on);
};

/* Files: whole-file reads and atomic replacement (temp file + rename). */
struct env_files {
    void *ctx;
    /* Returns a malloc'd, NUL-terminated buffer (len excludes the NUL) or NULL. */
    char *(*read_all)(void *ctx, const char *path, size_t *len);
    /* Atomically replace path. Returns 0 on success. */
    int (*write_atomic)(void *ctx, const char *path, const void *data, size_t len);
    /* Append data to a file (log files). Returns 0 on success. */
    int (*append)(void *ctx, const char *path, const void *data, size_t len);
    /* Paths matching a shell glob pattern, sorted; *n set to the count. The array and
     * each string are malloc'd (caller frees). NULL with *n = 0 when nothing matches,
     * NULL with *n = -1 when the search failed (a directory that cannot be read). */
    char **(*list_glob)(void *ctx, const char *pattern, int *n);
    /* Create directory path with mode if missing, then verify that its permission bits
     * have nothing outside mode and that it is owned by this process's uid/gid.
     * Returns 0 when usable; -1 otherwise (a reason in err). */
    int (*prepare_dir)(void *ctx, const char *path, unsigned mode, char *err, size_t errlen);
    /* Remove a file; missing files are not an error. Returns 0 on success, -1 with errno
     * set otherwise. */
    int (*remove)(void *ctx, const char *path);
    /* As write_atomic, readable by the owner only (key material). NULL: use write_atomic. */
    int (*write_private)(void *ctx, const char *path, const void *data, size_t len);
    /* chronyc cyclelogs: reopen the daemon's own log file (chronyd -l) when nothing is at
     * its path any more (moved away by log rotation); otherwise keep the open one, as
     * chrony does. NULL: the daemon has no such file. */
    void (*cycle_log)(void *ctx);
    /* Warn, as chrony does, when path is a regular file with permission bits outside perm
     * ("World-readable permissions on PATH"). NULL: no file modes here. */
    void (*check_perms)(void *ctx, const char *path, unsigned perm);
    /* Last modification time of path (s since 1970), or -1 when it cannot be known. NULL:
     * never known. */
    long long (*mtime)(void *ctx, const char *path);
};

typedef void (*resolve_cb)(void *arg, int status, const struct ip_addr *addrs, int n);

struct env_resolver {
    void *ctx;
    /* Start an asynchronous lookup; cb is called later from the event loop
     * (status 0 = success, 1 = try again later, 2 = permanent failure).
     * family IPF_UNSPEC means both. Returns 0 if started. */
    int (*resolve)(void *ctx, const char *name, enum ip_family family, resolve_cb cb, void *arg);
};

/* Options of one NTS-KE session (chrony.conf ntstrustedcerts, nosystemcert,
 * nocerttimecheck). */
struct nts_ke_session_opts {
    const char *const *trusted_certs; /* PEM files or directories, may be NULL */
    size_t n_trusted_certs;
    int no_system_certs;    /* do not trust the system's CA store */
    int no_cert_time_check; /* accept certificates outside their validity period */
    double time_offset;     /* s, the daemon's time minus env clock time: certificates are
                               checked at the daemon's time, as chrony's GnuTLS clock */
    const int *aeads;       /* offered AEAD ids, in order of preference */
    int n_aeads;
    double timeout; /* s, whole exchange */
    /* bindacqaddress (the family's; IPF_UNSPEC or the any address: not bound) and
     * bindacqdevice (NULL or "": none) for the TCP connection, as chrony's NTS-KE client. */
    struct ip_addr bind4, bind6;
    const char *device;
};

/* Result of one NTS-KE session; status 0 = success, then resp and keys are set. */
struct nts_ke_session_result {
    int status;
    char error[256]; /* for the log, when status != 0 */
    struct nts_ke_response resp;
    uint8_t c2s[NTS_MAX_KEY_LEN], s2c[NTS_MAX_KEY_LEN];
    size_t key_len;
};

typedef void (*nts_ke_cb)(void *arg, const struct nts_ke_session_result *r);

struct env_nts_ke {
    void *ctx;
    /* Run an NTS-KE exchange (TLS 1.3, ALPN ntske/1, server certificate checked against
     * host) with addr:port as a non-blocking session of the event loop; cb is called later
     * from the loop with the result (never from start). Returns 0 if started. */
    int (*start)(void *ctx, const char *host, const struct net_addr *addr,
                 const struct nts_ke_session_opts *opts, nts_ke_cb cb, void *arg);
    /* Abandon the session started with arg: its callback will not be called. */
    void (*cancel)(void *ctx, void *arg);
};

/* The NTS-KE server (RFC 8915 §4): TLS 1.3 on `ntsport`, sessions stepped by the event loop. */
struct nts_ke_server_opts {
    const char *const *certs; /* ntsservercert files (PEM), paired with keys */
    const char *const *keys;  /* ntsserverkey files */
    size_t n_certs;
    struct ip_addr bind4, bind6; /* bindaddress (family IPF_UNSPEC = any) */
    const char *device;          /* binddevice (NULL or "": none) */
    int port;                    /* ntsport */
    int family;                  /* 0 both, 4 or 6 (-4/-6) */
    const int *aeads;            /* AEADs the server accepts, in order of preference */
    int n_aeads;
    const char *ntp_server; /* ntsntpserver (Server Negotiation record), NULL if none */
    int ntp_port;           /* our NTP `port` (Port Negotiation record unless 123) */
    int max_connections;    /* ntsprocesses/maxntsconnections bound on sessions at once */
    /* Asked from the event loop for each accepted connection (allow/deny, ntsratelimit):
     * NULL to serve it, else why it is closed at once (a debug message). NULL: serve all. */
    const char *(*admit)(void *arg, const struct ip_addr *ip);
    void *admit_arg;
    /* ntsprocesses: 2 or more runs the sessions in that many forked helper processes (each
     * up to max_connections sessions), which then switch to user and apply the -F filter
     * level scfilter (0 none); 0 or 1 keeps them in this process. */
    int processes;
    const char *user;
    int scfilter;
};

struct env_nts_ke_server {
    void *ctx;
    /* Listen and serve until stop. Returns 0, or -1 with a message in err. */
    int (*start)(void *ctx, const struct nts_ke_server_opts *o, char *err, size_t errlen);
    /* Replace the keys that seal new cookies (copied; sessions use them from then on). */
    void (*set_keys)(void *ctx, const struct nts_server_keys *keys);
    /* Connections accepted and dropped (serverstats NTS-KE counters). */
    void (*get_stats)(void *ctx, uint64_t *accepted, uint64_t *dropped);
    void (*stop)(void *ctx);
};

struct env_random {
    void *ctx;
    /* Cryptographically strong random bytes (getrandom on Linux). */
    void (*bytes)(void *ctx, void *buf, size_t len);
};

/* Programs of the host and what a mail about the host needs (mailonchange). */
struct env_process {
    void *ctx;
    /* Start the program path with argv (argv[0] first, NULL-terminated), its standard input
     * fed input[0..len) (at most 4096 bytes) and then closed, and return without waiting for
     * it to end. Returns 0 if it was started, -1 if not. NULL: programs cannot be run. */
    int (*run_with_input)(void *ctx, const char *path, const char *const *argv, const void *input,
                          size_t len);
    /* This host's name into buf (terminated). Returns 0, or -1 if unknown. */
    int (*hostname)(void *ctx, char *buf, size_t len);
    /* strftime(fmt) of t (s since 1970-01-01 UTC) in the local time zone. Returns the length
     * written, 0 on failure. */
    size_t (*format_local_time)(void *ctx, long long t, const char *fmt, char *buf, size_t len);
};

/* What reference clock drivers need of the host: System V shared memory segments (the
 * SHM driver) and the daemon's time of the host's system clock readings (the timestamps
 * of writers such as gpsd). */
struct env_shm {
    void *ctx;
    /* The segment of key, created with permissions perm (e.g. 0600) if missing and at
     * least size bytes, attached read-write. Returns its address, or NULL with chrony's
     * message ("shmget() failed : ...", "shmat() failed : ...") in err. */
    void *(*attach)(void *ctx, int key, size_t size, int perm, char *err, size_t errlen);
    void (*detach)(void *ctx, void *addr);
    /* The raw time (env_clock's) of a reading sys of the host's system clock; NULL: the
     * same (the clock driver reads the system clock). */
    void (*from_system)(void *ctx, const struct timespec *sys, struct timespec *raw);
};

/* Kernel reference clock devices (the PPS and PHC refclock drivers): a PPS source of RFC
 * 2783 (/dev/ppsN) and a PTP hardware clock (/dev/ptpN). Times of the system clock are the
 * host's (map them with shm.from_system). */
struct env_refdev_phc_reading {
    struct timespec before, phc, after; /* system, PHC, system (before == after: crossts) */
};
typedef void (*refdev_cb)(void *arg, int dev);

struct env_refdev {
    void *ctx;
    /* Open the PPS device path for the assert (clear = 0) or clear edge. Returns a handle
     * >= 0, or -1 with chrony's fatal message in err ("Could not open PATH : ..."). */
    int (*pps_open)(void *ctx, const char *path, int clear, char *err, size_t errlen);
    /* The newest edge's sequence number and system time (no waiting). Returns 1 with an edge,
     * 0 with none yet, -1 on an error (message in err). */
    int (*pps_fetch)(void *ctx, int dev, int clear, uint32_t *seq, struct timespec *ts, char *err,
                     size_t errlen);
    /* Open the PHC path read-only (rw = 1: read-write, for extts). -1 with the message. */
    int (*phc_open)(void *ctx, const char *path, int rw, char *err, size_t errlen);
    /* Up to max readings: cross timestamps unless nocrossts, else the extended, else the
     * basic offset request; *mode (0 at first) keeps the way that worked (KDEV_PHC_*).
     * Returns the count (0: none). */
    int (*phc_read)(void *ctx, int dev, int nocrossts, int *mode,
                    struct env_refdev_phc_reading *out, int max);
    /* External timestamps of channel (pin set to it), edges rising/falling; enable 0 turns them
     * off. While on, the loop calls cb(arg, dev) when an event can be read. Returns 0 or -1. */
    int (*phc_extts)(void *ctx, int dev, int pin, int channel, int rising, int falling, int enable,
                     refdev_cb cb, void *arg);
    /* One waiting event: 1 with its PHC time and channel, 0 if none. */
    int (*phc_extts_read)(void *ctx, int dev, struct timespec *phc, int *channel);
    void (*close)(void *ctx, int dev);
};

/* The real-time clock (rtcfile, chronyd -s): one device at a time. Times are s since
 * 1970 UTC; the driver converts from and to the RTC's local time when utc is 0. */
struct env_rtc {
    void *ctx;
    /* Open device for the update edges: cb(arg, h, STREAM_EV_READ) is called from the loop
     * when the device is readable. Returns a handle >= 0, or -1 with an errno-like code in
     * *err. cb NULL: opened only to read the time (chronyd -s). */
    int (*open)(void *ctx, const char *device, stream_cb cb, void *arg, int *err);
    /* Turn the update interrupts on or off. 0, or -1 with an errno-like code in *err. */
    int (*set_uie)(void *ctx, int h, int on, int *err);
    /* After cb: collect the interrupt. 1 an update edge, 0 something else, -1 error. */
    int (*read_edge)(void *ctx, int h, int *err);
    /* Read the RTC (twice until both agree on the second). 0, or -1. */
    int (*read_time)(void *ctx, int h, int utc, long long *t, int *err);
    /* Set the RTC to t. 0, or -1. */
    int (*set_time)(void *ctx, int h, int utc, long long t);
    void (*close)(void *ctx, int h);
};

/* NIC hardware timestamping (`hwtimestamp`, chrony's ntp_io_linux.c). The interface's PHC
 * is then read through env_refdev.phc_open with the interface's name. */
struct env_hwts_info {
    int if_index;
    int rx_filter; /* the receive filter in use (HWTS_FILTER_*; NONE: transmit only) */
};

struct env_hwts {
    void *ctx;
    /* Enable hardware timestamping on interface name with the `rxfilter` option rxfilter
     * (HWTS_RXF_*) as chrony: 1 with *info; 0 if the interface cannot (why is logged).
     * UDP sockets opened afterwards ask for hardware timestamps (net_rx.hw_ts). */
    int (*enable)(void *ctx, const char *name, int rxfilter, struct env_hwts_info *info);
    /* The host's interfaces (for `*`): a malloc'd array of malloc'd names, *n set. */
    char **(*list)(void *ctx, int *n);
    /* The link speed of name in Mb/s, 0 if unknown. */
    int (*link_speed)(void *ctx, const char *name);
};

struct env {
    struct env_clock clock;
    struct env_net net;
    struct env_stream stream; /* unix_connect == NULL: no stream sockets */
    struct env_files files;
    struct env_resolver resolver;
    struct env_random random;
    struct env_nts_ke nts_ke;               /* start == NULL: no NTS */
    struct env_nts_ke_server nts_ke_server; /* start == NULL: no NTS server */
    struct env_process process;             /* run_with_input == NULL: no programs */
    struct env_shm shm;                     /* attach == NULL: no shared memory */
    struct env_refdev refdev;               /* pps_open == NULL: no such devices */
    struct env_rtc rtc;                     /* open == NULL: no RTC */
    struct env_hwts hwts;                   /* enable == NULL: no hardware timestamps */
    const struct logger *log;
};

#endif
