/* Fuzz target: whole configuration files. The input is served as the main
 * file (config_parse_file: line splitting, CR/NUL handling, include and
 * confdir error paths) and as the only *.sources file of every sourcedir
 * (config_load_sourcedirs: the lenient reload parser). Other paths do not
 * exist, so include recursion stays bounded. Oracle: no crash or leak, and
 * config_format/config_validate cope with whatever was accepted. */
#include "daemon/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 8192
#define MAIN_PATH "/fz/chrony.conf"
#define SOURCES_SUFFIX "/*.sources"

struct fz_files {
    const uint8_t *data;
    size_t size;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static char *fz_read_all(void *ctx, const char *path, size_t *len)
{
    const struct fz_files *f = ctx;
    char *buf;
    if (strcmp(path, MAIN_PATH) != 0 && !ends_with(path, "/fz.sources"))
        return NULL;
    buf = malloc(f->size + 1);
    if (!buf)
        return NULL;
    memcpy(buf, f->data, f->size);
    buf[f->size] = '\0';
    if (len)
        *len = f->size;
    return buf;
}

static int fz_write(void *ctx, const char *path, const void *data, size_t len)
{
    (void)ctx;
    (void)path;
    (void)data;
    (void)len;
    return -1;
}

/* A sourcedir pattern matches DIR/fz.sources; a confdir pattern a missing file. */
static char **fz_list_glob(void *ctx, const char *pattern, int *n)
{
    size_t pl = strlen(pattern);
    char **out;
    (void)ctx;
    *n = 0;
    if (!ends_with(pattern, SOURCES_SUFFIX) && !ends_with(pattern, "/*.conf"))
        return NULL;
    out = malloc(sizeof(*out));
    if (!out)
        return NULL;
    out[0] = malloc(pl + 8);
    if (!out[0]) {
        free(out);
        return NULL;
    }
    memcpy(out[0], pattern, pl - 1); /* up to the '*' */
    strcpy(out[0] + pl - (ends_with(pattern, SOURCES_SUFFIX) ? 9 : 6),
           ends_with(pattern, SOURCES_SUFFIX) ? "fz.sources" : "missing.conf");
    *n = 1;
    return out;
}

static int fz_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    (void)ctx;
    (void)path;
    (void)mode;
    (void)err;
    (void)errlen;
    return -1;
}

static int fz_remove(void *ctx, const char *path)
{
    (void)ctx;
    (void)path;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_files f = {data, size};
    const struct env_files files = {&f,           fz_read_all,    fz_write,  fz_write,
                                    fz_list_glob, fz_prepare_dir, fz_remove, fz_write,
                                    NULL,         NULL,           NULL};
    struct config *cfg;
    struct source_cfg *dir_sources = NULL;
    char err[256], *text;
    size_t n;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    cfg = config_new();
    if (config_parse_file(cfg, MAIN_PATH, &files, err, sizeof(err)) != 0 &&
        memchr(err, '\0', sizeof(err)) == NULL)
        abort();
    text = config_format(cfg);
    free(text);
    (void)config_validate(cfg, err, sizeof(err));
    n = config_load_sourcedirs(cfg, &files, &dir_sources);
    for (size_t i = 0; i < n; i++)
        if (!dir_sources[i].name)
            abort();
    config_free_sources(dir_sources, n);
    config_free(cfg);
    return 0;
}
