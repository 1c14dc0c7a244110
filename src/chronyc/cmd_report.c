/* chronyc monitoring commands: the request sequences of spec 8.5 - 8.14
 * feeding the renderers. */
#include "chronyc/client.h"
#include "chronyc/getdate.h"
#include "chronyc/render.h"

#include <math.h>
#include <string.h>
#include <time.h>

static int simple_report(struct chronyc *c, uint16_t command, uint16_t expected,
                         struct cmdmon_reply *rpy)
{
    struct cmdmon_request req;

    chronyc_request_init(&req, command);
    return chronyc_request(c, &req, rpy, expected, 0);
}

static int get_n_sources(struct chronyc *c, uint32_t *n)
{
    struct cmdmon_reply rpy;

    if (!simple_report(c, CMDMON_REQ_N_SOURCES, CMDMON_RPY_N_SOURCES, &rpy))
        return 0;
    *n = rpy.u.n_sources.n_sources;
    return 1;
}

static int get_indexed(struct chronyc *c, uint16_t command, uint16_t expected, uint32_t index,
                       struct cmdmon_reply *rpy)
{
    struct cmdmon_request req;

    chronyc_request_init(&req, command);
    req.u.index.index = (int32_t)index;
    return chronyc_request(c, &req, rpy, expected, 0);
}

/* The start every per-source table shares: the -a/-v flags, the number of
 * sources, the legend with -v and the column header. 0 if the count failed. */
static int begin_source_table(struct chronyc *c, char *args, enum render_header table, int *all,
                              uint32_t *n)
{
    int verbose;

    chronyc_parse_list_flags(args, all, &verbose);
    if (!get_n_sources(c, n))
        return 0;
    if (verbose)
        render_legend(&c->out, table);
    render_header(&c->out, table);
    return 1;
}

static int cmd_tracking(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    const struct cmdmon_tracking *t = &rpy.u.tracking;
    char name[NAMES_MAX];

    (void)args;
    if (!simple_report(c, CMDMON_REQ_TRACKING, CMDMON_RPY_TRACKING, &rpy))
        return 0;
    names_for_entry(&c->names, NAMES_TRACKING, &t->ip, t->ip.family == CMDMON_AF_UNSPEC, t->ref_id,
                    name, sizeof(name));
    render_tracking(&c->out, t, name);
    return 1;
}

