#include "lib/mem.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p)
{
    /* Out of memory is not recoverable in a daemon that must keep time. */
    if (!p) {
        fputs("Fatal error : Could not allocate memory\n", stderr);
        abort();
    }
    return p;
}

void *xmalloc(size_t size)
{
    return check(malloc(size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
    return check(realloc(p, size ? size : 1));
}

void *xgrow(void *p, size_t *n, size_t need, size_t size)
{
    size_t m = *n ? *n : 4;
    assert(n && size > 0 && need <= SIZE_MAX / 2 / size);
    if (need <= *n)
        return p;
    while (m < need)
        m *= 2;
    p = xrealloc(p, m * size);
    memset((char *)p + *n * size, 0, (m - *n) * size);
    *n = m;
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

void mem_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    assert(p || n == 0);
    while (n--)
        *v++ = 0;
}
