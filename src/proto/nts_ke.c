#include "proto/nts_ke.h"

#include "lib/bytes.h"

#include <assert.h>
#include <string.h>

/* RFC 8915 §4: a record is a 16-bit type (critical bit + 15-bit type), a 16-bit body length
 * and the body. */
#define REC_HEADER_LEN 4
#define REC_TYPE_MASK 0x7FFF
/* chrony's own record (type 1024) saying the AES-128-GCM-SIV keys are exported with the
 * compliant RFC 8915 §5.1 context; always empty. */
#define REC_COMPLIANT_128GCM_EXPORT 1024
/* chrony reads at most this many body bytes of a record; longer non-critical records are
 * skipped, longer critical ones fail the response. */
#define MAX_RECORD_BODY 256

/* Append one record at buf[*len..cap). Returns 1, or 0 if it does not fit. */
static int record_put(uint8_t *buf, size_t cap, size_t *len, int critical, int type,
                      const uint8_t *body, size_t body_len)
{
    assert(buf && len && (body || body_len == 0));
    if (*len > cap || cap - *len < REC_HEADER_LEN || body_len > 0xFFFF ||
        cap - *len - REC_HEADER_LEN < body_len)
        return 0;
    put_be16(buf + *len, (uint16_t)((critical ? NTS_KE_CRITICAL : 0) | (type & REC_TYPE_MASK)));
    put_be16(buf + *len + 2, (uint16_t)body_len);
    if (body_len > 0)
        memcpy(buf + *len + REC_HEADER_LEN, body, body_len);
    *len += REC_HEADER_LEN + body_len;
    assert(*len <= cap);
    return 1;
}

size_t nts_ke_build_request(const int *aeads, int n_aeads, uint8_t *buf, size_t cap)
{
    uint8_t proto[2], list[2 * 64];
    size_t len = 0;
    int compliant = 0;

    if (!aeads || !buf || n_aeads < 1 || (size_t)n_aeads > sizeof(list) / 2)
        return 0;
    for (int i = 0; i < n_aeads; i++) {
        if (aeads[i] < 0 || aeads[i] > 0xFFFF)
            return 0;
        put_be16(list + 2 * i, (uint16_t)aeads[i]);
        compliant |= aeads[i] == NTS_AEAD_AES_128_GCM_SIV;
    }
    put_be16(proto, NTS_KE_PROTO_NTPV4);
    /* RFC 8915 §4.1.2 and §4.1.5: the protocols and AEAD algorithms we support, in order of
     * preference; chrony marks both records critical. */
    if (!record_put(buf, cap, &len, 1, NTS_KE_REC_NEXT_PROTOCOL, proto, sizeof(proto)) ||
        !record_put(buf, cap, &len, 1, NTS_KE_REC_AEAD, list, 2 * (size_t)n_aeads))
        return 0;
    /* Like chrony, announce the compliant GCM-SIV exporter context when offering it. */
    if (compliant && !record_put(buf, cap, &len, 0, REC_COMPLIANT_128GCM_EXPORT, NULL, 0))
        return 0;
    /* RFC 8915 §4.1.1: End of Message is critical with an empty body. */
    if (!record_put(buf, cap, &len, 1, NTS_KE_REC_END, NULL, 0))
        return 0;
    return len;
}

/* Offset of the End of Message record, or an error verdict: INCOMPLETE while it has not
 * fully arrived, BAD_RECORD if it is malformed or can never arrive. */
static enum nts_ke_verdict find_end(const uint8_t *buf, size_t len, size_t *end)
{
    size_t off = 0;

