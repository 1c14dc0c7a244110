#include "proto/signd.h"

#include "lib/bytes.h"

#include <string.h>

size_t signd_encode_request(const struct signd_request *r, uint8_t *out, size_t cap)
{
    size_t len = SIGND_REQUEST_HEADER_LEN + r->packet_len;

    if (r->packet_len > SIGND_MAX_PACKET_LEN || len > cap)
        return 0;
    put_be32(out, (uint32_t)(len - SIGND_LENGTH_LEN));
    put_be32(out + 4, r->version);
    put_be32(out + 8, r->op);
    put_be16(out + 12, r->packet_id);
    put_be16(out + 14, 0);
    put_be32(out + 16, r->key_id);
    if (r->packet_len)
        memcpy(out + SIGND_REQUEST_HEADER_LEN, r->packet, r->packet_len);
    return len;
}

size_t signd_encode_reply(const struct signd_reply *r, uint8_t *out, size_t cap)
{
    size_t len = SIGND_REPLY_HEADER_LEN + r->packet_len;

    if (r->packet_len > SIGND_MAX_PACKET_LEN || len > cap)
        return 0;
    put_be32(out, (uint32_t)(len - SIGND_LENGTH_LEN));
    put_be32(out + 4, r->version);
    put_be32(out + 8, r->op);
    put_be32(out + 12, r->packet_id);
    if (r->packet_len)
        memcpy(out + SIGND_REPLY_HEADER_LEN, r->packet, r->packet_len);
    return len;
}

/* The whole length announced by the length field, checked against [min, max]. */
static enum signd_verdict message_length(const uint8_t *buf, size_t len, size_t min, size_t max,
                                         size_t *msg_len)
{
    uint64_t whole;

    if (len < SIGND_LENGTH_LEN)
        return SIGND_INCOMPLETE;
    whole = (uint64_t)get_be32(buf) + SIGND_LENGTH_LEN;
    if (whole < min || whole > max)
        return SIGND_BAD_LENGTH;
    *msg_len = (size_t)whole;
    return SIGND_OK;
}

static enum signd_verdict whole_message(const uint8_t *buf, size_t len, size_t min, size_t max)
{
    size_t want = 0;
    enum signd_verdict v = message_length(buf, len, min, max, &want);

    if (v != SIGND_OK)
        return v;
    if (len < want)
        return SIGND_INCOMPLETE;
    return len == want ? SIGND_OK : SIGND_BAD_LENGTH;
}

enum signd_verdict signd_reply_length(const uint8_t *buf, size_t len, size_t *msg_len)
{
    return message_length(buf, len, SIGND_REPLY_HEADER_LEN, SIGND_REPLY_MAX_LEN, msg_len);
}

enum signd_verdict signd_decode_reply(const uint8_t *buf, size_t len, struct signd_reply *out)
{
    enum signd_verdict v = whole_message(buf, len, SIGND_REPLY_HEADER_LEN, SIGND_REPLY_MAX_LEN);

    if (v != SIGND_OK)
        return v;
    out->version = get_be32(buf + 4);
    out->op = get_be32(buf + 8);
    out->packet_id = get_be32(buf + 12);
    out->packet = buf + SIGND_REPLY_HEADER_LEN;
    out->packet_len = len - SIGND_REPLY_HEADER_LEN;
    return SIGND_OK;
}

enum signd_verdict signd_decode_request(const uint8_t *buf, size_t len, struct signd_request *out)
{
    enum signd_verdict v = whole_message(buf, len, SIGND_REQUEST_HEADER_LEN, SIGND_REQUEST_MAX_LEN);

    if (v != SIGND_OK)
        return v;
    out->version = get_be32(buf + 4);
    out->op = get_be32(buf + 8);
    out->packet_id = get_be16(buf + 12);
    out->key_id = get_be32(buf + 16);
    out->packet = buf + SIGND_REQUEST_HEADER_LEN;
    out->packet_len = len - SIGND_REQUEST_HEADER_LEN;
    return SIGND_OK;
}

const char *signd_verdict_name(enum signd_verdict v)
{
    switch (v) {
    case SIGND_OK:
        return "ok";
    case SIGND_INCOMPLETE:
        return "incomplete";
    case SIGND_BAD_LENGTH:
        return "bad-length";
    default:
        return "unknown";
    }
}
