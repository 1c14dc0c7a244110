/* AEAD algorithms of NTS (RFC 8915 §5.1, IANA AEAD registry): AEAD_AES_SIV_CMAC_256 (id 15,
 * RFC 5297) through Nettle; the only module that calls Nettle's SIV code. */
#ifndef CRYPTO_SIV_H
#define CRYPTO_SIV_H

#include <stddef.h>
#include <stdint.h>

/* Length in bytes of the authentication tag (the synthetic IV) every supported AEAD prepends
 * to its ciphertext. */
#define NTS_AEAD_TAG_LEN 16

/* Key length in bytes of an AEAD id: 32 for AEAD_AES_SIV_CMAC_256 (15); 0 if this build does
 * not support the id (AEAD_AES_128_GCM_SIV, 30, is not in Nettle 3.8). */
size_t nts_aead_key_len(int aead);

/* Encrypt plain[0..plain_len) with key (nts_aead_key_len(aead) bytes) and nonce
 * (nonce_len >= 1), authenticating ad[0..ad_len) as the single associated-data item. Writes
 * the tag followed by the ciphertext, plain_len + NTS_AEAD_TAG_LEN bytes, to out (which must
 * not overlap the inputs). ad and plain may be NULL when their length is 0. Returns 1, or 0 if
 * the algorithm is unsupported or an argument is invalid. */
int nts_aead_encrypt(int aead, const uint8_t *key, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *plain, size_t plain_len,
                     uint8_t *out);

/* Check and decrypt cipher[0..cipher_len) (tag then ciphertext) made by nts_aead_encrypt with
 * the same key, nonce and associated data. Writes cipher_len - NTS_AEAD_TAG_LEN bytes to out
 * (not overlapping the inputs; contents unspecified on failure; may be NULL when that count is
 * 0). Returns 1 if the input is authentic; 0 if not, or if the algorithm is unsupported,
 * cipher_len is shorter than the tag or another argument is invalid. */
int nts_aead_decrypt(int aead, const uint8_t *key, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *cipher, size_t cipher_len,
                     uint8_t *out);

#endif
