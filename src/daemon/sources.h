/* The node's time sources (`server`, `pool` and `peer` directives): name resolution,
 * a client socket per request (as chrony), NTS-KE sessions; the datagrams from the
 * sources go to the engine (core/engine, which owns their protocol state, statistics and
 * selection), whose outcomes are performed here (sources_engine.c). Also the data behind chronyc
 * sources/sourcestats/ntpdata/selectdata/activity and the run-time source commands. */
#ifndef DAEMON_SOURCES_H
#define DAEMON_SOURCES_H

#include "core/engine.h"
#include "core/nts_client.h"
#include "daemon/env.h"
#include "daemon/sources_index.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct keys;
struct logfiles;
struct ntp_serve;
struct reference;
struct sched;
struct source_cfg;

/* How the daemon's run ends. The node owns it (node_quit_requested() and friends read it);
 * the sources set it from the engine's outcomes (-q/-Q), the `shutdown` command too. */
struct node_status {
    int quit_requested; /* the loop should exit */
    int quit_mode_done; /* -q/-Q: the one measurement was made */
    int exit_status;    /* for main: 1 after a failed -q/-Q run */
    int init_running;   /* initstepslew runs: the foreground process waits for its end */
};

/* One NTP source with a known address, the daemon's side of the engine's source of the
 * same index. Owned by struct sources. */
struct source {
    struct sources *srcs;
    int index;                      /* in sources->v while it is there (sources_index) */
    int cfg_index;                  /* index of its directive in sources->cfgs */
    char *name;                     /* as written in the directive */
    struct net_addr remote;         /* resolved address and port */
    struct ip_addr local;           /* where its last valid response arrived (chronyc ntpdata) */
    int symmetric;                  /* `peer`: symmetric mode */
    int on_server_socket;           /* sends from the server socket: a peer, or a client with
                                     * `acquisitionport` equal to `port` */
    int sock;                       /* client socket, -1 if not open */
    uint64_t rx_timer;              /* closes a client socket no response can pass on */
    int sock_failed;                /* its last socket could not be opened (logged once) */
    int replacing;                  /* a lookup for a replacement address is pending */
    struct timespec last_resolving; /* raw, when its name was last looked up */
    uint64_t serial;                /* unique per source, for callbacks that may outlive it */
    /* `nts` (sources_nts.c) */
    int nts_on;
    struct nts_client nts;
    struct ip_addr ke_ip; /* NTS-KE server: the address the name resolved to */
    int nts_ke_port;
    const char **nts_certs; /* `ntstrustedcerts` of the source's set (strings not owned) */
    size_t n_nts_certs;
    int nts_aeads[4];
    int n_nts_aeads;
    void *nts_ke_req;         /* the callback argument of its running NTS-KE session, or NULL */
    void *nts_lookup;         /* the lookup of a negotiated NTP server name, or NULL */
    struct source_held *held; /* hwtstimeout: a response waiting for the hardware transmit
                               * timestamp of its request (sources_engine.c), or NULL */
    int refclock;             /* a reference clock (refclocks.c): no directive slot (cfg_index -1),
                               * no socket; named by its reference ID, remote.ip holds it as IPv4 */
    int addr_indexed;         /* in sources->by_addr (sources_set_address keeps it there) */
};

/* Placeholders of a pool while its name resolves: chrony's 2 x maxsources, at most 16. */
#define SOURCES_MAX_PLACEHOLDERS 16

/* A directive (server/pool) and its lookup state. */
struct source_entry {
    const struct source_cfg *cfg;
    int resolving; /* a lookup is pending */
    int failed;    /* the name could not be resolved */
    int n_active;  /* sources created from it */
    struct sources *srcs;
    uint64_t retry_timer;
    double retry_interval;  /* s, of the next lookup retry */
    struct source_cfg *own; /* added at run time (add, sourcedir): owned copy, cfg = own */
    int from_sourcedir;     /* loaded from a sourcedir file (reload sources) */
    uint64_t seq;           /* the order directives were added in: chronyc sources order */
    /* chrony's unresolved sources: while a name has given no source, the directive shows
     * as placeholders with these IDs (chronyc `ID#0000000001`), in its place. */
    uint32_t ids[SOURCES_MAX_PLACEHOLDERS];
    int n_ids;
};

/* Directive slots beyond the configuration for sources added at run time
 * (chronyc add, sourcedir files): more answers "Too many sources present". */
