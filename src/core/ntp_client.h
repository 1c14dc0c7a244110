/* Per-source NTP protocol state for `server` and `peer` associations (the client/server and
 * symmetric parts of chrony's ntp_core): request building with a random transmit-timestamp
 * cookie (real timestamps for peers, see ntp_client_peer_finish), the RFC 5905
 * packet tests on responses, samples, reachability, polling interval, bursts, KoD handling
 * and the data of chronyc `ntpdata`. Pure: time and randomness come in as arguments.
 *
 * Timers: the module keeps one "next transmit" deadline. After any call that takes `now`,
 * the daemon re-reads ntp_client_next_tx() and (re)arms its timer; when it fires it calls
 * ntp_client_on_timer() and sends the returned bytes. `now` arguments are on the timer
 * timescale (the daemon's raw clock); the sample maths use the rx/tx timestamps given to
 * ntp_client_on_response() (cooked local time, as chrony uses). Across sources, the daemon's
 * scheduler keeps ntp_client_separation() between transmissions (chrony's timeout class). */
#ifndef CORE_NTP_CLIENT_H
#define CORE_NTP_CLIENT_H

#include "core/keys.h"
#include "core/ntp_filter.h"
#include "core/ntp_server.h"
#include "core/nts_client.h"
#include "lib/ntp_time.h"
#include "lib/rng.h"
#include "proto/ntp.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Allowed polling range (log2 s), as in chrony. */
#define NTP_CLIENT_MIN_POLL (-7)
#define NTP_CLIENT_MAX_POLL 24
/* Bits in the reachability register. */
#define NTP_CLIENT_REACH_BITS 8
/* RFC 5905 MAXDISP: responses with a larger root distance fail test 7. */
#define NTP_CLIENT_MAX_DISPERSION 16.0
/* A server taking longer than this between receive and transmit fails test A. */
#define NTP_CLIENT_MAX_SERVER_INTERVAL 4.0
/* iburst: 4 good samples out of at most 8 requests (chrony IBURST_*). */
#define NTP_CLIENT_IBURST_GOOD 4
#define NTP_CLIENT_IBURST_TOTAL 8
/* Request size: a bare NTP header; with a key, a MAC trailer of up to 4 + 64 bytes follows;
 * with NTS, extension fields up to chrony's limit. */
#define NTP_CLIENT_REQUEST_LEN 48
#define NTP_CLIENT_REQUEST_MAX_LEN NTP_MAX_PACKET_LEN

/* Selection flags carried for source selection (chrony's noselect/prefer/trust/require). */
#define NTP_CLIENT_SEL_NOSELECT 0x1
#define NTP_CLIENT_SEL_PREFER 0x2
#define NTP_CLIENT_SEL_TRUST 0x4
#define NTP_CLIENT_SEL_REQUIRE 0x8

/* Options of one `server` directive (chrony.conf(5)); ntp_client_opts_default() gives
 * chrony's defaults. Fields marked "carried" are not used here but kept for the daemon. */
