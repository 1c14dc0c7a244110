/* Unit tests for src/lib: timespec maths, NTP timestamps, RNG, addresses, text scanning. */
#include "check.h"

#include "lib/addr.h"
#include "lib/compiler.h"
#include "lib/ntp_time.h"
#include "lib/rng.h"
#include "lib/scan.h"
#include "lib/ts.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void test_ts_arith(void)
{
    struct timespec a = {10, 900000000}, b = {9, 100000000}, c;
    CHECK_NEAR(ts_diff(&a, &b), 1.8, 1e-12);
    ts_add(&c, &a, 0.2);
    CHECK_INT_EQ(c.tv_sec, 11);
    CHECK_INT_EQ(c.tv_nsec, 100000000);
    ts_add(&c, &a, -11.0);
    CHECK_INT_EQ(c.tv_sec, -1);
    CHECK_INT_EQ(c.tv_nsec, 900000000);
    CHECK(ts_cmp(&a, &b) > 0);
}

/* Seconds far apart (a `settime` of INT64_MIN s): a huge difference, no overflow (UBSan). */
static void test_ts_diff_extreme(void)
{
    struct timespec now = {1700000003, 0}, low = {INT64_MIN, 0}, high = {INT64_MAX, 0};
    CHECK(ts_diff(&now, &low) > 9e18);
    CHECK(ts_diff(&low, &now) < -9e18);
    CHECK(ts_diff(&high, &low) > 1.8e19);
}

static void test_ntp_ts_roundtrip(void)
{
    struct timespec t = {1700000000, 123456789}, back;
    struct ntp_ts64 n;
    uint8_t bytes[8];
    ntp_ts64_from_timespec(&n, &t);
    CHECK_INT_EQ(n.sec, 1700000000UL + NTP_UNIX_OFFSET);
    ntp_ts64_to_bytes(bytes, &n);
    ntp_ts64_from_bytes(&n, bytes);
    ntp_ts64_to_timespec(&back, &n);
    CHECK_INT_EQ(back.tv_sec, t.tv_sec);
    CHECK(back.tv_nsec - t.tv_nsec <= 1 && t.tv_nsec - back.tv_nsec <= 1);
}

static void test_ntp_ts_era(void)
{
    /* 2036-02-07 06:28:16 UTC is the start of NTP era 1. */
    struct timespec era1 = {2085978496L + 10, 0}, back;
    struct ntp_ts64 n;
    ntp_ts64_from_timespec(&n, &era1);
    CHECK_INT_EQ(n.sec, 10);
    ntp_ts64_to_timespec(&back, &n);
    CHECK_INT_EQ(back.tv_sec, era1.tv_sec);
}

/* chrony's fixed era window [NTP_ERA_SPLIT, NTP_ERA_SPLIT + 2^32 s) (1976-01-14 ..
 * 2112-02-20): a timestamp resolves to the same time whatever the local clock reads, so
 * a machine whose clock starts at 1970 or in 2150 sees the server's real time. */
static void test_ntp_ts_era_window(void)
{
    static const int64_t times[] = {
        1767225600,                   /* 2026-01-01, era 0 */
        2085978496 - 1,               /* 2036-02-07 06:28:15, the last second of era 0 */
        2085978496,                   /* 2036-02-07 06:28:16, era 1 (NTP seconds 0) */
        2208988800,                   /* 2040-01-01, era 1 */
        NTP_ERA_SPLIT,                /* the first second of the window */
        NTP_ERA_SPLIT + 0xffffffffLL, /* the last */
    };
    struct timespec t, back;
    struct ntp_ts64 n;
    size_t i;

    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        t.tv_sec = (time_t)times[i];
        t.tv_nsec = 500000000;
        ntp_ts64_from_timespec(&n, &t);
        ntp_ts64_to_timespec(&back, &n);
        CHECK_INT_EQ((long long)back.tv_sec, (long long)times[i]);
        CHECK_INT_EQ(back.tv_nsec, 500000000);
    }
    /* Outside the window: one era later or earlier. */
    t.tv_sec = (time_t)(NTP_ERA_SPLIT - 1);
    t.tv_nsec = 0;
    ntp_ts64_from_timespec(&n, &t);
    ntp_ts64_to_timespec(&back, &n);
    CHECK_INT_EQ((long long)back.tv_sec, (long long)(NTP_ERA_SPLIT - 1 + 4294967296LL));
    /* Zero is "not set" (RFC 5905 §7.3), as in chrony. */
    n.sec = n.frac = 0;
    ntp_ts64_to_timespec(&back, &n);
    CHECK_INT_EQ((long long)back.tv_sec, 0);
    CHECK_INT_EQ(back.tv_nsec, 0);
}

