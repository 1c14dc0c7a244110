/* Tests for chrony's source dump file format (core/sourcedump). */
#include "check.h"
#include "core/sourcedump.h"
#include "core/sourcestats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written by Debian's chronyd 4.3 (`chronyc dump`), first three samples. */
static const char chrony_file[] =
    "SRC0\n"
    "127.0.0.1\n"
    "0 377 8 1 0\n"
    "3 10\n"
    "1795555060.470981465 1.145002e-05 1.250000e-05 2.906400e-05 8.784720e-06 2.906400e-05 "
    "8.784720e-06\n"
    "1795555060.727959240 3.564440e-07 1.423000e-06 7.416000e-06 4.422083e-07 7.416000e-06 "
    "4.422083e-07\n"
    "1795555060.983267450 6.059756e-07 1.689000e-06 6.584000e-06 2.125103e-07 6.584000e-06 "
    "2.125103e-07\n";

static const struct timespec now_ts = {1795555100, 0};

static enum sourcedump_verdict parse_str(const char *text, struct sourcedump *d)
{
    return sourcedump_parse(text, strlen(text), &now_ts, d);
}

static void test_parse_chrony_file(void)
{
    struct sourcedump d;

    CHECK_INT_EQ(parse_str(chrony_file, &d), SOURCEDUMP_OK);
    CHECK_STR_EQ(d.name, "127.0.0.1");
    CHECK_INT_EQ(d.authenticated, 0);
    CHECK_INT_EQ(d.reach, 0377);
    CHECK_INT_EQ(d.reach_size, 8);
    CHECK_INT_EQ(d.stratum, 1);
    CHECK_INT_EQ(d.leap, 0);
    CHECK_INT_EQ(d.n_samples, 3);
    CHECK_INT_EQ(d.asymmetry_run, 10);
    CHECK_INT_EQ(d.samples[0].time.tv_sec, 1795555060);
    /* The time passes through a double, as in chrony: sub-microsecond loss. */
    CHECK_NEAR(d.samples[0].time.tv_nsec, 470981465, 300);
    CHECK_NEAR(d.samples[1].offset, 3.564440e-07, 1e-15);
    CHECK_NEAR(d.samples[1].orig_offset, 1.423000e-06, 1e-15);
    CHECK_NEAR(d.samples[2].peer_delay, 6.584000e-06, 1e-15);
    CHECK_NEAR(d.samples[2].peer_dispersion, 2.125103e-07, 1e-15);
    CHECK_NEAR(d.samples[2].root_delay, 6.584000e-06, 1e-15);
    CHECK_NEAR(d.samples[2].root_dispersion, 2.125103e-07, 1e-15);
    CHECK_INT_EQ(sourcedump_check_source(&d, "127.0.0.1", 0), SOURCEDUMP_OK);
    CHECK_INT_EQ(sourcedump_check_source(&d, "localhost", 0), SOURCEDUMP_NAME_MISMATCH);
    CHECK_INT_EQ(sourcedump_check_source(&d, "127.0.0.1", 1), SOURCEDUMP_AUTH_MISMATCH);
    d.authenticated = 1;
    CHECK_INT_EQ(sourcedump_check_source(&d, "127.0.0.1", 0), SOURCEDUMP_OK);
}

static void fill(struct sourcedump *d, int n)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "ntp.example.net");
    d->authenticated = 1;
    d->reach = 0355;
    d->reach_size = 6;
    d->stratum = 2;
    d->leap = 1;
    d->asymmetry_run = -12;
    d->n_samples = n;
    for (int i = 0; i < n; i++) {
        struct sourcestats_sample *s = &d->samples[i];
        s->time.tv_sec = 1795555000 + 16 * i;
        s->time.tv_nsec = 125000000;
        s->offset = -1.5e-4 + 1e-6 * i;
        s->orig_offset = -2.5e-4;
        s->peer_delay = 3.25e-3;
        s->peer_dispersion = 1.5e-5;
        s->root_delay = 1.0e-2;
        s->root_dispersion = 2.0e-3 + i * 1e-6;
    }
}

static void test_format_exact(void)
{
    struct sourcedump d;
    char buf[512];
    int full;

    fill(&d, 1);
    CHECK_INT_EQ(sourcedump_format(&d, buf, sizeof(buf)), (int)strlen(buf));
    CHECK_STR_EQ(buf, "SRC0\nntp.example.net\n1 355 6 2 1\n1 -12\n"
                      "1795555000.125000000 -1.500000e-04 -2.500000e-04 3.250000e-03 1.500000e-05 "
                      "1.000000e-02 2.000000e-03\n");
    /* Length is reported in full when the buffer is short, as snprintf. */
    full = (int)strlen(buf);
    CHECK_INT_EQ(sourcedump_format(&d, buf, 10), full);
    CHECK_INT_EQ(sourcedump_format(&d, NULL, 0), full);
    CHECK_INT_EQ((int)strlen(buf), 9);
    d.n_samples = 0;
    CHECK_INT_EQ(sourcedump_format(&d, buf, sizeof(buf)), -1);
}