struct ntp_client_opts {
    int minpoll;            /* log2 s, default 6 */
    int maxpoll;            /* log2 s, default 10 */
    int polltarget;         /* target number of regression samples, default 8 */
    int presend_minpoll;    /* `presend`: warm-up request when poll >= this; default 100 (off) */
    int iburst;             /* burst of 4 good / 8 requests when going online */
    int burst;              /* burst on every poll when poll > minpoll */
    int offline;            /* start offline */
    int auto_offline;       /* go offline when a request cannot be sent */
    int min_stratum;        /* minstratum, default 0 (clamped to 15) */
    int version;            /* NTP version of requests, 0 = default (4) */
    uint16_t port;          /* default 123 (carried) */
    int filter_length;      /* `filter N`: median of N polls, 0 = off */
    int min_samples;        /* carried, default -1 */
    int max_samples;        /* carried, default -1 */
    int max_unreach;        /* maxunreach: polls with an empty reachability register after
                             * which the source is stale for selection, default 100000 */
    int sel_options;        /* NTP_CLIENT_SEL_* (carried) */
    int copy;               /* `copy` (client mode only): assume the server's reference ID
                             * and stratum (see ntp_client_result.copy) */
    int interleaved;        /* xleave: interleaved mode (chrony, draft-ietf-ntp-interleaved-
                             * modes): requests name the server's previous reply, whose more
                             * accurate transmit timestamp the response carries */
    int symmetric;          /* `peer`: symmetric active mode (RFC 5905 mode 1), chrony's
                             * NTP_PEER; default 0 = client of a server */
    int ext_mono_root;      /* `extfield F323`: chrony's experimental field in requests (they
                             * are NTPv4; a peer's filled as a server's), its root
                             * delay/dispersion and monotonic correction used from responses */
    int ext_net_correction; /* `extfield F324` (chrony 4.8): requests carry the field when
                             * net_corr_on (`ptpport` is set), the server's correction of the
                             * request is applied with ours of the response (client mode) */
    int net_corr_on;
    int stop_on_kod_deny;       /* default 1: KoD DENY/RSTR takes the source offline (RFC 5905
                                 * §7.4); 0 = keep polling, as chrony 4.8 does */
    double max_delay;           /* s, default 3 (clamped to 0..1000) */
    double max_delay_ratio;     /* default 0 = off (clamped to 0..1e6) */
    double max_delay_dev_ratio; /* default 10 (clamped to 0..1e6) */
    double max_delay_quant;     /* maxdelayquant p (0.05..0.95), 0 = off; replaces test C */
    double min_delay;           /* s, carried, default 0 */
    double asymmetry;           /* carried, default 1.0 */
    double offset;              /* s, chrony `offset`: added to the measured NTP offset
                                   (server minus local), so a positive value makes the local
                                   clock look slower; default 0 */
};

void ntp_client_opts_default(struct ntp_client_opts *o);

/* Properties of the local clock the protocol needs. */
struct ntp_client_params {
    double local_precision; /* s, quantum of the local clock (chrony's precision as quantum) */
    double max_clock_error; /* fraction, `maxclockerror` ppm * 1e-6 (chrony default 1 ppm) */
};

/* Timestamp sources, reported as chrony's D/K/H characters. */
enum ntp_client_ts_src { NTP_CLIENT_TS_DAEMON = 0, NTP_CLIENT_TS_KERNEL, NTP_CLIENT_TS_HW };

/* Why a response was dropped, or that it gave a good sample. Checked in this order. */
enum ntp_client_verdict {
    NTP_CLIENT_GOOD = 0,         /* passed every test (a sample may still wait in the filter) */
    NTP_CLIENT_DROP_FORMAT,      /* the codec rejected the packet */
    NTP_CLIENT_DROP_MODE,        /* not a server-mode (4) packet (1 or 2 for a peer) */
    NTP_CLIENT_DROP_OFFLINE,     /* source offline or not started */
    NTP_CLIENT_DROP_DUPLICATE,   /* test 1: same receive and transmit timestamps as before */
    NTP_CLIENT_DROP_BOGUS,       /* test 2: origin is not our cookie */
    NTP_CLIENT_DROP_ZERO_TS,     /* test 3: a zero origin, receive or transmit timestamp */
    NTP_CLIENT_DROP_REPEAT,      /* a second valid response to the same request */
    NTP_CLIENT_KOD_RATE,         /* valid KoD RATE: back off */
    NTP_CLIENT_KOD_DENY,         /* valid KoD DENY or RSTR */
    NTP_CLIENT_KOD_OTHER,        /* valid KoD with another code (ignored, unsynchronised) */
    NTP_CLIENT_UNSYNC,           /* test 6: leap 3, stratum 0 or >= 16 */
    NTP_CLIENT_BAD_DISTANCE,     /* test 7: root delay / 2 + root dispersion >= 16 s */
    NTP_CLIENT_WARMUP,           /* test A: response to a presend (warm-up) request */
    NTP_CLIENT_FAIL_MAX_DELAY,   /* test A: delay > maxdelay, slow server or insane offset */
    NTP_CLIENT_FAIL_DELAY_RATIO, /* test B: maxdelayratio */
    NTP_CLIENT_FAIL_DELAY_DEV,   /* test C: maxdelaydevratio */
    NTP_CLIENT_FAIL_DELAY_QUANT, /* test C: maxdelayquant */
    NTP_CLIENT_FAIL_LOOP,        /* test D: the server is synchronised to us or is us */
    NTP_CLIENT_N_VERDICTS
};

