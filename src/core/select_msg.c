/* Status letters, report states and the user-visible selection messages of
 * select.h, kept in one place. The message texts are chrony's (sources.c),
 * which the daemon logs verbatim. */
#include <stdio.h>

#include "core/select.h"

static const char status_chars[SELECT_ST_COUNT] = {
    [SELECT_ST_OK] = '?',           [SELECT_ST_UNSELECTABLE] = 'N',
    [SELECT_ST_BAD_STATS] = 'M',    [SELECT_ST_UNSYNCHRONISED] = 's',
    [SELECT_ST_BAD_DISTANCE] = 'd', [SELECT_ST_JITTERY] = '~',
    [SELECT_ST_WAITS_STATS] = 'w',  [SELECT_ST_STALE] = 'S',
    [SELECT_ST_ORPHAN] = 'O',       [SELECT_ST_UNTRUSTED] = 'T',
    [SELECT_ST_FALSETICKER] = 'x',  [SELECT_ST_WAITS_SOURCES] = 'W',
    [SELECT_ST_NONPREFERRED] = 'P', [SELECT_ST_WAITS_UPDATE] = 'U',
    [SELECT_ST_DISTANT] = 'D',      [SELECT_ST_OUTLIER] = 'L',
    [SELECT_ST_UNSELECTED] = '+',   [SELECT_ST_SELECTED] = '*',
};

char select_status_char(enum select_status st)
{
    if ((int)st < 0 || st >= SELECT_ST_COUNT)
        return '?';
    return status_chars[st];
}

enum select_report_state select_status_report_state(enum select_status st)
{
    switch (st) {
    case SELECT_ST_FALSETICKER:
        return SELECT_RPT_FALSETICKER;
    case SELECT_ST_JITTERY:
        return SELECT_RPT_JITTERY;
    case SELECT_ST_WAITS_SOURCES:
    case SELECT_ST_NONPREFERRED:
    case SELECT_ST_WAITS_UPDATE:
    case SELECT_ST_DISTANT:
    case SELECT_ST_OUTLIER:
        return SELECT_RPT_SELECTABLE;
    case SELECT_ST_UNSELECTED:
        return SELECT_RPT_UNSELECTED;
    case SELECT_ST_SELECTED:
        return SELECT_RPT_SELECTED;
    default:
        return SELECT_RPT_NONSELECTABLE;
    }
}

char select_report_state_char(enum select_report_state rs)
{
    static const char chars[] = {'*', '?', 'x', '~', '+', '-'};

    if ((int)rs < 0 || (size_t)rs >= sizeof(chars))
        return ' ';
    return chars[rs];
}

enum select_severity select_event_severity(enum select_event_code code)
{
    return code == SELECT_EV_SELECTED || code == SELECT_EV_REPLACE_SOURCE ? SELECT_SEV_INFO
                                                                          : SELECT_SEV_WARN;
}

#define NO_SYNC "Can't synchronise: "

int select_event_format(const struct select_event *ev, const char *name, char *buf, size_t len)
{
    const char *tr = ev->trusted ? "trusted " : "";

    if (!name)
        name = "";
    if (len == 0)
        return 0;
    buf[0] = '\0';
    switch (ev->code) {
    case SELECT_EV_SELECTED:
        snprintf(buf, len, "Selected source %s", name);
        return 1;
    case SELECT_EV_FALSETICKER:
        snprintf(buf, len, "Detected falseticker %s", name);
        return 1;
    case SELECT_EV_MAX_DISTANCE:
        snprintf(buf, len, "Root distance of %s exceeds maxdistance of %.3f seconds", name,
                 ev->value);
        return 1;
    case SELECT_EV_MAX_JITTER:
        snprintf(buf, len, "Jitter of %s exceeds maxjitter of %.3f seconds", name, ev->value);
        return 1;
    case SELECT_EV_NO_SOURCES:
        snprintf(buf, len, NO_SYNC "no sources");
        return 1;
    case SELECT_EV_NO_SELECTABLE_UNREACH:
        snprintf(buf, len, NO_SYNC "no selectable sources (%d unreachable sources)", ev->n1);
        return 1;
    case SELECT_EV_NO_MAJORITY_NONE:
        snprintf(buf, len, NO_SYNC "no majority (no agreement among %d %ssources)", ev->n2, tr);
        return 1;
    case SELECT_EV_NO_MAJORITY_SOME:
        snprintf(buf, len, NO_SYNC "no majority (only %d of %d %ssources agree)", ev->n1, ev->n2,
                 tr);
        return 1;
    case SELECT_EV_NO_SELECTABLE:
        snprintf(buf, len, NO_SYNC "no selectable sources");
        return 1;
    case SELECT_EV_NO_REQUIRED:
        snprintf(buf, len, NO_SYNC "no required source in selectable sources");
        return 1;
    case SELECT_EV_NOT_ENOUGH:
        snprintf(buf, len, NO_SYNC "not enough selectable sources");
        return 1;
    case SELECT_EV_UNKNOWN_LOCAL_REFID:
        snprintf(buf, len, "Unknown local refid in orphan mode");
        return 1;
    default:
        return 0;
    }
}
