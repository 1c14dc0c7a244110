/* The daemon's dump files through the shared fake environment: -r loads a
 * source's file once the first lookups are done, a bad file only warns,
 * every dump file in dumpdir is removed at start, `dump` and exit write
 * chrony's format (daemon/sources_dump). */
#include "check.h"
#include "fake_env.h"

#include "core/sourcedump.h"
#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "daemon/sources_dump.h"

#include <stdio.h>
#include <string.h>

struct world {
    struct fake_env f;
    struct config *cfg;
    struct node *n;
};

static const char *conf[] = {"server 192.0.2.1 minpoll 6", "server 192.0.2.2 minpoll 6",
                             "server no.such.name minpoll 6", "dumpdir /dump", NULL};

/* A file of 8 samples 10 s apart ending 30 s before the fake clock's now. */
static void put_dump(struct fake_env *f, const char *path, const char *name, long now)
{
    char text[2048];
    int len = snprintf(text, sizeof(text), "SRC0\n%s\n0 377 8 2 0\n8 3\n", name);

    for (int i = 0; i < 8; i++)
        len += snprintf(text + len, sizeof(text) - (size_t)len,
                        "%ld.250000000 %.6e 1.000000e-04 2.000000e-03 1.000000e-05 "
                        "4.000000e-03 1.000000e-04\n",
                        now - 100 + 10 * i, 1e-4 + 1e-6 * (i % 3));
    fake_env_put_file(f, path, text);
}

static void world_start(struct world *w, int reload)
{
    struct node_opts o = {.precision = 1e-8, .reload_dumps = reload};
    char err[256];

    memset(w, 0, sizeof(*w));
    fake_env_init(&w->f);
    w->cfg = config_new();
    for (int i = 0; conf[i]; i++)
        CHECK(config_parse_line(w->cfg, conf[i], NULL, i + 1, &w->f.env.files, err, sizeof(err)) ==
              0);
    put_dump(&w->f, "/dump/192.0.2.1.dat", "192.0.2.1", w->f.now.tv_sec);
    put_dump(&w->f, "/dump/192.0.2.2.dat", "other.name", w->f.now.tv_sec);
    fake_env_put_file(&w->f, "/dump/10.0.0.1.dat", "stale");
    fake_env_put_file(&w->f, "/dump/refid:47505300.dat", "stale");
    fake_env_put_file(&w->f, "/dump/notes.dat", "not a dump file");
    w->n = node_new(w->cfg, &w->f.env, &o);
    CHECK(node_start(w->n, &w->f.now, err, sizeof(err)) == 0);
}

static void world_fini(struct world *w)
{
    node_free(w->n);
    config_free(w->cfg);
    fake_env_fini(&w->f);
}

static void check_removed(struct world *w)
{
    CHECK(fake_env_get_file(&w->f, "/dump/192.0.2.1.dat") == NULL);
    CHECK(fake_env_get_file(&w->f, "/dump/192.0.2.2.dat") == NULL);
    CHECK(fake_env_get_file(&w->f, "/dump/10.0.0.1.dat") == NULL);
    CHECK(fake_env_get_file(&w->f, "/dump/refid:47505300.dat") == NULL);
    CHECK(fake_env_get_file(&w->f, "/dump/notes.dat") != NULL);
}

static void test_reload(void)
{
    struct world w;
    const struct engine_source *s;

    world_start(&w, 1);
    CHECK_INT_EQ(sources_count(&w.n->srcs), 2);
    CHECK(fake_env_log_contains(&w.f, "Loaded dump file for 192.0.2.1"));
    CHECK(fake_env_log_contains(&w.f, "Could not load dump file for 192.0.2.2"));
    s = sources_engine_part(&w.n->srcs, 0);
    CHECK(s && sourcestats_samples(s->stats) >= 3);
    CHECK(s && s->stratum == 2 && s->leap == 0);
    CHECK(s && ntp_client_get_reach(&s->client) == 0377);
    CHECK(s && ntp_client_get_reach_size(&s->client) == 8);
    CHECK_INT_EQ(sourcestats_samples(sources_engine_part(&w.n->srcs, 1)->stats), 0);
    /* chrony selects right after loading */
    CHECK(fake_env_log_contains(&w.f, "Selected source 192.0.2.1"));
    check_removed(&w);
    world_fini(&w);
}

static void test_without_reload_files_removed(void)
{
    struct world w;

    world_start(&w, 0);
    CHECK(!fake_env_log_contains(&w.f, "dump file"));
    CHECK_INT_EQ(sourcestats_samples(sources_engine_part(&w.n->srcs, 0)->stats), 0);
    check_removed(&w);
    world_fini(&w);
}

static void test_dump_and_exit(void)
{
    struct world w;
    struct sourcedump d;
    const char *text;
    int n;

    world_start(&w, 1);
    n = sourcestats_samples(sources_engine_part(&w.n->srcs, 0)->stats);
    sources_dump_save_all(&w.n->srcs);
    text = fake_env_get_file(&w.f, "/dump/192.0.2.1.dat");
    CHECK(text != NULL);
    CHECK(text && strncmp(text, "SRC0\n192.0.2.1\n0 377 8 2 0\n", 27) == 0);
    CHECK(text && sourcedump_parse(text, strlen(text), &w.f.now, &d) == SOURCEDUMP_OK);
    CHECK_INT_EQ(d.n_samples, n);
    /* No samples: no file. */
    CHECK(fake_env_get_file(&w.f, "/dump/192.0.2.2.dat") == NULL);
    fake_env_put_file(&w.f, "/dump/192.0.2.1.dat", "old");
    node_stop(w.n, &w.f.now);
    text = fake_env_get_file(&w.f, "/dump/192.0.2.1.dat");
    CHECK(text && strncmp(text, "SRC0\n", 5) == 0);
    world_fini(&w);
}

int main(void)
{
    RUN(test_reload);
    RUN(test_without_reload_files_removed);
    RUN(test_dump_and_exit);
    return check_summary();
}
