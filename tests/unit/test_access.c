/* Unit tests for core/access: chrony's allow/deny table semantics. */
#include "check.h"
#include "core/access.h"

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

int main(void)
{
    RUN(test_default_denies);
    RUN(test_bare_allow_both_families);
    RUN(test_manual_example_order_independent);
    RUN(test_all_overrides_earlier_specific);
    RUN(test_same_subnet_last_wins);
    RUN(test_odd_prefix_lengths);
    RUN(test_ipv6_rules);
    RUN(test_bad_subnet);
    RUN(test_add_rules);
    return check_summary();
}
