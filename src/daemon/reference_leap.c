/* The leap second table of `leapseclist` (preferred, as chrony) or `leapsectz`,
 * read once at start and handed to the engine, which announces its leap seconds
 * when the sources do not (chrony's leap second database). */
#include "daemon/reference.h"

#include "daemon/config.h"
#include "daemon/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where leapsectz names are looked up (chrony uses the C library's TZ lookup). */
#define ZONEINFO_DIR "/usr/share/zoneinfo"

static int load_list(struct reference *r, struct leapdb *db)
{
    size_t len = 0;
    char *text = r->env->files.read_all(r->env->files.ctx, r->cfg->leapseclist, &len);
    int ok = text && leapdb_parse_list(db, text, len) == 0 && leapdb_check(db);

    free(text);
    return ok;
}

static int load_tz(struct reference *r, struct leapdb *db)
{
    const char *name = r->cfg->leapsectz;
    char path[512];
    size_t len = 0;
    char *data;
    int ok;

    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name);
    data = r->env->files.read_all(r->env->files.ctx, path, &len);
    ok = data && leapdb_parse_tzif(db, (const uint8_t *)data, len) == 0 && leapdb_check(db);
    free(data);
    return ok;
}

void reference_leap_reload(struct reference *r)
{
    struct leapdb db;
    int is_list = r->leap_in_use == 1, ok;

    if (!r->leap_in_use)
        return;
    leapdb_init(&db);
    if (is_list) {
        size_t len = 0;
        char *text = r->env->files.read_all(r->env->files.ctx, r->cfg->leapseclist, &len);

        ok = text && leapdb_parse_list(&db, text, len) == 0;
        if (!text)
            LOG_ERR(r->env->log, "Failed to open leap seconds list %s", r->cfg->leapseclist);
        else if (!ok)
            LOG_ERR(r->env->log, "Failed to parse leap seconds list %s", r->cfg->leapseclist);
        free(text);
    } else {
        ok = load_tz(r, &db);
    }
    if (!ok)
        leapdb_free(&db);
    engine_set_leapdb(r->engine, &db, is_list);
    leapdb_free(&db);
}

void reference_leap_load(struct reference *r)
{
    struct leapdb list, tz;
    int tz_ok = 0, list_ok = 0;

    leapdb_init(&list);
    leapdb_init(&tz);
    if (r->cfg->leapsectz) {
        tz_ok = load_tz(r, &tz);
        if (!tz_ok)
            LOG_WARN(r->env->log, "Timezone %s failed leap second check, ignoring",
                     r->cfg->leapsectz);
    }
    if (r->cfg->leapseclist) {
        list_ok = load_list(r, &list);
        if (!list_ok)
            LOG_WARN(r->env->log, "Leap second list %s failed check, ignoring",
                     r->cfg->leapseclist);
    }
    if (list_ok) {
        engine_set_leapdb(r->engine, &list, 1);
        r->leap_in_use = 1;
        LOG_INFO(r->env->log, "Using leap second list %s", r->cfg->leapseclist);
    } else if (tz_ok) {
        engine_set_leapdb(r->engine, &tz, 0);
        r->leap_in_use = 2;
        LOG_INFO(r->env->log, "Using %s timezone to obtain leap second data", r->cfg->leapsectz);
    }
    leapdb_free(&list);
    leapdb_free(&tz);
}
