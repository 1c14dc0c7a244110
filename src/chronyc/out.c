/* Text / CSV / JSON rendering primitives of chronyc (spec 8.1, 8.2). */
#include "chronyc/out.h"

#include <math.h>
#include <string.h>

void out_init(struct out *o, FILE *f, enum out_mode mode)
{
    o->f = f;
    o->mode = mode;
    o->n_fields = 0;
}

void out_begin(struct out *o)
{
    o->n_fields = 0;
    if (o->mode == OUT_JSON)
        fputc('{', o->f);
}

/* A CSV report is one line; a JSON report one object per line. */
void out_end(struct out *o)
{
    if (o->mode == OUT_JSON)
        fputs("}\n", o->f);
    else if (o->mode == OUT_CSV)
        fputc('\n', o->f);
    o->n_fields = 0;
}

void out_lit(struct out *o, const char *s)
{
    if (o->mode == OUT_TEXT)
        fputs(s, o->f);
}

void out_eol(struct out *o)
{
    if (o->mode == OUT_TEXT)
        fputc('\n', o->f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Starts a field: CSV separator or JSON key. Returns 0 in text mode. */
static int field_start(struct out *o, const char *key)
{
    if (o->mode == OUT_TEXT)
        return 0;
    if (o->n_fields++)
        fputc(',', o->f);
    if (o->mode == OUT_JSON) {
        json_string(o->f, key);
        fputc(':', o->f);
    }
    return 1;
}

void out_str(struct out *o, const char *key, const char *s, int width)
{
    if (!field_start(o, key))
        fprintf(o->f, "%*s", width, s);
    else if (o->mode == OUT_JSON)
        json_string(o->f, s);
    else
        fputs(s, o->f);
}

void out_char(struct out *o, const char *key, char c)
{
    char s[2] = {c, '\0'};
    out_str(o, key, s, 0);
}

void out_uint(struct out *o, const char *key, unsigned long long v, int width)
{
    if (!field_start(o, key))
        fprintf(o->f, "%*llu", width, v);
    else
        fprintf(o->f, "%llu", v);
}

void out_int(struct out *o, const char *key, long long v, int width)
{
    if (!field_start(o, key))
        fprintf(o->f, "%*lld", width, v);
    else
        fprintf(o->f, "%lld", v);
}

void out_octal(struct out *o, const char *key, unsigned v, int width)
{
    if (!field_start(o, key))
        fprintf(o->f, "%*o", width, v);
    else if (o->mode == OUT_JSON)
        fprintf(o->f, "%u", v); /* JSON numbers are decimal */
    else
        fprintf(o->f, "%o", v);
}

static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

void out_fixed(struct out *o, const char *key, double v, int width, int prec, int plus)
{
    if (!field_start(o, key))
        fprintf(o->f, plus ? "%+*.*f" : "%*.*f", width, prec, v);
    else if (o->mode == OUT_JSON)
        json_number(o->f, v);
    else
        fprintf(o->f, "%.*f", prec, v);
}

void out_format_interval(char *buf, size_t len, uint32_t s)
{
    if (s == 0xFFFFFFFFu)
        snprintf(buf, len, "   -");
    else if (s < 1200)
        snprintf(buf, len, "%4u", (unsigned)s);
    else if (s < 36000)
        snprintf(buf, len, "%3um", (unsigned)(s / 60));
    else if (s < 345600)
        snprintf(buf, len, "%3uh", (unsigned)(s / 3600));
    else if (s / 86400 > 999)
        snprintf(buf, len, "%3uy", (unsigned)(s / 86400 / 365));
    else
        snprintf(buf, len, "%3ud", (unsigned)(s / 86400));
}

void out_interval(struct out *o, const char *key, uint32_t s)
{
    char buf[32];
    if (!field_start(o, key)) {
        out_format_interval(buf, sizeof(buf), s);
        fputs(buf, o->f);
    } else if (o->mode == OUT_JSON && s == 0xFFFFFFFFu) {
        fputs("null", o->f);
    } else {
        fprintf(o->f, "%u", (unsigned)s);
    }
}

/* Spec 8.1 "S": unit chosen on |x| so that at most 4-5 digits show. */
void out_format_offset(char *buf, size_t len, double x, int with_sign)
{
    static const struct {
        double limit, scale;
        const char *unit;
        int decimals;
    } units[] = {
        {9999.5e-9, 1e9, "ns", 0},
        {9999.5e-6, 1e6, "us", 0},
        {9999.5e-3, 1e3, "ms", 0},
        {999.5, 1.0, "s", 1},
        {99999.5, 1.0, "s", 0},
        {99999.5 * 60, 1.0 / 60, "m", 0},
        {99999.5 * 3600, 1.0 / 3600, "h", 0},
        {99999.5 * 86400, 1.0 / 86400, "d", 0},
        {INFINITY, 1.0 / (86400.0 * 365), "y", 0},
    };
    double a = fabs(x);
    size_t i = 0;

    while (i + 1 < sizeof(units) / sizeof(units[0]) && !(a < units[i].limit))
        i++;
    /* The nanosecond to millisecond units use one column less than seconds. */
    if (with_sign)
        snprintf(buf, len, "%+*.*f%s", units[i].decimals || i >= 3 ? 6 : 5, units[i].decimals,
                 x * units[i].scale, units[i].unit);
    else
        snprintf(buf, len, "%*.*f%s", units[i].decimals || i >= 3 ? 5 : 4, units[i].decimals,
                 a * units[i].scale, units[i].unit);
}

void out_offset(struct out *o, const char *key, double x, int with_sign)
{
    char buf[64];
    if (!field_start(o, key)) {
        out_format_offset(buf, sizeof(buf), x, with_sign);
        fputs(buf, o->f);
    } else if (o->mode == OUT_JSON) {
        json_number(o->f, x);
    } else {
        fprintf(o->f, "%.9f", x);
    }
}

void out_format_freq(char *buf, size_t len, double ppm, int with_sign)
{
    int prec = fabs(ppm) < 99999.5 ? 3 : 0;
    snprintf(buf, len, with_sign ? "%+10.*f" : "%10.*f", prec, ppm);
}

void out_freq(struct out *o, const char *key, double ppm, int with_sign)
{
    char buf[64];
    if (!field_start(o, key)) {
        out_format_freq(buf, sizeof(buf), ppm, with_sign);
        fputs(buf, o->f);
    } else if (o->mode == OUT_JSON) {
        json_number(o->f, ppm);
    } else {
        fprintf(o->f, "%.3f", ppm);
    }
}

void out_offset_dir(struct out *o, const char *key, double x, int prec)
{
    if (!field_start(o, key))
        fprintf(o->f, "%.*f seconds %s", prec, fabs(x), x > 0.0 ? "slow" : "fast");
    else if (o->mode == OUT_JSON)
        json_number(o->f, x);
    else
        fprintf(o->f, "%.9f", x);
}

void out_freq_dir(struct out *o, const char *key, double ppm, int prec)
{
    if (!field_start(o, key))
        fprintf(o->f, "%.*f ppm %s", prec, fabs(ppm), ppm > 0.0 ? "fast" : "slow");
    else if (o->mode == OUT_JSON)
        json_number(o->f, ppm);
    else
        fprintf(o->f, "%.3f", ppm);
}

void out_log2(struct out *o, const char *key, int v)
{
    if (!field_start(o, key)) {
        if (v >= 127)
            fputs(" -", o->f);
        else
            fprintf(o->f, "%2d", v);
    } else if (o->mode == OUT_JSON && v >= 127) {
        fputs("null", o->f);
    } else {
        fprintf(o->f, "%d", v);
    }
}

void out_refid(struct out *o, const char *key, uint32_t refid)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%08X", (unsigned)refid);
    out_str(o, key, buf, 0);
}

void out_format_date(char *buf, size_t len, time_t sec)
{
    struct tm tm;
    if (!gmtime_r(&sec, &tm) || !strftime(buf, len, "%a %b %d %H:%M:%S %Y", &tm))
        snprintf(buf, len, "?");
}

void out_date(struct out *o, const char *key, const struct timespec *ts)
{
    char buf[64];
    if (!field_start(o, key)) {
        out_format_date(buf, sizeof(buf), ts->tv_sec);
        fputs(buf, o->f);
    } else {
        fprintf(o->f, "%lld.%09ld", (long long)ts->tv_sec, (long)ts->tv_nsec);
    }
}

void out_leap(struct out *o, const char *key, int leap, int one_char)
{
    static const char *const words[] = {"Normal", "Insert second", "Delete second",
                                        "Not synchronised"};
    static const char chars[] = "N+-?";
    const char *w = leap >= 0 && leap < 4 ? words[leap] : "Invalid";

    if (one_char && o->mode == OUT_TEXT)
        out_char(o, key, leap >= 0 && leap < 4 ? chars[leap] : '?');
    else
        out_str(o, key, w, 0);
}

void out_bool(struct out *o, const char *key, int b)
{
    if (o->mode == OUT_JSON) {
        field_start(o, key);
        fputs(b ? "true" : "false", o->f);
    } else {
        out_str(o, key, b ? "Yes" : "No", 0);
    }
}

void out_bits(struct out *o, const char *key, unsigned v, int n)
{
    char buf[40];
    int i;
    for (i = 0; i < n && i < 32; i++)
        buf[i] = (v >> (n - 1 - i)) & 1 ? '1' : '0';
    buf[i] = '\0';
    out_str(o, key, buf, 0);
}

void out_ntp_mode(struct out *o, const char *key, int mode)
{
    const char *s = mode == 1   ? "Symmetric active"
                    : mode == 2 ? "Symmetric passive"
                    : mode == 4 ? "Server"
                                : "Invalid";
    out_str(o, key, s, 0);
}

void out_ts_source(struct out *o, const char *key, int c)
{
    const char *s = c == 'D' ? "Daemon" : c == 'K' ? "Kernel" : c == 'H' ? "Hardware" : "Invalid";
    out_str(o, key, s, 0);
}
