/* Client log: per-client counters, intervals, table growth and replacement,
 * token-bucket rate limiting with leak, reset and min_hits of `clients`. */
#include "check.h"

#include "core/clientlog.h"

#include <stdlib.h>
#include <string.h>

static struct clientlog_params default_params(void)
{
    struct clientlog_params p;
    memset(&p, 0, sizeof(p));
    p.active = 1;
    p.limit_bytes = 524288;
    return p;
}

static struct ip_addr v4(const char *s)
{
    struct ip_addr ip;
    ip_addr_parse(&ip, s);
    return ip;
}

static struct timespec at(long sec, long nsec)
{
    struct timespec t;
    t.tv_sec = sec;
    t.tv_nsec = nsec;
    return t;
}

static int find_client(struct clientlog *cl, const struct ip_addr *ip, const struct timespec *now,
                       struct clientlog_report *out)
{
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        if (clientlog_report_index(cl, (uint32_t)i, 0, 0, now, out) && ip_addr_equal(&out->ip, ip))
            return 1;
    return 0;
}

static void test_counts_and_intervals(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 1);
    struct ip_addr a = v4("192.0.2.1");
    struct clientlog_report r;
    struct clientlog_stats st;
    struct timespec now;

    CHECK_INT_EQ(clientlog_n_indices(cl), 16);
    for (int i = 0; i < 10; i++) {
        now = at(1000000 + 8 * i, 0);
        CHECK(clientlog_log_access(cl, CLOG_NTP, &a, &now) >= 0);
    }
    now = at(1000000 + 72 + 5, 0);
    CHECK(clientlog_log_access(cl, CLOG_CMD, &a, &now) >= 0);
    now = at(1000000 + 72 + 20, 0);
    CHECK(find_client(cl, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 10);
    CHECK_INT_EQ(r.hits[CLOG_CMD], 1);
    CHECK_INT_EQ(r.hits[CLOG_NTSKE], 0);
    CHECK_INT_EQ(r.interval[CLOG_NTP], 3); /* every 8 s */
    CHECK_INT_EQ(r.interval[CLOG_CMD], CLIENTLOG_INTERVAL_UNKNOWN);
    CHECK_INT_EQ(r.ntp_timeout_interval, CLIENTLOG_INTERVAL_UNKNOWN);
    CHECK_INT_EQ(r.last_ago[CLOG_NTP], 20);
    CHECK_INT_EQ(r.last_ago[CLOG_CMD], 15);
    CHECK_INT_EQ(r.last_ago[CLOG_NTSKE], CLIENTLOG_NEVER);
    /* The Unix socket (no address) counts only globally. */
    CHECK_INT_EQ(clientlog_log_access(cl, CLOG_CMD, NULL, &now), -1);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.hits[CLOG_NTP], 10);
    CHECK_INT_EQ(st.hits[CLOG_CMD], 2);
    CHECK_INT_EQ(st.log_drops, 0);
    clientlog_free(cl);
}

static void test_fast_interval(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 2);
    struct ip_addr a = v4("::1");
    struct clientlog_report r;
    struct timespec now;

    for (int i = 0; i < 40; i++) {
        now = at(5000, i * 62500000L); /* 16 per second */
        clientlog_log_access(cl, CLOG_CMD, &a, &now);
    }
    CHECK(find_client(cl, &a, &now, &r));
    CHECK_INT_EQ(r.interval[CLOG_CMD], -4);
    CHECK_INT_EQ(r.last_ago[CLOG_CMD], 0);
    clientlog_free(cl);
}

static void fill_clients(struct clientlog *cl, int n)
{
    char name[32];
    for (int i = 0; i < n; i++) {
        struct ip_addr ip;
        struct timespec now = at(2000 + i, 0);
        snprintf(name, sizeof(name), "10.0.%d.%d", i / 250, i % 250 + 1);
        ip = v4(name);
        clientlog_log_access(cl, CLOG_NTP, &ip, &now);
    }
}