const char *ntp_client_verdict_name(enum ntp_client_verdict v);

/* Snapshot of the source's statistics (sourcestats) used by tests B and C and the
 * dispersion. Pass NULL when unknown: tests B/C then pass and the skew is taken as 0.
 * From core/sourcestats: sourcestats_get_delay_test_data(st, rx_ts, &ago, &pred,
 * &min_delay, &skew, &std_dev) gives have_delay_test_data, last_sample_time = rx_ts - ago,
 * predicted_offset = pred (with freq = 0); skew = (hi - lo) / 2 from
 * sourcestats_get_frequency_range(); min_delay from sourcestats_min_round_trip_delay(). */
struct ntp_client_stats {
    int have_delay_test_data;         /* 1 if the four fields below are meaningful */
    struct timespec last_sample_time; /* time of the newest sample in the regression */
    double predicted_offset;          /* s, positive = local fast, at last_sample_time */
    double freq;                      /* d(predicted offset)/dt, dimensionless */
    double min_delay;                 /* s, minimum round-trip delay in the register */
    double std_dev;                   /* s, standard deviation of offsets */
    double skew;                      /* fraction, frequency uncertainty (always used) */
    double jitter_asymmetry;          /* for the ntpdata report */
};

/* Our own reference, to detect a server synchronised to us (test D). */
struct ntp_client_self {
    uint32_t local_refid; /* reference id of the local address the response arrived on */
    int stratum;          /* our stratum */
    uint32_t ref_id;      /* our reference id */
    double root_delay;    /* s */
    struct timespec ref_time;
};

/* Extra inputs of ntp_client_on_response(); the whole struct may be NULL. */
struct ntp_client_rx_ctx {
    struct timespec now; /* timer timescale; zero = use rx_ts */
    enum ntp_client_ts_src rx_src, tx_src;
    double rx_err, tx_err;                /* s, error bounds of the local timestamps */
    const struct ntp_client_stats *stats; /* may be NULL */
    const struct ntp_client_self *self;   /* NULL: no server socket / not normal mode */
    /* `extfield F324` (chrony's rx_duration and net_correction of the response): the
     * frame's duration at our interface (s, hardware timestamps only, else 0) and that plus
     * the PTP correctionField of transparent clocks (NTP over PTP only). */
    double rx_duration, rx_net_correction;
};

/* Outcome of a response (or of a transmit, which can flush the filter). */
struct ntp_client_result {
    int valid;      /* tests 1-3 passed: reachability, counters and the report updated */
    int synced;     /* also tests 6-7: status below is meaningful */
    int good;       /* every test passed */
    int stratum;    /* max(server stratum, minstratum), when synced */
    int leap;       /* leap indicator of the response, when synced */
    unsigned tests; /* 10 bits, MSB first: tests 1 2 3 5 6 7 A B C D, 1 = passed */
    /* `copy`, on a valid response: 1 = a synchronised server, whose reference ID is
     * copy_ref_id and whose stratum is ours (stratum above is one less than the server's);
     * -1 = an unsynchronised one: the source's state starts afresh (chrony's
     * SRC_ResetInstance); 0 = nothing to do. */
    int copy;
    uint32_t copy_ref_id;
    int has_sample; /* sample below goes to source statistics (maybe filtered) */
    struct ntp_sample sample;
    /* With has_sample: shift the offsets (local fast positive) already kept by this, before
     * adding the sample (chrony's SST_CorrectOffset with the F323 correction); 0 = none. */
    double mono_doffset;
};

