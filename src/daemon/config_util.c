/* Config parsing helpers: chrony's error messages, word splitting, sscanf-like
 * number scanning, string lists and the typed directive handlers. */
#include "daemon/config_parse.h"

#include "lib/mem.h"
#include "lib/scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append_location(struct cfg_ctx *c, size_t used)
{
    if (used >= c->errlen)
        return;
    snprintf(c->err + used, c->errlen - used, " at line %d%s%s", c->lineno,
             c->file ? " in file " : "", c->file ? c->file : "");
}

int cfg_err_at(struct cfg_ctx *c, const char *fmt, ...)
{
    /* chrony formats the text before " at line" in a 256-byte buffer, so a long
     * directive name in "Invalid directive NAME" is cut at 255 characters. */
    char text[256];
    va_list ap;
    if (!c->errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s", text);
    append_location(c, strlen(c->err));
    return -1;
}

int cfg_err_plain(struct cfg_ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int cfg_err_parse(struct cfg_ctx *c)
{
    return cfg_err_at(c, "Could not parse %s directive", c->cmd);
}

int cfg_count_args(const char *args)
{
    int n = 0;
    if (*args == ' ')
        args++;
    if (*args)
        n++;
    for (; *args; args++)
        if (*args == ' ')
            n++;
    return n;
}

int cfg_check_nargs(struct cfg_ctx *c, const char *args, int n)
{
    int diff = n - cfg_count_args(args);
    if (diff == 0)
        return 0;
    return cfg_err_at(c, "%s arguments for %s directive", diff > 0 ? "Missing" : "Too many",
                      c->cmd);
}

/* The scanners are lib/scan's; these names keep the config parsers' vocabulary. */
char *cfg_word(char **cur)
{
    return scan_word(cur);
}

int cfg_scan_int(char **cur, int *out, int min, int max)
{
    return scan_int(cur, out, min, max);
}

int cfg_scan_double(char **cur, double *out)
{
    return scan_double(cur, out);
}

int cfg_scan_u32(char **cur, uint32_t *out, int base)
{
    return scan_u32(cur, out, base);
}

int cfg_scan_refid(char **cur, uint32_t *out)
{
    const char *p = *cur;
    uint32_t id = 0;
    int i;
    for (i = 0; p[i] && !isspace((unsigned char)p[i]); i++) {
        if (i >= 4)
            return 0;
        id |= (uint32_t)(unsigned char)p[i] << (24 - 8 * i);
    }
    *out = id;
    *cur += i;
    return i;
}

void cfg_strlist_add(char ***list, size_t *n, const char *s)
{
    *list = xrealloc(*list, (*n + 1) * sizeof(char *));
    (*list)[(*n)++] = xstrdup(s);
}

void cfg_strlist_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void cfg_set_str(char **field, const char *s)
{
    free(*field);
    *field = s ? xstrdup(s) : NULL;
}

static void *field_ptr(struct cfg_ctx *c, const struct cfg_directive *d)
{
    return (char *)c->cfg + d->offset;
}

/* Whole-argument integer with bounds (chrony: strtol, then a range message). */
int cfg_parse_int_arg(struct cfg_ctx *c, const char *s, int min, int max, int *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s)
        return cfg_err_parse(c);
    if (v < min || v > max)
        return cfg_err_at(c, "Invalid value %ld in %s directive (min %d, max %d)", v, c->cmd, min,
                          max);
    *out = (int)v;
    return 0;
}

int cfg_h_int(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    return cfg_parse_int_arg(c, args, d->min, d->max, (int *)field_ptr(c, d));
}

int cfg_h_double(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *cur = args;
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    if (!cfg_scan_double(&cur, (double *)field_ptr(c, d)))
        return cfg_err_parse(c);
    return 0;
}

int cfg_h_string(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    cfg_set_str((char **)field_ptr(c, d), args);
    return 0;
}

int cfg_h_flag(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 0) < 0)
        return -1;
    *(int *)field_ptr(c, d) = 1;
    return 0;
}

int cfg_h_ignore(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    return 0;
}

int cfg_h_obsolete(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s directive is no longer supported", c->cmd);
    cfg_strlist_add(&c->cfg->warnings, &c->cfg->n_warnings, buf);
    return 0;
}

void *cfg_grow(void *p, size_t n, size_t size)
{
    if (n == 0)
        return xrealloc(p, size);
    if ((n & (n - 1)) == 0)
        return xrealloc(p, 2 * n * size);
    return p;
}