static int cmd_sources(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    const struct cmdmon_source_data *s = &rpy.u.source_data;
    char name[NAMES_MAX];
    int all;
    uint32_t n;

    if (!begin_source_table(c, args, RH_SOURCES, &all, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        int refclock;
        if (!get_indexed(c, CMDMON_REQ_SOURCE_DATA, CMDMON_RPY_SOURCE_DATA, i, &rpy))
            return 0;
        if (!all && s->ip.family == CMDMON_AF_ID)
            continue;
        refclock = s->mode == CMDMON_MODE_REF && s->ip.family == CMDMON_AF_INET4;
        names_for_entry(&c->names, NAMES_SOURCE, &s->ip, refclock, cmdmon_addr_get_id(&s->ip), name,
                        sizeof(name));
        render_source_row(&c->out, s, name);
    }
    return 1;
}

static int cmd_sourcestats(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    const struct cmdmon_sourcestats *s = &rpy.u.sourcestats;
    char name[NAMES_MAX];
    int all;
    uint32_t n;

    if (!begin_source_table(c, args, RH_SOURCESTATS, &all, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_indexed(c, CMDMON_REQ_SOURCESTATS, CMDMON_RPY_SOURCESTATS, i, &rpy))
            return 0;
        if (!all && s->ip.family == CMDMON_AF_ID)
            continue;
        names_for_entry(&c->names, NAMES_SOURCE, &s->ip, s->ip.family == CMDMON_AF_UNSPEC,
                        s->ref_id, name, sizeof(name));
        render_sourcestats_row(&c->out, s, name);
    }
    return 1;
}

static int cmd_selectdata(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    const struct cmdmon_select_data *s = &rpy.u.select_data;
    char name[NAMES_MAX];
    int all;
    uint32_t n;

    if (!begin_source_table(c, args, RH_SELECTDATA, &all, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_indexed(c, CMDMON_REQ_SELECT_DATA, CMDMON_RPY_SELECT_DATA, i, &rpy))
            return 0;
        if (!all && s->ip.family == CMDMON_AF_ID)
            continue;
        names_for_entry(&c->names, NAMES_SOURCE, &s->ip, s->ip.family == CMDMON_AF_UNSPEC,
                        s->ref_id, name, sizeof(name));
        render_select_row(&c->out, s, name);
    }
    return 1;
}

static int cmd_authdata(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    struct cmdmon_request req;
    struct cmdmon_addr addr;
    char name[NAMES_MAX];
    int all;
    uint32_t n;

    if (!begin_source_table(c, args, RH_AUTHDATA, &all, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!get_indexed(c, CMDMON_REQ_SOURCE_DATA, CMDMON_RPY_SOURCE_DATA, i, &rpy))
            return 0;
        addr = rpy.u.source_data.ip;
        if (rpy.u.source_data.mode == CMDMON_MODE_REF || (!all && addr.family == CMDMON_AF_ID))
            continue;
        chronyc_request_init(&req, CMDMON_REQ_AUTH_DATA);
        req.u.address.ip = addr;
        if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_AUTH_DATA, 0))
            return 0;
        names_for_entry(&c->names, NAMES_SOURCE, &addr, 0, 0, name, sizeof(name));
        render_auth_row(&c->out, &rpy.u.auth_data, name);
    }
    return 1;
}

static int cmd_activity(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;

    (void)args;
    if (!simple_report(c, CMDMON_REQ_ACTIVITY, CMDMON_RPY_ACTIVITY, &rpy))
        return 0;
    render_activity(&c->out, &rpy.u.activity);
    return 1;
}

static int ntpdata_one(struct chronyc *c, const struct cmdmon_addr *a, int blank_line)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;

    chronyc_request_init(&req, CMDMON_REQ_NTP_DATA);
    req.u.address.ip = *a;
    if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_NTP_DATA2, 0))
        return 0;
    if (blank_line && c->out.mode == OUT_TEXT)
        fputc('\n', c->out.f);
    render_ntp_data(&c->out, &rpy.u.ntp_data, rpy.reply);
    return 1;
}

