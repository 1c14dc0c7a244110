/* Every command of chrony's command protocol that the daemon answers, and the function
 * that handles it: the one place that says where command X is handled. A command not
 * listed is answered INVALID (spec cmdmon.md 5.3), as chronyd answers the codes it
 * retired (LOGON, LOCAL, DOFFSET). */
#include "daemon/node_internal.h"

#include "daemon/config.h"
#include "daemon/keyfile.h"
#include "daemon/sources_dump.h"
#include "proto/cmdmon.h"

/* The sources' handlers (sources_report.c), given the node's sources. */
void node_h_sources_n_sources(struct node *n, const struct cmdmon_request *req,
                              const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_n_sources(&n->srcs, req, now, rpy);
}

void node_h_sources_indexed(struct node *n, const struct cmdmon_request *req,
                            const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_indexed(&n->srcs, req, now, rpy);
}

void node_h_sources_addressed(struct node *n, const struct cmdmon_request *req,
                              const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_addressed(&n->srcs, req, now, rpy);
}

void node_h_sources_tracking(struct node *n, const struct cmdmon_request *req,
                             const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_tracking(&n->srcs, req, now, rpy);
}

void node_h_sources_activity(struct node *n, const struct cmdmon_request *req,
                             const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_activity(&n->srcs, req, now, rpy);
}

void node_h_sources_control(struct node *n, const struct cmdmon_request *req,
                            const struct timespec *now, struct cmdmon_reply *rpy)
{
    sources_h_control(&n->srcs, req, now, rpy);
}

/* The command server's own handlers (cmdmon_handlers.c), given the node's command server. */
static void h_server_stats(struct node *n, const struct cmdmon_request *req,
                           const struct timespec *now, struct cmdmon_reply *rpy)
{
    cmdmon_h_server_stats(&n->cmd, req, now, rpy);
}

static void h_clients(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                      struct cmdmon_reply *rpy)
{
    cmdmon_h_clients(&n->cmd, req, now, rpy);
}

static void h_allow_deny(struct node *n, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    cmdmon_h_allow_deny(&n->cmd, req, now, rpy);
}

static void h_accheck(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                      struct cmdmon_reply *rpy)
{
    cmdmon_h_accheck(&n->cmd, req, now, rpy);
}

static void h_manual(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                     struct cmdmon_reply *rpy)
{
    sources_h_manual(&n->srcs, req, now, rpy);
}

static void h_smoothing(struct node *n, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy)
{
    reference_h_smoothing(&n->ref, req, now, rpy);
}

static void h_rtcreport(struct node *n, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    if (rtc_report(&n->rtc, &rpy->u.rtc))
        rpy->reply = CMDMON_RPY_RTC;
    else
        rpy->status = CMDMON_STT_NORTC;
}

static void h_trimrtc(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                      struct cmdmon_reply *rpy)
{
    (void)req;
    if (!rtc_trim(&n->rtc, now))
        rpy->status = CMDMON_STT_NORTC;
}

static void h_writertc(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                       struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    rpy->status = (uint16_t)rtc_write(&n->rtc);
}

/* The daemon's own commands: they reach several components. */
static void h_shutdown(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                       struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    (void)rpy;
    /* chronyd answers first, then exits (spec 7.17). */
    LOG_INFO(n->env->log, "Received shutdown command");
    n->status.quit_requested = 1;
}

static void h_cyclelogs(struct node *n, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    (void)rpy;
    logfiles_cycle(&n->logs);
    if (n->env->files.cycle_log)
        n->env->files.cycle_log(n->env->files.ctx);
}

static void h_rekey(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                    struct cmdmon_reply *rpy)
{
    (void)req;
    (void)rpy;
    keyfile_load(&n->keys, n->cfg->keyfile, n->env);
    n->keys_gen++;
    serve_nts_reload_keys(&n->serve, now);
}

static void h_dump(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                   struct cmdmon_reply *rpy)
{
    (void)req;
    (void)rpy;
    sources_dump_save_all(&n->srcs);
    serve_nts_dump_keys(&n->serve, now);
}

