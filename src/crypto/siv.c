#include "crypto/siv.h"

#include <nettle/siv-cmac.h>
#include <string.h>

/* IANA AEAD ids used by NTS (RFC 8915 §5.1). */
#define AEAD_AES_SIV_CMAC_256 15

/* Nettle dereferences its pointer arguments even for zero lengths; give it a valid one. */
static const uint8_t *nonnull(const uint8_t *p)
{
    static const uint8_t empty[1];
    return p ? p : empty;
}

size_t nts_aead_key_len(int aead)
{
    /* RFC 5297 §2.2: AES-SIV-CMAC-256 takes two 128-bit AES keys, one for S2V (CMAC) and
     * one for CTR; Nettle names it after the AES width (siv_cmac_aes128). */
    if (aead == AEAD_AES_SIV_CMAC_256)
        return SIV_CMAC_AES128_KEY_SIZE;
    return 0;
}

static int args_valid(int aead, const uint8_t *key, const uint8_t *nonce, size_t nonce_len,
                      const uint8_t *ad, size_t ad_len, const uint8_t *out)
{
    /* RFC 5297 §3: the nonce is one S2V component; Nettle requires at least one byte. */
    return nts_aead_key_len(aead) > 0 && key && nonce && nonce_len >= SIV_MIN_NONCE_SIZE &&
           (ad || ad_len == 0) && out;
}

int nts_aead_encrypt(int aead, const uint8_t *key, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *plain, size_t plain_len,
                     uint8_t *out)
{
    struct siv_cmac_aes128_ctx ctx;

    if (!args_valid(aead, key, nonce, nonce_len, ad, ad_len, out) || (!plain && plain_len > 0))
        return 0;
    if (plain_len > SIZE_MAX - SIV_DIGEST_SIZE)
        return 0;
    siv_cmac_aes128_set_key(&ctx, key);
    siv_cmac_aes128_encrypt_message(&ctx, nonce_len, nonce, ad_len, nonnull(ad),
                                    plain_len + SIV_DIGEST_SIZE, out, nonnull(plain));
    memset(&ctx, 0, sizeof(ctx));
    return 1;
}

int nts_aead_decrypt(int aead, const uint8_t *key, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *ad, size_t ad_len, const uint8_t *cipher, size_t cipher_len,
                     uint8_t *out)
{
    struct siv_cmac_aes128_ctx ctx;
    uint8_t scratch[1];
    int ok;

    if (!args_valid(aead, key, nonce, nonce_len, ad, ad_len, out ? out : scratch) || !cipher ||
        cipher_len < SIV_DIGEST_SIZE)
        return 0;
    if (!out) {
        if (cipher_len > SIV_DIGEST_SIZE)
            return 0;
        out = scratch;
    }
    siv_cmac_aes128_set_key(&ctx, key);
    ok = siv_cmac_aes128_decrypt_message(&ctx, nonce_len, nonce, ad_len, nonnull(ad),
                                         cipher_len - SIV_DIGEST_SIZE, out, cipher);
    memset(&ctx, 0, sizeof(ctx));
    return ok ? 1 : 0;
}
