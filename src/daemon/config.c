/* chrony.conf reader: line normalisation, the directive table, include/confdir,
 * defaults and the `chronyd -p` text. */
#include "daemon/config.h"

#include "daemon/config_parse.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef CHRONY_RUNDIR
#define CHRONY_RUNDIR "/run/chrony"
#endif

#define OFF(f) offsetof(struct config, f)
#define INT_DIR(n, f, lo, hi)                                                                      \
    {                                                                                              \
        n, cfg_h_int, OFF(f), lo, hi                                                               \
    }
#define DBL_DIR(n, f)                                                                              \
    {                                                                                              \
        n, cfg_h_double, OFF(f), 0, 0                                                              \
    }
#define STR_DIR(n, f)                                                                              \
    {                                                                                              \
        n, cfg_h_string, OFF(f), 0, 0                                                              \
    }
#define FLAG_DIR(n, f)                                                                             \
    {                                                                                              \
        n, cfg_h_flag, OFF(f), 0, 0                                                                \
    }
#define FN_DIR(n, fn)                                                                              \
    {                                                                                              \
        n, fn, 0, 0, 0                                                                             \
    }
#define CFG_INT_MAX 2147483647

static int h_include(struct cfg_ctx *c, char *args, const struct cfg_directive *d);

/* Every directive of chrony 4.8 (chrony.conf(5)), names matched case-insensitively. */
static const struct cfg_directive directives[] = {
    INT_DIR("acquisitionport", acquisition_port, 0, 65535),
    FN_DIR("allow", cfg_h_allow),
    FLAG_DIR("authonly", authonly), /* ours */
    FN_DIR("authselectmode", cfg_h_authselectmode),
    FN_DIR("bindacqaddress", cfg_h_bindacqaddress),
    STR_DIR("bindacqdevice", bind_acq_device),
    FN_DIR("bindaddress", cfg_h_bindaddress),
    FN_DIR("bindcmdaddress", cfg_h_bindcmdaddress),
    STR_DIR("bindcmddevice", bind_cmd_device),
    FN_DIR("bindmetricsaddress", cfg_h_bindmetricsaddress), /* ours */
    STR_DIR("binddevice", bind_device),
    FN_DIR("broadcast", cfg_h_broadcast),
    FN_DIR("clientloglimit", cfg_h_clientloglimit),
    DBL_DIR("clockprecision", clockprecision),
    FN_DIR("cmdallow", cfg_h_allow),
    FN_DIR("cmddeny", cfg_h_allow),
    INT_DIR("cmdport", cmdport, 0, 65535),
    FN_DIR("cmdratelimit", cfg_h_ratelimit),
    DBL_DIR("combinelimit", combinelimit),
    FN_DIR("confdir", cfg_h_confdir),
    DBL_DIR("corrtimeratio", corrtimeratio),
    FN_DIR("deny", cfg_h_allow),
    FN_DIR("driftfile", cfg_h_driftfile),
    INT_DIR("dscp", dscp, 0, 63),
    STR_DIR("dumpdir", dumpdir),
    FN_DIR("dumponexit", cfg_h_ignore),
    FN_DIR("fallbackdrift", cfg_h_fallbackdrift),
    STR_DIR("hwclockfile", hwclockfile),
    FN_DIR("hwtimestamp", cfg_h_hwtimestamp),
    DBL_DIR("hwtstimeout", hwts_timeout),
    FN_DIR("include", h_include),
    FN_DIR("initstepslew", cfg_h_initstepslew),
    STR_DIR("keyfile", keyfile),
    FN_DIR("leapsecmode", cfg_h_leapsecmode),
    STR_DIR("leapsectz", leapsectz),
    STR_DIR("leapseclist", leapseclist),
    FN_DIR("local", cfg_h_local),
    FLAG_DIR("lock_all", lock_all),
    FN_DIR("log", cfg_h_log),
    INT_DIR("logbanner", logbanner, 0, CFG_INT_MAX),
    DBL_DIR("logchange", logchange),
    STR_DIR("logdir", logdir),
    FN_DIR("mailonchange", cfg_h_mailonchange),
    FN_DIR("makestep", cfg_h_makestep),
    FLAG_DIR("manual", manual),
    FN_DIR("maxchange", cfg_h_maxchange),
    DBL_DIR("maxclockerror", maxclockerror),
    DBL_DIR("maxdistance", maxdistance),
    DBL_DIR("maxdrift", maxdrift),
    DBL_DIR("maxjitter", maxjitter),
    INT_DIR("maxntsconnections", nts_max_connections, 1, CFG_INT_MAX),
    INT_DIR("maxsamples", maxsamples, 0, CFG_INT_MAX),
    DBL_DIR("maxslewrate", maxslewrate),
    DBL_DIR("maxupdateskew", maxupdateskew),
    FN_DIR("metricsallow", cfg_h_allow),            /* ours */
    FN_DIR("metricsdeny", cfg_h_allow),             /* ours */
    INT_DIR("metricsport", metrics_port, 0, 65535), /* ours */
    INT_DIR("minsamples", minsamples, 0, CFG_INT_MAX),
    INT_DIR("minsources", minsources, 1, CFG_INT_MAX),
    INT_DIR("nocerttimecheck", nocerttimecheck, 0, CFG_INT_MAX),
    FLAG_DIR("noclientlog", noclientlog),
    FLAG_DIR("nosystemcert", nosystemcert),
    STR_DIR("ntpsigndsocket", ntpsigndsocket),
    FN_DIR("ntsaeads", cfg_h_ntsaeads),
    STR_DIR("ntscachedir", nts_dump_dir),
    STR_DIR("ntsdumpdir", nts_dump_dir),
    STR_DIR("ntsntpserver", nts_ntp_server),
    INT_DIR("ntsport", nts_port, 0, 65535),
    INT_DIR("ntsprocesses", nts_processes, 0, 1000),
    FN_DIR("ntsratelimit", cfg_h_ratelimit),
    INT_DIR("ntsrefresh", nts_refresh, 0, CFG_INT_MAX),
    INT_DIR("ntsrotate", nts_rotate, 0, CFG_INT_MAX),
    FN_DIR("ntsservercert", cfg_h_ntsservercert),
    FN_DIR("ntsserverkey", cfg_h_ntsserverkey),
    FN_DIR("ntstrustedcerts", cfg_h_ntstrustedcerts),
    FN_DIR("opencommands", cfg_h_opencommands),
    FN_DIR("peer", cfg_h_source),
    FN_DIR("pidfile", cfg_h_pidfile),
    FN_DIR("pool", cfg_h_source),
    INT_DIR("port", port, 0, 65535),
    INT_DIR("ptpdomain", ptp_domain, 0, 255),
    INT_DIR("ptpport", ptp_port, 0, 65535),
    FN_DIR("ratelimit", cfg_h_ratelimit),
    FN_DIR("refclock", cfg_h_refclock),
    INT_DIR("refresh", refresh, 0, CFG_INT_MAX),
    DBL_DIR("reselectdist", reselectdist),
    DBL_DIR("rtcautotrim", rtcautotrim),
    STR_DIR("rtcdevice", rtcdevice),
    STR_DIR("rtcfile", rtcfile),
    FLAG_DIR("rtconutc", rtconutc),
    FLAG_DIR("rtcsync", rtcsync),
    INT_DIR("sched_priority", sched_priority, 0, 100),
    FN_DIR("server", cfg_h_source),
    INT_DIR("serverbatch", server_batch, 1, 32),     /* ours */
    INT_DIR("serverworkers", server_workers, 1, 64), /* ours */
    FN_DIR("smoothtime", cfg_h_smoothtime),
    FN_DIR("sourcedir", cfg_h_sourcedir),
    DBL_DIR("stratumweight", stratumweight),
    FN_DIR("tempcomp", cfg_h_tempcomp),
    STR_DIR("user", user),
    /* Removed in chrony 2.x/3.x: accepted with a warning. */
    FN_DIR("commandkey", cfg_h_obsolete),
    FN_DIR("generatecommandkey", cfg_h_obsolete),
    FN_DIR("linux_freq_scale", cfg_h_obsolete),
    FN_DIR("linux_hz", cfg_h_obsolete),
};