#define SOURCES_MAX_RUNTIME 256

/* Outcomes being performed at once: an event, and the events it causes. */
#define SOURCES_OUT_DEPTH 4

struct sources {
    /* What it uses of the others (not owned), set by node_new before sources_init. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;        /* lookup retries, the engine's timer */
    struct engine *engine;      /* the sources' protocol state, statistics, selection */
    struct reference *ref;      /* clock commands, drift file, clock messages, tracking */
    struct ntp_serve *serve;    /* the server sockets `peer` sources send from */
    struct logfiles *logs;      /* measurements, statistics, selection logs */
    const struct keys *keys;    /* `key` authentication */
    struct node_status *status; /* the end of the run (-q/-Q), set from the engine */
    int family;                 /* chronyd -4/-6: 4 or 6, 0 for both */
    int quit_mode;              /* chronyd -q/-Q: 1/2, 0 without */
    int reload_dumps;           /* chronyd -r: load the dumpdir files */
    int hwts_enabled;           /* some interface timestamps in hardware (hwtstimeout) */
    /* Told of each change of the raw timescale the sources make (NULL: nobody): at raw_now
     * the frequency changed by dfreq (fraction, positive = faster) and raw readings moved by
     * -shift s (a step). The NIC clocks' tracking follows it (hwts.c). */
    void (*clock_hook)(void *arg, const struct timespec *raw_now, double dfreq, double shift);
    void *clock_hook_arg;
    struct source_entry *entries;
    size_t n_entries;
    struct source **v; /* index = the engine's index */
    int n, cap;
    struct sources_addr_index by_addr; /* the NTP sources of v by remote.ip (sources_find) */
    struct timespec next_replacement;  /* raw time before which no replacement is looked up */
    int have_next_replacement;
    size_t cap_entries; /* allocated directive slots (entries never move) */
    /* Deleted sources whose replacement lookup is still pending (freed at fini). */
    struct source **zombies;
    int n_zombies;
    uint64_t next_serial;         /* of the next source created */
    uint64_t next_entry_seq;      /* of the next directive added */
    uint32_t last_address_id;     /* of the last placeholder (chrony's last_address_id) */
    int dump_reload_pending;      /* dumpdir files wait for the first round of lookups */
    size_t first_round_pos;       /* entries below it have had their first lookup's result
                                   * (check_first_round; sources_entry_setup lowers it) */
    uint64_t engine_timer;        /* sched id of the engine's timer */
    struct timespec last_refresh; /* raw, of the last `refresh` of a name */
    int have_last_refresh;
    /* The outcomes of engine events, reused (no allocation once warm); an event handled
     * while another's outcome is performed takes the next one. */
    struct engine_out outs[SOURCES_OUT_DEPTH];
    int out_depth;
    /* initstepslew (sources_init.c): while its hosts are polled, the configured sources
     * wait (init_phase); lookups of its names still pending, sources it added, the timer
     * of the start of normal operation; the configured directives were added (cfg_added)
     * from slot cfg_first. */
    int init_phase, init_pending, init_added;
    uint64_t init_timer;
    struct sources_init_lookup *init_lookups;
    int cfg_added;
    size_t cfg_first;
    char log_ref_name[64];      /* the reference named in tracking.log */
    struct timespec start_time; /* raw, node start: when a `local` reference activates */
    /* The rows of chronyc sources (sources_rows.c), built when asked for after a change:
     * chronyc asks for them one request per row. */
    struct source_row *rows;
    int n_rows, rows_valid, rows_n;
    size_t rows_n_entries;
    /* By descriptor: the source whose client socket it is, and how many sources send
     * from it when it is a server socket (peers): a datagram finds its source without a
     * scan of every source (sources_open_socket and sources_close_socket keep them). */
    struct sources_sock_use *sock_use;
    size_t n_sock_use;
};

struct sources_sock_use {
    struct source *owner; /* the source of a client socket, or NULL */
    int n_shared;         /* sources on this server socket */
};

/* NTS of a source (sources_nts.c): set up from its directive, freed with it, and before
 * each transmission: start an NTS-KE session when due, give the request random bytes. */
void sources_nts_attach(struct sources *ss, struct source *s, const struct source_cfg *sc);
void sources_nts_detach(struct source *s);
/* A new server address: abandon its NTS-KE session, keys and cookies. */
void sources_nts_reset(struct source *s);
void sources_nts_prepare(struct source *s, const struct timespec *now);

