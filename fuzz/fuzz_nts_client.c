/* Fuzz target: the NTS state of one source (src/core/nts_client.c with core/nts_ntp.c):
 * NTS-KE results, signed requests, server responses built from the input (then maybe
 * altered), raw responses, NAKs, and the dump file written and read back.
 *
 * Input: a sequence of operations, each an opcode byte and its arguments (taken from the
 * input as far as it goes):
 *   0: NTS-KE session ended: ok flag, AEAD (15 or 30), key bytes, 0..8 cookies and lengths;
 *   1: sign a request, answer it as the server with 0..8 cookies; an odd byte changes one
 *      byte of the answer (position and xor mask from the input) before it is checked;
 *   2: sign a request and check raw input bytes as its answer;
 *   3: sign a request and answer it with a NAK (KoD NTSN carrying the identifier);
 *   4: dump, load the dump into a fresh state, dump again;
 *   5: load raw input text as a dump file;
 *   6: ask whether a session is due, after a number of seconds.
 * Oracle: no crash or sanitizer report; an answer built with the right key and left
 * unchanged is authentic, a changed or raw one never is; a NAK is never authentic and
 * leaves the state unable to sign until a new session; the cookie count stays in
 * 0..NTS_MAX_COOKIES; a dump loads back to the same report and the same text. */
#include "core/nts_client.h"
#include "crypto/siv.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static void take_bytes(struct in *in, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = take(in);
}

struct fz {
    struct nts_client n;
    struct nts_keys k; /* the server's view of the keys */
    struct timespec now;
    int have_keys;
};

static void check_report(const struct nts_client *n)
{
    int aead, bits, cookies, clen, nak;
    nts_client_get_report(n, &aead, &bits, &cookies, &clen, &nak);
    if (cookies < 0 || cookies > NTS_MAX_COOKIES || clen < 0 || clen > NTS_MAX_COOKIE_LEN)
        abort();
    if (nts_client_ready(n) && (!n->have_keys || !cookies))
        abort();
}

static void op_ke(struct fz *s, struct in *in)
{
    struct nts_ke_response r;
    uint8_t c2s[32], s2c[32];
    int ok = take(in) & 1;
    size_t key_len;

    memset(&r, 0, sizeof(r));
    r.aead = (take(in) & 1) ? NTS_AEAD_AES_128_GCM_SIV : NTS_AEAD_AES_SIV_CMAC_256;
    key_len = nts_aead_key_len(r.aead);
    if (!key_len)
        r.aead = NTS_AEAD_AES_SIV_CMAC_256, key_len = nts_aead_key_len(r.aead);
    take_bytes(in, c2s, sizeof(c2s));
    take_bytes(in, s2c, sizeof(s2c));
    r.n_cookies = take(in) % (NTS_MAX_COOKIES + 1);
    for (int i = 0; i < r.n_cookies; i++) {
        /* 4..NTS_MAX_COOKIE_LEN bytes, a multiple of 4 (what the KE parser keeps) */
        r.cookie_len[i] = 4 * (1 + take(in) % (NTS_MAX_COOKIE_LEN / 4));
        memset(r.cookies[i], take(in), r.cookie_len[i]);
    }
    nts_client_ke_started(&s->n);
    nts_client_ke_done(&s->n, &s->now, ok, &r, c2s, s2c, key_len);
    if (ok) {
        memset(&s->k, 0, sizeof(s->k));
        s->k.aead = r.aead;
        s->k.key_len = key_len;
        memcpy(s->k.c2s, c2s, key_len);
        memcpy(s->k.s2c, s2c, key_len);
        s->have_keys = 1;
    }
}

/* Sign a request into req; returns its length (0 if the state cannot sign). */
static size_t sign(struct fz *s, struct in *in, uint8_t *req, size_t cap)
{
    struct ntp_packet p;
    uint8_t rnd[NTS_CLIENT_RANDOM_LEN];
    size_t len;
    int ready = nts_client_ready(&s->n);

    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_CLIENT;
    take_bytes(in, rnd, sizeof(rnd));
    len = nts_client_sign_request(&s->n, req, ntp_encode(&p, req, cap), cap, rnd);
    if (ready != (len > 0))
        abort();
    if (len && (len % 4 || len > cap))
        abort();
    return len;
}

static const uint8_t *find_uid(const uint8_t *req, size_t len)
{
    struct ntp_packet_info info;
    struct ntp_packet p;
    if (ntp_decode(req, len, &p, &info) != NTP_OK)
        abort(); /* our own request must decode */
    for (unsigned i = 0; i < info.n_efs && i < NTP_INFO_MAX_EFS; i++)
        if (info.efs[i].type == NTP_EF_NTS_UNIQUE_IDENTIFIER)
            return req + info.efs[i].offset + 4;
    abort();
}

static void op_answer(struct fz *s, struct in *in)
{
    uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN], nonce[NTS_NONCE_LEN];
    struct nts_cookie c[NTS_MAX_COOKIES];
    struct ntp_packet p;
    size_t len = sign(s, in, req, sizeof(req)), rlen;
    int n_new = take(in) % (NTS_MAX_COOKIES + 1), change = take(in) & 1, ok;
    const uint8_t *uid;

    for (int i = 0; i < n_new; i++) {
        c[i].len = 4 * (4 + take(in) % (NTS_MAX_COOKIE_LEN / 4 - 3)); /* 16..256 */
        memset(c[i].data, take(in), c[i].len);
    }
    take_bytes(in, nonce, sizeof(nonce));
    if (!len || !s->have_keys)
        return;
    uid = find_uid(req, len);
    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_SERVER;
    p.stratum = 1;
    rlen = nts_ntp_build_response(rep, ntp_encode(&p, rep, sizeof(rep)), sizeof(rep), uid, c, n_new,
                                  &s->k, nonce);
    if (!rlen)
        return; /* too many cookies for one packet */
    if (change) {
        size_t pos = (take(in) | (size_t)take(in) << 8) % rlen;
        uint8_t mask = take(in);
        if (!mask)
            mask = 1;
        rep[pos] ^= mask;
    }
    ok = nts_client_check_response(&s->n, rep, rlen);
    if (change && ok)
        abort(); /* an altered answer passed */
    if (!change && n_new > 0 && !ok)
        abort(); /* a genuine answer with cookies failed */
    if (ok && !nts_client_ready(&s->n))
        abort();
    /* The same answer again: its identifier was used up. */
    if (nts_client_check_response(&s->n, rep, rlen))
        abort();
}

