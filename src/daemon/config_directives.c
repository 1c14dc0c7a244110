/* Handlers for directives with their own syntax (everything except sources,
 * refclocks, allow/deny, local and hwtimestamp, which are in config_sources.c). */
#include "daemon/config_parse.h"

#include "lib/mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The option and keyword names are in tables marked "options of DIRECTIVE" (the only
 * places they are matched), which tests/directives/run.sh checks against options.tsv. */

int cfg_h_authselectmode(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of authselectmode */
    static const char *const names[] = {"require", "prefer", "mix", "ignore"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcasecmp(args, names[i]) == 0) {
            c->cfg->authselectmode = (enum cfg_authselect_mode)i;
            return 0;
        }
    }
    return cfg_err_parse(c);
}

int cfg_h_leapsecmode(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of leapsecmode */
    static const char *const names[] = {"system", "slew", "step", "ignore"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcasecmp(args, names[i]) == 0) {
            c->cfg->leapsecmode = (enum cfg_leapsec_mode)i;
            return 0;
        }
    }
    return cfg_err_parse(c);
}

/* One address per family; a later line for the same family replaces the earlier. */
static int parse_bind(struct cfg_ctx *c, char *args, struct ip_addr *v4, struct ip_addr *v6)
{
    struct ip_addr ip;
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    if (!ip_addr_parse(&ip, args))
        return cfg_err_parse(c);
    if (ip.family == IPF_INET4)
        *v4 = ip;
    else
        *v6 = ip;
    return 0;
}

int cfg_h_bindaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    return parse_bind(c, args, &c->cfg->bind_addr4, &c->cfg->bind_addr6);
}

int cfg_h_bindacqaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    return parse_bind(c, args, &c->cfg->bind_acq_addr4, &c->cfg->bind_acq_addr6);
}

/* An argument starting with '/' is the Unix socket path; "/" alone disables it. */
int cfg_h_bindcmdaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    if (args[0] == '/') {
        cfg_set_str(&c->cfg->bindcmd_path, strcmp(args, "/") == 0 ? NULL : args);
        return 0;
    }
    return parse_bind(c, args, &c->cfg->bindcmd_addr4, &c->cfg->bindcmd_addr6);
}

/* bindmetricsaddress ADDRESS (ours): the metrics endpoint's listening address. */
int cfg_h_bindmetricsaddress(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    return parse_bind(c, args, &c->cfg->bindmetrics_addr4, &c->cfg->bindmetrics_addr6);
}

/* broadcast INTERVAL ADDRESS [PORT] */
int cfg_h_broadcast(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct broadcast_cfg b;
    char *cur = args, *w;

    memset(&b, 0, sizeof(b));
    w = cfg_word(&cur);
    if (!cfg_scan_int(&w, &b.interval, INT_MIN, INT_MAX))
        return cfg_err_parse(c);
    w = cfg_word(&cur);
    if (!ip_addr_parse(&b.ip, w))
        return cfg_err_parse(c);
    w = cfg_word(&cur);
    b.port = 123;
    if (*w && (!cfg_scan_int(&w, &b.port, INT_MIN, INT_MAX) || *cur))
        return cfg_err_parse(c);
    c->cfg->broadcasts =
        xrealloc(c->cfg->broadcasts, (c->cfg->n_broadcasts + 1) * sizeof(*c->cfg->broadcasts));
    c->cfg->broadcasts[c->cfg->n_broadcasts++] = b;
    return 0;
}

int cfg_h_clientloglimit(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *end;
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    if (!(args[0] >= '0' && args[0] <= '9') && args[0] != '-' && args[0] != '+')
        return cfg_err_parse(c);
    c->cfg->clientloglimit = strtoul(args, &end, 10);
    if (end == args)
        return cfg_err_parse(c);
    return 0;
}

