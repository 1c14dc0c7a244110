/* NTS Key Establishment records (RFC 8915 §4): both sides of the exchange (the client's
 * request and response parser, the server's request parser and response builders).
 * (buf, len) in, verdict out; the TLS session itself is the platform's. */
#ifndef PROTO_NTS_KE_H
#define PROTO_NTS_KE_H

#include <stddef.h>
#include <stdint.h>

#define NTS_KE_PORT 4460
#define NTS_KE_ALPN "ntske/1"
/* TLS exporter label and context layout for the NTP keys (RFC 8915 §5.1). */
#define NTS_KE_EXPORTER_LABEL "EXPORTER-network-time-security"
/* Record types (RFC 8915 §4.1); the high bit of the type field is the critical bit. */
#define NTS_KE_REC_END 0
#define NTS_KE_REC_NEXT_PROTOCOL 1
#define NTS_KE_REC_ERROR 2
#define NTS_KE_REC_WARNING 3
#define NTS_KE_REC_AEAD 4
#define NTS_KE_REC_COOKIE 5
#define NTS_KE_REC_NTP_SERVER 6
#define NTS_KE_REC_NTP_PORT 7
#define NTS_KE_CRITICAL 0x8000
/* Next protocol NTPv4 and the AEAD algorithms (IANA). */
#define NTS_KE_PROTO_NTPV4 0
#define NTS_AEAD_AES_SIV_CMAC_256 15
#define NTS_AEAD_AES_128_GCM_SIV 30
/* What a client keeps from one exchange (chrony keeps at most 8 cookies). */
#define NTS_MAX_COOKIES 8
#define NTS_MAX_COOKIE_LEN 256
#define NTS_MAX_KEY_LEN 32
#define NTS_MAX_SERVER_NAME 256
/* Longest message either side needs to send or accept. */
#define NTS_KE_MAX_MESSAGE 16384

enum nts_ke_verdict {
    NTS_KE_OK = 0,
    NTS_KE_INCOMPLETE,       /* no End of Message record yet: read more */
    NTS_KE_BAD_RECORD,       /* truncated record or body of the wrong size */
    NTS_KE_UNKNOWN_CRITICAL, /* a critical record of an unknown type */
    NTS_KE_SERVER_ERROR,     /* an Error record (code in error_code) */
    NTS_KE_BAD_PROTOCOL,     /* no or another next protocol than NTPv4 */
    NTS_KE_BAD_AEAD,         /* no AEAD record or an algorithm we did not offer */
    NTS_KE_NO_COOKIES,       /* no New Cookie record */
    NTS_KE_BAD_SERVER,       /* NTPv4 server name empty, too long or not printable */
    NTS_KE_BAD_REQUEST,      /* a client request breaking the rules of RFC 8915 §4.1 */
    NTS_KE_N_VERDICTS
};

