#include "core/nts_server.h"

#include "crypto/siv.h"
#include "lib/bytes.h"
#include "lib/hex.h"
#include "lib/scan.h"
#include "proto/ntp.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Server keys seal cookies with AES-SIV-CMAC-256, as chrony does when AES-128-GCM-SIV is not
 * available. */
#define SERVER_AEAD NTS_AEAD_AES_SIV_CMAC_256
#define COOKIE_HEADER (4 + NTS_SERVER_COOKIE_NONCE)
/* The key of slot idx from rnd: its id carries the slot in the low bits (chrony). */
static void key_from_random(struct nts_server_key *k, int idx,
                            const uint8_t rnd[NTS_SERVER_KEY_RANDOM])
{
    k->id = (get_be32(rnd) & ~(uint32_t)(NTS_SERVER_MAX_KEYS - 1)) | (uint32_t)idx;
    memcpy(k->key, rnd + 4, NTS_SERVER_KEY_LEN);
}

void nts_server_keys_init(struct nts_server_keys *ks, const uint8_t *rnd)
{
    assert(ks && rnd);
    memset(ks, 0, sizeof(*ks));
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++)
        key_from_random(&ks->k[i], i, rnd + i * NTS_SERVER_KEY_RANDOM);
    ks->n = NTS_SERVER_MAX_KEYS;
    ks->current = NTS_SERVER_MAX_KEYS - 1;
}

void nts_server_keys_rotate(struct nts_server_keys *ks, const uint8_t rnd[NTS_SERVER_KEY_RANDOM])
{
    int next;

    assert(ks && rnd && ks->n == NTS_SERVER_MAX_KEYS);
    assert(ks->current >= 0 && ks->current < NTS_SERVER_MAX_KEYS);
    ks->current = (ks->current + 1) % NTS_SERVER_MAX_KEYS;
    /* The slot after the new current key held the oldest key. */
    next = (ks->current + 1) % NTS_SERVER_MAX_KEYS;
    key_from_random(&ks->k[next], next, rnd);
}

size_t nts_server_keys_format(const struct nts_server_keys *ks, double age, char *buf, size_t cap)
{
    char hex[2 * NTS_SERVER_KEY_LEN + 1];
    size_t len;
    int r;

    if (!ks || ks->n != NTS_SERVER_MAX_KEYS || !buf)
        return 0;
    r = snprintf(buf, cap, "NKS1\n%.1f\n", age);
    if (r < 0 || (size_t)r >= cap)
        return 0;
    len = (size_t)r;
    /* From the oldest (two after the current) round to the next key. */
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++) {
        const struct nts_server_key *k = &ks->k[(ks->current + i + 2) % NTS_SERVER_MAX_KEYS];
        hex_encode(k->key, NTS_SERVER_KEY_LEN, hex);
        r = snprintf(buf + len, cap - len, "%08lX %s %d\n", (unsigned long)k->id, hex, SERVER_AEAD);
        if (r < 0 || (size_t)r >= cap - len)
            return 0;
        len += (size_t)r;
    }
    memset(hex, 0, sizeof(hex));
    return len;
}

/* The next line of *cur, NUL-terminated in place; NULL at the end of the text. */
static char *next_line(char **cur)
{
    char *line = *cur, *nl;

    if (!*line)
        return NULL;
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *cur = nl + 1;
    } else {
        *cur = line + strlen(line);
    }
    return line;
}

/* Split line into at most max words (one more is counted as too many). */
static int split_words(char *line, char **w, int max)
{
    int n = 0;

    for (;;) {
        char *word = scan_word(&line);
        if (!*word)
            return n;
        if (n == max)
            return max + 1;
        w[n++] = word;
    }
}

static int parse_hex_id(const char *s, uint32_t *id)
{
    char *end;
    unsigned long v;

    if (!isxdigit((unsigned char)*s))
        return 0;
    v = strtoul(s, &end, 16);
    if (v > 0xFFFFFFFFUL)
        return 0;
    *id = (uint32_t)v;
    return 1;
}

