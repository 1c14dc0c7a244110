/* Parsers for lines with option lists: server/pool/peer (whose options are
 * parsed by proto/source_opts), refclock, allow/deny (and cmdallow/cmddeny),
 * local and hwtimestamp. Option values are scanned the way chrony's
 * sscanf("%d%n") loop does, so odd input fails the same way. */
#include "daemon/config_parse.h"

#include "lib/mem.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NTP_MAX_STRATUM 16

enum opt_status { OPT_OK, OPT_BAD_OPTION, OPT_BAD_VALUE };

/* server|pool|peer NAME [option]...: the options are proto/source_opts'. */
int cfg_h_source(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    struct source_cfg s;
    char *cur = args, *name;
    enum source_opts_status st;

    source_opts_defaults(&s);
    s.type = strcasecmp(d->name, "peer") == 0   ? CFG_SRC_PEER
             : strcasecmp(d->name, "pool") == 0 ? CFG_SRC_POOL
                                                : CFG_SRC_SERVER;
    name = cfg_word(&cur);
    if (!*name)
        return cfg_err_at(c, "Invalid %s %s directive", "syntax for", c->cmd);
    st = source_opts_parse(&s, cur);
    if (st != SOURCE_OPTS_OK)
        return cfg_err_at(c, "Invalid %s %s directive",
                          st == SOURCE_OPTS_BAD_OPTION ? "option in" : "value in", c->cmd);
    s.name = xstrdup(name);
    cfg->sources = cfg_grow(cfg->sources, cfg->n_sources, sizeof(*cfg->sources));
    cfg->sources[cfg->n_sources++] = s;
    return 0;
}

struct int_opt {
    const char *name;
    size_t off;
    int min, max;
};
struct dbl_opt {
    const char *name;
    size_t off;
};
/* An option setting a field of its own type (a refid, a flag). */
struct field_opt {
    const char *name;
    size_t off;
};

/* The options of a directive that set a number or a flag of its configuration. */
struct opt_table {
    const struct int_opt *ints;
    size_t n_ints;
    const struct dbl_opt *dbls;
    size_t n_dbls;
    const struct field_opt *flags;
    size_t n_flags;
};
#define OPT_TABLE(i, d, f)                                                                         \
    {                                                                                              \
        i, ARRAY_LEN(i), d, ARRAY_LEN(d), f, ARRAY_LEN(f)                                          \
    }

/* Option opt of table t set in the configuration at base (its value read from *cur):
 * returns 1 with *st OPT_OK or OPT_BAD_VALUE and *off the field's offset, 0 if opt is
 * none of the table's. */
static int table_option(const struct opt_table *t, void *base, const char *opt, char **cur,
                        enum opt_status *st, size_t *off)
{
    char *b = base;
    for (size_t i = 0; i < t->n_ints; i++) {
        const struct int_opt *o = &t->ints[i];
        if (strcasecmp(opt, o->name) == 0) {
            *off = o->off;
            *st = cfg_scan_int(cur, (int *)(b + o->off), o->min, o->max) ? OPT_OK : OPT_BAD_VALUE;
            return 1;
        }
    }
    for (size_t i = 0; i < t->n_dbls; i++) {
        if (strcasecmp(opt, t->dbls[i].name) == 0) {
            *off = t->dbls[i].off;
            *st = cfg_scan_double(cur, (double *)(b + *off)) ? OPT_OK : OPT_BAD_VALUE;
            return 1;
        }
    }
    for (size_t i = 0; i < t->n_flags; i++) {
        if (strcasecmp(opt, t->flags[i].name) == 0) {
            *off = t->flags[i].off;
            *(int *)(b + *off) = 1;
            *st = OPT_OK;
            return 1;
        }
    }
    return 0;
}

/* The option names are in tables marked "options of DIRECTIVE" (the only places they
 * are matched), which tests/directives/run.sh checks against options.tsv. */

