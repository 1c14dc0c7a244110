/* Field encodings of the command protocol: chrony's 32-bit float, timespec,
 * address, reference IDs (spec 4.2 - 4.6) and the MD5 used for IPv6 refids. */
#include "proto/cmdmon.h"

#include "lib/bytes.h"

#include <math.h>
#include <string.h>

#define FLOAT_COEF_BITS 25
#define FLOAT_EXP_MIN (-64)
#define FLOAT_EXP_MAX 63
#define FLOAT_COEF_MAX ((1 << (FLOAT_COEF_BITS - 1)) - 1)

/* Spec 4.2: reproduce chrony's rounding exactly, including the truncating
 * int conversion of the exponent and the asymmetric coefficient limit. */
uint32_t cmdmon_float_encode(double x)
{
    int neg = 0, e;
    int32_t c;

    if (x < 0.0) {
        neg = 1;
        x = -x;
    } else if (!(x >= 0.0)) {
        x = 0.0; /* NaN */
    }
    if (x < 1.0e-100) {
        e = 0;
        c = 0;
    } else if (x > 1.0e100) {
        e = FLOAT_EXP_MAX;
        c = FLOAT_COEF_MAX + neg;
    } else {
        e = (int)(log(x) / log(2.0) + 1);
        c = (int32_t)(x * pow(2.0, FLOAT_COEF_BITS - e) + 0.5);
        while (c > FLOAT_COEF_MAX + neg) {
            c >>= 1;
            e++;
        }
        if (e > FLOAT_EXP_MAX) {
            e = FLOAT_EXP_MAX;
            c = FLOAT_COEF_MAX + neg;
        } else if (e < FLOAT_EXP_MIN) {
            if (e + FLOAT_COEF_BITS >= FLOAT_EXP_MIN) {
                c >>= FLOAT_EXP_MIN - e;
                e = FLOAT_EXP_MIN;
            } else {
                e = 0;
                c = 0;
            }
        }
    }
    if (neg)
        c = (int32_t)((uint32_t)-c & 0x1FFFFFFu);
    return ((uint32_t)e & 0x7Fu) << FLOAT_COEF_BITS | (uint32_t)c;
}

double cmdmon_float_decode(uint32_t word)
{
    int32_t e = (int32_t)(word >> FLOAT_COEF_BITS);
    int32_t c = (int32_t)(word & 0x1FFFFFFu);

    if (e >= 64)
        e -= 128;
    if (c >= 1 << 24)
        c -= 1 << 25;
    return ldexp((double)c, e - FLOAT_COEF_BITS);
}

/* Spec 4.3: 64-bit seconds split in two words, then nanoseconds. */
void cmdmon_ts_encode(uint8_t out[12], const struct timespec *ts)
{
    uint64_t sec = (uint64_t)(int64_t)ts->tv_sec;

    put_be32(out, (uint32_t)(sec >> 32));
    put_be32(out + 4, (uint32_t)sec);
    put_be32(out + 8, (uint32_t)ts->tv_nsec);
}

void cmdmon_ts_decode(const uint8_t in[12], struct timespec *ts)
{
    uint32_t hi = get_be32(in), nsec = get_be32(in + 8);

    if (hi == 0x7FFFFFFFu) /* sender with 32-bit time_t */
        hi = 0;
    ts->tv_sec = (time_t)((int64_t)((uint64_t)hi << 32 | get_be32(in + 4)));
    ts->tv_nsec = nsec > 999999999u ? 999999999L : (long)nsec;
}

static size_t addr_used_bytes(uint16_t family)
{
    switch (family) {
    case CMDMON_AF_INET4:
    case CMDMON_AF_ID:
        return 4;
    case CMDMON_AF_INET6:
        return 16;
    default:
        return 0;
    }
}