int nts_server_keys_parse(char *text, struct nts_server_keys *ks, double *age)
{
    struct nts_server_key keys[NTS_SERVER_MAX_KEYS];
    char *cur = text, *line, *w[3], *end;
    int old, aead = 0, n, last = 0;
    double a;

    if (!text || !ks || !age)
        return 0;
    line = next_line(&cur);
    if (!line || (strcmp(line, "NKS1") != 0 && strcmp(line, "NKS0") != 0))
        return 0;
    old = strcmp(line, "NKS1") != 0;
    /* NKS1: "AGE"; NKS0: "AEAD AGE" */
    line = next_line(&cur);
    if (!line || split_words(line, w, 3) != (old ? 2 : 1))
        return 0;
    if (old && (aead = (int)strtol(w[0], &end, 10), end == w[0]))
        return 0;
    a = strtod(w[old ? 1 : 0], &end);
    if (end == w[old ? 1 : 0])
        return 0;
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++) {
        line = next_line(&cur);
        n = line ? split_words(line, w, 3) : 0;
        if (n != (old ? 2 : 3) || !parse_hex_id(w[0], &keys[i].id))
            goto fail;
        if (!old && (aead = (int)strtol(w[2], &end, 10), end == w[2]))
            goto fail;
        /* Server keys of this build are AES-SIV-CMAC-256 keys. */
        if (aead != SERVER_AEAD ||
            (i > 0 && (keys[i].id - keys[i - 1].id) % NTS_SERVER_MAX_KEYS != 1) ||
            hex_decode(w[1], strlen(w[1]), keys[i].key, sizeof(keys[i].key)) != NTS_SERVER_KEY_LEN)
            goto fail;
    }
    memset(ks, 0, sizeof(*ks));
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++) {
        last = (int)(keys[i].id % NTS_SERVER_MAX_KEYS);
        ks->k[last] = keys[i];
    }
    ks->n = NTS_SERVER_MAX_KEYS;
    /* The last key is the next one: the current key is in the slot before it. */
    ks->current = (last + NTS_SERVER_MAX_KEYS - 1) % NTS_SERVER_MAX_KEYS;
    *age = a > 0.0 ? a : 0.0;
    memset(keys, 0, sizeof(keys));
    return 1;
fail:
    memset(keys, 0, sizeof(keys));
    return 0;
}

static int client_keys_valid(const struct nts_keys *k)
{
    return k && k->key_len > 0 && k->key_len <= sizeof(k->c2s) &&
           k->key_len == nts_aead_key_len(k->aead);
}

size_t nts_server_make_cookie(const struct nts_server_keys *ks, const struct nts_keys *client,
                              const uint8_t nonce[NTS_SERVER_COOKIE_NONCE], uint8_t *out,
                              size_t cap)
{
    uint8_t plain[2 * NTS_MAX_KEY_LEN];
    const struct nts_server_key *key;
    size_t plain_len, len;
    int ok;

    if (!ks || ks->n < 1 || ks->current < 0 || ks->current >= NTS_SERVER_MAX_KEYS || !nonce ||
        !out || !client_keys_valid(client))
        return 0;
    key = &ks->k[ks->current];
    /* chrony's cookie: key id, nonce, then C2S || S2C sealed without associated data; the AEAD
     * is implied by the key length. */
    plain_len = 2 * client->key_len;
    len = COOKIE_HEADER + plain_len + NTS_AEAD_TAG_LEN;
    if (cap < len)
        return 0;
    memcpy(plain, client->c2s, client->key_len);
    memcpy(plain + client->key_len, client->s2c, client->key_len);
    put_be32(out, key->id);
    memcpy(out + 4, nonce, NTS_SERVER_COOKIE_NONCE);
    ok = nts_aead_encrypt(SERVER_AEAD, key->key, nonce, NTS_SERVER_COOKIE_NONCE, NULL, 0, plain,
                          plain_len, out + COOKIE_HEADER);
    memset(plain, 0, sizeof(plain));
    return ok ? len : 0;
}