#define ROFF(f) offsetof(struct refclock_cfg, f)
/* options of refclock */
static const struct int_opt refclock_int_opts[] = {
    {"poll", ROFF(poll), -32, 32},
    {"dpoll", ROFF(dpoll), -32, 32},
    {"filter", ROFF(filter_length), 0, INT_MAX},
    {"rate", ROFF(pps_rate), 1, INT_MAX},
    {"minsamples", ROFF(min_samples), 0, INT_MAX},
    {"maxlockage", ROFF(max_lock_age), 0, INT_MAX},
    {"maxsamples", ROFF(max_samples), 0, INT_MAX},
    {"maxunreach", ROFF(max_unreach), 0, INT_MAX},
    {"stratum", ROFF(stratum), 0, NTP_MAX_STRATUM - 1},
};
/* options of refclock */
static const struct dbl_opt refclock_dbl_opts[] = {
    {"offset", ROFF(offset)},       {"delay", ROFF(delay)},
    {"precision", ROFF(precision)}, {"maxdispersion", ROFF(max_dispersion)},
    {"width", ROFF(pulse_width)},
};

/* options of refclock */
static const struct field_opt refclock_refid_opts[] = {
    {"refid", ROFF(ref_id)},
    {"lock", ROFF(lock_ref_id)},
};
/* options of refclock */
static const struct field_opt refclock_flag_opts[] = {
    {"local", ROFF(local)},
    {"pps", ROFF(pps_forced)},
    {"tai", ROFF(tai)},
};

static enum opt_status refclock_option(struct refclock_cfg *r, const char *opt, char **cur)
{
    static const struct opt_table table =
        OPT_TABLE(refclock_int_opts, refclock_dbl_opts, refclock_flag_opts);
    char *base = (char *)r;
    enum opt_status st;
    size_t off;

    if (table_option(&table, r, opt, cur, &st, &off))
        return st;
    for (size_t i = 0; i < ARRAY_LEN(refclock_refid_opts); i++) {
        if (strcasecmp(opt, refclock_refid_opts[i].name) == 0)
            return cfg_scan_refid(cur, (uint32_t *)(base + refclock_refid_opts[i].off))
                       ? OPT_OK
                       : OPT_BAD_VALUE;
    }
    if (!source_opts_sel_word(opt))
        return OPT_BAD_OPTION;
    r->sel_options |= source_opts_sel_word(opt);
    return OPT_OK;
}

/* The drivers this build has (SHM, SOCK, PPS, PHC, RTC) and their options after the
 * parameter (PARAMETER:OPTION[=VALUE]:...), as chrony's drivers check them. chrony does
 * this when it adds the refclock at start, not while parsing (so `chronyd -p` accepts
 * an unknown driver): config_validate calls it, and its messages name no line. */
static int refclock_check_driver(const struct refclock_cfg *r, char *err, size_t errlen)
{
    /* options of refclock:SHM */
    static const char *const shm_opts[] = {"perm", NULL};
    static const char *const sock_opts[] = {NULL};
    /* options of refclock:PPS */
    static const char *const pps_opts[] = {"clear", NULL};
    /* options of refclock:PHC */
    static const char *const phc_opts[] = {"nocrossts", "extpps", "pin", "channel", "clear", NULL};
    /* options of refclock:RTC */
    static const char *const rtc_opts[] = {"utc", NULL};
    /* options of refclock */
    static const struct {
        const char *name;
        const char *const *opts;
    } drivers[] = {
        {"RTC", rtc_opts}, {"SHM", shm_opts}, {"SOCK", sock_opts},
        {"PPS", pps_opts}, {"PHC", phc_opts},
    };
    const char *opt = strchr(r->param, ':');
    const char *const *opts = NULL;

    for (size_t i = 0; i < ARRAY_LEN(drivers); i++)
        if (strcmp(r->driver, drivers[i].name) == 0)
            opts = drivers[i].opts;
    if (!opts) {
        snprintf(err, errlen, "unknown refclock driver %s", r->driver);
        return -1;
    }
    while (opt) {
        const char *o = opt + 1, *end = strchr(o, ':');
        size_t len = end ? (size_t)(end - o) : strlen(o), name = strcspn(o, "=:");
        int known = 0;
        for (size_t i = 0; opts[i]; i++)
            known |= strlen(opts[i]) == name && strncmp(o, opts[i], name) == 0;
        if (!known) {
            snprintf(err, errlen, "Invalid refclock driver option %.*s", (int)len, o);
            return -1;
        }
        opt = end;
    }
    return 0;
}

