/* Fuzz target: cmdmon request decoder (daemon side), with a
 * decode -> encode -> decode -> encode stability oracle and the
 * "reply never longer than request" rule. */
#include "proto/cmdmon.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *data, size_t size, int lenient)
{
    struct cmdmon_request req, req2;
    struct cmdmon_reply rpy;
    uint8_t b1[CMDMON_MAX_REQ_LEN], b2[CMDMON_MAX_REQ_LEN], out[CMDMON_MAX_RPY_LEN];
    enum cmdmon_verdict v = cmdmon_decode_request(data, size, &req, lenient);
    size_t n1, n2, r;
    int status = cmdmon_verdict_status(v);

    if (status < 0)
        return;
    /* Error replies and empty success replies always fit. */
    cmdmon_reply_init(&rpy, &req, (uint16_t)status);
    r = cmdmon_encode_reply(&rpy, out, sizeof(out), size);
    if (r != CMDMON_RPY_HDR_LEN)
        abort();
    if (v != CMDMON_OK)
        return;
    n1 = cmdmon_encode_request(&req, b1, sizeof(b1));
    if (!n1)
        abort();
    if (cmdmon_decode_request(b1, n1, &req2, lenient) != CMDMON_OK)
        abort();
    n2 = cmdmon_encode_request(&req2, b2, sizeof(b2));
    if (n1 != n2 || memcmp(b1, b2, n1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size, 0);
    check_request(data, size, 1);
    return 0;
}
