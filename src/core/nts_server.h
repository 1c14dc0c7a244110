/* The server side of NTS (RFC 8915): the server keys that seal cookies (rotated, the
 * previous ones kept to open cookies issued before), cookies carrying a client's C2S/S2C
 * keys, and the check and answer of NTS-protected NTP requests. Pure: randomness comes
 * in as arguments. */
#ifndef CORE_NTS_SERVER_H
#define CORE_NTS_SERVER_H

#include "core/nts_ntp.h"
#include "proto/nts_ke.h"
#include "proto/ntp.h"

#include <stddef.h>
#include <stdint.h>

/* Server keys are AES-SIV-CMAC-256 keys. */
#define NTS_SERVER_KEY_LEN 32
/* Key slots as chrony's: the two previous keys, the current one and the next ("future")
 * one, which is known (and saved) a rotation before it seals cookies. The low 2 bits of a
 * key's id are its slot. */
#define NTS_SERVER_MAX_KEYS 4
/* Random bytes a new key needs: id + key. */
#define NTS_SERVER_KEY_RANDOM (4 + NTS_SERVER_KEY_LEN)
/* Random bytes a fresh key set needs (nts_server_keys_init). */
#define NTS_SERVER_KEYS_RANDOM (NTS_SERVER_MAX_KEYS * NTS_SERVER_KEY_RANDOM)
/* Cookie layout as chrony's (100 bytes for AES-SIV-CMAC-256): key id (4), nonce (16),
 * AEAD(server key, nonce, C2S || S2C) with a 16-byte tag. */
#define NTS_SERVER_COOKIE_NONCE 16

struct nts_server_key {
    uint32_t id;
    uint8_t key[NTS_SERVER_KEY_LEN];
};

struct nts_server_keys {
    struct nts_server_key k[NTS_SERVER_MAX_KEYS]; /* k[current] seals new cookies */
    int n, current; /* n: slots holding a key (all of them once initialised) */
};

/* A fresh key set: every slot gets a key from rnd (NTS_SERVER_KEYS_RANDOM bytes), the last
 * slot is the current key (chrony's start). */
void nts_server_keys_init(struct nts_server_keys *ks, const uint8_t *rnd);
/* Rotate as chrony: the next key becomes the current one and the oldest slot gets a new
 * next key from rnd; the current key and the two before it keep opening their cookies. */
void nts_server_keys_rotate(struct nts_server_keys *ks, const uint8_t rnd[NTS_SERVER_KEY_RANDOM]);

/* chrony's `ntskeys` file in `ntsdumpdir` (format NKS1): "NKS1", the age of the current key
 * in seconds (%.1f), then the keys from the oldest to the next one, one "ID HEXKEY AEAD" line
 * each (ID as %08X, AEAD 15 = AES-SIV-CMAC-256). Returns the text length, 0 if cap is too
 * small. */
size_t nts_server_keys_format(const struct nts_server_keys *ks, double age, char *buf, size_t cap);
/* Parse an `ntskeys` file (NKS1, or chrony's older NKS0 with the AEAD on the age line) as
 * chrony does: four keys of a supported AEAD whose ids follow each other in slot order.
 * text is modified. Returns 1 with the keys and the age (negative ages read as 0), else 0
 * and *ks untouched. */
int nts_server_keys_parse(char *text, struct nts_server_keys *ks, double *age);
/* Seal a client's keys into a cookie with the current key. Returns the cookie length, 0 if
 * cap is too small or the keys are invalid. */
size_t nts_server_make_cookie(const struct nts_server_keys *ks, const struct nts_keys *client,
                              const uint8_t nonce[NTS_SERVER_COOKIE_NONCE], uint8_t *out,
                              size_t cap);
/* Open a cookie sealed with any key of the set. Returns 1 and the client's keys. */
int nts_server_open_cookie(const struct nts_server_keys *ks, const uint8_t *cookie, size_t len,
                           struct nts_keys *client);