static void set_defaults(struct config *cfg, int restarted, int client_only)
{
    static const int default_aeads[] = {30, 15};

    memset(cfg, 0, sizeof(*cfg));
    cfg->restarted = restarted;
    cfg->client_only = client_only;
    cfg->port = client_only ? 0 : 123;
    cfg->cmdport = client_only ? 0 : 323;
    cfg->acquisition_port = -1;
    cfg->ptp_domain = 123;
    if (!client_only) {
        cfg->bindcmd_path = xstrdup(CHRONY_RUNDIR "/chronyd.sock");
        cfg->pidfile = xstrdup(CHRONY_RUNDIR "/chronyd.pid");
    }
    cfg->open_commands = CFG_OPEN_ACTIVITY | CFG_OPEN_MANUAL | CFG_OPEN_RTCDATA |
                         CFG_OPEN_SMOOTHING | CFG_OPEN_SOURCENAME | CFG_OPEN_SOURCES |
                         CFG_OPEN_SOURCESTATS | CFG_OPEN_TRACKING;
    cfg->ratelimit = (struct ratelimit_cfg){0, 3, 8, 2, 0};
    cfg->ntsratelimit = (struct ratelimit_cfg){0, 6, 8, 2, 0};
    cfg->cmdratelimit = (struct ratelimit_cfg){0, -4, 8, 2, 0};
    cfg->clientloglimit = 524288;
    cfg->server_batch = 32;
    cfg->server_workers = 1;
    cfg->hwts_timeout = 0.001;
    cfg->maxchange_delay = -1;
    cfg->maxupdateskew = 1000.0;
    cfg->maxdrift = 500000.0;
    cfg->maxslewrate = 1e6 / 12.0;
    cfg->maxclockerror = 1.0;
    cfg->corrtimeratio = 3.0;
    cfg->logchange = 1.0;
    cfg->minsources = 1;
    cfg->maxdistance = 3.0;
    cfg->maxjitter = 1.0;
    cfg->reselectdist = 1e-4;
    cfg->stratumweight = 1e-3;
    cfg->combinelimit = 3.0;
    cfg->minsamples = 6;
    cfg->authselectmode = CFG_AUTHSELECT_MIX;
    cfg->refresh = 1209600;
    cfg->driftfile_interval = 3600;
    cfg->logbanner = 32;
    cfg->user = xstrdup("root");
    cfg->rtcdevice = xstrdup("/dev/rtc");
    cfg->n_nts_aeads = ARRAY_LEN(default_aeads);
    cfg->nts_aeads = xmalloc(sizeof(default_aeads));
    memcpy(cfg->nts_aeads, default_aeads, sizeof(default_aeads));
    cfg->nts_port = 4460;
    cfg->nts_processes = 1;
    cfg->nts_max_connections = 100;
    cfg->nts_refresh = 2419200;
    cfg->nts_rotate = 604800;
}

