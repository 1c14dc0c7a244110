/* chrony command and monitoring protocol ("cmdmon", version 6): packet codec
 * shared by chronyd (decode requests, encode replies) and chronyc (encode
 * requests, decode replies). Wire format: doc spec cmdmon.md, chrony 4.8. */
#ifndef PROTO_CMDMON_H
#define PROTO_CMDMON_H

#include "lib/addr.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CMDMON_PROTO_VERSION 6
#define CMDMON_PKT_REQUEST 1
#define CMDMON_PKT_REPLY 2
#define CMDMON_REQ_HDR_LEN 20
#define CMDMON_RPY_HDR_LEN 28
#define CMDMON_MAX_REQ_LEN 860 /* spec 2.2 */
#define CMDMON_MAX_RPY_LEN 524
#define CMDMON_DEFAULT_PORT 323
#define CMDMON_NAME_LEN 256
#define CMDMON_MAX_CLIENT_RECORDS 8
#define CMDMON_MAX_MANUAL_SAMPLES 16
#define CMDMON_NO_SAMPLE 0xFFFFFFFFu /* "never" in interval fields */
#define CMDMON_INTERVAL_UNKNOWN 127  /* log2 interval not known */
#define CMDMON_REFID_LOCAL 0x7F7F0101u

/* Request codes (spec 5.1). Obsolete codes are listed for completeness. */
enum cmdmon_req_code {
    CMDMON_REQ_NULL = 0,
    CMDMON_REQ_ONLINE = 1,
    CMDMON_REQ_OFFLINE = 2,
    CMDMON_REQ_BURST = 3,
    CMDMON_REQ_MODIFY_MINPOLL = 4,
    CMDMON_REQ_MODIFY_MAXPOLL = 5,
    CMDMON_REQ_DUMP = 6,
    CMDMON_REQ_MODIFY_MAXDELAY = 7,
    CMDMON_REQ_MODIFY_MAXDELAYRATIO = 8,
    CMDMON_REQ_MODIFY_MAXUPDATESKEW = 9,
    CMDMON_REQ_LOGON = 10,
    CMDMON_REQ_SETTIME = 11,
    CMDMON_REQ_LOCAL = 12,
    CMDMON_REQ_MANUAL = 13,
    CMDMON_REQ_N_SOURCES = 14,
    CMDMON_REQ_SOURCE_DATA = 15,
    CMDMON_REQ_REKEY = 16,
    CMDMON_REQ_ALLOW = 17,
    CMDMON_REQ_ALLOWALL = 18,
    CMDMON_REQ_DENY = 19,
    CMDMON_REQ_DENYALL = 20,
    CMDMON_REQ_CMDALLOW = 21,
    CMDMON_REQ_CMDALLOWALL = 22,
    CMDMON_REQ_CMDDENY = 23,
    CMDMON_REQ_CMDDENYALL = 24,
    CMDMON_REQ_ACCHECK = 25,
    CMDMON_REQ_CMDACCHECK = 26,
    CMDMON_REQ_DEL_SOURCE = 29,
    CMDMON_REQ_WRITERTC = 30,
    CMDMON_REQ_DFREQ = 31,
    CMDMON_REQ_DOFFSET = 32,
    CMDMON_REQ_TRACKING = 33,
    CMDMON_REQ_SOURCESTATS = 34,
    CMDMON_REQ_RTCREPORT = 35,
    CMDMON_REQ_TRIMRTC = 36,
    CMDMON_REQ_CYCLELOGS = 37,
    CMDMON_REQ_MANUAL_LIST = 41,
    CMDMON_REQ_MANUAL_DELETE = 42,
    CMDMON_REQ_MAKESTEP = 43,
    CMDMON_REQ_ACTIVITY = 44,
    CMDMON_REQ_MODIFY_MINSTRATUM = 45,
    CMDMON_REQ_MODIFY_POLLTARGET = 46,
    CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO = 47,
    CMDMON_REQ_RESELECT = 48,
    CMDMON_REQ_RESELECTDISTANCE = 49,
    CMDMON_REQ_MODIFY_MAKESTEP = 50,
    CMDMON_REQ_SMOOTHING = 51,
    CMDMON_REQ_SMOOTHTIME = 52,
    CMDMON_REQ_REFRESH = 53,
    CMDMON_REQ_SERVER_STATS = 54,
    CMDMON_REQ_LOCAL2 = 56,
    CMDMON_REQ_NTP_DATA = 57,
    CMDMON_REQ_SHUTDOWN = 62,
    CMDMON_REQ_ONOFFLINE = 63,
    CMDMON_REQ_ADD_SOURCE = 64,
    CMDMON_REQ_NTP_SOURCE_NAME = 65,
    CMDMON_REQ_RESET_SOURCES = 66,
    CMDMON_REQ_AUTH_DATA = 67,
    CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3 = 68,
    CMDMON_REQ_SELECT_DATA = 69,
    CMDMON_REQ_RELOAD_SOURCES = 70,
    CMDMON_REQ_DOFFSET2 = 71,
    CMDMON_REQ_MODIFY_SELECTOPTS = 72,
    CMDMON_REQ_MODIFY_OFFSET = 73,
    CMDMON_REQ_LOCAL3 = 74,
    CMDMON_REQ_CODE_LIMIT = 75 /* first code a 4.8 daemon rejects as INVALID */
};