/* Why an NTS request (RFC 8915 §5) is answered, answered with a NAK or dropped. */
enum nts_server_verdict {
    NTS_SERVER_OK = 0,
    NTS_SERVER_NAK_COOKIE, /* the cookie does not open with any server key: KoD NTSN */
    NTS_SERVER_NAK_AUTH,   /* the authenticator is not authentic with the cookie's C2S key
                            * (chrony answers this with a NAK too) */
    NTS_SERVER_NOT_CLIENT, /* not a client (mode 3) request: chrony drops it */
    NTS_SERVER_MISSING,    /* no Unique Identifier, Cookie or Authenticator EF */
    NTS_SERVER_BAD_FORMAT, /* fields do not parse, two cookies, a placeholder not as long as
                            * the cookie, or the authenticator is not the last field */
    NTS_SERVER_BAD_AEAD,   /* the cookie holds keys of an AEAD this build cannot use */
    NTS_SERVER_N_VERDICTS
};

/* Largest Unique Identifier body we echo (any length fits in an NTP packet). */
#define NTS_SERVER_MAX_UID NTP_MAX_EXTENSIONS_LEN
/* Random bytes one reply needs: the authenticator nonce and a nonce per new cookie. */
#define NTS_SERVER_REPLY_RANDOM (NTS_NONCE_LEN + NTS_MAX_COOKIES * NTS_SERVER_COOKIE_NONCE)

/* What answering one NTS request needs, filled by nts_server_check_request. */
struct nts_server_request {
    uint8_t uid[NTS_SERVER_MAX_UID]; /* the first Unique Identifier EF's body, echoed */
    size_t uid_len;
    struct nts_keys keys; /* the client's keys from its cookie (valid on NTS_SERVER_OK) */
    int n_cookies;        /* new cookies to send: 1 + placeholders, at most NTS_MAX_COOKIES */
    size_t req_len;       /* the reply is padded to this length, never longer */
};

/* Check the NTS fields of the request pkt[0..len) (a whole NTPv4 client request whose fields
 * parse) as chrony does: the Unique Identifier, exactly one Cookie, Placeholders as long as
 * the cookie (also inside the encrypted plaintext), and the Authenticator last, authentic with
 * the cookie's C2S key over everything before it. out is filled on NTS_SERVER_OK, and out->uid
 * also on the NAK verdicts (a NAK echoes the identifier). */
enum nts_server_verdict nts_server_check_request(const struct nts_server_keys *ks,
                                                 const uint8_t *pkt, size_t len,
                                                 struct nts_server_request *out);

/* Whether a verdict is answered with a KoD NTSN (nts_server_finish_nak). */
int nts_server_verdict_is_nak(enum nts_server_verdict v);

/* Finish the reply reply[0..len) (header with the transmit timestamp set) to a request that
 * got NTS_SERVER_OK: the Unique Identifier EF, then the Authenticator EF (S2C key, nonce from
 * rnd) whose plaintext holds rq->n_cookies new cookies sealed with the current server key
 * (nonces from rnd), padded so the reply is as long as the request (RFC 8915 §5.7, chrony);
 * fewer cookies are sent if all would not fit in the request's length. Returns the new length
 * (<= rq->req_len), or 0 if no reply fits (do not send). */
size_t nts_server_finish_reply(const struct nts_server_keys *ks,
                               const struct nts_server_request *rq, uint8_t *reply, size_t len,
                               size_t cap, const uint8_t rnd[NTS_SERVER_REPLY_RANDOM]);

/* Finish a NAK reply (the header already made a KoD NTSN, RFC 8915 §5.7): only the Unique
 * Identifier EF is appended. Returns the new length, or 0 if it does not fit. */
size_t nts_server_finish_nak(const struct nts_server_request *rq, uint8_t *reply, size_t len,
                             size_t cap);

const char *nts_server_verdict_name(enum nts_server_verdict v);

#endif
