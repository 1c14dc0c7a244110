/* Unit tests for src/core/nts_ntp: NTS extension fields of NTP requests and responses
 * (RFC 8915 §5), round trips through the server-side builder. */
#include "check.h"

#include "core/nts_ntp.h"
#include "crypto/siv.h"
#include "lib/bytes.h"
#include "proto/ntp.h"

#include <string.h>

struct fixture {
    struct nts_keys k;
    uint8_t uid[NTS_UID_LEN], nonce[NTS_NONCE_LEN], nonce2[NTS_NONCE_LEN];
    struct nts_cookie cookie, new_cookies[NTS_MAX_COOKIES];
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->k.aead = NTS_AEAD_AES_SIV_CMAC_256;
    f->k.key_len = 32;
    for (int i = 0; i < 32; i++) {
        f->k.c2s[i] = (uint8_t)(0x10 + i);
        f->k.s2c[i] = (uint8_t)(0x80 + i);
        f->uid[i] = (uint8_t)(0x40 ^ i);
    }
    for (int i = 0; i < NTS_NONCE_LEN; i++) {
        f->nonce[i] = (uint8_t)(0xC0 + i);
        f->nonce2[i] = (uint8_t)(0xD0 + i);
    }
    f->cookie.len = 100;
    memset(f->cookie.data, 0xCC, f->cookie.len);
    for (int i = 0; i < NTS_MAX_COOKIES; i++) {
        f->new_cookies[i].len = 96 + 4 * (size_t)i;
        memset(f->new_cookies[i].data, 0xA0 + i, f->new_cookies[i].len);
    }
}

static void header(uint8_t *pkt, int mode, int stratum, uint32_t refid)
{
    memset(pkt, 0, NTP_HEADER_LEN);
    pkt[0] = (uint8_t)(NTP_VERSION << 3 | mode);
    pkt[1] = (uint8_t)stratum;
    put_be32(pkt + 12, refid);
    put_be32(pkt + 40, 0xE5000001U);
}

/* A response carrying n of the fixture's new cookies. */
static size_t make_response(const struct fixture *f, uint8_t *pkt, size_t cap, int n)
{
    header(pkt, NTP_MODE_SERVER, 2, 0x7F000001U);
    return nts_ntp_build_response(pkt, NTP_HEADER_LEN, cap, f->uid, f->new_cookies, n, &f->k,
                                  f->nonce2);
}

static enum nts_ntp_verdict check(const struct fixture *f, const uint8_t *pkt, size_t len,
                                  struct nts_cookie *out, int max, int *n)
{
    return nts_ntp_check_response(pkt, len, f->uid, &f->k, out, max, n);
}

static void test_request_layout(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN], zero[NTS_MAX_COOKIE_LEN] = {0};
    size_t len, off = NTP_HEADER_LEN;
    uint16_t type, flen;

    fixture_init(&f);
    header(pkt, NTP_MODE_CLIENT, 0, 0);
    len =
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 2, &f.k, f.nonce);
    CHECK_INT_EQ(len, NTP_HEADER_LEN + 36 + 104 + 2 * 104 + 40);
    CHECK(ntp_ef_parse(pkt, len, off, &type, &flen) == NTP_OK);
    CHECK(type == NTP_EF_NTS_UNIQUE_IDENTIFIER && flen == 36);
    CHECK(memcmp(pkt + off + 4, f.uid, NTS_UID_LEN) == 0);
    off += flen;
    CHECK(ntp_ef_parse(pkt, len, off, &type, &flen) == NTP_OK);
    CHECK(type == NTP_EF_NTS_COOKIE && flen == 104);
    CHECK(memcmp(pkt + off + 4, f.cookie.data, f.cookie.len) == 0);
    off += flen;
    /* RFC 8915 §5.5: placeholders are exactly as long as the cookie, zero-filled. */
    for (int i = 0; i < 2; i++) {
        CHECK(ntp_ef_parse(pkt, len, off, &type, &flen) == NTP_OK);
        CHECK(type == NTP_EF_NTS_COOKIE_PLACEHOLDER && flen == 104);
        CHECK(memcmp(pkt + off + 4, zero, 100) == 0);
        off += flen;
    }
    CHECK(ntp_ef_parse(pkt, len, off, &type, &flen) == NTP_OK);
    CHECK(type == NTP_EF_NTS_AUTH_AND_EEF && flen == 40 && off + flen == len);
    CHECK_INT_EQ(get_be16(pkt + off + 4), NTS_NONCE_LEN);
    CHECK_INT_EQ(get_be16(pkt + off + 6), NTS_AEAD_TAG_LEN);
    CHECK(memcmp(pkt + off + 8, f.nonce, NTS_NONCE_LEN) == 0);
    /* The tag authenticates everything before the field with the C2S key. */
    CHECK(nts_aead_decrypt(f.k.aead, f.k.c2s, f.nonce, NTS_NONCE_LEN, pkt, off, pkt + off + 24, 16,
                           NULL));
    CHECK(!nts_aead_decrypt(f.k.aead, f.k.s2c, f.nonce, NTS_NONCE_LEN, pkt, off, pkt + off + 24, 16,
                            NULL));
    /* The whole request still decodes as an NTPv4 packet with five fields and no MAC. */
    {
        struct ntp_packet_info info;
        CHECK_INT_EQ(ntp_decode(pkt, len, NULL, &info), NTP_OK);
        CHECK_INT_EQ(info.n_efs, 5);
        CHECK(info.mac == NTP_MAC_NONE && info.has_nts);
    }
}

