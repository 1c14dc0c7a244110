/* Fuzz target for the NTS-KE response parser (src/proto/nts_ke) with invariants on what is
 * kept and a parse -> re-encode -> parse oracle on accepted responses. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nts_ke_response r, again;
    uint8_t buf[NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN) + 1024];
    enum nts_ke_verdict v;

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
    return 0;
}
