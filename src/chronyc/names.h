/* How chronyc shows addresses and reference IDs (spec 4.6, 8.3): numeric
 * forms, refid text, reverse DNS with the 25-column cut, and -N names. */
#ifndef CHRONYC_NAMES_H
#define CHRONYC_NAMES_H

#include "proto/cmdmon.h"

#include <stddef.h>

#define NAMES_MAX 300

struct names {
    int no_dns;       /* -n */
    int csv;          /* -c: numeric unless -N */
    int source_names; /* -N */
    /* Reverse DNS; returns 1 and fills buf on success. */
    int (*reverse)(void *ctx, const struct cmdmon_addr *a, char *buf, size_t len);
    /* NTP_SOURCE_NAME; returns 1 and fills buf with a valid name. */
    int (*source_name)(void *ctx, const struct cmdmon_addr *a, char *buf, size_t len);
    void *ctx;
};

/* Dotted quad, inet_ntop() IPv6, "ID#%010u" or "[UNSPEC]". */
void names_numeric(const struct cmdmon_addr *a, char *buf, size_t len);
/* Printable ASCII characters of the refid, most significant byte first. */
void names_refid_text(uint32_t refid, char *buf, size_t len);
/* Parses "ID#n" (sscanf "ID#%u") into an ID address; returns 1 on success. */
int names_parse_id(const char *s, struct cmdmon_addr *a);
/* Parses a numeric IPv4/IPv6 address; returns 1 on success. */
int names_parse_numeric(const char *s, struct cmdmon_addr *a);

enum names_kind {
    NAMES_SOURCE,  /* may use -N and is cut to 25 columns if from DNS */
    NAMES_CLIENT,  /* never -N, cut to 25 */
    NAMES_TRACKING /* may use -N, never cut */
};
/* Name for a report entry. refclock: show the refid text instead. */
void names_for_entry(const struct names *n, enum names_kind kind, const struct cmdmon_addr *a,
                     int refclock, uint32_t refid, char *buf, size_t len);
/* The 25-column cut of DNS names: 24 characters and '>'. */
void names_cut25(char *name);
/* 1 if the raw 256-byte name is NUL-terminated and every char is isgraph(). */
int names_source_name_valid(const uint8_t name[CMDMON_NAME_LEN]);

#endif
