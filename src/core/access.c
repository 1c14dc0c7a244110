#include "core/access.h"

#include "lib/mem.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* chrony keeps its table as a tree with 4-bit levels, so a prefix whose length is
 * not a multiple of 4 is stored as the 2^k nodes one level below that cover it.
 * Precedence follows the node depth, not the written length; we keep the same
 * rounding so that overlapping odd-length rules resolve exactly as in chrony. */
#define LEVEL_BITS 4

struct access_entry {
    struct ip_addr prefix; /* host bits beyond `bits` are zero */
    int bits;              /* multiple of LEVEL_BITS */
    int allow;
};

struct access_table {
    struct access_entry *e;
    size_t n, cap;
};

static void table_put(struct access_table *t, const struct ip_addr *prefix, int bits, int allow)
{
    assert(prefix->family == IPF_INET4 || prefix->family == IPF_INET6);
    assert(bits >= 0 && bits % LEVEL_BITS == 0 && bits <= ip_addr_bits(prefix->family));
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].bits == bits && ip_addr_equal(&t->e[i].prefix, prefix)) {
            t->e[i].allow = allow;
            return;
        }
    }
    if (t->n == t->cap)
        t->e = xgrow(t->e, &t->cap, t->n + 1, sizeof(*t->e));
    t->e[t->n].prefix = *prefix;
    t->e[t->n].bits = bits;
    t->e[t->n].allow = allow;
    t->n++;
}

/* Drop entries strictly below prefix/bits ("all" replaces more specific rules). */
static void table_drop_below(struct access_table *t, const struct ip_addr *prefix, int bits)
{
    size_t j = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct access_entry *x = &t->e[i];
        int below = x->prefix.family == prefix->family && x->bits > bits &&
                    ip_addr_prefix_match(&x->prefix, prefix, bits);
        if (!below)
            t->e[j++] = *x;
    }
    t->n = j;
}

struct access_table *access_new(void)
{
    struct access_table *t = xcalloc(1, sizeof(*t));
    struct ip_addr root;
    memset(&root, 0, sizeof(root));
    root.family = IPF_INET4;
    table_put(t, &root, 0, 0);
    root.family = IPF_INET6;
    table_put(t, &root, 0, 0);
    return t;
}

void access_free(struct access_table *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}

static void set_bit(struct ip_addr *ip, int bit, int value)
{
    uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
    if (value)
        ip->a[bit / 8] |= mask;
    else
        ip->a[bit / 8] &= (uint8_t)~mask;
}

static void add_family(struct access_table *t, const struct ip_addr *ip, int bits, int allow,
                       int all)
{
    int level = (bits + LEVEL_BITS - 1) / LEVEL_BITS * LEVEL_BITS;
    int spread = level - bits; /* 0..3 free bits expanded into 1..8 nodes */
    struct ip_addr base = *ip;

    assert(bits >= 0 && bits <= ip_addr_bits(ip->family));
    assert(spread >= 0 && spread < LEVEL_BITS);

    ip_addr_mask(&base, bits);
    for (unsigned k = 0; k < (1u << spread); k++) {
        struct ip_addr node = base;
        for (int b = 0; b < spread; b++)
            set_bit(&node, bits + b, (int)((k >> (spread - 1 - b)) & 1u));
        if (all)
            table_drop_below(t, &node, level);
        table_put(t, &node, level, allow);
    }
}

enum access_status access_add(struct access_table *t, const struct ip_addr *ip, int bits, int allow,
                              int all)
{
    assert(t && ip);
    allow = allow ? 1 : 0;
    if (ip->family == IPF_UNSPEC) {
        struct ip_addr any;
        memset(&any, 0, sizeof(any));
        any.family = IPF_INET4;
        add_family(t, &any, 0, allow, all);
        any.family = IPF_INET6;
        add_family(t, &any, 0, allow, all);
        return ACCESS_OK;
    }
    if (bits < 0)
        bits = ip_addr_bits(ip->family);
    if (bits > ip_addr_bits(ip->family))
        return ACCESS_BAD_SUBNET;
    add_family(t, ip, bits, allow, all);
    return ACCESS_OK;
}

int access_check(const struct access_table *t, const struct ip_addr *ip)
{
    int best_bits = -1, result = 0;
    /* The two roots (deny all) are never dropped: "all" drops only below. */
    assert(t && ip && t->n >= 2);
    if (ip->family != IPF_INET4 && ip->family != IPF_INET6)
        return 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct access_entry *x = &t->e[i];
        if (x->prefix.family == ip->family && x->bits > best_bits &&
            ip_addr_prefix_match(&x->prefix, ip, x->bits)) {
            best_bits = x->bits;
            result = x->allow;
        }
    }
    return result;
}

enum access_status access_add_rules(struct access_table *t, const struct access_rule *rules,
                                    size_t n, size_t *bad_index)
{
    for (size_t i = 0; i < n; i++) {
        const struct access_rule *r = &rules[i];
        int bits = r->bits;
        if (r->hostname) {
            if (r->ip.family == IPF_UNSPEC)
                continue;
            bits = -1;
        }
        if (access_add(t, &r->ip, bits, r->allow, r->all) != ACCESS_OK) {
            if (bad_index)
                *bad_index = i;
            return ACCESS_BAD_SUBNET;
        }
    }
    return ACCESS_OK;
}

int access_any_allowed(const struct access_table *t)
{
    /* Approximation of chrony's tree walk: an allow entry could only be hidden
     * completely by a full set of more specific deny entries, which no
     * configuration we know of relies on. */
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].allow)
            return 1;
    return 0;
}
