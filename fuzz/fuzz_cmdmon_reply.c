/* Fuzz target: cmdmon reply decoder (chronyc side) with a round-trip
 * oracle, then every chronyc renderer fed with the hostile values. */
#include "chronyc/out.h"
#include "chronyc/render.h"
#include "proto/cmdmon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct cmdmon_reply *r, enum out_mode mode)
{
    FILE *f = fopen("/dev/null", "w");
    struct out o;

    if (!f)
        return;
    out_init(&o, f, mode);
    render_tracking(&o, &r->u.tracking, "x");
    render_source_row(&o, &r->u.source_data, "x");
    render_sourcestats_row(&o, &r->u.sourcestats, "x");
    render_activity(&o, &r->u.activity);
    render_ntp_data(&o, &r->u.ntp_data, r->reply);
    render_server_stats(&o, &r->u.server_stats);
    for (int i = 0; i < CMDMON_MAX_CLIENT_RECORDS; i++)
        render_client_row(&o, &r->u.client_accesses.clients[i], "x", i & 1);
    render_select_row(&o, &r->u.select_data, "x");
    render_auth_row(&o, &r->u.auth_data, "x");
    render_smoothing(&o, &r->u.smoothing);
    render_rtc(&o, &r->u.rtc);
    render_manual_list(&o, &r->u.manual_list);
    render_settime(&o, &r->u.manual_timestamp);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmdmon_reply rpy, rpy2;
    uint8_t b1[CMDMON_MAX_RPY_LEN], b2[CMDMON_MAX_RPY_LEN];
    size_t n1, n2;

    if (cmdmon_decode_reply(data, size, &rpy) != CMDMON_OK)
        return 0;
    n1 = cmdmon_encode_reply(&rpy, b1, sizeof(b1), CMDMON_MAX_REQ_LEN);
    if (n1) {
        if (cmdmon_decode_reply(b1, n1, &rpy2) != CMDMON_OK)
            abort();
        n2 = cmdmon_encode_reply(&rpy2, b2, sizeof(b2), CMDMON_MAX_REQ_LEN);
        if (n1 != n2 || memcmp(b1, b2, n1) != 0)
            abort();
    }
    render_all(&rpy, OUT_TEXT);
    render_all(&rpy, OUT_CSV);
    render_all(&rpy, OUT_JSON);
    return 0;
}