static void test_table_grows(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 3);
    struct clientlog_stats st;
    struct clientlog_report r;
    struct timespec now = at(9000, 0);
    int n = 0;

    fill_clients(cl, 100);
    CHECK(clientlog_n_indices(cl) >= 128);
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        n += clientlog_report_index(cl, (uint32_t)i, 0, 0, &now, &r);
    CHECK_INT_EQ(n, 100);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.log_drops, 0);
    clientlog_free(cl);
}

/* Records moved by each in-place doubling are found again, with their counts. */
static void test_grown_table_keeps_records(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 5);
    struct clientlog_report r;
    struct clientlog_stats st;
    struct timespec now = at(9000, 0);
    int found = 0;

    fill_clients(cl, 1000); /* the table doubles from 1 to at least 64 slots */
    fill_clients(cl, 1000);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.log_drops, 0);
    CHECK(clientlog_n_indices(cl) >= 64 * CLIENTLOG_SLOT_SIZE);
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        if (clientlog_report_index(cl, (uint32_t)i, 0, 0, &now, &r))
            found += r.hits[CLOG_NTP] == 2;
    CHECK_INT_EQ(found, 1000);
    clientlog_free(cl);
}

static void test_limit_replaces_oldest(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl;
    struct clientlog_stats st;
    struct clientlog_report r;
    struct ip_addr first = v4("10.0.0.1"), last = v4("10.0.0.17");
    struct timespec now = at(9000, 0);

    p.limit_bytes = 100; /* one slot only */
    cl = clientlog_new(&p, 4);
    fill_clients(cl, 17);
    CHECK_INT_EQ(clientlog_n_indices(cl), 16);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.log_drops, 1);
    CHECK(!find_client(cl, &first, &now, &r)); /* the least recent was replaced */
    CHECK(find_client(cl, &last, &now, &r));
    clientlog_free(cl);
}

static void test_inactive(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl;
    struct ip_addr a = v4("192.0.2.9");
    struct timespec now = at(100, 0);
    struct clientlog_stats st;

    p.active = 0;
    cl = clientlog_new(&p, 5);
    CHECK_INT_EQ(clientlog_log_access(cl, CLOG_NTP, &a, &now), -1);
    CHECK_INT_EQ(clientlog_n_indices(cl), -1);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_NTP, -1), 0);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.hits[CLOG_NTP], 1);
    clientlog_free(cl);
    /* chrony refuses rate limiting without a client log */
    p.limits[CLOG_NTP].enabled = 1;
    CHECK(clientlog_new(&p, 5) == NULL);
}

static void test_ratelimit_burst_and_leak(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl;
    struct ip_addr a = v4("198.51.100.7");
    struct clientlog_stats st;
    struct clientlog_report r;
    struct timespec now = at(7000, 0);
    int passed = 0, idx;

    p.limits[CLOG_NTP] = (struct clientlog_limit){1, 3, 8, 2, 0};
    cl = clientlog_new(&p, 6);
    CHECK_INT_EQ(clientlog_ntp_min_poll(cl), 3);
    for (int i = 0; i < 8; i++) {
        idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
        CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_NTP, idx), 0); /* the burst */
    }
    for (int i = 0; i < 400; i++) {
        idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
        passed += !clientlog_limit_rate(cl, CLOG_NTP, idx);
    }
    /* leak 2: about one in four limited requests still gets a response */
    CHECK(passed > 50 && passed < 150);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.drops[CLOG_NTP], 400 - passed);
    CHECK(find_client(cl, &a, &now, &r));
    CHECK_INT_EQ(r.drops[CLOG_NTP], 400 - passed);
    clientlog_free(cl);
}

/* chrony's `kod 2`: one in four of the requests to be dropped is answered with a KoD RATE
 * instead, not counted as a drop. */
