#include "core/keys.h"

#include "lib/hex.h"
#include "lib/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* RFC 5905 §7.3 / RFC 7822 §7.5: an NTPv4 MAC trailer is at most 24 bytes (key id + 20). */
#define V4_MAX_TRAILER 24
#define MAX_TRAILER (4 + MAC_MAX_LEN)
/* Shortest digest chrony accepts or sends (a 20-byte trailer). */
#define MIN_DIGEST 16

void keys_init(struct keys *ks)
{
    ks->k = NULL;
    ks->n = 0;
}

void keys_clear(struct keys *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        mem_wipe(ks->k[i].value, ks->k[i].len);
        free(ks->k[i].value);
    }
    free(ks->k);
    keys_init(ks);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Split a line into at most 4 words (a 4th word means too many). Comment lines (first
 * non-blank character one of ! ; # %, as chrony's config lines) have no words. */
static int split_words(char *line, char *w[4])
{
    int n = 0;
    char *p = line;

    while (is_space(*p))
        p++;
    if (*p == '!' || *p == ';' || *p == '#' || *p == '%')
        return 0;
    while (*p && n < 4) {
        w[n++] = p;
        while (*p && !is_space(*p))
            p++;
        if (*p)
            *p++ = '\0';
        while (is_space(*p))
            p++;
    }
    return n;
}

static int parse_id(const char *s, uint32_t *id)
{
    unsigned long long v = 0;

    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > 0xFFFFFFFFULL)
            return 0;
    }
    *id = (uint32_t)v;
    return 1;
}

/* Decode the key word in place: "ASCII:text", "HEX:digits" or plain text. Returns the
 * length in bytes, 0 if it cannot be decoded (empty, odd or non-hex digits). */
static size_t decode_key(char *s)
{
    size_t len = strlen(s);

    if (strncmp(s, "ASCII:", 6) == 0) {
        memmove(s, s + 6, len - 6 + 1);
        return len - 6;
    }
    if (strncmp(s, "HEX:", 4) == 0)
        return hex_decode(s + 4, len - 4, (uint8_t *)s, len);
    return len;
}

/* Check the type of a decoded key; logs chrony's warning and returns MAC_INVALID if bad. */
static enum mac_algo check_type(const char *type, uint32_t id, size_t len, const struct logger *log)
{
    enum mac_algo algo = mac_algo_from_name(type);

    if (algo == MAC_INVALID) {
        LOG_WARN(log, "Invalid type in key %u", (unsigned)id);
        return MAC_INVALID;
    }
    if (!mac_algo_supported(algo)) {
        LOG_WARN(log, "Unsupported %s in key %u",
                 mac_algo_is_cipher(algo) ? "cipher" : "hash function", (unsigned)id);
        return MAC_INVALID;
    }
    if (mac_algo_is_cipher(algo) && mac_cipher_key_len(algo) != len) {
        LOG_WARN(log, "Invalid length of %s key %u (expected %u bits)", type, (unsigned)id,
                 (unsigned)(8 * mac_cipher_key_len(algo)));
        return MAC_INVALID;
    }
    return algo;
}

/* Parse one line into k (value allocated). Returns 1 for a key, 0 for no key. */
static int parse_line(char *line, unsigned line_no, const char *path, const struct logger *log,
                      struct key *k)
{
    char *w[4];
    int n = split_words(line, w);
    const char *type = "MD5";
    char *value;
    size_t len;

    if (n == 0)
        return 0;
    if (n < 2 || n > 3 || !parse_id(w[0], &k->id)) {
        LOG_WARN(log, "Could not parse key at line %u in file %s", line_no, path);
        return 0;
    }
    if (n == 3)
        type = w[1];
    value = w[n - 1];
    len = decode_key(value);
    if (len == 0) {
        LOG_WARN(log, "Could not decode key %u", (unsigned)k->id);
        return 0;
    }
    k->algo = check_type(type, k->id, len, log);
    if (k->algo == MAC_INVALID)
        return 0;
    k->len = len;
    k->line = line_no;
    k->value = xmalloc(len);
    memcpy(k->value, value, len);
    return 1;
}

static int cmp_keys(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line ? 1 : 0;
}

/* Sort by id keeping file order among equal ids (the line breaks ties), then drop the
 * later duplicates with a warning. */
static void sort_and_dedup(struct keys *ks, const struct logger *log)
{
    size_t out = 0;

    /* qsort needs a valid array even for no elements (C11 7.22.5). */
    if (ks->n == 0)
        return;
    qsort(ks->k, ks->n, sizeof(ks->k[0]), cmp_keys);
    for (size_t i = 0; i < ks->n; i++) {
        if (out > 0 && ks->k[out - 1].id == ks->k[i].id) {
            LOG_WARN(log, "Detected duplicate key %u", (unsigned)ks->k[i].id);
            mem_wipe(ks->k[i].value, ks->k[i].len);
            free(ks->k[i].value);
            continue;
        }
        ks->k[out++] = ks->k[i];
    }
    ks->n = out;
    /* keys_find() searches by halving: ids strictly increasing. */
    for (size_t i = 1; i < ks->n; i++)
        assert(ks->k[i - 1].id < ks->k[i].id);
}