    while (len - off >= REC_HEADER_LEN) {
        uint16_t type = get_be16(buf + off);
        size_t body_len = get_be16(buf + off + 2);

        if (len - off - REC_HEADER_LEN < body_len)
            break;
        if ((type & REC_TYPE_MASK) == NTS_KE_REC_END) {
            /* RFC 8915 §4.1.1: critical and empty (chrony rejects anything else). */
            if (!(type & NTS_KE_CRITICAL) || body_len != 0)
                return NTS_KE_BAD_RECORD;
            *end = off;
            return NTS_KE_OK;
        }
        off += REC_HEADER_LEN + body_len;
    }
    /* chrony gives up on a message that fills its whole receive buffer. */
    return len >= NTS_KE_MAX_MESSAGE ? NTS_KE_BAD_RECORD : NTS_KE_INCOMPLETE;
}

struct parse_state {
    const int *offered;
    int n_offered;
    int have_protocol, have_aead;
    struct nts_ke_response *out;
};

static enum nts_ke_verdict parse_protocol(struct parse_state *st, int critical, const uint8_t *body,
                                          size_t body_len)
{
    if (body_len % 2 != 0)
        return NTS_KE_BAD_RECORD;
    /* RFC 8915 §4.1.2: the server answers with exactly one protocol from our list, in a
     * critical record; chrony accepts nothing but NTPv4. */
    if (!critical || body_len != 2 || get_be16(body) != NTS_KE_PROTO_NTPV4)
        return NTS_KE_BAD_PROTOCOL;
    st->have_protocol = 1;
    return NTS_KE_OK;
}

static enum nts_ke_verdict parse_aead(struct parse_state *st, const uint8_t *body, size_t body_len)
{
    int id;

    if (body_len % 2 != 0)
        return NTS_KE_BAD_RECORD;
    /* RFC 8915 §4.1.5: the server picks exactly one of the algorithms we offered. */
    if (body_len != 2)
        return NTS_KE_BAD_AEAD;
    id = get_be16(body);
    for (int i = 0; i < st->n_offered; i++) {
        if (st->offered[i] == id) {
            st->out->aead = id;
            st->have_aead = 1;
            return NTS_KE_OK;
        }
    }
    return NTS_KE_BAD_AEAD;
}

static void parse_cookie(struct nts_ke_response *out, const uint8_t *body, size_t body_len)
{
    /* Like chrony, keep the first NTS_MAX_COOKIES cookies of a sane length (non-empty, at
     * most NTS_MAX_COOKIE_LEN, a multiple of 4 as they must fit NTP extension fields) and
     * skip the others without failing. */
    if (body_len < 1 || body_len > NTS_MAX_COOKIE_LEN || body_len % 4 != 0 ||
        out->n_cookies >= NTS_MAX_COOKIES)
        return;
    memcpy(out->cookies[out->n_cookies], body, body_len);
    out->cookie_len[out->n_cookies] = body_len;
    out->n_cookies++;
}

static enum nts_ke_verdict parse_server(struct nts_ke_response *out, const uint8_t *body,
                                        size_t body_len)
{
    /* RFC 8915 §4.1.7: an ASCII host name or address. chrony wants it printable without
     * spaces (isgraph in the C locale). */
    if (body_len < 1 || body_len >= NTS_MAX_SERVER_NAME)
        return NTS_KE_BAD_SERVER;
    for (size_t i = 0; i < body_len; i++) {
        if (body[i] < 0x21 || body[i] > 0x7E)
            return NTS_KE_BAD_SERVER;
    }
    memcpy(out->ntp_server, body, body_len);
    out->ntp_server[body_len] = '\0';
    return NTS_KE_OK;
}

static enum nts_ke_verdict parse_u16_record(int type, struct nts_ke_response *out,
                                            const uint8_t *body, size_t body_len)
{
    if (body_len != 2)
        return NTS_KE_BAD_RECORD;
    switch (type) {
    case NTS_KE_REC_ERROR:
        /* RFC 8915 §4.1.3: the server refused the request. */
        out->error_code = get_be16(body);
        return NTS_KE_SERVER_ERROR;
    case NTS_KE_REC_WARNING:
        /* RFC 8915 §4.1.4. chrony fails the whole response on a warning; counted here so
         * the caller decides. */
        out->n_warnings++;
        return NTS_KE_OK;
    default:
        /* RFC 8915 §4.1.8: NTPv4 Port Negotiation. */
        out->ntp_port = get_be16(body);
        return NTS_KE_OK;
    }
}