/* The AEAD a cookie's keys belong to, from their length (as chrony). */
static int aead_from_key_len(size_t key_len)
{
    switch (key_len) {
    case 16:
        return NTS_AEAD_AES_128_GCM_SIV;
    case 32:
        return NTS_AEAD_AES_SIV_CMAC_256;
    default:
        return -1;
    }
}

static int open_with_key(const struct nts_server_key *key, const uint8_t *cookie, size_t len,
                         struct nts_keys *client)
{
    uint8_t plain[2 * NTS_MAX_KEY_LEN];
    size_t plain_len = len - COOKIE_HEADER - NTS_AEAD_TAG_LEN, key_len = plain_len / 2;
    int aead = aead_from_key_len(key_len);

    if (aead < 0 || plain_len % 2 != 0 ||
        !nts_aead_decrypt(SERVER_AEAD, key->key, cookie + 4, NTS_SERVER_COOKIE_NONCE, NULL, 0,
                          cookie + COOKIE_HEADER, len - COOKIE_HEADER, plain)) {
        memset(plain, 0, sizeof(plain));
        return 0;
    }
    memset(client, 0, sizeof(*client));
    client->aead = aead;
    client->key_len = key_len;
    memcpy(client->c2s, plain, key_len);
    memcpy(client->s2c, plain + key_len, key_len);
    memset(plain, 0, sizeof(plain));
    return 1;
}

int nts_server_open_cookie(const struct nts_server_keys *ks, const uint8_t *cookie, size_t len,
                           struct nts_keys *client)
{
    const struct nts_server_key *key;
    uint32_t id;

    /* A cookie holds at least one byte of keys after its header and tag, at most two keys. */
    if (!ks || !cookie || !client || len <= COOKIE_HEADER + NTS_AEAD_TAG_LEN ||
        len > COOKIE_HEADER + 2 * NTS_MAX_KEY_LEN + NTS_AEAD_TAG_LEN)
        return 0;
    id = get_be32(cookie);
    /* The id names the slot (chrony); the key there must carry that very id. */
    if (ks->n != NTS_SERVER_MAX_KEYS)
        return 0;
    key = &ks->k[id % NTS_SERVER_MAX_KEYS];
    return key->id == id && open_with_key(key, cookie, len, client);
}

/* What the walk over the request's fields found. */
struct req_walk {
    const uint8_t *cookie;
    size_t cookie_len, auth_off, auth_len;
    int has_uid, has_cookie, requested;
    long cookie_body; /* length of the cookie and placeholders, -1 before the first */
};

/* A Cookie or Placeholder body: all must be as long as the first (chrony). */
static int walk_cookie_len(struct req_walk *w, size_t body_len)
{
    if (w->cookie_body >= 0 && (size_t)w->cookie_body != body_len)
        return 0;
    w->cookie_body = (long)body_len;
    w->requested++;
    return 1;
}

static enum nts_server_verdict walk_field(struct req_walk *w, const uint8_t *pkt, size_t len,
                                          size_t off, uint16_t type, size_t field_len,
                                          struct nts_server_request *out)
{
    const uint8_t *body = pkt + off + NTP_EF_HEADER_LEN;
    size_t body_len = field_len - NTP_EF_HEADER_LEN;

