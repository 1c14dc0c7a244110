/* The `tempcomp` directive (chrony's tempcomp.c): every interval the temperature is read
 * from the sensor file and the oscillator is corrected for it, by a quadratic function of
 * the temperature or by the points of a file; tempcomp.log records each correction. */
#ifndef DAEMON_TEMPCOMP_H
#define DAEMON_TEMPCOMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct env;
struct sched;
struct sources;
struct logfiles;

struct tempcomp_point {
    double temp, comp; /* degrees as the sensor reads, ppm */
};

struct tempcomp {
    /* What it uses (not owned), set by node_new. */
    const struct config *cfg;
    const struct env *env;
    struct sched *sched;
    struct sources *srcs; /* the engine's outcomes are performed there */
    struct logfiles *logs;
    struct tempcomp_point *points; /* the point file's, ascending temperatures; NULL: the
                                    * quadratic function */
    size_t n_points;
    uint64_t timer;
};

/* Read the point file (chrony's fatal errors in err) and the sensor for the first time.
 * Returns 0, or -1 with the message in err. Nothing without `tempcomp`. */
int tempcomp_start(struct tempcomp *t, const struct timespec *raw_now, char *err, size_t errlen);
void tempcomp_fini(struct tempcomp *t);
/* The correction (ppm) for a temperature: interpolated between the two nearest points
 * (extrapolated beyond them), or k0 + (T - T0) k1 + (T - T0)^2 k2. */
double tempcomp_compensation(const struct tempcomp *t, double temp);

#endif
