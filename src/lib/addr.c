#include "lib/addr.h"

#include "lib/bytes.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_v4(uint8_t out[4], const char *s)
{
    int n = 0;
    while (n < 4) {
        unsigned long v;
        char *end;
        /* As inet_pton: a number has no leading zero ("01" is refused). */
        if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1])))
            return 0;
        v = strtoul(s, &end, 10);
        if (v > 255 || end - s > 3)
            return 0;
        out[n++] = (uint8_t)v;
        s = end;
        if (n < 4) {
            if (*s != '.')
                return 0;
            s++;
        }
    }
    return *s == '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_v6(uint8_t out[16], const char *s)
{
    uint16_t words[8];
    int n = 0, gap = -1;

    if (s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    }
    while (*s) {
        int v = 0, digits = 0;
        if (n == 8)
            return 0;
        /* embedded IPv4 in the last 32 bits */
        if (strchr(s, '.') && !strchr(s, ':')) {
            uint8_t v4[4];
            if (n > 6 || !parse_v4(v4, s))
                return 0;
            words[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
            words[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
            break;
        }
        while (hexval((unsigned char)*s) >= 0) {
            if (++digits > 4)
                return 0;
            v = v * 16 + hexval((unsigned char)*s++);
        }
        if (!digits)
            return 0;
        words[n++] = (uint16_t)v;
        if (*s == ':') {
            s++;
            if (*s == ':') {
                if (gap >= 0)
                    return 0;
                gap = n;
                s++;
            } else if (!*s) {
                return 0;
            }
        } else if (*s) {
            return 0;
        }
    }
    if (gap < 0 && n != 8)
        return 0;
    if (gap >= 0 && n == 8)
        return 0;
    memset(out, 0, 16);
    if (gap < 0)
        gap = n;
    for (int i = 0; i < gap; i++)
        put_be16(out + 2 * i, words[i]);
    for (int i = gap; i < n; i++)
        put_be16(out + 16 - 2 * (n - i), words[i]);
    return 1;
}

int ip_addr_parse(struct ip_addr *out, const char *s)
{
    struct ip_addr ip;
    assert(out && s);
    memset(&ip, 0, sizeof(ip));
    if (parse_v4(ip.a, s)) {
        ip.family = IPF_INET4;
    } else if (strchr(s, ':') && parse_v6(ip.a, s)) {
        ip.family = IPF_INET6;
    } else {
        return 0;
    }
    *out = ip;
    return 1;
}

static const char *format_v6(const uint8_t a[16], char *buf, size_t len)
{
    int best = -1, best_len = 0;
    char tmp[IP_ADDR_STRLEN];
    size_t pos = 0;

    /* RFC 5952 §4.2: compress the longest run (>= 2) of zero words, the first on a tie. */
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && get_be16(a + 2 * j) == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    /* IPv4-mapped addresses keep the dotted quad. */
    if (best == 0 && best_len == 5 && get_be16(a + 10) == 0xffff) {
        snprintf(buf, len, "::ffff:%d.%d.%d.%d", a[12], a[13], a[14], a[15]);
        return buf;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            pos += (size_t)snprintf(tmp + pos, sizeof(tmp) - pos, "::");
            i += best_len - 1;
            continue;
        }
        pos += (size_t)snprintf(tmp + pos, sizeof(tmp) - pos, "%s%x",
                                (i && i != best + best_len) ? ":" : "", get_be16(a + 2 * i));
    }
    snprintf(buf, len, "%s", tmp);
    return buf;
}

const char *ip_addr_format(const struct ip_addr *ip, char *buf, size_t len)
{
    assert(ip && (buf || len == 0));
    switch (ip->family) {
    case IPF_INET4:
        snprintf(buf, len, "%d.%d.%d.%d", ip->a[0], ip->a[1], ip->a[2], ip->a[3]);
        return buf;
    case IPF_INET6:
        return format_v6(ip->a, buf, len);
    default:
        snprintf(buf, len, "[UNSPEC]");
        return buf;
    }
}

int ip_addr_bits(enum ip_family f)
{
    return f == IPF_INET4 ? 32 : f == IPF_INET6 ? 128 : 0;
}

int ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
    return ip_addr_cmp(a, b) == 0;
}

