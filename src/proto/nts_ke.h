/* NTS Key Establishment records (RFC 8915 §4): the client's request and the parsing of a
 * server's response into what an NTS client keeps (AEAD algorithm, cookies, NTP server and
 * port). (buf, len) in, verdict out; the TLS session itself is the platform's. */
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

const char *nts_ke_verdict_name(enum nts_ke_verdict v);

/* The 5-byte exporter context of the C2S (s2c = 0) or S2C (s2c = 1) key for aead. */
void nts_ke_exporter_context(int aead, int s2c, uint8_t out[5]);

#endif