/* driftfile FILE [interval SECONDS] */
int cfg_h_driftfile(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of driftfile */
    static const char *const opts[] = {"interval"};
    char *cur = args, *path, *opt, *val;
    int interval = c->cfg->driftfile_interval;

    path = cfg_word(&cur);
    opt = cfg_word(&cur);
    val = cfg_word(&cur);
    if (!*path)
        return cfg_err_parse(c);
    if (*opt &&
        (strcasecmp(opt, opts[0]) != 0 || !cfg_scan_int(&val, &interval, INT_MIN, INT_MAX) || *cur))
        return cfg_err_parse(c);
    c->cfg->driftfile_interval = interval;
    cfg_set_str(&c->cfg->driftfile, path);
    return 0;
}

int cfg_h_fallbackdrift(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *cur = args;
    int lo, hi;
    if (cfg_check_nargs(c, args, 2) < 0)
        return -1;
    if (!cfg_scan_int(&cur, &lo, INT_MIN, INT_MAX) || !cfg_scan_int(&cur, &hi, INT_MIN, INT_MAX))
        return cfg_err_parse(c);
    c->cfg->fallbackdrift_min = lo;
    c->cfg->fallbackdrift_max = hi;
    return 0;
}

/* initstepslew THRESHOLD HOST...: ignored after a restart (-R). Host names are kept
 * for the daemon to resolve at start. */
int cfg_h_initstepslew(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    char *cur = args, *w;

    if (cfg->restarted)
        return 0;
    cfg_strlist_free(cfg->initstepslew_hosts, cfg->n_initstepslew_hosts);
    cfg->initstepslew_hosts = NULL;
    cfg->n_initstepslew_hosts = 0;
    w = cfg_word(&cur);
    if (!cfg_scan_double(&w, &cfg->initstepslew_threshold))
        return cfg_err_parse(c);
    while (*cur) {
        w = cfg_word(&cur);
        cfg_strlist_add(&cfg->initstepslew_hosts, &cfg->n_initstepslew_hosts, w);
    }
    cfg->initstepslew_enabled = 1;
    return 0;
}

int cfg_h_log(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of log */
    static const struct {
        const char *name;
        unsigned flags;
    } opts[] = {
        {"rawmeasurements", CFG_LOG_RAWMEASUREMENTS | CFG_LOG_MEASUREMENTS},
        {"measurements", CFG_LOG_MEASUREMENTS},
        {"selection", CFG_LOG_SELECTION},
        {"statistics", CFG_LOG_STATISTICS},
        {"tracking", CFG_LOG_TRACKING},
        {"rtc", CFG_LOG_RTC},
        {"refclocks", CFG_LOG_REFCLOCKS},
        {"tempcomp", CFG_LOG_TEMPCOMP},
    };
    char *cur = args;
    while (*cur) {
        char *w = cfg_word(&cur);
        size_t i;
        /* chrony compares these names case-sensitively. */
        for (i = 0; i < ARRAY_LEN(opts) && strcmp(w, opts[i].name) != 0; i++)
            ;
        if (i == ARRAY_LEN(opts))
            return cfg_err_at(c, "Invalid log parameter");
        c->cfg->log_flags |= opts[i].flags;
    }
    return 0;
}

int cfg_h_mailonchange(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *cur = args, *addr;
    if (cfg_check_nargs(c, args, 2) < 0)
        return -1;
    addr = cfg_word(&cur);
    cfg_set_str(&c->cfg->mailonchange_user, NULL);
    if (!cfg_scan_double(&cur, &c->cfg->mailonchange_threshold))
        return cfg_err_parse(c);
    cfg_set_str(&c->cfg->mailonchange_user, addr);
    return 0;
}

int cfg_h_makestep(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *cur = args;
    double threshold;
    int limit;
    if (cfg_check_nargs(c, args, 2) < 0)
        return -1;
    if (!cfg_scan_double(&cur, &threshold) || !cfg_scan_int(&cur, &limit, INT_MIN, INT_MAX)) {
        c->cfg->makestep_limit = 0;
        return cfg_err_parse(c);
    }
    c->cfg->makestep_threshold = threshold;
    /* A restarted daemon (-R) must not step again for the first updates. */
    c->cfg->makestep_limit = c->cfg->restarted && limit > 0 ? 0 : limit;
    return 0;
}