int cfg_check_refclocks(const struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_refclocks; i++)
        if (refclock_check_driver(&cfg->refclocks[i], err, errlen) < 0)
            return -1;
    return 0;
}

/* chrony.conf(5): at most one refclock may be the local standard (two would both
 * steer the clock). */
static int refclock_check_local(struct cfg_ctx *c, const struct refclock_cfg *r)
{
    for (size_t i = 0; r->local && i < c->cfg->n_refclocks; i++)
        if (c->cfg->refclocks[i].local)
            return cfg_err_at(c, "refclock option %s may be given to one refclock only", "local");
    return 0;
}

/* refclock DRIVER PARAMETER [option]... */
int cfg_h_refclock(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    struct refclock_cfg r;
    char *cur = args, *driver, *param;

    memset(&r, 0, sizeof(r));
    r.poll = 4;
    r.filter_length = 64;
    r.min_samples = -1;
    r.max_samples = -1;
    r.delay = 1e-9;
    r.max_lock_age = 2;
    r.max_unreach = 100000;
    driver = cfg_word(&cur);
    if (!*driver || !*cur)
        return cfg_err_parse(c);
    param = cfg_word(&cur);
    while (*cur) {
        char *opt = cfg_word(&cur);
        enum opt_status st = refclock_option(&r, opt, &cur);
        if (st != OPT_OK)
            return cfg_err_at(c, "Invalid %s %s directive",
                              st == OPT_BAD_OPTION ? "option in" : "value in", c->cmd);
    }
    if (refclock_check_local(c, &r) < 0)
        return -1;
    r.driver = xstrdup(driver);
    r.param = xstrdup(param);
    cfg->refclocks = xrealloc(cfg->refclocks, (cfg->n_refclocks + 1) * sizeof(*cfg->refclocks));
    cfg->refclocks[cfg->n_refclocks++] = r;
    return 0;
}

/* A name that could be looked up: not only digits and dots, no ':' or '/'. */
static int plausible_hostname(const char *s)
{
    int has_other = 0;
    if (strpbrk(s, ":/"))
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            has_other = 1;
    return has_other;
}

/* The shortened IPv4 network of allow/deny: one to three numbers separated by dots,
 * each read as sscanf("%u") reads it (a sign is allowed, a larger value keeps its low
 * 32 bits, so "4294967296" is 0) and then at most 255. 1 with *n numbers, 0 if net
 * is not of this form, -1 if a number is larger than 255. */
static int parse_short_v4(char *net, struct ip_addr *ip, int *n)
{
    uint32_t v[3] = {0, 0, 0};
    char *p = net;
    int k = 0;

    while (k < 3) {
        char *q = k > 0 ? p + 1 : p;
        if ((k > 0 && *p != '.') || !cfg_scan_u32(&q, &v[k], 10))
            break;
        p = q;
        k++;
    }
    if (k == 0 || *p)
        return 0;
    /* Numbers too large refuse the line (no host name lookup then: "-1"). */
    if (v[0] > 255 || v[1] > 255 || v[2] > 255)
        return -1;
    memset(ip, 0, sizeof(*ip));
    ip->family = IPF_INET4;
    for (int i = 0; i < 3; i++)
        ip->a[i] = (uint8_t)v[i];
    *n = k;
    return 1;
}

