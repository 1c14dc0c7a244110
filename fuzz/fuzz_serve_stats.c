/* Fuzz target for the serving workers' counter reports (src/core/serve_stats): any input is
 * refused or decoded; a decoded report encodes back to the same bytes (decode -> encode
 * oracle), and folding it into held and summed figures never lets a counter go back. */
#include "core/serve_stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct serve_stats got, held, sum, since;
    uint8_t again[SERVE_STATS_MSG_LEN];

    if (serve_stats_decode(data, size, &got) < 0)
        return 0;
    serve_stats_encode(&got, again);
    if (size != sizeof(again) || memcmp(again, data, size) != 0)
        abort();
    memset(&held, 0, sizeof(held));
    held.cl.hits[CLOG_NTP] = 1000;
    serve_stats_update(&held, &got);
    if (held.cl.hits[CLOG_NTP] < 1000 || held.cl.hits[CLOG_NTP] < got.cl.hits[CLOG_NTP])
        abort();
    memset(&sum, 0, sizeof(sum));
    serve_stats_add(&sum, &held);
    serve_stats_since(&since, &got, &held);
    if (since.cl.hits[CLOG_NTP] > got.cl.hits[CLOG_NTP])
        abort();
    serve_stats_end(&held);
    if (held.cl.ntp_timestamps != 0)
        abort();
    return 0;
}
