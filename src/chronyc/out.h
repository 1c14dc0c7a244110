/* Report output sink for chronyc: one set of calls renders a report as text
 * (chrony's layout, spec 8.1), CSV (8.2) or JSON (one object per report). */
#ifndef CHRONYC_OUT_H
#define CHRONYC_OUT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum out_mode { OUT_TEXT, OUT_CSV, OUT_JSON };

struct out {
    FILE *f;
    enum out_mode mode;
    int n_fields; /* fields already written in the current CSV line / JSON object */
};

void out_init(struct out *o, FILE *f, enum out_mode mode);
/* Report boundaries: JSON object, CSV line (no-ops in text). */
void out_begin(struct out *o);
void out_end(struct out *o);
/* Literal text of the text layout (labels, spaces, units); dropped otherwise. */
void out_lit(struct out *o, const char *s);
/* End of a line of the text layout (CSV: the report ends at out_end). */
void out_eol(struct out *o);

/* Fields. key is the JSON member name (units in the name). width < 0 means
 * left-justified; widths never truncate. */
void out_str(struct out *o, const char *key, const char *s, int width);
void out_char(struct out *o, const char *key, char c);
void out_uint(struct out *o, const char *key, unsigned long long v, int width);
void out_int(struct out *o, const char *key, long long v, int width);
void out_octal(struct out *o, const char *key, unsigned v, int width);
/* printf %[+]W.Pf; CSV keeps the precision and drops width and sign flag. */
void out_fixed(struct out *o, const char *key, double v, int width, int prec, int plus);
void out_interval(struct out *o, const char *key, uint32_t s);            /* I: 4-char age */
void out_offset(struct out *o, const char *key, double x, int with_sign); /* S / +S */
void out_freq(struct out *o, const char *key, double ppm, int with_sign); /* P / +P */
void out_offset_dir(struct out *o, const char *key, double x, int prec);  /* O: slow if x > 0 */
void out_freq_dir(struct out *o, const char *key, double ppm, int prec);  /* F: fast if > 0 */
void out_log2(struct out *o, const char *key, int v);                     /* C */
void out_refid(struct out *o, const char *key, uint32_t refid);           /* R */
void out_date(struct out *o, const char *key, const struct timespec *ts); /* T */
void out_leap(struct out *o, const char *key, int leap, int one_char);    /* L */
void out_bool(struct out *o, const char *key, int b);                     /* B */
void out_bits(struct out *o, const char *key, unsigned v, int n);         /* b */
void out_ntp_mode(struct out *o, const char *key, int mode);              /* M */
void out_ts_source(struct out *o, const char *key, int c);                /* N */

/* Formatting helpers shared with tests (text forms). */
void out_format_interval(char *buf, size_t len, uint32_t s);
void out_format_offset(char *buf, size_t len, double x, int with_sign);
void out_format_freq(char *buf, size_t len, double ppm, int with_sign);
void out_format_date(char *buf, size_t len, time_t sec);

#endif