static void test_request_limits(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    size_t full;
    struct nts_keys bad;

    fixture_init(&f);
    header(pkt, NTP_MODE_CLIENT, 0, 0);
    full =
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 1, &f.k, f.nonce);
    CHECK(full > 0);
    for (size_t cap = NTP_HEADER_LEN; cap < full; cap++)
        CHECK_INT_EQ(
            nts_ntp_build_request(pkt, NTP_HEADER_LEN, cap, f.uid, &f.cookie, 1, &f.k, f.nonce), 0);
    CHECK_INT_EQ(
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, full, f.uid, &f.cookie, 1, &f.k, f.nonce), full);
    bad = f.k;
    bad.aead = NTS_AEAD_AES_128_GCM_SIV;
    CHECK_INT_EQ(
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 0, &bad, f.nonce),
        0);
    bad = f.k;
    bad.key_len = 16;
    CHECK_INT_EQ(
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 0, &bad, f.nonce),
        0);
    f.cookie.len = 0;
    CHECK_INT_EQ(
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 0, &f.k, f.nonce),
        0);
    f.cookie.len = 8;
    CHECK_INT_EQ(nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, -1, &f.k,
                                       f.nonce),
                 0);
    CHECK_INT_EQ(nts_ntp_build_request(pkt, 40, sizeof(pkt), f.uid, &f.cookie, 0, &f.k, f.nonce),
                 0);
    /* A short cookie still makes fields of at least 16 bytes (RFC 7822 §7). */
    full =
        nts_ntp_build_request(pkt, NTP_HEADER_LEN, sizeof(pkt), f.uid, &f.cookie, 1, &f.k, f.nonce);
    CHECK_INT_EQ(full, NTP_HEADER_LEN + 36 + 16 + 16 + 40);
}

static void test_round_trip(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    struct nts_cookie got[NTS_MAX_COOKIES];
    size_t len;
    int n = -1;

    fixture_init(&f);
    len = make_response(&f, pkt, sizeof(pkt), 3);
    CHECK(len > 0);
    CHECK_INT_EQ(check(&f, pkt, len, got, NTS_MAX_COOKIES, &n), NTS_NTP_OK);
    CHECK_INT_EQ(n, 3);
    for (int i = 0; i < 3 && i < n; i++) {
        CHECK_INT_EQ(got[i].len, f.new_cookies[i].len);
        CHECK(memcmp(got[i].data, f.new_cookies[i].data, got[i].len) == 0);
    }
    /* Keep fewer than were sent; NULL outputs are allowed. */
    n = -1;
    CHECK_INT_EQ(check(&f, pkt, len, got, 2, &n), NTS_NTP_OK);
    CHECK_INT_EQ(n, 2);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_OK);
    len = make_response(&f, pkt, sizeof(pkt), NTS_MAX_COOKIES);
    CHECK_INT_EQ(check(&f, pkt, len, got, NTS_MAX_COOKIES, &n), NTS_NTP_OK);
    CHECK_INT_EQ(n, NTS_MAX_COOKIES);
}

/* Flipping any byte of an authentic response makes it fail: a changed identifier is not ours,
 * anything else breaks the field layout or the authenticator. */
static void test_tamper_every_byte(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    size_t len, uid_end = NTP_HEADER_LEN + 4 + NTS_UID_LEN;
    int bad = 0;

    fixture_init(&f);
    len = make_response(&f, pkt, sizeof(pkt), 2);
    for (size_t i = 0; i < len; i++) {
        enum nts_ntp_verdict v, expect = NTS_NTP_BAD_AUTH;

        if (i >= NTP_HEADER_LEN + 4 && i < uid_end)
            expect = NTS_NTP_BAD_UID;
        pkt[i] ^= 0x01;
        v = check(&f, pkt, len, NULL, 0, NULL);
        pkt[i] ^= 0x01;
        /* Field headers may also make the layout unparseable or the identifier look wrong. */
        if (v == NTS_NTP_OK || (v != expect && !((i >= NTP_HEADER_LEN && i < NTP_HEADER_LEN + 4) ||
                                                 (i >= uid_end && i < uid_end + 8)))) {
            printf("byte %zu: %s\n", i, nts_ntp_verdict_name(v));
            bad++;
        }
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_OK);
}

