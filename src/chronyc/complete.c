/* Completion lists of chronyc, those of chrony 4.8's client. */
#include "chronyc/complete.h"

#include <string.h>

static const char *const commands[] = {"accheck",
                                       "activity",
                                       "add",
                                       "allow",
                                       "authdata",
                                       "burst",
                                       "clients",
                                       "cmdaccheck",
                                       "cmdallow",
                                       "cmddeny",
                                       "cyclelogs",
                                       "delete",
                                       "deny",
                                       "dns",
                                       "dump",
                                       "exit",
                                       "help",
                                       "keygen",
                                       "local",
                                       "makestep",
                                       "manual",
                                       "maxdelay",
                                       "maxdelaydevratio",
                                       "maxdelayratio",
                                       "maxpoll",
                                       "maxupdateskew",
                                       "minpoll",
                                       "minstratum",
                                       "ntpdata",
                                       "offline",
                                       "offset",
                                       "online",
                                       "onoffline",
                                       "polltarget",
                                       "quit",
                                       "refresh",
                                       "rekey",
                                       "reload",
                                       "reselect",
                                       "reselectdist",
                                       "reset",
                                       "retries",
                                       "rtcdata",
                                       "selectdata",
                                       "selectopts",
                                       "serverstats",
                                       "settime",
                                       "shutdown",
                                       "smoothing",
                                       "smoothtime",
                                       "sourcename",
                                       "sources",
                                       "sourcestats",
                                       "timeout",
                                       "tracking",
                                       "trimrtc",
                                       "waitsync",
                                       "writertc",
                                       NULL};
static const char *const add_words[] = {"peer", "pool", "server", NULL};
static const char *const manual_words[] = {"on", "off", "delete", "list", "reset", NULL};
static const char *const sources_words[] = {"sources", NULL};
static const char *const flag_words[] = {"-a", "-v", NULL};

static const struct {
    const char *before; /* the line before the word, exactly */
    const char *const *words;
} argument_lists[] = {
    {"add ", add_words},        {"authdata ", flag_words},    {"manual ", manual_words},
    {"reload ", sources_words}, {"reset ", sources_words},    {"selectdata ", flag_words},
    {"sources ", flag_words},   {"sourcestats ", flag_words},
};

const char *const *complete_candidates(const char *line, size_t start)
{
    if (start == 0)
        return commands;
    for (size_t i = 0; i < sizeof(argument_lists) / sizeof(argument_lists[0]); i++) {
        const char *b = argument_lists[i].before;
        if (strlen(b) == start && !strncmp(line, b, start))
            return argument_lists[i].words;
    }
    return NULL;
}

const char *complete_match(const char *const *list, const char *prefix, size_t index)
{
    size_t len = strlen(prefix);

    for (; list && *list; list++)
        if (!strncmp(*list, prefix, len) && index-- == 0)
            return *list;
    return NULL;
}
