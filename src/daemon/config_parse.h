/* Internal to the config module: parse context, word and number scanning that
 * matches chrony's (sscanf-style) behaviour, error messages, directive handlers. */
#ifndef DAEMON_CONFIG_PARSE_H
#define DAEMON_CONFIG_PARSE_H

#include "daemon/config.h"
#include "lib/compiler.h"

#include <stddef.h>
#include <stdint.h>

/* chrony reads lines with a 2048-byte limit and nests include/confdir 10 deep. */
#define CFG_MAX_LINE 2048
#define CFG_MAX_INCLUDE 10
#define CFG_MAX_CONF_DIRS 10

struct cfg_ctx {
    struct config *cfg;
    const struct env_files *files;
    const char *file; /* NULL for a line from the command line */
    int lineno;
    const char *cmd; /* directive as written (used in messages) */
    char *err;
    size_t errlen;
    int depth; /* include/confdir nesting */
};

struct cfg_directive;
/* args: the normalised rest of the line (words separated by one space), writable. */
typedef int (*cfg_handler)(struct cfg_ctx *c, char *args, const struct cfg_directive *d);

/* One row of the directive table: typed handlers use offset/min/max. */
struct cfg_directive {
    const char *name;
    cfg_handler fn;
    size_t offset; /* into struct config, for the typed handlers */
    int min, max;  /* bounds for cfg_h_int */
};

/* Errors: each returns -1 after writing chrony's message into c->err. */
int cfg_err_parse(struct cfg_ctx *c); /* "Could not parse X directive at line N[ in file F]" */
int cfg_err_at(struct cfg_ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3); /* "... at line" */
int cfg_err_plain(struct cfg_ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
int cfg_check_nargs(struct cfg_ctx *c, const char *args, int n); /* 0 or -1 */
int cfg_count_args(const char *args);
/* A whole word as a bounded int: "Could not parse" or "Invalid value V in X directive
 * (min A, max B)" on failure. Returns 0 or -1. */
int cfg_parse_int_arg(struct cfg_ctx *c, const char *s, int min, int max, int *out);

/* Take the next word from *cur (NUL-terminated in place); "" when none is left. */
char *cfg_word(char **cur);
/* sscanf("%d%n")-like: parse an integer prefix of *cur and advance past it. 1 on
 * success with min <= value <= max, else 0. */
int cfg_scan_int(char **cur, int *out, int min, int max);
int cfg_scan_double(char **cur, double *out);          /* sscanf("%lf%n") */
int cfg_scan_u32(char **cur, uint32_t *out, int base); /* "%u"/"%x" */
/* Up to 4 characters packed big-endian (refid/lock); returns chars used, 0 if bad. */
int cfg_scan_refid(char **cur, uint32_t *out);

void cfg_strlist_add(char ***list, size_t *n, const char *s);
void cfg_strlist_free(char **list, size_t n);
void cfg_set_str(char **field, const char *s);

/* Typed handlers (config_directives.c). */
int cfg_h_int(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_double(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_string(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_flag(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ignore(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_obsolete(struct cfg_ctx *c, char *args, const struct cfg_directive *d);

/* Directive-specific handlers (config_directives.c). */
int cfg_h_authselectmode(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_bindaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_bindacqaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_bindcmdaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_bindmetricsaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_broadcast(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_clientloglimit(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_driftfile(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_fallbackdrift(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_initstepslew(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_leapsecmode(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_log(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_mailonchange(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_makestep(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_maxchange(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ntsaeads(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ntsservercert(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ntsserverkey(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ntstrustedcerts(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_opencommands(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_pidfile(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_ratelimit(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_smoothtime(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_sourcedir(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_tempcomp(struct cfg_ctx *c, char *args, const struct cfg_directive *d);

/* Sources and other structured lines (config_sources.c). */
int cfg_h_source(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_refclock(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_allow(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_local(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
int cfg_h_hwtimestamp(struct cfg_ctx *c, char *args, const struct cfg_directive *d);
/* The refclocks' drivers and driver options (config_validate, as chrony checks them
 * when it adds the refclock): 0, or -1 with chrony's message in err. */
int cfg_check_refclocks(const struct config *cfg, char *err, size_t errlen);
/* Parse "ADDR[/BITS]", "all [ADDR...]", shorthand "1.2", a host name or nothing
 * (chrony's allow/deny syntax). Returns 1 and fills r (hostname malloc'd) or 0. */
int cfg_parse_allow_deny(char *args, struct access_rule *r);

/* Directive lookup (config.c); lines are normalised by scan_normalize_line (lib/scan). */
const struct cfg_directive *cfg_find_directive(const char *name);

/* include (config.c): read another file at depth + 1. */
int cfg_read_file(struct cfg_ctx *parent, const char *path);
/* confdir (config_dirs.c). */
int cfg_h_confdir(struct cfg_ctx *c, char *args, const struct cfg_directive *d);

/* Room for element n of an array that grows only through this function: doubles the
 * allocation when n is 0 or a power of two, so appending N lines costs O(N). */
void *cfg_grow(void *p, size_t n, size_t size);

#endif
