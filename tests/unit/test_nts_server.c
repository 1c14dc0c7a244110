/* Unit tests for src/core/nts_server: server keys and cookies, the check of NTS requests and
 * their replies (RFC 8915 §5), with our NTS client as the other end. */
#include "check.h"

#include "core/nts_client.h"
#include "core/nts_ntp.h"
#include "core/nts_server.h"
#include "lib/bytes.h"
#include "proto/ntp.h"

#include <stdio.h>
#include <string.h>

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + 7 * i);
}

static void keys_with_seed(struct nts_server_keys *ks, uint8_t seed)
{
    uint8_t rnd[NTS_SERVER_KEYS_RANDOM];

    fill(rnd, sizeof(rnd), seed);
    nts_server_keys_init(ks, rnd);
}

static void rotate(struct nts_server_keys *ks, uint8_t seed)
{
    uint8_t rnd[NTS_SERVER_KEY_RANDOM];

    fill(rnd, sizeof(rnd), seed);
    nts_server_keys_rotate(ks, rnd);
}

static void client_keys(struct nts_keys *k)
{
    memset(k, 0, sizeof(*k));
    k->aead = NTS_AEAD_AES_SIV_CMAC_256;
    k->key_len = 32;
    fill(k->c2s, 32, 0x11);
    fill(k->s2c, 32, 0x99);
}

static size_t cookie_for(const struct nts_server_keys *ks, const struct nts_keys *k,
                         struct nts_cookie *c, uint8_t seed)
{
    uint8_t nonce[NTS_SERVER_COOKIE_NONCE];

    fill(nonce, sizeof(nonce), seed);
    c->len = nts_server_make_cookie(ks, k, nonce, c->data, sizeof(c->data));
    return c->len;
}

static void test_cookie_round_trip(void)
{
    struct nts_server_keys ks;
    struct nts_keys k, got;
    struct nts_cookie c;

    keys_with_seed(&ks, 1);
    client_keys(&k);
    CHECK_INT_EQ(cookie_for(&ks, &k, &c, 3), 100);
    CHECK(get_be32(c.data) == ks.k[ks.current].id);
    CHECK(nts_server_open_cookie(&ks, c.data, c.len, &got));
    CHECK_INT_EQ(got.aead, NTS_AEAD_AES_SIV_CMAC_256);
    CHECK_INT_EQ(got.key_len, 32);
    CHECK(memcmp(got.c2s, k.c2s, 32) == 0 && memcmp(got.s2c, k.s2c, 32) == 0);
    /* Every truncation and every flipped byte is refused. */
    for (size_t i = 0; i < c.len; i++) {
        CHECK(!nts_server_open_cookie(&ks, c.data, i, &got));
        c.data[i] ^= 0x20;
        CHECK(!nts_server_open_cookie(&ks, c.data, c.len, &got));
        c.data[i] ^= 0x20;
    }
    CHECK_INT_EQ(cookie_for(&ks, &k, &c, 3), 100);
    {
        uint8_t small[99], nonce[NTS_SERVER_COOKIE_NONCE] = {0};
        CHECK_INT_EQ(nts_server_make_cookie(&ks, &k, nonce, small, sizeof(small)), 0);
        k.key_len = 16; /* no AEAD of this build has 16-byte keys */
        CHECK_INT_EQ(nts_server_make_cookie(&ks, &k, nonce, c.data, sizeof(c.data)), 0);
    }
}

static void test_cookie_rotation(void)
{
    struct nts_server_keys ks, other;
    struct nts_cookie c[5];
    struct nts_keys k, got;

    keys_with_seed(&ks, 1);
    client_keys(&k);
    cookie_for(&ks, &k, &c[0], 10);
    for (int i = 1; i < 5; i++) {
        rotate(&ks, (uint8_t)(40 * i));
        CHECK(ks.n == NTS_SERVER_MAX_KEYS);
        CHECK_INT_EQ(ks.current, (i + NTS_SERVER_MAX_KEYS - 1) % NTS_SERVER_MAX_KEYS);
        cookie_for(&ks, &k, &c[i], (uint8_t)(10 + i));
        CHECK(get_be32(c[i].data) != get_be32(c[i - 1].data));
    }
    /* The current key and the two before it still open their cookies; older ones do not. */
    CHECK(!nts_server_open_cookie(&ks, c[0].data, c[0].len, &got));
    CHECK(!nts_server_open_cookie(&ks, c[1].data, c[1].len, &got));
    for (int i = 2; i < 5; i++)
        CHECK(nts_server_open_cookie(&ks, c[i].data, c[i].len, &got));
    /* A cookie of another server (unknown key id) does not open. */
    keys_with_seed(&other, 200);
    CHECK(!nts_server_open_cookie(&other, c[4].data, c[4].len, &got));
    /* Same id, different key: trial decryption fails. */
    other.k[0].id = get_be32(c[4].data);
    CHECK(!nts_server_open_cookie(&other, c[4].data, c[4].len, &got));
}