static void test_wrong_uid_key(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN], other[NTS_UID_LEN];
    struct nts_keys k2;
    size_t len;

    fixture_init(&f);
    len = make_response(&f, pkt, sizeof(pkt), 1);
    memcpy(other, f.uid, sizeof(other));
    other[31] ^= 0xFF;
    CHECK_INT_EQ(nts_ntp_check_response(pkt, len, other, &f.k, NULL, 0, NULL), NTS_NTP_BAD_UID);
    k2 = f.k;
    memcpy(k2.s2c, k2.c2s, sizeof(k2.s2c));
    CHECK_INT_EQ(nts_ntp_check_response(pkt, len, f.uid, &k2, NULL, 0, NULL), NTS_NTP_BAD_AUTH);
    k2 = f.k;
    k2.aead = NTS_AEAD_AES_128_GCM_SIV;
    CHECK_INT_EQ(nts_ntp_check_response(pkt, len, f.uid, &k2, NULL, 0, NULL), NTS_NTP_BAD_AUTH);
    CHECK_INT_EQ(nts_ntp_check_response(pkt, len, f.uid, NULL, NULL, 0, NULL), NTS_NTP_BAD_AUTH);
}

static void test_nak(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN], other[NTS_UID_LEN] = {0};
    size_t len;

    fixture_init(&f);
    header(pkt, NTP_MODE_SERVER, 0, NTS_KOD_NAK);
    len = ntp_ef_append(pkt, NTP_HEADER_LEN, sizeof(pkt), NTP_EF_NTS_UNIQUE_IDENTIFIER, f.uid,
                        NTS_UID_LEN);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_NAK);
    CHECK_INT_EQ(nts_ntp_check_response(pkt, len, other, &f.k, NULL, 0, NULL), NTS_NTP_BAD_UID);
    pkt[1] = 1; /* not a KoD */
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_NO_AUTH);
    pkt[1] = 0;
    put_be32(pkt + 12, 0x52415445U); /* RATE */
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_NO_AUTH);
    put_be32(pkt + 12, NTS_KOD_NAK);
    CHECK_INT_EQ(check(&f, pkt, NTP_HEADER_LEN, NULL, 0, NULL), NTS_NTP_NO_UID);
}

