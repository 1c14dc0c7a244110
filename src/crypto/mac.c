#include "crypto/mac.h"

#include <nettle/cmac.h>
#include <nettle/nettle-meta.h>
#include <string.h>

struct algo_entry {
    enum mac_algo algo;
    const char *name;
    const struct nettle_hash *hash; /* NULL: cipher, or not available in Nettle */
    size_t cipher_key_len;          /* bytes, ciphers only */
};

static const struct algo_entry algos[] = {
    {MAC_MD5, "MD5", &nettle_md5, 0},
    {MAC_SHA1, "SHA1", &nettle_sha1, 0},
    {MAC_SHA256, "SHA256", &nettle_sha256, 0},
    {MAC_SHA384, "SHA384", &nettle_sha384, 0},
    {MAC_SHA512, "SHA512", &nettle_sha512, 0},
    {MAC_SHA3_224, "SHA3-224", &nettle_sha3_224, 0},
    {MAC_SHA3_256, "SHA3-256", &nettle_sha3_256, 0},
    {MAC_SHA3_384, "SHA3-384", &nettle_sha3_384, 0},
    {MAC_SHA3_512, "SHA3-512", &nettle_sha3_512, 0},
    {MAC_TIGER, "TIGER", NULL, 0},
    {MAC_WHIRLPOOL, "WHIRLPOOL", NULL, 0},
    {MAC_AES128, "AES128", NULL, AES128_KEY_SIZE},
    {MAC_AES256, "AES256", NULL, AES256_KEY_SIZE},
};

#define N_ALGOS (sizeof(algos) / sizeof(algos[0]))

static const struct algo_entry *find_algo(enum mac_algo algo)
{
    for (size_t i = 0; i < N_ALGOS; i++)
        if (algos[i].algo == algo)
            return &algos[i];
    return NULL;
}

enum mac_algo mac_algo_from_name(const char *name)
{
    for (size_t i = 0; i < N_ALGOS; i++)
        if (strcmp(algos[i].name, name) == 0)
            return algos[i].algo;
    return MAC_INVALID;
}

const char *mac_algo_name(enum mac_algo algo)
{
    const struct algo_entry *e = find_algo(algo);
    return e ? e->name : "";
}

int mac_algo_is_cipher(enum mac_algo algo)
{
    const struct algo_entry *e = find_algo(algo);
    return e && e->cipher_key_len > 0;
}

int mac_algo_supported(enum mac_algo algo)
{
    const struct algo_entry *e = find_algo(algo);
    return e && (e->hash || e->cipher_key_len > 0);
}

size_t mac_cipher_key_len(enum mac_algo algo)
{
    const struct algo_entry *e = find_algo(algo);
    return e ? e->cipher_key_len : 0;
}

size_t mac_len(enum mac_algo algo)
{
    const struct algo_entry *e = find_algo(algo);
    if (!e)
        return 0;
    if (e->hash)
        return e->hash->digest_size;
    return e->cipher_key_len ? 16 : 0; /* CMAC tag = one AES block */
}

static size_t hash_mac(const struct nettle_hash *h, const uint8_t *key, size_t key_len,
                       const uint8_t *data, size_t data_len, uint8_t *out, size_t out_cap)
{
    /* Large enough for every context in the table (SHA3-224 has the largest). */
    union {
        uint8_t bytes[512];
        uint64_t align;
    } ctx;
    uint8_t digest[MAC_MAX_LEN];
    size_t n = h->digest_size < out_cap ? h->digest_size : out_cap;

    if (h->context_size > sizeof(ctx) || h->digest_size > sizeof(digest))
        return 0;
    h->init(&ctx);
    h->update(&ctx, key_len, key);
    h->update(&ctx, data_len, data);
    h->digest(&ctx, h->digest_size, digest);
    memcpy(out, digest, n);
    memset(&ctx, 0, sizeof(ctx));
    return n;
}

static size_t cmac_mac(enum mac_algo algo, const uint8_t *key, const uint8_t *data, size_t data_len,
                       uint8_t *out, size_t out_cap)
{
    uint8_t tag[16];
    size_t n = out_cap < sizeof(tag) ? out_cap : sizeof(tag);

    if (algo == MAC_AES128) {
        struct cmac_aes128_ctx c;
        cmac_aes128_set_key(&c, key);
        cmac_aes128_update(&c, data_len, data);
        cmac_aes128_digest(&c, sizeof(tag), tag);
        memset(&c, 0, sizeof(c));
    } else {
        struct cmac_aes256_ctx c;
        cmac_aes256_set_key(&c, key);
        cmac_aes256_update(&c, data_len, data);
        cmac_aes256_digest(&c, sizeof(tag), tag);
        memset(&c, 0, sizeof(c));
    }
    memcpy(out, tag, n);
    return n;
}

size_t mac_compute(enum mac_algo algo, const uint8_t *key, size_t key_len, const uint8_t *data,
                   size_t data_len, uint8_t *out, size_t out_cap)
{
    const struct algo_entry *e = find_algo(algo);

    if (!e || !out_cap)
        return 0;
    if (e->hash)
        return hash_mac(e->hash, key, key_len, data, data_len, out, out_cap);
    if (e->cipher_key_len && key_len == e->cipher_key_len)
        return cmac_mac(algo, key, data, data_len, out, out_cap);
    return 0;
}

int mac_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    unsigned diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}