int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->a, b->a, (size_t)ip_addr_bits(a->family) / 8);
}

void ip_addr_from_v4(struct ip_addr *out, uint32_t host_order)
{
    memset(out, 0, sizeof(*out));
    out->family = IPF_INET4;
    put_be32(out->a, host_order);
}

void ip_addr_bind_or_loopback(struct ip_addr *out, const struct ip_addr *bind, enum ip_family fam)
{
    if (bind->family == fam) {
        *out = *bind;
    } else if (fam == IPF_INET4) {
        ip_addr_from_v4(out, 0x7f000001u);
    } else {
        memset(out, 0, sizeof(*out));
        out->family = IPF_INET6;
        out->a[15] = 1;
    }
}

uint32_t ip_addr_v4(const struct ip_addr *ip)
{
    return get_be32(ip->a);
}

int ip_addr_is_loopback(const struct ip_addr *ip)
{
    static const uint8_t v6_lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (ip->family == IPF_INET4)
        return ip->a[0] == 127;
    if (ip->family == IPF_INET6)
        return memcmp(ip->a, v6_lo, 16) == 0;
    return 0;
}

int ip_addr_prefix_match(const struct ip_addr *a, const struct ip_addr *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    assert(bits >= 0 && bits <= 8 * (int)sizeof(a->a));
    if (a->family != b->family)
        return 0;
    if (memcmp(a->a, b->a, (size_t)full) != 0)
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xff << (8 - rest));
        return (a->a[full] & m) == (b->a[full] & m);
    }
    return 1;
}

void ip_addr_mask(struct ip_addr *ip, int bits)
{
    int total = ip_addr_bits(ip->family);
    for (int i = 0; i < total / 8; i++) {
        int keep = bits - 8 * i;
        if (keep <= 0)
            ip->a[i] = 0;
        else if (keep < 8)
            ip->a[i] &= (uint8_t)(0xff << (8 - keep));
    }
}

uint32_t ip_addr_hash(const struct ip_addr *ip)
{
    /* FNV-1a over family and address bytes. */
    uint32_t h = 2166136261U;
    int n = ip_addr_bits(ip->family) / 8;
    h = (h ^ (uint32_t)ip->family) * 16777619U;
    for (int i = 0; i < n; i++)
        h = (h ^ ip->a[i]) * 16777619U;
    return h;
}

int ip_addr_parse_v4_octets(struct ip_addr *out, int *n_octets, const char *s, int max_octets)
{
    uint8_t v[4] = {0, 0, 0, 0};
    int n = 0;
    if (max_octets > 4)
        max_octets = 4;
    while (n < max_octets) {
        char *end;
        unsigned long x;
        if (!isdigit((unsigned char)*s))
            return 0;
        x = strtoul(s, &end, 10);
        if (x > 255)
            return 0;
        v[n++] = (uint8_t)x;
        s = end;
        if (!*s)
            break;
        if (*s != '.')
            return 0;
        s++;
    }
    if (*s)
        return 0;
    memset(out, 0, sizeof(*out));
    out->family = IPF_INET4;
    memcpy(out->a, v, 4);
    *n_octets = n;
    return 1;
}

int ip_prefix_parse(struct ip_addr *out, int *bits, const char *s)
{
    char buf[128];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    int n_octets;
    if (alen == 0 || alen >= sizeof(buf))
        return 0;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (ip_addr_parse(out, buf)) {
        *bits = -1;
    } else if (ip_addr_parse_v4_octets(out, &n_octets, buf, 4)) {
        /* chrony accepts shortened IPv4 subnets such as "192.168" meaning 192.168.0.0/16. */
        *bits = n_octets == 4 ? -1 : 8 * n_octets;
    } else {
        return 0;
    }
    if (slash) {
        char *end;
        long b;
        if (!isdigit((unsigned char)slash[1]))
            return 0;
        b = strtol(slash + 1, &end, 10);
        if (*end || b < 0 || b > ip_addr_bits(out->family))
            return 0;
        *bits = (int)b;
    }
    return 1;
}
