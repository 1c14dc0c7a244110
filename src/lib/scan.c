/* Word splitting and sscanf-like number scanning (see scan.h). */
#include "lib/scan.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
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

/* The low 32 bits of v as a two's complement int (glibc's scanf stores the long
 * that strtol gave into an int, so "4294967302" reads as 6). */
static int low32_int(unsigned long v)
{
    uint32_t u = (uint32_t)(v & 0xffffffffUL);
    return u > (uint32_t)INT_MAX ? (int)(u - 2147483648U) - INT_MAX - 1 : (int)u;
}

int scan_int(char **cur, int *out, int min, int max)
{
    char *end;
    int v;
    if (!isdigit((unsigned char)*number_start(*cur)))
        return 0;
    /* As sscanf("%d"): no overflow check, strtol's saturated value is truncated. */
    v = low32_int((unsigned long)strtol(*cur, &end, 10));
    if (v < min || v > max)
        return 0;
    *out = v;
    *cur = end;
    return 1;
}

static int is_word(const char *p, const char *w)
{
    for (; *w; p++, w++)
        if (tolower((unsigned char)*p) != *w)
            return 0;
    return 1;
}

/* How many characters glibc's scanf("%lf") takes from p (after white space), 0 when
 * it fails. It is greedy: an exponent letter after a digit and a sign after it are
 * taken even without exponent digits ("1e", "1e+"), "nan" is taken without a
 * "(...)" part, "inf" continues only as "infinity", and "0x" needs a digit or '.'. */
static size_t float_span(const char *p)
{
    size_t i = 0, sign = 0;
    int hex = 0, got_digit = 0, got_dot = 0, got_e = 0;
    char exp_char = 'e';

    if (p[i] == '+' || p[i] == '-')
        sign = ++i;
    if (tolower((unsigned char)p[i]) == 'n')
        return is_word(p + i, "nan") ? i + 3 : 0;
    if (tolower((unsigned char)p[i]) == 'i') {
        if (!is_word(p + i, "inf"))
            return 0;
        i += 3;
        if (tolower((unsigned char)p[i]) != 'i')
            return i;
        return is_word(p + i, "inity") ? i + 5 : 0;
    }
    if (p[i] == '0') {
        i++;
        if (tolower((unsigned char)p[i]) == 'x') {
            hex = 1;
            exp_char = 'p';
            i++;
        } else {
            got_digit = 1;
        }
    }
    for (;; i++) {
        unsigned char c = (unsigned char)p[i];
        if (isdigit(c) || (!got_e && hex && isxdigit(c))) {
            got_digit = 1;
        } else if (got_e && tolower((unsigned char)p[i - 1]) == exp_char &&
                   (c == '+' || c == '-')) {
            continue;
        } else if (got_digit && !got_e && tolower(c) == exp_char) {
            got_e = got_dot = 1;
        } else if (!got_dot && c == '.') {
            got_dot = 1;
        } else {
            break;
        }
    }
    if (i == sign || (hex && i == sign + 2))
        return 0;
    return i;
}

int scan_double(char **cur, double *out)
{
    char *p = *cur, *end;
    size_t n;
    double v;

    while (*p && isspace((unsigned char)*p))
        p++;
    n = float_span(p);
    if (n == 0)
        return 0;
    /* The value is strtod's of the characters taken ("1e" is 1, "nan" a plain NaN). */
    v = strtod(p, &end);
    if (end == p)
        return 0;
    if (isnan(v))
        v = p[0] == '-' ? -NAN : NAN;
    *out = v;
    *cur = p + n;
    return 1;
}

int scan_u32(char **cur, uint32_t *out, int base)
{
    char *end;
    unsigned long v;
    const char *p = number_start(*cur);
    if (!isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p)))
        return 0;
    /* As sscanf("%u"/"%x"): a sign is allowed ("-1" is 4294967295), no overflow
     * check, the low 32 bits of strtoul's value are kept. */
    v = strtoul(*cur, &end, base);
    /* "0x" with no hex digit after it: scanf takes the "x" too. */
    if (base == 16 && end == p + 1 && *p == '0' && tolower((unsigned char)*end) == 'x')
        end++;
    *out = (uint32_t)(v & 0xffffffffUL);
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
