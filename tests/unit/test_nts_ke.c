/* Unit tests for src/proto/nts_ke: the NTS-KE client request and response parsing and the
 * server's request parsing and answers (RFC 8915 §4, with chrony's client and server rules). */
#include "check.h"

#include "lib/bytes.h"
#include "proto/nts_ke.h"

#include <string.h>

static const int offered[] = {NTS_AEAD_AES_SIV_CMAC_256};

struct msg {
    uint8_t buf[4096];
    size_t len;
};

static void rec(struct msg *m, int critical, int type, const void *body, size_t body_len)
{
    put_be16(m->buf + m->len, (uint16_t)((critical ? NTS_KE_CRITICAL : 0) | type));
    put_be16(m->buf + m->len + 2, (uint16_t)body_len);
    if (body_len)
        memcpy(m->buf + m->len + 4, body, body_len);
    m->len += 4 + body_len;
}

static void rec_u16(struct msg *m, int critical, int type, uint16_t v)
{
    uint8_t b[2];
    put_be16(b, v);
    rec(m, critical, type, b, 2);
}

static void rec_cookie(struct msg *m, size_t len, uint8_t fill)
{
    uint8_t c[400];
    memset(c, fill, len);
    rec(m, 0, NTS_KE_REC_COOKIE, c, len);
}

static void rec_end(struct msg *m)
{
    rec(m, 1, NTS_KE_REC_END, NULL, 0);
}

/* Protocol and AEAD records of a valid response, without cookies or End. */
static void good_head(struct msg *m)
{
    m->len = 0;
    rec_u16(m, 1, NTS_KE_REC_NEXT_PROTOCOL, NTS_KE_PROTO_NTPV4);
    rec_u16(m, 1, NTS_KE_REC_AEAD, NTS_AEAD_AES_SIV_CMAC_256);
}

static enum nts_ke_verdict parse(const struct msg *m, struct nts_ke_response *r)
{
    return nts_ke_parse_response(m->buf, m->len, offered, 1, r);
}