static void test_ratelimit_kod_fraction(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl;
    struct ip_addr a = v4("198.51.100.9");
    struct clientlog_stats st;
    struct timespec now = at(7000, 0);
    int n[3] = {0, 0, 0}, idx;

    p.limits[CLOG_NTP] = (struct clientlog_limit){1, 3, 1, 4, 2};
    cl = clientlog_new(&p, 8);
    for (int i = 0; i < 1000; i++) {
        idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
        n[clientlog_limit_rate(cl, CLOG_NTP, idx)]++;
    }
    /* 1 burst + ~1/16 leaked; of the rest ~1/4 KoD */
    CHECK(n[CLOG_PASS] > 30 && n[CLOG_PASS] < 110);
    CHECK(n[CLOG_KOD] > 170 && n[CLOG_KOD] < 300);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.drops[CLOG_NTP], n[CLOG_DROP]);
    clientlog_free(cl);
}

static void test_ratelimit_refill(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl;
    struct ip_addr a = v4("198.51.100.8");
    struct timespec now;
    int idx;

    p.limits[CLOG_CMD] = (struct clientlog_limit){1, 3, 1, 4, 0};
    cl = clientlog_new(&p, 7);
    now = at(7000, 0);
    idx = clientlog_log_access(cl, CLOG_CMD, &a, &now);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_CMD, idx), 0);
    /* 8 s later one response is allowed again (interval 2^3 s, burst 1) */
    now = at(7008, 0);
    idx = clientlog_log_access(cl, CLOG_CMD, &a, &now);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_CMD, idx), 0);
    /* other services are not limited */
    idx = clientlog_log_access(cl, CLOG_NTP, &a, &now);
    CHECK_INT_EQ(clientlog_limit_rate(cl, CLOG_NTP, idx), 0);
    clientlog_free(cl);
}

static void test_reset_and_min_hits(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 8);
    struct ip_addr a = v4("203.0.113.1"), b = v4("203.0.113.2");
    struct clientlog_report r;
    struct timespec now = at(100, 0);
    int n = 0;

    for (int i = 0; i < 5; i++)
        clientlog_log_access(cl, CLOG_NTP, &a, &now);
    clientlog_log_access(cl, CLOG_CMD, &b, &now);
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        n += clientlog_report_index(cl, (uint32_t)i, 0, 3, &now, &r);
    CHECK_INT_EQ(n, 1);
    for (int i = 0; i < clientlog_n_indices(cl); i++)
        clientlog_report_index(cl, (uint32_t)i, 1, 0, &now, &r);
    CHECK(find_client(cl, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 0);
    CHECK_INT_EQ(r.last_ago[CLOG_NTP], 0); /* the record itself stays */
    CHECK_INT_EQ(clientlog_report_index(cl, 100000, 0, 0, &now, &r), 0);
    clientlog_free(cl);
}

static void test_ntp_counters(void)
{
    struct clientlog_params p = default_params();
    struct clientlog *cl = clientlog_new(&p, 9);
    struct clientlog_stats st;

    clientlog_count_ntp(cl, 1, 0, CLOG_TS_KERNEL, CLOG_TS_DAEMON);
    clientlog_count_ntp(cl, 0, 1, CLOG_TS_DAEMON, -1);
    clientlog_get_stats(cl, &st);
    CHECK_INT_EQ(st.ntp_auth_hits, 1);
    CHECK_INT_EQ(st.ntp_interleaved_hits, 1);
    CHECK_INT_EQ(st.ntp_rx_ts[CLOG_TS_KERNEL], 1);
    CHECK_INT_EQ(st.ntp_rx_ts[CLOG_TS_DAEMON], 1);
    CHECK_INT_EQ(st.ntp_tx_ts[CLOG_TS_DAEMON], 1);
    CHECK_INT_EQ(clientlog_ntp_min_poll(cl), -19);
    clientlog_free(cl);
}

/* Zeroed, 64-byte aligned memory for a shared table (as the daemon's mapping). */
static void *shared_mem(const struct clientlog_params *p)
{
    size_t n = clientlog_shared_bytes(p);
    void *m = aligned_alloc(64, (n + 63) / 64 * 64);
    memset(m, 0, n);
    return m;
}

