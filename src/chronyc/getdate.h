/* The date strings of chronyc's settime, read as chrony reads them (its
 * getdate, the public-domain date parser of early GNU tools): times
 * (16:30, 4:30pm, 16:30:05 +0100), dates (2015-11-21, 11/21/2015,
 * 2015/11/21, Nov 21, 2015, 21 Nov 2015, 21-Nov-2015), week days (friday,
 * next friday), time zones (UTC, EST, CET DST, military letters) and
 * relative items (now, today, tomorrow, +1 hour, 2 weeks ago, last month),
 * in any order, each kind at most once (relative items add up). */
#ifndef CHRONYC_GETDATE_H
#define CHRONYC_GETDATE_H

#include <time.h>

/* Parses s relative to now, in the local time zone (TZ). Returns 1 with the
 * time in *out, 0 if s is not a date chrony accepts. */
int getdate_parse(const char *s, time_t now, time_t *out);

#endif
