/* Fuzz target for the metrics page renderer (src/proto/prom): report structs filled from
 * the input (any numbers, including NaN and infinities, any name bytes) render without a
 * crash into a page whose every line is a comment or a chrony_ sample with a single-line,
 * quoted label set, and whose length does not depend on the buffer size. */
#include "proto/prom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SOURCES 4

static size_t take(void *out, size_t n, const uint8_t **data, size_t *size)
{
    size_t k = n < *size ? n : *size;
    memset(out, 0, n);
    memcpy(out, *data, k);
    *data += k;
    *size -= k;
    return k;
}

static void check_page(const char *page, size_t len)
{
    const char *line = page;
    if (strlen(page) != len || (len > 0 && page[len - 1] != '\n'))
        abort();
    while (*line) {
        const char *end = strchr(line, '\n');
        if (!end)
            abort();
        if (line[0] != '#' && strncmp(line, "chrony_", 7) != 0)
            abort();
        line = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct prom_source srcs[MAX_SOURCES];
    struct prom_report r;
    uint8_t flags = 0;
    char version[16], *page, small[64];
    long n;

    memset(&r, 0, sizeof(r));
    take(&flags, 1, &data, &size);
    take(version, sizeof(version) - 1, &data, &size);
    version[sizeof(version) - 1] = '\0';
    r.version = version;
    r.have_tracking = flags & 1;
    take(&r.tracking, sizeof(r.tracking), &data, &size);
    r.have_server_stats = (flags >> 1) & 1;
    take(&r.server_stats, sizeof(r.server_stats), &data, &size);
    r.n_sources = (flags >> 2) % (MAX_SOURCES + 1);
    for (size_t i = 0; i < r.n_sources; i++) {
        take(&srcs[i], sizeof(srcs[i]), &data, &size);
        srcs[i].name[sizeof(srcs[i].name) - 1] = '\0';
    }
    r.sources = srcs;
    n = prom_render(&r, NULL, 0);
    if (n < 0)
        return 0;
    page = malloc((size_t)n + 1);
    if (!page || prom_render(&r, page, (size_t)n + 1) != n)
        abort();
    check_page(page, (size_t)n);
    if (prom_render(&r, small, sizeof(small)) != n || strlen(small) >= sizeof(small) ||
        strncmp(small, page, strlen(small)) != 0)
        abort();
    free(page);
    return 0;
}