static void test_request_bytes(void)
{
    static const uint8_t expect[] = {0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
                                     0x00, 0x02, 0x00, 0x0F, 0x80, 0x00, 0x00, 0x00};
    static const uint8_t expect2[] = {0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
                                      0x00, 0x04, 0x00, 0x1E, 0x00, 0x0F, 0x04, 0x00,
                                      0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
    const int two[] = {NTS_AEAD_AES_128_GCM_SIV, NTS_AEAD_AES_SIV_CMAC_256};
    uint8_t buf[64];

    CHECK_INT_EQ(nts_ke_build_request(offered, 1, buf, sizeof(buf)), sizeof(expect));
    CHECK(memcmp(buf, expect, sizeof(expect)) == 0);
    CHECK_INT_EQ(nts_ke_build_request(two, 2, buf, sizeof(buf)), sizeof(expect2));
    CHECK(memcmp(buf, expect2, sizeof(expect2)) == 0);
}

static void test_request_limits(void)
{
    const int bad[] = {15, 70000};
    uint8_t buf[64];

    for (size_t cap = 0; cap < 16; cap++)
        CHECK_INT_EQ(nts_ke_build_request(offered, 1, buf, cap), 0);
    CHECK_INT_EQ(nts_ke_build_request(offered, 1, buf, 16), 16);
    CHECK_INT_EQ(nts_ke_build_request(offered, 0, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_request(NULL, 1, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_request(bad, 2, buf, sizeof(buf)), 0);
}

static void test_response_good(void)
{
    struct nts_ke_response r;
    struct msg m;

    good_head(&m);
    rec_cookie(&m, 100, 0xA1);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, "ntp.example.org", 15);
    rec_u16(&m, 0, NTS_KE_REC_NTP_PORT, 1123);
    rec_cookie(&m, 256, 0xA2);
    rec_u16(&m, 0, 2000, 7); /* unknown, not critical: ignored */
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.aead, NTS_AEAD_AES_SIV_CMAC_256);
    CHECK_INT_EQ(r.n_cookies, 2);
    CHECK_INT_EQ(r.cookie_len[0], 100);
    CHECK_INT_EQ(r.cookie_len[1], 256);
    CHECK(r.cookies[0][99] == 0xA1 && r.cookies[1][255] == 0xA2);
    CHECK_STR_EQ(r.ntp_server, "ntp.example.org");
    CHECK_INT_EQ(r.ntp_port, 1123);
    CHECK_INT_EQ(r.n_warnings, 0);
}

static void test_response_incomplete(void)
{
    struct nts_ke_response r;
    struct msg m;
    size_t full;

    good_head(&m);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    full = m.len;
    for (m.len = 0; m.len < full; m.len++)
        CHECK_INT_EQ(parse(&m, &r), NTS_KE_INCOMPLETE);
    m.len = full;
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(nts_ke_parse_response(NULL, 0, offered, 1, &r), NTS_KE_INCOMPLETE);
}

/* A message filling chrony's whole buffer without an End record can never complete. */
static void test_response_too_long(void)
{
    static uint8_t big[NTS_KE_MAX_MESSAGE];
    struct nts_ke_response r;

    memset(big, 0, sizeof(big));
    for (size_t off = 0; off + 260 <= sizeof(big); off += 260) {
        put_be16(big + off, NTS_KE_REC_COOKIE);
        put_be16(big + off + 2, 256);
    }
    /* The last 4 bytes start a record whose body never arrives. */
    put_be16(big + sizeof(big) - 4, NTS_KE_REC_COOKIE);
    put_be16(big + sizeof(big) - 2, 100);
    CHECK_INT_EQ(nts_ke_parse_response(big, sizeof(big) - 1, offered, 1, &r), NTS_KE_INCOMPLETE);
    CHECK_INT_EQ(nts_ke_parse_response(big, sizeof(big), offered, 1, &r), NTS_KE_BAD_RECORD);
}

static void test_response_after_end(void)
{
    struct nts_ke_response r;
    struct msg m;

    good_head(&m);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    rec_u16(&m, 1, 3000, 1);
    rec_u16(&m, 1, NTS_KE_REC_ERROR, 1);
    rec_cookie(&m, 8, 2);
    m.buf[m.len++] = 0x80; /* and a truncated record */
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.n_cookies, 1);
}

static void test_response_end_malformed(void)
{
    struct nts_ke_response r;
    struct msg m;

    good_head(&m);
    rec_cookie(&m, 8, 1);
    rec(&m, 0, NTS_KE_REC_END, NULL, 0);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
    good_head(&m);
    rec_cookie(&m, 8, 1);
    rec(&m, 1, NTS_KE_REC_END, "xx", 2);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

static void test_response_protocol(void)
{
    struct nts_ke_response r;
    struct msg m;
    uint8_t two[4] = {0, 0, 0, 1};

    m.len = 0; /* missing */
    rec_u16(&m, 1, NTS_KE_REC_AEAD, 15);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_PROTOCOL);
    m.len = 0; /* another protocol */
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_PROTOCOL);
    m.len = 0; /* not critical */
    rec_u16(&m, 0, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_PROTOCOL);
    m.len = 0; /* more than one */
    rec(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, two, 4);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_PROTOCOL);
    m.len = 0; /* empty */
    rec(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, NULL, 0);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_PROTOCOL);
    m.len = 0; /* odd length */
    rec(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, two, 3);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