/* chronyc `ntpdata` fields kept by the protocol (addresses are the daemon's). */
struct ntp_client_report {
    int leap, version, mode, stratum, poll, precision;
    double root_delay, root_dispersion; /* s, as received */
    uint32_t ref_id;
    struct timespec ref_time;
    double offset; /* s, ntpdata convention: positive = local clock SLOW (server - local) */
    double peer_delay, peer_dispersion, response_time, jitter_asymmetry;
    unsigned tests; /* as in ntp_client_result */
    int interleaved, authenticated;
    char tx_tss_char, rx_tss_char; /* 'D' daemon, 'K' kernel, 'H' hardware */
    uint32_t total_tx, total_rx, total_valid_rx, total_good_rx;
    uint32_t total_kernel_tx, total_kernel_rx, total_hw_tx, total_hw_rx;
};

/* Streaming estimate of a delay quantile for `maxdelayquant` (chrony: Frugal-2U,
 * https://arxiv.org/pdf/1407.1121v1.pdf, with 7 repeated estimates and their median). */
#define NTP_CLIENT_QUANT_REPEAT 7
struct ntp_client_quant {
    int on;
    int k;                 /* quantile k/100 */
    double min_step;       /* s */
    double neg_step_limit; /* s */
    int n_set;             /* initial values inserted */
    double est[NTP_CLIENT_QUANT_REPEAT], step[NTP_CLIENT_QUANT_REPEAT];
    int sign[NTP_CLIENT_QUANT_REPEAT];
    struct rng rng; /* seeded from the first transmit's rng */
    int seeded;
};

enum ntp_client_opmode {
    NTP_CLIENT_OFFLINE = 0,
    NTP_CLIENT_ONLINE,
    NTP_CLIENT_BURST_WAS_ONLINE,
    NTP_CLIENT_BURST_WAS_OFFLINE
};

/* The association. Treat as opaque; embedded so the daemon needs no allocation. */
struct ntp_client {
    struct ntp_client_opts opts; /* clamped copy */
    struct ntp_client_params params;
    enum ntp_client_opmode opmode;
    int suspended; /* created but not started */
    int version;
    int local_poll;
    double poll_score;
    int remote_poll, remote_stratum;
    unsigned tx_count; /* requests since the last valid response */
    int valid_rx;      /* a valid response arrived since the last request */
    int presend_done;
    int burst_good_to_go, burst_total_to_go;
    int is_sync_peer;
    unsigned reach;
    int reach_size;
    int unreach_run;        /* updates of the register that left it empty, in a row (maxunreach) */
    struct ntp_ts64 cookie; /* transmit timestamp of our last request (random) */
    struct ntp_ts64 remote_rx, remote_tx;
    /* `extfield F323`: the server's monotonic receive timestamp of the last valid response
     * and its epoch (zero = none), and the change of the server's offset between its
     * monotonic and real time accumulated since the last sample (s, chrony's mono_doffset:
     * the server's own time corrections, which the samples kept so far must follow). */
    struct ntp_ts64 remote_mono_rx;
    uint32_t remote_mono_epoch;
    double mono_doffset;
    struct timespec local_tx; /* local time the last request left (sample timescale) */
    enum ntp_client_ts_src local_tx_src;
    /* `extfield F324` (chrony's net_correction of local_tx, prev_local_tx and local_rx, and
     * rx_duration of local_rx): the server's network correction of the request (s, from
     * the response), and ours of the response kept for interleaved mode. */
    double local_tx_corr, prev_local_tx_corr, local_rx_corr, local_rx_dur;
    /* Interleaved mode (chrony's local_ntp_rx, prev_local_tx, prev_*): the receive field of
     * our last packet (a random cookie in client requests, echoed as origin by interleaved
     * responses), our transmit time of the exchange before the last one (zero = none: the
     * last sample was a good basic-mode one), the source of local_rx, the root values of
     * the last valid response, and the poll and missed requests before it. */
    struct ntp_ts64 req_rx;
    struct timespec prev_local_tx;
    enum ntp_client_ts_src prev_local_tx_src, local_rx_src;
    double remote_root_delay, remote_root_disp;
    int prev_local_poll;
    unsigned prev_tx_count;
    int ilv_pending;        /* the packet being built is interleaved */
    struct timespec ilv_tx; /* peer: our previous transmit time, for its transmit field */
    int have_last_tx;
    struct timespec last_tx_now; /* timer timescale */
    int armed, armed_after_rx;
    struct timespec next_tx;
    double rand_factor; /* chrony's 2 % scheduling randomness, drawn at each transmit */
    int saved_poll;
    double saved_score;
    double min_sample_delay; /* smallest delay of accepted samples (LAN test fallback) */
    double stats_min_delay;  /* from the last stats snapshot, or a huge value */
    int filter_on, filter_count;
    struct ntp_filter filter;
    struct ntp_client_quant quant;
    struct ntp_client_report report;
    const struct keys *keys; /* symmetric keys (not owned), NULL without `key` */
    uint32_t auth_key;       /* `key` option, 0 = no authentication */
    /* Symmetric mode (ntp_client_peer.c). Local times are on the sample timescale. */
    struct timespec local_rx;       /* when the packet of remote_tx arrived */
    struct ntp_ts64 init_remote_tx; /* transmit time of a packet to answer when restarting */
    struct timespec init_local_rx;  /* and when it arrived */
    double init_local_rx_corr, init_local_rx_dur; /* its `extfield F324` values */
    int updated_init;                             /* init_* were set since our last transmission */
    int valid_timestamps;                         /* remote_* come from a synchronised packet */
    int our_stratum;                              /* our stratum, for the peer transmit spacing */
    int peer_pending;                             /* a packet from ntp_client_on_timer awaits
                                                   * ntp_client_peer_finish() */
    struct nts_client *nts;                 /* `nts` option: NTS state (not owned), else NULL */
    uint8_t nts_rnd[NTS_CLIENT_RANDOM_LEN]; /* random bytes for the next request */
    int nts_rnd_set;
};

