/* The `dumpdir` files: each NTP source's measurement history saved to
 * DUMPDIR/ADDRESS.dat (core/sourcedump.h has the format) on exit and on
 * `chronyc dump`, reloaded with `chronyd -r` once the first lookup of every
 * source name has finished, after which every dump file in the directory is
 * removed (chrony main.c ntp_source_resolving_end, sources.c). */
#ifndef DAEMON_SOURCES_DUMP_H
#define DAEMON_SOURCES_DUMP_H

#include <time.h>

struct sources;

/* Create dumpdir if missing (node_start, before privileges are dropped). */
void sources_dump_prepare(struct sources *ss);

/* Save every source's history (chronyc dump). A source without samples
 * has its file removed. */
void sources_dump_save_all(struct sources *ss);
/* The same on exit, as chrony writes it then: with the remaining offset
 * correction cancelled (samples on the raw timescale). */
void sources_dump_save_at_exit(struct sources *ss, const struct timespec *raw_now);

/* The first round of name resolution has ended: with -r load each source's
 * file and reselect, then remove the dump files of dumpdir. */
void sources_dump_reload(struct sources *ss, const struct timespec *raw_now);

#endif
