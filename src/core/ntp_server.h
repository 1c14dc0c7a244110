/* The NTP server responder: turns one client (or unknown symmetric peer) request,
 * unauthenticated or with a symmetric-key MAC, into a reply exactly as chronyd 4.8 does (ntp_core.c
 * NCR_ProcessRxUnknown), without reading any clock: the receive time and the served reference come
 * in as arguments. */
#ifndef CORE_NTP_SERVER_H
#define CORE_NTP_SERVER_H

#include "core/keys.h"
#include "core/nts_server.h"
#include "lib/ntp_time.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* chrony's CLG_GetNtpMinPoll() without `ratelimit`: MIN_LIMIT_INTERVAL = -15 - 4. */
#define NTP_SERVER_MIN_POLL_DEFAULT (-19)
/* Stratum values of 16 and above are sent as 0 (chrony NTP_MAX_STRATUM). */
#define NTP_SERVER_MAX_STRATUM 16

/* What the server says about its own clock (chrony REF_GetReferenceParams). */
struct ntp_server_ref {
    int leap;                    /* 0..3, sent as is (3 = unsynchronised) */
    int stratum;                 /* 1..15; 0 or >= 16 are sent as 0 */
    int precision_log2;          /* LCL_GetSysPrecisionAsLog(), e.g. -24 */
    uint32_t ref_id;             /* host order */
    struct timespec ref_time;    /* zero = unset, sent as an all-zero timestamp */
    double root_delay;           /* s */
    double root_dispersion;      /* s, at ref_time */
    double root_dispersion_rate; /* s/s; dispersion grows by |t - ref_time| * rate
                                  * (chrony: skew + |residual freq| + maxclockerror) */
    int min_poll_log2;           /* reply poll = max(this, request poll); the `ratelimit`
                                  * interval, or NTP_SERVER_MIN_POLL_DEFAULT */
    /* chrony's monotonic timescale for `extfield F323`: the receive time plus mono_offset
     * (s, the time corrections accumulated since the last step), in the epoch
     * mono_epoch (a new ID at every step). mono_valid 0: the field's timestamp stays zero. */
    int mono_valid;
    double mono_offset;
    uint32_t mono_epoch;
    /* `extfield F324` (chrony 4.8): net_corr_on 1 when `ptpport` is set, which a request's
     * field needs to be answered; rx_net_correction and rx_duration: those of the request
     * being answered (s; see the daemon's struct net_rx), set by the caller per request.
     * The reply's correction is rx_net_correction when it exceeds rx_duration (transparent
     * clocks added something), else 0. */
    int net_corr_on;
    double rx_net_correction, rx_duration;
};

/* Why a request got no reply. Every received request ends in exactly one of these. */
enum ntp_drop_reason {
    NTP_SRV_REPLY = 0,
    NTP_SRV_DROP_TOO_SHORT,       /* < 48 bytes */
    NTP_SRV_DROP_TOO_LONG,        /* > 1140 bytes (chrony's receive buffer) */
    NTP_SRV_DROP_BAD_LENGTH,      /* not a multiple of 4 */
    NTP_SRV_DROP_BAD_VERSION,     /* version 0 or 5..7 */
    NTP_SRV_DROP_BAD_FORMAT,      /* malformed extension field or MAC trailer */
    NTP_SRV_DROP_MODE_CONTROL,    /* mode 6 (ntpq), unsupported by chrony */
    NTP_SRV_DROP_MODE_PRIVATE,    /* mode 7 (ntpdc), unsupported by chrony */
    NTP_SRV_DROP_MODE_UNEXPECTED, /* mode 2, 4, 5, or mode 0 unless an NTPv1 client request */
    NTP_SRV_DROP_AUTH_MAC,        /* crypto-NAK, or a symmetric MAC no known key verifies */
    NTP_SRV_DROP_AUTH_MSSNTP,     /* MS-SNTP request without an ntp_signd socket, or with the
                                   * extended authenticator (chrony: not supported) */
    NTP_SRV_DROP_AUTH_NTS,        /* NTS fields and no NTS server, or a request chrony drops
                                   * (missing or malformed NTS fields, not mode 3) */
    NTP_SRV_DROP_NO_BUFFER,       /* out_cap < 48 (caller error) */
    NTP_SRV_N_REASONS
};

struct ntp_server_counters {
    uint64_t received;
    uint64_t replied;
    uint64_t dropped[NTP_SRV_N_REASONS]; /* dropped[NTP_SRV_REPLY] stays 0 */
};
/* Invariant: received == replied + sum(dropped). */