/* Spec 4.5: unused bytes are zero; an unknown family is taken as UNSPEC. */
void cmdmon_addr_encode(uint8_t out[20], const struct cmdmon_addr *a)
{
    size_t n = addr_used_bytes(a->family);

    memset(out, 0, 20);
    memcpy(out, a->bytes, n);
    put_be16(out + 16, n ? a->family : CMDMON_AF_UNSPEC);
}

void cmdmon_addr_decode(const uint8_t in[20], struct cmdmon_addr *a)
{
    uint16_t family = get_be16(in + 16);
    size_t n = addr_used_bytes(family);

    memset(a, 0, sizeof(*a));
    a->family = n ? family : CMDMON_AF_UNSPEC;
    memcpy(a->bytes, in, n);
}

void cmdmon_addr_set_id(struct cmdmon_addr *a, uint32_t id)
{
    memset(a, 0, sizeof(*a));
    a->family = CMDMON_AF_ID;
    put_be32(a->bytes, id);
}

uint32_t cmdmon_addr_get_id(const struct cmdmon_addr *a)
{
    return get_be32(a->bytes);
}

void cmdmon_addr_set_v4(struct cmdmon_addr *a, uint32_t host_order)
{
    memset(a, 0, sizeof(*a));
    a->family = CMDMON_AF_INET4;
    put_be32(a->bytes, host_order);
}

void cmdmon_addr_from_ip(struct cmdmon_addr *a, const struct ip_addr *ip)
{
    memset(a, 0, sizeof(*a));
    if (ip->family == IPF_INET4) {
        a->family = CMDMON_AF_INET4;
        memcpy(a->bytes, ip->a, 4);
    } else if (ip->family == IPF_INET6) {
        a->family = CMDMON_AF_INET6;
        memcpy(a->bytes, ip->a, 16);
    }
}

void cmdmon_addr_to_ip(const struct cmdmon_addr *a, struct ip_addr *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (a->family == CMDMON_AF_INET4) {
        ip->family = IPF_INET4;
        memcpy(ip->a, a->bytes, 4);
    } else if (a->family == CMDMON_AF_INET6) {
        ip->family = IPF_INET6;
        memcpy(ip->a, a->bytes, 16);
    }
}

uint32_t cmdmon_addr_refid(const struct cmdmon_addr *a)
{
    uint8_t d[16];

    switch (a->family) {
    case CMDMON_AF_INET4:
        return get_be32(a->bytes);
    case CMDMON_AF_INET6:
        cmdmon_md5(a->bytes, 16, d);
        return get_be32(d);
    default:
        return 0;
    }
}

static uint32_t rotl32(uint32_t x, int n)
{
    return x << n | x >> (32 - n);
}

/* One 64-byte block of RFC 1321. k holds floor(|sin(i + 1)| * 2^32). */
static void md5_block(uint32_t h[4], const uint8_t *blk, const uint32_t k[64])
{
    static const int shifts[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
               (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    for (int i = 0; i < 64; i++) {
        uint32_t f, t;
        int g, round = i / 16;
        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        t = d;
        d = c;
        c = b;
        b = b + rotl32(a + f + k[i] + w[g], shifts[round * 4 + i % 4]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void cmdmon_md5(const uint8_t *data, size_t len, uint8_t digest[16])
{
    uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u}, k[64];
    uint8_t tail[128];
    size_t full = len / 64 * 64, rest = len - full, tail_len;
    uint64_t bits = (uint64_t)len * 8;

    for (int i = 0; i < 64; i++)
        k[i] = (uint32_t)floor(fabs(sin((double)(i + 1))) * 4294967296.0);
    for (size_t off = 0; off < full; off += 64)
        md5_block(h, data + off, k);
    memset(tail, 0, sizeof(tail));
    if (rest)
        memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    tail_len = rest < 56 ? 64 : 128;
    for (int i = 0; i < 8; i++)
        tail[tail_len - 8 + i] = (uint8_t)(bits >> (8 * i));
    for (size_t off = 0; off < tail_len; off += 64)
        md5_block(h, tail + off, k);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (uint8_t)(h[i] >> (8 * j));
}