struct config *config_new_opts(int restarted, int client_only)
{
    struct config *cfg = xmalloc(sizeof(*cfg));
    set_defaults(cfg, restarted, client_only);
    return cfg;
}

struct config *config_new(void)
{
    return config_new_opts(0, 0);
}

static void free_rules(struct access_rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].hostname);
        free(r[i].resolve_error);
    }
    free(r);
}

static void free_sources(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_sources; i++)
        free(cfg->sources[i].name);
    free(cfg->sources);
    for (size_t i = 0; i < cfg->n_refclocks; i++) {
        free(cfg->refclocks[i].driver);
        free(cfg->refclocks[i].param);
    }
    free(cfg->refclocks);
    for (size_t i = 0; i < cfg->n_hwts; i++)
        free(cfg->hwts[i].name);
    free(cfg->hwts);
    free(cfg->broadcasts);
    cfg_strlist_free(cfg->source_dirs, cfg->n_source_dirs);
    cfg_strlist_free(cfg->initstepslew_hosts, cfg->n_initstepslew_hosts);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    char **strings[] = {
        &cfg->bind_device,
        &cfg->bind_acq_device,
        &cfg->bind_cmd_device,
        &cfg->bindcmd_path,
        &cfg->leapsectz,
        &cfg->leapseclist,
        &cfg->mailonchange_user,
        &cfg->pidfile,
        &cfg->driftfile,
        &cfg->logdir,
        &cfg->dumpdir,
        &cfg->keyfile,
        &cfg->user,
        &cfg->rtcfile,
        &cfg->rtcdevice,
        &cfg->hwclockfile,
        &cfg->tempcomp_sensor,
        &cfg->tempcomp_point_file,
        &cfg->ntpsigndsocket,
        &cfg->nts_dump_dir,
        &cfg->nts_ntp_server,
    };
    for (size_t i = 0; i < ARRAY_LEN(strings); i++)
        free(*strings[i]);
    free_rules(cfg->ntp_rules, cfg->n_ntp_rules);
    free_rules(cfg->cmd_rules, cfg->n_cmd_rules);
    free_rules(cfg->metrics_rules, cfg->n_metrics_rules);
    free_sources(cfg);
    free(cfg->nts_aeads);
    cfg_strlist_free(cfg->nts_server_certs, cfg->n_nts_server_certs);
    cfg_strlist_free(cfg->nts_server_keys, cfg->n_nts_server_keys);
    cfg_strlist_free(cfg->nts_trusted_certs, cfg->n_nts_trusted_certs);
    free(cfg->nts_trusted_cert_ids);
    cfg_strlist_free(cfg->warnings, cfg->n_warnings);
    cfg_strlist_free(cfg->print_lines, cfg->n_print_lines);
    free(cfg);
}

