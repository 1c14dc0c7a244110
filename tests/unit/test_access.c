/* Unit tests for core/access: chrony's allow/deny table semantics. */
#include "check.h"
#include "core/access.h"
#include "lib/rng.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

static struct ip_addr ip(const char *s)
{
    struct ip_addr a;
    memset(&a, 0, sizeof(a));
    ip_addr_parse(&a, s);
    return a;
}

static void add(struct access_table *t, const char *addr, int bits, int allow, int all)
{
    struct ip_addr a;
    memset(&a, 0, sizeof(a));
    if (addr)
        a = ip(addr);
    CHECK_INT_EQ(access_add(t, &a, bits, allow, all), ACCESS_OK);
}

static int allowed(const struct access_table *t, const char *addr)
{
    struct ip_addr a = ip(addr);
    return access_check(t, &a);
}

static void test_default_denies(void)
{
    struct access_table *t = access_new();
    struct ip_addr none;
    memset(&none, 0, sizeof(none));
    CHECK(!allowed(t, "1.2.3.4"));
    CHECK(!allowed(t, "::1"));
    CHECK(!access_check(t, &none));
    CHECK(!access_any_allowed(t));
    access_free(t);
    access_free(NULL);
}

static void test_bare_allow_both_families(void)
{
    struct access_table *t = access_new();
    add(t, NULL, 0, 1, 0);
    CHECK(allowed(t, "192.0.2.1"));
    CHECK(allowed(t, "2001:db8::1"));
    CHECK(access_any_allowed(t));
    access_free(t);
}

/* chrony.conf(5): "allow 1.2.3.4; deny 1.2.3; allow 1.2": the most specific rule
 * wins whatever the order. */
static void test_manual_example_order_independent(void)
{
    struct access_table *t = access_new();
    add(t, "1.2.0.0", 16, 1, 0);
    add(t, "1.2.3.0", 24, 0, 0);
    add(t, "1.2.3.4", -1, 1, 0);
    CHECK(allowed(t, "1.2.3.4"));
    CHECK(!allowed(t, "1.2.3.5"));
    CHECK(allowed(t, "1.2.4.1"));
    CHECK(!allowed(t, "1.3.0.1"));
    access_free(t);

    t = access_new();
    add(t, "1.2.3.4", 32, 1, 0);
    add(t, "1.2.3.0", 24, 0, 0);
    add(t, "1.2.0.0", 16, 1, 0);
    CHECK(allowed(t, "1.2.3.4"));
    CHECK(!allowed(t, "1.2.3.5"));
    CHECK(allowed(t, "1.2.200.1"));
    access_free(t);
}

/* "deny all 1.2" after "allow 1.2.3.4": the more specific allow is dropped. */
static void test_all_overrides_earlier_specific(void)
{
    struct access_table *t = access_new();
    add(t, "1.2.3.4", 32, 1, 0);
    add(t, "1.2.0.0", 16, 0, 1);
    CHECK(!allowed(t, "1.2.3.4"));
    /* but a later specific rule still wins over the earlier "all" */
    add(t, "1.2.3.4", 32, 1, 0);
    CHECK(allowed(t, "1.2.3.4"));
    access_free(t);

    t = access_new();
    add(t, "10.0.0.0", 8, 0, 0);
    add(t, NULL, 0, 1, 1); /* allow all */
    CHECK(allowed(t, "10.1.1.1"));
    CHECK(allowed(t, "fe80::1"));
    add(t, NULL, 0, 0, 1); /* deny all */
    CHECK(!allowed(t, "10.1.1.1"));
    access_free(t);
}

static void test_same_subnet_last_wins(void)
{
    struct access_table *t = access_new();
    add(t, "192.168.1.0", 24, 1, 0);
    add(t, "192.168.1.0", 24, 0, 0);
    CHECK(!allowed(t, "192.168.1.7"));
    add(t, "192.168.1.0", 24, 1, 0);
    CHECK(allowed(t, "192.168.1.7"));
    access_free(t);
}

/* Prefixes not multiple of 4 are widened to the 4-bit level below, as chrony's tree does. */
static void test_odd_prefix_lengths(void)
{
    struct access_table *t = access_new();
    add(t, "10.0.0.0", 9, 1, 0);
    CHECK(allowed(t, "10.127.255.255"));
    CHECK(!allowed(t, "10.128.0.0"));
    /* /21 and /22 share the /24 level: the later rule wins for the overlap */
    add(t, "172.16.0.0", 22, 1, 0);
    add(t, "172.16.0.0", 21, 0, 0);
    CHECK(!allowed(t, "172.16.1.1"));
    access_free(t);
}