static void test_round_trip(void)
{
    struct sourcedump d, e;
    int len = 0;
    char *buf;

    fill(&d, SOURCESTATS_MAX_SAMPLES);
    len = sourcedump_format(&d, NULL, 0);
    CHECK(len > 0);
    buf = malloc((size_t)len + 1);
    CHECK_INT_EQ(sourcedump_format(&d, buf, (size_t)len + 1), len);
    {
        struct timespec now = {1795560000, 0};
        CHECK_INT_EQ(sourcedump_parse(buf, (size_t)len, &now, &e), SOURCEDUMP_OK);
    }
    CHECK_STR_EQ(e.name, d.name);
    CHECK_INT_EQ(e.n_samples, d.n_samples);
    CHECK_INT_EQ(e.reach, d.reach);
    CHECK_INT_EQ(e.reach_size, d.reach_size);
    CHECK_INT_EQ(e.stratum, d.stratum);
    CHECK_INT_EQ(e.leap, d.leap);
    CHECK_INT_EQ(e.authenticated, 1);
    CHECK_INT_EQ(e.asymmetry_run, -12);
    for (int i = 0; i < d.n_samples; i++) {
        CHECK_INT_EQ(e.samples[i].time.tv_sec, d.samples[i].time.tv_sec);
        CHECK_NEAR(e.samples[i].time.tv_nsec, d.samples[i].time.tv_nsec, 1000);
        CHECK_NEAR(e.samples[i].offset, d.samples[i].offset, 1e-9);
        CHECK_NEAR(e.samples[i].root_dispersion, d.samples[i].root_dispersion, 1e-9);
    }
    free(buf);
}

/* Through sourcestats: the history and its regression survive a dump. */
static void test_stats_round_trip(void)
{
    struct sourcestats_params p;
    struct sourcestats *a, *b;
    struct sourcestats_estimate ea, eb;
    struct sourcedump d, e;
    struct timespec t = {1795555000, 0};
    char buf[16384];
    int len;

    sourcestats_params_default(&p);
    a = sourcestats_new(&p);
    b = sourcestats_new(&p);
    for (int i = 0; i < 12; i++) {
        t.tv_sec += 64;
        sourcestats_add_sample(a, &t, 1e-4 + 2e-7 * i + (i % 2 ? 1e-6 : -1e-6), 1e-3, 1e-5, 1e-3,
                               1e-4, 2, 0);
        sourcestats_do_regression(a, NULL);
    }
    memset(&d, 0, sizeof(d));
    snprintf(d.name, sizeof(d.name), "192.0.2.1");
    d.stratum = 2;
    CHECK_INT_EQ(sourcedump_from_stats(&d, a), sourcestats_samples(a));
    len = sourcedump_format(&d, buf, sizeof(buf));
    CHECK(len > 0 && len < (int)sizeof(buf));
    t.tv_sec += 10;
    CHECK_INT_EQ(sourcedump_parse(buf, (size_t)len, &t, &e), SOURCEDUMP_OK);
    CHECK_INT_EQ(sourcedump_to_stats(&e, b), 1);
    CHECK_INT_EQ(sourcestats_samples(b), sourcestats_samples(a));
    sourcestats_get_estimate(a, &ea);
    sourcestats_get_estimate(b, &eb);
    CHECK_INT_EQ(eb.ok, 1);
    CHECK_NEAR(eb.frequency, ea.frequency, 1e-9);
    CHECK_NEAR(eb.offset, ea.offset, 1e-7);
    sourcestats_free(a);
    sourcestats_free(b);
}

static void test_shift(void)
{
    struct sourcedump d;

    fill(&d, 2);
    sourcedump_shift(&d, 1.5e-6);
    CHECK_INT_EQ(d.samples[1].time.tv_sec, 1795555016);
    CHECK_INT_EQ(d.samples[1].time.tv_nsec, 125001500);
    CHECK_NEAR(d.samples[1].offset, -1.49e-4 + 1.5e-6, 1e-12);
    CHECK_NEAR(d.samples[1].orig_offset, -2.5e-4, 1e-15);
}

/* The chrony file with the first occurrence of from replaced by to. */
static const char *edit(const char *from, const char *to)
{
    static char out[2048];
    const char *p = strstr(chrony_file, from);

    if (!p) {
        snprintf(out, sizeof(out), "%s", chrony_file);
        return out;
    }
    snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - chrony_file), chrony_file, to,
             p + strlen(from));
    return out;
}

static void expect(const char *text, enum sourcedump_verdict v)
{
    struct sourcedump d;
    enum sourcedump_verdict got = parse_str(text, &d);
    if (got != v)
        check_fail(__FILE__, __LINE__, "verdict %s, expected %s for:\n%s",
                   sourcedump_verdict_str(got), sourcedump_verdict_str(v), text);
}

/* Each case was checked against Debian's chronyd 4.3 -r ("Could not load
 * dump file" or "Loaded dump file"). */
