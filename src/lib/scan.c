/* Word splitting and sscanf-like number scanning (see scan.h). */
#include "lib/scan.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

char *scan_word(char **cur)
{
    char *p = *cur, *w;
    while (*p && isspace((unsigned char)*p))
        p++;
    w = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p) {
        *p++ = '\0';
        while (*p && isspace((unsigned char)*p))
            p++;
    }
    *cur = p;
    return w;
}

/* Like sscanf, a sign must be followed by a digit of the base. */
static const char *number_start(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        p++;
    return p;
}

int scan_int(char **cur, int *out, int min, int max)
{
    char *end;
    long v;
    if (!isdigit((unsigned char)*number_start(*cur)))
        return 0;
    errno = 0;
    v = strtol(*cur, &end, 10);
    if (errno != 0 || v < INT_MIN || v > INT_MAX || v < min || v > max)
        return 0;
    *out = (int)v;
    *cur = end;
    return 1;
}

int scan_double(char **cur, double *out)
{
    char *end;
    double v = strtod(*cur, &end);
    if (end == *cur)
        return 0;
    *out = v;
    *cur = end;
    return 1;
}

int scan_u32(char **cur, uint32_t *out, int base)
{
    char *end;
    unsigned long v;
    const char *p = number_start(*cur);
    if (!isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p)))
        return 0;
    errno = 0;
    v = strtoul(*cur, &end, base);
    if (errno != 0 || v > 0xffffffffUL)
        return 0;
    *out = (uint32_t)v;
    *cur = end;
    return 1;
}

int scan_eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

void scan_normalize_line(char *line)
{
    char *q = line;
    int space = 1, first = 1;

    for (const char *p = line; *p; p++) {
        if (isspace((unsigned char)*p)) {
            if (!space)
                *q++ = ' ';
            space = 1;
            continue;
        }
        if (first && strchr("!;#%", *p))
            break;
        *q++ = *p;
        space = first = 0;
    }
    if (q > line && q[-1] == ' ')
        q--;
    *q = '\0';
}
