/* Symmetric keys for NTP authentication: the key file of the `keyfile` directive
 * (chrony.conf(5): lines "ID [TYPE] KEY", KEY as ASCII:text, HEX:digits or plain text) and
 * the MAC trailer rules chrony applies to NTP packets (truncation to 20 bytes in NTPv4,
 * full length in NTPv1-3). Pure: the caller reads the file and logs through the logger. */
#ifndef CORE_KEYS_H
#define CORE_KEYS_H

#include "crypto/mac.h"
#include "lib/log.h"

#include <stddef.h>
#include <stdint.h>

/* chrony warns about keys shorter than 80 bits. */
#define KEYS_MIN_SECURE_LEN 10
/* Longest key-file line chrony reads (2047 characters + newline). */
#define KEYS_MAX_LINE 2048

struct key {
    uint32_t id;
    enum mac_algo algo;
    uint8_t *value; /* owned, wiped before free */
    size_t len;     /* bytes */
    unsigned line;  /* line number in the key file */
};

/* Keys sorted by id. The table is replaced as a whole by keys_load, so pointers to the
 * struct keys itself stay valid across `rekey`. */
struct keys {
    struct key *k;
    size_t n;
};

void keys_init(struct keys *ks);
/* Wipe and free every key; the table is left empty and reusable. */
void keys_clear(struct keys *ks);

/* Replace the table with the keys of a key file's text (NUL not required). Lines that are
 * empty or comments are skipped; a bad line is skipped with chrony's warning naming path and
 * line or the key id: "Could not parse key at line N in file F", "Could not decode key N",
 * "Invalid type in key N", "Unsupported hash function in key N" (or cipher), "Invalid length
 * of AES128 key N (expected 128 bits)"; duplicates are reported ("Detected duplicate key N")
 * and the first kept. Returns the number of keys loaded. log may be NULL. */
size_t keys_load(struct keys *ks, const char *text, size_t len, const char *path,
                 const struct logger *log);

/* The key with this id, or NULL. */
const struct key *keys_find(const struct keys *ks, uint32_t id);

/* Full MAC length (bytes) of key id, 0 if unknown. */
size_t keys_mac_len(const struct keys *ks, uint32_t id);

/* The NTP version a client should use with key id: 3 when the MAC would not fit in an
 * NTPv4 trailer (key id + digest over 24 bytes), else 4 (chrony NAU_GetSuggestedNtpVersion). */
int keys_suggested_version(const struct keys *ks, uint32_t id);

/* Append a MAC trailer with key id to the NTP packet pkt[0..len) of the given version:
 * the digest is truncated to 20 bytes in NTPv4 (RFC 7822 §7.5 parsing) and to what fits in
 * cap. Returns the new length, or 0 if the key is unknown or fewer than 16 digest bytes fit. */
size_t keys_append_mac(const struct keys *ks, uint32_t id, int version, uint8_t *pkt, size_t len,
                       size_t cap);

/* Check the MAC trailer at pkt[mac_off..mac_off + mac_len) (key id + digest) of an NTP packet
 * of the given version: the key must be known, and the digest must be the MAC of
 * pkt[0..mac_off) truncated as chrony truncates it (to 20 bytes if the version is 4 and the
 * trailer is at most 24 bytes, else at most 64). Returns 1 if authentic. */
int keys_check_mac(const struct keys *ks, const uint8_t *pkt, size_t mac_off, size_t mac_len,
                   int version);

/* chronyc authdata: the key's type id and length in bits (0, 0 if unknown). */
void keys_get_info(const struct keys *ks, uint32_t id, int *type, int *bits);

#endif
