/* Unit tests for src/core/nts_client.c: the cookie store through NTS-KE results,
 * requests and responses (made by the server side of core/nts_ntp), NAKs, the refresh
 * interval and the retry back-off of failed sessions. */
#include "check.h"

#include "core/nts_client.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <stdlib.h>
#include <string.h>

static const struct timespec t0 = {1700000000, 0};

static void ke_response(struct nts_ke_response *r, int n_cookies, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->aead = NTS_AEAD_AES_SIV_CMAC_256;
    r->n_cookies = n_cookies;
    for (int i = 0; i < n_cookies; i++) {
        memset(r->cookies[i], 0x10 + i, len);
        r->cookie_len[i] = len;
    }
}

static void keys_of(struct nts_keys *k, const uint8_t *c2s, const uint8_t *s2c)
{
    memset(k, 0, sizeof(*k));
    k->aead = NTS_AEAD_AES_SIV_CMAC_256;
    k->key_len = 32;
    memcpy(k->c2s, c2s, 32);
    memcpy(k->s2c, s2c, 32);
}

static size_t request(struct nts_client *n, uint8_t *pkt, size_t cap, uint8_t fill)
{
    struct ntp_packet p;
    uint8_t rnd[NTS_CLIENT_RANDOM_LEN];
    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_CLIENT;
    memset(rnd, fill, sizeof(rnd));
    return nts_client_sign_request(n, pkt, ntp_encode(&p, pkt, cap), cap, rnd);
}

/* A server answer to the request in pkt giving n_new cookies. */
static size_t answer(const uint8_t *req, size_t req_len, const struct nts_keys *k, int n_new,
                     uint8_t *out, size_t cap)
{
    struct ntp_packet_info info;
    struct ntp_packet p;
    struct nts_cookie c[NTS_MAX_COOKIES];
    uint8_t nonce[NTS_NONCE_LEN];
    const uint8_t *uid = NULL;

    CHECK_INT_EQ(ntp_decode(req, req_len, &p, &info), NTP_OK);
    for (unsigned i = 0; i < info.n_efs && i < NTP_INFO_MAX_EFS; i++)
        if (info.efs[i].type == NTP_EF_NTS_UNIQUE_IDENTIFIER)
            uid = req + info.efs[i].offset + 4;
    CHECK(uid != NULL);
    p.mode = NTP_MODE_SERVER;
    p.stratum = 1;
    for (int i = 0; i < n_new; i++) {
        memset(c[i].data, 0x80 + i, 100);
        c[i].len = 100;
    }
    memset(nonce, 0x33, sizeof(nonce));
    return nts_ntp_build_response(out, ntp_encode(&p, out, cap), cap, uid, c, n_new, k, nonce);
}

static void test_store_and_exchange(void)
{
    struct nts_client n;
    struct nts_ke_response r;
    struct nts_keys k;
    uint8_t c2s[32], s2c[32], req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
    struct ntp_packet_info info;
    size_t len, rlen;
    int aead, bits, cookies, clen, nak;

    memset(c2s, 1, sizeof(c2s));
    memset(s2c, 2, sizeof(s2c));
    keys_of(&k, c2s, s2c);
    nts_client_init(&n, 3600);
    CHECK(nts_client_need_ke(&n, &t0));
    CHECK(!nts_client_ready(&n));
    CHECK_INT_EQ(request(&n, req, sizeof(req), 7), 0);
    nts_client_ke_started(&n);
    CHECK(!nts_client_need_ke(&n, &t0)); /* one session at a time */
    ke_response(&r, 8, 100);
    nts_client_ke_done(&n, &t0, 1, &r, c2s, s2c, 32);
    CHECK(nts_client_ready(&n) && !nts_client_need_ke(&n, &t0));
    CHECK_INT_EQ(n.ke_counter, 1);
    /* A request spends one cookie and asks for one back (no placeholders). */
    len = request(&n, req, sizeof(req), 7);
    CHECK(len > 48);
    CHECK_INT_EQ(ntp_decode(req, len, NULL, &info), NTP_OK);
    CHECK(info.has_nts);
    CHECK_INT_EQ(n.n_cookies, 7);
    rlen = answer(req, len, &k, 1, rep, sizeof(rep));
    CHECK(rlen > 48);
    CHECK(nts_client_check_response(&n, rep, rlen));
    CHECK_INT_EQ(n.n_cookies, 8);
    /* The same response again is refused (one per request). */
    CHECK(!nts_client_check_response(&n, rep, rlen));
    /* A tampered response is refused and changes nothing. */
    len = request(&n, req, sizeof(req), 9);
    rlen = answer(req, len, &k, 1, rep, sizeof(rep));
    rep[20] ^= 1;
    CHECK(!nts_client_check_response(&n, rep, rlen));
    CHECK_INT_EQ(n.n_cookies, 7);
    /* Spend the rest without answers: 7 then placeholders ask for more. */
    for (int i = 0; i < 7; i++)
        CHECK(request(&n, req, sizeof(req), (uint8_t)i) > 0);
    CHECK(!nts_client_ready(&n) && nts_client_need_ke(&n, &t0));
    nts_client_get_report(&n, &aead, &bits, &cookies, &clen, &nak);
    CHECK(aead == 15 && bits == 256 && cookies == 0 && clen == 0 && !nak);
    nts_client_reset(&n);
}