static int parse_subnet(char *net, struct access_rule *r)
{
    char *slash = strchr(net, '/');
    int bits = -1, n, k;

    if (slash) {
        char *p = slash + 1;
        if (!cfg_scan_int(&p, &bits, 0, INT_MAX) || *p)
            return 0;
        *slash = '\0';
    }
    if (ip_addr_parse(&r->ip, net)) {
        r->bits = bits >= 0 ? bits : ip_addr_bits(r->ip.family);
        return 1;
    }
    /* chrony's shortened IPv4 network ("10", "192.168", "1.2.3"): 8 bits per number. */
    k = parse_short_v4(net, &r->ip, &n);
    if (k < 0)
        return 0;
    if (k > 0) {
        r->bits = bits >= 0 ? bits : 8 * n;
        return 1;
    }
    /* A host name is resolved by the daemon; a prefix length is not allowed with it. */
    if (bits < 0 && plausible_hostname(net)) {
        r->hostname = xstrdup(net);
        r->bits = -1;
        return 1;
    }
    return 0;
}

/* options of allow deny cmdallow cmddeny metricsallow metricsdeny */
static const char *const allow_opts[] = {"all"};

int cfg_parse_allow_deny(char *args, struct access_rule *r)
{
    char *cur = args, *first, *net;

    memset(r, 0, sizeof(*r));
    first = cfg_word(&cur);
    /* "all" is matched case-sensitively, as in chrony. */
    if (strcmp(first, allow_opts[0]) == 0) {
        r->all = 1;
        net = cfg_word(&cur);
    } else {
        net = first;
    }
    if (*cur)
        return 0;
    if (!*net) {
        r->ip.family = IPF_UNSPEC;
        r->bits = 0;
        return 1;
    }
    return parse_subnet(net, r);
}

/* allow, deny, cmdallow, cmddeny, and our metricsallow, metricsdeny */
int cfg_h_allow(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    int cmd = strncasecmp(d->name, "cmd", 3) == 0;
    int metrics = strncasecmp(d->name, "metrics", 7) == 0;
    struct access_rule r, **list = metrics ? &cfg->metrics_rules
                                   : cmd   ? &cfg->cmd_rules
                                           : &cfg->ntp_rules;
    size_t *n = metrics ? &cfg->n_metrics_rules : cmd ? &cfg->n_cmd_rules : &cfg->n_ntp_rules;

    if (!cfg_parse_allow_deny(args, &r))
        return cfg_err_parse(c);
    r.allow = strcasecmp(d->name + (metrics ? 7 : cmd ? 3 : 0), "allow") == 0;
    if (r.hostname && cfg->resolve_host) {
        /* chrony: the name's first address, as a full-length prefix, or a parse error */
        int ok = cfg->resolve_host(r.hostname, &r.ip) == 0 &&
                 (r.ip.family == IPF_INET4 || r.ip.family == IPF_INET6);
        free(r.hostname);
        r.hostname = NULL;
        if (!ok)
            return cfg_err_parse(c);
        r.bits = ip_addr_bits(r.ip.family);
    }
    if (r.hostname) {
        char msg[512];
        struct cfg_ctx at = *c;
        at.err = msg;
        at.errlen = sizeof(msg);
        cfg_err_parse(&at);
        r.resolve_error = xstrdup(msg);
    }
    *list = cfg_grow(*list, *n, sizeof(**list));
    (*list)[(*n)++] = r;
    return 0;
}

#define LOFF(f) offsetof(struct local_cfg, f)
/* options of local */
static const struct int_opt local_int_opts[] = {
    {"stratum", LOFF(stratum), 1, NTP_MAX_STRATUM - 1},
};
/* options of local */
static const struct dbl_opt local_dbl_opts[] = {
    {"distance", LOFF(distance)},
    {"activate", LOFF(activate)},
    {"waitsynced", LOFF(wait_synced)},
    {"waitunsynced", LOFF(wait_unsynced)},
};
/* options of local */
static const struct field_opt local_flag_opts[] = {
    {"orphan", LOFF(orphan)},
};

static enum opt_status local_option(struct local_cfg *l, const char *opt, char **cur)
{
    static const struct opt_table table =
        OPT_TABLE(local_int_opts, local_dbl_opts, local_flag_opts);
    enum opt_status st;
    size_t off;

    return table_option(&table, l, opt, cur, &st, &off) ? st : OPT_BAD_OPTION;
}

