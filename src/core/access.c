#include "core/access.h"

#include "lib/mem.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A prefix tree with 4-bit levels, as chrony's table: a node either has no children or
 * all 16, and its state is allow, deny or "as the parent". A lookup walks at most 8
 * (IPv4) or 32 (IPv6) levels and keeps the last explicit state; adding a rule touches
 * one path. A prefix whose length is not a multiple of 4 is stored as the 2^k nodes one
 * level below that cover it, so precedence follows the node depth, not the written
 * length, exactly as in chrony.
 *
 * The nodes live in one pool and refer to their children by index: a child block is 16
 * consecutive nodes; blocks dropped by an "all" rule go to a free list. */
#define LEVEL_BITS 4
#define FANOUT (1u << LEVEL_BITS)

enum { AS_PARENT = -1, DENY = 0, ALLOW = 1 };

struct access_node {
    int8_t state;
    uint32_t kids; /* index of the first of 16 children; 0: none (index 0 is a root) */
};

struct access_table {
    struct access_node *n;
    size_t used, cap;
    uint32_t free_block; /* first free 16-node block, chained through its kids field */
};

enum { ROOT4 = 0, ROOT6 = 1, FIRST_BLOCK = 2 };

static uint32_t block_alloc(struct access_table *t)
{
    uint32_t b;

    if (t->free_block) {
        b = t->free_block;
        t->free_block = t->n[b].kids;
    } else {
        if (t->used + FANOUT > t->cap)
            t->n = xgrow(t->n, &t->cap, t->used + FANOUT, sizeof(*t->n));
        assert(t->used + FANOUT <= UINT32_MAX);
        b = (uint32_t)t->used;
        t->used += FANOUT;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        t->n[b + i].state = AS_PARENT;
        t->n[b + i].kids = 0;
    }
    return b;
}

/* Give back the subtree below node (the node itself stays). */
static void node_close(struct access_table *t, uint32_t node)
{
    uint32_t b = t->n[node].kids;

    if (!b)
        return;
    for (unsigned i = 0; i < FANOUT; i++)
        node_close(t, b + i);
    t->n[node].kids = 0;
    t->n[b].kids = t->free_block;
    t->free_block = b;
}

static uint32_t node_child(struct access_table *t, uint32_t node, unsigned nibble)
{
    if (!t->n[node].kids) {
        uint32_t b = block_alloc(t); /* may move t->n */
        t->n[node].kids = b;
    }
    return t->n[node].kids + nibble;
}

/* The 4 bits of ip starting at bit `at` (a multiple of 4). */
static unsigned nibble_at(const struct ip_addr *ip, int at)
{
    uint8_t byte = ip->a[at / 8];
    return (at % 8) ? (byte & 0x0fu) : (unsigned)(byte >> 4);
}

struct access_table *access_new(void)
{
    struct access_table *t = xcalloc(1, sizeof(*t));
    t->cap = 64;
    t->n = xcalloc(t->cap, sizeof(*t->n));
    t->used = FIRST_BLOCK;
    t->n[ROOT4].state = DENY;
    t->n[ROOT6].state = DENY;
    return t;
}

void access_free(struct access_table *t)
{
    if (!t)
        return;
    free(t->n);
    free(t);
}

static void add_family(struct access_table *t, const struct ip_addr *ip, int bits, int allow,
                       int all)
{
    uint32_t node = ip->family == IPF_INET6 ? ROOT6 : ROOT4;
    int at = 0;
    int8_t state = allow ? ALLOW : DENY;

    assert(bits >= 0 && bits <= ip_addr_bits(ip->family));
    for (; bits - at >= LEVEL_BITS; at += LEVEL_BITS)
        node = node_child(t, node, nibble_at(ip, at));
    if (at == bits) {
        if (all)
            node_close(t, node);
        t->n[node].state = state;
        return;
    }
    /* 1..3 bits left: the 8, 4 or 2 children they cover. */
    unsigned spread = 1u << (LEVEL_BITS - (bits - at));
    unsigned first = nibble_at(ip, at) & ~(spread - 1u);
    for (unsigned k = 0; k < spread; k++) {
        uint32_t c = node_child(t, node, first + k);
        if (all)
            node_close(t, c);
        t->n[c].state = state;
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
    uint32_t node;
    int state, len;

    assert(t && ip);
    if (ip->family != IPF_INET4 && ip->family != IPF_INET6)
        return 0;
    node = ip->family == IPF_INET6 ? ROOT6 : ROOT4;
    len = ip_addr_bits(ip->family);
    state = t->n[node].state;
    for (int at = 0; at < len && t->n[node].kids; at += LEVEL_BITS) {
        node = t->n[node].kids + nibble_at(ip, at);
        if (t->n[node].state != AS_PARENT)
            state = t->n[node].state;
    }
    return state == ALLOW;
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

/* As chrony's ADF_IsAnyAllowed: a leaf whose effective state is allow. */
static int any_allowed(const struct access_table *t, uint32_t node, int parent)
{
    int state = t->n[node].state != AS_PARENT ? t->n[node].state : parent;

    if (!t->n[node].kids)
        return state == ALLOW;
    for (unsigned i = 0; i < FANOUT; i++)
        if (any_allowed(t, t->n[node].kids + i, state))
            return 1;
    return 0;
}

int access_any_allowed(const struct access_table *t)
{
    return any_allowed(t, ROOT4, DENY) || any_allowed(t, ROOT6, DENY);
}
