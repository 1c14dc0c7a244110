/* chronyd's configuration: chrony.conf (chrony 4.8 directives) parsed once into an
 * immutable struct config holding plain values and arrays, with chrony's defaults. */
#ifndef DAEMON_CONFIG_H
#define DAEMON_CONFIG_H

#include "core/access.h"
#include "daemon/env.h"
#include "lib/addr.h"
#include "proto/source_opts.h" /* struct source_cfg, CFG_SEL_*, CFG_EF_* */

#include <stddef.h>
#include <stdint.h>

/* One bit per option of the `log` directive. */
#define CFG_LOG_MEASUREMENTS 0x01u
#define CFG_LOG_STATISTICS 0x02u
#define CFG_LOG_TRACKING 0x04u
#define CFG_LOG_RTC 0x08u
#define CFG_LOG_REFCLOCKS 0x10u
#define CFG_LOG_TEMPCOMP 0x20u
#define CFG_LOG_SELECTION 0x40u
#define CFG_LOG_RAWMEASUREMENTS 0x80u /* also sets CFG_LOG_MEASUREMENTS */

/* Monitoring commands open to the network (`opencommands`). */
#define CFG_OPEN_ACTIVITY 0x0001u
#define CFG_OPEN_AUTHDATA 0x0002u
#define CFG_OPEN_CLIENTS 0x0004u
#define CFG_OPEN_MANUAL 0x0008u
#define CFG_OPEN_NTPDATA 0x0010u
#define CFG_OPEN_RTCDATA 0x0020u
#define CFG_OPEN_SELECTDATA 0x0040u
#define CFG_OPEN_SERVERSTATS 0x0080u
#define CFG_OPEN_SMOOTHING 0x0100u
#define CFG_OPEN_SOURCENAME 0x0200u
#define CFG_OPEN_SOURCES 0x0400u
#define CFG_OPEN_SOURCESTATS 0x0800u
#define CFG_OPEN_TRACKING 0x1000u

/* refclock DRIVER PARAMETER [option]... */
struct refclock_cfg {
    char *driver, *param;
    int poll;          /* 4 */
    int dpoll;         /* 0 */
    int filter_length; /* 64 */
    int local, pps_forced, tai;
    int pps_rate;                 /* 0 = auto */
    int min_samples, max_samples; /* -1 */
    int sel_options;
    int stratum;                                                  /* 0 */
    int max_lock_age;                                             /* 2 */
    int max_unreach;                                              /* 100000 */
    uint32_t ref_id, lock_ref_id;                                 /* 0 = none */
    double offset, delay, precision, max_dispersion, pulse_width; /* 0, 1e-9, 0, 0, 0 */
};

enum cfg_hwts_rxfilter {
    CFG_HWTS_RXFILTER_ANY = 0,
    CFG_HWTS_RXFILTER_NONE,
    CFG_HWTS_RXFILTER_NTP,
    CFG_HWTS_RXFILTER_PTP,
    CFG_HWTS_RXFILTER_ALL
};

struct hwts_cfg {
    char *name; /* interface name or "*" */
    int minpoll, maxpoll, min_samples, max_samples, nocrossts;
    enum cfg_hwts_rxfilter rxfilter;
    double precision, tx_comp, rx_comp;
};

struct broadcast_cfg {
    struct ip_addr ip;
    int port;     /* 123 */
    int interval; /* s */
};

/* ratelimit / cmdratelimit / ntsratelimit. interval and leak are log2 values,
 * burst a count; the rate limiter clamps them to its own bounds. */
struct ratelimit_cfg {
    int enabled;
    int interval, burst, leak;
    int kod; /* ratelimit only: 0 = no KoD RATE responses */
};

enum cfg_leapsec_mode { CFG_LEAP_SYSTEM = 0, CFG_LEAP_SLEW, CFG_LEAP_STEP, CFG_LEAP_IGNORE };
enum cfg_authselect_mode {
    CFG_AUTHSELECT_REQUIRE = 0,
    CFG_AUTHSELECT_PREFER,
    CFG_AUTHSELECT_MIX,
    CFG_AUTHSELECT_IGNORE
};

