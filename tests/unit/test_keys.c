/* Unit tests for src/crypto/mac.c and src/core/keys.c: MAC known answers (hash of key ||
 * data, AES-CMAC of RFC 4493), key-file parsing with chrony's warnings, the NTP trailer
 * truncation rules, and authenticated exchanges through the server responder and the
 * client association. */
#include "ntp_client_world.h"

#include "core/keys.h"
#include "core/ntp_server.h"
#include "crypto/mac.h"

#include <stdio.h>
#include <string.h>

struct capture {
    char lines[32][160];
    int n;
};

static void capture_write(void *ctx, enum log_level level, const char *msg)
{
    struct capture *c = ctx;
    (void)level;
    if (c->n < 32)
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s", msg);
}

static int hex_eq(const uint8_t *b, size_t n, const char *hex)
{
    char buf[2 * MAC_MAX_LEN + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", b[i]);
    buf[2 * n] = '\0';
    return strcmp(buf, hex) == 0;
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void test_hash_known_answers(void)
{
    uint8_t data[48], key[20], out[64];
    for (int i = 0; i < 48; i++)
        data[i] = (uint8_t)i;
    /* Python hashlib: md5(b"tulip" + bytes(range(48))) etc. */
    CHECK_INT_EQ(mac_compute(MAC_MD5, (const uint8_t *)"tulip", 5, data, 48, out, 64), 16);
    CHECK(hex_eq(out, 16, "057baa77669e44dd3d8cf3a72fe23d38"));
    unhex("933F62BE1D604E68A81B557F18CFA200483F5B70", key);
    CHECK_INT_EQ(mac_compute(MAC_SHA1, key, 20, data, 48, out, 64), 20);
    CHECK(hex_eq(out, 20, "c165775b5e02ad4a220b50c71b3b879741583b2a"));
    CHECK_INT_EQ(mac_compute(MAC_SHA512, (const uint8_t *)"k", 1, data, 48, out, 64), 64);
    CHECK(hex_eq(out, 8, "84352032b971b96b"));
    CHECK_INT_EQ(mac_compute(MAC_SHA3_256, (const uint8_t *)"k", 1, data, 48, out, 64), 32);
    CHECK(hex_eq(out, 32, "3511bdb7c813b97ee4dc1fe36e8d17c5bece52d0333788e6a5ee90597ce32da6"));
    /* Truncated to the room given. */
    CHECK_INT_EQ(mac_compute(MAC_SHA512, (const uint8_t *)"k", 1, data, 48, out, 20), 20);
    CHECK(hex_eq(out, 8, "84352032b971b96b"));
    CHECK_INT_EQ(mac_compute(MAC_TIGER, key, 20, data, 48, out, 64), 0);
    CHECK_INT_EQ(mac_compute(MAC_INVALID, key, 20, data, 48, out, 64), 0);
}

static void test_cmac_known_answers(void)
{
    /* RFC 4493 §4 examples 1 and 2 (AES-128). */
    uint8_t key[32], msg[16], out[16];
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
    unhex("6bc1bee22e409f96e93d7e117393172a", msg);
    CHECK_INT_EQ(mac_compute(MAC_AES128, key, 16, msg, 0, out, 16), 16);
    CHECK(hex_eq(out, 16, "bb1d6929e95937287fa37d129b756746"));
    CHECK_INT_EQ(mac_compute(MAC_AES128, key, 16, msg, 16, out, 16), 16);
    CHECK(hex_eq(out, 16, "070a16b46b4d4144f79bdd9dd04a287c"));
    /* A cipher key of the wrong length gives nothing. */
    CHECK_INT_EQ(mac_compute(MAC_AES128, key, 15, msg, 16, out, 16), 0);
    CHECK_INT_EQ(mac_compute(MAC_AES256, key, 16, msg, 16, out, 16), 0);
    /* RFC 4493-style AES-256 vector (NIST SP 800-38B D.3, example 10). */
    unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key);
    CHECK_INT_EQ(mac_compute(MAC_AES256, key, 32, msg, 0, out, 16), 16);
    CHECK(hex_eq(out, 16, "028962f61b7bf89efc6b551f4667d983"));
}

static void test_algo_names(void)
{
    CHECK_INT_EQ(mac_algo_from_name("MD5"), MAC_MD5);
    CHECK_INT_EQ(mac_algo_from_name("SHA3-512"), MAC_SHA3_512);
    CHECK_INT_EQ(mac_algo_from_name("AES256"), MAC_AES256);
    CHECK_INT_EQ(mac_algo_from_name("md5"), MAC_INVALID); /* case sensitive, as chrony */
    CHECK_INT_EQ(mac_algo_from_name("SHA224"), MAC_INVALID);
    CHECK_STR_EQ(mac_algo_name(MAC_WHIRLPOOL), "WHIRLPOOL");
    CHECK(!mac_algo_supported(MAC_TIGER) && !mac_algo_supported(MAC_WHIRLPOOL));
    CHECK(mac_algo_supported(MAC_AES128) && mac_algo_is_cipher(MAC_AES128));
    CHECK(!mac_algo_is_cipher(MAC_SHA1));
    CHECK_INT_EQ(mac_cipher_key_len(MAC_AES256), 32);
    CHECK_INT_EQ(mac_len(MAC_SHA384), 48);
    CHECK_INT_EQ(mac_len(MAC_AES256), 16);
}

static const char good_file[] = "# keys\n"
                                "  ! also a comment\n"
                                "\n"
                                "20 MD5 ASCII:crocus\n"
                                "10 tulip\n"
                                "25 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n"
                                "30 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1\n"
                                "\t31  SHA512   hex-is-not-a-prefix-here\n"
                                "4294967295 SHA256 HEX:00ff";

static void test_load_good(void)
{
    struct keys ks;
    struct capture cap = {0};
    struct logger lg = {&cap, capture_write, LOGL_DEBUG};
    const struct key *k;
    int type, bits;

    keys_init(&ks);
    CHECK_INT_EQ(keys_load(&ks, good_file, strlen(good_file), "/etc/k", &lg), 6);
    CHECK_INT_EQ(cap.n, 0);
    k = keys_find(&ks, 10);
    CHECK(k && k->algo == MAC_MD5 && k->len == 5 && memcmp(k->value, "tulip", 5) == 0);
    k = keys_find(&ks, 20);
    CHECK(k && k->len == 6 && memcmp(k->value, "crocus", 6) == 0);
    k = keys_find(&ks, 25);
    CHECK(k && k->algo == MAC_SHA1 && k->len == 20 && k->value[0] == 0x93 && k->value[19] == 0x70);
    k = keys_find(&ks, 31);
    CHECK(k && k->algo == MAC_SHA512 && k->len == strlen("hex-is-not-a-prefix-here"));
    k = keys_find(&ks, 4294967295U);
    CHECK(k && k->len == 2 && k->value[1] == 0xff);
    CHECK(keys_find(&ks, 11) == NULL);
    keys_get_info(&ks, 30, &type, &bits);
    CHECK_INT_EQ(type, 13);
    CHECK_INT_EQ(bits, 128);
    keys_get_info(&ks, 99, &type, &bits);
    CHECK(type == 0 && bits == 0);
    /* Reload replaces the table. */
    CHECK_INT_EQ(keys_load(&ks, "7 x\n", 4, "/etc/k", &lg), 1);
    CHECK(keys_find(&ks, 10) == NULL && keys_find(&ks, 7) != NULL);
    keys_clear(&ks);
    CHECK_INT_EQ(ks.n, 0);
    keys_clear(&ks);
}

static void test_load_bad_lines(void)
{
    static const char text[] = "1 MD5 HEX:ABC\n"
                               "2 FOO HEX:ABCD\n"
                               "3 TIGER HEX:ABCD\n"
                               "4 AES128 HEX:ABCD\n"
                               "5\n"
                               "6 SHA1 HEX:0011 extra\n"
                               "x SHA1 HEX:00\n"
                               "7 SHA1 HEX:GG\n"
                               "8 ASCII:\n"
                               "9 SHA1 HEX:0011\n"
                               "9 MD5 HEX:0022\n"
                               "10 AES256 HEX:0011\n"
                               "4294967296 MD5 x\n";
    static const char *const want[] = {
        "Could not decode key 1",
        "Invalid type in key 2",
        "Unsupported hash function in key 3",
        "Invalid length of AES128 key 4 (expected 128 bits)",
        "Could not parse key at line 5 in file k.keys",
        "Could not parse key at line 6 in file k.keys",
        "Could not parse key at line 7 in file k.keys",
        "Could not decode key 7",
        "Could not decode key 8",
        "Invalid length of AES256 key 10 (expected 256 bits)",
        "Could not parse key at line 13 in file k.keys",
        "Detected duplicate key 9",
    };
    struct keys ks;
    struct capture cap = {0};
    struct logger lg = {&cap, capture_write, LOGL_DEBUG};

    keys_init(&ks);
    CHECK_INT_EQ(keys_load(&ks, text, strlen(text), "k.keys", &lg), 1);
    CHECK_INT_EQ(cap.n, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < cap.n && i < (int)(sizeof(want) / sizeof(want[0])); i++)
        CHECK_STR_EQ(cap.lines[i], want[i]);
    /* The first of the duplicates is kept. */
    CHECK(keys_find(&ks, 9) && keys_find(&ks, 9)->algo == MAC_SHA1);
    keys_clear(&ks);
    /* A file without keys (empty, or comments only) gives an empty table. */
    CHECK_INT_EQ(keys_load(&ks, "", 0, "k", &lg), 0);
    CHECK_INT_EQ(keys_load(&ks, "# comment\n", 10, "k", &lg), 0);
    CHECK(keys_find(&ks, 9) == NULL);
    /* No logger: still parses. */
    CHECK_INT_EQ(keys_load(&ks, "1 MD5 HEX:ABC\n2 a", 17, "k", NULL), 1);
    keys_clear(&ks);
}

static const char trailer_file[] = "1 MD5 tulip\n"
                                   "2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n"
                                   "3 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1\n"
                                   "4 SHA512 HEX:0011223344556677\n"
                                   "5 SHA256 HEX:0011223344556677\n";

static void test_trailer_rules(void)
{
    struct keys ks;
    uint8_t pkt[200];

    keys_init(&ks);
    keys_load(&ks, trailer_file, strlen(trailer_file), "k", NULL);
    CHECK_INT_EQ(keys_suggested_version(&ks, 1), 4);
    CHECK_INT_EQ(keys_suggested_version(&ks, 2), 4);
    CHECK_INT_EQ(keys_suggested_version(&ks, 3), 4);
    CHECK_INT_EQ(keys_suggested_version(&ks, 4), 3);
    CHECK_INT_EQ(keys_suggested_version(&ks, 5), 3);
    memset(pkt, 0x5a, sizeof(pkt));
    /* MD5: 4 + 16; SHA1: 4 + 20; AES128: 4 + 16. */
    CHECK_INT_EQ(keys_append_mac(&ks, 1, 4, pkt, 48, sizeof(pkt)), 68);
    CHECK(keys_check_mac(&ks, pkt, 48, 20, 4));
    CHECK_INT_EQ(keys_append_mac(&ks, 2, 4, pkt, 48, sizeof(pkt)), 72);
    CHECK(pkt[48] == 0 && pkt[51] == 2);
    CHECK(keys_check_mac(&ks, pkt, 48, 24, 4));
    CHECK_INT_EQ(keys_append_mac(&ks, 3, 4, pkt, 48, sizeof(pkt)), 68);
    CHECK(keys_check_mac(&ks, pkt, 48, 20, 4));
    /* SHA512: cut to 20 bytes in NTPv4, whole (64) in NTPv3. */
    CHECK_INT_EQ(keys_append_mac(&ks, 4, 4, pkt, 48, sizeof(pkt)), 72);
    CHECK(keys_check_mac(&ks, pkt, 48, 24, 4));
    CHECK(!keys_check_mac(&ks, pkt, 48, 24, 3)); /* v3 wants the whole digest */
    CHECK_INT_EQ(keys_append_mac(&ks, 4, 3, pkt, 48, sizeof(pkt)), 116);
    CHECK(keys_check_mac(&ks, pkt, 48, 68, 3));
    CHECK(keys_check_mac(&ks, pkt, 48, 68, 4)); /* a long v4 trailer carries it whole */
    CHECK(!keys_check_mac(&ks, pkt, 48, 64, 3));
    /* Any changed bit, in the data or the digest, fails. */
    pkt[47] ^= 1;
    CHECK(!keys_check_mac(&ks, pkt, 48, 68, 3));
    pkt[47] ^= 1;
    pkt[100] ^= 0x80;
    CHECK(!keys_check_mac(&ks, pkt, 48, 68, 3));
    /* Unknown key, too short a trailer, no room. */
    CHECK_INT_EQ(keys_append_mac(&ks, 9, 4, pkt, 48, sizeof(pkt)), 0);
    CHECK_INT_EQ(keys_append_mac(&ks, 1, 4, pkt, 48, 67), 0);
    CHECK_INT_EQ(keys_append_mac(&ks, 4, 3, pkt, 48, 80), 80); /* digest cut to the room */
    pkt[51] = 9;
    CHECK(!keys_check_mac(&ks, pkt, 48, 20, 4));
    CHECK(!keys_check_mac(&ks, pkt, 48, 16, 4));
    keys_clear(&ks);
}

static void test_server_authenticated(void)
{
    struct keys ks;
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    struct ntp_server_counters cnt = {0};
    struct ntp_packet q, r;
    struct ntp_packet_info info;
    enum ntp_drop_reason why;
    struct timespec now = {1700000000, 0};
    uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
    size_t len, qlen;

    keys_init(&ks);
    keys_load(&ks, trailer_file, strlen(trailer_file), "k", NULL);
    ntp_server_ref_local(&ref, 3, &now, -20);
    memset(&q, 0, sizeof(q));
    q.version = 4;
    q.mode = NTP_MODE_CLIENT;
    q.tx_ts.sec = 12345;
    qlen = ntp_encode(&q, req, sizeof(req));
    qlen = keys_append_mac(&ks, 2, 4, req, qlen, sizeof(req));
    CHECK_INT_EQ(qlen, 72);
    len = ntp_server_respond_auth(&ref, &ks, req, qlen, 40000, &now, rep, sizeof(rep), &auth, &why,
                                  &cnt);
    CHECK_INT_EQ(why, NTP_SRV_REPLY);
    CHECK(auth.symmetric && auth.key_id == 2 && auth.version == 4);
    ntp_server_set_tx(rep, len, &now);
    len = ntp_server_sign_reply(&ks, &auth, rep, len, sizeof(rep));
    CHECK_INT_EQ(len, 72);
    CHECK_INT_EQ(ntp_decode(rep, len, &r, &info), NTP_OK);
    CHECK(info.mac == NTP_MAC_SYMMETRIC && info.mac_key_id == 2);
    CHECK(keys_check_mac(&ks, rep, 48, 24, 4));
    /* A bad MAC, an unknown key or no key table: no reply. */
    req[60] ^= 1;
    CHECK_INT_EQ(ntp_server_respond_auth(&ref, &ks, req, qlen, 40000, &now, rep, sizeof(rep), &auth,
                                         &why, &cnt),
                 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MAC);
    req[60] ^= 1;
    CHECK_INT_EQ(ntp_server_respond_auth(&ref, NULL, req, qlen, 40000, &now, rep, sizeof(rep),
                                         &auth, &why, &cnt),
                 0);
    CHECK_INT_EQ(why, NTP_SRV_DROP_AUTH_MAC);
    /* NTPv3 with SHA512: the whole digest both ways. */
    q.version = 3;
    qlen = keys_append_mac(&ks, 4, 3, req, ntp_encode(&q, req, sizeof(req)), sizeof(req));
    CHECK_INT_EQ(qlen, 116);
    len = ntp_server_respond_auth(&ref, &ks, req, qlen, 40000, &now, rep, sizeof(rep), &auth, &why,
                                  &cnt);
    ntp_server_set_tx(rep, len, &now);
    CHECK_INT_EQ(ntp_server_sign_reply(&ks, &auth, rep, len, sizeof(rep)), 116);
    /* Unauthenticated requests are answered unsigned. */
    q.version = 4;
    qlen = ntp_encode(&q, req, sizeof(req));
    len = ntp_server_respond_auth(&ref, &ks, req, qlen, 40000, &now, rep, sizeof(rep), &auth, &why,
                                  &cnt);
    CHECK(!auth.symmetric);
    CHECK_INT_EQ(ntp_server_sign_reply(&ks, &auth, rep, len, sizeof(rep)), 48);
    CHECK_INT_EQ(cnt.received, cnt.replied + ntp_server_counters_dropped(&cnt));
    keys_clear(&ks);
}

/* Sign the world's response with key id (as a server holding it would). */
static void sign_response(struct world *w, const struct keys *ks, uint32_t id, int version)
{
    w->resp_len = keys_append_mac(ks, id, version, w->resp, w->resp_len, sizeof(w->resp));
}

static void test_client_authenticated(void)
{
    struct keys ks;
    struct world w;
    struct ntp_client_result res;
    struct ntp_client_report rep;
    struct ntp_packet p;
    struct ntp_packet_info info;

    keys_init(&ks);
    keys_load(&ks, trailer_file, strlen(trailer_file), "k", NULL);
    started_default(&w);
    ntp_client_set_auth(&w.c, &ks, 2);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, 72);
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, &info), NTP_OK);
    CHECK(info.mac == NTP_MAC_SYMMETRIC && info.mac_key_id == 2 && p.version == 4);
    CHECK(keys_check_mac(&ks, w.req, 48, 24, 4));
    /* Unsigned response: test 5 fails, not valid. */
    serve(&w);
    CHECK(deliver(&w, NULL, &res) != NTP_CLIENT_GOOD && !res.valid);
    CHECK_INT_EQ(res.tests & 0x40, 0); /* test 5 is the 4th of 10 bits */
    /* Signed with another key: not valid either. */
    CHECK(fire(&w));
    serve(&w);
    sign_response(&w, &ks, 1, 4);
    CHECK(deliver(&w, NULL, &res) != NTP_CLIENT_GOOD && !res.valid);
    /* Signed with our key: good, and reported authenticated. */
    CHECK(fire(&w));
    serve(&w);
    sign_response(&w, &ks, 2, 4);
    CHECK_INT_EQ(deliver(&w, NULL, &res), NTP_CLIENT_GOOD);
    CHECK(res.valid);
    ntp_client_get_report(&w.c, &rep);
    CHECK(rep.authenticated);
    /* A response with a flipped bit after signing fails. */
    CHECK(fire(&w));
    serve(&w);
    sign_response(&w, &ks, 2, 4);
    w.resp[44] ^= 1;
    deliver(&w, NULL, &res);
    CHECK(!res.valid);
    keys_clear(&ks);
}