static int cmd_ntpdata(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;
    struct cmdmon_addr a;
    uint32_t n;

    if (*args) { /* the whole rest of the line, as chrony */
        if (!chronyc_parse_address(c, args, &a)) {
            fprintf(c->err, "Could not get address for hostname\n");
            return 0;
        }
        return ntpdata_one(c, &a, 0);
    }
    if (!get_n_sources(c, &n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct cmdmon_source_data *s = &rpy.u.source_data;
        if (!get_indexed(c, CMDMON_REQ_SOURCE_DATA, CMDMON_RPY_SOURCE_DATA, i, &rpy))
            return 0;
        if ((s->mode != CMDMON_MODE_CLIENT && s->mode != CMDMON_MODE_PEER) ||
            (s->ip.family != CMDMON_AF_INET4 && s->ip.family != CMDMON_AF_INET6))
            continue;
        a = s->ip;
        if (!ntpdata_one(c, &a, 1))
            return 0;
    }
    return 1;
}

static int cmd_serverstats(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;

    (void)args;
    if (!simple_report(c, CMDMON_REQ_SERVER_STATS, CMDMON_RPY_SERVER_STATS4, &rpy))
        return 0;
    render_server_stats(&c->out, &rpy.u.server_stats);
    return 1;
}

/* -k, -r, -p N (sscanf "%u"); other words are ignored, as by chrony. */
static int parse_clients_args(struct chronyc *c, char *args, unsigned int *min_hits, int *nke,
                              int *reset)
{
    char *w;

    *min_hits = 0;
    *nke = *reset = 0;
    while ((w = chronyc_next_word(&args))) {
        if (!strcmp(w, "-k")) {
            *nke = 1;
        } else if (!strcmp(w, "-r")) {
            *reset = 1;
        } else if (!strcmp(w, "-p")) {
            w = chronyc_next_word(&args);
            if (!w || sscanf(w, "%u", min_hits) != 1) {
                fprintf(c->err, "Invalid syntax for clients command\n");
                return 0;
            }
        }
    }
    return 1;
}

/* Spec 6.9 / 8.11: header first, then pages of up to 8 records. */
static int cmd_clients(struct chronyc *c, char *args)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    const struct cmdmon_client_accesses *ca = &rpy.u.client_accesses;
    char name[NAMES_MAX];
    unsigned int min_hits;
    int nke, reset;
    uint32_t first = 0;

    if (!parse_clients_args(c, args, &min_hits, &nke, &reset))
        return 0;
    render_header(&c->out, nke ? RH_CLIENTS_NKE : RH_CLIENTS);
    for (;;) {
        chronyc_request_init(&req, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3);
        req.u.clients.first_index = first;
        req.u.clients.n_clients = CMDMON_MAX_CLIENT_RECORDS;
        req.u.clients.min_hits = min_hits;
        req.u.clients.reset = (uint32_t)reset;
        if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3, 0))
            return 0;
        for (uint32_t j = 0; j < ca->n_clients && j < CMDMON_MAX_CLIENT_RECORDS; j++) {
            const struct cmdmon_client_record *r = &ca->clients[j];
            if (r->ip.family == CMDMON_AF_UNSPEC)
                continue;
            names_for_entry(&c->names, NAMES_CLIENT, &r->ip, 0, 0, name, sizeof(name));
            render_client_row(&c->out, r, name, nke);
        }
        if (ca->next_index <= first || ca->next_index >= ca->n_indices ||
            ca->n_clients < CMDMON_MAX_CLIENT_RECORDS)
            break;
        first = ca->next_index;
    }
    return 1;
}

static int cmd_sourcename(struct chronyc *c, char *args)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    chronyc_request_init(&req, CMDMON_REQ_NTP_SOURCE_NAME);
    if (!chronyc_parse_address(c, args, &req.u.address.ip)) {
        fprintf(c->err, "Could not read address\n");
        return 0;
    }
    if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_NTP_SOURCE_NAME, 0) ||
        !names_source_name_valid(rpy.u.source_name.name))
        return 0;
    render_source_name(&c->out, (const char *)rpy.u.source_name.name);
    return 1;
}

static int cmd_smoothing(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;

    (void)args;
    if (!simple_report(c, CMDMON_REQ_SMOOTHING, CMDMON_RPY_SMOOTHING, &rpy))
        return 0;
    render_smoothing(&c->out, &rpy.u.smoothing);
    return 1;
}

static int cmd_rtcdata(struct chronyc *c, char *args)
{
    struct cmdmon_reply rpy;

    (void)args;
    if (!simple_report(c, CMDMON_REQ_RTCREPORT, CMDMON_RPY_RTC, &rpy))
        return 0;
    render_rtc(&c->out, &rpy.u.rtc);
    return 1;
}

/* As chrony: "list" and "delete" are recognised by their first letters
 * (anything may follow them), on/off/reset must be the whole rest. */