/* One line into buf (NUL-terminated, longer lines cut); returns the offset after it. */
static size_t next_line(const char *text, size_t len, size_t off, char *buf, size_t cap)
{
    size_t n = 0;
    assert(cap >= 1 && off <= len);
    while (off < len && text[off] != '\n') {
        if (n + 1 < cap)
            buf[n++] = text[off] == '\0' ? ' ' : text[off];
        off++;
    }
    buf[n] = '\0';
    return off < len ? off + 1 : off;
}

size_t keys_load(struct keys *ks, const char *text, size_t len, const char *path,
                 const struct logger *log)
{
    char *line = xmalloc(KEYS_MAX_LINE + 1);
    size_t off = 0, cap = 0;
    unsigned line_no = 0;
    struct keys fresh;

    assert(ks && (text || len == 0));
    keys_init(&fresh);
    while (off < len) {
        struct key k;
        off = next_line(text, len, off, line, KEYS_MAX_LINE + 1);
        line_no++;
        if (!parse_line(line, line_no, path, log, &k))
            continue;
        fresh.k = xgrow(fresh.k, &cap, fresh.n + 1, sizeof(fresh.k[0]));
        fresh.k[fresh.n++] = k;
    }
    mem_wipe(line, KEYS_MAX_LINE + 1);
    free(line);
    sort_and_dedup(&fresh, log);
    keys_clear(ks);
    *ks = fresh;
    return ks->n;
}

const struct key *keys_find(const struct keys *ks, uint32_t id)
{
    size_t lo = 0, hi;

    assert(ks);
    hi = ks->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ks->k[mid].id == id)
            return &ks->k[mid];
        if (ks->k[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t keys_mac_len(const struct keys *ks, uint32_t id)
{
    const struct key *k = keys_find(ks, id);
    return k ? mac_len(k->algo) : 0;
}

int keys_suggested_version(const struct keys *ks, uint32_t id)
{
    return 4 + keys_mac_len(ks, id) > V4_MAX_TRAILER ? 3 : 4;
}

size_t keys_append_mac(const struct keys *ks, uint32_t id, int version, uint8_t *pkt, size_t len,
                       size_t cap)
{
    const struct key *k = keys_find(ks, id);
    size_t max = (version == 4 ? V4_MAX_TRAILER : MAX_TRAILER) - 4, n;

    if (!k || len > cap || cap - len < 4 + MIN_DIGEST)
        return 0;
    if (max > cap - len - 4)
        max = cap - len - 4;
    n = mac_compute(k->algo, k->value, k->len, pkt, len, pkt + len + 4, max);
    if (n < MIN_DIGEST)
        return 0;
    assert(len + 4 + n <= cap);
    pkt[len] = (uint8_t)(id >> 24);
    pkt[len + 1] = (uint8_t)(id >> 16);
    pkt[len + 2] = (uint8_t)(id >> 8);
    pkt[len + 3] = (uint8_t)id;
    return len + 4 + n;
}

int keys_check_mac(const struct keys *ks, const uint8_t *pkt, size_t mac_off, size_t mac_len_,
                   int version)
{
    uint8_t digest[MAC_MAX_LEN];
    const struct key *k;
    size_t trunc, n;
    uint32_t id;

    if (mac_len_ < 4 + MIN_DIGEST || mac_len_ > MAX_TRAILER)
        return 0;
    id = (uint32_t)pkt[mac_off] << 24 | (uint32_t)pkt[mac_off + 1] << 16 |
         (uint32_t)pkt[mac_off + 2] << 8 | pkt[mac_off + 3];
    k = keys_find(ks, id);
    if (!k)
        return 0;
    /* A v4 trailer of at most 24 bytes carries a digest truncated to 20 bytes; longer ones
     * (and v1-3) carry it whole. The received length must be exactly that. */
    trunc = (version == 4 && mac_len_ <= V4_MAX_TRAILER ? V4_MAX_TRAILER : MAX_TRAILER) - 4;
    n = mac_compute(k->algo, k->value, k->len, pkt, mac_off, digest, trunc);
    if (n != mac_len_ - 4)
        return 0;
    return mac_equal(digest, pkt + mac_off + 4, n);
}

void keys_get_info(const struct keys *ks, uint32_t id, int *type, int *bits)
{
    const struct key *k = keys_find(ks, id);
    *type = k ? (int)k->algo : 0;
    *bits = k ? (int)(8 * k->len) : 0;
}
