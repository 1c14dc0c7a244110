/* Message authentication codes of NTP symmetric keys: a hash of key || message (the MAC of
 * RFC 5905 §9.2 and ntpd's key types) or AES-CMAC (RFC 4493, RFC 8573). The only module that
 * calls Nettle for them; everything else names an algorithm by its chrony id. */
#ifndef CRYPTO_MAC_H
#define CRYPTO_MAC_H

#include <stddef.h>
#include <stdint.h>

/* Algorithm ids as chrony numbers them (the key_type of the cmdmon AUTH_DATA reply). */
enum mac_algo {
    MAC_INVALID = 0,
    MAC_MD5 = 1,
    MAC_SHA1 = 2,
    MAC_SHA256 = 3,
    MAC_SHA384 = 4,
    MAC_SHA512 = 5,
    MAC_SHA3_224 = 6,
    MAC_SHA3_256 = 7,
    MAC_SHA3_384 = 8,
    MAC_SHA3_512 = 9,
    MAC_TIGER = 10,
    MAC_WHIRLPOOL = 11,
    MAC_AES128 = 13,
    MAC_AES256 = 14
};

/* Longest MAC any algorithm produces (SHA512), bytes. */
#define MAC_MAX_LEN 64

/* The algorithm of a key-file type name ("MD5", "SHA1", ..., "AES128"), exact and case
 * sensitive as in chrony, or MAC_INVALID if the name is none of chrony's. */
enum mac_algo mac_algo_from_name(const char *name);

/* chrony's name of an algorithm, or "" for MAC_INVALID and unknown values. */
const char *mac_algo_name(enum mac_algo algo);

/* 1 if algo is a cipher (CMAC), 0 if a hash function. */
int mac_algo_is_cipher(enum mac_algo algo);

/* 1 if this build can compute algo (TIGER and WHIRLPOOL are not in Nettle). */
int mac_algo_supported(enum mac_algo algo);

/* Key length in bytes a cipher requires (16 for AES128, 32 for AES256); 0 for hashes,
 * which take keys of any length. */
size_t mac_cipher_key_len(enum mac_algo algo);

/* Full length in bytes of the MAC of algo (16 for MD5 and CMAC, 20 for SHA1, ...), 0 if the
 * algorithm is not supported. */
size_t mac_len(enum mac_algo algo);

/* Compute the MAC of data[0..data_len) with key[0..key_len): hash(key || data) for hash
 * functions, AES-CMAC(key, data) for ciphers (key_len must be mac_cipher_key_len()). Writes
 * the first min(full length, out_cap) bytes to out and returns that count, or 0 if the
 * algorithm is unsupported or the cipher key has the wrong length. */
size_t mac_compute(enum mac_algo algo, const uint8_t *key, size_t key_len, const uint8_t *data,
                   size_t data_len, uint8_t *out, size_t out_cap);

/* Compare two byte strings in time independent of where they differ. Returns 1 if equal. */
int mac_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
