#include "core/nts_ntp.h"

#include "crypto/siv.h"
#include "lib/bytes.h"
#include "proto/ntp.h"

#include <assert.h>
#include <string.h>

/* RFC 8915 §5.6: Nonce Length and Ciphertext Length precede the nonce. */
#define AUTH_HEADER_LEN 4
/* chrony wants the body as long as with a 16-byte nonce even when a shorter one is sent,
 * the difference being padding after the ciphertext. */
#define MIN_NONCE_SPACE 16
/* Largest authenticator body we build or decrypt, bounded by chrony's EF space. */
#define MAX_AUTH_BODY NTP_MAX_EXTENSIONS_LEN
/* chrony makes its request authenticator longer than the longest NTPv4 MAC (RFC 7822 §7.5)
 * so the last field cannot be mistaken for one. */
#define REQUEST_MIN_AUTH_EF (NTP_MAC_MAX_V4_LEN + 4)

static const uint8_t zero_cookie[NTS_MAX_COOKIE_LEN];

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static int keys_valid(const struct nts_keys *k)
{
    return k && k->key_len > 0 && k->key_len <= sizeof(k->c2s) &&
           k->key_len == nts_aead_key_len(k->aead);
}

size_t nts_ntp_append_auth(uint8_t *pkt, size_t len, size_t cap, int aead, const uint8_t *key,
                           const uint8_t *nonce, size_t nonce_len, const uint8_t *plain,
                           size_t plain_len, size_t min_ef_len)
{
    uint8_t body[MAX_AUTH_BODY];
    size_t ct_off, ct_len, body_len;

    if (!pkt || !key || !nonce || nonce_len < 1 || nonce_len > 0xFFFF || len > cap ||
        (!plain && plain_len > 0) || plain_len > MAX_AUTH_BODY)
        return 0;
    ct_off = AUTH_HEADER_LEN + pad4(nonce_len);
    ct_len = plain_len + NTS_AEAD_TAG_LEN;
    body_len = ct_off + pad4(ct_len);
    /* RFC 8915 §5.6 additional padding after the ciphertext: as much as a shorter nonce
     * lacks of 16 bytes (what chrony expects), and up to the minimum field length. */
    if (pad4(nonce_len) < MIN_NONCE_SPACE)
        body_len += MIN_NONCE_SPACE - pad4(nonce_len);
    if (min_ef_len > NTP_EF_HEADER_LEN + body_len)
        body_len = pad4(min_ef_len - NTP_EF_HEADER_LEN);
    if (body_len > sizeof(body))
        return 0;
    assert(body_len >= ct_off + ct_len && body_len % 4 == 0);
    memset(body, 0, body_len);
    put_be16(body, (uint16_t)nonce_len);
    put_be16(body + 2, (uint16_t)ct_len);
    memcpy(body + AUTH_HEADER_LEN, nonce, nonce_len);
    /* The associated data is everything before this field (RFC 8915 §5.6). */
    if (!nts_aead_encrypt(aead, key, nonce, nonce_len, pkt, len, plain, plain_len, body + ct_off))
        return 0;
    return ntp_ef_append(pkt, len, cap, NTP_EF_NTS_AUTH_AND_EEF, body, body_len);
}

size_t nts_ntp_build_request(uint8_t *pkt, size_t len, size_t cap, const uint8_t uid[NTS_UID_LEN],
                             const struct nts_cookie *cookie, int n_placeholders,
                             const struct nts_keys *k, const uint8_t nonce[NTS_NONCE_LEN])
{
    if (!pkt || !uid || !cookie || !nonce || !keys_valid(k) || len < NTP_HEADER_LEN ||
        cookie->len < 1 || cookie->len > NTS_MAX_COOKIE_LEN || n_placeholders < 0)
        return 0;
    /* RFC 8915 §5.3-5.5: identifier, one cookie, and placeholders as long as the cookie
     * asking for more cookies. */
    len = ntp_ef_append(pkt, len, cap, NTP_EF_NTS_UNIQUE_IDENTIFIER, uid, NTS_UID_LEN);
    if (len)
        len = ntp_ef_append(pkt, len, cap, NTP_EF_NTS_COOKIE, cookie->data, cookie->len);
    for (int i = 0; len && i < n_placeholders; i++)
        len = ntp_ef_append(pkt, len, cap, NTP_EF_NTS_COOKIE_PLACEHOLDER, zero_cookie, cookie->len);
    if (!len)
        return 0;
    return nts_ntp_append_auth(pkt, len, cap, k->aead, k->c2s, nonce, NTS_NONCE_LEN, NULL, 0,
                               REQUEST_MIN_AUTH_EF);
}

