/* The command server's own command handlers: server statistics, client accesses, access
 * rules, manual time input and the RTC (spec cmdmon.md 6, 7). The command table is
 * node_commands.c; cmdmon_execute() looks a request up in it. */
#include "daemon/cmdmon_server.h"

#include "core/access.h"
#include "core/clientlog.h"
#include "daemon/config.h"
#include "daemon/ntp_serve.h"
#include "lib/addr.h"
#include "lib/log.h"

#include <stdio.h>
#include <string.h>

/* SERVER_STATS: the variant is chosen by the request length so that 4.0-4.3
 * clients, whose requests are shorter, still get an answer (spec 10.3). */
void cmdmon_h_server_stats(struct cmdmon_server *c, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy)
{
    struct cmdmon_server_stats *o = &rpy->u.server_stats;
    struct serve_stats all;
    const struct clientlog_stats *s = &all.cl;

    (void)now;
    /* This process's counters, and with serverworkers (ours) the workers' last reports. */
    serve_get_stats(c->serve, &all);
    serve_stats_add(&all, &c->serve->workers);
    if (req->length >= cmdmon_reply_length(CMDMON_RPY_SERVER_STATS4))
        rpy->reply = CMDMON_RPY_SERVER_STATS4;
    else if (req->length >= cmdmon_reply_length(CMDMON_RPY_SERVER_STATS3))
        rpy->reply = CMDMON_RPY_SERVER_STATS3;
    else
        rpy->reply = CMDMON_RPY_SERVER_STATS2;
    o->ntp_hits = s->hits[CLOG_NTP];
    o->cmd_hits = s->hits[CLOG_CMD];
    /* With `authonly`, the unauthenticated requests it dropped count as dropped too. */
    o->ntp_drops = s->drops[CLOG_NTP] + all.unauth_dropped;
    /* As chrony: NTS-KE connections past allow/deny, and those refused by ntsratelimit. */
    o->nke_hits = s->hits[CLOG_NTSKE];
    o->nke_drops = s->drops[CLOG_NTSKE];
    o->cmd_drops = s->drops[CLOG_CMD];
    o->log_drops = s->log_drops;
    o->ntp_auth_hits = s->ntp_auth_hits;
    o->ntp_interleaved_hits = s->ntp_interleaved_hits;
    /* The interleaved-mode timestamps live with the server (ntp_serve.c). */
    o->ntp_timestamps = s->ntp_timestamps;
    o->ntp_span_seconds = s->ntp_span_seconds;
    o->ntp_daemon_rx_timestamps = s->ntp_rx_ts[CLOG_TS_DAEMON];
    o->ntp_daemon_tx_timestamps = s->ntp_tx_ts[CLOG_TS_DAEMON];
    o->ntp_kernel_rx_timestamps = s->ntp_rx_ts[CLOG_TS_KERNEL];
    o->ntp_kernel_tx_timestamps = s->ntp_tx_ts[CLOG_TS_KERNEL];
    o->ntp_hw_rx_timestamps = s->ntp_rx_ts[CLOG_TS_HW];
    o->ntp_hw_tx_timestamps = s->ntp_tx_ts[CLOG_TS_HW];
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

/* The client log of process k for `clients`: this process's (0), then with serverworkers
 * (ours) the workers' in the order they were started. */
static struct clientlog *clients_table(const struct cmdmon_server *c, uint32_t k)
{
    return k == 0 ? c->clientlog : c->worker_logs[k - 1];
}

/* CLIENT_ACCESSES_BY_INDEX3 (spec 6.9): examine slots from first_index until
 * the wanted number of records (at most 8) is found. With serverworkers, process k's
 * record i has the index k * stride + i (stride: the records of the largest table, a
 * power of two, so a table's growth never moves another's indices); the indices past a
 * table's current end are skipped, and a reply is filled across tables. n_indices is
 * the end of the last table. A worker's table is only read here: a reset (-r) is asked
 * of its worker when the walk leaves the table, and applied at the worker's next
 * wake-up. */
void cmdmon_h_clients(struct cmdmon_server *c, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct cmdmon_req_clients *q = &req->u.clients;
    struct cmdmon_client_accesses *o = &rpy->u.client_accesses;
    uint32_t last = (uint32_t)c->n_worker_logs, stride = 0, n_indices;
    uint32_t want =
        q->n_clients < CMDMON_MAX_CLIENT_RECORDS ? q->n_clients : CMDMON_MAX_CLIENT_RECORDS;
    uint32_t i, j = 0;
    int reset = q->reset != 0;

    if (clientlog_n_indices(c->clientlog) < 0) {
        rpy->status = CMDMON_STT_INACTIVE;
        return;
    }
    for (uint32_t k = 0; k <= last; k++)
        if (clientlog_max_records(clients_table(c, k)) > stride)
            stride = (uint32_t)clientlog_max_records(clients_table(c, k));
    n_indices = last * stride + (uint32_t)clientlog_n_indices(clients_table(c, last));
    rpy->reply = CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3;
    for (i = q->first_index; i < n_indices && j < want; i++) {
        uint32_t k = i / stride, local = i % stride;
        struct clientlog *t = clients_table(c, k);
        struct clientlog_report r;

        if (local >= (uint32_t)clientlog_n_indices(t)) {
            /* Past table k's end: the walk left it, on to the next one. */
            if (reset && k > 0 && local == (uint32_t)clientlog_n_indices(t))
                clientlog_request_reset(t);
            i = (k + 1) * stride - 1;
            continue;
        }
        if (clientlog_report_index(t, local, k == 0 && reset, q->min_hits, now, &r))
            client_record(&r, &o->clients[j++]);
    }
    /* The walk reached the end of the last table. */
    if (reset && last > 0 && i >= n_indices)
        clientlog_request_reset(clients_table(c, last));
    o->n_indices = n_indices;
    o->next_index = i;
    o->n_clients = j;
}

/* chrony's message for a changed access table ("Allowed all NTP access from
 * 192.0.2.0/24"); a full-length prefix is printed as the bare address. */
static void log_access_change(struct cmdmon_server *c, const struct ip_addr *ip, int bits,
                              int allow, int all, int cmd)
{
    char addr[64], subnet[80];

    if (ip->family == IPF_UNSPEC)
        snprintf(subnet, sizeof(subnet), "any address");
    else if (bits == ip_addr_bits(ip->family))
        snprintf(subnet, sizeof(subnet), "%s", ip_addr_format(ip, addr, sizeof(addr)));
    else
        snprintf(subnet, sizeof(subnet), "%s/%d", ip_addr_format(ip, addr, sizeof(addr)), bits);
    LOG_INFO(c->env->log, "%s%s %s access from %s", allow ? "Allowed" : "Denied", all ? " all" : "",
             cmd ? "command" : "NTP", subnet);
}

/* ALLOW ... CMDDENYALL: change the NTP or command access table (spec 7.16). */
void cmdmon_h_allow_deny(struct cmdmon_server *c, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    uint16_t code = req->command;
    int cmd = code >= CMDMON_REQ_CMDALLOW;
    int allow = code == CMDMON_REQ_ALLOW || code == CMDMON_REQ_ALLOWALL ||
                code == CMDMON_REQ_CMDALLOW || code == CMDMON_REQ_CMDALLOWALL;
    int all = code == CMDMON_REQ_ALLOWALL || code == CMDMON_REQ_DENYALL ||
              code == CMDMON_REQ_CMDALLOWALL || code == CMDMON_REQ_CMDDENYALL;
    struct access_table **t = cmd ? &c->access : &c->serve->access;
    struct ip_addr ip;

    int fam = req->u.subnet.ip.family, bits = req->u.subnet.subnet_bits;

    (void)now;
    cmdmon_addr_to_ip(&req->u.subnet.ip, &ip);
    /* As chrony: an unknown family counts as "any address", which takes no prefix bits; the
     * ID family and prefixes outside 0..32 / 0..128 are a bad subnet. */
    if (fam == CMDMON_AF_ID || bits < 0 || (ip.family == IPF_UNSPEC && bits != 0) ||
        (ip.family != IPF_UNSPEC && bits > ip_addr_bits(ip.family))) {
        rpy->status = CMDMON_STT_BADSUBNET;
        return;
    }
    if (!*t)
        *t = access_new();
    if (access_add(*t, &ip, bits, allow, all) != ACCESS_OK) {
        rpy->status = CMDMON_STT_BADSUBNET;
        return;
    }
    log_access_change(c, &ip, req->u.subnet.subnet_bits, allow, all, cmd);
    if (!cmd) {
        serve_access_note(c->serve, &ip, bits, allow, all);
        serve_access_changed(c->serve);
    }
}

void cmdmon_h_accheck(struct cmdmon_server *c, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct access_table *t =
        req->command == CMDMON_REQ_CMDACCHECK ? c->access : c->serve->access;
    struct ip_addr ip;

    (void)now;
    cmdmon_addr_to_ip(&req->u.address.ip, &ip);
    rpy->status = t && ip.family != IPF_UNSPEC && access_check(t, &ip) ? CMDMON_STT_ACCESSALLOWED
                                                                       : CMDMON_STT_ACCESSDENIED;
}

/* RTCREPORT, TRIMRTC, WRITERTC: no RTC is driven. */
void cmdmon_h_no_rtc(struct cmdmon_server *c, const struct cmdmon_request *req,
                     const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)c;
    (void)req;
    (void)now;
    rpy->status = CMDMON_STT_NORTC;
}

void cmdmon_execute(struct cmdmon_server *c, const struct cmdmon_request *req,
                    const struct timespec *now, struct cmdmon_reply *rpy)
{

    for (size_t i = 0; i < c->n_commands; i++) {
        if (c->commands[i].command == req->command) {
            c->commands[i].handle(c->node, req, now, rpy);
            return;
        }
    }
    rpy->status = CMDMON_STT_INVALID;
}