static void op_raw(struct fz *s, struct in *in)
{
    uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
    size_t rlen = take(in) | (size_t)take(in) << 8;

    if (rlen > sizeof(rep))
        rlen %= sizeof(rep) + 1;
    if (rlen > in->n)
        rlen = in->n;
    memcpy(rep, in->p, rlen);
    in->p += rlen;
    in->n -= rlen;
    if (!sign(s, in, req, sizeof(req)))
        return;
    if (nts_client_check_response(&s->n, rep, rlen))
        abort(); /* nobody can forge the authenticator without the key */
}

static void op_nak(struct fz *s, struct in *in)
{
    uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
    struct ntp_packet p;
    size_t len = sign(s, in, req, sizeof(req)), rlen;
    int aead, bits, cookies, clen, nak;
    struct timespec later;

    if (!len)
        return;
    memset(&p, 0, sizeof(p));
    p.version = 4;
    p.mode = NTP_MODE_SERVER;
    p.stratum = 0;
    p.ref_id = NTS_KOD_NAK;
    rlen = ntp_encode(&p, rep, sizeof(rep));
    /* Unique Identifier EF: type 0x0104, length 36 */
    rep[rlen] = 0x01, rep[rlen + 1] = 0x04, rep[rlen + 2] = 0, rep[rlen + 3] = 4 + NTS_UID_LEN;
    memcpy(rep + rlen + 4, find_uid(req, len), NTS_UID_LEN);
    rlen += 4 + NTS_UID_LEN;
    if (nts_client_check_response(&s->n, rep, rlen))
        abort();
    /* The cookies left are not used again: no request until a new session. */
    nts_client_get_report(&s->n, &aead, &bits, &cookies, &clen, &nak);
    if (!nak || nts_client_ready(&s->n))
        abort();
    /* A session is due, at the latest once a failed one's retry time passed. */
    ts_add(&later, &s->now, s->n.refresh + 1.0);
    if (!nts_client_need_ke(&s->n, &later))
        abort();
}

static void op_dump(struct fz *s)
{
    struct nts_client t;
    char addr[64], *text = nts_client_dump(&s->n, "ntp.example", "192.0.2.1", 123, 1.7e9), *again;
    int port, a1, b1, c1, l1, n1, a2, b2, c2, l2, n2;
    double ke_time;

    if (!text)
        return;
    nts_client_init(&t, s->n.refresh);
    if (!nts_client_load(&t, text, strlen(text), "ntp.example", addr, sizeof(addr), &port,
                         &ke_time))
        abort(); /* our own dump must load */
    if (port != 123 || strcmp(addr, "192.0.2.1") != 0 || ke_time != 1.7e9)
        abort();
    nts_client_get_report(&s->n, &a1, &b1, &c1, &l1, &n1);
    nts_client_get_report(&t, &a2, &b2, &c2, &l2, &n2);
    if (a1 != a2 || b1 != b2 || c1 != c2 || l1 != l2)
        abort();
    again = nts_client_dump(&t, "ntp.example", "192.0.2.1", 123, 1.7e9);
    if (!again || strcmp(text, again) != 0)
        abort();
    /* A dump for another name is refused. */
    if (nts_client_load(&t, text, strlen(text), "other.example", addr, sizeof(addr), &port,
                        &ke_time))
        abort();
    free(again);
    free(text);
    nts_client_reset(&t);
}

static void op_load(struct fz *s, struct in *in)
{
    char addr[32];
    int port;
    double ke_time;
    size_t len = take(in) | (size_t)take(in) << 8;

    if (len > in->n)
        len = in->n;
    if (nts_client_load(&s->n, (const char *)in->p, len, "ntp.example", addr, sizeof(addr), &port,
                        &ke_time)) {
        if (strlen(addr) >= sizeof(addr))
            abort();
        s->have_keys = 0; /* the keys are the file's now */
    }
    in->p += len;
    in->n -= len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz s;
    struct in in = {data, size};
    int ops = 0;

    memset(&s, 0, sizeof(s));
    s.now.tv_sec = 1700000000;
    nts_client_init(&s.n, 2419200.0);
    while (in.n && ops++ < 64) {
        switch (take(&in) % 7) {
        case 0:
            op_ke(&s, &in);
            break;
        case 1:
            op_answer(&s, &in);
            break;
        case 2:
            op_raw(&s, &in);
            break;
        case 3:
            op_nak(&s, &in);
            break;
        case 4:
            op_dump(&s);
            break;
        case 5:
            op_load(&s, &in);
            break;
        default:
            ts_add(&s.now, &s.now, (double)(take(&in) | take(&in) << 8) * 64.0);
            (void)nts_client_need_ke(&s.n, &s.now);
            break;
        }
        check_report(&s.n);
    }
    nts_client_reset(&s.n);
    return 0;
}