/* The engine's outcomes (sources_engine.c): perform out's actions in order (by index:
 * performing may append), then re-arm the engine's timer. */
void sources_perform(struct sources *ss, struct engine_out *out, const struct timespec *raw_now);
/* An empty outcome for one engine event; sources_out_end() performs it (sources_perform)
 * and releases it. */
struct engine_out *sources_out_begin(struct sources *ss);
void sources_out_end(struct sources *ss, const struct timespec *raw_now);
/* (Re)arm the scheduler's timer of the engine at its earliest deadline. */
void sources_rearm_engine(struct sources *ss);
/* Start of a wake-up at raw time now: a jump of the clock is logged as chrony does and
 * the engine starts afresh. Returns 1 if a jump was detected. */
int sources_on_wake(struct sources *ss, const struct timespec *now);
/* The loop will wake at raw time `when` at the latest (node_next_timeout). */
void sources_expect_wake(struct sources *ss, const struct timespec *when);
/* The engine's state of source index (reports, dump files); NULL if out of range. */
const struct engine_source *sources_engine_part(const struct sources *ss, int index);

/* Command handlers of the reports and the source and clock control commands
 * (sources_report.c; the command table is node_commands.c). */
struct cmdmon_request;
struct cmdmon_reply;
/* N_SOURCES */
void sources_h_n_sources(struct sources *ss, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy);
/* SOURCE_DATA, SOURCESTATS, SELECT_DATA */
void sources_h_indexed(struct sources *ss, const struct cmdmon_request *req,
                       const struct timespec *now, struct cmdmon_reply *rpy);
/* NTP_DATA, NTP_SOURCE_NAME, AUTH_DATA */
void sources_h_addressed(struct sources *ss, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy);
/* TRACKING, ACTIVITY */
void sources_h_tracking(struct sources *ss, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy);
void sources_h_activity(struct sources *ss, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy);
/* ONLINE, OFFLINE, BURST, the MODIFY_* commands, RESELECT, MAKESTEP, ADD_SOURCE,
 * DEL_SOURCE, RESET_SOURCES, RELOAD_SOURCES, REFRESH, ONOFFLINE, LOCAL2/3, DFREQ,
 * DOFFSET2 */
/* MANUAL, MANUAL_LIST, MANUAL_DELETE, SETTIME */
void sources_h_manual(struct sources *ss, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy);
void sources_h_control(struct sources *ss, const struct cmdmon_request *req,
                       const struct timespec *now, struct cmdmon_reply *rpy);

/* Set up from cfg (node_new); start lookups and polling (node_start). */
void sources_init(struct sources *ss);
void sources_start(struct sources *ss, const struct timespec *raw_now);
/* The configured sources (server/pool/peer lines, sourcedir files, -r dumps) start: at
 * node start, or once initstepslew is over. */
void sources_start_configured(struct sources *ss, const struct timespec *raw_now);

/* initstepslew (sources_init.c). 1 if the directive gives hosts to poll first. */
int sources_initstepslew_wanted(const struct sources *ss);
/* Look its hosts up and poll them as servers with iburst. */
void sources_initstepslew_begin(struct sources *ss, const struct timespec *raw_now);
/* ENGINE_ACT_INIT_END: 2 s later (chrony's delay, so a server also configured is not polled
 * sooner than its burst interval) the sources go and normal operation starts. */
void sources_initstepslew_ended(struct sources *ss);
void sources_initstepslew_fini(struct sources *ss);
void sources_fini(struct sources *ss);

/* 1 if rx arrived on a source's socket (and was handled). */
int sources_on_datagram(struct sources *ss, const struct net_rx *rx,
                        const struct timespec *raw_now);

/* Run source selection now (chronyc reselect: force). */
void sources_select(struct sources *ss, int force, const struct timespec *raw_now);

/* Internal to sources*.c: drop a response held for hwtstimeout (sources_engine.c). */
void sources_release_held(struct sources *ss, struct source *s);

/* Internal to sources*.c: index of a source. */
int sources_index(const struct source *s);

/* Internal to sources*.c: start the lookup of a directive slot's name;
 * free a source no longer in the table. */