static int cmd_manual(struct chronyc *c, char *args)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    int v;

    if (!strncmp(args, "list", 4)) {
        if (!simple_report(c, CMDMON_REQ_MANUAL_LIST, CMDMON_RPY_MANUAL_LIST2, &rpy))
            return 0;
        render_manual_list(&c->out, &rpy.u.manual_list);
        return 1;
    }
    if (!strncmp(args, "delete", 6)) {
        if (!chronyc_parse_int(chronyc_split_word(args), &v)) {
            fprintf(c->err, "Bad syntax for manual delete command\n");
            return 0;
        }
        chronyc_request_init(&req, CMDMON_REQ_MANUAL_DELETE);
        req.u.index.index = v;
        return chronyc_request(c, &req, &rpy, 0, 1);
    }
    chronyc_request_init(&req, CMDMON_REQ_MANUAL);
    if (!strcmp(args, "off"))
        req.u.option.option = 0;
    else if (!strcmp(args, "on"))
        req.u.option.option = 1;
    else if (!strcmp(args, "reset"))
        req.u.option.option = 2;
    else {
        fprintf(c->err, "Invalid syntax for manual command\n");
        return 0;
    }
    return chronyc_request(c, &req, &rpy, 0, 1);
}

static int cmd_settime(struct chronyc *c, char *args)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    time_t t;

    /* chrony's getdate forms (getdate.h); the time of -1 is refused too. */
    if (!getdate_parse(args, time(NULL), &t) || t == (time_t)-1) {
        fprintf(c->out.f, "510 - Could not parse date string\n");
        return 0;
    }
    chronyc_request_init(&req, CMDMON_REQ_SETTIME);
    req.u.settime.time.tv_sec = t;
    if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_MANUAL_TIMESTAMP2, 1))
        return 0;
    render_settime(&c->out, &rpy.u.manual_timestamp);
    return 1;
}

/* Spec 7.18. */
static int cmd_waitsync(struct chronyc *c, char *args)
{
    int max_tries = 0;
    double v[4] = {0.0, 0.0, 0.0, 10.0};

    /* As chrony: what sscanf() reads is used, the rest ignored, no error. */
    if (sscanf(args, "%d %lf %lf %lf", &max_tries, &v[1], &v[2], &v[3]) < 1)
        max_tries = 0;
    v[0] = max_tries;
    if (v[3] < 0.1)
        v[3] = 0.1;
    for (long i = 1;; i++) {
        struct cmdmon_reply rpy;
        const struct cmdmon_tracking *t = &rpy.u.tracking;
        struct timespec ts;
        if (simple_report(c, CMDMON_REQ_TRACKING, CMDMON_RPY_TRACKING, &rpy)) {
            double corr = fabs(t->current_correction);
            render_waitsync_try(&c->out, (int)i, t->ref_id, corr, t->skew_ppm);
            fflush(c->out.f);
            if ((t->ip.family != CMDMON_AF_UNSPEC ||
                 (t->ref_id != 0 && t->ref_id != CMDMON_REFID_LOCAL)) &&
                (v[1] == 0.0 || corr <= v[1]) && (v[2] == 0.0 || t->skew_ppm <= v[2]))
                return 1;
        }
        if ((v[0] != 0.0 && i >= (long)v[0]) || chronyc_done(c))
            return 0;
        ts.tv_sec = (time_t)v[3];
        ts.tv_nsec = (long)((v[3] - (double)ts.tv_sec) * 1e9);
        if (nanosleep(&ts, NULL) < 0)
            return 0;
    }
}

const struct chronyc_cmd chronyc_report_cmds[] = {
    {"tracking", cmd_tracking, NULL},       {"sources", cmd_sources, NULL},
    {"sourcestats", cmd_sourcestats, NULL}, {"selectdata", cmd_selectdata, NULL},
    {"authdata", cmd_authdata, NULL},       {"activity", cmd_activity, NULL},
    {"ntpdata", cmd_ntpdata, NULL},         {"serverstats", cmd_serverstats, NULL},
    {"clients", cmd_clients, NULL},         {"sourcename", cmd_sourcename, NULL},
    {"smoothing", cmd_smoothing, NULL},     {"rtcdata", cmd_rtcdata, NULL},
    {"manual", cmd_manual, NULL},           {"settime", cmd_settime, NULL},
    {"waitsync", cmd_waitsync, NULL},       {NULL, NULL, NULL},
};