static int type_known(int type)
{
    return (type >= NTS_KE_REC_NEXT_PROTOCOL && type <= NTS_KE_REC_NTP_PORT) ||
           type == REC_COMPLIANT_128GCM_EXPORT;
}

static enum nts_ke_verdict parse_record(struct parse_state *st, uint16_t raw_type,
                                        const uint8_t *body, size_t body_len)
{
    int critical = (raw_type & NTS_KE_CRITICAL) != 0, type = raw_type & REC_TYPE_MASK;

    /* RFC 8915 §4: an unrecognised critical record fails the exchange; others are ignored. */
    if (!type_known(type))
        return critical ? NTS_KE_UNKNOWN_CRITICAL : NTS_KE_OK;
    if (body_len > MAX_RECORD_BODY)
        return critical ? NTS_KE_BAD_RECORD : NTS_KE_OK;
    switch (type) {
    case NTS_KE_REC_NEXT_PROTOCOL:
        return parse_protocol(st, critical, body, body_len);
    case NTS_KE_REC_AEAD:
        return parse_aead(st, body, body_len);
    case NTS_KE_REC_COOKIE:
        parse_cookie(st->out, body, body_len);
        return NTS_KE_OK;
    case NTS_KE_REC_NTP_SERVER:
        return parse_server(st->out, body, body_len);
    case REC_COMPLIANT_128GCM_EXPORT:
        return body_len == 0 ? NTS_KE_OK : NTS_KE_BAD_RECORD;
    default:
        return parse_u16_record(type, st->out, body, body_len);
    }
}

enum nts_ke_verdict nts_ke_parse_response(const uint8_t *buf, size_t len, const int *offered,
                                          int n_offered, struct nts_ke_response *out)
{
    struct parse_state st = {offered, offered ? n_offered : 0, 0, 0, out};
    enum nts_ke_verdict v;
    size_t end = 0, off = 0;

    memset(out, 0, sizeof(*out));
    if (!buf)
        len = 0;
    v = find_end(buf, len, &end);
    if (v != NTS_KE_OK)
        return v;
    /* Records are complete up to End of Message (find_end walked them). */
    while (off < end) {
        uint16_t type = get_be16(buf + off);
        size_t body_len = get_be16(buf + off + 2);

        v = parse_record(&st, type, buf + off + REC_HEADER_LEN, body_len);
        if (v != NTS_KE_OK)
            return v;
        off += REC_HEADER_LEN + body_len;
    }
    if (!st.have_protocol)
        return NTS_KE_BAD_PROTOCOL;
    if (!st.have_aead)
        return NTS_KE_BAD_AEAD;
    if (out->n_cookies == 0)
        return NTS_KE_NO_COOKIES;
    return NTS_KE_OK;
}

const char *nts_ke_verdict_name(enum nts_ke_verdict v)
{
    static const char *const names[NTS_KE_N_VERDICTS] = {
        "ok",           "incomplete",   "bad record", "unknown critical record",
        "server error", "bad protocol", "bad AEAD",   "no cookies",
        "bad server",   "bad request"};

    if ((int)v < 0 || v >= NTS_KE_N_VERDICTS)
        return "?";
    return names[v];
}

void nts_ke_exporter_context(int aead, int s2c, uint8_t out[5])
{
    /* RFC 8915 §5.1: Protocol ID (NTPv4 = 0), AEAD id, then 0x00 for C2S or 0x01 for S2C. */
    put_be16(out, NTS_KE_PROTO_NTPV4);
    put_be16(out + 2, (uint16_t)aead);
    out[4] = s2c ? 1 : 0;
}

/* What the server has seen of a request so far. */
struct request_state {
    int protocol_records, protocol_values;
    int aead_records, aead_values;
    struct nts_ke_request *out;
};

