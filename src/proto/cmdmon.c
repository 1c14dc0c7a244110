/* cmdmon packet codec: headers, lengths and padding (spec 2, 3), status
 * messages (5.3), and the generic table-driven body codec. */
#include "proto/cmdmon.h"

#include "lib/bytes.h"
#include "lib/compiler.h"
#include "proto/cmdmon_tables.h"

#include <string.h>

static void field_encode(const struct cmdmon_field *f, const uint8_t *obj, uint8_t *p)
{
    const uint8_t *m = obj + f->struct_off;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    double d;

    switch (f->type) {
    case CMF_U8:
    case CMF_I8:
        memcpy(&u8, m, 1);
        p[0] = u8;
        break;
    case CMF_U16:
    case CMF_I16:
        memcpy(&u16, m, 2);
        put_be16(p, u16);
        break;
    case CMF_U32:
    case CMF_I32:
        memcpy(&u32, m, 4);
        put_be32(p, u32);
        break;
    case CMF_U32W:
        memcpy(&u64, m, 8);
        put_be32(p, (uint32_t)u64);
        break;
    case CMF_U64:
        memcpy(&u64, m, 8);
        put_be64(p, u64);
        break;
    case CMF_FLOAT:
        memcpy(&d, m, sizeof(d));
        put_be32(p, cmdmon_float_encode(d));
        break;
    case CMF_TS:
        cmdmon_ts_encode(p, (const struct timespec *)(const void *)m);
        break;
    case CMF_ADDR:
        cmdmon_addr_encode(p, (const struct cmdmon_addr *)(const void *)m);
        break;
    case CMF_NAME:
        memcpy(p, m, CMDMON_NAME_LEN);
        break;
    }
}

static void field_decode(const struct cmdmon_field *f, const uint8_t *p, uint8_t *obj)
{
    uint8_t *m = obj + f->struct_off;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    double d;

    switch (f->type) {
    case CMF_U8:
    case CMF_I8:
        memcpy(m, p, 1);
        break;
    case CMF_U16:
    case CMF_I16:
        u16 = get_be16(p);
        memcpy(m, &u16, 2);
        break;
    case CMF_U32:
    case CMF_I32:
        u32 = get_be32(p);
        memcpy(m, &u32, 4);
        break;
    case CMF_U32W:
        u64 = get_be32(p);
        memcpy(m, &u64, 8);
        break;
    case CMF_U64:
        u64 = get_be64(p);
        memcpy(m, &u64, 8);
        break;
    case CMF_FLOAT:
        d = cmdmon_float_decode(get_be32(p));
        memcpy(m, &d, sizeof(d));
        break;
    case CMF_TS:
        cmdmon_ts_decode(p, (struct timespec *)(void *)m);
        break;
    case CMF_ADDR:
        cmdmon_addr_decode(p, (struct cmdmon_addr *)(void *)m);
        break;
    case CMF_NAME:
        memcpy(m, p, CMDMON_NAME_LEN);
        break;
    }
}

void cmdmon_layout_encode(const struct cmdmon_layout *l, const void *obj, uint8_t *buf)
{
    const uint8_t *o = obj;

    for (size_t i = 0; i < l->n_fields; i++)
        field_encode(&l->fields[i], o, buf + l->fields[i].wire_off);
    if (l->array) {
        const struct cmdmon_array *a = l->array;
        for (unsigned r = 0; r < a->count; r++)
            for (size_t i = 0; i < a->n_fields; i++)
                field_encode(&a->fields[i], o + a->struct_off + r * a->struct_stride,
                             buf + a->wire_off + r * a->wire_stride + a->fields[i].wire_off);
    }
}

void cmdmon_layout_decode(const struct cmdmon_layout *l, const uint8_t *buf, void *obj)
{
    uint8_t *o = obj;

    for (size_t i = 0; i < l->n_fields; i++)
        field_decode(&l->fields[i], buf + l->fields[i].wire_off, o);
    if (l->array) {
        const struct cmdmon_array *a = l->array;
        for (unsigned r = 0; r < a->count; r++)
            for (size_t i = 0; i < a->n_fields; i++)
                field_decode(&a->fields[i],
                             buf + a->wire_off + r * a->wire_stride + a->fields[i].wire_off,
                             o + a->struct_off + r * a->struct_stride);
    }
}

size_t cmdmon_request_body_length(uint16_t command)
{
    const struct cmdmon_req_info *ri = cmdmon_req_info_find(command);
    return ri ? ri->body_len : 0;
}

