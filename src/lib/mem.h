/* Allocation that aborts on out-of-memory, and wiping of secrets. */
#ifndef LIB_MEM_H
#define LIB_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grow an array of n elements of `size` bytes to at least `need` elements. */
void *xgrow(void *p, size_t *n, size_t need, size_t size);
char *xstrdup(const char *s);
/* Overwrite n bytes with zeros in a way the compiler cannot elide. */
void mem_wipe(void *p, size_t n);

#endif
