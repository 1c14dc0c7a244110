/* Unit tests for src/core/leapdb.c: leap-seconds.list and TZif leap records
 * give the same table; chrony's 2012 check; leap days; malformed input. */
#include "check.h"

#include "core/leapdb.h"

#include <stdio.h>
#include <string.h>

/* NTP time and TAI-UTC of each line of the IERS list (1 Jan 1972 .. 1 Jan 2017). */
static const long long list_ntp[] = {
    2272060800, 2287785600, 2303683200, 2335219200, 2366755200, 2398291200, 2429913600,
    2461449600, 2492985600, 2524521600, 2571782400, 2603318400, 2634854400, 2698012800,
    2776982400, 2840140800, 2871676800, 2918937600, 2950473600, 2982009600, 3029443200,
    3076704000, 3124137600, 3345062400, 3439756800, 3550089600, 3644697600, 3692217600};
#define N_LIST ((int)(sizeof(list_ntp) / sizeof(list_ntp[0])))
#define NTP_TO_POSIX 2208988800LL

static size_t make_list(char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "#\tcomment line\n#$\t 3676924800\n#@\t3991593600\n");
    for (int i = 0; i < N_LIST; i++)
        len +=
            (size_t)snprintf(buf + len, cap - len, "%lld\t%d\t# line %d\n", list_ntp[i], 10 + i, i);
    return len;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, int64_t v)
{
    put32(p, (uint32_t)((uint64_t)v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* A TZif file with one type ("UTC") and the leap records of the list: version
 * '2' has a 32-bit block and a 64-bit block, version 0 only the first. */
static size_t make_tzif(uint8_t *buf, char version, int truncate_leaps)
{
    size_t off = 0;
    int nleap = N_LIST - 1 - truncate_leaps;
    for (int block = 0; block < (version ? 2 : 1); block++) {
        size_t tsize = block ? 8 : 4;
        memset(buf + off, 0, 44);
        memcpy(buf + off, "TZif", 4);
        buf[off + 4] = (uint8_t)version;
        put32(buf + off + 28, (uint32_t)nleap); /* leapcnt */
        put32(buf + off + 36, 1);               /* typecnt */
        put32(buf + off + 40, 4);               /* charcnt */
        off += 44;
        memset(buf + off, 0, 6); /* ttinfo: UT offset 0 */
        off += 6;
        memcpy(buf + off, "UTC", 4);
        off += 4;
        for (int k = 1; k <= nleap; k++) {
            /* occurrence = POSIX time of the leap + the earlier leap seconds */
            int64_t occ = list_ntp[k] - NTP_TO_POSIX + (k - 1);
            if (tsize == 8)
                put64(buf + off, occ);
            else
                put32(buf + off, (uint32_t)occ);
            put32(buf + off + tsize, (uint32_t)k);
            off += tsize + 4;
        }
    }
    return off;
}

static void check_table(const struct leapdb *db)
{
    int tai = -1;
    CHECK(leapdb_check(db));
    /* 31 December 2016 ends with a leap second; TAI-UTC 36 that day, 37 after. */
    CHECK_INT_EQ(leapdb_get(db, 1483142400 + 3600, &tai), LEAPDB_INSERT);
    CHECK_INT_EQ(tai, 36);
    CHECK_INT_EQ(leapdb_get(db, 1483228800, &tai), LEAPDB_NORMAL);
    CHECK_INT_EQ(tai, 37);
    CHECK_INT_EQ(leapdb_get(db, 1790000000, &tai), LEAPDB_NORMAL);
    CHECK_INT_EQ(tai, 37);
}

static void test_list(void)
{
    char text[4096];
    struct leapdb db;
    size_t len = make_list(text, sizeof(text));
    CHECK_INT_EQ(leapdb_parse_list(&db, text, len), 0);
    CHECK_INT_EQ(db.n, N_LIST);
    CHECK(db.expiry == 3991593600LL - NTP_TO_POSIX);
    check_table(&db);
    leapdb_free(&db);
}

static void test_tzif_v1_and_v2(void)
{
    static uint8_t buf[4096];
    struct leapdb db;
    size_t len = make_tzif(buf, 0, 0);
    CHECK_INT_EQ(leapdb_parse_tzif(&db, buf, len), 0);
    check_table(&db);
    leapdb_free(&db);
    len = make_tzif(buf, '2', 0);
    CHECK_INT_EQ(leapdb_parse_tzif(&db, buf, len), 0);
    CHECK_INT_EQ(db.n, N_LIST - 1);
    check_table(&db);
    leapdb_free(&db);
}

static void test_check_fails_without_2012(void)
{
    static uint8_t buf[4096];
    struct leapdb db;
    /* The last three leap seconds (2012, 2015, 2016) missing. */
    size_t len = make_tzif(buf, '2', 3);
    CHECK_INT_EQ(leapdb_parse_tzif(&db, buf, len), 0);
    CHECK(!leapdb_check(&db));
    leapdb_free(&db);
}

static void test_malformed(void)
{
    static uint8_t buf[4096];
    struct leapdb db;
    size_t len = make_tzif(buf, '2', 0);
    const char *bad_lists[] = {
        "",       "# only comments\n",       "2272060800\n", "2287785600 11\n2272060800 10\n",
        "x 10\n", "2272060800 10 trailing\n"};
    for (size_t cut = 0; cut < len; cut += 7)
        CHECK_INT_EQ(leapdb_parse_tzif(&db, buf, cut), -1);
    memcpy(buf, "TZiX", 4);
    CHECK_INT_EQ(leapdb_parse_tzif(&db, buf, len), -1);
    for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++)
        CHECK_INT_EQ(leapdb_parse_list(&db, bad_lists[i], strlen(bad_lists[i])), -1);
    CHECK(db.n == 0 && db.e == NULL);
}

static void test_deleted_second(void)
{
    const char *text = "2272060800 10\n3550089600 9\n";
    struct leapdb db;
    int tai;
    CHECK_INT_EQ(leapdb_parse_list(&db, text, strlen(text)), 0);
    CHECK_INT_EQ(leapdb_get(&db, 1341014400, &tai), LEAPDB_DELETE);
    CHECK_INT_EQ(tai, 10);
    leapdb_free(&db);
}

int main(void)
{
    RUN(test_list);
    RUN(test_tzif_v1_and_v2);
    RUN(test_check_fails_without_2012);
    RUN(test_malformed);
    RUN(test_deleted_second);
    return check_summary();
}
