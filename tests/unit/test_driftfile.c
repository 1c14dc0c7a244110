/* Tests for the drift file format (core/driftfile). */
#include "check.h"
#include "core/driftfile.h"

#include <string.h>

static void test_format_matches_chrony(void)
{
    char buf[128];
    int n = driftfile_format(buf, sizeof(buf), -12.345678, 0.123);

    CHECK_STR_EQ(buf, "          -12.345678             0.123000\n");
    CHECK_INT_EQ(n, 42);
    CHECK_INT_EQ(driftfile_format(buf, sizeof(buf), 0.0 / 0.0, 1.0), -1);
}

static void test_round_trip(void)
{
    char buf[128];
    double f = 0, s = 0;

    driftfile_format(buf, sizeof(buf), 31.25, 0.004567);
    CHECK_INT_EQ(driftfile_parse(buf, strlen(buf), &f, &s), DRIFTFILE_OK);
    CHECK_NEAR(f, 31.25, 1e-9);
    CHECK_NEAR(s, 0.004567, 1e-9);
    driftfile_format(buf, sizeof(buf), -499999.5, 1000.0);
    CHECK_INT_EQ(driftfile_parse(buf, strlen(buf), &f, &s), DRIFTFILE_OK);
    CHECK_NEAR(f, -499999.5, 1e-9);
}

static void test_lenient_like_fscanf(void)
{
    double f = 0, s = 0;
    const char *t1 = "\n\t 1.5\n\n2.5 trailing words\n";
    const char *t2 = "1.5 2.5999";

    CHECK_INT_EQ(driftfile_parse(t1, strlen(t1), &f, &s), DRIFTFILE_OK);
    CHECK_NEAR(f, 1.5, 1e-12);
    CHECK_NEAR(s, 2.5, 1e-12);
    /* Only len bytes are read: the buffer need not be terminated. */
    CHECK_INT_EQ(driftfile_parse(t2, 7, &f, &s), DRIFTFILE_OK);
    CHECK_NEAR(s, 2.5, 1e-12);
}

static void test_bad_input(void)
{
    double f = 7, s = 8;

    CHECK_INT_EQ(driftfile_parse("", 0, &f, &s), DRIFTFILE_EMPTY);
    CHECK_INT_EQ(driftfile_parse(" \n ", 3, &f, &s), DRIFTFILE_EMPTY);
    CHECK_INT_EQ(driftfile_parse(NULL, 0, &f, &s), DRIFTFILE_EMPTY);
    CHECK_INT_EQ(driftfile_parse("abc 1.0", 7, &f, &s), DRIFTFILE_BAD_FREQ);
    CHECK_INT_EQ(driftfile_parse("1.0", 3, &f, &s), DRIFTFILE_BAD_SKEW);
    CHECK_INT_EQ(driftfile_parse("1.0 x", 5, &f, &s), DRIFTFILE_BAD_SKEW);
    CHECK_INT_EQ(driftfile_parse("1.5x 2", 6, &f, &s), DRIFTFILE_BAD_SKEW);
    CHECK_INT_EQ(driftfile_parse("nan 1", 5, &f, &s), DRIFTFILE_NOT_FINITE);
    CHECK_INT_EQ(driftfile_parse("1e999 1", 7, &f, &s), DRIFTFILE_NOT_FINITE);
    /* Outputs untouched on failure. */
    CHECK_NEAR(f, 7, 0);
    CHECK_NEAR(s, 8, 0);
    CHECK_STR_EQ(driftfile_verdict_str(DRIFTFILE_BAD_SKEW), "missing or invalid skew");
}

static void test_long_field_rejected(void)
{
    char buf[200];
    double f, s;

    memset(buf, '1', sizeof(buf));
    CHECK_INT_EQ(driftfile_parse(buf, sizeof(buf), &f, &s), DRIFTFILE_BAD_FREQ);
}

int main(void)
{
    RUN(test_format_matches_chrony);
    RUN(test_round_trip);
    RUN(test_lenient_like_fscanf);
    RUN(test_bad_input);
    RUN(test_long_field_rejected);
    return check_summary();
}