static void test_response_aead(void)
{
    const int both[] = {30, 15};
    struct nts_ke_response r;
    struct msg m;
    uint8_t two[4] = {0, 15, 0, 15};

    m.len = 0; /* missing */
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_AEAD);
    m.len = 0; /* not offered */
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_u16(&m, 1, NTS_KE_REC_AEAD, 30);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_AEAD);
    CHECK_INT_EQ(nts_ke_parse_response(m.buf, m.len, both, 2, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.aead, 30);
    CHECK_INT_EQ(nts_ke_parse_response(m.buf, m.len, NULL, 0, &r), NTS_KE_BAD_AEAD);
    m.len = 0; /* a list instead of one choice */
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec(&m, 1, NTS_KE_REC_AEAD, two, 4);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_AEAD);
    m.len = 0; /* odd length */
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec(&m, 1, NTS_KE_REC_AEAD, two, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

static void test_response_error_warning(void)
{
    struct nts_ke_response r;
    struct msg m;

    good_head(&m);
    rec_u16(&m, 1, NTS_KE_REC_ERROR, 1);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_SERVER_ERROR);
    CHECK_INT_EQ(r.error_code, 1);
    good_head(&m);
    rec(&m, 1, NTS_KE_REC_ERROR, "x", 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
    good_head(&m);
    rec_u16(&m, 1, NTS_KE_REC_WARNING, 5);
    rec_u16(&m, 1, NTS_KE_REC_WARNING, 6);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.n_warnings, 2);
    good_head(&m);
    rec(&m, 1, NTS_KE_REC_WARNING, NULL, 0);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

static void test_response_cookies(void)
{
    struct nts_ke_response r;
    struct msg m;

    good_head(&m);
    rec_cookie(&m, 0, 0);
    rec_cookie(&m, 260, 0);
    rec_cookie(&m, 10, 0);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_NO_COOKIES);
    CHECK_INT_EQ(r.n_cookies, 0);
    good_head(&m);
    for (int i = 0; i < NTS_MAX_COOKIES + 2; i++)
        rec_cookie(&m, 4 * (size_t)(i + 1), (uint8_t)i);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.n_cookies, NTS_MAX_COOKIES);
    CHECK_INT_EQ(r.cookie_len[NTS_MAX_COOKIES - 1], 4 * NTS_MAX_COOKIES);
    CHECK(r.cookies[NTS_MAX_COOKIES - 1][0] == NTS_MAX_COOKIES - 1);
}

static void test_response_server_port(void)
{
    struct nts_ke_response r;
    struct msg m;
    char name[NTS_MAX_SERVER_NAME];

    memset(name, 'a', sizeof(name));
    good_head(&m);
    rec_cookie(&m, 8, 1);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, name, NTS_MAX_SERVER_NAME - 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_INT_EQ(strlen(r.ntp_server), NTS_MAX_SERVER_NAME - 1);
    good_head(&m);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, name, NTS_MAX_SERVER_NAME);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_SERVER);
    good_head(&m);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, NULL, 0);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_SERVER);
    good_head(&m);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, "a b", 3);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_SERVER);
    good_head(&m);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, "a\x7f", 2);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_SERVER);
    good_head(&m);
    rec(&m, 1, NTS_KE_REC_NTP_PORT, "\x01", 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

static void test_response_unknown(void)
{
    struct nts_ke_response r;
    struct msg m;
    uint8_t big[300] = {0};

    good_head(&m);
    rec_u16(&m, 1, 0x1234, 1);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_UNKNOWN_CRITICAL);
    /* chrony's compliant-128gcm record: known, must be empty. */
    good_head(&m);
    rec(&m, 0, 1024, NULL, 0);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    good_head(&m);
    rec(&m, 0, 1024, "x", 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
    /* Bodies over 256 bytes: skipped when not critical, fatal when critical. */
    good_head(&m);
    rec(&m, 0, NTS_KE_REC_NTP_SERVER, big, sizeof(big));
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_OK);
    CHECK_STR_EQ(r.ntp_server, "");
    good_head(&m);
    rec(&m, 1, NTS_KE_REC_COOKIE, big, sizeof(big));
    rec_end(&m);
    CHECK_INT_EQ(parse(&m, &r), NTS_KE_BAD_RECORD);
}

/* A request as chrony's client sends it, offering aead. */
static void good_request(struct msg *m, uint16_t aead)
{
    m->len = 0;
    rec_u16(m, 1, NTS_KE_REC_NEXT_PROTOCOL, NTS_KE_PROTO_NTPV4);
    rec_u16(m, 1, NTS_KE_REC_AEAD, aead);
}