int cfg_h_maxchange(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *cur = args;
    double offset;
    int delay, ignore;
    if (cfg_check_nargs(c, args, 3) < 0)
        return -1;
    if (!cfg_scan_double(&cur, &offset) || !cfg_scan_int(&cur, &delay, INT_MIN, INT_MAX) ||
        !cfg_scan_int(&cur, &ignore, INT_MIN, INT_MAX)) {
        c->cfg->maxchange_delay = -1;
        return cfg_err_parse(c);
    }
    c->cfg->maxchange_offset = offset;
    c->cfg->maxchange_delay = delay;
    c->cfg->maxchange_ignore = ignore;
    return 0;
}

/* ntsaeads ID...: replaces the list; each ID parsed like an int directive. */
int cfg_h_ntsaeads(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    char *cur = args;
    cfg->n_nts_aeads = 0;
    while (*cur) {
        char *w = cfg_word(&cur);
        int v;
        if (cfg_parse_int_arg(c, w, 0, INT_MAX, &v) < 0)
            return -1;
        cfg->nts_aeads = xrealloc(cfg->nts_aeads, (cfg->n_nts_aeads + 1) * sizeof(int));
        cfg->nts_aeads[cfg->n_nts_aeads++] = v;
    }
    return 0;
}

int cfg_h_ntsservercert(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    cfg_strlist_add(&c->cfg->nts_server_certs, &c->cfg->n_nts_server_certs, args);
    return 0;
}

int cfg_h_ntsserverkey(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    cfg_strlist_add(&c->cfg->nts_server_keys, &c->cfg->n_nts_server_keys, args);
    return 0;
}

/* ntstrustedcerts [SET-ID] FILE|DIRECTORY */
int cfg_h_ntstrustedcerts(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    char *cur = args, *path = args;
    uint32_t id = 0;

    if (cfg_count_args(args) == 2) {
        char *w = cfg_word(&cur);
        path = cur;
        if (!cfg_scan_u32(&w, &id, 10))
            return cfg_err_parse(c);
    } else if (cfg_check_nargs(c, args, 1) < 0) {
        return -1;
    }
    cfg->nts_trusted_cert_ids =
        xrealloc(cfg->nts_trusted_cert_ids, (cfg->n_nts_trusted_certs + 1) * sizeof(uint32_t));
    cfg->nts_trusted_cert_ids[cfg->n_nts_trusted_certs] = id;
    cfg_strlist_add(&cfg->nts_trusted_certs, &cfg->n_nts_trusted_certs, path);
    return 0;
}

int cfg_h_opencommands(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of opencommands */
    static const struct {
        const char *name;
        unsigned bit;
    } cmds[] = {
        {"activity", CFG_OPEN_ACTIVITY},     {"authdata", CFG_OPEN_AUTHDATA},
        {"clients", CFG_OPEN_CLIENTS},       {"manual", CFG_OPEN_MANUAL},
        {"ntpdata", CFG_OPEN_NTPDATA},       {"rtcdata", CFG_OPEN_RTCDATA},
        {"selectdata", CFG_OPEN_SELECTDATA}, {"serverstats", CFG_OPEN_SERVERSTATS},
        {"smoothing", CFG_OPEN_SMOOTHING},   {"sourcename", CFG_OPEN_SOURCENAME},
        {"sources", CFG_OPEN_SOURCES},       {"sourcestats", CFG_OPEN_SOURCESTATS},
        {"tracking", CFG_OPEN_TRACKING},
    };
    char *cur = args;
    c->cfg->open_commands = 0;
    while (*cur) {
        char *w = cfg_word(&cur);
        size_t i;
        for (i = 0; i < ARRAY_LEN(cmds) && strcasecmp(w, cmds[i].name) != 0; i++)
            ;
        if (i == ARRAY_LEN(cmds))
            return cfg_err_parse(c);
        c->cfg->open_commands |= cmds[i].bit;
    }
    return 0;
}

int cfg_h_pidfile(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    /* "/" disables the PID file. */
    cfg_set_str(&c->cfg->pidfile, strcmp(args, "/") == 0 ? NULL : args);
    return 0;
}