void ntp_client_init(struct ntp_client *c, const struct ntp_client_opts *o,
                     const struct ntp_client_params *p);
void ntp_client_fini(struct ntp_client *c);
struct ntp_client *ntp_client_new(const struct ntp_client_opts *o,
                                  const struct ntp_client_params *p);
void ntp_client_free(struct ntp_client *c);

/* Allow transmissions (chrony starts sources after config is loaded): the first request
 * goes out 0.2 s later, or one polling interval after the previous one. */
void ntp_client_start(struct ntp_client *c, const struct timespec *now);
/* chronyc online/offline. Going online resets the protocol state and starts an iburst if
 * configured; going offline clears the reachability and stops polling. */
void ntp_client_set_online(struct ntp_client *c, int online, const struct timespec *now);
int ntp_client_is_online(const struct ntp_client *c);
/* chronyc burst: n_good good samples within n_total requests, 2 s apart. */
void ntp_client_initiate_burst(struct ntp_client *c, int n_good, int n_total,
                               const struct timespec *now);
/* Back to minpoll (e.g. after a clock step). */
void ntp_client_reset_poll(struct ntp_client *c, const struct timespec *now);
/* Forget the exchange state (e.g. the address changed); keeps poll and counters. */
void ntp_client_reset(struct ntp_client *c);
/* Whether this source is the one the clock is synchronised to (slower backoff). */
void ntp_client_set_sync_peer(struct ntp_client *c, int is_sync_peer);

/* Authenticate requests and responses with symmetric key key_id of keys (chrony's `key`
 * option); keys must outlive the association and may be reloaded in place. Without a
 * `version` option the requests become NTPv3 when the key's MAC would not fit in an NTPv4
 * trailer. A response is then valid only with a MAC of this key (RFC 5905 test 5); without
 * a key, only responses without a MAC or NTS fields are. Requests whose MAC cannot be made
 * (key missing from the key file) are not sent, the polling goes on. */
void ntp_client_set_auth(struct ntp_client *c, const struct keys *keys, uint32_t key_id);

/* Authenticate with NTS (RFC 8915): requests carry nts's extension fields (NTPv4) and a
 * response is valid only if nts authenticates it. nts must outlive the association; the
 * daemon runs its NTS-KE sessions. Without keys or cookies no request is sent. */