static enum nts_ke_verdict request_protocol(struct request_state *st, int critical,
                                            const uint8_t *body, size_t body_len)
{
    /* RFC 8915 §4.1.2: a critical record listing at least one protocol. */
    if (!critical || body_len < 2 || body_len % 2 != 0)
        return NTS_KE_BAD_REQUEST;
    st->protocol_records++;
    for (size_t i = 0; i + 2 <= body_len && i < MAX_RECORD_BODY; i += 2) {
        st->protocol_values++;
        if (get_be16(body + i) == NTS_KE_PROTO_NTPV4)
            st->out->ntpv4 = 1;
    }
    return NTS_KE_OK;
}

static enum nts_ke_verdict request_aead(struct request_state *st, const uint8_t *body,
                                        size_t body_len)
{
    struct nts_ke_request *out = st->out;

    /* RFC 8915 §4.1.5: at least one algorithm id. */
    if (body_len < 2 || body_len % 2 != 0)
        return NTS_KE_BAD_REQUEST;
    st->aead_records++;
    for (size_t i = 0; i + 2 <= body_len && i < MAX_RECORD_BODY; i += 2) {
        st->aead_values++;
        if (out->n_aeads < NTS_KE_MAX_OFFERED)
            out->aeads[out->n_aeads++] = get_be16(body + i);
    }
    return NTS_KE_OK;
}

static enum nts_ke_verdict request_record(struct request_state *st, uint16_t raw_type,
                                          const uint8_t *body, size_t body_len)
{
    int critical = (raw_type & NTS_KE_CRITICAL) != 0, type = raw_type & REC_TYPE_MASK;

    switch (type) {
    case NTS_KE_REC_NEXT_PROTOCOL:
        return request_protocol(st, critical, body, body_len);
    case NTS_KE_REC_AEAD:
        return request_aead(st, body, body_len);
    case REC_COMPLIANT_128GCM_EXPORT:
        if (body_len != 0)
            return NTS_KE_BAD_REQUEST;
        st->out->compliant_128gcm = 1;
        return NTS_KE_OK;
    case NTS_KE_REC_ERROR:
    case NTS_KE_REC_WARNING:
    case NTS_KE_REC_COOKIE:
        /* Records only a server sends. */
        return NTS_KE_BAD_REQUEST;
    default:
        /* RFC 8915 §4: unrecognised critical records fail the request, others are ignored;
         * like chrony, the negotiation records count as unrecognised in a request. */
        return critical ? NTS_KE_UNKNOWN_CRITICAL : NTS_KE_OK;
    }
}

/* Walk the records before End of Message; the first failing one decides. */
static enum nts_ke_verdict request_walk(struct request_state *st, const uint8_t *buf, size_t end)
{
    size_t off = 0;

    while (off < end) {
        uint16_t type = get_be16(buf + off);
        size_t body_len = get_be16(buf + off + 2);
        enum nts_ke_verdict v = request_record(st, type, buf + off + REC_HEADER_LEN, body_len);

        if (v != NTS_KE_OK)
            return v;
        off += REC_HEADER_LEN + body_len;
    }
    if (st->protocol_records != 1 || st->protocol_values < 1 ||
        (st->out->ntpv4 && (st->aead_records != 1 || st->aead_values < 1)))
        return NTS_KE_BAD_REQUEST;
    return NTS_KE_OK;
}

enum nts_ke_verdict nts_ke_parse_request(const uint8_t *buf, size_t len, struct nts_ke_request *out)
{
    struct request_state st = {0, 0, 0, 0, out};
    enum nts_ke_verdict v;
    size_t end = 0;

    memset(out, 0, sizeof(*out));
    out->error_code = -1;
    if (!buf)
        len = 0;
    v = find_end(buf, len, &end);
    if (v != NTS_KE_OK)
        return v;
    /* A client sends one message; End of Message must be its last record. */
    if (len - end != REC_HEADER_LEN)
        return NTS_KE_BAD_RECORD;
    v = request_walk(&st, buf, end);
    if (v == NTS_KE_UNKNOWN_CRITICAL)
        out->error_code = NTS_KE_ERR_UNRECOGNIZED_CRITICAL;
    else if (v == NTS_KE_BAD_REQUEST)
        out->error_code = NTS_KE_ERR_BAD_REQUEST;
    return v;
}