struct world {
    struct nts_server_keys ks;
    struct nts_keys k;
    struct nts_cookie cookie;
    uint8_t uid[NTS_UID_LEN], nonce[NTS_NONCE_LEN];
    uint8_t req[NTP_MAX_PACKET_LEN];
    size_t req_len;
};

static void header(uint8_t *pkt, int mode)
{
    memset(pkt, 0, NTP_HEADER_LEN);
    pkt[0] = (uint8_t)(NTP_VERSION << 3 | mode);
    put_be32(pkt + 40, 0xE5000001U);
}

static void world_init(struct world *w, int placeholders)
{
    memset(w, 0, sizeof(*w));
    keys_with_seed(&w->ks, 5);
    client_keys(&w->k);
    cookie_for(&w->ks, &w->k, &w->cookie, 77);
    fill(w->uid, sizeof(w->uid), 0x33);
    fill(w->nonce, sizeof(w->nonce), 0x55);
    header(w->req, NTP_MODE_CLIENT);
    w->req_len = nts_ntp_build_request(w->req, NTP_HEADER_LEN, sizeof(w->req), w->uid, &w->cookie,
                                       placeholders, &w->k, w->nonce);
}

static enum nts_server_verdict world_check(struct world *w, struct nts_server_request *rq)
{
    return nts_server_check_request(&w->ks, w->req, w->req_len, rq);
}

/* Finish a reply to rq into rep. */
static size_t world_reply(struct world *w, const struct nts_server_request *rq, uint8_t *rep,
                          size_t cap)
{
    uint8_t rnd[NTS_SERVER_REPLY_RANDOM];

    fill(rnd, sizeof(rnd), 0x77);
    header(rep, NTP_MODE_SERVER);
    memcpy(rep + 24, w->req + 40, 8);
    return nts_server_finish_reply(&w->ks, rq, rep, NTP_HEADER_LEN, cap, rnd);
}

static void test_request_good(void)
{
    struct nts_server_request rq;
    struct world w;

    world_init(&w, 3);
    CHECK(w.req_len > 0);
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
    CHECK_INT_EQ(rq.n_cookies, 4);
    CHECK_INT_EQ(rq.uid_len, NTS_UID_LEN);
    CHECK(memcmp(rq.uid, w.uid, NTS_UID_LEN) == 0);
    CHECK(memcmp(rq.keys.s2c, w.k.s2c, 32) == 0);
    CHECK_INT_EQ(rq.req_len, w.req_len);
    /* More than NTS_MAX_COOKIES are not sent. */
    world_init(&w, 8);
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
    CHECK_INT_EQ(rq.n_cookies, NTS_MAX_COOKIES);
}

static void test_request_nak(void)
{
    struct nts_server_request rq;
    struct world w;
    uint8_t rep[NTP_MAX_PACKET_LEN];
    size_t len;

    /* A cookie of keys rotated away: NAK, with the uid to echo. */
    world_init(&w, 0);
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++)
        rotate(&w.ks, (uint8_t)(90 + i));
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_NAK_COOKIE);
    CHECK(nts_server_verdict_is_nak(NTS_SERVER_NAK_COOKIE));
    CHECK(memcmp(rq.uid, w.uid, NTS_UID_LEN) == 0);
    header(rep, NTP_MODE_SERVER);
    rep[0] |= 0xC0;
    put_be32(rep + 12, NTS_KOD_NAK);
    len = nts_server_finish_nak(&rq, rep, NTP_HEADER_LEN, sizeof(rep));
    CHECK_INT_EQ(len, NTP_HEADER_LEN + 4 + NTS_UID_LEN);
    CHECK(len <= w.req_len);
    /* Our client recognises it as a NAK. */
    CHECK_INT_EQ(nts_ntp_check_response(rep, len, w.uid, &w.k, NULL, 0, NULL), NTS_NTP_NAK);
}