static void test_client_version_and_missing_key(void)
{
    struct keys ks;
    struct world w;
    struct ntp_client_opts o;
    struct ntp_client_report rep;
    struct ntp_packet p;
    struct timespec when;

    keys_init(&ks);
    keys_load(&ks, trailer_file, strlen(trailer_file), "k", NULL);
    /* SHA512: NTPv3 with the whole digest, unless `version` says otherwise. */
    started_default(&w);
    ntp_client_set_auth(&w.c, &ks, 4);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, 116);
    CHECK_INT_EQ(ntp_decode(w.req, w.req_len, &p, NULL), NTP_OK);
    CHECK_INT_EQ(p.version, 3);
    ntp_client_opts_default(&o);
    o.version = 4;
    started(&w, &o);
    ntp_client_set_auth(&w.c, &ks, 4);
    CHECK(fire(&w));
    CHECK_INT_EQ(w.req_len, 72);
    /* Unsigned response to an unauthenticated association with a MAC: not valid. */
    started_default(&w);
    CHECK(fire(&w));
    serve(&w);
    sign_response(&w, &ks, 2, 4);
    struct ntp_client_result res;
    deliver(&w, NULL, &res);
    CHECK(!res.valid);
    /* A key missing from the file: nothing is sent, polling continues, nothing counted. */
    started_default(&w);
    ntp_client_set_auth(&w.c, &ks, 77);
    CHECK_INT_EQ(exchange(&w, &res), NTP_CLIENT_N_VERDICTS);
    CHECK(ntp_client_next_tx(&w.c, &when));
    ntp_client_get_report(&w.c, &rep);
    CHECK_INT_EQ(rep.total_tx, 0);
    keys_clear(&ks);
}

int main(void)
{
    RUN(test_hash_known_answers);
    RUN(test_cmac_known_answers);
    RUN(test_algo_names);
    RUN(test_load_good);
    RUN(test_load_bad_lines);
    RUN(test_trailer_rules);
    RUN(test_server_authenticated);
    RUN(test_client_authenticated);
    RUN(test_client_version_and_missing_key);
    return check_summary();
}