static enum nts_ke_verdict parse_req(const struct msg *m, struct nts_ke_request *q)
{
    return nts_ke_parse_request(m->buf, m->len, q);
}

static void test_server_request_good(void)
{
    static const int aeads[] = {30, 15};
    struct nts_ke_request q;
    struct msg m;
    uint8_t buf[256];
    size_t len = nts_ke_build_request(aeads, 2, buf, sizeof(buf));

    /* Our own client's request, with the compliant-export record. */
    CHECK_INT_EQ(nts_ke_parse_request(buf, len, &q), NTS_KE_OK);
    CHECK_INT_EQ(q.ntpv4, 1);
    CHECK_INT_EQ(q.n_aeads, 2);
    CHECK_INT_EQ(q.aeads[0], 30);
    CHECK_INT_EQ(q.aeads[1], 15);
    CHECK_INT_EQ(q.compliant_128gcm, 1);
    CHECK_INT_EQ(q.error_code, -1);
    /* The client's order decides among the server's enabled algorithms. */
    {
        static const int srv1[] = {15, 30}, srv2[] = {15}, srv3[] = {99};
        CHECK_INT_EQ(nts_ke_select_aead(&q, srv1, 2), 30);
        CHECK_INT_EQ(nts_ke_select_aead(&q, srv2, 1), 15);
        CHECK_INT_EQ(nts_ke_select_aead(&q, srv3, 1), -1);
        CHECK_INT_EQ(nts_ke_select_aead(&q, NULL, 0), -1);
    }
    /* Unknown non-critical records are ignored; a protocol list without NTPv4 is fine. */
    good_request(&m, 15);
    rec_u16(&m, 0, 0x4321, 7);
    rec_end(&m);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_OK);
    m.len = 0;
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 5);
    rec_end(&m);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_OK);
    CHECK_INT_EQ(q.ntpv4, 0);
}

static void test_server_request_framing(void)
{
    struct nts_ke_request q;
    struct msg m;

    good_request(&m, 15);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_INCOMPLETE);
    CHECK_INT_EQ(nts_ke_parse_request(NULL, 0, &q), NTS_KE_INCOMPLETE);
    rec_end(&m);
    CHECK_INT_EQ(nts_ke_parse_request(m.buf, m.len - 1, &q), NTS_KE_INCOMPLETE);
    /* Bytes after End of Message: not a single message. */
    rec_u16(&m, 0, 0x4321, 7);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_BAD_RECORD);
    good_request(&m, 15);
    rec(&m, 0, NTS_KE_REC_END, NULL, 0);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_BAD_RECORD);
    good_request(&m, 15);
    rec(&m, 1, NTS_KE_REC_END, "ab", 2);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_BAD_RECORD);
}

/* Expect a request rejected with the given verdict and Error code. */
static void check_rejected(const struct msg *m, enum nts_ke_verdict v, int code)
{
    struct nts_ke_request q;
    CHECK_INT_EQ(parse_req(m, &q), v);
    CHECK_INT_EQ(q.error_code, code);
}