static int same_report(const struct clientlog_report *a, const struct clientlog_report *b)
{
    return ip_addr_equal(&a->ip, &b->ip) && memcmp(a->hits, b->hits, sizeof(a->hits)) == 0 &&
           memcmp(a->drops, b->drops, sizeof(a->drops)) == 0 &&
           memcmp(a->interval, b->interval, sizeof(a->interval)) == 0 &&
           a->ntp_timeout_interval == b->ntp_timeout_interval &&
           memcmp(a->last_ago, b->last_ago, sizeof(a->last_ago)) == 0;
}

/* A table in given memory behaves as a private one with the same seed (same indices, same
 * verdicts), and a view on it reports the same records; the view sees the table grow. */
static void test_shared_table_and_view(void)
{
    struct clientlog_params p = default_params();
    void *mem = shared_mem(&p);
    struct clientlog *priv, *w, *v;
    struct clientlog_report a, b;
    struct timespec now = at(2000000, 0);
    int same = 1, listed = 0, same_idx = 1;

    p.limits[CLOG_NTP].enabled = 1;
    p.limits[CLOG_NTP].interval = 0;
    p.limits[CLOG_NTP].burst = 2;
    p.limits[CLOG_NTP].leak = 2;
    CHECK(clientlog_shared_bytes(&p) == CLIENTLOG_SHARED_HEADER + 4096 * 80);
    priv = clientlog_new(&p, 7);
    w = clientlog_new_in(&p, 7, mem);
    v = clientlog_view(&p, 7, mem);
    CHECK(w && v);
    CHECK_INT_EQ(clientlog_n_indices(v), 16);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 40; i++) {
            char addr[32];
            struct ip_addr ip;
            int x, y;
            snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
            ip = v4(addr);
            now = at(2000000 + k, i * 1000);
            x = clientlog_log_access(priv, CLOG_NTP, &ip, &now);
            y = clientlog_log_access(w, CLOG_NTP, &ip, &now);
            same_idx &= x == y;
            same_idx &=
                clientlog_limit_rate(priv, CLOG_NTP, x) == clientlog_limit_rate(w, CLOG_NTP, y);
        }
    }
    CHECK(same_idx);
    CHECK_INT_EQ(clientlog_n_indices(w), 64);
    CHECK_INT_EQ(clientlog_n_indices(v), 64); /* the growth is seen through the header */
    CHECK_INT_EQ(clientlog_table_bytes(v), clientlog_table_bytes(w));
    now = at(2000010, 0);
    for (int i = 0; i < clientlog_n_indices(priv); i++) {
        int x = clientlog_report_index(priv, (uint32_t)i, 0, 0, &now, &a);
        int y = clientlog_report_index(v, (uint32_t)i, 0, 0, &now, &b);
        same &= x == y && (!x || same_report(&a, &b));
        listed += y;
    }
    CHECK(same);
    CHECK_INT_EQ(listed, 40);
    /* min_hits through the view; a reset asked of a view does not touch the table */
    for (int i = 0; i < clientlog_n_indices(v); i++)
        if (clientlog_report_index(v, (uint32_t)i, 1, 4, &now, &b))
            listed = -1;
    CHECK(listed != -1);
    listed = 0;
    for (int i = 0; i < clientlog_n_indices(v); i++)
        if (clientlog_report_index(v, (uint32_t)i, 0, 3, &now, &b))
            listed++;
    CHECK_INT_EQ(listed, 40);
    clientlog_free(v);
    clientlog_free(w);
    clientlog_free(priv);
    free(mem);
    /* no shared table without a client log, nor in misaligned memory */
    p = default_params();
    p.active = 0;
    CHECK(clientlog_shared_bytes(&p) == 0);
    CHECK(clientlog_new_in(&p, 1, NULL) == NULL);
    p = default_params();
    mem = shared_mem(&p);
    CHECK(clientlog_new_in(&p, 1, (char *)mem + 8) == NULL);
    CHECK(clientlog_view(&p, 1, NULL) == NULL);
    free(mem);
}

