/* Fuzz target: source options (proto/source_opts), both directions.
 * Text: the first byte picks server/pool/peer, the rest is the option words
 * after NAME as in chrony.conf or chronyc add; an accepted line must keep its
 * bounds and survive parse -> encode -> decode unchanged (source_opts_equal).
 * Request: when the input holds a whole ADD_SOURCE body after the first byte,
 * it is decoded as chronyd does; an accepted body must survive decode -> encode
 * -> decode unchanged. */
#include "proto/source_opts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longer than any useful option list; longer inputs only cost time. */
#define FUZZ_MAX_INPUT 2048

/* The parser's bounds (presend 100, its default, means disabled). */
static void check_bounds(const struct source_cfg *s)
{
    if (s->port < 0 || s->port > 65535 || s->nts_port < 0 || s->nts_port > 65535 ||
        s->maxpoll < -32 || s->maxpoll > 32 ||
        (s->presend_minpoll != 100 && (s->presend_minpoll < -32 || s->presend_minpoll > 32)) ||
        s->min_stratum < 0 || s->min_stratum > 16 ||
        (s->version != 0 && (s->version < 1 || s->version > 4)) || s->max_sources < 1 ||
        s->poll_target < 1 || s->min_samples < -1 || s->max_samples < -1 || s->filter_length < 0 ||
        s->max_unreach < 0 ||
        (s->family != IPF_UNSPEC && s->family != IPF_INET4 && s->family != IPF_INET6) ||
        (s->sel_options & ~0xf) || (s->ext_fields & ~0x3))
        abort();
}

/* decode(encode(s)) == s for an accepted source. */
static void round_trip(const struct source_cfg *s)
{
    struct cmdmon_req_add_source a;
    struct source_cfg d;

    if (!source_opts_encode(s, &a) || source_opts_decode(&a, &d) != CMDMON_STT_SUCCESS)
        abort();
    if (!source_opts_equal(s, &d))
        abort();
    free(d.name);
}

static void fuzz_text(uint8_t type, const uint8_t *data, size_t size)
{
    char text[FUZZ_MAX_INPUT + 1], name[] = "fuzz.example";
    struct source_cfg s;

    memcpy(text, data, size);
    text[size] = '\0';
    source_opts_defaults(&s);
    s.type = (enum cfg_source_type)(type % 3);
    s.name = name;
    if (source_opts_parse(&s, text) != SOURCE_OPTS_OK)
        return;
    check_bounds(&s);
    round_trip(&s);
}

static void fuzz_request(const uint8_t *data, size_t size)
{
    struct cmdmon_req_add_source a;
    struct source_cfg d;

    if (size < sizeof(a))
        return;
    memcpy(&a, data, sizeof(a));
    if (source_opts_decode(&a, &d) != CMDMON_STT_SUCCESS)
        return;
    round_trip(&d);
    free(d.name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    fuzz_text(data[0], data + 1, size - 1);
    fuzz_request(data + 1, size - 1);
    return 0;
}
