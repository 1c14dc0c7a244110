/* Minimal test harness shared by unit tests, the simulator and fuzz replay.
 * Each test binary prints "PASS name" / "FAIL name: why" lines; tests/run-all.sh
 * counts them. A binary that crashes or exits non-zero counts as one failure. */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures_in_case;
extern int check_total_pass, check_total_fail;

/* Record a failed expectation inside the current case (does not abort the case). */
void check_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_fail(__FILE__, __LINE__, "%s", #cond);                                           \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_)                                                                  \
            check_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, check_a_, check_b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0)                             \
            check_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b,                  \
                       check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double check_a_ = (a), check_b_ = (b);                                                     \
        if (!(check_a_ - check_b_ <= (tol) && check_b_ - check_a_ <= (tol)))                       \
            check_fail(__FILE__, __LINE__, "%s ~= %s (%.9g vs %.9g)", #a, #b, check_a_, check_b_); \
    } while (0)

/* Run one case: prints PASS/FAIL with its name. */
void check_run(const char *name, void (*fn)(void));
/* Print the binary's summary and return its exit status (0 if no failures). */
int check_summary(void);

#define RUN(fn) check_run(#fn, fn)

#endif