/* A parsed server response. */
struct nts_ke_response {
    int aead;      /* negotiated algorithm id */
    int n_cookies; /* cookies kept (first NTS_MAX_COOKIES) */
    uint8_t cookies[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
    size_t cookie_len[NTS_MAX_COOKIES];
    char ntp_server[NTS_MAX_SERVER_NAME]; /* NTPv4 Server Negotiation, "" if absent */
    int ntp_port;                         /* NTPv4 Port Negotiation, 0 if absent */
    int error_code;                       /* with NTS_KE_SERVER_ERROR */
    int n_warnings;
};

/* Write a client request offering NTPv4 and the given AEAD ids (in order of preference):
 * Next Protocol (critical), AEAD Algorithm (critical), End of Message; like chrony, an empty
 * non-critical record of type 1024 (compliant AES-128-GCM-SIV key export) precedes End when
 * 30 is offered. Returns the length, 0 if cap is too small, n_aeads is not 1..64 or an id is
 * not 0..65535. */
size_t nts_ke_build_request(const int *aeads, int n_aeads, uint8_t *buf, size_t cap);

/* Parse a server response buf[0..len) (everything received so far). NTS_KE_INCOMPLETE if
 * no End of Message record is complete yet (NTS_KE_BAD_RECORD instead once len reaches
 * NTS_KE_MAX_MESSAGE); otherwise the verdict, with *out filled (the AEAD must be one of
 * `offered`). Records after End of Message are ignored. Follows chrony's client: the first
 * failing record decides the verdict; cookies that are empty, longer than NTS_MAX_COOKIE_LEN
 * or not a multiple of 4 bytes are skipped; Warning records are only counted (chrony rejects
 * the whole response on one, so callers wanting that check n_warnings). */
enum nts_ke_verdict nts_ke_parse_response(const uint8_t *buf, size_t len, const int *offered,
                                          int n_offered, struct nts_ke_response *out);

/* Error record codes (RFC 8915 §4.1.3). */
#define NTS_KE_ERR_UNRECOGNIZED_CRITICAL 0
#define NTS_KE_ERR_BAD_REQUEST 1
#define NTS_KE_ERR_INTERNAL 2
/* Values of one record a server looks at (chrony reads 256 body bytes of a record). */
#define NTS_KE_MAX_OFFERED 128

/* A parsed client request. */
struct nts_ke_request {
    int ntpv4;                     /* NTPv4 is among the offered next protocols */
    int n_aeads;                   /* offered AEAD ids, in the client's order */
    int aeads[NTS_KE_MAX_OFFERED]; /* (those of the first 256 body bytes) */
    int compliant_128gcm;          /* chrony's record 1024: compliant GCM-SIV export */
    int error_code;                /* Error record to answer with, -1 if none */
};

/* Parse a client request buf[0..len) (everything received so far). NTS_KE_INCOMPLETE until an
 * End of Message record ends the data; NTS_KE_BAD_RECORD for a message that is malformed
 * (End not critical or not empty, bytes after End, NTS_KE_MAX_MESSAGE bytes without End): the
 * server closes without an answer. Otherwise, like chrony's server: NTS_KE_UNKNOWN_CRITICAL
 * (error_code 0) for an unrecognised critical record (Server and Port Negotiation included);
 * NTS_KE_BAD_REQUEST (error_code 1) for a non-critical, empty or odd-length Next Protocol
 * record, an empty or odd-length AEAD record, an Error, Warning or New Cookie record, not
 * exactly one Next Protocol record, or, with NTPv4 offered, not exactly one AEAD record; the
 * first failing record decides. NTS_KE_OK otherwise (ntpv4 may still be 0). */
enum nts_ke_verdict nts_ke_parse_request(const uint8_t *buf, size_t len,
                                         struct nts_ke_request *out);

/* The AEAD to use: the first id the client offered that is in enabled[0..n_enabled) (chrony's
 * choice: the client's order decides). -1 if none. */
int nts_ke_select_aead(const struct nts_ke_request *req, const int *enabled, int n_enabled);

/* Write a server response accepting NTPv4 with aead (0..65535): Next Protocol, AEAD Algorithm,
 * Port Negotiation when ntp_port (0..65535) is not 123, Server Negotiation when ntp_server is
 * not NULL (1..255 bytes), the n_cookies (0..NTS_MAX_COOKIES) cookies as New Cookie records
 * (1..NTS_MAX_COOKIE_LEN bytes each), End of Message, as chrony does (all critical but the
 * cookies). Returns the length, 0 if an argument is invalid or cap is too small. */
size_t nts_ke_build_response(int aead, const uint8_t *const *cookies, const size_t *cookie_lens,
                             int n_cookies, const char *ntp_server, int ntp_port, uint8_t *buf,
                             size_t cap);

/* Write an Error record with code (0..65535) and End of Message. Returns the length or 0. */
size_t nts_ke_build_error(int code, uint8_t *buf, size_t cap);

/* Write chrony's answer to a request it cannot serve (RFC 8915 §4.1.2, §4.1.5): without NTPv4
 * offered an empty Next Protocol record; with NTPv4 but no acceptable AEAD, Next Protocol NTPv4
 * and an empty AEAD Algorithm record. Then End of Message. Returns the length or 0. */
size_t nts_ke_build_refusal(int ntpv4, uint8_t *buf, size_t cap);

const char *nts_ke_verdict_name(enum nts_ke_verdict v);

/* The 5-byte exporter context of the C2S (s2c = 0) or S2C (s2c = 1) key for aead. */
void nts_ke_exporter_context(int aead, int s2c, uint8_t out[5]);

#endif