const struct cfg_directive *cfg_find_directive(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(directives); i++)
        if (strcasecmp(directives[i].name, name) == 0)
            return &directives[i];
    return NULL;
}

static void record_print_line(struct config *cfg, const char *cmd, const char *args)
{
    size_t len = strlen(cmd) + strlen(args) + 2;
    char *s = xmalloc(len);
    snprintf(s, len, "%s%s%s", cmd, args[0] ? " " : "", args);
    cfg->print_lines = cfg_grow(cfg->print_lines, cfg->n_print_lines, sizeof(char *));
    cfg->print_lines[cfg->n_print_lines++] = s;
}

static int parse_line_ctx(struct cfg_ctx *c, const char *text)
{
    const struct cfg_directive *d;
    char *line, *args;
    int r;

    /* chrony reads lines into a 2048-byte buffer and refuses what does not fit. */
    if (strlen(text) >= CFG_MAX_LINE)
        return cfg_err_at(c, "String too long");
    line = xstrdup(text);
    scan_normalize_line(line);
    if (!line[0]) {
        free(line);
        return 0;
    }
    args = line;
    cfg_word(&args);
    c->cmd = line;
    if (strcasecmp(line, "include") != 0 && strcasecmp(line, "confdir") != 0)
        record_print_line(c->cfg, line, args);
    d = cfg_find_directive(line);
    if (!d)
        r = cfg_err_at(c, "Invalid directive %s", line);
    else
        r = d->fn(c, args, d);
    free(line);
    return r;
}

