/* The `tempcomp` directive (see tempcomp.h). */
#include "daemon/tempcomp.h"

#include "core/engine.h"
#include "daemon/config.h"
#include "daemon/env.h"
#include "daemon/logfiles.h"
#include "daemon/sched.h"
#include "daemon/sources.h"
#include "lib/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* chrony's sanity limit of a correction (ppm). */
#define MAX_COMP 10.0

double tempcomp_compensation(const struct tempcomp *t, double temp)
{
    const struct config *c = t->cfg;
    size_t i;

    if (!t->points) {
        double d = temp - c->tempcomp_t0;
        return c->tempcomp_k0 + d * c->tempcomp_k1 + d * d * c->tempcomp_k2;
    }
    /* The first point at or above the temperature (the last pair beyond them). */
    for (i = 1; i + 1 < t->n_points && t->points[i].temp < temp; i++)
        ;
    return (temp - t->points[i - 1].temp) / (t->points[i].temp - t->points[i - 1].temp) *
               (t->points[i].comp - t->points[i - 1].comp) +
           t->points[i - 1].comp;
}

static int read_points(struct tempcomp *t, char *err, size_t errlen)
{
    const char *path = t->cfg->tempcomp_point_file;
    size_t len = 0;
    char *text = t->env->files.read_all(t->env->files.ctx, path, &len), *line, *next;

    if (!text) {
        snprintf(err, errlen, "Could not open %s", path);
        return -1;
    }
    for (line = text; line && *line; line = next) {
        struct tempcomp_point p;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (sscanf(line, "%lf %lf", &p.temp, &p.comp) != 2) {
            snprintf(err, errlen, "Could not read tempcomp point from %s", path);
            free(text);
            return -1;
        }
        t->points = xrealloc(t->points, sizeof(*t->points) * (t->n_points + 1));
        t->points[t->n_points++] = p;
    }
    free(text);
    if (t->n_points < 2) {
        snprintf(err, errlen, "Not enough points in %s", path);
        return -1;
    }
    return 0;
}

static void on_timer(void *arg, const struct timespec *now);

/* Read the sensor, correct the oscillator, log, and come back after the interval. */
static void update(struct tempcomp *t, const struct timespec *now)
{
    const char *path = t->cfg->tempcomp_sensor;
    double interval = t->cfg->tempcomp_interval > 0.0 ? t->cfg->tempcomp_interval : 1.0;
    size_t len = 0;
    char *text = t->env->files.read_all(t->env->files.ctx, path, &len);
    struct timespec cooked;
    double temp, comp;

    if (text && sscanf(text, "%lf", &temp) == 1) {
        comp = tempcomp_compensation(t, temp);
        if (fabs(comp) <= MAX_COMP) {
            engine_set_temp_comp(t->srcs->engine, now, comp, sources_out_begin(t->srcs));
            sources_out_end(t->srcs, now);
            engine_cooked_time(t->srcs->engine, now, &cooked, NULL);
            logfiles_write(t->logs, t->env, LOGF_TEMPCOMP, &cooked, "%11.4e %11.4e", temp, comp);
        } else {
            LOG_WARN(t->env->log,
                     "Temperature compensation of %.3f ppm exceeds sanity limit of %.1f", comp,
                     MAX_COMP);
        }
    } else {
        LOG_WARN(t->env->log, "Could not read temperature from %s", path);
    }
    free(text);
    t->timer = sched_add_after(t->sched, now, interval, on_timer, t);
}

static void on_timer(void *arg, const struct timespec *now)
{
    struct tempcomp *t = arg;

    t->timer = 0;
    update(t, now);
}

int tempcomp_start(struct tempcomp *t, const struct timespec *raw_now, char *err, size_t errlen)
{
    if (!t->cfg->tempcomp_sensor)
        return 0;
    if (t->cfg->tempcomp_point_file && read_points(t, err, errlen) < 0)
        return -1;
    update(t, raw_now);
    return 0;
}

void tempcomp_fini(struct tempcomp *t)
{
    sched_cancel(t->sched, t->timer);
    t->timer = 0;
    free(t->points);
    t->points = NULL;
    t->n_points = 0;
}