static void test_server_request_errors(void)
{
    struct msg m;

    good_request(&m, 15);
    rec_u16(&m, 1, 0x4321, 7);
    rec_end(&m);
    check_rejected(&m, NTS_KE_UNKNOWN_CRITICAL, NTS_KE_ERR_UNRECOGNIZED_CRITICAL);
    /* chrony treats the negotiation records as unrecognised in a request. */
    good_request(&m, 15);
    rec_u16(&m, 1, NTS_KE_REC_NTP_PORT, 123);
    rec_end(&m);
    check_rejected(&m, NTS_KE_UNKNOWN_CRITICAL, NTS_KE_ERR_UNRECOGNIZED_CRITICAL);
    m.len = 0;
    rec_u16(&m, 0, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_u16(&m, 1, NTS_KE_REC_AEAD, 15);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    m.len = 0;
    rec(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, "\0\0\0", 3);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    good_request(&m, 15);
    rec(&m, 1, NTS_KE_REC_AEAD, NULL, 0);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    good_request(&m, 15);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    good_request(&m, 15);
    rec_u16(&m, 1, NTS_KE_REC_WARNING, 0);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    good_request(&m, 15);
    rec(&m, 0, 1024, "x", 1);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
}

static void test_server_request_counts(void)
{
    struct nts_ke_request q;
    struct msg m;
    uint8_t many[300];

    /* Two Next Protocol records, two AEAD records, none at all. */
    good_request(&m, 15);
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    good_request(&m, 15);
    rec_u16(&m, 1, NTS_KE_REC_AEAD, 15);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    m.len = 0;
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    /* NTPv4 without AEAD; another protocol needs none. */
    m.len = 0;
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec_end(&m);
    check_rejected(&m, NTS_KE_BAD_REQUEST, NTS_KE_ERR_BAD_REQUEST);
    /* The first failing record decides. */
    good_request(&m, 15);
    rec_u16(&m, 1, 0x4321, 7);
    rec_cookie(&m, 8, 1);
    rec_end(&m);
    check_rejected(&m, NTS_KE_UNKNOWN_CRITICAL, NTS_KE_ERR_UNRECOGNIZED_CRITICAL);
    /* Only the first 256 body bytes of a record count: 128 ids kept. */
    for (size_t i = 0; i < sizeof(many); i += 2)
        put_be16(many + i, (uint16_t)(1000 + i / 2));
    m.len = 0;
    rec_u16(&m, 1, NTS_KE_REC_NEXT_PROTOCOL, 0);
    rec(&m, 1, NTS_KE_REC_AEAD, many, sizeof(many));
    rec_end(&m);
    CHECK_INT_EQ(parse_req(&m, &q), NTS_KE_OK);
    CHECK_INT_EQ(q.n_aeads, NTS_KE_MAX_OFFERED);
    CHECK_INT_EQ(q.aeads[NTS_KE_MAX_OFFERED - 1], 1000 + NTS_KE_MAX_OFFERED - 1);
}

static void test_server_response(void)
{
    static const uint8_t c1[100] = {1}, c2[100] = {2};
    const uint8_t *cookies[2] = {c1, c2};
    const size_t lens[2] = {sizeof(c1), sizeof(c2)};
    struct nts_ke_response r;
    uint8_t buf[1024];
    size_t len;

    len = nts_ke_build_response(15, cookies, lens, 2, "ntp.example", 4123, buf, sizeof(buf));
    CHECK(len > 0);
    CHECK_INT_EQ(nts_ke_parse_response(buf, len, offered, 1, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.aead, 15);
    CHECK_INT_EQ(r.n_cookies, 2);
    CHECK_INT_EQ(r.cookie_len[1], 100);
    CHECK_INT_EQ(r.cookies[1][0], 2);
    CHECK_STR_EQ(r.ntp_server, "ntp.example");
    CHECK_INT_EQ(r.ntp_port, 4123);
    /* chrony's order and criticality: protocol, AEAD, port, server, cookies. */
    CHECK_INT_EQ(get_be16(buf + 12), NTS_KE_CRITICAL | NTS_KE_REC_NTP_PORT);
    CHECK_INT_EQ(get_be16(buf + 18), NTS_KE_CRITICAL | NTS_KE_REC_NTP_SERVER);
    CHECK_INT_EQ(get_be16(buf + 33), NTS_KE_REC_COOKIE);
    /* Port 123 is not negotiated, no server name without one. */
    len = nts_ke_build_response(15, cookies, lens, 1, NULL, 123, buf, sizeof(buf));
    CHECK_INT_EQ(len, 12 + 104 + 4);
    CHECK_INT_EQ(nts_ke_parse_response(buf, len, offered, 1, &r), NTS_KE_OK);
    CHECK_INT_EQ(r.ntp_port, 0);
    CHECK_STR_EQ(r.ntp_server, "");
    /* Invalid arguments and small buffers. */
    CHECK_INT_EQ(nts_ke_build_response(15, cookies, lens, 2, NULL, 123, buf, 100), 0);
    CHECK_INT_EQ(nts_ke_build_response(-1, cookies, lens, 2, NULL, 123, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_response(15, cookies, lens, 9, NULL, 123, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_response(15, cookies, lens, 2, "", 123, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_response(15, cookies, lens, 2, NULL, 70000, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_response(15, NULL, NULL, 2, NULL, 123, buf, sizeof(buf)), 0);
}

static void test_server_error_refusal(void)
{
    static const uint8_t err1[] = {0x80, 2, 0, 2, 0, 1, 0x80, 0, 0, 0};
    static const uint8_t no_proto[] = {0x80, 1, 0, 0, 0x80, 0, 0, 0};
    static const uint8_t no_aead[] = {0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 0, 0x80, 0, 0, 0};
    struct nts_ke_response r;
    uint8_t buf[64];

    CHECK_INT_EQ(nts_ke_build_error(NTS_KE_ERR_BAD_REQUEST, buf, sizeof(buf)), sizeof(err1));
    CHECK(memcmp(buf, err1, sizeof(err1)) == 0);
    CHECK_INT_EQ(nts_ke_parse_response(buf, sizeof(err1), offered, 1, &r), NTS_KE_SERVER_ERROR);
    CHECK_INT_EQ(r.error_code, 1);
    CHECK_INT_EQ(nts_ke_build_error(0x10000, buf, sizeof(buf)), 0);
    CHECK_INT_EQ(nts_ke_build_error(0, buf, 9), 0);
    CHECK_INT_EQ(nts_ke_build_refusal(0, buf, sizeof(buf)), sizeof(no_proto));
    CHECK(memcmp(buf, no_proto, sizeof(no_proto)) == 0);
    CHECK_INT_EQ(nts_ke_build_refusal(1, buf, sizeof(buf)), sizeof(no_aead));
    CHECK(memcmp(buf, no_aead, sizeof(no_aead)) == 0);
    CHECK_INT_EQ(nts_ke_build_refusal(1, buf, 13), 0);
    /* Our client refuses both. */
    CHECK_INT_EQ(nts_ke_parse_response(buf, sizeof(no_aead), offered, 1, &r), NTS_KE_BAD_AEAD);
}

static void test_names_context(void)
{
    uint8_t ctx[5];
    static const uint8_t c2s[5] = {0, 0, 0, 15, 0}, s2c[5] = {0, 0, 0, 15, 1};

    for (int v = 0; v < NTS_KE_N_VERDICTS; v++)
        CHECK(strcmp(nts_ke_verdict_name((enum nts_ke_verdict)v), "?") != 0);
    CHECK_STR_EQ(nts_ke_verdict_name(NTS_KE_N_VERDICTS), "?");
    nts_ke_exporter_context(15, 0, ctx);
    CHECK(memcmp(ctx, c2s, 5) == 0);
    nts_ke_exporter_context(15, 1, ctx);
    CHECK(memcmp(ctx, s2c, 5) == 0);
}

int main(void)
{
    RUN(test_request_bytes);
    RUN(test_request_limits);
    RUN(test_response_good);
    RUN(test_response_incomplete);
    RUN(test_response_too_long);
    RUN(test_response_after_end);
    RUN(test_response_end_malformed);
    RUN(test_response_protocol);
    RUN(test_response_aead);
    RUN(test_response_error_warning);
    RUN(test_response_cookies);
    RUN(test_response_server_port);
    RUN(test_response_unknown);
    RUN(test_server_request_good);
    RUN(test_server_request_framing);
    RUN(test_server_request_errors);
    RUN(test_server_request_counts);
    RUN(test_server_response);
    RUN(test_server_error_refusal);
    RUN(test_names_context);
    return check_summary();
}
