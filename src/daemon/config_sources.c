/* Parsers for lines with option lists: server/pool/peer (whose options are
 * parsed by proto/source_opts), refclock, allow/deny (and cmdallow/cmddeny),
 * local and hwtimestamp. Option values are scanned the way chrony's
 * sscanf("%d%n") loop does, so odd input fails the same way. */
#include "daemon/config_parse.h"

#include "lib/mem.h"

#include <ctype.h>
#include <limits.h>
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

#define ROFF(f) offsetof(struct refclock_cfg, f)
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
static const struct dbl_opt refclock_dbl_opts[] = {
    {"offset", ROFF(offset)},       {"delay", ROFF(delay)},
    {"precision", ROFF(precision)}, {"maxdispersion", ROFF(max_dispersion)},
    {"width", ROFF(pulse_width)},
};

static enum opt_status refclock_option(struct refclock_cfg *r, const char *opt, char **cur)
{
    char *base = (char *)r;
    for (size_t i = 0; i < ARRAY_LEN(refclock_int_opts); i++) {
        const struct int_opt *o = &refclock_int_opts[i];
        if (strcasecmp(opt, o->name) == 0)
            return cfg_scan_int(cur, (int *)(base + o->off), o->min, o->max) ? OPT_OK
                                                                             : OPT_BAD_VALUE;
    }
    for (size_t i = 0; i < ARRAY_LEN(refclock_dbl_opts); i++) {
        if (strcasecmp(opt, refclock_dbl_opts[i].name) == 0)
            return cfg_scan_double(cur, (double *)(base + refclock_dbl_opts[i].off))
                       ? OPT_OK
                       : OPT_BAD_VALUE;
    }
    if (strcasecmp(opt, "refid") == 0)
        return cfg_scan_refid(cur, &r->ref_id) ? OPT_OK : OPT_BAD_VALUE;
    if (strcasecmp(opt, "lock") == 0)
        return cfg_scan_refid(cur, &r->lock_ref_id) ? OPT_OK : OPT_BAD_VALUE;
    if (strcasecmp(opt, "local") == 0)
        r->local = 1;
    else if (strcasecmp(opt, "pps") == 0)
        r->pps_forced = 1;
    else if (strcasecmp(opt, "tai") == 0)
        r->tai = 1;
    else if (source_opts_sel_word(opt))
        r->sel_options |= source_opts_sel_word(opt);
    else
        return OPT_BAD_OPTION;
    return OPT_OK;
}

/* The drivers this build has (SHM, SOCK, PPS, PHC, RTC) and their options after the
 * parameter (PARAMETER:OPTION[=VALUE]:...), as chrony's drivers check them. */
