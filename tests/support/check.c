#include "check.h"

#include <stdarg.h>
#include <stdlib.h>

int check_failures_in_case;
int check_total_pass, check_total_fail;

void check_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  %s:%d: check failed: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    check_failures_in_case++;
}

void check_run(const char *name, void (*fn)(void))
{
    check_failures_in_case = 0;
    fn();
    if (check_failures_in_case) {
        printf("FAIL %s\n", name);
        check_total_fail++;
    } else {
        printf("PASS %s\n", name);
        check_total_pass++;
    }
    fflush(stdout);
}

int check_summary(void)
{
    printf("# %d cases passed, %d cases failed\n", check_total_pass, check_total_fail);
    return check_total_fail ? 1 : 0;
}
