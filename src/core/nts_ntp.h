/* NTS extension fields of NTP packets (RFC 8915 §5.2-5.7): building an authenticated client
 * request and checking a server response (plus the server side, used by tests), pure. */
#ifndef CORE_NTS_NTP_H
#define CORE_NTS_NTP_H

#include "proto/nts_ke.h"

#include <stddef.h>
#include <stdint.h>

/* chrony's lengths of the Unique Identifier and of the nonce it sends (RFC 8915 §5.3 asks for
 * at least 32 bytes of identifier; §5.6 for a nonce of at least 16 bytes, padded if shorter). */
#define NTS_UID_LEN 32
#define NTS_NONCE_LEN 16
/* KoD code of an NTS negative acknowledgement, "NTSN" (RFC 8915 §5.7). */
#define NTS_KOD_NAK 0x4E54534EU

/* The AEAD keys of one NTS-KE exchange (RFC 8915 §5.1); key_len bytes of each are used. */
struct nts_keys {
    int aead; /* IANA AEAD id */
    uint8_t c2s[32], s2c[32];
    size_t key_len; /* must equal nts_aead_key_len(aead) */
};

struct nts_cookie {
    uint8_t data[NTS_MAX_COOKIE_LEN];
    size_t len;
};

enum nts_ntp_verdict {
    NTS_NTP_OK = 0,
    NTS_NTP_NAK,        /* KoD NTSN answering our uid, without an authenticator */
    NTS_NTP_NO_UID,     /* no Unique Identifier field */
    NTS_NTP_BAD_UID,    /* a Unique Identifier field that is not ours */
    NTS_NTP_NO_AUTH,    /* our uid but no authenticator (and not a NAK) */
    NTS_NTP_BAD_AUTH,   /* authenticator malformed or not authentic with the s2c key */
    NTS_NTP_BAD_FORMAT, /* fields do not parse, authenticator not last, or an authentic
                         * plaintext without a usable cookie */
    NTS_NTP_N_VERDICTS
};

/* Append to an NTP request pkt[0..len) (48-byte header, maybe other EFs; len a multiple of 4):
 * the Unique Identifier EF (uid), one NTS Cookie EF (cookie), n_placeholders Cookie
 * Placeholder EFs (zero bodies as long as the cookie), then the NTS Authenticator and
 * Encrypted Extension Fields EF: nonce, and the AEAD over associated data pkt[0..start of
 * this EF) with an empty plaintext, key c2s. Returns the new length, 0 if it does not fit in
 * cap, an argument is invalid or encryption fails (pkt[len..cap) may then be clobbered). */
size_t nts_ntp_build_request(uint8_t *pkt, size_t len, size_t cap, const uint8_t uid[NTS_UID_LEN],
                             const struct nts_cookie *cookie, int n_placeholders,
                             const struct nts_keys *k, const uint8_t nonce[NTS_NONCE_LEN]);

/* Check a response pkt[0..len): every field after the header must parse (no MAC trailer is
 * allowed); a Unique Identifier EF equal to uid; the Authenticator EF, which must be the last
 * field, must authenticate with s2c over everything before it. The new cookies are the NTS
 * Cookie EFs inside its decrypted plaintext: at least one field of 16 or more bytes with at
 * most NTS_MAX_COOKIE_LEN bytes of body is required; the first max are copied to cookies and
 * *n_cookies is set, on NTS_NTP_OK only (cookies may be NULL if max is 0, n_cookies may be
 * NULL). A KoD "NTSN" (stratum 0) carrying our uid and no authenticator is NTS_NTP_NAK. The
 * caller checks mode, origin timestamp and that it answers one request. */
enum nts_ntp_verdict nts_ntp_check_response(const uint8_t *pkt, size_t len,
                                            const uint8_t uid[NTS_UID_LEN],
                                            const struct nts_keys *k, struct nts_cookie *cookies,
                                            int max, int *n_cookies);

/* Server side: append the Unique Identifier EF (uid) and an Authenticator EF whose encrypted
 * plaintext holds cookies[0..n) as NTS Cookie EFs, key s2c. Returns the new length, 0 if it
 * does not fit or an argument is invalid. */
size_t nts_ntp_build_response(uint8_t *pkt, size_t len, size_t cap, const uint8_t uid[NTS_UID_LEN],
                              const struct nts_cookie *cookies, int n, const struct nts_keys *k,
                              const uint8_t nonce[NTS_NONCE_LEN]);

/* Append an Authenticator and Encrypted Extension Fields EF (RFC 8915 §5.6) to pkt[0..len):
 * nonce[0..nonce_len) and AEAD(key of nts_aead_key_len(aead) bytes, nonce, ad = pkt[0..len),
 * plain), then zero padding making the body as long as with a 16-byte nonce and the whole
 * field at least min_ef_len bytes (chrony: 28 in requests so the field cannot pass for a MAC;
 * a server pads its response to the request's length). Returns the new length, 0 if it does
 * not fit or an argument is invalid. */
size_t nts_ntp_append_auth(uint8_t *pkt, size_t len, size_t cap, int aead, const uint8_t *key,
                           const uint8_t *nonce, size_t nonce_len, const uint8_t *plain,
                           size_t plain_len, size_t min_ef_len);

/* Decrypt the Authenticator and Encrypted Extension Fields EF at pkt[off..off + field_len)
 * with key (AEAD aead; associated data pkt[0..off)) into plain. *ok is 1 if the field is well
 * formed (chrony's nonce and padding rules) and authentic. Returns the plaintext length. */
size_t nts_ntp_decrypt_auth(const uint8_t *pkt, size_t off, size_t field_len, int aead,
                            const uint8_t *key, uint8_t *plain, size_t plain_cap, int *ok);

const char *nts_ntp_verdict_name(enum nts_ntp_verdict v);

#endif
