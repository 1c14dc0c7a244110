/* Fuzz target for the metrics endpoint's request head parser (src/proto/http): never
 * crashes, keeps what it accepts within bounds, and gives the same answer for the head alone
 * and INCOMPLETE for the shorter prefixes of an accepted head. The first byte picks the
 * limit on the head (as the daemon's 4096, or smaller). */
#include "proto/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const uint8_t *buf, size_t len, size_t max, const struct http_request *r)
{
    struct http_request again;
    size_t tlen = strnlen(r->target, sizeof(r->target));

    if (tlen == 0 || tlen >= sizeof(r->target) || r->path_len > tlen)
        abort();
    if (r->head_len == 0 || r->head_len > len || r->head_len > max)
        abort();
    if (r->minor_version != 0 && r->minor_version != 1)
        abort();
    if (r->method != HTTP_METHOD_GET && r->method != HTTP_METHOD_HEAD &&
        r->method != HTTP_METHOD_OTHER)
        abort();
    if (http_parse_request(buf, r->head_len, max, &again) != HTTP_OK || again.method != r->method ||
        strcmp(again.target, r->target) != 0 || again.path_len != r->path_len ||
        again.minor_version != r->minor_version || again.head_len != r->head_len)
        abort();
    for (size_t cut = r->head_len - 1, n = 0; n < 3; n++, cut /= 2)
        if (http_parse_request(buf, cut, max, &again) != HTTP_INCOMPLETE)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_request r;
    enum http_verdict v;
    size_t max;

    if (size < 1)
        return 0;
    max = data[0] < 0x80 ? 4096 : (size_t)(data[0] & 0x7f) * 8 + 1;
    memset(&r, 0xA5, sizeof(r));
    v = http_parse_request(data + 1, size - 1, max, &r);
    if (v == HTTP_OK)
        check_accepted(data + 1, size - 1, max, &r);
    else if (v != HTTP_INCOMPLETE && http_verdict_status(v) == 0)
        abort();
    if (v == HTTP_INCOMPLETE && size - 1 >= max)
        abort();
    if (!http_verdict_name(v))
        abort();
    return 0;
}