static void test_malformed(void)
{
    expect("", SOURCEDUMP_BAD_IDENTIFIER);
    expect(edit("SRC0\n", "SRC0 \n"), SOURCEDUMP_BAD_IDENTIFIER);
    expect(edit("SRC0\n", "SRC0\r\n"), SOURCEDUMP_BAD_IDENTIFIER);
    expect(edit("127.0.0.1\n", "127.0.0.1 x\n"), SOURCEDUMP_BAD_NAME);
    expect(edit("127.0.0.1\n", "\n"), SOURCEDUMP_BAD_NAME);
    /* chrony scans the status line from the name's column. */
    expect(edit("127.0.0.1\n", " 127.0.0.1\n"), SOURCEDUMP_BAD_STATUS);
    expect(edit("0 377 8 1 0", "0 377 8 1"), SOURCEDUMP_BAD_STATUS);
    expect(edit("0 377 8 1 0", "0 377 8 16 0"), SOURCEDUMP_BAD_STATUS);
    expect(edit("0 377 8 1 0", "0 377 8 -1 0"), SOURCEDUMP_BAD_STATUS);
    expect(edit("0 377 8 1 0", "0 377 8 1 3"), SOURCEDUMP_BAD_STATUS);
    expect(edit("3 10\n", "3\n"), SOURCEDUMP_BAD_COUNT);
    expect(edit("3 10", "0 0"), SOURCEDUMP_BAD_COUNT);
    expect(edit("3 10", "65 0"), SOURCEDUMP_BAD_COUNT);
    expect(edit("3 10", "4 0"), SOURCEDUMP_BAD_SAMPLE);
    expect(edit("1795555060.983267450 6.059756e-07", "1795555060.983267450"),
           SOURCEDUMP_BAD_SAMPLE);
    expect(edit("1.145002e-05", "nan"), SOURCEDUMP_BAD_VALUE);
    expect(edit("1.145002e-05", "inf"), SOURCEDUMP_BAD_VALUE);
    expect(edit("1.145002e-05", "1e10"), SOURCEDUMP_BAD_VALUE);
    expect(edit("1795555060.470981465", "-5.0"), SOURCEDUMP_BAD_VALUE);
    expect(edit("2.906400e-05", "1e7"), SOURCEDUMP_BAD_VALUE);
    expect(edit("6.584000e-06 2.125103e-07\n", "6.584000e-06 nan\n"), SOURCEDUMP_BAD_VALUE);
    expect(edit("1795555060.983267450", "1795555160.0"), SOURCEDUMP_FUTURE);
    expect(edit("1795555060.983267450", "1795555060.7279"), SOURCEDUMP_BAD_ORDER);
    expect(edit("1795555060.983267450", "1795555060.0"), SOURCEDUMP_BAD_ORDER);
}

static void test_lenient_like_chrony(void)
{
    struct sourcedump d;

    /* Accepted by chrony: signs, trailing words, extra lines, a hex time,
     * masked reachability, clamped sizes and runs, NaN original offsets. */
    CHECK_INT_EQ(parse_str(edit("3 10", "+3 5000 junk"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(d.asymmetry_run, 1000);
    CHECK_INT_EQ(parse_str(edit("0 377 8 1 0", "1 777 20 15 2"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(d.reach, 0377);
    CHECK_INT_EQ(d.reach_size, 8);
    CHECK_INT_EQ(d.stratum, 15);
    CHECK_INT_EQ(d.leap, 2);
    CHECK_INT_EQ(parse_str(edit("1.250000e-05", "nan"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(parse_str(edit("2.906400e-05", "-1"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(parse_str(edit("1795555060.470981465", "0x6B05B3F0"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(d.samples[0].time.tv_sec, 0x6B05B3F0);
    CHECK_INT_EQ(parse_str(edit("1.145002e-05", "-2.2e9"), &d), SOURCEDUMP_OK);
    CHECK_INT_EQ(parse_str(edit("1.145002e-05", "-2.5e9"), &d), SOURCEDUMP_BAD_VALUE);
    {
        char more[2048];
        snprintf(more, sizeof(more), "%sextra line\n", chrony_file);
        CHECK_INT_EQ(parse_str(more, &d), SOURCEDUMP_OK);
    }
}

/* A line longer than chrony's 256-byte buffer is read as two lines. */
static void test_long_lines(void)
{
    char text[1024], name[300];
    struct sourcedump d;

    memset(name, 'a', 299);
    name[299] = '\0';
    snprintf(text, sizeof(text), "SRC0\n%s\n0 377 8 1 0\n1 0\n1.0 0 0 0 0 0 0\n", name);
    CHECK_INT_EQ(parse_str(text, &d), SOURCEDUMP_BAD_STATUS);
    /* Bytes past the end are never read: an unterminated buffer. */
    CHECK_INT_EQ(sourcedump_parse(chrony_file, 20, &now_ts, &d), SOURCEDUMP_BAD_STATUS);
    CHECK_INT_EQ(sourcedump_parse(NULL, 0, &now_ts, &d), SOURCEDUMP_BAD_IDENTIFIER);
}

int main(void)
{
    RUN(test_parse_chrony_file);
    RUN(test_format_exact);
    RUN(test_round_trip);
    RUN(test_stats_round_trip);
    RUN(test_shift);
    RUN(test_malformed);
    RUN(test_lenient_like_chrony);
    RUN(test_long_lines);
    return check_summary();
}