void ntp_client_set_nts(struct ntp_client *c, struct nts_client *nts);
/* Cryptographically random bytes for the next request's unique identifier and nonce
 * (from the daemon's random source, before each ntp_client_on_timer()). */
void ntp_client_set_nts_random(struct ntp_client *c, const uint8_t rnd[NTS_CLIENT_RANDOM_LEN]);

/* Symmetric mode: our current stratum (chrony staggers the packets of peers of equal
 * stratum and lets a peer of higher stratum answer first). */
void ntp_client_set_our_stratum(struct ntp_client *c, int stratum);

/* Symmetric mode: complete the packet ntp_client_on_timer() wrote into buf[0..len) just
 * before it is sent: our reference (ref, as the server would answer at tx), the transmit
 * timestamp tx (cooked local time; never equal to the packet's receive or origin timestamp
 * nor to our previous transmit timestamp) and the MAC of the association's key. The
 * transmit timestamp becomes the value the peer must echo (RFC 5905 test 2). Returns the
 * length to send, or 0 if nothing is to be sent (not a symmetric association, no pending
 * packet, no room for the MAC, key missing). */
size_t ntp_client_peer_finish(struct ntp_client *c, uint8_t *buf, size_t len, size_t cap,
                              const struct ntp_server_ref *ref, const struct timespec *tx);

/* Next transmission deadline (timer timescale). Returns 0 if none is pending. */
int ntp_client_next_tx(const struct ntp_client *c, struct timespec *when);
/* Timer expiry: writes the request into buf and returns its length, 0 if nothing is to
 * be sent (offline, end of an offline burst, cap too small). `now` is also recorded as
 * the request's local transmit time until ntp_client_set_tx_ts() or a tx_ts argument of
 * ntp_client_on_response() replaces it. The filter may emit a sample into *out (may be
 * NULL). rng gives the cookie and the scheduling randomness. */
size_t ntp_client_on_timer(struct ntp_client *c, const struct timespec *now, struct rng *rng,
                           uint8_t *buf, size_t cap, struct ntp_client_result *out);
/* The request returned by the last ntp_client_on_timer() could not be sent: undo the
 * counting and backoff, and go offline if auto_offline is set. */
void ntp_client_on_send_error(struct ntp_client *c, const struct timespec *now);
/* The daemon's timestamp of when the request of the last ntp_client_on_timer() left
 * (sample timescale; replaces the `now` recorded there). */
void ntp_client_set_local_tx(struct ntp_client *c, const struct timespec *ts);
/* A better local transmit timestamp of the last request (kernel/HW), which may arrive late,
 * even after the response. Accepted, as in chrony, only if it is 0..1 s after the one
 * recorded; an interleaved exchange that already took the old one as its previous transmit
 * time takes the new one too. */
void ntp_client_set_tx_ts(struct ntp_client *c, const struct timespec *ts,
                          enum ntp_client_ts_src src);
/* Count a kernel/HW transmit timestamp of a packet that is not the last request (ntpdata);
 * ntp_client_set_tx_ts() counts its own. */
void ntp_client_count_tx_ts(struct ntp_client *c, enum ntp_client_ts_src src);
/* How long after sending a response is still useful (maxdelay + 4 s): chrony closes the
 * client socket then. */
double ntp_client_rx_window(const struct ntp_client *c);
/* Minimum spacing (s) the scheduler keeps between requests of different sources. */
double ntp_client_separation(const struct ntp_client *c);

/* A datagram from the source's address. rx_ts: local time of reception; tx_ts: local time
 * the request left (NULL = the recorded one; else it replaces it, with ctx->tx_src as its
 * source); both on the sample timescale. ctx may be NULL. Fills *out (always) and returns
 * the verdict. With xleave, an interleaved response (its origin is the receive field of
 * our request) gives a sample from the previous exchange's timestamps and the server's
 * transmit timestamp of its previous response (chrony's rules). */
