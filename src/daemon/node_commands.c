/* Every command of chrony's command protocol that the daemon answers, and the function
 * that handles it: the one place that says where command X is handled. A command not
 * listed is answered INVALID (spec cmdmon.md 5.3), as chronyd answers the codes it
 * retired (LOGON, LOCAL, DOFFSET). */
#include "daemon/node_internal.h"

#include "proto/cmdmon.h"

static const struct cmdmon_command node_commands[] = {
    /* Reports of the sources and the reference (sources_report.c). */
    {CMDMON_REQ_N_SOURCES, sources_h_n_sources},
    {CMDMON_REQ_SOURCE_DATA, sources_h_indexed},
    {CMDMON_REQ_SOURCESTATS, sources_h_indexed},
    {CMDMON_REQ_SELECT_DATA, sources_h_indexed},
    {CMDMON_REQ_NTP_DATA, sources_h_addressed},
    {CMDMON_REQ_NTP_SOURCE_NAME, sources_h_addressed},
    {CMDMON_REQ_AUTH_DATA, sources_h_addressed},
    {CMDMON_REQ_TRACKING, sources_h_tracking},
    {CMDMON_REQ_ACTIVITY, sources_h_activity},
    /* Source and clock control (sources_report.c, sources_cmd.c). */
    {CMDMON_REQ_ONLINE, sources_h_control},
    {CMDMON_REQ_OFFLINE, sources_h_control},
    {CMDMON_REQ_BURST, sources_h_control},
    {CMDMON_REQ_ONOFFLINE, sources_h_control},
    {CMDMON_REQ_MODIFY_MINPOLL, sources_h_control},
    {CMDMON_REQ_MODIFY_MAXPOLL, sources_h_control},
    {CMDMON_REQ_MODIFY_MINSTRATUM, sources_h_control},
    {CMDMON_REQ_MODIFY_POLLTARGET, sources_h_control},
    {CMDMON_REQ_MODIFY_MAXDELAY, sources_h_control},
    {CMDMON_REQ_MODIFY_MAXDELAYRATIO, sources_h_control},
    {CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO, sources_h_control},
    {CMDMON_REQ_MODIFY_SELECTOPTS, sources_h_control},
    {CMDMON_REQ_MODIFY_OFFSET, sources_h_control},
    {CMDMON_REQ_MODIFY_MAXUPDATESKEW, sources_h_control},
    {CMDMON_REQ_ADD_SOURCE, sources_h_control},
    {CMDMON_REQ_DEL_SOURCE, sources_h_control},
    {CMDMON_REQ_RESET_SOURCES, sources_h_control},
    {CMDMON_REQ_RELOAD_SOURCES, sources_h_control},
    {CMDMON_REQ_REFRESH, sources_h_control},
    {CMDMON_REQ_RESELECT, sources_h_control},
    {CMDMON_REQ_MAKESTEP, sources_h_control},
    {CMDMON_REQ_DFREQ, sources_h_control},
    {CMDMON_REQ_DOFFSET2, sources_h_control},
    {CMDMON_REQ_LOCAL2, sources_h_control},
    {CMDMON_REQ_LOCAL3, sources_h_control},
    /* The server, its clients and access rules (cmdmon_handlers.c). */
    {CMDMON_REQ_SERVER_STATS, cmdmon_h_server_stats},
    {CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, cmdmon_h_clients},
    {CMDMON_REQ_ALLOW, cmdmon_h_allow_deny},
    {CMDMON_REQ_ALLOWALL, cmdmon_h_allow_deny},
    {CMDMON_REQ_DENY, cmdmon_h_allow_deny},
    {CMDMON_REQ_DENYALL, cmdmon_h_allow_deny},
    {CMDMON_REQ_CMDALLOW, cmdmon_h_allow_deny},
    {CMDMON_REQ_CMDALLOWALL, cmdmon_h_allow_deny},
    {CMDMON_REQ_CMDDENY, cmdmon_h_allow_deny},
    {CMDMON_REQ_CMDDENYALL, cmdmon_h_allow_deny},
    {CMDMON_REQ_ACCHECK, cmdmon_h_accheck},
    {CMDMON_REQ_CMDACCHECK, cmdmon_h_accheck},
    /* Manual time input, smoothing, the RTC (cmdmon_handlers.c). */
    {CMDMON_REQ_MANUAL, cmdmon_h_manual},
    {CMDMON_REQ_MANUAL_LIST, cmdmon_h_manual},
    {CMDMON_REQ_MANUAL_DELETE, cmdmon_h_manual},
    {CMDMON_REQ_SETTIME, cmdmon_h_manual},
    {CMDMON_REQ_SMOOTHING, cmdmon_h_smoothing},
    {CMDMON_REQ_SMOOTHTIME, cmdmon_h_smoothing},
    {CMDMON_REQ_RTCREPORT, cmdmon_h_no_rtc},
    {CMDMON_REQ_TRIMRTC, cmdmon_h_no_rtc},
    {CMDMON_REQ_WRITERTC, cmdmon_h_no_rtc},
    {CMDMON_REQ_RESELECTDISTANCE, cmdmon_h_accepted},
    {CMDMON_REQ_MODIFY_MAKESTEP, cmdmon_h_accepted},
    /* The daemon (cmdmon_handlers.c). */
    {CMDMON_REQ_CYCLELOGS, cmdmon_h_cyclelogs},
    {CMDMON_REQ_REKEY, cmdmon_h_rekey},
    {CMDMON_REQ_DUMP, cmdmon_h_dump},
    {CMDMON_REQ_SHUTDOWN, cmdmon_h_shutdown},
};

void node_install_commands(struct node *n)
{
    n->cmd.commands = node_commands;
    n->cmd.n_commands = sizeof(node_commands) / sizeof(node_commands[0]);
}