size_t cmdmon_reply_length(uint16_t reply_code)
{
    const struct cmdmon_rpy_info *pi = cmdmon_rpy_info_find(reply_code);
    return pi ? pi->length : 0;
}

/* Spec 3.1: padded so the request is at least as long as its reply. */
size_t cmdmon_request_length(uint16_t command)
{
    const struct cmdmon_req_info *ri = cmdmon_req_info_find(command);
    size_t body, reply;

    if (!ri)
        return 0;
    body = CMDMON_REQ_HDR_LEN + ri->body_len;
    reply = cmdmon_reply_length(ri->reply);
    return body > reply ? body : reply;
}

uint16_t cmdmon_expected_reply(uint16_t command)
{
    const struct cmdmon_req_info *ri = cmdmon_req_info_find(command);
    return ri ? ri->reply : 0;
}

int cmdmon_command_is_open(uint16_t command)
{
    switch (command) {
    case CMDMON_REQ_N_SOURCES:
    case CMDMON_REQ_SOURCE_DATA:
    case CMDMON_REQ_TRACKING:
    case CMDMON_REQ_SOURCESTATS:
    case CMDMON_REQ_RTCREPORT:
    case CMDMON_REQ_MANUAL_LIST:
    case CMDMON_REQ_ACTIVITY:
    case CMDMON_REQ_SMOOTHING:
    case CMDMON_REQ_NTP_SOURCE_NAME:
        return 1;
    default:
        return 0;
    }
}

const char *cmdmon_status_message(uint16_t status)
{
    static const char *const msgs[] = {
        "200 OK",
        "500 Failure",
        "501 Not authorised",
        "502 Invalid command",
        "503 No such source",
        "504 Duplicate or stale logon detected",
        "505 Facility not enabled in daemon",
        "507 Bad subnet",
        "208 Access allowed",
        "209 Access denied",
        "510 No command access from this host",
        "511 Source already present",
        "512 Too many sources present",
        "513 RTC driver not running",
        "514 Can't write RTC parameters",
        "519 Client logging is not active in the daemon",
        "516 Sample index out of range",
        "515 Invalid address family",
        "517 Protocol version mismatch",
        "518 Packet length mismatch",
    };

    if (status < ARRAY_LEN(msgs))
        return msgs[status];
    if (status == CMDMON_STT_INVALIDNAME)
        return "521 Invalid name";
    return "520 Got unexpected error from daemon";
}

int cmdmon_verdict_status(enum cmdmon_verdict v)
{
    switch (v) {
    case CMDMON_OK:
        return CMDMON_STT_SUCCESS;
    case CMDMON_BAD_VERSION:
        return CMDMON_STT_BADPKTVERSION;
    case CMDMON_BAD_COMMAND:
        return CMDMON_STT_INVALID;
    case CMDMON_BAD_LENGTH:
        return CMDMON_STT_BADPKTLENGTH;
    default:
        return -1;
    }
}

size_t cmdmon_encode_request(const struct cmdmon_request *req, uint8_t *buf, size_t cap)
{
    const struct cmdmon_req_info *ri = cmdmon_req_info_find(req->command);
    size_t len;

    if (!ri)
        return 0;
    /* Version 5 had no padding (spec 3.1). */
    len = req->version >= 6 ? cmdmon_request_length(req->command)
                            : (size_t)CMDMON_REQ_HDR_LEN + ri->body_len;
    if (len > cap)
        return 0;
    memset(buf, 0, len);
    buf[0] = req->version;
    buf[1] = CMDMON_PKT_REQUEST;
    put_be16(buf + 4, req->command);
    put_be16(buf + 6, req->attempt);
    put_be32(buf + 8, req->sequence);
    if (ri->layout)
        cmdmon_layout_encode(ri->layout, &req->u, buf + CMDMON_REQ_HDR_LEN);
    return len;
}

/* Minimum length a request must have (spec 3.2; 10.3 when lenient). */
static size_t request_min_length(uint16_t command, int lenient)
{
    if (lenient && command == CMDMON_REQ_SERVER_STATS)
        return 60;
    if (lenient && command == CMDMON_REQ_NTP_DATA)
        return 152;
    return cmdmon_request_length(command);
}

/* Old LOCAL2 requests become LOCAL3 with chrony 4.5's implied values. */
static void request_upgrade_local2(struct cmdmon_request *req)
{
    req->u.local.activate = 0.0;
    req->u.local.wait_synced = 0.0;
    req->u.local.wait_unsynced = req->u.local.orphan ? 300.0 : 0.0;
}