/* Answer req[0..req_len) received at rx_ts (cooked local time) from an unknown source.
 * Writes a 48-byte reply into out and returns its length, or returns 0 (drop). In both cases
 * *why (if not NULL) is set and counters (if not NULL) are updated. Replies are never longer
 * than the request. Client (mode 3) and NTPv1 mode-0 requests get mode 4, symmetric active
 * (mode 1) gets mode 2; the version is echoed; origin = request transmit timestamp; receive =
 * rx_ts with its lowest bit set to 1 (chrony's interleaved-mode marker); transmit is left
 * zero for ntp_server_set_tx(). Requests with a zero transmit timestamp are answered
 * (chrony does not drop them). The source port is taken as not 123. */
size_t ntp_server_respond(const struct ntp_server_ref *ref, const uint8_t *req, size_t req_len,
                          const struct timespec *rx_ts, uint8_t *out, size_t out_cap,
                          enum ntp_drop_reason *why, struct ntp_server_counters *counters);

/* As ntp_server_respond, with the request's UDP source port: chrony answers an NTPv1 mode-0
 * packet only if it did not come from port 123 (NTPv1 had no mode field). */
size_t ntp_server_respond_port(const struct ntp_server_ref *ref, const uint8_t *req, size_t req_len,
                               uint16_t src_port, const struct timespec *rx_ts, uint8_t *out,
                               size_t out_cap, enum ntp_drop_reason *why,
                               struct ntp_server_counters *counters);

/* What finishing the reply needs to know about the request: its authentication (for the
 * reply's MAC) and whether it may be answered in interleaved mode. */
struct ntp_server_auth {
    int symmetric;   /* 1: the request carried a valid MAC; sign the reply */
    uint32_t key_id; /* key of that MAC */
    int version;     /* request version (4: digest truncated to 20 bytes) */
    /* chrony: an NTPv4 request whose origin has the lowest bit set (one of our receive
     * timestamps) and whose receive and transmit timestamps differ comes from a client in
     * interleaved mode; origin names our earlier reply, req_rx is the client's receive
     * timestamp of it. */
    int xleave;
    struct ntp_ts64 origin, req_rx;
    /* RFC 8915: 1 if the request was NTS-authenticated (finish the reply with
     * ntp_server_finish_nts); nts_nak 1 if it got a KoD NTSN (already complete). */
    int nts, nts_nak;
    /* chrony's experimental field 0xF323 was in the request: the reply carries it too
     * (root delay and dispersion in finer resolution; no monotonic timestamp). */
    int ef_mono_root;
    /* chrony's experimental field 0xF324 was in the request: with ref->net_corr_on the
     * reply carries it with the request's network correction. */
    int ef_net_correction;
    enum nts_server_verdict nts_verdict; /* of a request with NTS fields */
    struct nts_server_request nts_req;
    /* chrony: an MS-SNTP request (NTPv3, a key id and an all-zero 16-byte digest), answered
     * only with `ntpsigndsocket`: the finished 48-byte reply (transmit timestamp set) goes to
     * ntp_signd with key_id, which signs it; nobody here can. Not authenticated (serverstats
     * count it as unauthenticated, as chrony). */
    int mssntp;
};

/* The authentication a server answers: symmetric keys (NULL: none, every MAC fails), NTS
 * (the keys sealing cookies; NULL: NTS requests are dropped), and MS-SNTP (mssntp 1 when an
 * ntp_signd socket is configured; 0: MS-SNTP requests are dropped). */
struct ntp_server_authn {
    const struct keys *keys;
    const struct nts_server_keys *nts;
    int mssntp;
};

/* As ntp_server_respond_nts with the MS-SNTP choice of authn: with authn->mssntp an MS-SNTP
 * request is answered with auth->mssntp and auth->key_id set. */
size_t ntp_server_respond_authn(const struct ntp_server_ref *ref,
                                const struct ntp_server_authn *authn, const uint8_t *req,
                                size_t req_len, uint16_t src_port, const struct timespec *rx_ts,
                                uint8_t *out, size_t out_cap, struct ntp_server_auth *auth,
                                enum ntp_drop_reason *why, struct ntp_server_counters *counters);

/* As ntp_server_respond_port, checking symmetric-key MACs against keys (NULL: no keys, every
 * MAC fails). A request with a valid MAC is answered and *auth (if not NULL) says so; the
 * caller then fills the transmit timestamp and calls ntp_server_sign_reply(). */
size_t ntp_server_respond_auth(const struct ntp_server_ref *ref, const struct keys *keys,
                               const uint8_t *req, size_t req_len, uint16_t src_port,
                               const struct timespec *rx_ts, uint8_t *out, size_t out_cap,
                               struct ntp_server_auth *auth, enum ntp_drop_reason *why,
                               struct ntp_server_counters *counters);

/* As ntp_server_respond_auth, also answering NTS requests (RFC 8915 §5) when nts (the server
 * keys sealing cookies) is not NULL: an authentic request is answered with auth->nts set (the
 * caller fills the transmit timestamp and calls ntp_server_finish_nts); a cookie or an
 * authenticator that does not verify gets a complete KoD NTSN reply (auth->nts_nak, chrony:
 * leap 3, stratum 0, ref id NTSN, the Unique Identifier EF); other NTS requests are dropped as
 * NTP_SRV_DROP_AUTH_NTS. */
