/* Tab completion of chronyc's interactive mode, as chrony's: command names
 * at the start of the line, and the words chrony offers after "add ",
 * "manual ", "reset ", "reload " and the -a/-v flags of the per-source
 * reports. Nothing else is completed (no file names). */
#ifndef CHRONYC_COMPLETE_H
#define CHRONYC_COMPLETE_H

#include <stddef.h>

/* The candidate words for the word that starts at offset start of line
 * (the text before it decides, as in chrony: exactly one command word and
 * one space), NULL-terminated; NULL when nothing is completed there. */
const char *const *complete_candidates(const char *line, size_t start);
/* The index-th candidate of list beginning with prefix (index from 0), or
 * NULL when there are no more. */
const char *complete_match(const char *const *list, const char *prefix, size_t index);

#endif
