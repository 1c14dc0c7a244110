/* Manual time input (core/manual): samples typed by an administrator, the offset and the
 * frequency they give, a mistyped time that does not tilt the frequency, deletion, and
 * the samples moving with our clock. */
#include "check.h"

#include "core/manual.h"
#include "lib/ts.h"

#include <math.h>
#include <string.h>

static struct timespec at(double s)
{
    struct timespec t;
    ts_from_double(&t, 1700000000.0 + s);
    return t;
}

static void test_disabled_and_first_sample(void)
{
    struct manual m;
    struct manual_estimate e;
    struct timespec now = at(0.0), ts = at(2.0);

    manual_init(&m, 0);
    CHECK(!manual_accept(&m, &now, &ts, &e));
    manual_init(&m, 1);
    CHECK(manual_accept(&m, &now, &ts, &e));
    /* The typed time is 2 s ahead: we are 2 s slow. */
    CHECK_NEAR(e.offset, -2.0, 1e-9);
    CHECK_NEAR(e.fitted_offset, -2.0, 1e-9);
    CHECK(!e.have_frequency);
    CHECK_INT_EQ(m.n, 1);
    /* Less than a second later: refused. */
    now = at(0.5);
    CHECK(!manual_accept(&m, &now, &ts, &e));
    /* A time a century off is not believed. */
    now = at(10.0);
    ts = at(4.0e9);
    CHECK(!manual_accept(&m, &now, &ts, &e));
}

/* Our clock gains 100 ppm: samples an hour apart give the frequency; one mistyped time
 * (5 s off) does not change it. */
static void test_frequency_robust(void)
{
    struct manual m;
    struct manual_estimate e;

    manual_init(&m, 1);
    for (int i = 0; i < 6; i++) {
        struct timespec now = at(3600.0 * i), ts = at(3600.0 * i - 1e-4 * 3600.0 * i);
        if (i == 3)
            ts_add(&ts, &ts, 5.0);
        CHECK(manual_accept(&m, &now, &ts, &e));
    }
    CHECK(e.have_frequency);
    CHECK_NEAR(e.frequency, 1e-4, 1e-9);
    CHECK_NEAR(e.offset, 0.36 * 5, 1e-6); /* the newest typed offset */
    CHECK_NEAR(m.s[3].residual, -5.0, 1e-6);
    /* Delete the mistyped one: the estimate is the fitted offset. */
    CHECK(manual_delete(&m, 3, &e));
    CHECK_INT_EQ(m.n, 5);
    CHECK_NEAR(e.offset, 1.8, 1e-6);
    CHECK(!manual_delete(&m, 5, &e));
}

/* Our clock is corrected by 0.5 s: the samples' times and offsets move with it; an unknown
 * step forgets them. */
static void test_slew(void)
{
    struct manual m;
    struct manual_estimate e;
    struct timespec now = at(0.0), ts = at(-0.5), when = at(10.0);

    manual_init(&m, 1);
    CHECK(manual_accept(&m, &now, &ts, &e));
    manual_slew(&m, &when, 0.0, 0.5, 0);
    CHECK_NEAR(m.s[0].offset, 0.0, 1e-9);
    CHECK_NEAR(m.s[0].orig_offset, 0.5, 1e-9);
    manual_slew(&m, &when, 0.0, 1.0, 1);
    CHECK_INT_EQ(m.n, 0);
}

int main(void)
{
    RUN(test_disabled_and_first_sample);
    RUN(test_frequency_robust);
    RUN(test_slew);
    return check_summary();
}