enum cmdmon_verdict cmdmon_decode_request(const uint8_t *buf, size_t len,
                                          struct cmdmon_request *req, int lenient)
{
    const struct cmdmon_req_info *ri;

    memset(req, 0, sizeof(*req));
    if (len < CMDMON_RPY_HDR_LEN || len > CMDMON_MAX_REQ_LEN)
        return CMDMON_DROP_SIZE;
    if (buf[1] != CMDMON_PKT_REQUEST || buf[2] != 0 || buf[3] != 0)
        return CMDMON_DROP_HEADER;
    req->version = buf[0];
    req->command = get_be16(buf + 4);
    req->attempt = get_be16(buf + 6);
    req->sequence = get_be32(buf + 8);
    req->length = len;
    if (req->version != CMDMON_PROTO_VERSION)
        return req->version >= 5 ? CMDMON_BAD_VERSION : CMDMON_DROP_VERSION;
    ri = cmdmon_req_info_find(req->command);
    if (!ri || (req->command == CMDMON_REQ_LOCAL2 && !lenient))
        return CMDMON_BAD_COMMAND;
    if (len < request_min_length(req->command, lenient))
        return CMDMON_BAD_LENGTH;
    if (ri->layout)
        cmdmon_layout_decode(ri->layout, buf + CMDMON_REQ_HDR_LEN, &req->u);
    if (req->command == CMDMON_REQ_LOCAL2)
        request_upgrade_local2(req);
    return CMDMON_OK;
}

void cmdmon_reply_init(struct cmdmon_reply *rpy, const struct cmdmon_request *req, uint16_t status)
{
    memset(rpy, 0, sizeof(*rpy));
    rpy->version = CMDMON_PROTO_VERSION;
    rpy->command = req->command;
    rpy->sequence = req->sequence;
    rpy->reply = CMDMON_RPY_NULL;
    rpy->status = status;
}

size_t cmdmon_encode_reply(const struct cmdmon_reply *rpy, uint8_t *buf, size_t cap,
                           size_t request_len)
{
    const struct cmdmon_rpy_info *pi = cmdmon_rpy_info_find(rpy->reply);
    size_t len;

    if (!pi)
        return 0;
    len = pi->length;
    if (len > cap || len > request_len)
        return 0; /* spec 3.1: never reply with more than was sent */
    memset(buf, 0, len);
    buf[0] = rpy->version;
    buf[1] = CMDMON_PKT_REPLY;
    put_be16(buf + 4, rpy->command);
    put_be16(buf + 6, rpy->reply);
    put_be16(buf + 8, rpy->status);
    put_be32(buf + 16, rpy->sequence);
    if (pi->layout) {
        cmdmon_layout_encode(pi->layout, &rpy->u, buf + CMDMON_RPY_HDR_LEN);
        if (pi->layout->ff_from)
            memset(buf + CMDMON_RPY_HDR_LEN + pi->layout->ff_from, 0xFF,
                   len - CMDMON_RPY_HDR_LEN - pi->layout->ff_from);
    }
    return len;
}

enum cmdmon_verdict cmdmon_decode_reply(const uint8_t *buf, size_t len, struct cmdmon_reply *rpy)
{
    const struct cmdmon_rpy_info *pi;

    memset(rpy, 0, sizeof(*rpy));
    if (len < CMDMON_RPY_HDR_LEN)
        return CMDMON_DROP_SIZE;
    if (buf[1] != CMDMON_PKT_REPLY || buf[2] != 0 || buf[3] != 0)
        return CMDMON_DROP_HEADER;
    rpy->version = buf[0];
    rpy->command = get_be16(buf + 4);
    rpy->reply = get_be16(buf + 6);
    rpy->status = get_be16(buf + 8);
    rpy->sequence = get_be32(buf + 16);
    pi = cmdmon_rpy_info_find(rpy->reply);
    if (!pi)
        return CMDMON_OK; /* unknown codes imply no body (spec 3.4) */
    if (len < pi->length)
        return CMDMON_REPLY_SHORT;
    if (pi->layout)
        cmdmon_layout_decode(pi->layout, buf + CMDMON_RPY_HDR_LEN, &rpy->u);
    if (rpy->reply == CMDMON_RPY_SERVER_STATS2)
        rpy->u.server_stats.n_fields = 8;
    else if (rpy->reply == CMDMON_RPY_SERVER_STATS3)
        rpy->u.server_stats.n_fields = 11;
    else if (rpy->reply == CMDMON_RPY_SERVER_STATS4)
        rpy->u.server_stats.n_fields = 17;
    return CMDMON_OK;
}
