/* chronyc's "help" text, written for this implementation. */
#include "chronyc/client.h"

static const char *const help_lines[] = {
    "#Clock and reference:",
    "tracking\tShow how the system clock is being disciplined",
    "makestep\tStep the clock now by the remaining correction",
    "makestep <threshold> <updates>\tSet when the daemon may step the clock",
    "maxupdateskew <ppm>\tSet the largest frequency error bound still used",
    "waitsync [<tries> [<max-correction> [<max-skew> [<interval>]]]]\tPoll until synchronised",
    "#Sources:",
    "sources [-a] [-v]\tList the time sources and their last sample",
    "sourcestats [-a] [-v]\tShow the regression statistics of each source",
    "selectdata [-a] [-v]\tShow why each source was or was not selected",
    "authdata [-a] [-v]\tShow the authentication state of NTP sources",
    "reselect\tRun the source selection again",
    "reselectdist <seconds>\tSet the distance favouring the current source",
    "offset <address|refid> <seconds>\tSet the correction applied to a source",
    "selectopts <address|refid> [+|-]<option>...\tChange selection options",
    "#NTP sources:",
    "activity\tCount sources by online/offline state",
    "ntpdata [<address>]\tShow details of the last NTP exchange",
    "sourcename <address>\tShow the configured name of a source",
    "add server|pool|peer <name> [options]\tAdd a new NTP source",
    "delete <address>\tRemove an NTP source",
    "burst <good>/<max> [<selector>]\tTake a quick series of measurements",
    "online [<selector>]\tMark sources as reachable",
    "offline [<selector>]\tMark sources as unreachable",
    "onoffline\tSet online/offline by the routing table",
    "minpoll|maxpoll <address> <log2-seconds>\tChange a polling limit",
    "maxdelay <address> <seconds>\tChange the largest accepted delay",
    "maxdelayratio|maxdelaydevratio <address> <ratio>\tChange a delay ratio limit",
    "minstratum <address> <stratum>\tChange the minimum stratum",
    "polltarget <address> <samples>\tChange the poll target",
    "refresh\tResolve the source names again",
    "reload sources\tRead the sourcedir files again",
    "reset sources\tForget all measurements",
    "#Manual time input:",
    "manual on|off|reset\tControl the manual input mode",
    "manual list\tList the manual samples",
    "manual delete <index>\tDrop one manual sample",
    "settime <time>\tEnter the current time by hand",
    "#Access to the NTP server:",
    "allow|deny [all] [<subnet>]\tChange who may use the NTP server",
    "accheck <address>\tTell whether an address may use the NTP server",
    "clients [-p <packets>] [-k] [-r]\tList the clients seen by the server",
    "serverstats\tShow the counters of the NTP server",
    "#Access to the command port:",
    "cmdallow|cmddeny [all] [<subnet>]\tChange who may send monitoring commands",
    "cmdaccheck <address>\tTell whether an address may send commands",
    "#Real-time clock:",
    "rtcdata\tShow what is known about the RTC",
    "trimrtc\tCorrect the RTC to the system time",
    "writertc\tSave the RTC parameters",
    "#Daemon:",
    "cyclelogs\tReopen the log files",
    "dump\tWrite the measurement history to files",
    "rekey\tRead the key file again",
    "local [options]\tServe time with no synchronised source",
    "local off\tStop serving unsynchronised time",
    "smoothing\tShow the state of time smoothing",
    "smoothtime activate|reset\tControl time smoothing",
    "shutdown\tStop the daemon",
    "#This client:",
    "dns -n|+n\tTurn reverse lookups of addresses off or on",
    "dns -4|-6|-46\tResolve names to IPv4, IPv6 or both",
    "timeout <milliseconds>\tSet the first reply timeout",
    "retries <n>\tSet how often a request is resent",
    "keygen [<id> [<type> [<bits>]]]\tPrint a random key for a key file",
    "help\tShow this list",
    "exit|quit\tLeave the program",
};

void chronyc_print_help(FILE *f)
{
    for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++) {
        const char *l = help_lines[i];
        const char *tab;
        if (l[0] == '#') {
            fprintf(f, "%s%s\n", i ? "\n" : "", l + 1);
            continue;
        }
        tab = l;
        while (*tab && *tab != '\t')
            tab++;
        fprintf(f, "  %-*.*s %s\n", 42, (int)(tab - l), l, *tab ? tab + 1 : "");
    }
}