static void test_request_tamper(void)
{
    struct nts_server_request rq;
    struct world w;
    enum nts_server_verdict v;

    world_init(&w, 1);
    /* Any changed byte makes the request fail: a drop if a field no longer parses, a NAK
     * (as chrony) if the cookie or the authenticator no longer verifies. */
    for (size_t i = 0; i < w.req_len; i++) {
        if (i == 0)
            continue; /* the mode is checked by the responder */
        w.req[i] ^= 0x01;
        v = world_check(&w, &rq);
        CHECK(v != NTS_SERVER_OK);
        w.req[i] ^= 0x01;
    }
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
    /* A flipped header byte is caught by the authenticator: NAK. */
    w.req[20] ^= 1;
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_NAK_AUTH);
}

static void test_request_missing(void)
{
    struct nts_server_request rq;
    struct world w;
    size_t len;

    /* No uid: build the fields by hand without it. */
    world_init(&w, 0);
    len = ntp_ef_append(w.req, NTP_HEADER_LEN, sizeof(w.req), NTP_EF_NTS_COOKIE, w.cookie.data,
                        w.cookie.len);
    len = nts_ntp_append_auth(w.req, len, sizeof(w.req), w.k.aead, w.k.c2s, w.nonce, NTS_NONCE_LEN,
                              NULL, 0, 28);
    CHECK(len > 0);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, len, &rq), NTS_SERVER_MISSING);
    /* No authenticator. */
    len = ntp_ef_append(w.req, NTP_HEADER_LEN, sizeof(w.req), NTP_EF_NTS_UNIQUE_IDENTIFIER, w.uid,
                        NTS_UID_LEN);
    len = ntp_ef_append(w.req, len, sizeof(w.req), NTP_EF_NTS_COOKIE, w.cookie.data, w.cookie.len);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, len, &rq), NTS_SERVER_MISSING);
    /* Two cookies. */
    len = ntp_ef_append(w.req, len, sizeof(w.req), NTP_EF_NTS_COOKIE, w.cookie.data, w.cookie.len);
    len = nts_ntp_append_auth(w.req, len, sizeof(w.req), w.k.aead, w.k.c2s, w.nonce, NTS_NONCE_LEN,
                              NULL, 0, 28);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, len, &rq), NTS_SERVER_BAD_FORMAT);
    /* Not a client request. */
    world_init(&w, 0);
    w.req[0] = (uint8_t)(NTP_VERSION << 3 | NTP_MODE_ACTIVE);
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_NOT_CLIENT);
}

static void test_request_placeholder_size(void)
{
    struct nts_server_request rq;
    struct world w;
    uint8_t zero[128] = {0}, plain[256];
    size_t len, plain_len, full;

    world_init(&w, 0);
    len = ntp_ef_append(w.req, NTP_HEADER_LEN, sizeof(w.req), NTP_EF_NTS_UNIQUE_IDENTIFIER, w.uid,
                        NTS_UID_LEN);
    len = ntp_ef_append(w.req, len, sizeof(w.req), NTP_EF_NTS_COOKIE, w.cookie.data, w.cookie.len);
    len = ntp_ef_append(w.req, len, sizeof(w.req), NTP_EF_NTS_COOKIE_PLACEHOLDER, zero, 96);
    len = nts_ntp_append_auth(w.req, len, sizeof(w.req), w.k.aead, w.k.c2s, w.nonce, NTS_NONCE_LEN,
                              NULL, 0, 28);
    CHECK(len > 0);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, len, &rq), NTS_SERVER_BAD_FORMAT);
    /* An encrypted placeholder counts when it has the cookie's length, else it is refused. */
    len = ntp_ef_append(w.req, NTP_HEADER_LEN, sizeof(w.req), NTP_EF_NTS_UNIQUE_IDENTIFIER, w.uid,
                        NTS_UID_LEN);
    len = ntp_ef_append(w.req, len, sizeof(w.req), NTP_EF_NTS_COOKIE, w.cookie.data, w.cookie.len);
    plain_len = ntp_ef_append(plain, 0, sizeof(plain), NTP_EF_NTS_COOKIE_PLACEHOLDER, zero, 100);
    full = nts_ntp_append_auth(w.req, len, sizeof(w.req), w.k.aead, w.k.c2s, w.nonce, NTS_NONCE_LEN,
                               plain, plain_len, 28);
    CHECK(full > 0);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, full, &rq), NTS_SERVER_OK);
    CHECK_INT_EQ(rq.n_cookies, 2);
    plain_len = ntp_ef_append(plain, 0, sizeof(plain), NTP_EF_NTS_COOKIE_PLACEHOLDER, zero, 104);
    full = nts_ntp_append_auth(w.req, len, sizeof(w.req), w.k.aead, w.k.c2s, w.nonce, NTS_NONCE_LEN,
                               plain, plain_len, 28);
    CHECK(full > 0);
    CHECK_INT_EQ(nts_server_check_request(&w.ks, w.req, full, &rq), NTS_SERVER_BAD_FORMAT);
}