static void test_ipv6_rules(void)
{
    struct access_table *t = access_new();
    add(t, "2001:db8::", 32, 1, 0);
    add(t, "2001:db8:1::", 48, 0, 0);
    CHECK(allowed(t, "2001:db8:2::5"));
    CHECK(!allowed(t, "2001:db8:1::5"));
    CHECK(!allowed(t, "2001:db9::1"));
    CHECK(!allowed(t, "1.2.3.4"));
    access_free(t);
}

static void test_bad_subnet(void)
{
    struct access_table *t = access_new();
    struct ip_addr a = ip("1.2.3.4");
    CHECK_INT_EQ(access_add(t, &a, 33, 1, 0), ACCESS_BAD_SUBNET);
    a = ip("::1");
    CHECK_INT_EQ(access_add(t, &a, 129, 1, 0), ACCESS_BAD_SUBNET);
    CHECK_INT_EQ(access_add(t, &a, 128, 1, 0), ACCESS_OK);
    CHECK(allowed(t, "::1"));
    access_free(t);
}

static void test_add_rules(void)
{
    struct access_rule rules[3];
    struct access_table *t = access_new();
    size_t bad = 99;
    memset(rules, 0, sizeof(rules));
    rules[0].ip = ip("10.0.0.0");
    rules[0].bits = 8;
    rules[0].allow = 1;
    rules[1].hostname = "unresolved.example"; /* skipped: not resolved */
    rules[1].allow = 1;
    rules[2].ip = ip("10.1.0.0");
    rules[2].bits = 16;
    CHECK_INT_EQ(access_add_rules(t, rules, 3, &bad), ACCESS_OK);
    CHECK(allowed(t, "10.2.0.1"));
    CHECK(!allowed(t, "10.1.0.1"));
    rules[1].ip = ip("10.1.2.3"); /* resolved: host rule with full prefix */
    CHECK_INT_EQ(access_add_rules(t, rules + 1, 1, &bad), ACCESS_OK);
    CHECK(allowed(t, "10.1.2.3"));
    rules[2].bits = 40;
    CHECK_INT_EQ(access_add_rules(t, rules, 3, &bad), ACCESS_BAD_SUBNET);
    CHECK_INT_EQ(bad, 2);
    access_free(t);
}

/* The linear semantics the tree must reproduce: a list of (prefix, node depth, verdict);
 * the deepest matching entry decides; an "all" rule drops the entries below its nodes. */
struct ref_entry {
    struct ip_addr p;
    int bits, allow;
};

struct ref_table {
    struct ref_entry e[4096];
    int n;
};

static void ref_put(struct ref_table *r, const struct ip_addr *p, int bits, int allow, int all)
{
    int j = 0;
    for (int i = 0; i < r->n; i++) {
        const struct ref_entry *x = &r->e[i];
        int below = all && x->p.family == p->family && x->bits > bits &&
                    ip_addr_prefix_match(&x->p, p, bits);
        if (!below)
            r->e[j++] = *x;
    }
    r->n = j;
    for (int i = 0; i < r->n; i++) {
        if (r->e[i].bits == bits && ip_addr_equal(&r->e[i].p, p)) {
            r->e[i].allow = allow;
            return;
        }
    }
    CHECK(r->n < 4096);
    r->e[r->n].p = *p;
    r->e[r->n].bits = bits;
    r->e[r->n].allow = allow;
    r->n++;
}