/* The seqlock: a counter that stays odd (a writer stopped in the middle of a change)
 * makes the reader give up and report the record as empty; even again, it is listed;
 * after clientlog_view_orphan (the writer ended) the counter no longer matters. */
static void test_view_gives_up_on_odd_counter(void)
{
    struct clientlog_params p = default_params();
    void *mem = shared_mem(&p);
    struct clientlog *w = clientlog_new_in(&p, 3, mem), *v = clientlog_view(&p, 3, mem);
    struct ip_addr a = v4("192.0.2.77");
    struct timespec now = at(3000000, 0);
    struct clientlog_report r;
    uint32_t seq;

    CHECK(clientlog_log_access(w, CLOG_NTP, &a, &now) >= 0);
    memcpy(&seq, mem, sizeof(seq));
    CHECK(seq % 2 == 0 && seq > 0); /* every change made it odd and even again */
    CHECK(find_client(v, &a, &now, &r));
    seq++;
    memcpy(mem, &seq, sizeof(seq));
    CHECK(!find_client(v, &a, &now, &r));
    seq++;
    memcpy(mem, &seq, sizeof(seq));
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 1);
    /* The writer ended in a change: once the view is told, it reads the records as they
     * are, odd counter or not. */
    seq++;
    memcpy(mem, &seq, sizeof(seq));
    CHECK(!find_client(v, &a, &now, &r));
    clientlog_view_orphan(v);
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 1);
    clientlog_free(v);
    clientlog_free(w);
    free(mem);
}

/* `clients -r` of a view's table: the request waits in the header until the writer
 * applies it, which zeroes the hit and drop counters of every record (as walking all
 * indices with reset does, whatever min_hits), once per request. */
static void test_reset_request(void)
{
    struct clientlog_params p = default_params();
    void *mem = shared_mem(&p);
    struct clientlog *w = clientlog_new_in(&p, 5, mem), *v = clientlog_view(&p, 5, mem);
    struct clientlog *priv = clientlog_new(&p, 5);
    struct ip_addr a = v4("192.0.2.10"), b = v4("192.0.2.11");
    struct timespec now = at(4000000, 0);
    struct clientlog_report r;

    for (int i = 0; i < 5; i++)
        clientlog_log_access(w, CLOG_NTP, &a, &now);
    clientlog_log_access(w, CLOG_NTP, &b, &now);
    CHECK_INT_EQ(clientlog_apply_reset(w), 0); /* nothing asked */
    CHECK_INT_EQ(clientlog_apply_reset(priv), 0);
    CHECK_INT_EQ(clientlog_apply_reset(NULL), 0);
    clientlog_request_reset(v);
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 5); /* not before the writer's next wake-up */
    CHECK_INT_EQ(clientlog_apply_reset(w), 1);
    CHECK_INT_EQ(clientlog_apply_reset(w), 0);
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 0);
    CHECK(find_client(v, &b, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 0);
    CHECK_INT_EQ(r.last_ago[CLOG_NTP], 0); /* the records stay */
    clientlog_log_access(w, CLOG_NTP, &a, &now);
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 1);
    clientlog_request_reset(v);
    clientlog_request_reset(v);
    CHECK_INT_EQ(clientlog_apply_reset(w), 1);
    CHECK(find_client(v, &a, &now, &r));
    CHECK_INT_EQ(r.hits[CLOG_NTP], 0);
    clientlog_free(priv);
    clientlog_free(v);
    clientlog_free(w);
    free(mem);
}

int main(void)
{
    RUN(test_counts_and_intervals);
    RUN(test_fast_interval);
    RUN(test_table_grows);
    RUN(test_grown_table_keeps_records);
    RUN(test_limit_replaces_oldest);
    RUN(test_inactive);
    RUN(test_ratelimit_burst_and_leak);
    RUN(test_ratelimit_kod_fraction);
    RUN(test_ratelimit_refill);
    RUN(test_reset_and_min_hits);
    RUN(test_ntp_counters);
    RUN(test_shared_table_and_view);
    RUN(test_view_gives_up_on_odd_counter);
    RUN(test_reset_request);
    return check_summary();
}
