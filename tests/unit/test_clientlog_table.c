/* Client log table: the clientloglimit bound (chrony 4.8's record counts), the
 * replacement policy of a full slot, the counters kept across replacements, and the
 * rate-limit state of a known client untouched by other clients and table growth. */
#include "check.h"

#include "core/clientlog.h"

#include <stdio.h>
#include <string.h>

static struct clientlog_params params(unsigned long limit)
{
    struct clientlog_params p;
    memset(&p, 0, sizeof(p));
    p.active = 1;
    p.limit_bytes = limit;
    return p;
}

static struct timespec at(long sec, long nsec)
{
    struct timespec t;
    t.tv_sec = sec;
    t.tv_nsec = nsec;
    return t;
}

/* The i-th address of 10.0.0.0/8 (never 0). */
static struct ip_addr nth(uint32_t i)
{
    struct ip_addr ip;
    ip_addr_from_v4(&ip, 0x0a000001u + i);
    return ip;
}

static int count_records(struct clientlog *cl, const struct timespec *now)
{
    struct clientlog_report r;
    int n = 0;
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        n += clientlog_report_index(cl, (uint32_t)i, 0, 0, now, &r);
    return n;
}

static int find(struct clientlog *cl, const struct ip_addr *ip, const struct timespec *now,
                struct clientlog_report *out)
{
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        if (clientlog_report_index(cl, (uint32_t)i, 0, 0, now, out) && ip_addr_equal(&out->ip, ip))
            return 1;
    return 0;
}

/* chrony.conf(5): the default 524288 bytes hold 4096 addresses, 2 GB 16777216; the
 * count is a power of two; the table never takes more than 2/3 of the limit. */
static void test_bound_as_chrony(void)
{
    static const struct {
        unsigned long limit, records;
    } cases[] = {{0, 16},
                 {100, 16},
                 {524288, 4096},
                 {1048576, 8192},
                 {1000000, 8192},
                 {125829120, 1048576},
                 {2147483648ul, 16777216},
                 {4294967295ul, 16777216}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct clientlog_params p = params(cases[i].limit);
        struct clientlog *cl = clientlog_new(&p, 1);
        CHECK_INT_EQ(clientlog_max_records(cl), cases[i].records);
        CHECK_INT_EQ(clientlog_n_indices(cl), 16); /* starts with one slot */
        CHECK_INT_EQ(clientlog_table_bytes(cl), 16 * 80);
        clientlog_free(cl);
    }
}

/* 100 000 addresses through the default table: it stops at 4096 records, full, within
 * 2/3 of the limit, and every address beyond the first 4096 replaced one record. */
static void test_bound_under_many_clients(void)
{
    struct clientlog_params p = params(524288);
    struct clientlog *cl = clientlog_new(&p, 2);
    struct clientlog_stats st;
    struct timespec now = at(1000, 0);
    const uint32_t n = 100000;

    for (uint32_t i = 0; i < n; i++) {
        struct ip_addr ip = nth(i);
        now = at(1000 + i / 16, (long)(i % 16) * 62500000L);
        CHECK(clientlog_log_access(cl, CLOG_NTP, &ip, &now) >= 0);
    }
    CHECK_INT_EQ(clientlog_n_indices(cl), 4096);
    CHECK_INT_EQ(clientlog_table_bytes(cl), 4096 * 80);
    CHECK(clientlog_table_bytes(cl) <= 524288 * 2 / 3);
    CHECK_INT_EQ(count_records(cl, &now), 4096);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.hits[CLOG_NTP], n);
    CHECK_INT_EQ(st.log_drops, n - 4096);
    /* The most recent address is always held (it replaced the oldest of its slot). */
    {
        struct ip_addr last = nth(n - 1);
        struct clientlog_report r;
        CHECK(find(cl, &last, &now, &r));
        CHECK_INT_EQ(r.hits[CLOG_NTP], 1);
    }
    clientlog_free(cl);
}

/* One slot (16 records): the record whose latest request of any service is the oldest
 * is replaced; of equally old ones, the one with fewer requests. */