void sources_lookup_entry(struct sources *ss, size_t entry);
void sources_free_source(struct sources *ss, struct source *s);

/* Run-time source control (sources_cmd.c), cmdmon statuses (spec cmdmon.md 5.3). */
struct cmdmon_req_add_source;
struct cmdmon_req_selectopts;
struct cmdmon_req_offset;
struct cmdmon_req_local;
struct cmdmon_addr;
/* ADD_SOURCE (spec 7.4): server, peer or pool; other types are INVALID. */
int sources_add_from_request(struct sources *ss, const struct cmdmon_req_add_source *a,
                             const struct timespec *raw_now);
/* Add a server/pool/peer directive at run time (takes ownership of sc and its name). */
int sources_add_cfg(struct sources *ss, struct source_cfg *sc, int from_sourcedir,
                    const struct timespec *raw_now);
/* The same, "Added source" logged at level (LOGL_*). */
int sources_add_cfg_logged(struct sources *ss, struct source_cfg *sc, int from_sourcedir,
                           enum log_level level, const struct timespec *raw_now);
/* Every source with an address goes, silently (chrony's NSR_RemoveAllSources). */
void sources_remove_all(struct sources *ss, const struct timespec *raw_now);
/* DEL_SOURCE (spec 7.5): remove the source with that address. */
int sources_delete(struct sources *ss, const struct cmdmon_addr *addr,
                   const struct timespec *raw_now);
/* MODIFY_SELECTOPTS (7.7), MODIFY_OFFSET (7.8). */
int sources_modify_selectopts(struct sources *ss, const struct cmdmon_req_selectopts *r,
                              const struct timespec *raw_now);
int sources_modify_offset(struct sources *ss, const struct cmdmon_req_offset *r);
/* RESET_SOURCES: drop every sample and the reachability, then reselect. */
int sources_reset_all(struct sources *ss, const struct timespec *raw_now);
/* RELOAD_SOURCES (also at start): sync the sources with the sourcedir files. */
int sources_reload_sourcedirs(struct sources *ss, const struct timespec *raw_now);
/* REFRESH: look every name up again now; a source moves when its name no
 * longer resolves to its address. */
/* Move a source to a new address: a new server, nothing carries over
 * (logs "Source A replaced with B"). */
void sources_replace_address(struct source *s, const struct ip_addr *ip);
/* Every change of s->remote.ip goes through here (keeps sources->by_addr in step). */
void sources_set_address(struct source *s, const struct ip_addr *ip);
int sources_refresh(struct sources *ss, const struct timespec *raw_now);
/* The `refresh` directive, at each response from a source (chrony): look the name resolved
 * longest ago up again when that was more than `refresh` seconds ago, one at a time. */
void sources_maybe_refresh(struct sources *ss, const struct timespec *raw_now);
/* ONOFFLINE: every source online (loopback routes are always available). */
int sources_onoffline(struct sources *ss, const struct timespec *raw_now);
/* LOCAL2/LOCAL3 (7.15): enable or disable the local reference. */
int sources_set_local(struct sources *ss, const struct cmdmon_req_local *l);
/* MAKESTEP: step the remaining correction now. */
int sources_make_step(struct sources *ss, const struct timespec *raw_now);
/* DFREQ (ppm) and DOFFSET2 (s), positive = clock fast (chrony's LCL_Accumulate*). */
int sources_manual_dfreq(struct sources *ss, double dfreq_ppm, const struct timespec *raw_now);
int sources_manual_doffset(struct sources *ss, double doffset, const struct timespec *raw_now);
/* Free what sources_cmd.c owns (sources_fini). */
void sources_cmd_fini(struct sources *ss);

uint32_t sources_refid_of(const struct ip_addr *ip);
/* The socket a source of family fam sends from: the server socket of the family (peers,
 * and clients when `acquisitionport` is the NTP port, chrony's one socket) or a client
 * socket of its own. sources_close_socket() gives it back. */
void sources_open_socket(struct sources *ss, struct source *s);
void sources_close_socket(struct sources *ss, struct source *s);
/* Who uses descriptor sock (never NULL; an unknown one is used by none). */
const struct sources_sock_use *sources_sock_use(const struct sources *ss, int sock);
/* For a source added at run time with an address: 0 if it can get a client socket (or
 * sends from the server socket), -1 (logged) if none can be opened now, so that the
 * request is refused instead of adding a source that would never poll. */
