/* Fuzz target for the NTS extension fields of NTP responses (src/core/nts_ntp). The first
 * byte picks the mode: even, the rest is checked as a response; odd, the rest supplies a
 * header and cookies for the server-side builder, whose output must check back to the same
 * cookies and stop checking once any byte is flipped. */
#include "core/nts_ntp.h"
#include "proto/ntp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_keys(struct nts_keys *k, uint8_t uid[NTS_UID_LEN])
{
    memset(k, 0, sizeof(*k));
    k->aead = NTS_AEAD_AES_SIV_CMAC_256;
    k->key_len = 32;
    for (int i = 0; i < 32; i++) {
        k->c2s[i] = (uint8_t)(0x10 + i);
        k->s2c[i] = (uint8_t)(0x80 + i);
        uid[i] = (uint8_t)(0x40 ^ i);
    }
}

static void check_raw(const uint8_t *data, size_t size, const struct nts_keys *k,
                      const uint8_t *uid)
{
    struct nts_cookie cookies[3];
    enum nts_ntp_verdict v;
    int n = -1;

    v = nts_ntp_check_response(data, size, uid, k, cookies, 3, &n);
    if ((int)v < 0 || v >= NTS_NTP_N_VERDICTS || !nts_ntp_verdict_name(v)[0])
        abort();
    if (v != NTS_NTP_OK)
        return;
    if (n < 0 || n > 3)
        abort();
    for (int i = 0; i < n; i++) {
        if (cookies[i].len > NTS_MAX_COOKIE_LEN)
            abort();
    }
}

/* Cookies from data: a length byte (0 -> 1) then that many bytes, while data lasts. */
static int split_cookies(const uint8_t *data, size_t size, struct nts_cookie *c, int max)
{
    size_t off = 0;
    int n = 0;

    while (n < max && off < size) {
        size_t len = data[off] ? data[off] : 1;
        if (size - off - 1 < len)
            break;
        memcpy(c[n].data, data + off + 1, len);
        c[n].len = len;
        off += 1 + len;
        n++;
    }
    return n;
}

static void check_built(const uint8_t *data, size_t size, const struct nts_keys *k,
                        const uint8_t *uid)
{
    struct nts_cookie in[NTS_MAX_COOKIES], out[NTS_MAX_COOKIES];
    uint8_t pkt[NTP_MAX_PACKET_LEN], nonce[NTS_NONCE_LEN];
    size_t len, flip;
    int n, got = -1;

    if (size < NTP_HEADER_LEN + NTS_NONCE_LEN + 2)
        return;
    memcpy(pkt, data, NTP_HEADER_LEN);
    memcpy(nonce, data + NTP_HEADER_LEN, NTS_NONCE_LEN);
    flip = data[NTP_HEADER_LEN + NTS_NONCE_LEN];
    data += NTP_HEADER_LEN + NTS_NONCE_LEN + 1;
    size -= NTP_HEADER_LEN + NTS_NONCE_LEN + 1;
    n = split_cookies(data, size, in, NTS_MAX_COOKIES);
    len = nts_ntp_build_response(pkt, NTP_HEADER_LEN, sizeof(pkt), uid, in, n, k, nonce);
    if (!len)
        return; /* too many long cookies for the packet */
    /* Padded cookies come back with their padding (RFC 7822 fields are multiples of 4). */
    if (nts_ntp_check_response(pkt, len, uid, k, out, NTS_MAX_COOKIES, &got) !=
            (n > 0 ? NTS_NTP_OK : NTS_NTP_BAD_FORMAT) ||
        (n > 0 && got != n))
        abort();
    for (int i = 0; n > 0 && i < n; i++) {
        if (out[i].len < in[i].len || out[i].len > in[i].len + 15 ||
            memcmp(out[i].data, in[i].data, in[i].len) != 0)
            abort();
    }
    pkt[flip * 7 % len] ^= (uint8_t)(1u << (flip % 8));
    if (nts_ntp_check_response(pkt, len, uid, k, out, NTS_MAX_COOKIES, &got) == NTS_NTP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nts_keys k;
    uint8_t uid[NTS_UID_LEN];

    if (size < 1)
        return 0;
    fuzz_keys(&k, uid);
    if (data[0] % 2 == 0)
        check_raw(data + 1, size - 1, &k, uid);
    else
        check_built(data + 1, size - 1, &k, uid);
    return 0;
}
