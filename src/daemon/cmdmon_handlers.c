/* Command handlers of the command server: reports (spec cmdmon.md 6, 7) and
 * control commands. Source data comes from the engine's cmdmon_source_ops;
 * without them the answers are those of a chronyd that has no sources. */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/keyfile.h"
#include "daemon/sources_dump.h"

#include <string.h>

#define OPS (&n->cmd.ops)

/* Unsynchronised: spec 6.3 (ref id 0, stratum 0, leap 3, root delay and
 * dispersion 1 s); with `local`: the local reference the server serves. */
static void tracking_default(struct node *n, const struct timespec *now, struct cmdmon_tracking *t)
{
    struct ntp_server_ref ref;

    memset(t, 0, sizeof(*t));
    reference_get_served(n, now, &ref);
    if (ref.leap == 3) {
        t->leap_status = 3;
        t->root_delay = 1.0;
        t->root_dispersion = 1.0;
        return;
    }
    t->ref_id = ref.ref_id;
    t->stratum = (uint16_t)ref.stratum;
    t->leap_status = (uint16_t)ref.leap;
    /* chronyd reports the time the local reference was activated and its
     * distance as configured (0 observed for `local stratum 10`), not growing. */
    t->ref_time = n->cmd.start_time;
    t->root_delay = ref.root_delay;
    t->root_dispersion = ref.root_dispersion;
}

static void handle_tracking(struct node *n, const struct timespec *now, struct cmdmon_reply *rpy)
{
    rpy->reply = CMDMON_RPY_TRACKING;
    if (!OPS->tracking || !OPS->tracking(OPS->ctx, now, &rpy->u.tracking))
        tracking_default(n, now, &rpy->u.tracking);
}

/* SOURCE_DATA, SOURCESTATS, SELECT_DATA: by index; no engine = no sources. */
static void handle_indexed(struct node *n, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy)
{
    int32_t i = req->u.index.index;
    int st = CMDMON_STT_NOSUCHSOURCE;
    uint16_t code = 0;

    switch (req->command) {
    case CMDMON_REQ_SOURCE_DATA:
        code = CMDMON_RPY_SOURCE_DATA;
        if (OPS->source_data)
            st = OPS->source_data(OPS->ctx, i, now, &rpy->u.source_data);
        break;
    case CMDMON_REQ_SOURCESTATS:
        code = CMDMON_RPY_SOURCESTATS;
        if (OPS->sourcestats)
            st = OPS->sourcestats(OPS->ctx, i, now, &rpy->u.sourcestats);
        break;
    default:
        code = CMDMON_RPY_SELECT_DATA;
        if (OPS->select_data)
            st = OPS->select_data(OPS->ctx, i, now, &rpy->u.select_data);
        break;
    }
    rpy->status = (uint16_t)st;
    if (st == CMDMON_STT_SUCCESS)
        rpy->reply = code;
}

/* NTP_DATA, NTP_SOURCE_NAME, AUTH_DATA: by address of an NTP source. */
static void handle_addressed(struct node *n, const struct cmdmon_request *req,
                             const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct cmdmon_addr *a = &req->u.address.ip;
    int st = CMDMON_STT_NOSUCHSOURCE;
    uint16_t code;

    if (req->command == CMDMON_REQ_NTP_DATA) {
        /* 4.0-4.5 clients send 152 bytes and take the old reply (spec 10.3). */
        code = req->length >= cmdmon_reply_length(CMDMON_RPY_NTP_DATA2) ? CMDMON_RPY_NTP_DATA2
                                                                        : CMDMON_RPY_NTP_DATA;
        if (OPS->ntp_data)
            st = OPS->ntp_data(OPS->ctx, a, &rpy->u.ntp_data);
    } else if (req->command == CMDMON_REQ_NTP_SOURCE_NAME) {
        code = CMDMON_RPY_NTP_SOURCE_NAME;
        if (OPS->source_name)
            st = OPS->source_name(OPS->ctx, a, rpy->u.source_name.name);
    } else {
        code = CMDMON_RPY_AUTH_DATA;
        if (OPS->auth_data)
            st = OPS->auth_data(OPS->ctx, a, now, &rpy->u.auth_data);
    }
    rpy->status = (uint16_t)st;
    if (st == CMDMON_STT_SUCCESS)
        rpy->reply = code;
}

/* SERVER_STATS: the variant is chosen by the request length so that 4.0-4.3
 * clients, whose requests are shorter, still get an answer (spec 10.3). */
static void handle_server_stats(struct node *n, const struct cmdmon_request *req,
                                struct cmdmon_reply *rpy)
{
    struct cmdmon_server_stats *o = &rpy->u.server_stats;
    struct clientlog_stats s;