/* Reply codes (spec 5.2). */
enum cmdmon_rpy_code {
    CMDMON_RPY_NULL = 1,
    CMDMON_RPY_N_SOURCES = 2,
    CMDMON_RPY_SOURCE_DATA = 3,
    CMDMON_RPY_TRACKING = 5,
    CMDMON_RPY_SOURCESTATS = 6,
    CMDMON_RPY_RTC = 7,
    CMDMON_RPY_ACTIVITY = 12,
    CMDMON_RPY_SMOOTHING = 13,
    CMDMON_RPY_NTP_DATA = 16,
    CMDMON_RPY_MANUAL_TIMESTAMP2 = 17,
    CMDMON_RPY_MANUAL_LIST2 = 18,
    CMDMON_RPY_NTP_SOURCE_NAME = 19,
    CMDMON_RPY_AUTH_DATA = 20,
    CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3 = 21,
    CMDMON_RPY_SERVER_STATS2 = 22,
    CMDMON_RPY_SELECT_DATA = 23,
    CMDMON_RPY_SERVER_STATS3 = 24,
    CMDMON_RPY_SERVER_STATS4 = 25,
    CMDMON_RPY_NTP_DATA2 = 26
};

/* Status codes (spec 5.3). */
enum cmdmon_status {
    CMDMON_STT_SUCCESS = 0,
    CMDMON_STT_FAILED = 1,
    CMDMON_STT_UNAUTH = 2,
    CMDMON_STT_INVALID = 3,
    CMDMON_STT_NOSUCHSOURCE = 4,
    CMDMON_STT_INVALIDTS = 5,
    CMDMON_STT_NOTENABLED = 6,
    CMDMON_STT_BADSUBNET = 7,
    CMDMON_STT_ACCESSALLOWED = 8,
    CMDMON_STT_ACCESSDENIED = 9,
    CMDMON_STT_NOHOSTACCESS = 10,
    CMDMON_STT_SOURCEALREADYKNOWN = 11,
    CMDMON_STT_TOOMANYSOURCES = 12,
    CMDMON_STT_NORTC = 13,
    CMDMON_STT_BADRTCFILE = 14,
    CMDMON_STT_INACTIVE = 15,
    CMDMON_STT_BADSAMPLE = 16,
    CMDMON_STT_INVALIDAF = 17,
    CMDMON_STT_BADPKTVERSION = 18,
    CMDMON_STT_BADPKTLENGTH = 19,
    CMDMON_STT_INVALIDNAME = 21
};

/* Outcome of decoding a datagram. DROP_* mean "ignore silently"; BAD_* mean
 * "answer with an error reply" (cmdmon_verdict_status gives the status). */
enum cmdmon_verdict {
    CMDMON_OK = 0,
    CMDMON_DROP_SIZE,    /* shorter than 28 or longer than 860 bytes */
    CMDMON_DROP_HEADER,  /* wrong packet type or non-zero reserved bytes */
    CMDMON_DROP_VERSION, /* request version below 5 */
    CMDMON_BAD_VERSION,  /* request version >= 5 but not 6 -> status 18 */
    CMDMON_BAD_COMMAND,  /* unknown or obsolete command -> status 3 */
    CMDMON_BAD_LENGTH,   /* request shorter than its command needs -> status 19 */
    CMDMON_REPLY_SHORT   /* reply shorter than its reply code implies (client: lost) */
};