int config_parse_line(struct config *cfg, const char *line, const char *file, int lineno,
                      const struct env_files *files, char *err, size_t errlen)
{
    struct cfg_ctx c = {cfg, files, file, lineno, "", err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    return parse_line_ctx(&c, line);
}

/* Split buffer into lines (each keeps its newline, as fgets would) and parse them. */
static int parse_buffer(struct cfg_ctx *c, char *buf)
{
    char *p = buf;
    int lineno = 1;
    while (*p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        char saved = *next;
        struct cfg_ctx lc = *c;
        int r;
        *next = '\0';
        lc.lineno = lineno++;
        r = parse_line_ctx(&lc, p);
        *next = saved;
        if (r < 0)
            return -1;
        p = next;
    }
    return 0;
}

int cfg_read_file(struct cfg_ctx *parent, const char *path)
{
    struct cfg_ctx c = *parent;
    char *buf;
    int r;

    c.depth = parent->depth + 1;
    c.file = path;
    if (c.depth > CFG_MAX_INCLUDE)
        return cfg_err_plain(parent, "Maximum include level reached");
    buf = c.files && c.files->read_all ? c.files->read_all(c.files->ctx, path, NULL) : NULL;
    if (!buf)
        return cfg_err_plain(parent, "Could not open %s : No such file or directory", path);
    r = parse_buffer(&c, buf);
    free(buf);
    return r;
}

int config_parse_file(struct config *cfg, const char *path, const struct env_files *files,
                      char *err, size_t errlen)
{
    struct cfg_ctx c = {cfg, files, NULL, 0, "", err, errlen, 0};
    if (errlen)
        err[0] = '\0';
    return cfg_read_file(&c, path);
}

static int has_glob_magic(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int h_include(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char **paths;
    int n = 0, r = 0;

    if (cfg_check_nargs(c, args, 1) < 0)
        return -1;
    paths = c->files && c->files->list_glob ? c->files->list_glob(c->files->ctx, args, &n) : NULL;
    if (n < 0)
        return cfg_err_plain(c, "Could not search for files matching %s", args);
    /* glibc's GLOB_NOMAGIC: a pattern without wildcards names the file itself, so a
     * missing plain path is an error while an unmatched wildcard is not. */
    if (n == 0 && !has_glob_magic(args))
        r = cfg_read_file(c, args);
    for (int i = 0; i < n; i++) {
        if (r == 0)
            r = cfg_read_file(c, paths[i]);
        free(paths[i]);
    }
    free(paths);
    return r;
}

char *config_format(const struct config *cfg)
{
    size_t len = 1, pos = 0;
    char *out;
    for (size_t i = 0; i < cfg->n_print_lines; i++)
        len += strlen(cfg->print_lines[i]) + 1;
    out = xmalloc(len);
    for (size_t i = 0; i < cfg->n_print_lines; i++) {
        size_t l = strlen(cfg->print_lines[i]);
        memcpy(out + pos, cfg->print_lines[i], l);
        pos += l;
        out[pos++] = '\n';
    }
    out[pos] = '\0';
    return out;
}

struct access_table *config_build_access(const struct access_rule *rules, size_t n, char *err,
                                         size_t errlen)
{
    struct access_table *t = access_new();
    size_t bad = 0;
    if (access_add_rules(t, rules, n, &bad) != ACCESS_OK) {
        char buf[IP_ADDR_STRLEN];
        snprintf(err, errlen, "Bad subnet in %s/%d",
                 ip_addr_format(&rules[bad].ip, buf, sizeof(buf)), rules[bad].bits);
        access_free(t);
        return NULL;
    }
    return t;
}

static int check_rules(const struct access_rule *rules, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const struct access_rule *r = &rules[i];
        char buf[IP_ADDR_STRLEN];
        if (r->hostname || r->ip.family == IPF_UNSPEC || r->bits <= ip_addr_bits(r->ip.family))
            continue;
        snprintf(err, errlen, "Bad subnet in %s/%d", ip_addr_format(&r->ip, buf, sizeof(buf)),
                 r->bits);
        return -1;
    }
    return 0;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (check_rules(cfg->ntp_rules, cfg->n_ntp_rules, err, errlen) < 0)
        return -1;
    if (check_rules(cfg->cmd_rules, cfg->n_cmd_rules, err, errlen) < 0)
        return -1;
    if (cfg_check_refclocks(cfg, err, errlen) < 0)
        return -1;
    /* serverworkers (ours): a peer's packets could reach a worker, which has no sources. */
    for (size_t i = 0; cfg->server_workers > 1 && i < cfg->n_sources; i++) {
        if (cfg->sources[i].type != CFG_SRC_PEER)
            continue;
        snprintf(err, errlen, "serverworkers cannot be used with peer %s", cfg->sources[i].name);
        return -1;
    }
    /* Nor the sources' replies, when they are sent from the server port. */
    if (cfg->server_workers > 1 && cfg->acquisition_port > 0 &&
        cfg->acquisition_port == cfg->port) {
        snprintf(err, errlen, "serverworkers cannot be used with acquisitionport %d",
                 cfg->acquisition_port);
        return -1;
    }
    return check_rules(cfg->metrics_rules, cfg->n_metrics_rules, err, errlen);
}
