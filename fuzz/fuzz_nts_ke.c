/* Fuzz target for the NTS-KE response and request parsers (src/proto/nts_ke) with invariants
 * on what is kept and parse -> re-encode -> parse oracles on accepted messages (responses
 * re-encoded with the server's response builder too). */
#include "lib/bytes.h"
#include "proto/nts_ke.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int offered[] = {NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_128_GCM_SIV};

static void check_kept(const struct nts_ke_response *r)
{
    size_t name_len = strlen(r->ntp_server);

    if (r->n_cookies < 0 || r->n_cookies > NTS_MAX_COOKIES || name_len >= NTS_MAX_SERVER_NAME)
        abort();
    for (int i = 0; i < r->n_cookies; i++) {
        if (r->cookie_len[i] < 1 || r->cookie_len[i] > NTS_MAX_COOKIE_LEN)
            abort();
    }
    for (size_t i = 0; i < name_len; i++) {
        if (r->ntp_server[i] <= ' ' || r->ntp_server[i] > '~')
            abort();
    }
    if (r->ntp_port < 0 || r->ntp_port > 0xFFFF)
        abort();
}

static size_t put_rec(uint8_t *buf, size_t len, int type, const void *body, size_t body_len)
{
    put_be16(buf + len, (uint16_t)type);
    put_be16(buf + len + 2, (uint16_t)body_len);
    if (body_len)
        memcpy(buf + len + 4, body, body_len);
    return len + 4 + body_len;
}

/* Write the canonical form of an accepted response. */
static size_t encode(const struct nts_ke_response *r, uint8_t *buf)
{
    uint8_t v[2];
    size_t len = 0;

    put_be16(v, NTS_KE_PROTO_NTPV4);
    len = put_rec(buf, len, NTS_KE_CRITICAL | NTS_KE_REC_NEXT_PROTOCOL, v, 2);
    put_be16(v, (uint16_t)r->aead);
    len = put_rec(buf, len, NTS_KE_CRITICAL | NTS_KE_REC_AEAD, v, 2);
    for (int i = 0; i < r->n_cookies; i++)
        len = put_rec(buf, len, NTS_KE_REC_COOKIE, r->cookies[i], r->cookie_len[i]);
    if (r->ntp_server[0])
        len = put_rec(buf, len, NTS_KE_REC_NTP_SERVER, r->ntp_server, strlen(r->ntp_server));
    if (r->ntp_port) {
        put_be16(v, (uint16_t)r->ntp_port);
        len = put_rec(buf, len, NTS_KE_REC_NTP_PORT, v, 2);
    }
    for (int i = 0; i < r->n_warnings && i < 100; i++) {
        put_be16(v, 0);
        len = put_rec(buf, len, NTS_KE_REC_WARNING, v, 2);
    }
    return put_rec(buf, len, NTS_KE_CRITICAL | NTS_KE_REC_END, NULL, 0);
}

static int same(const struct nts_ke_response *a, const struct nts_ke_response *b)
{
    if (a->aead != b->aead || a->n_cookies != b->n_cookies || a->ntp_port != b->ntp_port ||
        strcmp(a->ntp_server, b->ntp_server) != 0 ||
        (a->n_warnings < 100 && a->n_warnings != b->n_warnings))
        return 0;
    for (int i = 0; i < a->n_cookies; i++) {
        if (a->cookie_len[i] != b->cookie_len[i] ||
            memcmp(a->cookies[i], b->cookies[i], a->cookie_len[i]) != 0)
            return 0;
    }
    return 1;
}

/* The canonical form of an accepted request: Next Protocol, AEAD (when offered), End. */
static size_t encode_request(const struct nts_ke_request *q, uint8_t *buf)
{
    uint8_t v[2 * NTS_KE_MAX_OFFERED];
    size_t len;

    put_be16(v, q->ntpv4 ? NTS_KE_PROTO_NTPV4 : 1);
    len = put_rec(buf, 0, NTS_KE_CRITICAL | NTS_KE_REC_NEXT_PROTOCOL, v, 2);
    for (int i = 0; i < q->n_aeads; i++)
        put_be16(v + 2 * i, (uint16_t)q->aeads[i]);
    if (q->n_aeads > 0)
        len = put_rec(buf, len, NTS_KE_REC_AEAD, v, 2 * (size_t)q->n_aeads);
    if (q->compliant_128gcm)
        len = put_rec(buf, len, 1024, NULL, 0);
    return put_rec(buf, len, NTS_KE_CRITICAL | NTS_KE_REC_END, NULL, 0);
}

static void check_request(const uint8_t *data, size_t size)
{
    struct nts_ke_request q, again;
    uint8_t buf[2 * NTS_KE_MAX_OFFERED + 64];
    enum nts_ke_verdict v = nts_ke_parse_request(data, size, &q);

    if ((int)v < 0 || v >= NTS_KE_N_VERDICTS || q.n_aeads < 0 || q.n_aeads > NTS_KE_MAX_OFFERED)
        abort();
    if ((v == NTS_KE_UNKNOWN_CRITICAL) != (q.error_code == NTS_KE_ERR_UNRECOGNIZED_CRITICAL) ||
        (v == NTS_KE_BAD_REQUEST) != (q.error_code == NTS_KE_ERR_BAD_REQUEST))
        abort();
    if (v != NTS_KE_OK)
        return;
    if (q.error_code != -1 || (q.ntpv4 && q.n_aeads < 1))
        abort();
    if (nts_ke_parse_request(buf, encode_request(&q, buf), &again) != NTS_KE_OK ||
        again.ntpv4 != q.ntpv4 || again.n_aeads != q.n_aeads ||
        again.compliant_128gcm != q.compliant_128gcm ||
        memcmp(again.aeads, q.aeads, sizeof(q.aeads[0]) * (size_t)q.n_aeads) != 0)
        abort();
}

/* An accepted response rebuilt by the server's builder parses to the same. */
static void check_rebuilt(const struct nts_ke_response *r)
{
    uint8_t buf[NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN) + 1024];
    const uint8_t *cookies[NTS_MAX_COOKIES];
    struct nts_ke_response again;
    size_t len;

    for (int i = 0; i < r->n_cookies; i++)
        cookies[i] = r->cookies[i];
    len = nts_ke_build_response(r->aead, cookies, r->cookie_len, r->n_cookies,
                                r->ntp_server[0] ? r->ntp_server : NULL,
                                r->ntp_port ? r->ntp_port : 123, buf, sizeof(buf));
    if (len == 0 || nts_ke_parse_response(buf, len, offered, 2, &again) != NTS_KE_OK ||
        again.n_cookies != r->n_cookies || strcmp(again.ntp_server, r->ntp_server) != 0 ||
        (r->ntp_port != 123 && again.ntp_port != r->ntp_port))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nts_ke_response r, again;
    uint8_t buf[NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN) + 1024];
    enum nts_ke_verdict v;

    check_request(data, size);
    v = nts_ke_parse_response(data, size, offered, 2, &r);
    if ((int)v < 0 || v >= NTS_KE_N_VERDICTS || !nts_ke_verdict_name(v)[0])
        abort();
    check_kept(&r);
    if (v != NTS_KE_OK)
        return 0;
    if (r.n_cookies < 1 || (r.aead != offered[0] && r.aead != offered[1]))
        abort();
    if (nts_ke_parse_response(buf, encode(&r, buf), offered, 2, &again) != NTS_KE_OK ||
        !same(&r, &again))
        abort();
    check_rebuilt(&r);
    return 0;
}