struct config {
    /* Set by the daemon before parsing: a host name of an access rule (allow, deny,
     * cmdallow, cmddeny, metricsallow, metricsdeny) is looked up while its line is parsed,
     * as chrony does (the first address; 0 on success), and a name that does not resolve
     * fails the line. NULL (tests): the name is kept in the rule, unresolved. */
    int (*resolve_host)(const char *name, struct ip_addr *out);
    int restarted;   /* -R: initstepslew ignored, makestep limit dropped */
    int client_only; /* -q/-Q */

    /* NTP server and client sockets */
    int port;                              /* 123; 0 disables the server port */
    int acquisition_port;                  /* -1 = separate ephemeral ports */
    struct ip_addr bind_addr4, bind_addr6; /* IPF_UNSPEC = any */
    struct ip_addr bind_acq_addr4, bind_acq_addr6;
    char *bind_device, *bind_acq_device, *bind_cmd_device;
    int dscp;       /* 0 */
    int ptp_port;   /* 0 = disabled */
    int ptp_domain; /* 123 */

    /* Command socket */
    int cmdport;                                 /* 323 */
    struct ip_addr bindcmd_addr4, bindcmd_addr6; /* IPF_UNSPEC = loopback */
    char *bindcmd_path;     /* CHRONY_RUNDIR "/chronyd.sock"; NULL = disabled */
    unsigned open_commands; /* CFG_OPEN_* */

    struct access_rule *ntp_rules, *cmd_rules;
    size_t n_ntp_rules, n_cmd_rules;

    /* Prometheus metrics endpoint (ours): metricsport, bindmetricsaddress,
     * metricsallow/metricsdeny */
    int metrics_port;                                    /* 0 = disabled */
    struct ip_addr bindmetrics_addr4, bindmetrics_addr6; /* IPF_UNSPEC = loopback */
    struct access_rule *metrics_rules;
    size_t n_metrics_rules;
    struct ratelimit_cfg ratelimit, cmdratelimit, ntsratelimit;
    int noclientlog;
    int authonly;                 /* ours: serve only NTS- or key-authenticated requests */
    int server_batch;             /* ours: replies sent together at most (1: each at once), 32 */
    int server_workers;           /* ours: processes answering NTP requests (1: this one) */
    unsigned long clientloglimit; /* bytes, 524288 */

    struct source_cfg *sources;
    size_t n_sources;
    char **source_dirs; /* sourcedir lines, each "DIR [DIR]..." as written */
    size_t n_source_dirs;
    struct refclock_cfg *refclocks;
    size_t n_refclocks;
    struct broadcast_cfg *broadcasts;
    size_t n_broadcasts;
    struct hwts_cfg *hwts;
    size_t n_hwts;
    double hwts_timeout; /* s, 0.001 */

    /* initstepslew THRESHOLD HOST...: names resolved by the daemon at start */
    int initstepslew_enabled;
    double initstepslew_threshold;
    char **initstepslew_hosts;
    size_t n_initstepslew_hosts;

    /* local reference */
    struct local_cfg {
        int enabled, stratum, orphan;
        double distance, activate, wait_synced, wait_unsynced;
    } local;
    int manual;

    /* clock discipline */
    double makestep_threshold; /* s */
    int makestep_limit;        /* 0 = never step */
    double maxchange_offset;   /* s */
    int maxchange_delay;       /* -1 = disabled */
    int maxchange_ignore;
    double maxupdateskew;                     /* ppm, 1000 */
    double maxdrift;                          /* ppm, 500000 */
    double maxslewrate;                       /* ppm, 1e6/12 */
    double maxclockerror;                     /* ppm, 1.0 */
    double corrtimeratio;                     /* 3.0 */
    double clockprecision;                    /* s, 0 = measure */
    int fallbackdrift_min, fallbackdrift_max; /* log2 s, 0 = disabled */
    double smooth_max_freq;                   /* ppm, 0 = disabled */
    double smooth_max_wander;                 /* ppm/s */
    int smooth_leap_only;
    enum cfg_leapsec_mode leapsecmode;
    char *leapsectz, *leapseclist;
    double logchange; /* s, 1.0 */
    char *mailonchange_user;
    double mailonchange_threshold;

    /* source selection */
    int minsources;       /* 1 */
    double maxdistance;   /* s, 3.0 */
    double maxjitter;     /* s, 1.0 */
    double reselectdist;  /* s, 1e-4 */
    double stratumweight; /* s, 1e-3 */
    double combinelimit;  /* 3.0 */
    int minsamples;       /* 6 */
    int maxsamples;       /* 0 = no limit */
    enum cfg_authselect_mode authselectmode;
    int refresh; /* s, 1209600 */

