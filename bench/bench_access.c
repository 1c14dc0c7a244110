/* Benchmark: the access table with many rules. Building N host rules and looking up
 * addresses, as ratios against a one-rule table in the same run, and against a linear
 * scan of the same rules (the table before it became a tree) for comparison. */
#include "core/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static struct ip_addr host(unsigned i)
{
    struct ip_addr a;
    memset(&a, 0, sizeof(a));
    a.family = IPF_INET4;
    a.a[0] = 10;
    a.a[1] = (unsigned char)(i >> 16);
    a.a[2] = (unsigned char)(i >> 8);
    a.a[3] = (unsigned char)i;
    return a;
}

/* Seconds per lookup of an address under the rules (the walk goes to the last level). */
static double lookup_cost(const struct access_table *t, int n)
{
    struct ip_addr a = host(0);
    volatile int sink = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        a.a[3] = (unsigned char)i;
        sink += access_check(t, &a);
    }
    return (now_s() - t0) / n;
}

/* The linear table: every rule compared for every lookup (one prefix compare each). */
static double linear_cost(int rules, int n)
{
    struct ip_addr *v = malloc(sizeof(*v) * (size_t)rules);
    struct ip_addr a = host(0);
    volatile int sink = 0;
    double t0;
    for (int i = 0; i < rules; i++)
        v[i] = host((unsigned)i);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        a.a[3] = (unsigned char)i;
        for (int k = 0; k < rules; k++)
            sink += ip_addr_prefix_match(&v[k], &a, 32);
    }
    free(v);
    return (now_s() - t0) / n;
}

static void run(int rules, int allow)
{
    struct access_table *one = access_new(), *t = access_new();
    struct ip_addr a = host(1);
    double t0, build, base, cost, lin;

    access_add(one, &a, 32, allow, 0);
    t0 = now_s();
    for (int i = 0; i < rules; i++) {
        a = host((unsigned)i);
        access_add(t, &a, 32, allow, 0);
    }
    build = now_s() - t0;
    base = lookup_cost(one, 1000000);
    cost = lookup_cost(t, 1000000);
    lin = linear_cost(rules, rules >= 100000 ? 200 : 2000);
    printf("%6d %s rules: build %.3f s (%.0f ns/rule); lookup %.0f ns = %.2f x one-rule table;"
           " linear scan %.0f us = %.0f x the tree\n",
           rules, allow ? "allow" : "deny ", build, build / rules * 1e9, cost * 1e9, cost / base,
           lin * 1e6, lin / cost);
    access_free(one);
    access_free(t);
}

int main(void)
{
    run(10000, 0);
    run(100000, 1);
    return 0;
}