static void test_eviction_order(void)
{
    struct clientlog_params p = params(100);
    struct clientlog *cl = clientlog_new(&p, 3);
    struct clientlog_report r;
    struct clientlog_stats st;
    struct timespec now;
    struct ip_addr ip;

    for (uint32_t i = 0; i < 16; i++) {
        ip = nth(i);
        now = at(5000 + i, 0);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
    /* 0 asks again (NTP), 1 sends a command: both are now recent. */
    now = at(5100, 0);
    ip = nth(0);
    clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    ip = nth(1);
    clientlog_log_access(cl, CLOG_CMD, &ip, &now);
    ip = nth(100);
    clientlog_log_access(cl, CLOG_NTP, &ip, &now); /* replaces 2, the oldest */
    CHECK(find(cl, &ip, &now, &r));
    ip = nth(2);
    CHECK(!find(cl, &ip, &now, &r));
    for (uint32_t i = 0; i < 2; i++) {
        ip = nth(i);
        CHECK(find(cl, &ip, &now, &r));
    }
    /* All 16 at one same time; 14's counters are then reset (`clients -r`), so of these
     * equally old records it has the fewest requests and goes next. */
    now = at(5200, 0);
    for (uint32_t i = 3; i < 16; i++) {
        ip = nth(i);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
    for (uint32_t i = 0; i < 2; i++) {
        ip = nth(i);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
    ip = nth(100);
    clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    ip = nth(15);
    clientlog_log_access(cl, CLOG_NTSKE, &ip, &now); /* another service counts too */
    ip = nth(14);
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        if (clientlog_report_index(cl, (uint32_t)i, 0, 0, &now, &r) && ip_addr_equal(&r.ip, &ip))
            clientlog_report_index(cl, (uint32_t)i, 1, 0, &now, &r); /* 14 reset: 0 hits */
    ip = nth(101);
    clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    ip = nth(14);
    CHECK(!find(cl, &ip, &now, &r)); /* the fewest hits among the equally old */
    ip = nth(15);
    CHECK(find(cl, &ip, &now, &r));
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.log_drops, 2);
    CHECK_INT_EQ(count_records(cl, &now), 16);
    clientlog_free(cl);
}

/* A replaced client starts again: counters zero, a full token bucket. */
static void test_replaced_client_starts_fresh(void)
{
    struct clientlog_params p = params(100);
    struct clientlog *cl;
    struct clientlog_report r;
    struct timespec now = at(6000, 0);
    struct ip_addr a = nth(7), ip;
    int idx;

    p.limits[CLOG_NTP] = (struct clientlog_limit){1, 4, 1, 4, 0};
    cl = clientlog_new(&p, 4);
    idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_NTP, idx), CLOG_PASS);
    for (uint32_t i = 1000; i < 1016; i++) { /* 16 newer clients push a out */
        ip = nth(i);
        now = at(6001, 0);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
    CHECK(!find(cl, &a, &now, &r));
    idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_NTP, idx), CLOG_PASS);
    CHECK(find(cl, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 1);
    CHECK_INT_EQ(r.drops[CLOG_NTP], 0);
    clientlog_free(cl);
}

/* The verdicts for a limited client are the same whether or not 20 000 other clients
 * come and go between its requests and the table doubles meanwhile: its tokens, rates
 * and drop counts move with its record. */
static void run_known_client(int others, int *verdicts, int n, struct clientlog_report *out)
{
    struct clientlog_params p = params(16 * 1048576);
    struct clientlog *cl;
    struct ip_addr a = nth(0xffff00);
    uint32_t next = 0;

    p.limits[CLOG_NTP] = (struct clientlog_limit){1, 2, 4, 2, 2};
    cl = clientlog_new(&p, 5);
    for (int k = 0; k < n; k++) {
        struct timespec now = at(8000 + k / 4, (k % 4) * 250000000L);
        int idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
        verdicts[k] = clientlog_limit_rate(cl, CLOG_NTP, idx);
        for (int j = 0; j < others; j++, next++) {
            struct ip_addr ip = nth(next);
            clientlog_log_access(cl, CLOG_CMD, &ip, &now); /* not limited: no random draw */
        }
    }
    CHECK(find(cl, &a, &(struct timespec){9000, 0}, out));
    if (others) {
        struct clientlog_stats st;
        clientlog_get_stats(cl, &st);
        CHECK_INT_EQ(st.log_drops, 0);
        CHECK(clientlog_n_indices(cl) >= 16384);
    }
    clientlog_free(cl);
}

