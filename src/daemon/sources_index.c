/* The sources by remote address: see sources_index.h. */
#include "daemon/sources_index.h"

#include "daemon/sources.h"
#include "lib/mem.h"

#include <stdlib.h>

static uint32_t addr_hash(const struct ip_addr *ip)
{
    size_t len = ip->family == IPF_INET4 ? 4 : ip->family == IPF_INET6 ? 16 : 0;
    uint32_t h = 2166136261u ^ (uint32_t)ip->family;

    /* FNV-1a over the address bytes, then a final mix so that the low bits (the table
     * position) depend on every byte. */
    for (size_t i = 0; i < len; i++) {
        h ^= ip->a[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static void put(struct sources_addr_slot *slots, size_t cap, struct source *s, uint32_t hash)
{
    size_t mask = cap - 1, i = hash & mask;

    while (slots[i].s)
        i = (i + 1) & mask;
    slots[i].s = s;
    slots[i].hash = hash;
}

static void grow(struct sources_addr_index *x)
{
    size_t cap = x->cap ? 2 * x->cap : 16;
    struct sources_addr_slot *slots = xcalloc(cap, sizeof(*slots));

    for (size_t i = 0; i < x->cap; i++)
        if (x->slots[i].s)
            put(slots, cap, x->slots[i].s, x->slots[i].hash);
    free(x->slots);
    x->slots = slots;
    x->cap = cap;
}

void sources_addr_index_add(struct sources_addr_index *x, struct source *s)
{
    if (2 * (x->n + 1) > x->cap)
        grow(x);
    put(x->slots, x->cap, s, addr_hash(&s->remote.ip));
    x->n++;
}

int sources_addr_index_remove(struct sources_addr_index *x, struct source *s)
{
    size_t mask, i, j;

    if (!x->cap)
        return 0;
    mask = x->cap - 1;
    for (i = addr_hash(&s->remote.ip) & mask; x->slots[i].s != s; i = (i + 1) & mask)
        if (!x->slots[i].s)
            return 0;
    /* Close the gap: move back each later entry of the run whose home position does not
     * lie cyclically in (i, j], so that every entry stays reachable from its home. */
    x->slots[i].s = NULL;
    for (j = (i + 1) & mask; x->slots[j].s; j = (j + 1) & mask) {
        size_t home = x->slots[j].hash & mask;
        int reachable = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!reachable) {
            x->slots[i] = x->slots[j];
            x->slots[j].s = NULL;
            i = j;
        }
    }
    x->n--;
    return 1;
}

struct source *sources_addr_index_find(const struct sources_addr_index *x, const struct ip_addr *ip)
{
    struct source *best = NULL;
    uint32_t hash;
    size_t mask;

    if (!x->n)
        return NULL;
    hash = addr_hash(ip);
    mask = x->cap - 1;
    for (size_t i = hash & mask; x->slots[i].s; i = (i + 1) & mask) {
        struct source *s = x->slots[i].s;
        if (x->slots[i].hash == hash && ip_addr_equal(&s->remote.ip, ip) &&
            (!best || s->index < best->index))
            best = s;
    }
    return best;
}

void sources_addr_index_fini(struct sources_addr_index *x)
{
    free(x->slots);
    x->slots = NULL;
    x->cap = x->n = 0;
}
