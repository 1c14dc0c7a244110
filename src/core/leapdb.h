/* Leap second tables for `leapseclist` (the IERS/IETF leap-seconds.list text
 * format) and `leapsectz` (the leap second records of a TZif file, RFC 8536,
 * such as right/UTC): whether a UTC day ends with a leap second and the TAI-UTC
 * offset, as chrony's leap second database answers them. Pure: the caller reads
 * the files. */
#ifndef CORE_LEAPDB_H
#define CORE_LEAPDB_H

#include <stddef.h>
#include <stdint.h>

/* Leap values, as the discipline's DISC_LEAP_NORMAL/INSERT/DELETE. */
#define LEAPDB_NORMAL 0
#define LEAPDB_INSERT 1
#define LEAPDB_DELETE 2

struct leapdb_entry {
    int64_t start;  /* POSIX time (UTC) from which the offset holds */
    int tai_offset; /* TAI - UTC, s */
};

struct leapdb {
    struct leapdb_entry *e; /* ascending start */
    int n;
    int64_t expiry; /* POSIX time after which the list is out of date; 0 = unknown */
};

void leapdb_init(struct leapdb *db);
void leapdb_free(struct leapdb *db);
/* Parse a leap-seconds.list text (NTP-era times, "#@" expiry). Returns 0, or -1
 * when the text is not such a list (db left empty). */
int leapdb_parse_list(struct leapdb *db, const char *text, size_t len);
/* Parse the leap second records of a TZif file (version 1 to 4). Returns 0, or
 * -1 when buf is not a valid TZif file (db left empty). */
int leapdb_parse_tzif(struct leapdb *db, const uint8_t *buf, size_t len);
/* The leap second at the end of the UTC day containing `when` (POSIX time)
 * and the TAI-UTC offset at `when`. */
int leapdb_get(const struct leapdb *db, int64_t when, int *tai_offset);
/* chrony's sanity check of a table: a leap second inserted at the end of
 * 30 June 2012 (TAI-UTC 34 that day), none on 31 December 2012 (35). */
int leapdb_check(const struct leapdb *db);

#endif