static void test_reply_accepted_by_client(void)
{
    struct nts_server_request rq;
    struct nts_cookie got[NTS_MAX_COOKIES];
    struct nts_keys opened;
    uint8_t rep[NTP_MAX_PACKET_LEN];
    struct world w;
    size_t len;
    int n = 0;

    for (int ph = 0; ph <= 7; ph++) {
        world_init(&w, ph);
        CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
        len = world_reply(&w, &rq, rep, sizeof(rep));
        /* chrony pads the reply to the request's length. */
        CHECK_INT_EQ(len, w.req_len);
        CHECK_INT_EQ(nts_ntp_check_response(rep, len, w.uid, &w.k, got, NTS_MAX_COOKIES, &n),
                     NTS_NTP_OK);
        CHECK_INT_EQ(n, ph + 1);
        CHECK_INT_EQ(got[0].len, 100);
        CHECK(nts_server_open_cookie(&w.ks, got[n - 1].data, got[n - 1].len, &opened));
        CHECK(memcmp(opened.c2s, w.k.c2s, 32) == 0);
    }
    /* A request with an extra field gets a padded reply of its length. */
    world_init(&w, 0);
    {
        uint8_t body[60] = {0};
        size_t l = ntp_ef_append(w.req, NTP_HEADER_LEN, sizeof(w.req), 0x2000, body, sizeof(body));
        w.req_len =
            nts_ntp_build_request(w.req, l, sizeof(w.req), w.uid, &w.cookie, 0, &w.k, w.nonce);
    }
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
    len = world_reply(&w, &rq, rep, sizeof(rep));
    CHECK_INT_EQ(len, w.req_len);
    CHECK_INT_EQ(nts_ntp_check_response(rep, len, w.uid, &w.k, got, NTS_MAX_COOKIES, &n),
                 NTS_NTP_OK);
}

static void test_reply_never_longer(void)
{
    struct nts_server_request rq;
    uint8_t rep[NTP_MAX_PACKET_LEN];
    struct world w;
    size_t len;

    world_init(&w, 3);
    CHECK_INT_EQ(world_check(&w, &rq), NTS_SERVER_OK);
    /* A request claiming a shorter length (as if its placeholders were missing): fewer
     * cookies, never a longer reply. */
    rq.req_len = w.req_len - 2 * 104;
    len = world_reply(&w, &rq, rep, sizeof(rep));
    CHECK(len > 0 && len <= rq.req_len);
    CHECK_INT_EQ(len, rq.req_len);
    rq.req_len = NTP_HEADER_LEN + 36 + 40;
    CHECK_INT_EQ(world_reply(&w, &rq, rep, sizeof(rep)), 0);
    rq.req_len = w.req_len;
    CHECK_INT_EQ(world_reply(&w, &rq, rep, 100), 0);
}

static void test_client_module_round_trip(void)
{
    struct nts_server_request rq;
    struct nts_ke_response r;
    struct nts_client c;
    struct nts_server_keys ks;
    struct nts_keys k;
    uint8_t rnd[NTS_CLIENT_RANDOM_LEN], srnd[NTS_SERVER_REPLY_RANDOM], req[NTP_MAX_PACKET_LEN],
        rep[NTP_MAX_PACKET_LEN];
    struct timespec t0 = {1000, 0};
    size_t len, rlen;

    keys_with_seed(&ks, 9);
    client_keys(&k);
    memset(&r, 0, sizeof(r));
    r.aead = NTS_AEAD_AES_SIV_CMAC_256;
    r.n_cookies = 2;
    for (int i = 0; i < 2; i++) {
        uint8_t nonce[NTS_SERVER_COOKIE_NONCE];
        fill(nonce, sizeof(nonce), (uint8_t)i);
        r.cookie_len[i] = nts_server_make_cookie(&ks, &k, nonce, r.cookies[i], NTS_MAX_COOKIE_LEN);
    }
    nts_client_init(&c, 604800);
    nts_client_ke_done(&c, &t0, 1, &r, k.c2s, k.s2c, 32);
    CHECK(nts_client_ready(&c));
    fill(rnd, sizeof(rnd), 0x42);
    header(req, NTP_MODE_CLIENT);
    len = nts_client_sign_request(&c, req, NTP_HEADER_LEN, sizeof(req), rnd);
    CHECK(len > NTP_HEADER_LEN);
    CHECK_INT_EQ(nts_server_check_request(&ks, req, len, &rq), NTS_SERVER_OK);
    header(rep, NTP_MODE_SERVER);
    memcpy(rep + 24, req + 40, 8);
    fill(srnd, sizeof(srnd), 0x24);
    rlen = nts_server_finish_reply(&ks, &rq, rep, NTP_HEADER_LEN, sizeof(rep), srnd);
    CHECK(rlen > 0 && rlen <= len);
    CHECK(nts_client_check_response(&c, rep, rlen));
    nts_client_reset(&c);
}

