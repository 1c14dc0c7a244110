#include "proto/ntp.h"

#include "lib/bytes.h"

#include <assert.h>
#include <string.h>

static int bytes_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0)
            return 0;
    }
    return 1;
}

static void header_decode(const uint8_t *buf, struct ntp_packet *pkt)
{
    pkt->leap = (uint8_t)(buf[0] >> 6);
    pkt->version = (uint8_t)((buf[0] >> 3) & 0x7);
    pkt->mode = (uint8_t)(buf[0] & 0x7);
    pkt->stratum = buf[1];
    pkt->poll = (int8_t)buf[2];
    pkt->precision = (int8_t)buf[3];
    pkt->root_delay = get_be32(buf + 4);
    pkt->root_dispersion = get_be32(buf + 8);
    pkt->ref_id = get_be32(buf + 12);
    ntp_ts64_from_bytes(&pkt->ref_ts, buf + 16);
    ntp_ts64_from_bytes(&pkt->origin_ts, buf + 24);
    ntp_ts64_from_bytes(&pkt->rx_ts, buf + 32);
    ntp_ts64_from_bytes(&pkt->tx_ts, buf + 40);
}

enum ntp_verdict ntp_ef_parse(const uint8_t *buf, size_t len, size_t offset, uint16_t *type,
                              uint16_t *field_len)
{
    uint16_t flen;

    if (offset > len || len - offset < NTP_EF_HEADER_LEN)
        return NTP_BAD_EXTENSION;
    flen = get_be16(buf + offset + 2);
    /* RFC 7822 §7: the length covers the whole field, is a multiple of 4 and at least 16. */
    if (flen < NTP_EF_MIN_LEN || flen % 4 != 0 || flen > len - offset)
        return NTP_BAD_EXTENSION;
    if (type)
        *type = get_be16(buf + offset);
    if (field_len)
        *field_len = flen;
    return NTP_OK;
}

static void info_set_mac(struct ntp_packet_info *info, const uint8_t *buf, size_t offset,
                         enum ntp_mac_kind kind)
{
    info->mac = kind;
    info->mac_offset = offset;
    info->mac_len = info->len - offset;
    info->mac_key_id = get_be32(buf + offset);
}

/* NTPv1-3 have no extension fields: everything after the header is a MAC (chrony parse_packet).
 * An NTPv3 key id followed by zeros is an MS-SNTP request (16-byte digest, or the 72-byte
 * extended authenticator whose first 8 bytes are key id and flags). */
static enum ntp_verdict decode_v3_trailer(const uint8_t *buf, struct ntp_packet_info *info,
                                          int version)
{
    size_t rem = info->len - NTP_HEADER_LEN;

    info_set_mac(info, buf, NTP_HEADER_LEN, NTP_MAC_SYMMETRIC);
    if (version == 3 && info->mac_key_id != 0) {
        if (rem == 20 && bytes_all_zero(buf + NTP_HEADER_LEN + 4, rem - 4))
            info->mac = NTP_MAC_MSSNTP;
        else if (rem == 72 && bytes_all_zero(buf + NTP_HEADER_LEN + 8, rem - 8))
            info->mac = NTP_MAC_MSSNTP_EXT;
    }
    return NTP_OK;
}

static int ef_is_nts(uint16_t type)
{
    return type == NTP_EF_NTS_UNIQUE_IDENTIFIER || type == NTP_EF_NTS_COOKIE ||
           type == NTP_EF_NTS_COOKIE_PLACEHOLDER || type == NTP_EF_NTS_AUTH_AND_EEF;
}

static void info_add_ef(struct ntp_packet_info *info, uint16_t type, uint16_t flen, size_t off)
{
    if (info->n_efs < NTP_INFO_MAX_EFS) {
        struct ntp_ef_ref *ef = &info->efs[info->n_efs];
        ef->type = type;
        ef->len = flen;
        ef->offset = (uint16_t)off;
    }
    info->n_efs++;
    if (ef_is_nts(type))
        info->has_nts = 1;
}

/* NTPv4 (RFC 7822 §7.5): a remainder of 20..24 bytes is a MAC, anything longer must start with
 * an extension field; chrony walks fields until the remainder is 0 or a MAC. */
static enum ntp_verdict decode_v4_trailer(const uint8_t *buf, struct ntp_packet_info *info)
{
    size_t off = NTP_HEADER_LEN;

    /* RFC 5905 §7.4: a lone zero key id is a crypto-NAK. */
    if (info->len - off == NTP_CRYPTO_NAK_LEN && get_be32(buf + off) == 0) {
        info_set_mac(info, buf, off, NTP_MAC_CRYPTO_NAK);
        return NTP_OK;
    }
    while (off < info->len) {
        size_t rem = info->len - off;
        uint16_t type, flen;

        if (rem >= NTP_MAC_MIN_LEN && rem <= NTP_MAC_MAX_V4_LEN) {
            info_set_mac(info, buf, off, NTP_MAC_SYMMETRIC);
            return NTP_OK;
        }
        if (rem < NTP_MAC_MIN_LEN)
            return NTP_BAD_MAC_LENGTH;
        if (ntp_ef_parse(buf, info->len, off, &type, &flen) != NTP_OK)
            return NTP_BAD_EXTENSION;
        info_add_ef(info, type, flen, off);
        off += flen;
    }
    return NTP_OK;
}