static void test_tokens_unchanged_for_known_client(void)
{
    enum { N = 200 };
    int alone[N], crowded[N], limited = 0;
    struct clientlog_report ra, rc;

    run_known_client(0, alone, N, &ra);
    run_known_client(100, crowded, N, &rc);
    for (int k = 0; k < N; k++) {
        CHECK_INT_EQ(crowded[k], alone[k]);
        limited += alone[k] != CLOG_PASS;
    }
    CHECK(limited > N / 2); /* 4 per second against one per 4 s: mostly limited */
    CHECK_INT_EQ(rc.hits[CLOG_NTP], ra.hits[CLOG_NTP]);
    CHECK_INT_EQ(rc.drops[CLOG_NTP], ra.drops[CLOG_NTP]);
    CHECK_INT_EQ(rc.interval[CLOG_NTP], ra.interval[CLOG_NTP]);
    CHECK_INT_EQ(rc.ntp_timeout_interval, ra.ntp_timeout_interval);
}

/* The slot of an address depends on the daemon's secret: addresses that share a slot
 * under one seed are spread under another. */
static void test_keyed_placement(void)
{
    struct clientlog_params p = params(524288);
    struct clientlog *c1 = clientlog_new(&p, 11), *c2 = clientlog_new(&p, 12);
    struct timespec now = at(100, 0);
    int differ = 0;

    for (uint32_t i = 0; i < 2000; i++) {
        struct ip_addr ip = nth(i * 7919);
        clientlog_log_access(c1, CLOG_NTP, &ip, &now);
        clientlog_log_access(c2, CLOG_NTP, &ip, &now);
    }
    for (uint32_t i = 0; i < 64; i++) {
        struct ip_addr ip = nth(i * 7919);
        differ += clientlog_log_access(c1, CLOG_NTP, &ip, &now) / 16 !=
                  clientlog_log_access(c2, CLOG_NTP, &ip, &now) / 16;
    }
    CHECK(differ > 32);
    clientlog_free(c1);
    clientlog_free(c2);
}

/* IPv6 and IPv4 records side by side, found again after the table doubled. */
static void test_ipv6_records(void)
{
    struct clientlog_params p = params(524288);
    struct clientlog *cl = clientlog_new(&p, 13);
    struct timespec now = at(100, 0);
    struct clientlog_report r;
    char name[64];
    int found = 0;

    for (int i = 0; i < 1000; i++) {
        struct ip_addr ip;
        snprintf(name, sizeof(name), "2001:db8::%x", i + 1);
        CHECK(ip_addr_parse(&ip, name));
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
        ip = nth((uint32_t)i);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
    CHECK_INT_EQ(count_records(cl, &now), 2000);
    for (int i = 0; i < 1000; i += 97) {
        struct ip_addr ip;
        snprintf(name, sizeof(name), "2001:db8::%x", i + 1);
        ip_addr_parse(&ip, name);
        found += find(cl, &ip, &now, &r) && r.hits[CLOG_NTP] == 1;
    }
    CHECK_INT_EQ(found, 11);
    clientlog_free(cl);
}

int main(void)
{
    RUN(test_bound_as_chrony);
    RUN(test_bound_under_many_clients);
    RUN(test_eviction_order);
    RUN(test_replaced_client_starts_fresh);
    RUN(test_tokens_unchanged_for_known_client);
    RUN(test_keyed_placement);
    RUN(test_ipv6_records);
    return check_summary();
}
