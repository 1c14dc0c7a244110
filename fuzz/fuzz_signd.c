/* Fuzz target for Samba's ntp_signd messages (src/proto/signd): any bytes are decoded as a
 * reply and as a request; a message that decodes is encoded again and must give the same
 * bytes (the request's padding aside) and decode to the same fields (decode -> encode ->
 * decode oracle); the length the stream reader trusts agrees with the decoder. */
#include "proto/signd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reply_oracle(const uint8_t *data, size_t size)
{
    static const size_t cap = SIGND_REPLY_MAX_LEN;
    struct signd_reply r, again;
    uint8_t buf[SIGND_REPLY_MAX_LEN];
    size_t whole = 0, len;
    enum signd_verdict v = signd_decode_reply(data, size, &r);
    enum signd_verdict lv = signd_reply_length(data, size, &whole);

    /* The stream reader reads exactly `whole` bytes: the decoder must accept them. */
    if (lv == SIGND_OK && whole <= size && signd_decode_reply(data, whole, &again) != SIGND_OK)
        abort();
    if ((v == SIGND_OK) != (lv == SIGND_OK && whole == size))
        abort();
    if (v != SIGND_OK)
        return;
    len = signd_encode_reply(&r, buf, cap);
    if (len != size || memcmp(buf, data, size) != 0)
        abort();
    if (signd_decode_reply(buf, len, &again) != SIGND_OK || again.op != r.op ||
        again.version != r.version || again.packet_id != r.packet_id ||
        again.packet_len != r.packet_len)
        abort();
}

static void request_oracle(const uint8_t *data, size_t size)
{
    struct signd_request r, again;
    uint8_t buf[SIGND_REQUEST_MAX_LEN];
    size_t len;

    if (signd_decode_request(data, size, &r) != SIGND_OK)
        return;
    len = signd_encode_request(&r, buf, sizeof(buf));
    if (len != size || memcmp(buf, data, 14) != 0 || memcmp(buf + 16, data + 16, size - 16) != 0)
        abort();
    if (signd_decode_request(buf, len, &again) != SIGND_OK || again.op != r.op ||
        again.version != r.version || again.packet_id != r.packet_id || again.key_id != r.key_id ||
        again.packet_len != r.packet_len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reply_oracle(data, size);
    request_oracle(data, size);
    return 0;
}