    clientlog_get_stats(n->clientlog, &s);
    if (req->length >= cmdmon_reply_length(CMDMON_RPY_SERVER_STATS4))
        rpy->reply = CMDMON_RPY_SERVER_STATS4;
    else if (req->length >= cmdmon_reply_length(CMDMON_RPY_SERVER_STATS3))
        rpy->reply = CMDMON_RPY_SERVER_STATS3;
    else
        rpy->reply = CMDMON_RPY_SERVER_STATS2;
    o->ntp_hits = s.hits[CLOG_NTP];
    o->cmd_hits = s.hits[CLOG_CMD];
    o->ntp_drops = s.drops[CLOG_NTP];
    /* NTS-KE connections are counted by the platform's NTS-KE server. */
    serve_nts_ke_stats(n, &o->nke_hits, &o->nke_drops);
    o->cmd_drops = s.drops[CLOG_CMD];
    o->log_drops = s.log_drops;
    o->ntp_auth_hits = s.ntp_auth_hits;
    o->ntp_interleaved_hits = s.ntp_interleaved_hits;
    /* The interleaved-mode timestamps live with the server (ntp_serve.c). */
    o->ntp_timestamps = ntp_tsmap_count(&n->serve.tsmap);
    o->ntp_span_seconds = (uint64_t)ntp_tsmap_span(&n->serve.tsmap);
    o->ntp_daemon_rx_timestamps = s.ntp_rx_ts[CLOG_TS_DAEMON];
    o->ntp_daemon_tx_timestamps = s.ntp_tx_ts[CLOG_TS_DAEMON];
    o->ntp_kernel_rx_timestamps = s.ntp_rx_ts[CLOG_TS_KERNEL];
    o->ntp_kernel_tx_timestamps = s.ntp_tx_ts[CLOG_TS_KERNEL];
    o->ntp_hw_rx_timestamps = s.ntp_rx_ts[CLOG_TS_HW];
    o->ntp_hw_tx_timestamps = s.ntp_tx_ts[CLOG_TS_HW];
}

static void client_record(const struct clientlog_report *r, struct cmdmon_client_record *o)
{
    cmdmon_addr_from_ip(&o->ip, &r->ip);
    o->ntp_hits = r->hits[CLOG_NTP];
    o->nke_hits = r->hits[CLOG_NTSKE];
    o->cmd_hits = r->hits[CLOG_CMD];
    o->ntp_drops = r->drops[CLOG_NTP];
    o->nke_drops = r->drops[CLOG_NTSKE];
    o->cmd_drops = r->drops[CLOG_CMD];
    o->ntp_interval = r->interval[CLOG_NTP];
    o->nke_interval = r->interval[CLOG_NTSKE];
    o->cmd_interval = r->interval[CLOG_CMD];
    o->ntp_timeout_interval = r->ntp_timeout_interval;
    o->last_ntp_hit_ago = r->last_ago[CLOG_NTP];
    o->last_nke_hit_ago = r->last_ago[CLOG_NTSKE];
    o->last_cmd_hit_ago = r->last_ago[CLOG_CMD];
}

/* CLIENT_ACCESSES_BY_INDEX3 (spec 6.9): examine slots from first_index until
 * the wanted number of records (at most 8) is found. */
static void handle_clients(struct node *n, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct cmdmon_req_clients *q = &req->u.clients;
    struct cmdmon_client_accesses *o = &rpy->u.client_accesses;
    int n_indices = clientlog_n_indices(n->clientlog);
    uint32_t want =
        q->n_clients < CMDMON_MAX_CLIENT_RECORDS ? q->n_clients : CMDMON_MAX_CLIENT_RECORDS;
    uint32_t i, j = 0;

    if (n_indices < 0) {
        rpy->status = CMDMON_STT_INACTIVE;
        return;
    }
    rpy->reply = CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3;
    for (i = q->first_index; i < (uint32_t)n_indices && j < want; i++) {
        struct clientlog_report r;
        if (clientlog_report_index(n->clientlog, i, q->reset != 0, q->min_hits, now, &r))
            client_record(&r, &o->clients[j++]);
    }
    o->n_indices = (uint32_t)n_indices;
    o->next_index = i;
    o->n_clients = j;
}

/* ALLOW ... CMDDENYALL: change the NTP or command access table (spec 7.16). */
static void handle_allow_deny(struct node *n, const struct cmdmon_request *req,
                              struct cmdmon_reply *rpy)
{
    uint16_t c = req->command;
    int cmd = c >= CMDMON_REQ_CMDALLOW;
    int allow = c == CMDMON_REQ_ALLOW || c == CMDMON_REQ_ALLOWALL || c == CMDMON_REQ_CMDALLOW ||
                c == CMDMON_REQ_CMDALLOWALL;
    int all = c == CMDMON_REQ_ALLOWALL || c == CMDMON_REQ_DENYALL || c == CMDMON_REQ_CMDALLOWALL ||
              c == CMDMON_REQ_CMDDENYALL;
    struct access_table **t = cmd ? &n->cmd.access : &n->serve.access;
    struct ip_addr ip;