/* chrony's ntskeys file: written from the oldest key to the next one, read back to the same
 * keys and current key, so cookies issued before a restart still open. */
static void test_keys_file(void)
{
    struct nts_server_keys ks, got, before;
    struct nts_cookie c;
    struct nts_keys k, ck;
    char text[512], copy[512], *line2;
    double age = -1;
    size_t len;
    uint32_t id;

    keys_with_seed(&ks, 5);
    rotate(&ks, 77);
    client_keys(&k);
    cookie_for(&ks, &k, &c, 9);
    len = nts_server_keys_format(&ks, 12.34, text, sizeof(text));
    CHECK(len > 0 && len == strlen(text));
    CHECK(strncmp(text, "NKS1\n12.3\n", 10) == 0);
    /* Four "ID HEX 15" lines; the last is the next key, the one before it the current. */
    line2 = strchr(strchr(text, '\n') + 1, '\n') + 1;
    CHECK_INT_EQ(strlen(line2), 4 * (8 + 1 + 64 + 1 + 2 + 1));
    CHECK(sscanf(line2 + 3 * 77, "%8X", &id) == 1);
    CHECK(id == ks.k[(ks.current + 1) % NTS_SERVER_MAX_KEYS].id);
    CHECK(sscanf(line2 + 2 * 77, "%8X", &id) == 1);
    CHECK(id == ks.k[ks.current].id);
    CHECK(strstr(line2, " 15\n") == line2 + 73);
    memcpy(copy, text, len + 1);
    CHECK(nts_server_keys_parse(copy, &got, &age));
    CHECK(age > 12.29 && age < 12.31);
    CHECK_INT_EQ(got.current, ks.current);
    CHECK_INT_EQ(got.n, NTS_SERVER_MAX_KEYS);
    CHECK(memcmp(got.k, ks.k, sizeof(ks.k)) == 0);
    CHECK(nts_server_open_cookie(&got, c.data, c.len, &ck));
    /* chrony's older NKS0: the AEAD on the age line, none on the key lines. */
    {
        char old[512], *p = old, *q = line2;
        p += sprintf(p, "NKS0\n15 -3.0\n");
        for (int i = 0; i < 4; i++, q += 77)
            p += sprintf(p, "%.73s\n", q);
        CHECK(nts_server_keys_parse(old, &got, &age));
        CHECK(age == 0.0);
        CHECK(nts_server_open_cookie(&got, c.data, c.len, &ck));
    }
    /* Bad files leave the keys as they were. */
    before = got;
    memcpy(copy, text, len + 1);
    copy[3] = '2';
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[5] = 'x';
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[line2 - text] = 'G';
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[line2 - text + 7] ^= 1; /* the slot bits no longer follow */
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[line2 - text + 9] = 'Z';
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    memcpy(copy + (line2 - text) + 74, "30", 2); /* AES-128-GCM-SIV keys: not this build */
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[line2 - text + 72] = ' '; /* a key of 63 digits */
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    memcpy(copy, text, len + 1);
    copy[line2 - text + 3 * 77] = '\0'; /* three keys */
    CHECK(!nts_server_keys_parse(copy, &got, &age));
    CHECK(!nts_server_keys_parse(copy + len, &got, &age)); /* empty */
    CHECK(memcmp(&got, &before, sizeof(got)) == 0);
    CHECK_INT_EQ(nts_server_keys_format(&ks, 1.0, text, 100), 0);
}

int main(void)
{
    RUN(test_cookie_round_trip);
    RUN(test_cookie_rotation);
    RUN(test_keys_file);
    RUN(test_request_good);
    RUN(test_request_nak);
    RUN(test_request_tamper);
    RUN(test_request_missing);
    RUN(test_request_placeholder_size);
    RUN(test_reply_accepted_by_client);
    RUN(test_reply_never_longer);
    RUN(test_client_module_round_trip);
    return check_summary();
}