static int refclock_check(struct cfg_ctx *c, const struct refclock_cfg *r, const char *driver,
                          const char *param)
{
    static const char *const shm_opts[] = {"perm", NULL};
    static const char *const sock_opts[] = {NULL};
    static const char *const pps_opts[] = {"clear", NULL};
    static const char *const phc_opts[] = {"nocrossts", "extpps", "pin", "channel", "clear", NULL};
    static const char *const rtc_opts[] = {"utc", NULL};
    const char *opt = strchr(param, ':');
    const char *const *opts;

    if (strcmp(driver, "RTC") == 0)
        opts = rtc_opts;
    else if (strcmp(driver, "SHM") == 0)
        opts = shm_opts;
    else if (strcmp(driver, "SOCK") == 0)
        opts = sock_opts;
    else if (strcmp(driver, "PPS") == 0)
        opts = pps_opts;
    else if (strcmp(driver, "PHC") == 0)
        opts = phc_opts;
    else
        return cfg_err_at(c, "unknown refclock driver %s", driver);
    while (opt) {
        const char *o = opt + 1, *end = strchr(o, ':');
        size_t len = end ? (size_t)(end - o) : strlen(o), name = strcspn(o, "=:");
        int known = 0;
        for (size_t i = 0; opts[i]; i++)
            known |= strlen(opts[i]) == name && strncmp(o, opts[i], name) == 0;
        if (!known)
            return cfg_err_at(c, "Invalid refclock driver option %.*s", (int)len, o);
        opt = end;
    }
    /* chrony.conf(5): at most one refclock may be the local standard (two would both
     * steer the clock). */
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
    if (refclock_check(c, &r, driver, param) < 0)
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

static int parse_subnet(char *net, struct access_rule *r)
{
    char *slash = strchr(net, '/');
    int bits = -1, n;

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
    if (ip_addr_parse_v4_octets(&r->ip, &n, net, 3)) {
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

int cfg_parse_allow_deny(char *args, struct access_rule *r)
{
    char *cur = args, *first, *net;

    memset(r, 0, sizeof(*r));
    first = cfg_word(&cur);
    /* "all" is matched case-sensitively, as in chrony. */
    if (strcmp(first, "all") == 0) {
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

/* local [stratum N] [orphan] [distance D] [activate D] [waitsynced S] [waitunsynced S] */
int cfg_h_local(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    char *cur = args;
    int ok = 1;

    cfg->local.stratum = 10;
    cfg->local.orphan = 0;
    cfg->local.distance = 1.0;
    cfg->local.activate = 0.0;
    cfg->local.wait_synced = 0.0;
    cfg->local.wait_unsynced = -1.0;
    cfg->local.enabled = 1;
    while (*cur && ok) {
        char *opt = cfg_word(&cur);
        if (strcasecmp(opt, "stratum") == 0)
            ok = cfg_scan_int(&cur, &cfg->local.stratum, 1, NTP_MAX_STRATUM - 1);
        else if (strcasecmp(opt, "orphan") == 0)
            cfg->local.orphan = 1;
        else if (strcasecmp(opt, "distance") == 0)
            ok = cfg_scan_double(&cur, &cfg->local.distance);
        else if (strcasecmp(opt, "activate") == 0)
            ok = cfg_scan_double(&cur, &cfg->local.activate);
        else if (strcasecmp(opt, "waitsynced") == 0)
            ok = cfg_scan_double(&cur, &cfg->local.wait_synced);
        else if (strcasecmp(opt, "waitunsynced") == 0)
            ok = cfg_scan_double(&cur, &cfg->local.wait_unsynced);
        else
            return cfg_err_at(c, "Invalid %s %s directive", "option in", c->cmd);
    }
    if (!ok)
        return cfg_err_at(c, "Invalid %s %s directive", "value in", c->cmd);
    /* Orphan mode waits 300 s for unsynchronised sources by default. */
    if (cfg->local.wait_unsynced < 0.0)
        cfg->local.wait_unsynced = cfg->local.orphan ? 300.0 : 0.0;
    return 0;
}

static int hwts_option(struct hwts_cfg *h, const char *opt, char **cur, int *maxpoll_set)
{
    static const char *const filters[] = {"any", "none", "ntp", "ptp", "all"};
    if (strcasecmp(opt, "maxsamples") == 0)
        return cfg_scan_int(cur, &h->max_samples, 0, INT_MAX);
    if (strcasecmp(opt, "minsamples") == 0)
        return cfg_scan_int(cur, &h->min_samples, 0, INT_MAX);
    if (strcasecmp(opt, "minpoll") == 0)
        return cfg_scan_int(cur, &h->minpoll, -32, 32);
    if (strcasecmp(opt, "maxpoll") == 0)
        return *maxpoll_set = 1, cfg_scan_int(cur, &h->maxpoll, -32, 32);
    if (strcasecmp(opt, "precision") == 0)
        return cfg_scan_double(cur, &h->precision);
    if (strcasecmp(opt, "rxcomp") == 0)
        return cfg_scan_double(cur, &h->rx_comp);
    if (strcasecmp(opt, "txcomp") == 0)
        return cfg_scan_double(cur, &h->tx_comp);
    if (strcasecmp(opt, "nocrossts") == 0)
        return h->nocrossts = 1;
    if (strcasecmp(opt, "rxfilter") == 0) {
        char *w = cfg_word(cur);
        /* "any" is only the default; the directive accepts none/ntp/ptp/all. */
        for (size_t i = 1; i < ARRAY_LEN(filters); i++) {
            if (strcasecmp(w, filters[i]) == 0) {
                h->rxfilter = (enum cfg_hwts_rxfilter)i;
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