size_t nts_ntp_build_response(uint8_t *pkt, size_t len, size_t cap, const uint8_t uid[NTS_UID_LEN],
                              const struct nts_cookie *cookies, int n, const struct nts_keys *k,
                              const uint8_t nonce[NTS_NONCE_LEN])
{
    uint8_t plain[MAX_AUTH_BODY];
    size_t plain_len = 0;

    if (!pkt || !uid || !nonce || !keys_valid(k) || len < NTP_HEADER_LEN || n < 0 ||
        (n > 0 && !cookies))
        return 0;
    /* RFC 8915 §5.7: the new cookies travel encrypted, as Cookie EFs in the plaintext. */
    for (int i = 0; i < n; i++) {
        if (cookies[i].len < 1 || cookies[i].len > NTS_MAX_COOKIE_LEN)
            return 0;
        plain_len = ntp_ef_append(plain, plain_len, sizeof(plain), NTP_EF_NTS_COOKIE,
                                  cookies[i].data, cookies[i].len);
        if (!plain_len)
            return 0;
    }
    len = ntp_ef_append(pkt, len, cap, NTP_EF_NTS_UNIQUE_IDENTIFIER, uid, NTS_UID_LEN);
    if (!len)
        return 0;
    return nts_ntp_append_auth(pkt, len, cap, k->aead, k->s2c, nonce, NTS_NONCE_LEN, plain,
                               plain_len, 0);
}

size_t nts_ntp_decrypt_auth(const uint8_t *pkt, size_t off, size_t field_len, int aead,
                            const uint8_t *key, uint8_t *plain, size_t plain_cap, int *ok)
{
    const uint8_t *body = pkt + off + NTP_EF_HEADER_LEN;
    size_t body_len = field_len - NTP_EF_HEADER_LEN, nonce_len, ct_len;

    *ok = 0;
    if (field_len < NTP_EF_HEADER_LEN || body_len < AUTH_HEADER_LEN)
        return 0;
    nonce_len = get_be16(body);
    ct_len = get_be16(body + 2);
    /* RFC 8915 §5.6: nonce and ciphertext, each padded, fit in the body; like chrony, require
     * a whole tag and a body as long as with a 16-byte nonce (a shorter one is followed by
     * more padding). */
    if (nonce_len < 1 || ct_len < NTS_AEAD_TAG_LEN || ct_len - NTS_AEAD_TAG_LEN > plain_cap ||
        AUTH_HEADER_LEN + pad4(nonce_len) + pad4(ct_len) > body_len ||
        AUTH_HEADER_LEN + MIN_NONCE_SPACE + pad4(ct_len) > body_len)
        return 0;
    *ok = nts_aead_decrypt(aead, key, body + AUTH_HEADER_LEN, nonce_len, pkt, off,
                           body + AUTH_HEADER_LEN + pad4(nonce_len), ct_len, plain);
    return ct_len - NTS_AEAD_TAG_LEN;
}

/* One field of the decrypted plaintext at plain[off..len). chrony is laxer here than in the
 * packet itself: a field needs only its 4-byte header (RFC 7822's 16-byte minimum is not
 * enforced), a length that is a multiple of 4 and that fits. Returns 0 if it does not parse. */
static int plain_field(const uint8_t *plain, size_t len, size_t off, uint16_t *type,
                       size_t *field_len)
{
    if (len - off < NTP_EF_HEADER_LEN)
        return 0;
    *type = get_be16(plain + off);
    *field_len = get_be16(plain + off + 2);
    return *field_len >= NTP_EF_HEADER_LEN && *field_len % 4 == 0 && *field_len <= len - off;
}

/* Walk the EFs of the decrypted plaintext. Returns the number of usable cookies (copying the
 * first max when copy is set), or -1 if a field does not parse. */
static int plain_cookies(const uint8_t *plain, size_t plain_len, struct nts_cookie *cookies,
                         int max, int copy)
{
    size_t off = 0, field_len, body_len;
    uint16_t type;
    int usable = 0;

    while (off < plain_len) {
        if (!plain_field(plain, plain_len, off, &type, &field_len))
            return -1;
        body_len = field_len - NTP_EF_HEADER_LEN;
        /* RFC 8915 §5.7: new cookies are Cookie EFs; chrony skips (without failing) those
         * shorter than a 16-byte field or too long to store. */
        if (type == NTP_EF_NTS_COOKIE && field_len >= NTP_EF_MIN_LEN &&
            body_len <= NTS_MAX_COOKIE_LEN) {
            if (copy && usable < max) {
                memcpy(cookies[usable].data, plain + off + NTP_EF_HEADER_LEN, body_len);
                cookies[usable].len = body_len;
            }
            usable++;
        }
        off += field_len;
    }
    return usable;
}

