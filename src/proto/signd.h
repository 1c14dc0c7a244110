/* Samba's ntp_signd protocol (Samba source4/librpc/idl/ntp_signd.idl, server
 * source4/ntp_signd): the messages an NTP server exchanges over the Unix stream socket
 * DIRECTORY/socket to have its replies to MS-SNTP clients signed by the domain controller.
 *
 * Every message is a 4-byte big-endian length of the rest of the message, then the body:
 *   request: version (4), op (4), packet id (2), padding (2), key id (4), NTP packet
 *   reply:   version (4), op (4), packet id (4), NTP packet (empty unless SIGNING_SUCCESS)
 * Fields are big-endian. The key id is the 4 bytes of the client's key identifier field in
 * the order they had in its request (Samba reads them little-endian; chrony, and this
 * codec, carry them as a big-endian number read from the packet, which is the same bytes).
 * The signed packet of a reply is the NTP packet with the key id and a 16-byte digest
 * appended. */
#ifndef PROTO_SIGND_H
#define PROTO_SIGND_H

#include "proto/ntp.h"

#include <stddef.h>
#include <stdint.h>

#define SIGND_VERSION 0
/* The length field itself, which its value does not count. */
#define SIGND_LENGTH_LEN 4
#define SIGND_REQUEST_HEADER_LEN 20
#define SIGND_REPLY_HEADER_LEN 16
/* chrony's buffers: a request and a reply carry at most one NTP packet of its maximum size. */
#define SIGND_MAX_PACKET_LEN NTP_MAX_PACKET_LEN
#define SIGND_REQUEST_MAX_LEN (SIGND_REQUEST_HEADER_LEN + SIGND_MAX_PACKET_LEN)
#define SIGND_REPLY_MAX_LEN (SIGND_REPLY_HEADER_LEN + SIGND_MAX_PACKET_LEN)

enum signd_op {
    SIGND_OP_SIGN_TO_CLIENT = 0, /* sign a reply to an MS-SNTP client (the only one used) */
    SIGND_OP_ASK_SERVER_TO_SIGN = 1,
    SIGND_OP_CHECK_SERVER_SIGNATURE = 2,
    SIGND_OP_SIGNING_SUCCESS = 3,
    SIGND_OP_SIGNING_FAILURE = 4
};

struct signd_request {
    uint32_t version;
    uint32_t op;
    uint16_t packet_id; /* echoed in the reply */
    uint32_t key_id;
    const uint8_t *packet; /* the reply to sign; points into the caller's or decoded buffer */
    size_t packet_len;
};

struct signd_reply {
    uint32_t version; /* not checked (chrony does not) */
    uint32_t op;      /* SIGND_OP_SIGNING_SUCCESS or _FAILURE */
    uint32_t packet_id;
    const uint8_t *packet; /* the signed NTP packet, into the decoded buffer */
    size_t packet_len;
};

enum signd_verdict {
    SIGND_OK = 0,
    SIGND_INCOMPLETE, /* fewer bytes than the length field (or the message) needs */
    SIGND_BAD_LENGTH, /* length shorter than the header or longer than the maximum */
    SIGND_N_VERDICTS
};

/* Encode a message into out. Returns its length, or 0 if packet_len exceeds
 * SIGND_MAX_PACKET_LEN or the message does not fit in cap. */
size_t signd_encode_request(const struct signd_request *r, uint8_t *out, size_t cap);
size_t signd_encode_reply(const struct signd_reply *r, uint8_t *out, size_t cap);

/* The whole length of the reply whose first bytes are buf[0..len): SIGND_INCOMPLETE
 * while len < 4, SIGND_BAD_LENGTH if it would be shorter than SIGND_REPLY_HEADER_LEN or
 * longer than SIGND_REPLY_MAX_LEN (chrony closes the connection then); else SIGND_OK and
 * *msg_len. */
enum signd_verdict signd_reply_length(const uint8_t *buf, size_t len, size_t *msg_len);

/* Decode exactly one message buf[0..len) (len must be its whole length: shorter is
 * SIGND_INCOMPLETE, longer SIGND_BAD_LENGTH). out is written only on SIGND_OK; its packet
 * points into buf. */
enum signd_verdict signd_decode_reply(const uint8_t *buf, size_t len, struct signd_reply *out);
enum signd_verdict signd_decode_request(const uint8_t *buf, size_t len, struct signd_request *out);

const char *signd_verdict_name(enum signd_verdict v);

#endif
