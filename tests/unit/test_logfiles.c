/* Unit tests for src/daemon/logfiles.c: which files the `log` directive opens,
 * the banner at the start and every `logbanner` lines, the date column, and
 * cyclelogs. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/logfiles.h"

#include <string.h>

static struct config *make_config(struct fake_env *f, const char *const *lines)
{
    char err[256];
    struct config *cfg = config_new();
    for (int i = 0; lines[i]; i++)
        CHECK(config_parse_line(cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err)) == 0);
    return cfg;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_files_from_config(void)
{
    struct fake_env f;
    struct logfiles lf;
    const char *lines[] = {"logdir /var/log/chrony", "log statistics tracking", NULL};
    struct config *cfg;

    fake_env_init(&f);
    cfg = make_config(&f, lines);
    logfiles_init(&lf, cfg, &f.env);
    CHECK(!logfiles_enabled(&lf, LOGF_MEASUREMENTS));
    CHECK(logfiles_enabled(&lf, LOGF_STATISTICS));
    CHECK(logfiles_enabled(&lf, LOGF_TRACKING));
    CHECK(!logfiles_enabled(&lf, LOGF_SELECTION));
    CHECK_STR_EQ(lf.paths[LOGF_TRACKING], "/var/log/chrony/tracking.log");
    logfiles_fini(&lf);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_no_logdir_no_files(void)
{
    struct fake_env f;
    struct logfiles lf;
    const char *lines[] = {"log measurements", NULL};
    struct config *cfg;

    fake_env_init(&f);
    cfg = make_config(&f, lines);
    logfiles_init(&lf, cfg, &f.env);
    /* chrony: the first line warns "logdir not specified" and ends the log; no file */
    CHECK(logfiles_enabled(&lf, LOGF_MEASUREMENTS));
    CHECK(!logfiles_enabled(&lf, LOGF_TRACKING));
    CHECK(!fake_env_log_contains(&f, "logdir not specified"));
    logfiles_write(&lf, &f.env, LOGF_MEASUREMENTS, &f.now, "%s", "line");
    CHECK(fake_env_log_contains(&f, "logdir not specified"));
    CHECK(!logfiles_enabled(&lf, LOGF_MEASUREMENTS));
    CHECK_INT_EQ(f.n_files, 0);
    logfiles_fini(&lf);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_rawmeasurements_uses_measurements_log(void)
{
    struct fake_env f;
    struct logfiles lf;
    const char *lines[] = {"logdir /l", "log rawmeasurements", NULL};
    struct config *cfg;

    fake_env_init(&f);
    cfg = make_config(&f, lines);
    logfiles_init(&lf, cfg, &f.env);
    CHECK(logfiles_enabled(&lf, LOGF_MEASUREMENTS));
    CHECK(lf.raw_measurements);
    CHECK_STR_EQ(lf.paths[LOGF_MEASUREMENTS], "/l/measurements.log");
    logfiles_fini(&lf);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_banner_cadence_and_date(void)
{
    struct fake_env f;
    struct logfiles lf;
    const char *lines[] = {"logdir /l", "log tracking", "logbanner 2", NULL};
    const char *title = "   Date (UTC) Time     IP Address   St   Freq ppm   Skew ppm     Offset L "
                        "Co  Offset sd Rem. corr. Root delay Root disp. Max. error\n";
    struct timespec when = {1479447650, 0}; /* 2016-11-18 05:40:50 UTC */
    struct config *cfg;
    const char *text;

    fake_env_init(&f);
    cfg = make_config(&f, lines);
    logfiles_init(&lf, cfg, &f.env);
    for (int i = 0; i < 5; i++)
        logfiles_write(&lf, &f.env, LOGF_TRACKING, &when, "%-15s %2d", "203.0.113.15", i);
    text = fake_env_get_file(&f, "/l/tracking.log");
    CHECK(text != NULL);
    /* banners before lines 1, 3 and 5 */
    CHECK_INT_EQ(count_lines_with(text, title), 3);
    CHECK(strncmp(text, "=====", 5) == 0);
    CHECK(strstr(text, "\n2016-11-18 05:40:50 203.0.113.15     0\n") != NULL);
    CHECK(strstr(text, "\n2016-11-18 05:40:50 203.0.113.15     4\n") != NULL);
    /* The rule is as wide as the titles. */
    CHECK(text[strlen(title) - 1] == '\n' && text[strlen(title) - 2] == '=');
    /* cyclelogs: the next line starts with a banner again */
    logfiles_cycle(&lf);
    logfiles_write(&lf, &f.env, LOGF_TRACKING, &when, "x");
    CHECK_INT_EQ(count_lines_with(fake_env_get_file(&f, "/l/tracking.log"), title), 4);
    logfiles_fini(&lf);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_logbanner_zero(void)
{
    struct fake_env f;
    struct logfiles lf;
    const char *lines[] = {"logdir /l", "log selection", "logbanner 0", NULL};
    struct timespec when = {0, 0};
    struct config *cfg;

    fake_env_init(&f);
    cfg = make_config(&f, lines);
    logfiles_init(&lf, cfg, &f.env);
    logfiles_write(&lf, &f.env, LOGF_SELECTION, &when, "a");
    logfiles_write(&lf, &f.env, LOGF_SELECTION, &when, "b");
    CHECK_STR_EQ(fake_env_get_file(&f, "/l/selection.log"),
                 "1970-01-01 00:00:00 a\n1970-01-01 00:00:00 b\n");
    logfiles_fini(&lf);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_files_from_config);
    RUN(test_no_logdir_no_files);
    RUN(test_rawmeasurements_uses_measurements_log);
    RUN(test_banner_cadence_and_date);
    RUN(test_logbanner_zero);
    return check_summary();
}
