/* Internal to the cmdmon codec: table-driven field layouts of request and
 * reply bodies (wire offset -> struct member), shared by encoder and decoder. */
#ifndef PROTO_CMDMON_TABLES_H
#define PROTO_CMDMON_TABLES_H

#include "proto/cmdmon.h"

#include <stddef.h>
#include <stdint.h>

enum cmdmon_ftype {
    CMF_U8,    /* uint8_t */
    CMF_I8,    /* int8_t */
    CMF_U16,   /* uint16_t */
    CMF_I16,   /* int16_t */
    CMF_U32,   /* uint32_t */
    CMF_I32,   /* int32_t */
    CMF_U32W,  /* u32 on the wire, uint64_t in the struct (old server stats) */
    CMF_U64,   /* uint64_t as two u32 words */
    CMF_FLOAT, /* double <-> chrony float */
    CMF_TS,    /* struct timespec */
    CMF_ADDR,  /* struct cmdmon_addr */
    CMF_NAME   /* uint8_t[256], raw */
};

struct cmdmon_field {
    uint8_t type;
    uint16_t wire_off;   /* relative to the start of the body */
    uint16_t struct_off; /* offsetof in the body struct */
};

/* Repeated records (client accesses, manual samples). */
struct cmdmon_array {
    const struct cmdmon_field *fields;
    size_t n_fields;
    uint16_t wire_off, wire_stride; /* body-relative */
    uint16_t struct_off, struct_stride;
    uint16_t count;
};

struct cmdmon_layout {
    const struct cmdmon_field *fields;
    size_t n_fields;
    const struct cmdmon_array *array; /* may be NULL */
    uint16_t ff_from;                 /* body offset from which reserved bytes are 0xFF; 0 = none */
};

struct cmdmon_req_info {
    uint16_t command;
    uint16_t body_len;
    uint16_t reply; /* reply code on success */
    const struct cmdmon_layout *layout;
};

struct cmdmon_rpy_info {
    uint16_t reply;
    uint16_t length; /* total, header included */
    const struct cmdmon_layout *layout;
};

const struct cmdmon_req_info *cmdmon_req_info_find(uint16_t command);
const struct cmdmon_rpy_info *cmdmon_rpy_info_find(uint16_t reply);

/* Encode/decode a body; buf points at the body, which has at least the
 * layout's extent available (callers check lengths first). */
void cmdmon_layout_encode(const struct cmdmon_layout *l, const void *obj, uint8_t *buf);
void cmdmon_layout_decode(const struct cmdmon_layout *l, const uint8_t *buf, void *obj);

#endif