    /* files and logging */
    char *pidfile; /* CHRONY_RUNDIR "/chronyd.pid"; NULL = none */
    char *driftfile;
    int driftfile_interval; /* s, 3600 */
    char *logdir, *dumpdir, *keyfile, *user;
    unsigned log_flags; /* CFG_LOG_* */
    int logbanner;      /* 32 */

    /* RTC */
    char *rtcfile, *rtcdevice, *hwclockfile;
    int rtconutc, rtcsync;
    double rtcautotrim; /* s, 0 = disabled */

    /* temperature compensation: point form when point_file is set */
    char *tempcomp_sensor, *tempcomp_point_file;
    double tempcomp_interval, tempcomp_t0, tempcomp_k0, tempcomp_k1, tempcomp_k2;

    /* system */
    int sched_priority; /* 0 */
    int lock_all;
    char *ntpsigndsocket;

    /* NTS */
    int *nts_aeads; /* AEAD algorithm ids, default 30 15 */
    size_t n_nts_aeads;
    char *nts_dump_dir, *nts_ntp_server;
    char **nts_server_certs, **nts_server_keys;
    size_t n_nts_server_certs, n_nts_server_keys;
    char **nts_trusted_certs;
    uint32_t *nts_trusted_cert_ids;
    size_t n_nts_trusted_certs;
    int nts_port;            /* 4460 */
    int nts_processes;       /* 1 */
    int nts_max_connections; /* 100 */
    int nts_refresh;         /* s, 2419200 */
    int nts_rotate;          /* s, 604800 */
    int nocerttimecheck;     /* 0 */
    int nosystemcert;

    /* Warnings the caller should log (e.g. obsolete directives), in order. */
    char **warnings;
    size_t n_warnings;

    /* Lines as chronyd -p prints them (normalised, include/confdir left out). */
    char **print_lines;
    size_t n_print_lines;
};

/* A configuration with chrony's defaults. Free with config_free (NULL is a no-op). */
struct config *config_new(void);
/* As config_new, for chronyd -R (restarted) and -q/-Q (client_only: no server or
 * command port, no command socket, no pidfile). */
struct config *config_new_opts(int restarted, int client_only);
void config_free(struct config *cfg);

/* Parse a whole file; files named by include/confdir are read through files.
 * Returns 0 on success, -1 with chrony's message in err (the caller prints it as a
 * fatal error and exits non-zero). */
int config_parse_file(struct config *cfg, const char *path, const struct env_files *files,
                      char *err, size_t errlen);

/* Parse one line: file NULL for lines from the command line (lineno = position). */
int config_parse_line(struct config *cfg, const char *line, const char *file, int lineno,
                      const struct env_files *files, char *err, size_t errlen);

/* The text `chronyd -p` prints: every parsed directive line, normalised, one per
 * line, include and confdir lines replaced by the lines they read. malloc'd. */
char *config_format(const struct config *cfg);

/* Checks chrony makes after parsing, when the daemon sets itself up (not for -p):
 * "Bad subnet in ADDR/BITS" for an allow/deny/cmdallow/cmddeny prefix longer than
 * its address, "unknown refclock driver X" and "Invalid refclock driver option X"
 * (chrony's, when it adds the refclock). Returns 0, or -1 with the message in err (a
 * fatal error). */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/* Read the *.sources files of every sourcedir (chronyd start and "reload sources"):
 * server/pool/peer lines only, invalid lines skipped. Returns the count and a
 * malloc'd array in *out (free with config_free_sources). */
size_t config_load_sourcedirs(const struct config *cfg, const struct env_files *files,
                              struct source_cfg **out);
void config_free_sources(struct source_cfg *sources, size_t n);

/* Build an access table from the allow/deny (or cmdallow/cmddeny) rules; hostname
 * rules must have been resolved into ip already (unresolved ones are skipped).
 * Returns NULL with "Bad subnet in ADDR/BITS" in err on an impossible prefix. */
struct access_table *config_build_access(const struct access_rule *rules, size_t n, char *err,
                                         size_t errlen);

#endif