int nts_ke_select_aead(const struct nts_ke_request *req, const int *enabled, int n_enabled)
{
    for (int i = 0; req && enabled && i < req->n_aeads; i++) {
        for (int j = 0; j < n_enabled; j++) {
            if (req->aeads[i] == enabled[j])
                return req->aeads[i];
        }
    }
    return -1;
}

static int put_u16_record(uint8_t *buf, size_t cap, size_t *len, int type, int value)
{
    uint8_t v[2];

    assert(value >= 0 && value <= 0xFFFF); /* checked by the builders */
    put_be16(v, (uint16_t)value);
    return record_put(buf, cap, len, 1, type, v, sizeof(v));
}

size_t nts_ke_build_response(int aead, const uint8_t *const *cookies, const size_t *cookie_lens,
                             int n_cookies, const char *ntp_server, int ntp_port, uint8_t *buf,
                             size_t cap)
{
    size_t len = 0, name_len = ntp_server ? strlen(ntp_server) : 0;

    if (!buf || aead < 0 || aead > 0xFFFF || ntp_port < 0 || ntp_port > 0xFFFF || n_cookies < 0 ||
        n_cookies > NTS_MAX_COOKIES || (n_cookies > 0 && (!cookies || !cookie_lens)) ||
        (ntp_server && (name_len < 1 || name_len >= NTS_MAX_SERVER_NAME)))
        return 0;
    if (!put_u16_record(buf, cap, &len, NTS_KE_REC_NEXT_PROTOCOL, NTS_KE_PROTO_NTPV4) ||
        !put_u16_record(buf, cap, &len, NTS_KE_REC_AEAD, aead))
        return 0;
    /* RFC 8915 §4.1.8: only a port other than the default needs negotiating. */
    if (ntp_port != 123 && !put_u16_record(buf, cap, &len, NTS_KE_REC_NTP_PORT, ntp_port))
        return 0;
    if (ntp_server && !record_put(buf, cap, &len, 1, NTS_KE_REC_NTP_SERVER,
                                  (const uint8_t *)ntp_server, name_len))
        return 0;
    for (int i = 0; i < n_cookies; i++) {
        if (!cookies[i] || cookie_lens[i] < 1 || cookie_lens[i] > NTS_MAX_COOKIE_LEN ||
            !record_put(buf, cap, &len, 0, NTS_KE_REC_COOKIE, cookies[i], cookie_lens[i]))
            return 0;
    }
    return record_put(buf, cap, &len, 1, NTS_KE_REC_END, NULL, 0) ? len : 0;
}

size_t nts_ke_build_error(int code, uint8_t *buf, size_t cap)
{
    size_t len = 0;

    if (!buf || code < 0 || code > 0xFFFF ||
        !put_u16_record(buf, cap, &len, NTS_KE_REC_ERROR, code) ||
        !record_put(buf, cap, &len, 1, NTS_KE_REC_END, NULL, 0))
        return 0;
    return len;
}

size_t nts_ke_build_refusal(int ntpv4, uint8_t *buf, size_t cap)
{
    size_t len = 0;

    if (!buf)
        return 0;
    if (!ntpv4) {
        if (!record_put(buf, cap, &len, 1, NTS_KE_REC_NEXT_PROTOCOL, NULL, 0))
            return 0;
    } else if (!put_u16_record(buf, cap, &len, NTS_KE_REC_NEXT_PROTOCOL, NTS_KE_PROTO_NTPV4) ||
               !record_put(buf, cap, &len, 1, NTS_KE_REC_AEAD, NULL, 0)) {
        return 0;
    }
    return record_put(buf, cap, &len, 1, NTS_KE_REC_END, NULL, 0) ? len : 0;
}
