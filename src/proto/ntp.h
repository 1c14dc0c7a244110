/* NTP packet wire format (RFC 5905 §7.3) with extension fields (RFC 7822) and MAC trailer. */
#ifndef PROTO_NTP_H
#define PROTO_NTP_H

#include "lib/ntp_time.h"

#include <stddef.h>
#include <stdint.h>

#define NTP_HEADER_LEN 48
/* chrony accepts at most 1024 bytes of extension fields plus a 4 + 64 byte MAC. */
#define NTP_MAX_EXTENSIONS_LEN 1024
#define NTP_MAX_DIGEST_LEN 64
#define NTP_MAX_PACKET_LEN (NTP_HEADER_LEN + NTP_MAX_EXTENSIONS_LEN + 4 + NTP_MAX_DIGEST_LEN)
/* RFC 7822 §7: an extension field is at least 16 bytes (4 header + 12 body). */
#define NTP_EF_MIN_LEN 16
#define NTP_EF_HEADER_LEN 4
/* MAC trailer: 4-byte key id + digest. 16 (MD5, AES-128-CMAC) .. 20 (SHA1) in NTPv4 after
 * extension fields (RFC 7822 §7.5); chrony accepts digests up to 64 bytes otherwise. */
#define NTP_MAC_MIN_LEN 20
#define NTP_MAC_MAX_V4_LEN 24
#define NTP_MAC_MAX_LEN (4 + NTP_MAX_DIGEST_LEN)
/* Crypto-NAK: a MAC trailer of a single zero key id (RFC 5905 §7.4). */
#define NTP_CRYPTO_NAK_LEN 4
/* Extension field types chrony recognises (RFC 8915 §5.7; chrony experimental fields). */
#define NTP_EF_NTS_UNIQUE_IDENTIFIER 0x0104
#define NTP_EF_NTS_COOKIE 0x0204
#define NTP_EF_NTS_COOKIE_PLACEHOLDER 0x0304
#define NTP_EF_NTS_AUTH_AND_EEF 0x0404
#define NTP_EF_EXP_MONO_ROOT 0xF323
#define NTP_EF_EXP_NET_CORRECTION 0xF324
/* Leap indicator values. */
#define NTP_LEAP_NONE 0
#define NTP_LEAP_INSERT 1
#define NTP_LEAP_DELETE 2
#define NTP_LEAP_UNSYNC 3
/* Association modes (RFC 5905 §7.3). */
#define NTP_MODE_UNDEFINED 0
#define NTP_MODE_ACTIVE 1
#define NTP_MODE_PASSIVE 2
#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
#define NTP_MODE_BROADCAST 5
#define NTP_MODE_CONTROL 6
#define NTP_MODE_PRIVATE 7
/* Versions chrony accepts on receive (NTP_MIN_COMPAT_VERSION..NTP_MAX_COMPAT_VERSION). */
#define NTP_VERSION_MIN 1
#define NTP_VERSION_MAX 4
#define NTP_VERSION 4
/* Reference id of chrony's `local` reference: 127.127.1.1. */
#define NTP_REFID_LOCAL 0x7F7F0101U
/* Served while smoothing time (smoothtime): 127.127.1.255. */
#define NTP_REFID_SMOOTH 0x7F7F01FFU
/* Reference id sent while unsynchronised. */
#define NTP_REFID_UNSYNC 0U
/* How many extension fields ntp_packet_info describes individually. */
#define NTP_INFO_MAX_EFS 8

/* The fixed 48-byte header. root_delay/root_dispersion are raw NTP short format
 * (16.16 seconds, see lib/ntp_time.h ntp_short_to_double). */
struct ntp_packet {
    uint8_t leap;    /* 0..3 */
    uint8_t version; /* 0..7 as on the wire */
    uint8_t mode;    /* 0..7 */
    uint8_t stratum;
    int8_t poll;      /* log2 s */
    int8_t precision; /* log2 s */
    uint32_t root_delay;
    uint32_t root_dispersion;
    uint32_t ref_id;
    struct ntp_ts64 ref_ts, origin_ts, rx_ts, tx_ts;
};

enum ntp_verdict {
    NTP_OK = 0,
    NTP_TOO_SHORT,      /* fewer than 48 bytes */
    NTP_TOO_LONG,       /* longer than NTP_MAX_PACKET_LEN (chrony's receive buffer) */
    NTP_BAD_LENGTH,     /* length not a multiple of 4 */
    NTP_BAD_VERSION,    /* version 0 or > 4 */
    NTP_BAD_EXTENSION,  /* extension field too short, not aligned or past the end */
    NTP_BAD_MAC_LENGTH, /* NTPv4 trailer of 4..16 bytes: too short for a MAC, and RFC 7822
                         * forbids reading <= 24 trailing bytes as an extension field */
    NTP_N_VERDICTS
};

enum ntp_mac_kind {
    NTP_MAC_NONE = 0,
    NTP_MAC_SYMMETRIC,  /* key id + digest (any length in NTPv1-3, 20..24 after EFs in v4) */
    NTP_MAC_CRYPTO_NAK, /* NTPv4: exactly 4 zero bytes after the header */
    NTP_MAC_MSSNTP,     /* NTPv3: key id != 0 followed by 16 zero bytes (MS-SNTP request) */
    NTP_MAC_MSSNTP_EXT  /* NTPv3: 72-byte extended MS-SNTP authenticator with zero digest */
};

struct ntp_ef_ref {
    uint16_t type;
    uint16_t len;    /* whole field, header included */
    uint16_t offset; /* from the start of the packet */
};

