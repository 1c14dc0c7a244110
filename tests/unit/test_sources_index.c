/* The sources' address index (daemon/sources_index.c) against a scan of the source list,
 * as sources_find did before it: random additions (duplicate addresses and reference
 * clocks among them), deletions that shift the later sources down, address changes (pool
 * replacements, NTS), and lookups of present and absent addresses. */
#include "check.h"

#include "daemon/sources.h"
#include "lib/mem.h"

#include <stdlib.h>
#include <string.h>

struct model {
    struct sources_addr_index x;
    struct source **v;
    int n, cap;
};

static uint64_t rng_state;

static uint32_t next_rand(void)
{
    /* xorshift64*: the test's own sequence, the same on every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* One of `spread` IPv4 and `spread` IPv6 addresses (few: duplicates and collisions). */
static void random_addr(struct ip_addr *ip, uint32_t spread)
{
    uint32_t k = next_rand() % (2 * spread);

    memset(ip, 0, sizeof(*ip));
    if (k < spread) {
        ip_addr_from_v4(ip, 0x0a000000u + k);
    } else {
        ip->family = IPF_INET6;
        ip->a[0] = 0xfd;
        ip->a[14] = (uint8_t)((k - spread) >> 8);
        ip->a[15] = (uint8_t)(k - spread);
    }
}

static int linear_find(const struct model *m, const struct ip_addr *ip)
{
    for (int i = 0; i < m->n; i++)
        if (!m->v[i]->refclock && ip_addr_equal(&m->v[i]->remote.ip, ip))
            return i;
    return -1;
}

static int index_find(const struct model *m, const struct ip_addr *ip)
{
    const struct source *s = sources_addr_index_find(&m->x, ip);
    return s ? s->index : -1;
}

static void model_add(struct model *m, uint32_t spread)
{
    struct source *s = xcalloc(1, sizeof(*s));

    random_addr(&s->remote.ip, spread);
    s->refclock = next_rand() % 16 == 0;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 8;
        m->v = xrealloc(m->v, sizeof(*m->v) * (size_t)m->cap);
    }
    s->index = m->n;
    m->v[m->n++] = s;
    if (!s->refclock)
        sources_addr_index_add(&m->x, s);
}

static void model_delete(struct model *m, int index)
{
    struct source *s = m->v[index];

    CHECK_INT_EQ(sources_addr_index_remove(&m->x, s), !s->refclock);
    memmove(&m->v[index], &m->v[index + 1], sizeof(*m->v) * (size_t)(m->n - index - 1));
    m->n--;
    for (int i = index; i < m->n; i++)
        m->v[i]->index = i;
    free(s);
}

static void model_move(struct model *m, int index, uint32_t spread)
{
    struct source *s = m->v[index];
    struct ip_addr ip;

    if (s->refclock)
        return;
    random_addr(&ip, spread);
    CHECK(sources_addr_index_remove(&m->x, s));
    s->remote.ip = ip;
    sources_addr_index_add(&m->x, s);
}

static void check_all(const struct model *m, uint32_t spread)
{
    struct ip_addr ip;

    for (int i = 0; i < m->n; i++)
        CHECK_INT_EQ(index_find(m, &m->v[i]->remote.ip), linear_find(m, &m->v[i]->remote.ip));
    for (int k = 0; k < 32; k++) {
        random_addr(&ip, 2 * spread);
        CHECK_INT_EQ(index_find(m, &ip), linear_find(m, &ip));
    }
}

static void run(uint64_t seed, uint32_t spread, int steps, int add_weight)
{
    struct model m;
    struct ip_addr ip;
    int present = 0;

    memset(&m, 0, sizeof(m));
    rng_state = seed;
    for (int step = 0; step < steps; step++) {
        uint32_t op = next_rand() % 10;
        if (op < (uint32_t)add_weight || m.n == 0)
            model_add(&m, spread);
        else if (op < 8)
            model_delete(&m, (int)(next_rand() % (uint32_t)m.n));
        else
            model_move(&m, (int)(next_rand() % (uint32_t)m.n), spread);
        random_addr(&ip, spread);
        CHECK_INT_EQ(index_find(&m, &ip), linear_find(&m, &ip));
        present += linear_find(&m, &ip) >= 0;
        if (step % 97 == 0)
            check_all(&m, spread);
    }
    check_all(&m, spread);
    CHECK(present > 0);
    while (m.n > 0)
        model_delete(&m, (int)(next_rand() % (uint32_t)m.n));
    CHECK_INT_EQ((int)m.x.n, 0);
    random_addr(&ip, spread);
    CHECK_INT_EQ(index_find(&m, &ip), -1);
    sources_addr_index_fini(&m.x);
    free(m.v);
}

/* Few addresses, many duplicates: the lowest index among equal addresses. */
static void test_duplicates(void)
{
    for (uint64_t seed = 1; seed <= 20; seed++)
        run(seed * 0x9e3779b97f4a7c15ull, 8, 600, 5);
}

/* Many addresses: the table grows past thousands of entries, runs wrap around. */
static void test_many(void)
{
    run(42, 4000, 20000, 6);
    run(7, 100000, 12000, 7);
}

static void test_empty(void)
{
    struct sources_addr_index x;
    struct source s;

    memset(&x, 0, sizeof(x));
    memset(&s, 0, sizeof(s));
    ip_addr_from_v4(&s.remote.ip, 0x0a000001u);
    CHECK(sources_addr_index_find(&x, &s.remote.ip) == NULL);
    CHECK_INT_EQ(sources_addr_index_remove(&x, &s), 0);
    sources_addr_index_add(&x, &s);
    CHECK(sources_addr_index_find(&x, &s.remote.ip) == &s);
    CHECK_INT_EQ(sources_addr_index_remove(&x, &s), 1);
    CHECK_INT_EQ(sources_addr_index_remove(&x, &s), 0);
    sources_addr_index_fini(&x);
}

int main(void)
{
    RUN(test_empty);
    RUN(test_duplicates);
    RUN(test_many);
    return check_summary();
}
