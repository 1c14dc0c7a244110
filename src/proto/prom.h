/* The metrics endpoint's page (ours): chronyd's reports, the same structs the command
 * protocol answers chronyc with, rendered in the Prometheus text exposition format 0.0.4.
 * Every name starts with chrony_; values are in base units (seconds; frequencies as
 * ratios, 1e-6 = 1 ppm) with the signs chronyc -c prints. */
#ifndef PROTO_PROM_H
#define PROTO_PROM_H

#include "proto/cmdmon.h"

#include <stddef.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One row of chronyc sources with what the other reports say of it. */
struct prom_source {
    struct cmdmon_source_data data;
    char name[CMDMON_NAME_LEN]; /* terminated; "" when unknown (then address is used) */
    int have_stats;             /* sourcestats row */
    struct cmdmon_sourcestats stats;
    int have_auth; /* authdata: NTS figures when auth.mode is 2 */
    struct cmdmon_auth_data auth;
};

struct prom_report {
    const char *version; /* chronyd's version, for chrony_build_info */
    int have_tracking;
    struct cmdmon_tracking tracking;
    int have_server_stats;
    struct cmdmon_server_stats server_stats;
    const struct prom_source *sources;
    size_t n_sources;
};

/* Render the page into buf. snprintf-like: writes at most cap bytes (terminated when
 * cap > 0) and returns the full length, or -1 on a formatting error. */
long prom_render(const struct prom_report *r, char *buf, size_t cap);

#endif