/* Address families on the wire (spec 4.5). */
enum cmdmon_family {
    CMDMON_AF_UNSPEC = 0,
    CMDMON_AF_INET4 = 1,
    CMDMON_AF_INET6 = 2,
    CMDMON_AF_ID = 3
};

/* 20-byte wire address. INET4: bytes[0..3]; INET6: bytes[0..15]; ID: the
 * identifier big-endian in bytes[0..3]. Unused bytes are zero after decoding. */
struct cmdmon_addr {
    uint16_t family;
    uint8_t bytes[16];
};

/* Request bodies (spec 6, 7). Offsets on the wire are in cmdmon.c tables. */
struct cmdmon_req_index { /* SOURCE_DATA, SOURCESTATS, SELECT_DATA, MANUAL_DELETE */
    int32_t index;
};
struct cmdmon_req_selector { /* ONLINE, OFFLINE */
    struct cmdmon_addr mask, address;
};
struct cmdmon_req_burst {
    struct cmdmon_addr mask, address;
    int32_t n_good_samples, n_total_samples;
};
struct cmdmon_req_modify_int { /* MINPOLL, MAXPOLL, MINSTRATUM, POLLTARGET */
    struct cmdmon_addr address;
    int32_t value;
};
struct cmdmon_req_modify_float { /* MAXDELAY, MAXDELAYRATIO, MAXDELAYDEVRATIO */
    struct cmdmon_addr address;
    double value;
};
struct cmdmon_req_value { /* MAXUPDATESKEW (ppm), DFREQ (ppm), RESELECTDISTANCE, DOFFSET2 (s) */
    double value;
};
struct cmdmon_req_option { /* MANUAL (0 off, 1 on, 2 reset), SMOOTHTIME, DUMP (pad) */
    int32_t option;
};
struct cmdmon_req_settime {
    struct timespec time;
};
struct cmdmon_req_subnet { /* ALLOW ... CMDDENYALL */
    struct cmdmon_addr ip;
    int32_t subnet_bits;
};
struct cmdmon_req_address { /* ACCHECK, CMDACCHECK, DEL_SOURCE, NTP_DATA, SOURCE_NAME, AUTH */
    struct cmdmon_addr ip;
};
struct cmdmon_req_makestep {
    int32_t limit;
    double threshold;
};
/* ADD_SOURCE flags (spec 7.4). */
#define CMDMON_SRC_ONLINE 0x1
#define CMDMON_SRC_AUTOOFFLINE 0x2
#define CMDMON_SRC_IBURST 0x4
#define CMDMON_SRC_PREFER 0x8
#define CMDMON_SRC_NOSELECT 0x10
#define CMDMON_SRC_TRUST 0x20
#define CMDMON_SRC_REQUIRE 0x40
#define CMDMON_SRC_INTERLEAVED 0x80
#define CMDMON_SRC_BURST 0x100
#define CMDMON_SRC_NTS 0x200
#define CMDMON_SRC_COPY 0x400
#define CMDMON_SRC_EF_EXP_MONO_ROOT 0x800
#define CMDMON_SRC_EF_EXP_NET_CORRECTION 0x1000
#define CMDMON_SRC_IPV4 0x2000
#define CMDMON_SRC_IPV6 0x4000
/* Selection option bits (SELECT_DATA options, SELECTOPTS mask). */
#define CMDMON_SELOPT_NOSELECT 0x1
#define CMDMON_SELOPT_PREFER 0x2
#define CMDMON_SELOPT_TRUST 0x4
#define CMDMON_SELOPT_REQUIRE 0x8
enum cmdmon_add_type { CMDMON_ADD_SERVER = 1, CMDMON_ADD_PEER = 2, CMDMON_ADD_POOL = 3 };
struct cmdmon_req_add_source {
    uint32_t type;
    uint8_t name[CMDMON_NAME_LEN];
    uint32_t port;
    int32_t minpoll, maxpoll, presend_minpoll;
    uint32_t min_stratum, poll_target, version, max_sources;
    int32_t min_samples, max_samples;
    uint32_t authkey, nts_port;
    double max_delay, max_delay_ratio, max_delay_dev_ratio, min_delay, asymmetry, offset;
    uint32_t flags;
    int32_t filter_length;
    uint32_t cert_set;
    double max_delay_quant;
    int32_t max_unreach;
};
struct cmdmon_req_clients {
    uint32_t first_index, n_clients, min_hits, reset;
};
struct cmdmon_req_selectopts {
    struct cmdmon_addr address;
    uint32_t ref_id;
    uint32_t mask;    /* CMDMON_SELOPT_* bits to change */
    uint32_t options; /* new values in CMDMON_SRC_* bits (sic, spec 7.7) */
};
struct cmdmon_req_offset {
    struct cmdmon_addr address;
    uint32_t ref_id;
    double offset; /* s */
};
struct cmdmon_req_local { /* LOCAL3; LOCAL2 fills the first four */
    int32_t on_off, stratum;
    double distance;
    int32_t orphan;
    double activate, wait_synced, wait_unsynced;
};