static void test_ntp_short(void)
{
    CHECK_INT_EQ(ntp_short_from_double(1.0), 0x10000);
    CHECK_NEAR(ntp_short_to_double(0x8000), 0.5, 1e-12);
    CHECK_INT_EQ(ntp_short_from_double(-1.0), 0);
    CHECK_INT_EQ(ntp_short_from_double(1e9), 0xffffffffU);
}

static void test_rng_deterministic(void)
{
    struct rng a, b;
    double sum = 0;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK(rng_u64(&a) == rng_u64(&b));
    for (int i = 0; i < 10000; i++)
        sum += rng_normal(&a);
    CHECK_NEAR(sum / 10000, 0.0, 0.05);
}

static void test_addr_parse_format(void)
{
    static const char *cases[][2] = {
        {"192.168.1.2", "192.168.1.2"},
        {"::1", "::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:DB8::", "2001:db8::"},
        {"::", "::"},
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
        {"fe80::1:2", "fe80::1:2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ip_addr ip;
        char buf[IP_ADDR_STRLEN];
        CHECK(ip_addr_parse(&ip, cases[i][0]));
        CHECK_STR_EQ(ip_addr_format(&ip, buf, sizeof(buf)), cases[i][1]);
    }
    {
        struct ip_addr ip;
        CHECK(!ip_addr_parse(&ip, "1.2.3"));
        /* as inet_pton: no leading zeros */
        CHECK(!ip_addr_parse(&ip, "01.2.3.4"));
        CHECK(!ip_addr_parse(&ip, "1.2.3.00"));
        CHECK(!ip_addr_parse(&ip, "::ffff:1.02.3.4"));
        CHECK(ip_addr_parse(&ip, "0.0.0.0"));
        CHECK(!ip_addr_parse(&ip, "256.1.1.1"));
        CHECK(!ip_addr_parse(&ip, "1::2::3"));
        CHECK(!ip_addr_parse(&ip, "host.example"));
        CHECK(!ip_addr_parse(&ip, ""));
    }
}

/* A socket binds to the configured address of its family, else that family's loopback. */
static void test_bind_or_loopback(void)
{
    struct ip_addr bind, out;
    char buf[IP_ADDR_STRLEN];

    CHECK(ip_addr_parse(&bind, "192.0.2.7"));
    ip_addr_bind_or_loopback(&out, &bind, IPF_INET4);
    CHECK_STR_EQ(ip_addr_format(&out, buf, sizeof(buf)), "192.0.2.7");
    ip_addr_bind_or_loopback(&out, &bind, IPF_INET6);
    CHECK_STR_EQ(ip_addr_format(&out, buf, sizeof(buf)), "::1");
    CHECK(ip_addr_is_loopback(&out));
    CHECK(ip_addr_parse(&bind, "2001:db8::5"));
    ip_addr_bind_or_loopback(&out, &bind, IPF_INET4);
    CHECK_STR_EQ(ip_addr_format(&out, buf, sizeof(buf)), "127.0.0.1");
    ip_addr_bind_or_loopback(&out, &bind, IPF_INET6);
    CHECK_STR_EQ(ip_addr_format(&out, buf, sizeof(buf)), "2001:db8::5");
}

static void test_prefix(void)
{
    struct ip_addr ip, other;
    int bits;
    CHECK(ip_prefix_parse(&ip, &bits, "192.168"));
    CHECK_INT_EQ(bits, 16);
    CHECK(ip_prefix_parse(&ip, &bits, "10.0.0.0/8"));
    CHECK_INT_EQ(bits, 8);
    CHECK(ip_addr_parse(&other, "10.200.1.1"));
    CHECK(ip_addr_prefix_match(&ip, &other, 8));
    CHECK(ip_prefix_parse(&ip, &bits, "2001:db8::/32"));
    CHECK_INT_EQ(bits, 32);
    CHECK(!ip_prefix_parse(&ip, &bits, "10.0.0.0/33"));
    CHECK(!ip_prefix_parse(&ip, &bits, "10.0.0.0/"));
}

static void test_v4_octets(void)
{
    struct ip_addr ip;
    char buf[IP_ADDR_STRLEN];
    int n;
    CHECK(ip_addr_parse_v4_octets(&ip, &n, "192.168", 4));
    CHECK_INT_EQ(n, 2);
    CHECK_STR_EQ(ip_addr_format(&ip, buf, sizeof(buf)), "192.168.0.0");
    /* longer octets than ip_addr_parse() takes, as sscanf("%lu") would read them */
    CHECK(ip_addr_parse_v4_octets(&ip, &n, "1.2.3.0004", 4));
    CHECK_INT_EQ(n, 4);
    CHECK_STR_EQ(ip_addr_format(&ip, buf, sizeof(buf)), "1.2.3.4");
    /* a trailing dot only after the last permitted octet */
    CHECK(ip_addr_parse_v4_octets(&ip, &n, "1.2.3.", 3));
    CHECK_INT_EQ(n, 3);
    CHECK(!ip_addr_parse_v4_octets(&ip, &n, "1.2.", 3));
    CHECK(!ip_addr_parse_v4_octets(&ip, &n, "1.2.3.4", 3));
    CHECK(!ip_addr_parse_v4_octets(&ip, &n, "1.256", 4));
    CHECK(!ip_addr_parse_v4_octets(&ip, &n, "", 4));
}

static void test_scan(void)
{
    char text[] = "  minpoll\t-6x  0x1F 1e-3 ", *cur = text;
    int i = 7;
    uint32_t u;
    double d;

    CHECK_STR_EQ(scan_word(&cur), "minpoll");
    CHECK(scan_int(&cur, &i, -10, 10));
    CHECK_INT_EQ(i, -6);
    CHECK(!scan_int(&cur, &i, -10, 10)); /* "x": nothing read */
    CHECK_INT_EQ(i, -6);
    CHECK_STR_EQ(scan_word(&cur), "x");
    CHECK(scan_u32(&cur, &u, 16));
    CHECK_INT_EQ(u, 0x1f);
    CHECK(scan_double(&cur, &d));
    CHECK(d == 1e-3);
    CHECK_STR_EQ(scan_word(&cur), "");
    CHECK_STR_EQ(scan_word(&cur), "");
    /* sscanf's wrap-around: the low 32 bits of strtol's/strtoul's value */
    cur = "99999999999";
    CHECK(scan_int(&cur, &i, -2147483647 - 1, 2147483647));
    CHECK_INT_EQ(i, 1215752191);
    cur = "4294967302";
    CHECK(scan_int(&cur, &i, -32, 32));
    CHECK_INT_EQ(i, 6);
    cur = "2147483648";
    CHECK(!scan_int(&cur, &i, 0, 2147483647));
    cur = "-1";
    CHECK(scan_u32(&cur, &u, 10));
    CHECK(u == 4294967295u);
    cur = "x";
    CHECK(!scan_u32(&cur, &u, 10));
    cur = "+";
    CHECK(!scan_u32(&cur, &u, 16));
    CHECK(scan_eq_nocase("IBurst", "iburst"));
    CHECK(!scan_eq_nocase("iburs", "iburst"));
    CHECK(!scan_eq_nocase("iburst", "iburs"));
}

/* The scanners against glibc's sscanf itself (the behaviour chrony's parsers have):
 * same verdict, same value, same number of characters taken. */
static void test_scan_vs_sscanf(void)
{
    static const char *const cases[] = {"0",
                                        "1",
                                        "-1",
                                        "+5",
                                        "5x",
                                        "5.5",
                                        "1e3",
                                        "1e",
                                        "1e+",
                                        "1e-",
                                        "1.0e",
                                        "1ex",
                                        "1e+x",
                                        "1e+-3",
                                        "1ee3",
                                        "0e",
                                        "0.e",
                                        "1.e",
                                        "1..",
                                        "1.5.5",
                                        "1,5",
                                        ".5",
                                        "+.5",
                                        "-.5",
                                        ".",
                                        ".e1",
                                        "-.",
                                        "5.",
                                        "e5",
                                        "-",
                                        "+",
                                        "+-1",
                                        "--1",
                                        "0x",
                                        "0xg",
                                        "0x1",
                                        "0x.",
                                        "0x.8",
                                        "0x1p",
                                        "0x1p+",
                                        "0x1px",
                                        "0xp3",
                                        "0x.p3",
                                        "0X1P3",
                                        "0x1.8p1",
                                        "00x1",
                                        "010",
                                        "08",
                                        "nan",
                                        "NAN",
                                        "-nan",
                                        "nanx",
                                        "nan(1)",
                                        "nan(",
                                        "na",
                                        "n",
                                        "inf",
                                        "INF",
                                        "+inf",
                                        "infx",
                                        "infinity",
                                        "Infinity",
                                        "infin",
                                        "infinit",
                                        "in",
                                        "i",
                                        "1e400",
                                        "-1e-400",
                                        "1e5x",
                                        "abc",
                                        "",
                                        "  5",
                                        " -5",
                                        "4294967295",
                                        "4294967296",
                                        "4294967302",
                                        "-4294967290",
                                        "2147483648",
                                        "-2147483649",
                                        "99999999999999999999",
                                        "-99999999999999999999",
                                        "18446744073709551616",
                                        "F323",
                                        "-F323",
                                        "100000F323",
                                        "0xF323",
                                        "+F323",
                                        "ffffffffffffffffffff",
                                        "10x"};
    for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
        char buf[64], *cur = buf;
        double d = 0, sd = 0;
        int i = 0, si = 0, n = -1, r, ok;
        uint32_t u = 0;
        unsigned su = 0;

        snprintf(buf, sizeof(buf), "%s", cases[k]);
        r = sscanf(buf, "%lf%n", &sd, &n) == 1;
        ok = scan_double(&cur, &d) == r;
        if (ok && r)
            ok = cur - buf == n && (memcmp(&d, &sd, sizeof(d)) == 0 || (isnan(d) && isnan(sd)));
        if (!ok)
            check_fail(__FILE__, __LINE__, "scan_double(\"%s\"): %g %d, sscanf %g %d", buf, d,
                       (int)(cur - buf), sd, n);
        cur = buf;
        n = -1;
        r = sscanf(buf, "%d%n", &si, &n) == 1;
        ok = scan_int(&cur, &i, -2147483647 - 1, 2147483647) == r;
        if (ok && r)
            ok = cur - buf == n && i == si;
        if (!ok)
            check_fail(__FILE__, __LINE__, "scan_int(\"%s\"): %d %d, sscanf %d %d", buf, i,
                       (int)(cur - buf), si, n);
        for (int base = 10; base <= 16; base += 6) {
            cur = buf;
            n = -1;
            r = sscanf(buf, base == 10 ? "%u%n" : "%x%n", &su, &n) == 1;
            ok = scan_u32(&cur, &u, base) == r;
            if (ok && r)
                ok = cur - buf == n && u == su;
            if (!ok)
                check_fail(__FILE__, __LINE__, "scan_u32(\"%s\", %d): %u %d, sscanf %u %d", buf,
                           base, u, (int)(cur - buf), su, n);
        }
    }
}

int main(void)
{
    RUN(test_ts_arith);
    RUN(test_ts_diff_extreme);
    RUN(test_ntp_ts_roundtrip);
    RUN(test_ntp_ts_era);
    RUN(test_ntp_ts_era_window);
    RUN(test_ntp_short);
    RUN(test_rng_deterministic);
    RUN(test_addr_parse_format);
    RUN(test_prefix);
    RUN(test_bind_or_loopback);
    RUN(test_v4_octets);
    RUN(test_scan);
    RUN(test_scan_vs_sscanf);
    return check_summary();
}