enum ntp_verdict ntp_decode(const uint8_t *buf, size_t len, struct ntp_packet *pkt,
                            struct ntp_packet_info *info)
{
    struct ntp_packet_info local_info;
    enum ntp_verdict v;
    int version;

    if (!info)
        info = &local_info;
    memset(info, 0, sizeof(*info));
    info->len = len;

    if (!buf || len < NTP_HEADER_LEN) {
        info->verdict = NTP_TOO_SHORT;
        return info->verdict;
    }
    if (pkt)
        header_decode(buf, pkt);
    version = (buf[0] >> 3) & 0x7;

    /* chrony ntp_io.c drops anything larger than its receive buffer, then parse_packet checks
     * alignment before the version. */
    if (len > NTP_MAX_PACKET_LEN)
        v = NTP_TOO_LONG;
    else if (len % 4 != 0)
        v = NTP_BAD_LENGTH;
    else if (version < NTP_VERSION_MIN || version > NTP_VERSION_MAX)
        v = NTP_BAD_VERSION;
    else if (len == NTP_HEADER_LEN)
        v = NTP_OK;
    else if (version <= 3)
        v = decode_v3_trailer(buf, info, version);
    else
        v = decode_v4_trailer(buf, info);
    info->verdict = v;
    return v;
}

size_t ntp_encode(const struct ntp_packet *pkt, uint8_t *buf, size_t cap)
{
    assert(pkt);
    if (!buf || cap < NTP_HEADER_LEN)
        return 0;
    buf[0] = (uint8_t)((pkt->leap & 0x3) << 6 | (pkt->version & 0x7) << 3 | (pkt->mode & 0x7));
    buf[1] = pkt->stratum;
    buf[2] = (uint8_t)pkt->poll;
    buf[3] = (uint8_t)pkt->precision;
    put_be32(buf + 4, pkt->root_delay);
    put_be32(buf + 8, pkt->root_dispersion);
    put_be32(buf + 12, pkt->ref_id);
    ntp_ts64_to_bytes(buf + 16, &pkt->ref_ts);
    ntp_ts64_to_bytes(buf + 24, &pkt->origin_ts);
    ntp_ts64_to_bytes(buf + 32, &pkt->rx_ts);
    ntp_ts64_to_bytes(buf + 40, &pkt->tx_ts);
    return NTP_HEADER_LEN;
}

size_t ntp_ef_append(uint8_t *buf, size_t len, size_t cap, uint16_t type, const void *body,
                     size_t body_len)
{
    size_t flen = NTP_EF_HEADER_LEN + body_len;

    if (!buf || len > cap || len % 4 != 0 || (body_len > 0 && !body))
        return 0;
    if (body_len > 0xFFFF)
        return 0;
    flen = (flen + 3) & ~(size_t)3;
    if (flen < NTP_EF_MIN_LEN)
        flen = NTP_EF_MIN_LEN;
    if (flen > 0xFFFC || flen > cap - len)
        return 0;
    /* RFC 7822 §3: a whole number of words, at least 16 bytes, holding the body. */
    assert(flen % 4 == 0 && flen >= NTP_EF_MIN_LEN && flen >= NTP_EF_HEADER_LEN + body_len);
    put_be16(buf + len, type);
    put_be16(buf + len + 2, (uint16_t)flen);
    if (body_len > 0)
        memcpy(buf + len + NTP_EF_HEADER_LEN, body, body_len);
    memset(buf + len + NTP_EF_HEADER_LEN + body_len, 0, flen - NTP_EF_HEADER_LEN - body_len);
    return len + flen;
}

uint32_t ntp_f28_from_double(double s)
{
    double x;
    uint32_t r;

    if (s >= 4294967295.0 / (1u << 28))
        return 0xFFFFFFFFu;
    if (!(s > 0.0))
        return 0;
    x = s * (1u << 28);
    r = (uint32_t)x;
    if (r < x)
        r++;
    return r;
}

double ntp_f28_to_double(uint32_t v)
{
    if (v == 0xFFFFFFFFu)
        return 4294967295.0 / 65536.0;
    return v / (double)(1u << 28);
}