struct cmdmon_request {
    uint8_t version;   /* CMDMON_PROTO_VERSION (5 means: no padding) */
    uint16_t command;  /* enum cmdmon_req_code */
    uint16_t attempt;  /* retransmission counter */
    uint32_t sequence; /* opaque, echoed */
    size_t length;     /* decode: datagram length (picks reply variants) */
    union {
        struct cmdmon_req_index index;
        struct cmdmon_req_selector selector;
        struct cmdmon_req_burst burst;
        struct cmdmon_req_modify_int modify_int;
        struct cmdmon_req_modify_float modify_float;
        struct cmdmon_req_value value;
        struct cmdmon_req_option option;
        struct cmdmon_req_settime settime;
        struct cmdmon_req_subnet subnet;
        struct cmdmon_req_address address;
        struct cmdmon_req_makestep makestep;
        struct cmdmon_req_add_source add_source;
        struct cmdmon_req_clients clients;
        struct cmdmon_req_selectopts selectopts;
        struct cmdmon_req_offset offset;
        struct cmdmon_req_local local;
    } u;
};

/* Reply bodies. Offsets/ppm: see spec 6/7; sign conventions noted per field. */
struct cmdmon_n_sources {
    uint32_t n_sources;
};
enum cmdmon_src_state { /* SOURCE_DATA state */
                        CMDMON_SRC_SELECTED = 0,
                        CMDMON_SRC_NONSELECTABLE = 1,
                        CMDMON_SRC_FALSETICKER = 2,
                        CMDMON_SRC_JITTERY = 3,
                        CMDMON_SRC_UNSELECTED = 4,
                        CMDMON_SRC_SELECTABLE = 5
};
enum cmdmon_src_mode { CMDMON_MODE_CLIENT = 0, CMDMON_MODE_PEER = 1, CMDMON_MODE_REF = 2 };
struct cmdmon_source_data {
    struct cmdmon_addr ip;
    int16_t poll; /* log2 s */
    uint16_t stratum, state, mode, flags, reachability;
    uint32_t since_sample;   /* s, CMDMON_NO_SAMPLE if none */
    double orig_latest_meas; /* s, positive = local clock ahead of source */
    double latest_meas;      /* s, same sample adjusted for later slews */
    double latest_meas_err;  /* s */
};
struct cmdmon_tracking {
    uint32_t ref_id;
    struct cmdmon_addr ip;
    uint16_t stratum, leap_status;
    struct timespec ref_time;
    double current_correction; /* s, positive = system clock behind (slow) */
    double last_offset, rms_offset;
    double freq_ppm; /* positive = clock fast */
    double resid_freq_ppm, skew_ppm;
    double root_delay, root_dispersion, last_update_interval;
};
struct cmdmon_sourcestats {
    uint32_t ref_id;
    struct cmdmon_addr ip;
    uint32_t n_samples, n_runs, span_seconds;
    double sd, resid_freq_ppm, skew_ppm, est_offset, est_offset_err;
};
struct cmdmon_rtc {
    struct timespec ref_time;
    uint16_t n_samples, n_runs;
    uint32_t span_seconds;
    double rtc_seconds_fast, rtc_gain_rate_ppm;
};
struct cmdmon_activity {
    int32_t online, offline, burst_online, burst_offline, unresolved;
};
struct cmdmon_smoothing {
    uint32_t flags; /* 0x1 active, 0x2 leap second only */
    double offset, freq_ppm, wander_ppm, last_update_ago, remaining_time;
};
/* NTP_DATA (16) and NTP_DATA2 (26); 4.0-4.2 daemons send good_count 0xFFFFFFFF. */
struct cmdmon_ntp_data {
    struct cmdmon_addr remote_addr, local_addr;
    uint16_t remote_port;
    uint8_t leap, version, mode, stratum;
    int8_t poll, precision;
    double root_delay, root_dispersion;
    uint32_t ref_id;
    struct timespec ref_time;
    double offset, peer_delay, peer_dispersion, response_time, jitter_asymmetry;
    uint16_t flags;
    uint8_t tx_tss_char, rx_tss_char;
    uint32_t total_tx_count, total_rx_count, total_valid_count, total_good_count;
    uint32_t total_kernel_tx_ts, total_kernel_rx_ts, total_hw_tx_ts, total_hw_rx_ts;
};
struct cmdmon_manual_timestamp {
    double offset; /* s, positive = clock was fast */
    double dfreq_ppm, new_afreq_ppm;
};
struct cmdmon_manual_sample {
    struct timespec when;
    double slewed_offset, orig_offset, residual;
};
struct cmdmon_manual_list {
    uint32_t n_samples;
    struct cmdmon_manual_sample samples[CMDMON_MAX_MANUAL_SAMPLES];
};
struct cmdmon_source_name {
    uint8_t name[CMDMON_NAME_LEN]; /* raw; may lack a terminator (invalid) */
};
struct cmdmon_auth_data {
    uint16_t mode, key_type;
    uint32_t key_id;
    uint16_t key_length, ke_attempts;
    uint32_t last_ke_ago;
    uint16_t cookies, cookie_length, nak;
};
struct cmdmon_client_record {
    struct cmdmon_addr ip;
    uint32_t ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops;
    int8_t ntp_interval, nke_interval, cmd_interval, ntp_timeout_interval; /* log2 s */
    uint32_t last_ntp_hit_ago, last_nke_hit_ago, last_cmd_hit_ago;         /* s */
};
struct cmdmon_client_accesses {
    uint32_t n_indices, next_index, n_clients;
    struct cmdmon_client_record clients[CMDMON_MAX_CLIENT_RECORDS];
};
/* SERVER_STATS2/3/4: n_fields tells how many of the 17 counters are valid. */
struct cmdmon_server_stats {
    int n_fields; /* 8 (reply 22), 11 (24) or 17 (25); set by the decoder */
    uint64_t ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops, log_drops;
    uint64_t ntp_auth_hits, ntp_interleaved_hits, ntp_timestamps, ntp_span_seconds;
    uint64_t ntp_daemon_rx_timestamps, ntp_daemon_tx_timestamps;
    uint64_t ntp_kernel_rx_timestamps, ntp_kernel_tx_timestamps;
    uint64_t ntp_hw_rx_timestamps, ntp_hw_tx_timestamps;
};
struct cmdmon_select_data {
    uint32_t ref_id;
    struct cmdmon_addr ip;
    uint8_t state_char, authentication, leap;
    uint16_t conf_options, eff_options; /* CMDMON_SELOPT_* */
    uint32_t last_sample_ago;
    double score, lo_limit, hi_limit;
};