enum ntp_client_verdict ntp_client_on_response(struct ntp_client *c, const uint8_t *buf, size_t len,
                                               const struct timespec *rx_ts,
                                               const struct timespec *tx_ts,
                                               const struct ntp_client_rx_ctx *ctx,
                                               struct ntp_client_result *out);

/* `extfield F324` (chrony apply_net_correction): with rx_corr, our network correction of the
 * response (its frame duration rx_dur plus the transparent clocks' correctionField), and
 * tx_corr, the server's of the request, both beyond the bare frame duration, move
 * *ntp_offset (server minus local) by half their difference and shorten *peer_delay by
 * their sum (less 100 ppm, at least to precision). Returns 1 if applied, 0 if there is no
 * correction in one of the directions, -1 if it is not sane (negative, or more than the
 * delay): nothing changes then. */
int ntp_client_apply_net_correction(double rx_corr, double tx_corr, double rx_dur, double precision,
                                    double *ntp_offset, double *peer_delay);

/* hwtstimeout (chrony's save_response): 1 if the datagram would be a valid response from a
 * synchronised server (tests 1-3 and 5-7), the first one to the last request, after good
 * ones before; the caller may then hold it for the request's hardware transmit timestamp.
 * Changes nothing. */
int ntp_client_response_waits(const struct ntp_client *c, const uint8_t *buf, size_t len);

/* chrony's poll adjustment for a sample that was just accumulated: if the offset
 * prediction error (s, |measured - predicted| before accumulating) exceeds the peer
 * distance (dispersion + delay / 2), back off by log2 of their ratio; otherwise steer the
 * number of regression samples (after accumulating) towards polltarget. */
double ntp_client_poll_adj(const struct ntp_client *c, const struct ntp_sample *s,
                           double error_in_estimate, int n_samples);
/* Apply a poll adjustment (in log2 units accumulated into a score) and, if the next
 * request was scheduled by a response, reschedule it with the new interval. */
void ntp_client_adjust_poll(struct ntp_client *c, double adj, const struct timespec *now);
/* Current polling interval (log2 s) and the accumulated poll adjustment towards
 * the next step (log2 units, as from ntp_client_poll_adj). */
int ntp_client_get_poll(const struct ntp_client *c);
double ntp_client_get_poll_score(const struct ntp_client *c);
/* Reachability register: bit 0 = latest poll; one shift per request (on its valid
 * response, or at the next transmit when it got none). */
unsigned ntp_client_get_reach(const struct ntp_client *c);
int ntp_client_get_reach_size(const struct ntp_client *c);
/* Updates of the reachability register in a row that left it empty (chrony's unreachable
 * run, compared with maxunreach by selection). */
int ntp_client_get_unreach_run(const struct ntp_client *c);
/* Forget the reachability: register, its size and the unreachable run. */
void ntp_client_clear_reach(struct ntp_client *c);
int ntp_client_is_reachable(const struct ntp_client *c);
void ntp_client_get_report(const struct ntp_client *c, struct ntp_client_report *r);
/* Format tests as chronyc prints them: "111 111 1111" (buf >= 13 bytes). */
const char *ntp_client_format_tests(unsigned tests, char *buf, size_t len);
/* The local clock was adjusted (see ntp_filter_slew for the convention). */
void ntp_client_slew_times(struct ntp_client *c, const struct timespec *when, double dfreq,
                           double doffset);

/* chronyc runtime modifications (clamped like the config values): poll limits in
 * log2 s, max_delay in s, the two ratios dimensionless, offset in s with the sign
 * of ntp_client_opts.offset. */
void ntp_client_set_minpoll(struct ntp_client *c, int minpoll);
void ntp_client_set_maxpoll(struct ntp_client *c, int maxpoll);
void ntp_client_set_max_delay(struct ntp_client *c, double v);
void ntp_client_set_max_delay_ratio(struct ntp_client *c, double v);
void ntp_client_set_max_delay_dev_ratio(struct ntp_client *c, double v);
void ntp_client_set_min_stratum(struct ntp_client *c, int v);
void ntp_client_set_polltarget(struct ntp_client *c, int v);
void ntp_client_set_offset(struct ntp_client *c, double v);

#endif
