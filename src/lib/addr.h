/* IP addresses (IPv4/IPv6) and prefixes: parse, format, compare, match.
 * Addresses are stored in network byte order. */
#ifndef LIB_ADDR_H
#define LIB_ADDR_H

#include <stddef.h>
#include <stdint.h>

enum ip_family { IPF_UNSPEC = 0, IPF_INET4 = 1, IPF_INET6 = 2 };

struct ip_addr {
    enum ip_family family;
    uint8_t a[16]; /* 4 bytes used for IPv4 */
};

/* Longest textual form: IPv6 with an embedded IPv4 plus terminator. */
#define IP_ADDR_STRLEN 46

/* Returns 1 and fills out on success, 0 if s is not a numeric address. */
int ip_addr_parse(struct ip_addr *out, const char *s);
/* Canonical text (RFC 5952 for IPv6); "[UNSPEC]" for IPF_UNSPEC. Returns buf. */
const char *ip_addr_format(const struct ip_addr *ip, char *buf, size_t len);
int ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);
int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b);
void ip_addr_from_v4(struct ip_addr *out, uint32_t host_order);
uint32_t ip_addr_v4(const struct ip_addr *ip); /* host order */
int ip_addr_is_loopback(const struct ip_addr *ip);
/* The address a local socket of family fam binds to: bind if it is of that family, else the
 * family's loopback address (127.0.0.1 or ::1), as chrony's command socket. */
void ip_addr_bind_or_loopback(struct ip_addr *out, const struct ip_addr *bind, enum ip_family fam);
/* Bits in an address of this family (32 or 128; 0 for unspecified). */
int ip_addr_bits(enum ip_family f);
/* 1 if the first `bits` bits of a and b are equal (same family required). */
int ip_addr_prefix_match(const struct ip_addr *a, const struct ip_addr *b, int bits);
/* Zero all bits after the first `bits`. */
void ip_addr_mask(struct ip_addr *ip, int bits);
/* 32-bit hash of an address for tables and reference IDs of IPv6 sources
 * (RFC 5905: first four octets of the MD5 digest are used by chrony; the hash
 * here is only for tables). */
uint32_t ip_addr_hash(const struct ip_addr *ip);

/* Parse a dotted IPv4 address shortened to 1..max_octets (at most 4) decimal octets
 * ("10", "192.168", "1.2.3.4"), the missing trailing octets zero; *n_octets tells how
 * many were given. Unlike ip_addr_parse() an octet may have more than three digits, and
 * one trailing dot after max_octets octets is accepted (as chrony's sscanf-based parsing
 * does). Returns 1 on success. */
int ip_addr_parse_v4_octets(struct ip_addr *out, int *n_octets, const char *s, int max_octets);

/* Parse "ADDR", "ADDR/BITS" or a dotted IPv4 prefix shorthand ("192.168", "10").
 * bits = -1 when no explicit length was given and the address is complete.
 * Returns 1 on success. */
int ip_prefix_parse(struct ip_addr *out, int *bits, const char *s);

#endif