/* ratelimit/cmdratelimit/ntsratelimit [interval N] [burst N] [leak N] (+ kod N for
 * ratelimit); every value must be in -32..32, the limiter clamps further. */
int cfg_h_ratelimit(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct ratelimit_cfg *rl = strcasecmp(c->cmd, "cmdratelimit") == 0   ? &c->cfg->cmdratelimit
                               : strcasecmp(c->cmd, "ntsratelimit") == 0 ? &c->cfg->ntsratelimit
                                                                         : &c->cfg->ratelimit;
    /* options of ratelimit cmdratelimit ntsratelimit */
    static const char *const opts[] = {"interval", "burst", "leak"};
    /* options of ratelimit */
    static const char *const kod_opts[] = {"kod"};
    int allow_kod = rl == &c->cfg->ratelimit;
    char *cur = args;

    rl->enabled = 1;
    while (*cur) {
        char *opt = cfg_word(&cur);
        int v;
        if (!cfg_scan_int(&cur, &v, -32, 32))
            return cfg_err_parse(c);
        if (strcasecmp(opt, opts[0]) == 0)
            rl->interval = v;
        else if (strcasecmp(opt, opts[1]) == 0)
            rl->burst = v;
        else if (strcasecmp(opt, opts[2]) == 0)
            rl->leak = v;
        else if (strcasecmp(opt, kod_opts[0]) == 0 && allow_kod)
            rl->kod = v;
        else
            return cfg_err_parse(c);
    }
    return 0;
}

/* smoothtime MAX-FREQ MAX-WANDER [leaponly] */
int cfg_h_smoothtime(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    /* options of smoothtime */
    static const char *const opts[] = {"leaponly"};
    char *cur = args;
    double freq, wander;
    if (cfg_count_args(args) != 3 && cfg_check_nargs(c, args, 2) < 0)
        return -1;
    if (!cfg_scan_double(&cur, &freq) || !cfg_scan_double(&cur, &wander)) {
        c->cfg->smooth_max_freq = 0.0;
        return cfg_err_parse(c);
    }
    c->cfg->smooth_max_freq = freq;
    c->cfg->smooth_max_wander = wander;
    c->cfg->smooth_leap_only = 0;
    cur = args;
    cfg_word(&cur);
    cfg_word(&cur);
    if (*cur) {
        if (strcasecmp(cur, opts[0]) != 0)
            return cfg_err_parse(c);
        c->cfg->smooth_leap_only = 1;
    }
    return 0;
}

int cfg_h_sourcedir(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    cfg_strlist_add(&c->cfg->source_dirs, &c->cfg->n_source_dirs, args);
    return 0;
}

/* tempcomp FILE INTERVAL T0 K0 K1 K2  or  tempcomp FILE INTERVAL POINTS-FILE */
int cfg_h_tempcomp(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    struct config *cfg = c->cfg;
    int point_form = cfg_count_args(args) == 3;
    char *cur = args, *sensor;

    if (!point_form && cfg_check_nargs(c, args, 6) < 0)
        return -1;
    sensor = cfg_word(&cur);
    if (!*sensor)
        return cfg_err_parse(c);
    cfg_set_str(&cfg->tempcomp_point_file, NULL);
    if (point_form) {
        char *interval = cur;
        cfg_word(&cur); /* the point file is the word after the interval */
        if (!cfg_scan_double(&interval, &cfg->tempcomp_interval))
            return cfg_err_parse(c);
        cfg_set_str(&cfg->tempcomp_point_file, cur);
    } else {
        double *v[] = {&cfg->tempcomp_interval, &cfg->tempcomp_t0, &cfg->tempcomp_k0,
                       &cfg->tempcomp_k1, &cfg->tempcomp_k2};
        for (size_t i = 0; i < ARRAY_LEN(v); i++)
            if (!cfg_scan_double(&cur, v[i]))
                return cfg_err_parse(c);
    }
    cfg_set_str(&cfg->tempcomp_sensor, sensor);
    return 0;
}