struct cmdmon_reply {
    uint8_t version;
    uint16_t command; /* copy of the request's */
    uint16_t reply;   /* enum cmdmon_rpy_code */
    uint16_t status;  /* enum cmdmon_status */
    uint32_t sequence;
    union {
        struct cmdmon_n_sources n_sources;
        struct cmdmon_source_data source_data;
        struct cmdmon_tracking tracking;
        struct cmdmon_sourcestats sourcestats;
        struct cmdmon_rtc rtc;
        struct cmdmon_activity activity;
        struct cmdmon_smoothing smoothing;
        struct cmdmon_ntp_data ntp_data;
        struct cmdmon_manual_timestamp manual_timestamp;
        struct cmdmon_manual_list manual_list;
        struct cmdmon_source_name source_name;
        struct cmdmon_auth_data auth_data;
        struct cmdmon_client_accesses client_accesses;
        struct cmdmon_server_stats server_stats;
        struct cmdmon_select_data select_data;
    } u;
};

/* Field encodings (spec 4). */
uint32_t cmdmon_float_encode(double x);
double cmdmon_float_decode(uint32_t word);
void cmdmon_ts_encode(uint8_t out[12], const struct timespec *ts);
void cmdmon_ts_decode(const uint8_t in[12], struct timespec *ts);
void cmdmon_addr_encode(uint8_t out[20], const struct cmdmon_addr *a);
void cmdmon_addr_decode(const uint8_t in[20], struct cmdmon_addr *a);
void cmdmon_addr_set_id(struct cmdmon_addr *a, uint32_t id);
uint32_t cmdmon_addr_get_id(const struct cmdmon_addr *a);
void cmdmon_addr_set_v4(struct cmdmon_addr *a, uint32_t host_order);
/* Conversions between the wire address and lib/addr.h's struct ip_addr; families
 * other than IPv4/IPv6 map to CMDMON_AF_UNSPEC / IPF_UNSPEC. */