static void ref_add(struct ref_table *r, const struct ip_addr *ip, int bits, int allow, int all)
{
    int level = (bits + 3) / 4 * 4;
    int spread = level - bits;
    for (int k = 0; k < (1 << spread); k++) {
        struct ip_addr node = *ip;
        ip_addr_mask(&node, bits);
        for (int b = 0; b < spread; b++) {
            int bit = bits + b;
            if ((k >> (spread - 1 - b)) & 1)
                node.a[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
        }
        ref_put(r, &node, level, allow, all);
    }
}

static int ref_check(const struct ref_table *r, const struct ip_addr *ip)
{
    int best = -1, verdict = 0;
    for (int i = 0; i < r->n; i++) {
        const struct ref_entry *x = &r->e[i];
        if (x->p.family == ip->family && x->bits > best &&
            ip_addr_prefix_match(&x->p, ip, x->bits)) {
            best = x->bits;
            verdict = x->allow;
        }
    }
    return verdict;
}

/* Addresses drawn near a few bases so that rules nest and overlap. */
static struct ip_addr random_addr(struct rng *g, int v6)
{
    static const uint8_t base4[3][4] = {{10, 0, 0, 0}, {10, 1, 2, 0}, {192, 168, 0, 0}};
    struct ip_addr a;
    memset(&a, 0, sizeof(a));
    a.family = v6 ? IPF_INET6 : IPF_INET4;
    if (v6) {
        a.a[0] = 0x20;
        a.a[1] = 0x01;
        a.a[2] = 0x0d;
        a.a[3] = 0xb8;
        a.a[4 + rng_u32(g) % 12] = (uint8_t)(rng_u32(g) % 4);
        a.a[15] = (uint8_t)(rng_u32(g) % 8);
    } else {
        memcpy(a.a, base4[rng_u32(g) % 3], 4);
        a.a[2] |= (uint8_t)(rng_u32(g) % 4);
        a.a[3] = (uint8_t)(rng_u32(g) % 16);
    }
    return a;
}

/* Random allow/deny/all rules (odd prefix lengths included): the tree gives the same
 * verdict as the linear model for random addresses after every rule. */
static void test_random_rules_match_linear(unsigned long seed)
{
    struct rng g;
    rng_seed(&g, seed);
    for (int round = 0; round < 40; round++) {
        struct access_table *t = access_new();
        struct ref_table *r = calloc(1, sizeof(*r));
        struct ip_addr any4, any6;
        memset(&any4, 0, sizeof(any4));
        any4.family = IPF_INET4;
        any6 = any4;
        any6.family = IPF_INET6;
        ref_put(r, &any4, 0, 0, 0);
        ref_put(r, &any6, 0, 0, 0);
        for (int k = 0; k < 60; k++) {
            int v6 = (int)(rng_u32(&g) % 3 == 0);
            struct ip_addr a = random_addr(&g, v6);
            int allow = (int)(rng_u32(&g) % 2), all = (int)(rng_u32(&g) % 5 == 0);
            int bits = (int)(rng_u32(&g) % (unsigned)(ip_addr_bits(a.family) + 1));
            if (rng_u32(&g) % 40 == 0) {
                struct ip_addr none;
                memset(&none, 0, sizeof(none));
                CHECK_INT_EQ(access_add(t, &none, 0, allow, all), ACCESS_OK);
                ref_add(r, &any4, 0, allow, all);
                ref_add(r, &any6, 0, allow, all);
            } else {
                CHECK_INT_EQ(access_add(t, &a, bits, allow, all), ACCESS_OK);
                ref_add(r, &a, bits, allow, all);
            }
            for (int q = 0; q < 50; q++) {
                struct ip_addr x = random_addr(&g, (int)(rng_u32(&g) % 3 == 0));
                if (access_check(t, &x) != ref_check(r, &x)) {
                    fprintf(stderr, "seed %lu round %d rule %d: verdicts differ\n", seed, round, k);
                    CHECK(0);
                    k = 60;
                    break;
                }
            }
        }
        free(r);
        access_free(t);
    }
}

/* Many host rules build in linear time and a lookup stays a tree walk. */
static void test_many_rules(void)
{
    struct access_table *t = access_new();
    struct ip_addr a;
    memset(&a, 0, sizeof(a));
    a.family = IPF_INET4;
    a.a[0] = 10;
    for (unsigned i = 0; i < 100000; i++) {
        a.a[1] = (uint8_t)(i >> 16);
        a.a[2] = (uint8_t)(i >> 8);
        a.a[3] = (uint8_t)i;
        CHECK_INT_EQ(access_add(t, &a, 32, (int)(i % 2), 0), ACCESS_OK);
    }
    a.a[3] = 7;
    a.a[2] = 3;
    a.a[1] = 0;
    CHECK(access_check(t, &a));
    a.a[3] = 8;
    CHECK(!access_check(t, &a));
    a.a[1] = 200;
    CHECK(!access_check(t, &a));
    /* "deny all" on the /8 gives the subtree back; the table stays usable. */
    a.a[1] = 0;
    CHECK_INT_EQ(access_add(t, &a, 8, 0, 1), ACCESS_OK);
    a.a[3] = 7;
    CHECK(!access_check(t, &a));
    CHECK(!access_any_allowed(t));
    CHECK_INT_EQ(access_add(t, &a, 32, 1, 0), ACCESS_OK);
    CHECK(access_check(t, &a));
    CHECK(access_any_allowed(t));
    access_free(t);
}

int main(int argc, char **argv)
{
    unsigned long seed = 1;
    if (argc > 2 && strcmp(argv[1], "--seed") == 0)
        seed = strtoul(argv[2], NULL, 0);
    printf("test_access seed %lu\n", seed);
    RUN(test_default_denies);
    RUN(test_bare_allow_both_families);
    RUN(test_manual_example_order_independent);
    RUN(test_all_overrides_earlier_specific);
    RUN(test_same_subnet_last_wins);
    RUN(test_odd_prefix_lengths);
    RUN(test_ipv6_rules);
    RUN(test_bad_subnet);
    RUN(test_add_rules);
    test_random_rules_match_linear(seed);
    RUN(test_many_rules);
    return check_summary();
}
