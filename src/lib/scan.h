/* Word splitting and number scanning of configuration-style text, matching the
 * sscanf("%d%n")-like behaviour chrony's parsers rely on: a number is read from
 * the start of the text and the rest (e.g. the "x" of "6x") is left for the
 * next word. Shared by chrony.conf parsing and the source options. */
#ifndef LIB_SCAN_H
#define LIB_SCAN_H

#include <stdint.h>

/* Collapse white space to single spaces, trim both ends, and blank the line if its
 * first non-space character is one of chrony's comment characters "!;#%" (chrony's
 * CPS_NormalizeLine, shared by chrony.conf and chronyc). */
void scan_normalize_line(char *line);

/* Take the next whitespace-separated word from *cur, NUL-terminating it in place,
 * and advance *cur to the word after it. Returns "" when none is left. */
char *scan_word(char **cur);

/* An integer prefix of *cur (optional leading whitespace and sign); advances *cur
 * past it. 1 on success with min <= value <= max, else 0 (*out and *cur unchanged).
 * As glibc's sscanf("%d"), a value beyond int keeps its low 32 bits ("4294967302"
 * is 6), and the range is checked after that. */
int scan_int(char **cur, int *out, int min, int max);

/* A floating-point prefix of *cur, taken as glibc's sscanf("%lf") takes it: "1e",
 * "1e+" and "1.0e" are 1 with the exponent letter (and sign) consumed, "nan(1)" is
 * "nan" followed by "(1)", "0x" and "infin" fail. 1 on success, else 0. */
int scan_double(char **cur, double *out);

/* An unsigned 32-bit prefix of *cur in base 10 or 16, as glibc's sscanf("%u"/"%x"):
 * a sign is allowed ("-1" is 4294967295) and a larger value keeps its low 32 bits.
 * 1 or 0. */
int scan_u32(char **cur, uint32_t *out, int base);

/* ASCII case-insensitive equality of two strings (strcasecmp(a, b) == 0). */
int scan_eq_nocase(const char *a, const char *b);

#endif