static const struct cmdmon_command node_commands[] = {
    /* Reports of the sources and the reference (sources_report.c). */
    {CMDMON_REQ_N_SOURCES, node_h_sources_n_sources},
    {CMDMON_REQ_SOURCE_DATA, node_h_sources_indexed},
    {CMDMON_REQ_SOURCESTATS, node_h_sources_indexed},
    {CMDMON_REQ_SELECT_DATA, node_h_sources_indexed},
    {CMDMON_REQ_NTP_DATA, node_h_sources_addressed},
    {CMDMON_REQ_NTP_SOURCE_NAME, node_h_sources_addressed},
    {CMDMON_REQ_AUTH_DATA, node_h_sources_addressed},
    {CMDMON_REQ_TRACKING, node_h_sources_tracking},
    {CMDMON_REQ_ACTIVITY, node_h_sources_activity},
    /* Source and clock control (sources_report.c, sources_cmd.c). */
    {CMDMON_REQ_ONLINE, node_h_sources_control},
    {CMDMON_REQ_OFFLINE, node_h_sources_control},
    {CMDMON_REQ_BURST, node_h_sources_control},
    {CMDMON_REQ_ONOFFLINE, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MINPOLL, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAXPOLL, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MINSTRATUM, node_h_sources_control},
    {CMDMON_REQ_MODIFY_POLLTARGET, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAXDELAY, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAXDELAYRATIO, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO, node_h_sources_control},
    {CMDMON_REQ_MODIFY_SELECTOPTS, node_h_sources_control},
    {CMDMON_REQ_MODIFY_OFFSET, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAXUPDATESKEW, node_h_sources_control},
    {CMDMON_REQ_RESELECTDISTANCE, node_h_sources_control},
    {CMDMON_REQ_MODIFY_MAKESTEP, node_h_sources_control},
    {CMDMON_REQ_ADD_SOURCE, node_h_sources_control},
    {CMDMON_REQ_DEL_SOURCE, node_h_sources_control},
    {CMDMON_REQ_RESET_SOURCES, node_h_sources_control},
    {CMDMON_REQ_RELOAD_SOURCES, node_h_sources_control},
    {CMDMON_REQ_REFRESH, node_h_sources_control},
    {CMDMON_REQ_RESELECT, node_h_sources_control},
    {CMDMON_REQ_MAKESTEP, node_h_sources_control},
    {CMDMON_REQ_DFREQ, node_h_sources_control},
    {CMDMON_REQ_DOFFSET2, node_h_sources_control},
    {CMDMON_REQ_LOCAL2, node_h_sources_control},
    {CMDMON_REQ_LOCAL3, node_h_sources_control},
    /* The server, its clients and access rules (cmdmon_handlers.c). */
    {CMDMON_REQ_SERVER_STATS, h_server_stats},
    {CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, h_clients},
    {CMDMON_REQ_ALLOW, h_allow_deny},
    {CMDMON_REQ_ALLOWALL, h_allow_deny},
    {CMDMON_REQ_DENY, h_allow_deny},
    {CMDMON_REQ_DENYALL, h_allow_deny},
    {CMDMON_REQ_CMDALLOW, h_allow_deny},
    {CMDMON_REQ_CMDALLOWALL, h_allow_deny},
    {CMDMON_REQ_CMDDENY, h_allow_deny},
    {CMDMON_REQ_CMDDENYALL, h_allow_deny},
    {CMDMON_REQ_ACCHECK, h_accheck},
    {CMDMON_REQ_CMDACCHECK, h_accheck},
    /* Manual time input (sources), smoothing (reference_smooth.c), the RTC. */
    {CMDMON_REQ_MANUAL, h_manual},
    {CMDMON_REQ_MANUAL_LIST, h_manual},
    {CMDMON_REQ_MANUAL_DELETE, h_manual},
    {CMDMON_REQ_SETTIME, h_manual},
    {CMDMON_REQ_SMOOTHING, h_smoothing},
    {CMDMON_REQ_SMOOTHTIME, h_smoothing},
    {CMDMON_REQ_RTCREPORT, h_rtcreport},
    {CMDMON_REQ_TRIMRTC, h_trimrtc},
    {CMDMON_REQ_WRITERTC, h_writertc},
    /* The daemon (above). */
    {CMDMON_REQ_CYCLELOGS, h_cyclelogs},
    {CMDMON_REQ_REKEY, h_rekey},
    {CMDMON_REQ_DUMP, h_dump},
    {CMDMON_REQ_SHUTDOWN, h_shutdown},
};

void node_install_commands(struct node *n)
{
    n->cmd.commands = node_commands;
    n->cmd.n_commands = sizeof(node_commands) / sizeof(node_commands[0]);
}