    cmdmon_addr_to_ip(&req->u.subnet.ip, &ip);
    if (!*t)
        *t = access_new();
    if (access_add(*t, &ip, ip.family == IPF_UNSPEC ? 0 : req->u.subnet.subnet_bits, allow, all) !=
        ACCESS_OK) {
        rpy->status = CMDMON_STT_BADSUBNET;
        return;
    }
    if (!cmd)
        serve_access_changed(n);
}

static void handle_accheck(struct node *n, const struct cmdmon_request *req,
                           struct cmdmon_reply *rpy)
{
    const struct access_table *t =
        req->command == CMDMON_REQ_CMDACCHECK ? n->cmd.access : n->serve.access;
    struct ip_addr ip;

    cmdmon_addr_to_ip(&req->u.address.ip, &ip);
    rpy->status = t && ip.family != IPF_UNSPEC && access_check(t, &ip) ? CMDMON_STT_ACCESSALLOWED
                                                                       : CMDMON_STT_ACCESSDENIED;
}

static int handle_manual(struct node *n, const struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    switch (req->command) {
    case CMDMON_REQ_MANUAL:
        if (req->u.option.option < 0 || req->u.option.option > 2)
            return CMDMON_STT_INVALID;
        if (req->u.option.option != 2)
            n->cmd.rt.manual_enabled = req->u.option.option;
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MANUAL_LIST:
        rpy->reply = CMDMON_RPY_MANUAL_LIST2; /* no samples are kept yet */
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MANUAL_DELETE:
        return CMDMON_STT_BADSAMPLE;
    default: /* SETTIME: no engine to take the sample */
        return n->cmd.rt.manual_enabled ? CMDMON_STT_FAILED : CMDMON_STT_NOTENABLED;
    }
}

static int handle_smoothing(struct node *n, const struct cmdmon_request *req,
                            struct cmdmon_reply *rpy)
{
    if (!(n->cfg->smooth_max_freq > 0.0))
        return CMDMON_STT_NOTENABLED;
    if (req->command == CMDMON_REQ_SMOOTHTIME)
        return req->u.option.option == 0 || req->u.option.option == 1 ? CMDMON_STT_SUCCESS
                                                                      : CMDMON_STT_INVALID;
    /* Enabled but not yet active: nothing has been smoothed. */
    rpy->reply = CMDMON_RPY_SMOOTHING;
    rpy->u.smoothing.flags = n->cfg->smooth_leap_only ? 0x2 : 0;
    return CMDMON_STT_SUCCESS;
}

/* ADD_SOURCE without a synchronisation engine: validate as chronyd, then fail. */
static int handle_add_source(const struct cmdmon_request *req)
{
    const struct cmdmon_req_add_source *a = &req->u.add_source;

    if (a->type < CMDMON_ADD_SERVER || a->type > CMDMON_ADD_POOL)
        return CMDMON_STT_INVALID;
    if (a->name[CMDMON_NAME_LEN - 1] != '\0')
        return CMDMON_STT_INVALIDNAME;
    return CMDMON_STT_FAILED;
}

/* Source and clock control without an engine (or when it declines). */
static int control_default(struct node *n, const struct cmdmon_request *req)
{
    switch (req->command) {
    case CMDMON_REQ_ONLINE:
    case CMDMON_REQ_OFFLINE:
    case CMDMON_REQ_BURST:
    case CMDMON_REQ_DEL_SOURCE:
    case CMDMON_REQ_MODIFY_MINPOLL:
    case CMDMON_REQ_MODIFY_MAXPOLL:
    case CMDMON_REQ_MODIFY_MAXDELAY:
    case CMDMON_REQ_MODIFY_MAXDELAYRATIO:
    case CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO:
    case CMDMON_REQ_MODIFY_MINSTRATUM:
    case CMDMON_REQ_MODIFY_POLLTARGET:
    case CMDMON_REQ_MODIFY_SELECTOPTS:
    case CMDMON_REQ_MODIFY_OFFSET:
        return CMDMON_STT_NOSUCHSOURCE; /* no source matches */
    case CMDMON_REQ_ADD_SOURCE:
        return handle_add_source(req);
    case CMDMON_REQ_MAKESTEP:
        /* chronyd -x cannot step the clock: "500 Failure" (spec 6.6); otherwise
         * the remaining correction (none without an engine) is stepped. */
        return n->cmd.rt.noclock ? CMDMON_STT_FAILED : CMDMON_STT_SUCCESS;
    case CMDMON_REQ_TRIMRTC:
    case CMDMON_REQ_WRITERTC:
        return CMDMON_STT_NORTC;
    case CMDMON_REQ_CYCLELOGS:
        logfiles_cycle(&n->logs);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_REKEY:
        keyfile_load(n);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_DUMP:
        sources_dump_save_all(n);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_REFRESH:
    case CMDMON_REQ_RELOAD_SOURCES:
    case CMDMON_REQ_RESET_SOURCES:
    case CMDMON_REQ_RESELECT:
    case CMDMON_REQ_RESELECTDISTANCE:
    case CMDMON_REQ_MODIFY_MAXUPDATESKEW:
    case CMDMON_REQ_MODIFY_MAKESTEP:
    case CMDMON_REQ_ONOFFLINE:
    case CMDMON_REQ_DFREQ:
    case CMDMON_REQ_DOFFSET2:
        return CMDMON_STT_SUCCESS;
    default:
        return CMDMON_STT_INVALID;
    }
}