struct walk {
    int has_uid;
    size_t auth_off, auth_len; /* auth_len 0: no authenticator */
};

/* Walk the EFs after the header, checking identifiers and the authenticator's position. */
static enum nts_ntp_verdict walk_fields(const uint8_t *pkt, size_t len,
                                        const uint8_t uid[NTS_UID_LEN], struct walk *w)
{
    size_t off = NTP_HEADER_LEN;

    while (off < len) {
        uint16_t type, field_len;

        /* As in chrony (and ntp_decode), 24 or fewer trailing bytes are a MAC, not a field
         * (RFC 7822 §7.5); NTS responses have none. */
        if (len - off <= NTP_MAC_MAX_V4_LEN ||
            ntp_ef_parse(pkt, len, off, &type, &field_len) != NTP_OK)
            return NTS_NTP_BAD_FORMAT;
        if (type == NTP_EF_NTS_UNIQUE_IDENTIFIER) {
            /* RFC 8915 §5.3: the server echoes our identifier; chrony wants it exactly. */
            if (field_len != NTP_EF_HEADER_LEN + NTS_UID_LEN ||
                memcmp(pkt + off + NTP_EF_HEADER_LEN, uid, NTS_UID_LEN) != 0)
                return NTS_NTP_BAD_UID;
            w->has_uid = 1;
        } else if (type == NTP_EF_NTS_AUTH_AND_EEF) {
            /* Fields after the authenticator would be unauthenticated: chrony wants it last. */
            if (off + field_len != len)
                return NTS_NTP_BAD_FORMAT;
            w->auth_off = off;
            w->auth_len = field_len;
        }
        off += field_len;
    }
    return NTS_NTP_OK;
}

static int is_nts_nak(const uint8_t *pkt)
{
    /* RFC 8915 §5.7: a Kiss-o'-Death with stratum 0 and code NTSN. */
    return pkt[1] == 0 && get_be32(pkt + 12) == NTS_KOD_NAK;
}

enum nts_ntp_verdict nts_ntp_check_response(const uint8_t *pkt, size_t len,
                                            const uint8_t uid[NTS_UID_LEN],
                                            const struct nts_keys *k, struct nts_cookie *cookies,
                                            int max, int *n_cookies)
{
    uint8_t plain[MAX_AUTH_BODY];
    struct walk w = {0, 0, 0};
    enum nts_ntp_verdict v;
    size_t plain_len = 0;
    int usable, authentic;

    if (!pkt || len < NTP_HEADER_LEN || !uid)
        return NTS_NTP_BAD_FORMAT;
    v = walk_fields(pkt, len, uid, &w);
    if (v != NTS_NTP_OK)
        return v;
    if (!w.auth_len) {
        if (w.has_uid && is_nts_nak(pkt))
            return NTS_NTP_NAK;
        return w.has_uid ? NTS_NTP_NO_AUTH : NTS_NTP_NO_UID;
    }
    if (!keys_valid(k))
        return NTS_NTP_BAD_AUTH;
    plain_len = nts_ntp_decrypt_auth(pkt, w.auth_off, w.auth_len, k->aead, k->s2c, plain,
                                     sizeof(plain), &authentic);
    if (!authentic)
        return NTS_NTP_BAD_AUTH;
    if (!w.has_uid)
        return NTS_NTP_NO_UID;
    usable = plain_cookies(plain, plain_len, NULL, 0, 0);
    /* chrony rejects an authentic response that brings no usable cookie. */
    if (usable <= 0)
        return NTS_NTP_BAD_FORMAT;
    if (!cookies || max < 0)
        max = 0;
    usable = plain_cookies(plain, plain_len, cookies, max, 1);
    if (n_cookies)
        *n_cookies = usable < max ? usable : max;
    return NTS_NTP_OK;
}

const char *nts_ntp_verdict_name(enum nts_ntp_verdict v)
{
    static const char *const names[NTS_NTP_N_VERDICTS] = {
        "ok", "NTS NAK", "no uid", "bad uid", "no auth", "bad auth", "bad format"};

    if ((int)v < 0 || v >= NTS_NTP_N_VERDICTS)
        return "?";
    return names[v];
}
