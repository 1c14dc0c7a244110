/* The leap second table of `leapseclist` (preferred, as chrony) or `leapsectz`,
 * read once at start and handed to the engine, which announces its leap seconds
 * when the sources do not (chrony's leap second database). */
#include "daemon/node_internal.h"

#include "daemon/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where leapsectz names are looked up (chrony uses the C library's TZ lookup). */
#define ZONEINFO_DIR "/usr/share/zoneinfo"

static int load_list(struct node *n, struct leapdb *db)
{
    size_t len = 0;
    char *text = n->env->files.read_all(n->env->files.ctx, n->cfg->leapseclist, &len);
    int ok = text && leapdb_parse_list(db, text, len) == 0 && leapdb_check(db);

    free(text);
    return ok;
}

static int load_tz(struct node *n, struct leapdb *db)
{
    const char *name = n->cfg->leapsectz;
    char path[512];
    size_t len = 0;
    char *data;
    int ok;

    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name);
    data = n->env->files.read_all(n->env->files.ctx, path, &len);
    ok = data && leapdb_parse_tzif(db, (const uint8_t *)data, len) == 0 && leapdb_check(db);
    free(data);
    return ok;
}

void reference_leap_load(struct node *n)
{
    struct leapdb list, tz;
    int tz_ok = 0, list_ok = 0;

    leapdb_init(&list);
    leapdb_init(&tz);
    if (n->cfg->leapsectz) {
        tz_ok = load_tz(n, &tz);
        if (!tz_ok)
            LOG_WARN(n->env->log, "Timezone %s failed leap second check, ignoring",
                     n->cfg->leapsectz);
    }
    if (n->cfg->leapseclist) {
        list_ok = load_list(n, &list);
        if (!list_ok)
            LOG_WARN(n->env->log, "Leap second list %s failed check, ignoring",
                     n->cfg->leapseclist);
    }
    if (list_ok) {
        engine_set_leapdb(&n->engine, &list, 1);
        LOG_INFO(n->env->log, "Using leap second list %s", n->cfg->leapseclist);
    } else if (tz_ok) {
        engine_set_leapdb(&n->engine, &tz, 0);
        LOG_INFO(n->env->log, "Using %s timezone to obtain leap second data", n->cfg->leapsectz);
    }
    leapdb_free(&list);
    leapdb_free(&tz);
}
