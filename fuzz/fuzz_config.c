/* Fuzz target: chrony.conf lines. The input is split at newlines and every line
 * goes through config_parse_line on a fresh configuration (errors are fine),
 * then config_format, config_validate and config_build_access must cope with
 * whatever was accepted, and the printed (normalised) lines must print the
 * same when parsed again. The file environment has no files, so include,
 * confdir and sourcedir exercise their "missing" paths. */
#include "core/access.h"
#include "daemon/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest input worth parsing: real lines are short, and the parser's cost
 * should not be dominated by huge single lines. */
#define FUZZ_MAX_INPUT 4096

static char *no_read_all(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    (void)path;
    if (len)
        *len = 0;
    return NULL;
}

static int no_write_atomic(void *ctx, const char *path, const void *data, size_t len)
{
    (void)ctx;
    (void)path;
    (void)data;
    (void)len;
    return -1;
}

static char **no_list_glob(void *ctx, const char *pattern, int *n)
{
    (void)ctx;
    (void)pattern;
    *n = 0;
    return NULL;
}

static int no_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    (void)ctx;
    (void)mode;
    if (errlen)
        snprintf(err, errlen, "no directory %s", path);
    return -1;
}

static int no_remove(void *ctx, const char *path)
{
    (void)ctx;
    (void)path;
    return 0;
}

static const struct env_files no_files = {NULL,
                                          no_read_all,
                                          no_write_atomic,
                                          no_write_atomic,
                                          no_list_glob,
                                          no_prepare_dir,
                                          no_remove,
                                          no_write_atomic,
                                          NULL,
                                          NULL,
                                          NULL};

/* Feed every line of text (NUL-terminated, modified) to a fresh config. */
static struct config *parse_lines(char *text)
{
    char err[256], *line = text;
    struct config *cfg = config_new();
    int lineno = 1;

    for (;;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        err[0] = '\0';
        /* Alternate between file lines and command-line (-f less) lines. */
        config_parse_line(cfg, line, lineno % 2 ? "/etc/chrony.conf" : NULL, lineno, &no_files, err,
                          sizeof(err));
        if (memchr(err, '\0', sizeof(err)) == NULL)
            abort();
        lineno++;
        if (!nl)
            break;
        line = nl + 1;
    }
    return cfg;
}

static void check_config(struct config *cfg)
{
    char err[256];
    char *text = config_format(cfg), *again;
    struct source_cfg *dir_sources = NULL;
    struct config *cfg2;
    size_t n;

    if (!text)
        abort();
    /* chronyd -p output is normalised: parsing it again prints the same. */
    again = strdup(text);
    if (!again)
        abort();
    cfg2 = parse_lines(again);
    free(again);
    again = config_format(cfg2);
    if (strcmp(text, again) != 0)
        abort();
    free(again);
    config_free(cfg2);
    free(text);
    if (config_validate(cfg, err, sizeof(err)) == 0) {
        struct access_table *t =
            config_build_access(cfg->ntp_rules, cfg->n_ntp_rules, err, sizeof(err));
        access_free(t);
        t = config_build_access(cfg->cmd_rules, cfg->n_cmd_rules, err, sizeof(err));
        access_free(t);
    }
    n = config_load_sourcedirs(cfg, &no_files, &dir_sources);
    config_free_sources(dir_sources, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    struct config *cfg;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cfg = parse_lines(text);
    check_config(cfg);
    config_free(cfg);
    free(text);
    return 0;
}