    switch (type) {
    case NTP_EF_NTS_UNIQUE_IDENTIFIER:
        /* RFC 8915 §5.3: the reply echoes the identifier. */
        if (!w->has_uid && body_len <= sizeof(out->uid)) {
            memcpy(out->uid, body, body_len);
            out->uid_len = body_len;
            w->has_uid = 1;
        }
        break;
    case NTP_EF_NTS_COOKIE:
        /* RFC 8915 §5.4: exactly one cookie. */
        if (w->has_cookie || body_len > NTS_MAX_COOKIE_LEN || !walk_cookie_len(w, body_len))
            return NTS_SERVER_BAD_FORMAT;
        w->cookie = body;
        w->cookie_len = body_len;
        w->has_cookie = 1;
        break;
    case NTP_EF_NTS_COOKIE_PLACEHOLDER:
        /* RFC 8915 §5.5: a placeholder as long as the cookie asks for one more. */
        if (!walk_cookie_len(w, body_len))
            return NTS_SERVER_BAD_FORMAT;
        break;
    case NTP_EF_NTS_AUTH_AND_EEF:
        /* RFC 8915 §5.6: fields after the authenticator would be unauthenticated. */
        if (off + field_len != len)
            return NTS_SERVER_BAD_FORMAT;
        w->auth_off = off;
        w->auth_len = field_len;
        break;
    default:
        break;
    }
    return NTS_SERVER_OK;
}

static enum nts_server_verdict walk_request(const uint8_t *pkt, size_t len, struct req_walk *w,
                                            struct nts_server_request *out)
{
    size_t off = NTP_HEADER_LEN;

    while (off < len) {
        uint16_t type, field_len;
        enum nts_server_verdict v;

        if (ntp_ef_parse(pkt, len, off, &type, &field_len) != NTP_OK)
            return NTS_SERVER_BAD_FORMAT;
        v = walk_field(w, pkt, len, off, type, field_len, out);
        if (v != NTS_SERVER_OK)
            return v;
        off += field_len;
    }
    return NTS_SERVER_OK;
}

/* Count the encrypted placeholders (RFC 8915 §5.5 allows them inside the authenticator).
 * Returns 0 if a field does not parse or a placeholder is not as long as the cookie. */
static int count_plain_placeholders(const uint8_t *plain, size_t plain_len, struct req_walk *w)
{
    size_t off = 0;

    while (off < plain_len) {
        size_t field_len;

        /* chrony parses the plaintext laxly: a 4-byte header, a length that is a multiple of
         * 4 and fits. */
        if (plain_len - off < NTP_EF_HEADER_LEN)
            return 0;
        field_len = get_be16(plain + off + 2);
        if (field_len < NTP_EF_HEADER_LEN || field_len % 4 != 0 || field_len > plain_len - off)
            return 0;
        if (get_be16(plain + off) == NTP_EF_NTS_COOKIE_PLACEHOLDER) {
            if ((size_t)w->cookie_body != field_len - NTP_EF_HEADER_LEN)
                return 0;
            w->requested++;
        }
        off += field_len;
    }
    return 1;
}

enum nts_server_verdict nts_server_check_request(const struct nts_server_keys *ks,
                                                 const uint8_t *pkt, size_t len,
                                                 struct nts_server_request *out)
{
    uint8_t plain[NTP_MAX_EXTENSIONS_LEN];
    struct req_walk w = {NULL, 0, 0, 0, 0, 0, 0, -1};
    enum nts_server_verdict v;
    size_t plain_len = 0;
    int authentic;

    if (!ks || !pkt || !out || len < NTP_HEADER_LEN || len % 4 != 0)
        return NTS_SERVER_BAD_FORMAT;
    memset(out, 0, sizeof(*out));
    out->req_len = len;
    /* chrony authenticates only client requests with NTS. */
    if ((pkt[0] & 7) != NTP_MODE_CLIENT)
        return NTS_SERVER_NOT_CLIENT;
    v = walk_request(pkt, len, &w, out);
    if (v != NTS_SERVER_OK)
        return v;
    if (!w.has_uid || !w.has_cookie || !w.auth_len)
        return NTS_SERVER_MISSING;
    /* RFC 8915 §5.7: a cookie the server cannot open gets a NTS NAK. */
    if (!nts_server_open_cookie(ks, w.cookie, w.cookie_len, &out->keys))
        return NTS_SERVER_NAK_COOKIE;
    if (!client_keys_valid(&out->keys))
        return NTS_SERVER_BAD_AEAD;
    plain_len = nts_ntp_decrypt_auth(pkt, w.auth_off, w.auth_len, out->keys.aead, out->keys.c2s,
                                     plain, sizeof(plain), &authentic);
    if (!authentic)
        return NTS_SERVER_NAK_AUTH;
    if (!count_plain_placeholders(plain, plain_len, &w))
        return NTS_SERVER_BAD_FORMAT;
    out->n_cookies = w.requested < NTS_MAX_COOKIES ? w.requested : NTS_MAX_COOKIES;
    return NTS_SERVER_OK;
}

