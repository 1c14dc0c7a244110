/* Test fixture shared by test_refdev.c and test_refrtc.c: a node on the fake env started
 * from configuration lines, and a count of the lines of its refclocks.log holding a text.
 * The fake devices themselves are fake_env's (env.refdev, env.rtc). */
#ifndef TEST_REFCLOCK_NODE_H
#define TEST_REFCLOCK_NODE_H

#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"

#include <stdio.h>
#include <string.h>

/* Where `logdir /var/log/chrony` and `log refclocks` put the refclock samples. */
#define LOG_PATH "/var/log/chrony/refclocks.log"

/* A node of the configuration lines (NULL-terminated; each must parse) started at f->now,
 * or NULL with the start's error in err (*cfg is to be freed either way). */
static inline struct node *make_node(struct fake_env *f, struct config **cfg, const char **lines,
                                     char *err, size_t errlen)
{
    struct node_opts o = {.family = 0, .precision = 1e-8};
    struct node *n;
    *cfg = config_new();
    for (int i = 0; lines[i]; i++) {
        int r = config_parse_line(*cfg, lines[i], NULL, i + 1, &f->env.files, err, errlen);
        if (r != 0)
            printf("  config error: %s\n", err);
        CHECK(r == 0);
    }
    n = node_new(*cfg, &f->env, &o);
    if (node_start(n, &f->now, err, errlen) != 0) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* How many times needle stands in refclocks.log (0 without the file). */
static inline int log_lines_with(struct fake_env *f, const char *needle)
{
    const char *s = fake_env_get_file(f, LOG_PATH);
    int k = 0;
    for (; s && (s = strstr(s, needle)); s++)
        k++;
    return k;
}

#endif