struct ntp_packet_info {
    enum ntp_verdict verdict;
    size_t len;                              /* whole packet */
    unsigned n_efs;                          /* total number of extension fields */
    struct ntp_ef_ref efs[NTP_INFO_MAX_EFS]; /* the first min(n_efs, NTP_INFO_MAX_EFS) */
    int has_nts;           /* an NTS extension field (types 0x0104..0x0404) is present */
    enum ntp_mac_kind mac; /* NTP_MAC_NONE if no trailer */
    size_t mac_offset;     /* start of the key id */
    size_t mac_len;        /* key id + digest */
    uint32_t mac_key_id;
};

/* Decode buf[0..len) into pkt (header) and info (layout), following chrony's rules, checked in
 * this order: 48 <= len <= NTP_MAX_PACKET_LEN, len % 4 == 0, version 1..4; NTPv1-3 treat
 * everything after the header as a MAC; in NTPv4 4 zero bytes are a crypto-NAK, then
 * extension fields are walked until nothing is left or the remainder is 20..24 bytes (a MAC;
 * so a v4 MAC with a digest over 20 bytes is rejected unless it parses as fields). pkt is
 * filled whenever len >= 48 (even if the verdict is not OK); info is always filled. Either may
 * be NULL. */
enum ntp_verdict ntp_decode(const uint8_t *buf, size_t len, struct ntp_packet *pkt,
                            struct ntp_packet_info *info);

/* Parse one extension field at buf[offset..len): its length must be at least 16, a multiple
 * of 4 and fit in len (the MAC-ambiguity rule of ntp_decode is not applied here). Returns
 * NTP_OK and sets type and field_len (either may be NULL), or NTP_BAD_EXTENSION. */
enum ntp_verdict ntp_ef_parse(const uint8_t *buf, size_t len, size_t offset, uint16_t *type,
                              uint16_t *field_len);

/* Write the 48-byte header. Returns NTP_HEADER_LEN, or 0 if cap is too small.
 * Fields are masked to their wire width (leap 2 bits, version 3, mode 3). */
size_t ntp_encode(const struct ntp_packet *pkt, uint8_t *buf, size_t cap);

/* Append an extension field at buf[len..): header, body, zero padding to a multiple of 4
 * and to at least NTP_EF_MIN_LEN. Returns the new packet length, or 0 if it does not fit
 * in cap or the field would exceed 65532 bytes. body may be NULL if body_len is 0. */
size_t ntp_ef_append(uint8_t *buf, size_t len, size_t cap, uint16_t type, const void *body,
                     size_t body_len);

/* Append a MAC trailer (key id + digest). Returns the new length, or 0 if it does not fit. */
size_t ntp_mac_append(uint8_t *buf, size_t len, size_t cap, uint32_t key_id, const uint8_t *digest,
                      size_t digest_len);

/* chrony's experimental extension field 0xF323 ("extfield F323"): a 24-byte body of a
 * magic number, the root delay and dispersion in 4.28 fixed point (finer than the header's
 * 16.16), the server's monotonic receive timestamp and the ID of its monotonic epoch. A
 * client sends the body with everything but the magic zero; a server answers a request
 * carrying it with its values. */
#define NTP_EF_MONO_ROOT_BODY_LEN 24
#define NTP_EF_MONO_ROOT_MAGIC 0xF5BEDD9AU
struct ntp_ef_mono_root {
    uint32_t root_delay;      /* raw 4.28 fixed point, s (0xFFFFFFFF = the maximum) */
    uint32_t root_dispersion; /* raw 4.28 fixed point, s */
    struct ntp_ts64 mono_rx;  /* zero = none */
    uint32_t mono_epoch;
};

/* 4.28 fixed point as chrony's UTI_DoubleToNtp32f28 (rounded up, clamped to 0 and the
 * all-ones maximum) and UTI_Ntp32f28ToDouble (all ones reads as the header's maximum,
 * 65535.99998 s). */
uint32_t ntp_f28_from_double(double s);
double ntp_f28_to_double(uint32_t v);

/* Append the field at buf[len..). Returns the new length, or 0 if it does not fit. */
size_t ntp_ef_mono_root_append(uint8_t *buf, size_t len, size_t cap,
                               const struct ntp_ef_mono_root *ef);

/* Find the first extension field of type 0xF323 with chrony's body (24 bytes, the magic)
 * among the fields info lists for buf (from ntp_decode). Returns NTP_OK and fills out,
 * or NTP_BAD_EXTENSION when there is none (out untouched). */
enum ntp_verdict ntp_ef_mono_root_find(const uint8_t *buf, const struct ntp_packet_info *info,
                                       struct ntp_ef_mono_root *out);

/* chrony 4.8's experimental extension field 0xF324 ("extfield F324"): a 24-byte body of a
 * magic number, a correction (s, as a signed 32.32 fixed-point NTP64: the sum of the
 * PTP correctionField updates that transparent clocks made to the request on its way to
 * the server, plus the request's duration at the server's receiving interface) and 12
 * reserved zero bytes. Requests carry it with a zero correction. */
#define NTP_EF_NET_CORRECTION_BODY_LEN 24
#define NTP_EF_NET_CORRECTION_MAGIC 0x07AC2CEBU

/* Append the field with `correction` (s) at buf[len..). Returns the new length, or 0 if it
 * does not fit. */
size_t ntp_ef_net_correction_append(uint8_t *buf, size_t len, size_t cap, double correction);

/* Find the first field of type 0xF324 with chrony's body (24 bytes, the magic). Returns
 * NTP_OK and sets *correction (s), or NTP_BAD_EXTENSION when there is none. */
enum ntp_verdict ntp_ef_net_correction_find(const uint8_t *buf, const struct ntp_packet_info *info,
                                            double *correction);

/* Human-readable verdict name, for logs and tests. */
const char *ntp_verdict_name(enum ntp_verdict v);

#endif
