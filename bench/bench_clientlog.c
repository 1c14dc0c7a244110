/* Benchmark: the client log's cost per request (clientlog_log_access + clientlog_limit_rate,
 * as the server calls them), with `ratelimit` on, as a ratio against a log holding one
 * client in the same run:
 *   known    requests from clients already in a full table of N records (lookups)
 *   new      requests each from a new address, replacing records of a full table
 * for the default clientloglimit (4096 records) and for 134217728 bytes (1 048 576). */
#include "core/clientlog.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static struct ip_addr addr(uint32_t i)
{
    struct ip_addr a;
    ip_addr_from_v4(&a, 0x0a000000u + (i * 2654435761u >> 8)); /* scattered in 10/8 */
    return a;
}

static struct clientlog *make(unsigned long limit)
{
    struct clientlog_params p;
    memset(&p, 0, sizeof(p));
    p.active = 1;
    p.limit_bytes = limit;
    p.limits[CLOG_NTP] = (struct clientlog_limit){1, 3, 8, 2, 0};
    return clientlog_new(&p, 1);
}

/* Seconds per request from n_clients addresses in turn, starting at address first. */
static double run(struct clientlog *cl, uint32_t first, uint32_t n_clients, long n)
{
    volatile int sink = 0;
    struct timespec ts = {1000000, 0};
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        struct ip_addr a = addr(first + (uint32_t)(i % n_clients));
        int idx;
        ts.tv_nsec = (long)(i % 1000) * 1000000L;
        ts.tv_sec = 1000000 + i / 1000;
        idx = clientlog_log_access(cl, CLOG_NTP, &a, &ts);
        sink += (int)clientlog_limit_rate(cl, CLOG_NTP, idx);
    }
    return (now_s() - t0) / (double)n;
}

int main(void)
{
    const long n = 4000000;
    unsigned long limits[] = {524288, 134217728};
    struct clientlog *one = make(524288);
    double base = run(one, 0, 1, n);

    printf("one client: %.1f ns per request\n", base * 1e9);
    clientlog_free(one);
    for (int k = 0; k < 2; k++) {
        struct clientlog *cl = make(limits[k]);
        uint32_t recs = (uint32_t)clientlog_max_records(cl);
        double known, fresh;
        run(cl, 0, recs * 4, (long)recs * 4); /* fill (and replace) */
        /* the newest recs/2 addresses: (nearly) all held */
        known = run(cl, recs * 4 - recs / 2, recs / 2, n);
        fresh = run(cl, recs * 8, (uint32_t)n, n);
        printf("clientloglimit %lu (%u records): known %.1f ns (%.2fx one client), "
               "new %.1f ns (%.2fx), table %zu kB\n",
               limits[k], recs, known * 1e9, known / base, fresh * 1e9, fresh / base,
               clientlog_table_bytes(cl) / 1024);
        clientlog_free(cl);
    }
    return 0;
}
