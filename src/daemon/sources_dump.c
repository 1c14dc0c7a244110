/* Dump files of the sources: glue between the sources, core/sourcedump and
 * the files driver; see sources_dump.h. */
#include "daemon/sources_dump.h"

#include "core/sourcedump.h"
#include "daemon/config.h"
#include "daemon/reference.h"
#include "daemon/sources.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest dump file name chrony considers when removing files (its name[64]). */
#define NAME_MAX_LEN 64

static const char *dump_dir(const struct sources *ss)
{
    const char *dir = ss->cfg->dumpdir;

    return dir && *dir ? dir : NULL;
}

/* DIR/ADDRESS.dat, chrony's name for an NTP source (sources.c get_dumpfile). */
static char *dump_path(const struct sources *ss, const struct source *s, char *ip, size_t iplen)
{
    const char *dir = dump_dir(ss);
    size_t len;
    char *path;

    /* A refclock's file is named by its reference ID (chrony: "refid:%08x"). */
    if (s->refclock)
        snprintf(ip, iplen, "refid:%08x", (unsigned)sources_refid_of(&s->remote.ip));
    else
        ip_addr_format(&s->remote.ip, ip, iplen);
    len = strlen(dir) + strlen(ip) + 6;
    path = xmalloc(len);
    snprintf(path, len, "%s/%s.dat", dir, ip);
    return path;
}

void sources_dump_prepare(struct sources *ss)
{
    const struct env_files *f = &ss->env->files;
    char err[256];

    /* chrony creates a missing dumpdir at start (0750); an existing one is
     * used as it is, so the verdict is not acted on. */
    if (dump_dir(ss) && f->prepare_dir)
        (void)f->prepare_dir(f->ctx, dump_dir(ss), 0750, err, sizeof(err));
}

static void save_source(struct sources *ss, struct source *s, double delta)
{
    const struct env_files *f = &ss->env->files;
    struct sourcedump *d = xcalloc(1, sizeof(*d));
    char ip[IP_ADDR_STRLEN], *path = dump_path(ss, s, ip, sizeof(ip)), *buf;
    int len;

    snprintf(d->name, sizeof(d->name), "%s", s->name);
    engine_source_dump(ss->engine, sources_index(s), d);
    sourcedump_shift(d, delta);
    len = sourcedump_format(d, NULL, 0);
    if (len <= 0) {
        /* chrony: nothing to save, and a file of an earlier run is removed. */
        (void)f->remove(f->ctx, path);
    } else {
        buf = xmalloc((size_t)len + 1);
        sourcedump_format(d, buf, (size_t)len + 1);
        if (f->write_atomic(f->ctx, path, buf, (size_t)len) != 0)
            LOG_WARN(ss->env->log, "Could not replace %s", path);
        free(buf);
    }
    free(path);
    free(d);
}

/* Save with the samples moved by delta (s), see sourcedump_shift(). */
static void save_all(struct sources *ss, double delta)
{
    if (!dump_dir(ss) || !ss->env->files.write_atomic || !ss->env->files.remove)
        return;
    for (int i = 0; i < ss->n; i++)
        save_source(ss, ss->v[i], delta);
}

void sources_dump_save_all(struct sources *ss)
{
    save_all(ss, 0.0);
}

void sources_dump_save_at_exit(struct sources *ss, const struct timespec *raw_now)
{
    struct timespec cooked;

    /* chrony cancels the remaining offset correction before its exit dump
     * (main.c; NEWS 4.2 "Fix dump files to not include uncorrected offset"):
     * the samples move to the raw timescale. */
    reference_cooked_time(ss->ref, raw_now, &cooked, NULL);
    save_all(ss, ts_diff(raw_now, &cooked));
}

/* chrony sources.c load_source(): a missing file is silently skipped. */
static void load_source(struct sources *ss, struct source *s, const struct timespec *cooked_now)
{
    const struct env_files *f = &ss->env->files;
    struct sourcedump *d = xcalloc(1, sizeof(*d));
    char ip[IP_ADDR_STRLEN], *path = dump_path(ss, s, ip, sizeof(ip)), *text;
    enum sourcedump_verdict v;
    size_t len = 0;

    text = f->read_all(f->ctx, path, &len);
    if (text) {
        v = sourcedump_parse(text, len, cooked_now, d);
        if (v == SOURCEDUMP_OK)
            v = sourcedump_check_source(
                d, s->name, sources_engine_part(ss, sources_index(s))->client.auth_key != 0);
        if (v == SOURCEDUMP_OK && !engine_source_load(ss->engine, sources_index(s), d))
            v = SOURCEDUMP_BAD_ORDER;
        /* Named as chrony names the source: its address, or a refclock's refid. */
        sources_log_name(s, ip, sizeof(ip));
        if (v != SOURCEDUMP_OK) {
            LOG_WARN(ss->env->log, "Could not load dump file for %s", ip);
            LOG_DEBUG(ss->env->log, "%s: %s", path, sourcedump_verdict_str(v));
        } else {
            LOG_INFO(ss->env->log, "Loaded dump file for %s", ip);
        }
        free(text);
    }
    free(path);
    free(d);
}

/* DIR/NAME.dat is a dump file when NAME is an address or "refid:..."
 * (chrony sources.c SRC_RemoveDumpFiles). */
static int is_dump_file(const char *path)
{
    const char *base = strrchr(path, '/');
    char name[NAME_MAX_LEN];
    struct ip_addr ip;
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (len >= sizeof(name) || len < 4 || strcmp(base + len - 4, ".dat") != 0)
        return 0;
    memcpy(name, base, len - 4);
    name[len - 4] = '\0';
    return strncmp(name, "refid:", 6) == 0 || ip_addr_parse(&ip, name);
}

static void remove_dump_files(struct sources *ss)
{
    const struct env_files *f = &ss->env->files;
    const char *dir = dump_dir(ss);
    size_t plen = strlen(dir) + 7;
    char *pattern = xmalloc(plen), **paths;
    int count = 0;

    snprintf(pattern, plen, "%s/*.dat", dir);
    paths = f->list_glob ? f->list_glob(f->ctx, pattern, &count) : NULL;
    for (int i = 0; i < count; i++) {
        /* chrony's SRC_RemoveDumpFiles: a dump file that stays is an error */
        if (is_dump_file(paths[i]) && f->remove(f->ctx, paths[i]) < 0)
            LOG_ERR(ss->env->log, "Could not remove %s : %s", paths[i], strerror(errno));
        free(paths[i]);
    }
    free(paths);
    free(pattern);
}

void sources_dump_reload(struct sources *ss, const struct timespec *raw_now)
{
    struct timespec cooked_now;

    if (!dump_dir(ss) || !ss->env->files.read_all || !ss->env->files.remove)
        return;
    if (ss->reload_dumps && ss->n > 0) {
        reference_cooked_time(ss->ref, raw_now, &cooked_now, NULL);
        for (int i = 0; i < ss->n; i++) {
            load_source(ss, ss->v[i], &cooked_now);
            /* chrony allows an immediate reference update from every source. */
            engine_source_allow_update(ss->engine, i);
        }
        sources_select(ss, 0, raw_now);
    }
    remove_dump_files(ss);
}