int nts_server_verdict_is_nak(enum nts_server_verdict v)
{
    return v == NTS_SERVER_NAK_COOKIE || v == NTS_SERVER_NAK_AUTH;
}

size_t nts_server_finish_nak(const struct nts_server_request *rq, uint8_t *reply, size_t len,
                             size_t cap)
{
    if (!rq || !reply || len < NTP_HEADER_LEN)
        return 0;
    /* RFC 8915 §5.7: the NAK carries the identifier and nothing else. */
    return ntp_ef_append(reply, len, cap, NTP_EF_NTS_UNIQUE_IDENTIFIER, rq->uid, rq->uid_len);
}

/* The plaintext of the reply's authenticator: n new cookies as Cookie EFs. Returns its length,
 * 0 if a cookie cannot be made. */
static size_t seal_cookies(const struct nts_server_keys *ks, const struct nts_keys *client, int n,
                           const uint8_t *nonces, uint8_t *plain, size_t cap)
{
    uint8_t cookie[NTS_MAX_COOKIE_LEN];
    size_t len = 0, cookie_len;

    for (int i = 0; i < n; i++) {
        cookie_len = nts_server_make_cookie(ks, client, nonces + i * NTS_SERVER_COOKIE_NONCE,
                                            cookie, sizeof(cookie));
        if (!cookie_len)
            return 0;
        len = ntp_ef_append(plain, len, cap, NTP_EF_NTS_COOKIE, cookie, cookie_len);
        if (!len)
            return 0;
    }
    return len;
}

size_t nts_server_finish_reply(const struct nts_server_keys *ks,
                               const struct nts_server_request *rq, uint8_t *reply, size_t len,
                               size_t cap, const uint8_t rnd[NTS_SERVER_REPLY_RANDOM])
{
    uint8_t plain[NTP_MAX_EXTENSIONS_LEN];
    size_t base, plain_len, out;

    if (!ks || !rq || !reply || !rnd || len < NTP_HEADER_LEN || !client_keys_valid(&rq->keys))
        return 0;
    /* The reply must fit the request's length (amplification, RFC 8915 §5.7). */
    if (cap > rq->req_len)
        cap = rq->req_len;
    base = ntp_ef_append(reply, len, cap, NTP_EF_NTS_UNIQUE_IDENTIFIER, rq->uid, rq->uid_len);
    if (!base)
        return 0;
    /* rnd holds a nonce for each of at most NTS_MAX_COOKIES cookies (check_request). */
    assert(rq->n_cookies >= 0 && rq->n_cookies <= NTS_MAX_COOKIES);
    /* Send as many of the requested cookies as fit, padded up to the request's length. */
    for (int n = rq->n_cookies; n >= 1; n--) {
        plain_len = seal_cookies(ks, &rq->keys, n, rnd + NTS_NONCE_LEN, plain, sizeof(plain));
        if (!plain_len)
            continue;
        out = nts_ntp_append_auth(reply, base, cap, rq->keys.aead, rq->keys.s2c, rnd, NTS_NONCE_LEN,
                                  plain, plain_len, rq->req_len - base);
        memset(plain, 0, sizeof(plain));
        assert(out <= cap);
        if (out)
            return out;
    }
    return 0;
}

const char *nts_server_verdict_name(enum nts_server_verdict v)
{
    static const char *const names[NTS_SERVER_N_VERDICTS] = {
        "ok", "NAK cookie", "NAK auth", "not client", "missing field", "bad format", "bad aead"};

    if ((int)v < 0 || v >= NTS_SERVER_N_VERDICTS)
        return "?";
    return names[v];
}
