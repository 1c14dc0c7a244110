/* Fuzz target: the key-file parser never crashes; the table it builds is sorted with unique
 * ids, every key has a supported type and (for ciphers) the cipher's length; a MAC made with
 * any loaded key verifies, and the same trailer with one flipped bit does not. */
#include "core/keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const struct keys *ks, const struct key *k)
{
    uint8_t pkt[48 + 4 + MAC_MAX_LEN];
    size_t len;

    if (!mac_algo_supported(k->algo) || k->len == 0)
        abort();
    if (mac_algo_is_cipher(k->algo) && k->len != mac_cipher_key_len(k->algo))
        abort();
    for (int version = 3; version <= 4; version++) {
        memset(pkt, 0xa5, 48);
        len = keys_append_mac(ks, k->id, version, pkt, 48, sizeof(pkt));
        if (len < 68 || (version == 4 && len > 72))
            abort();
        if (!keys_check_mac(ks, pkt, 48, len - 48, version))
            abort();
        pkt[len - 1] ^= 1;
        if (keys_check_mac(ks, pkt, 48, len - 48, version))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keys ks;
    size_t n;

    keys_init(&ks);
    n = keys_load(&ks, (const char *)data, size, "fuzz.keys", NULL);
    if (n != ks.n)
        abort();
    for (size_t i = 0; i < ks.n; i++) {
        if (i > 0 && ks.k[i].id <= ks.k[i - 1].id)
            abort();
        if (keys_find(&ks, ks.k[i].id) != &ks.k[i])
            abort();
        check_key(&ks, &ks.k[i]);
    }
    keys_clear(&ks);
    return 0;
}
