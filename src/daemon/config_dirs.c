/* Directory-based configuration: confdir (*.conf) and sourcedir (*.sources). A file
 * name found in an earlier directory of the directive hides it in later ones, and
 * files are processed in alphabetical order of their names. */
#include "daemon/config_parse.h"

#include "lib/scan.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*dir_file_fn)(void *arg, const char *path);

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static int cmp_base_names(const void *a, const void *b)
{
    return strcmp(base_name(*(char *const *)a), base_name(*(char *const *)b));
}

/* 1 if path is DIR/NAME directly inside dir. */
static int in_dir(const char *path, const char *dir)
{
    size_t dl = strlen(dir);
    return strncmp(path, dir, dl) == 0 && path[dl] == '/' && strchr(path + dl + 1, '/') == NULL;
}

static char **collect_files(const struct env_files *files, char **dirs, int n_dirs,
                            const char *suffix, int *n_out)
{
    char **all = NULL;
    int n_all = 0;
    for (int i = 0; i < n_dirs; i++) {
        size_t len = strlen(dirs[i]) + strlen(suffix) + 3;
        char *pattern = xmalloc(len);
        char **found = NULL;
        int n = 0;
        snprintf(pattern, len, "%s/*%s", dirs[i], suffix);
        if (files && files->list_glob)
            found = files->list_glob(files->ctx, pattern, &n);
        if (n < 0)
            n = 0; /* chrony's confdir: an unreadable directory holds nothing */
        free(pattern);
        all = xrealloc(all, sizeof(char *) * (size_t)(n_all + n + 1));
        for (int k = 0; k < n; k++)
            all[n_all++] = found[k];
        free(found);
    }
    if (n_all > 1)
        qsort(all, (size_t)n_all, sizeof(char *), cmp_base_names);
    *n_out = n_all;
    return all;
}

/* Split args into at most CFG_MAX_CONF_DIRS directories (in place); -1 if too many. */
static int split_dirs(char *args, char **dirs)
{
    int n = 0;
    while (*args) {
        if (n == CFG_MAX_CONF_DIRS)
            return -1;
        dirs[n++] = cfg_word(&args);
    }
    return n;
}

/* Call fn for the chosen file of every name; stops at the first non-zero result. */
static int search_dirs(const struct env_files *files, char **dirs, int n_dirs, const char *suffix,
                       dir_file_fn fn, void *arg)
{
    int n = 0, r = 0;
    char **paths = collect_files(files, dirs, n_dirs, suffix, &n);
    for (int i = 0; i < n && r == 0;) {
        int group = 1, chosen = -1;
        while (i + group < n && cmp_base_names(&paths[i], &paths[i + group]) == 0)
            group++;
        for (int j = 0; j < n_dirs && chosen < 0; j++)
            for (int k = 0; k < group && chosen < 0; k++)
                if (in_dir(paths[i + k], dirs[j]))
                    chosen = i + k;
        if (chosen >= 0)
            r = fn(arg, paths[chosen]);
        i += group;
    }
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return r;
}

static int read_conf(void *arg, const char *path)
{
    return cfg_read_file(arg, path);
}

int cfg_h_confdir(struct cfg_ctx *c, char *args, const struct cfg_directive *d)
{
    char *dirs[CFG_MAX_CONF_DIRS];
    int n_dirs = split_dirs(args, dirs);
    if (n_dirs < 1)
        return cfg_err_parse(c);
    return search_dirs(c->files, dirs, n_dirs, ".conf", read_conf, c);
}

/* A .sources file: only complete (newline-terminated) server/pool/peer lines are
 * used; invalid lines are skipped silently, as chrony does on reload. */
static int load_sources_file(void *arg, const char *path)
{
    struct cfg_ctx *c = arg;
    char *buf = c->files->read_all(c->files->ctx, path, NULL), *p = buf;
    if (!buf)
        return 0;
    while (*p) {
        char *nl = strchr(p, '\n');
        const struct cfg_directive *d = NULL;
        if (!nl)
            break;
        *nl = '\0';
        if (strlen(p) < CFG_MAX_LINE) {
            char *args = p, *cmd;
            scan_normalize_line(p);
            cmd = cfg_word(&args);
            if (strcasecmp(cmd, "server") == 0 || strcasecmp(cmd, "pool") == 0 ||
                strcasecmp(cmd, "peer") == 0)
                d = cfg_find_directive(cmd);
            c->cmd = cmd;
            if (d)
                (void)cfg_h_source(c, args, d);
        }
        p = nl + 1;
    }
    free(buf);
    return 0;
}

size_t config_load_sourcedirs(const struct config *cfg, const struct env_files *files,
                              struct source_cfg **out)
{
    struct config *tmp = config_new();
    char err[256];
    struct cfg_ctx c = {tmp, files, NULL, 0, "", err, sizeof(err), 0};
    size_t n;

    for (size_t i = 0; files && files->read_all && i < cfg->n_source_dirs; i++) {
        char *line = xstrdup(cfg->source_dirs[i]), *dirs[CFG_MAX_CONF_DIRS];
        int n_dirs = split_dirs(line, dirs);
        if (n_dirs > 0)
            search_dirs(files, dirs, n_dirs, ".sources", load_sources_file, &c);
        free(line);
    }
    *out = tmp->sources;
    n = tmp->n_sources;
    tmp->sources = NULL;
    tmp->n_sources = 0;
    config_free(tmp);
    return n;
}

void config_free_sources(struct source_cfg *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].name);
    free(s);
}