size_t ntp_server_respond_nts(const struct ntp_server_ref *ref, const struct keys *keys,
                              const struct nts_server_keys *nts, const uint8_t *req, size_t req_len,
                              uint16_t src_port, const struct timespec *rx_ts, uint8_t *out,
                              size_t out_cap, struct ntp_server_auth *auth,
                              enum ntp_drop_reason *why, struct ntp_server_counters *counters);

/* Append the NTS fields of a reply when auth->nts (after ntp_server_set_tx, since the
 * authenticator covers the transmit timestamp), with rnd fresh random bytes for the nonces.
 * Returns the new length (len unchanged when not NTS), or 0 if it cannot be made (do not
 * send). */
size_t ntp_server_finish_nts(const struct nts_server_keys *nts, const struct ntp_server_auth *auth,
                             uint8_t *reply, size_t len, size_t cap,
                             const uint8_t rnd[NTS_SERVER_REPLY_RANDOM]);

/* Append the reply's MAC when auth says the request was authenticated (after
 * ntp_server_set_tx, since the MAC covers the transmit timestamp). Returns the new length
 * (len unchanged for unauthenticated requests), or 0 if the key vanished (do not send). */
size_t ntp_server_sign_reply(const struct keys *keys, const struct ntp_server_auth *auth,
                             uint8_t *reply, size_t len, size_t cap);

/* Fill the transmit timestamp of a reply built by ntp_server_respond, just before sending.
 * As chrony, the lowest bit is cleared and the result never equals the origin or receive
 * timestamp. Does nothing if len < 48. */
void ntp_server_set_tx(uint8_t *reply, size_t len, const struct timespec *tx_ts);

/* Make a reply interleaved (chrony, draft-ietf-ntp-interleaved-modes): origin = the
 * client's receive timestamp of our previous reply (req_rx), transmit = when that previous
 * reply really left (prev_tx), with the lowest bit clear and never equal to the receive or
 * origin timestamp. Use instead of ntp_server_set_tx(). Does nothing if len < 48. */
void ntp_server_set_interleaved(uint8_t *reply, size_t len, const struct ntp_ts64 *req_rx,
                                const struct timespec *prev_tx);

/* A broadcast packet (mode 5, chrony's `broadcast` directive) describing ref, sent at tx_ts
 * (cooked local time): version 4, ref's leap, stratum (16 and above sent as 0), precision,
 * root delay, root dispersion at tx_ts, ref id and reference time, poll = poll_log2 (the
 * broadcast interval), zero originate and receive timestamps, transmit = tx_ts. Writes 48
 * bytes into out and returns 48, or 0 if out_cap < 48. */
size_t ntp_server_broadcast(const struct ntp_server_ref *ref, int poll_log2,
                            const struct timespec *tx_ts, uint8_t *out, size_t out_cap);

/* Turn a reply into a Kiss-o'-Death (RFC 5905 §7.4), as chrony does for `ratelimit` (kod
 * 0x52415445 "RATE"): leap 3, stratum 0, reference id = kod (host order). */
#define NTP_SERVER_KOD_RATE 0x52415445U
void ntp_server_set_kod(uint8_t *reply, size_t len, uint32_t kod);

/* Whether chrony would have logged the request as a client access (the "NTP packets received"
 * of serverstats and the input of `ratelimit`): true for replies and for requests dropped by
 * the authentication check, false for malformed requests and unexpected modes. A daemon that
 * rate-limits should decide only for these, and drop or KoD only replies. */
int ntp_server_reason_is_hit(enum ntp_drop_reason why);

/* Root dispersion (s) that ref claims at time now. */
double ntp_server_root_dispersion(const struct ntp_server_ref *ref, const struct timespec *now);

/* The reference of an unsynchronised chronyd without `local`: leap 3, stratum 16 (sent as 0),
 * ref id 0, zero reference time, root delay and dispersion 1 s. */
void ntp_server_ref_unsynchronised(struct ntp_server_ref *ref, int precision_log2);

/* The reference of `local stratum N` while it is active: leap 0, stratum N clamped to 1..15,
 * ref id 127.127.1.1, reference time now - 1 s, root delay and dispersion 0. now is the time
 * of the current wake-up (chrony uses the event time), so refresh it for every request. */
void ntp_server_ref_local(struct ntp_server_ref *ref, int stratum, const struct timespec *now,
                          int precision_log2);

/* Short name of a drop reason ("reply", "too-short", ...), for logs and tests. */
const char *ntp_server_reason_name(enum ntp_drop_reason why);

/* Sum of all dropped counters. */
uint64_t ntp_server_counters_dropped(const struct ntp_server_counters *c);

#endif