static void test_missing_and_misplaced(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN], plain[128];
    size_t len, plain_len;
    int n = 0;

    fixture_init(&f);
    plain_len = ntp_ef_append(plain, 0, sizeof(plain), NTP_EF_NTS_COOKIE, f.cookie.data, 64);
    /* Authentic but without an identifier. */
    header(pkt, NTP_MODE_SERVER, 2, 1);
    len = nts_ntp_append_auth(pkt, NTP_HEADER_LEN, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 16,
                              plain, plain_len, 0);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_NO_UID);
    /* A field after the authenticator. */
    len = make_response(&f, pkt, sizeof(pkt), 1);
    len = ntp_ef_append(pkt, len, sizeof(pkt), 0x2000, "x", 1);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    /* Truncated or unaligned. */
    len = make_response(&f, pkt, sizeof(pkt), 1);
    CHECK_INT_EQ(check(&f, pkt, len - 4, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    CHECK_INT_EQ(check(&f, pkt, len + 2, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    CHECK_INT_EQ(check(&f, pkt, 47, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    /* Authentic, but no cookie inside. */
    len = make_response(&f, pkt, sizeof(pkt), 0);
    CHECK(len > 0);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    /* Encrypted fields need only a 4-byte header, but short cookies do not count. */
    {
        uint8_t pl[64] = {0};
        put_be16(pl, 0x2000);
        put_be16(pl + 2, 4);
        put_be16(pl + 4, NTP_EF_NTS_COOKIE);
        put_be16(pl + 6, 12);
        put_be16(pl + 16, NTP_EF_NTS_COOKIE);
        put_be16(pl + 18, 16);
        pl[20] = 0x77;
        header(pkt, NTP_MODE_SERVER, 2, 1);
        len = ntp_ef_append(pkt, NTP_HEADER_LEN, sizeof(pkt), NTP_EF_NTS_UNIQUE_IDENTIFIER, f.uid,
                            NTS_UID_LEN);
        len = nts_ntp_append_auth(pkt, len, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 16, pl, 32, 0);
        CHECK_INT_EQ(check(&f, pkt, len, f.new_cookies, 2, &n), NTS_NTP_OK);
        CHECK_INT_EQ(n, 1);
        CHECK(f.new_cookies[0].len == 12 && f.new_cookies[0].data[0] == 0x77);
        /* A zero-length field does not parse. */
        put_be16(pl + 2, 0);
        header(pkt, NTP_MODE_SERVER, 2, 1);
        len = ntp_ef_append(pkt, NTP_HEADER_LEN, sizeof(pkt), NTP_EF_NTS_UNIQUE_IDENTIFIER, f.uid,
                            NTS_UID_LEN);
        len = nts_ntp_append_auth(pkt, len, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 16, pl, 32, 0);
        CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    }
    /* A trailer of 24 bytes or less is a MAC, not a field. */
    header(pkt, NTP_MODE_SERVER, 0, NTS_KOD_NAK);
    len = ntp_ef_append(pkt, NTP_HEADER_LEN, sizeof(pkt), NTP_EF_NTS_UNIQUE_IDENTIFIER, f.uid,
                        NTS_UID_LEN);
    len = ntp_ef_append(pkt, len, sizeof(pkt), 0x2000, "x", 1);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
    /* An unencrypted cookie does not count. */
    header(pkt, NTP_MODE_SERVER, 2, 1);
    len = ntp_ef_append(pkt, NTP_HEADER_LEN, sizeof(pkt), NTP_EF_NTS_UNIQUE_IDENTIFIER, f.uid,
                        NTS_UID_LEN);
    len = ntp_ef_append(pkt, len, sizeof(pkt), NTP_EF_NTS_COOKIE, f.cookie.data, 64);
    len = nts_ntp_append_auth(pkt, len, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 16, NULL, 0, 0);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_FORMAT);
}

/* Build UID + an authenticator with a 4-byte nonce, with or without the 12 bytes of padding
 * after the ciphertext that make up for the nonce being shorter than 16. */
static size_t short_nonce_response(const struct fixture *f, uint8_t *pkt, int padded)
{
    uint8_t plain[64], body[128] = {0};
    size_t len, plain_len;

    plain_len = ntp_ef_append(plain, 0, sizeof(plain), NTP_EF_NTS_COOKIE, f->cookie.data, 32);
    header(pkt, NTP_MODE_SERVER, 2, 1);
    len = ntp_ef_append(pkt, NTP_HEADER_LEN, NTP_MAX_PACKET_LEN, NTP_EF_NTS_UNIQUE_IDENTIFIER,
                        f->uid, NTS_UID_LEN);
    put_be16(body, 4);
    put_be16(body + 2, (uint16_t)(plain_len + 16));
    memcpy(body + 4, f->nonce, 4);
    nts_aead_encrypt(f->k.aead, f->k.s2c, f->nonce, 4, pkt, len, plain, plain_len, body + 8);
    return ntp_ef_append(pkt, len, NTP_MAX_PACKET_LEN, NTP_EF_NTS_AUTH_AND_EEF, body,
                         8 + plain_len + 16 + (padded ? 12 : 0));
}

static void test_nonce_padding(void)
{
    struct fixture f;
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    size_t len;
    int n = 0;

    fixture_init(&f);
    /* chrony accepts a short nonce only with padding up to 16 bytes (RFC 8915 §5.6). */
    len = short_nonce_response(&f, pkt, 1);
    CHECK_INT_EQ(check(&f, pkt, len, f.new_cookies, 1, &n), NTS_NTP_OK);
    CHECK_INT_EQ(n, 1);
    len = short_nonce_response(&f, pkt, 0);
    CHECK_INT_EQ(check(&f, pkt, len, NULL, 0, NULL), NTS_NTP_BAD_AUTH);
    /* The builder pads a short nonce itself, and honours a minimum field length. */
    header(pkt, NTP_MODE_SERVER, 2, 1);
    len = nts_ntp_append_auth(pkt, NTP_HEADER_LEN, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 4, NULL,
                              0, 0);
    CHECK_INT_EQ(len, NTP_HEADER_LEN + 4 + 4 + 16 + 16);
    len = nts_ntp_append_auth(pkt, NTP_HEADER_LEN, sizeof(pkt), f.k.aead, f.k.s2c, f.nonce, 16,
                              NULL, 0, 101);
    CHECK_INT_EQ(len, NTP_HEADER_LEN + 104);
}

static void test_names(void)
{
    for (int v = 0; v < NTS_NTP_N_VERDICTS; v++)
        CHECK(strcmp(nts_ntp_verdict_name((enum nts_ntp_verdict)v), "?") != 0);
    CHECK_STR_EQ(nts_ntp_verdict_name(NTS_NTP_N_VERDICTS), "?");
}

int main(void)
{
    RUN(test_request_layout);
    RUN(test_request_limits);
    RUN(test_round_trip);
    RUN(test_tamper_every_byte);
    RUN(test_wrong_uid_key);
    RUN(test_nak);
    RUN(test_missing_and_misplaced);
    RUN(test_nonce_padding);
    RUN(test_names);
    return check_summary();
}