void cmdmon_addr_from_ip(struct cmdmon_addr *a, const struct ip_addr *ip);
void cmdmon_addr_to_ip(const struct cmdmon_addr *a, struct ip_addr *ip);
/* Reference ID of an address: IPv4 itself, IPv6 first 4 bytes of MD5 (spec 4.6). */
uint32_t cmdmon_addr_refid(const struct cmdmon_addr *a);
/* MD5 digest (RFC 1321) of len bytes, used for IPv6 reference IDs. */
void cmdmon_md5(const uint8_t *data, size_t len, uint8_t digest[16]);

/* Length tables (spec 3.2, 5.2). 0 = no such command / reply code. */
size_t cmdmon_request_body_length(uint16_t command);
size_t cmdmon_request_length(uint16_t command); /* padded 4.8 length */
size_t cmdmon_reply_length(uint16_t reply_code);
uint16_t cmdmon_expected_reply(uint16_t command); /* reply code on success */
/* 1 if the command is in chrony's default UDP open set (spec 1.3). */
int cmdmon_command_is_open(uint16_t command);
/* chronyc's status line, e.g. "501 Not authorised" (spec 5.3). */
const char *cmdmon_status_message(uint16_t status);
/* Status for a BAD_* verdict; -1 for verdicts that mean "drop". */
int cmdmon_verdict_status(enum cmdmon_verdict v);

/* chronyc side. Writes header, body and zero padding; returns the datagram
 * length, or 0 if the command is unknown or cap is too small. */
size_t cmdmon_encode_request(const struct cmdmon_request *req, uint8_t *buf, size_t cap);
/* Checks the reply header and decodes the body of known reply codes. Version
 * checks are left to the caller (it knows what it sent). */
enum cmdmon_verdict cmdmon_decode_reply(const uint8_t *buf, size_t len, struct cmdmon_reply *rpy);

/* Daemon side. Follows spec 3.3 steps 2, 3, 6, 7, 8; on BAD_* verdicts the
 * header fields are filled so an error reply can be built. With lenient set,
 * short SERVER_STATS/NTP_DATA requests of older clients and LOCAL2 are accepted
 * (spec 10.3); req->length then tells which reply variant fits. */
enum cmdmon_verdict cmdmon_decode_request(const uint8_t *buf, size_t len,
                                          struct cmdmon_request *req, int lenient);
/* Prepare a reply to req: version 6, command/sequence copied, RPY_NULL, status. */
void cmdmon_reply_init(struct cmdmon_reply *rpy, const struct cmdmon_request *req, uint16_t status);
/* Encodes rpy (zero-filled, reserved words 0xFF). Returns the length, or 0 if
 * the reply would be longer than request_len (never amplify) or cap. */
size_t cmdmon_encode_reply(const struct cmdmon_reply *rpy, uint8_t *buf, size_t cap,
                           size_t request_len);

#endif