static void handle_other(struct node *n, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    int st = -1;

    if (OPS->control)
        st = OPS->control(OPS->ctx, req, now);
    if (st < 0)
        st = control_default(n, req);
    rpy->status = (uint16_t)st;
}

/* The monitoring (report) requests; returns 0 if req is not one of them. */
static int execute_report(struct node *n, const struct cmdmon_request *req,
                          const struct timespec *now, struct cmdmon_reply *rpy)
{
    switch (req->command) {
    case CMDMON_REQ_N_SOURCES:
        rpy->reply = CMDMON_RPY_N_SOURCES;
        rpy->u.n_sources.n_sources = OPS->n_sources ? (uint32_t)OPS->n_sources(OPS->ctx) : 0;
        break;
    case CMDMON_REQ_SOURCE_DATA:
    case CMDMON_REQ_SOURCESTATS:
    case CMDMON_REQ_SELECT_DATA:
        handle_indexed(n, req, now, rpy);
        break;
    case CMDMON_REQ_NTP_DATA:
    case CMDMON_REQ_NTP_SOURCE_NAME:
    case CMDMON_REQ_AUTH_DATA:
        handle_addressed(n, req, now, rpy);
        break;
    case CMDMON_REQ_TRACKING:
        handle_tracking(n, now, rpy);
        break;
    case CMDMON_REQ_ACTIVITY:
        rpy->reply = CMDMON_RPY_ACTIVITY;
        if (OPS->activity)
            OPS->activity(OPS->ctx, &rpy->u.activity);
        break;
    case CMDMON_REQ_SERVER_STATS:
        handle_server_stats(n, req, rpy);
        break;
    case CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3:
        handle_clients(n, req, now, rpy);
        break;
    case CMDMON_REQ_RTCREPORT:
        rpy->status = CMDMON_STT_NORTC;
        break;
    default:
        return 0;
    }
    return 1;
}

/* The other requests: smoothing, manual time input, access rules and control. */
static void execute_control(struct node *n, const struct cmdmon_request *req,
                            const struct timespec *now, struct cmdmon_reply *rpy)
{
    switch (req->command) {
    case CMDMON_REQ_SMOOTHING:
    case CMDMON_REQ_SMOOTHTIME:
        rpy->status = (uint16_t)handle_smoothing(n, req, rpy);
        break;
    case CMDMON_REQ_MANUAL:
    case CMDMON_REQ_MANUAL_LIST:
    case CMDMON_REQ_MANUAL_DELETE:
    case CMDMON_REQ_SETTIME:
        rpy->status = (uint16_t)handle_manual(n, req, rpy);
        break;
    case CMDMON_REQ_ALLOW:
    case CMDMON_REQ_ALLOWALL:
    case CMDMON_REQ_DENY:
    case CMDMON_REQ_DENYALL:
    case CMDMON_REQ_CMDALLOW:
    case CMDMON_REQ_CMDALLOWALL:
    case CMDMON_REQ_CMDDENY:
    case CMDMON_REQ_CMDDENYALL:
        handle_allow_deny(n, req, rpy);
        break;
    case CMDMON_REQ_ACCHECK:
    case CMDMON_REQ_CMDACCHECK:
        handle_accheck(n, req, rpy);
        break;
    case CMDMON_REQ_LOCAL2:
    case CMDMON_REQ_LOCAL3:
        /* Kept for reports, and handed to the engine, which changes the
         * local reference the node serves and falls back to. */
        n->cmd.rt.local_set = 1;
        n->cmd.rt.local = req->u.local;
        if (OPS->control)
            (void)OPS->control(OPS->ctx, req, now);
        break;
    case CMDMON_REQ_SHUTDOWN:
        /* chronyd answers first, then exits (spec 7.17). */
        n->quit_requested = 1;
        break;
    default:
        handle_other(n, req, now, rpy);
        break;
    }
}

void cmdmon_execute(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                    struct cmdmon_reply *rpy)
{
    if (!execute_report(n, req, now, rpy))
        execute_control(n, req, now, rpy);
}