size_t ntp_ef_mono_root_append(uint8_t *buf, size_t len, size_t cap,
                               const struct ntp_ef_mono_root *ef)
{
    uint8_t body[NTP_EF_MONO_ROOT_BODY_LEN];

    assert(ef);
    put_be32(body, NTP_EF_MONO_ROOT_MAGIC);
    put_be32(body + 4, ef->root_delay);
    put_be32(body + 8, ef->root_dispersion);
    ntp_ts64_to_bytes(body + 12, &ef->mono_rx);
    put_be32(body + 20, ef->mono_epoch);
    return ntp_ef_append(buf, len, cap, NTP_EF_EXP_MONO_ROOT, body, sizeof(body));
}

enum ntp_verdict ntp_ef_mono_root_find(const uint8_t *buf, const struct ntp_packet_info *info,
                                       struct ntp_ef_mono_root *out)
{
    unsigned n = info->n_efs < NTP_INFO_MAX_EFS ? info->n_efs : NTP_INFO_MAX_EFS;

    for (unsigned i = 0; i < n; i++) {
        const struct ntp_ef_ref *f = &info->efs[i];
        const uint8_t *body = buf + f->offset + NTP_EF_HEADER_LEN;
        /* chrony is_exp_ef: exactly the expected body length and the magic. */
        if (f->type != NTP_EF_EXP_MONO_ROOT ||
            f->len != NTP_EF_HEADER_LEN + NTP_EF_MONO_ROOT_BODY_LEN ||
            (size_t)f->offset + f->len > info->len || get_be32(body) != NTP_EF_MONO_ROOT_MAGIC)
            continue;
        out->root_delay = get_be32(body + 4);
        out->root_dispersion = get_be32(body + 8);
        ntp_ts64_from_bytes(&out->mono_rx, body + 12);
        out->mono_epoch = get_be32(body + 20);
        return NTP_OK;
    }
    return NTP_BAD_EXTENSION;
}

size_t ntp_ef_net_correction_append(uint8_t *buf, size_t len, size_t cap, double correction)
{
    uint8_t body[NTP_EF_NET_CORRECTION_BODY_LEN];
    double hi, frac;

    /* chrony UTI_DoubleToNtp64: signed whole seconds (clamped to 32 bits) and the fraction
     * in 1/2^32 s. */
    if (!(correction >= -2147483648.0))
        correction = -2147483648.0;
    if (correction > 2147483647.0)
        correction = 2147483647.0;
    hi = (double)(int64_t)correction;
    if (hi > correction)
        hi -= 1.0;
    frac = (correction - hi) * 4294967296.0;
    memset(body, 0, sizeof(body));
    put_be32(body, NTP_EF_NET_CORRECTION_MAGIC);
    put_be32(body + 4, (uint32_t)(int32_t)hi);
    put_be32(body + 8, frac >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)frac);
    return ntp_ef_append(buf, len, cap, NTP_EF_EXP_NET_CORRECTION, body, sizeof(body));
}

enum ntp_verdict ntp_ef_net_correction_find(const uint8_t *buf, const struct ntp_packet_info *info,
                                            double *correction)
{
    unsigned n = info->n_efs < NTP_INFO_MAX_EFS ? info->n_efs : NTP_INFO_MAX_EFS;

    for (unsigned i = 0; i < n; i++) {
        const struct ntp_ef_ref *f = &info->efs[i];
        const uint8_t *body = buf + f->offset + NTP_EF_HEADER_LEN;
        if (f->type != NTP_EF_EXP_NET_CORRECTION ||
            f->len != NTP_EF_HEADER_LEN + NTP_EF_NET_CORRECTION_BODY_LEN ||
            (size_t)f->offset + f->len > info->len || get_be32(body) != NTP_EF_NET_CORRECTION_MAGIC)
            continue;
        *correction = (int32_t)get_be32(body + 4) + get_be32(body + 8) / 4294967296.0;
        return NTP_OK;
    }
    return NTP_BAD_EXTENSION;
}

size_t ntp_mac_append(uint8_t *buf, size_t len, size_t cap, uint32_t key_id, const uint8_t *digest,
                      size_t digest_len)
{
    if (!buf || len > cap || (digest_len > 0 && !digest) || digest_len > NTP_MAX_DIGEST_LEN)
        return 0;
    if (4 + digest_len > cap - len)
        return 0;
    put_be32(buf + len, key_id);
    if (digest_len > 0)
        memcpy(buf + len + 4, digest, digest_len);
    return len + 4 + digest_len;
}

const char *ntp_verdict_name(enum ntp_verdict v)
{
    switch (v) {
    case NTP_OK:
        return "ok";
    case NTP_TOO_SHORT:
        return "too short";
    case NTP_TOO_LONG:
        return "too long";
    case NTP_BAD_LENGTH:
        return "bad length";
    case NTP_BAD_VERSION:
        return "bad version";
    case NTP_BAD_EXTENSION:
        return "bad extension field";
    case NTP_BAD_MAC_LENGTH:
        return "bad MAC length";
    case NTP_N_VERDICTS:
        break;
    }
    return "unknown";
}