static void test_placeholders(void)
{
    struct nts_client n;
    struct nts_ke_response r;
    uint8_t key[32] = {0}, req[NTP_MAX_PACKET_LEN];
    struct ntp_packet_info info;
    size_t len;
    int placeholders = 0;

    nts_client_init(&n, 3600);
    ke_response(&r, 3, 100);
    nts_client_ke_done(&n, &t0, 1, &r, key, key, 32);
    len = request(&n, req, sizeof(req), 1);
    CHECK_INT_EQ(ntp_decode(req, len, NULL, &info), NTP_OK);
    for (unsigned i = 0; i < info.n_efs && i < NTP_INFO_MAX_EFS; i++)
        placeholders += info.efs[i].type == NTP_EF_NTS_COOKIE_PLACEHOLDER;
    /* 2 cookies left of 8: ask for 6, i.e. the cookie and 5 placeholders. */
    CHECK_INT_EQ(placeholders, 5);
}

static void test_nak_refresh_retry(void)
{
    struct nts_client n;
    struct nts_ke_response r;
    uint8_t key[32] = {0}, req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
    struct ntp_packet p;
    struct timespec t;
    size_t len, rlen;

    nts_client_init(&n, 3600);
    ke_response(&r, 8, 100);
    nts_client_ke_done(&n, &t0, 1, &r, key, key, 32);
    /* A NAK: KoD NTSN with our unique identifier. */
    len = request(&n, req, sizeof(req), 5);
    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_SERVER;
    p.leap = 3;
    p.ref_id = NTS_KOD_NAK;
    rlen = ntp_encode(&p, rep, sizeof(rep));
    {
        uint8_t uid[NTS_UID_LEN];
        memset(uid, 5, sizeof(uid));
        rlen =
            ntp_ef_append(rep, rlen, sizeof(rep), NTP_EF_NTS_UNIQUE_IDENTIFIER, uid, sizeof(uid));
    }
    CHECK(len > 0 && rlen > 48);
    CHECK(!nts_client_check_response(&n, rep, rlen));
    CHECK(n.nak && !nts_client_ready(&n) && nts_client_need_ke(&n, &t0));
    /* Refresh: keys older than ntsrefresh are renewed. */
    nts_client_ke_done(&n, &t0, 1, &r, key, key, 32);
    ts_add(&t, &t0, 3599);
    CHECK(!nts_client_need_ke(&n, &t));
    ts_add(&t, &t0, 3600);
    CHECK(nts_client_need_ke(&n, &t));
    /* Failures back off: 16 s, then 32 s. */
    struct timespec tb = t;
    nts_client_ke_started(&n);
    nts_client_ke_done(&n, &tb, 0, NULL, NULL, NULL, 0);
    ts_add(&t, &tb, 15.9);
    CHECK(!nts_client_need_ke(&n, &t));
    ts_add(&t, &tb, 16.0);
    CHECK(nts_client_need_ke(&n, &t));
    nts_client_ke_started(&n);
    nts_client_ke_done(&n, &t, 0, NULL, NULL, NULL, 0);
    ts_add(&t, &tb, 16.0 + 31.9);
    CHECK(!nts_client_need_ke(&n, &t));
    ts_add(&t, &tb, 16.0 + 32.0);
    CHECK(nts_client_need_ke(&n, &t));
    CHECK_INT_EQ(n.ke_attempts, 2);
    /* The keys stay usable meanwhile. */
    CHECK(n.have_keys);
}

static void test_dump_load(void)
{
    struct nts_client a, b;
    struct nts_ke_response r;
    uint8_t c2s[32], s2c[32];
    char addr[64], *text;
    int port = 0;
    double when = 0;

    memset(c2s, 0xc2, sizeof(c2s));
    memset(s2c, 0x52, sizeof(s2c));
    nts_client_init(&a, 3600);
    CHECK(nts_client_dump(&a, "ntp.example", "192.0.2.1", 123, 5.0) == NULL);
    ke_response(&r, 3, 100);
    nts_client_ke_done(&a, &t0, 1, &r, c2s, s2c, 32);
    text = nts_client_dump(&a, "ntp.example", "192.0.2.1", 4123, 1700000000.5);
    CHECK(text != NULL);
    CHECK(strncmp(text, "NNC0\nntp.example\n1700000000.5\n192.0.2.1 4123\n1 15 5252", 47) == 0);
    nts_client_init(&b, 3600);
    CHECK(nts_client_load(&b, text, strlen(text), "ntp.example", addr, sizeof(addr), &port, &when));
    CHECK_STR_EQ(addr, "192.0.2.1");
    CHECK_INT_EQ(port, 4123);
    CHECK_NEAR(when, 1700000000.5, 1e-9);
    CHECK(b.have_keys && b.keys.aead == 15 && b.keys.key_len == 32 && b.ke_counter == 1);
    CHECK(memcmp(b.keys.c2s, c2s, 32) == 0 && memcmp(b.keys.s2c, s2c, 32) == 0);
    CHECK_INT_EQ(b.n_cookies, 3);
    CHECK(b.cookies[b.first].len == 100 && b.cookies[b.first].data[0] == 0x10);
    /* Another source's file, or a damaged one, is not loaded. */
    nts_client_init(&b, 3600);
    CHECK(!nts_client_load(&b, text, strlen(text), "other.example", addr, sizeof(addr), &port,
                           &when));
    text[strlen(text) - 3] = 'G';
    CHECK(
        !nts_client_load(&b, text, strlen(text), "ntp.example", addr, sizeof(addr), &port, &when));
    CHECK(!b.have_keys);
    CHECK(!nts_client_load(&b, "NNC0\n", 5, "ntp.example", addr, sizeof(addr), &port, &when));
    free(text);
}

int main(void)
{
    RUN(test_store_and_exchange);
    RUN(test_placeholders);
    RUN(test_nak_refresh_retry);
    RUN(test_dump_load);
    return check_summary();
}