/* local [stratum N] [orphan] [distance D] [activate D] [waitsynced S] [waitunsynced S] */
int cfg_h_local(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    char *cur = args;
    enum opt_status st = OPT_OK;

    cfg->local.stratum = 10;
    cfg->local.orphan = 0;
    cfg->local.distance = 1.0;
    cfg->local.activate = 0.0;
    cfg->local.wait_synced = 0.0;
    cfg->local.wait_unsynced = -1.0;
    cfg->local.enabled = 1;
    while (*cur && st == OPT_OK)
        st = local_option(&cfg->local, cfg_word(&cur), &cur);
    if (st != OPT_OK)
        return cfg_err_at(c, "Invalid %s %s directive",
                          st == OPT_BAD_OPTION ? "option in" : "value in", c->cmd);
    /* Orphan mode waits 300 s for unsynchronised sources by default. */
    if (cfg->local.wait_unsynced < 0.0)
        cfg->local.wait_unsynced = cfg->local.orphan ? 300.0 : 0.0;
    return 0;
}

#define HOFF(f) offsetof(struct hwts_cfg, f)
/* options of hwtimestamp */
static const struct int_opt hwts_int_opts[] = {
    {"maxsamples", HOFF(max_samples), 0, INT_MAX},
    {"minsamples", HOFF(min_samples), 0, INT_MAX},
    {"minpoll", HOFF(minpoll), -32, 32},
    {"maxpoll", HOFF(maxpoll), -32, 32},
};
/* options of hwtimestamp */
static const struct dbl_opt hwts_dbl_opts[] = {
    {"precision", HOFF(precision)},
    {"rxcomp", HOFF(rx_comp)},
    {"txcomp", HOFF(tx_comp)},
};
/* options of hwtimestamp */
static const struct field_opt hwts_flag_opts[] = {
    {"nocrossts", HOFF(nocrossts)},
};
/* options of hwtimestamp */
static const char *const hwts_word_opts[] = {"rxfilter"};

static int hwts_option(struct hwts_cfg *h, const char *opt, char **cur, int *maxpoll_set)
{
    /* "any" is only the default; the directive accepts none/ntp/ptp/all. */
    /* options of hwtimestamp:rxfilter */
    static const char *const filters[] = {"none", "ntp", "ptp", "all"};
    static const struct opt_table table = OPT_TABLE(hwts_int_opts, hwts_dbl_opts, hwts_flag_opts);
    enum opt_status st;
    size_t off;

    if (table_option(&table, h, opt, cur, &st, &off)) {
        *maxpoll_set |= off == HOFF(maxpoll);
        return st == OPT_OK;
    }
    if (strcasecmp(opt, hwts_word_opts[0]) == 0) {
        char *w = cfg_word(cur);
        for (size_t i = 0; i < ARRAY_LEN(filters); i++) {
            if (strcasecmp(w, filters[i]) == 0) {
                h->rxfilter = (enum cfg_hwts_rxfilter)(i + 1);
                return 1;
            }
        }
    }
    return 0;
}

/* hwtimestamp INTERFACE [option]... */
int cfg_h_hwtimestamp(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    struct hwts_cfg h;
    char *cur = args, *name;
    int maxpoll_set = 0;

    memset(&h, 0, sizeof(h));
    h.min_samples = 2;
    h.max_samples = 16;
    h.precision = 100e-9;
    h.rxfilter = CFG_HWTS_RXFILTER_ANY;
    name = cfg_word(&cur);
    if (!*name)
        return cfg_err_parse(c);
    while (*cur) {
        char *opt = cfg_word(&cur);
        if (!hwts_option(&h, opt, &cur, &maxpoll_set))
            return cfg_err_parse(c);
    }
    if (!maxpoll_set)
        h.maxpoll = h.minpoll + 1;
    h.name = xstrdup(name);
    cfg->hwts = xrealloc(cfg->hwts, (cfg->n_hwts + 1) * sizeof(*cfg->hwts));
    cfg->hwts[cfg->n_hwts++] = h;
    return 0;
}