int sources_check_socket(struct sources *ss, const struct source_cfg *sc);
int sources_address_in_use(const struct sources *ss, const struct ip_addr *ip);
int sources_family_allowed(const struct sources *ss, const struct source_cfg *sc, enum ip_family f);
/* A source is unreachable, a falseticker, too distant or too jittery: if it
 * was given by name, look the name up again and move the source to an address not in
 * use (sources_pool.c). As chrony's NSR_HandleBadSource, the next replacement of any
 * source waits a random 0 .. 3584 s (the node's rng). */
void sources_handle_bad(struct sources *ss, int index, const struct timespec *raw_now);

/* A reference clock as a source (refclocks.c, at start, before the NTP sources): the
 * engine's source from p (p->refclock set, p->ref_id its reference ID). Returns it; it
 * stays until sources_fini. */
struct source *sources_add_refclock(struct sources *ss, const struct engine_source_params *p,
                                    const struct timespec *raw_now);
/* chrony's UTI_RefidToString: the printable characters of the reference ID. */
const char *sources_refid_text(uint32_t ref_id, char *buf, size_t len);
/* How chrony names a source in its logs: the address, or a refclock's reference ID. */
const char *sources_log_name(const struct source *s, char *buf, size_t len);

/* Reports for the command server and tests. Index = chronyc sources order. */
int sources_count(const struct sources *ss);
const struct source *sources_get(const struct sources *ss, int index);
/* Index of the source with this address, -1 if none. */
int sources_find(const struct sources *ss, const struct ip_addr *ip);
/* Index of the selected source, -1 if none. */
int sources_selected(const struct sources *ss);
/* Selection state of a source after the last selection run; 0 if out of range. */
int sources_get_select_state(const struct sources *ss, int index, struct select_source_state *out);
/* "ADDRESS" or "ADDRESS (NAME)" as chrony prints sources in its messages. */
const char *sources_display_name(const struct source *s, char *buf, size_t len);
/* A directive given by name that has no source yet (its lookup pending, to be retried, or
 * failed): it shows as its placeholders. */
int sources_entry_unresolved(const struct source_entry *e);
/* Sources with an unknown address (chronyc activity): the placeholders, counted from the
 * directives, never kept as a running count that removals and lookups could decrement
 * twice. */
int sources_count_unresolved(const struct sources *ss);
/* A new directive in slot entry: its place in the order and, for a name, its placeholder
 * IDs (chrony's NSR_AddSourceByName). */
void sources_entry_setup(struct sources *ss, size_t entry);
/* Log the addition or removal of directive slot at level (LOGL_*) as chrony does. */
void sources_log_entry(struct sources *ss, size_t slot, int added, enum log_level level);

/* The rows of chronyc sources, sourcestats and selectdata (sources_rows.c), in chrony's
 * order: directives in the order they were added, each with its sources or, while its
 * name has given none, its placeholders. A source given by name so keeps its directive's
 * place when it resolves. */
struct source_row {
    int source;   /* index of the source, -1 for a placeholder */
    size_t entry; /* its directive's slot */
    uint32_t id;  /* the placeholder's ID */
};
/* The rows (*rows: owned by ss, valid until the next change of the sources); their count.
 * Built again after sources_rows_changed(), which whatever adds, removes or reorders
 * sources, directives or placeholders calls. */
int sources_rows(struct sources *ss, const struct source_row **rows);
void sources_rows_changed(struct sources *ss);
void sources_rows_fini(struct sources *ss);
/* Slot of the directive with placeholder id, -1 if none. */
int sources_find_placeholder(const struct sources *ss, uint32_t id);
/* The reports of a placeholder: a source that has not started (chrony's unresolved
 * instance). */
struct cmdmon_source_data;
struct cmdmon_sourcestats;
struct cmdmon_select_data;
void sources_placeholder_data(const struct sources *ss, const struct source_row *r,
                              struct cmdmon_source_data *out);
void sources_placeholder_stats(const struct source_row *r, struct cmdmon_sourcestats *out);
void sources_placeholder_select(const struct sources *ss, const struct source_row *r,
                                struct cmdmon_select_data *out);
/* Sources online, offline, in bursts and unresolved (chronyc activity). */
void sources_get_activity(const struct sources *ss, int *online, int *offline, int *burst_online,
                          int *burst_offline, int *unresolved);

#endif
