/* Unit tests for src/proto/ntp: header codec, extension field walk, MAC trailer detection. */
#include "check.h"

#include "lib/bytes.h"
#include "lib/ntp_time.h"
#include "proto/ntp.h"

#include <string.h>

static void make_header(uint8_t *buf, int version, int mode)
{
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = (uint8_t)(version << 3 | mode);
    put_be32(buf + 40, 0xE5000000U);
    put_be32(buf + 44, 0x12345678U);
}

static struct ntp_packet sample_packet(void)
{
    struct ntp_packet p;
    memset(&p, 0, sizeof(p));
    p.leap = 2;
    p.version = 4;
    p.mode = 4;
    p.stratum = 3;
    p.poll = -6;
    p.precision = -24;
    p.root_delay = 0x00012345;
    p.root_dispersion = 0x0000ABCD;
    p.ref_id = 0xC0A80001;
    p.ref_ts = (struct ntp_ts64){0xE1000000U, 1};
    p.origin_ts = (struct ntp_ts64){0xE1000001U, 0x80000000U};
    p.rx_ts = (struct ntp_ts64){0xE1000002U, 0xFFFFFFFFU};
    p.tx_ts = (struct ntp_ts64){0xFFFFFFFFU, 0x00000003U};
    return p;
}

static int packets_equal(const struct ntp_packet *a, const struct ntp_packet *b)
{
    return a->leap == b->leap && a->version == b->version && a->mode == b->mode &&
           a->stratum == b->stratum && a->poll == b->poll && a->precision == b->precision &&
           a->root_delay == b->root_delay && a->root_dispersion == b->root_dispersion &&
           a->ref_id == b->ref_id && ntp_ts64_equal(&a->ref_ts, &b->ref_ts) &&
           ntp_ts64_equal(&a->origin_ts, &b->origin_ts) && ntp_ts64_equal(&a->rx_ts, &b->rx_ts) &&
           ntp_ts64_equal(&a->tx_ts, &b->tx_ts);
}

static void test_encode_layout(void)
{
    struct ntp_packet p = sample_packet();
    uint8_t buf[NTP_HEADER_LEN];
    CHECK_INT_EQ(ntp_encode(&p, buf, sizeof(buf)), 48);
    CHECK_INT_EQ(buf[0], 2 << 6 | 4 << 3 | 4);
    CHECK_INT_EQ(buf[1], 3);
    CHECK_INT_EQ(buf[2], 0xFA);
    CHECK_INT_EQ(buf[3], 0xE8);
    CHECK_INT_EQ(get_be32(buf + 4), 0x00012345);
    CHECK_INT_EQ(get_be32(buf + 8), 0x0000ABCD);
    CHECK_INT_EQ(get_be32(buf + 12), 0xC0A80001);
    CHECK_INT_EQ(get_be32(buf + 16), 0xE1000000U);
    CHECK_INT_EQ(get_be32(buf + 20), 1);
    CHECK_INT_EQ(get_be32(buf + 28), 0x80000000U);
    CHECK_INT_EQ(get_be32(buf + 36), 0xFFFFFFFFU);
    CHECK_INT_EQ(get_be32(buf + 40), 0xFFFFFFFFU);
    CHECK_INT_EQ(get_be32(buf + 44), 3);
    CHECK_INT_EQ(ntp_encode(&p, buf, 47), 0);
}

static void test_roundtrip(void)
{
    struct ntp_packet p = sample_packet(), q, r;
    uint8_t buf[NTP_HEADER_LEN], buf2[NTP_HEADER_LEN];
    struct ntp_packet_info info;
    ntp_encode(&p, buf, sizeof(buf));
    CHECK_INT_EQ(ntp_decode(buf, sizeof(buf), &q, &info), NTP_OK);
    CHECK(packets_equal(&p, &q));
    ntp_encode(&q, buf2, sizeof(buf2));
    CHECK(memcmp(buf, buf2, sizeof(buf)) == 0);
    CHECK_INT_EQ(ntp_decode(buf2, sizeof(buf2), &r, NULL), NTP_OK);
    CHECK(packets_equal(&q, &r));
    CHECK_INT_EQ(info.n_efs, 0);
    CHECK_INT_EQ(info.mac, NTP_MAC_NONE);
    CHECK_INT_EQ(info.len, 48);
}

static void test_encode_masks_fields(void)
{
    struct ntp_packet p = sample_packet(), q;
    uint8_t buf[NTP_HEADER_LEN];
    p.leap = 7;
    p.version = 12;
    p.mode = 9;
    ntp_encode(&p, buf, sizeof(buf));
    CHECK_INT_EQ(buf[0], 3 << 6 | 4 << 3 | 1);
    ntp_decode(buf, sizeof(buf), &q, NULL);
    CHECK_INT_EQ(q.leap, 3);
    CHECK_INT_EQ(q.version, 4);
    CHECK_INT_EQ(q.mode, 1);
}

static void test_era_timestamps(void)
{
    /* Timestamps after the 2036 era rollover round-trip through the wire and convert back to
     * Unix time with a nearby reference. */
    struct timespec t = {2085978496L + 3600, 250000000}, back;
    struct ntp_packet p = sample_packet(), q;
    uint8_t buf[NTP_HEADER_LEN];
    ntp_ts64_from_timespec(&p.tx_ts, &t);
    CHECK_INT_EQ(p.tx_ts.sec, 3600);
    ntp_encode(&p, buf, sizeof(buf));
    CHECK_INT_EQ(ntp_decode(buf, sizeof(buf), &q, NULL), NTP_OK);
    ntp_ts64_to_timespec(&back, &q.tx_ts);
    CHECK_INT_EQ(back.tv_sec, t.tv_sec);
    CHECK_INT_EQ(back.tv_nsec, t.tv_nsec);
}

static void test_too_short(void)
{
    uint8_t buf[48] = {0x23};
    struct ntp_packet_info info;
    CHECK_INT_EQ(ntp_decode(buf, 0, NULL, &info), NTP_TOO_SHORT);
    CHECK_INT_EQ(info.verdict, NTP_TOO_SHORT);
    CHECK_INT_EQ(ntp_decode(buf, 1, NULL, NULL), NTP_TOO_SHORT);
    CHECK_INT_EQ(ntp_decode(buf, 47, NULL, NULL), NTP_TOO_SHORT);
    CHECK_INT_EQ(ntp_decode(NULL, 100, NULL, NULL), NTP_TOO_SHORT);
}

static void test_bad_length_and_too_long(void)
{
    uint8_t buf[NTP_MAX_PACKET_LEN + 8];
    memset(buf, 0, sizeof(buf));
    make_header(buf, 3, 3);
    CHECK_INT_EQ(ntp_decode(buf, 49, NULL, NULL), NTP_BAD_LENGTH);
    CHECK_INT_EQ(ntp_decode(buf, 50, NULL, NULL), NTP_BAD_LENGTH);
    CHECK_INT_EQ(ntp_decode(buf, 51, NULL, NULL), NTP_BAD_LENGTH);
    CHECK_INT_EQ(ntp_decode(buf, NTP_MAX_PACKET_LEN, NULL, NULL), NTP_OK);
    CHECK_INT_EQ(ntp_decode(buf, NTP_MAX_PACKET_LEN + 4, NULL, NULL), NTP_TOO_LONG);
    CHECK_INT_EQ(NTP_MAX_PACKET_LEN, 1140);
}

static void test_versions(void)
{
    uint8_t buf[48];
    struct ntp_packet p;
    for (int v = 0; v < 8; v++) {
        make_header(buf, v, 3);
        enum ntp_verdict want = v >= 1 && v <= 4 ? NTP_OK : NTP_BAD_VERSION;
        CHECK_INT_EQ(ntp_decode(buf, 48, &p, NULL), want);
        /* The header is decoded even when the verdict is not OK. */
        CHECK_INT_EQ(p.version, v);
    }
    /* Length is checked before the version, as in chrony's parse_packet. */
    make_header(buf, 0, 3);
    CHECK_INT_EQ(ntp_decode(buf, 47, NULL, NULL), NTP_TOO_SHORT);
}

static void test_v3_mac(void)
{
    uint8_t buf[48 + 72];
    uint8_t digest[20];
    struct ntp_packet_info info;
    size_t len;
    memset(digest, 0xAB, sizeof(digest));
    make_header(buf, 3, 3);
    len = ntp_mac_append(buf, 48, sizeof(buf), 42, digest, 16);
    CHECK_INT_EQ(len, 68);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    CHECK_INT_EQ(info.mac_key_id, 42);
    CHECK_INT_EQ(info.mac_offset, 48);
    CHECK_INT_EQ(info.mac_len, 20);
    /* NTPv3 has no extension fields: any trailer is a MAC, even 4 or 68 bytes. */
    make_header(buf, 2, 3);
    put_be32(buf + 48, 7);
    CHECK_INT_EQ(ntp_decode(buf, 52, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    CHECK_INT_EQ(info.mac_len, 4);
    CHECK_INT_EQ(ntp_decode(buf, 48 + 68, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac_len, 68);
}

static void test_mssntp(void)
{
    uint8_t buf[48 + 72];
    struct ntp_packet_info info;
    memset(buf, 0, sizeof(buf));
    make_header(buf, 3, 3);
    put_be32(buf + 48, 0x1234);
    CHECK_INT_EQ(ntp_decode(buf, 68, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_MSSNTP);
    CHECK_INT_EQ(info.mac_key_id, 0x1234);
    put_be32(buf + 52, 1); /* extended authenticator flags, digest zero */
    CHECK_INT_EQ(ntp_decode(buf, 120, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_MSSNTP_EXT);
    /* Zero key id or a non-zero digest is an ordinary MAC; NTPv4 has no MS-SNTP. */
    put_be32(buf + 48, 0);
    CHECK_INT_EQ(ntp_decode(buf, 68, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    put_be32(buf + 48, 5);
    buf[60] = 1;
    CHECK_INT_EQ(ntp_decode(buf, 68, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    buf[60] = 0;
    buf[0] = 4 << 3 | 3;
    CHECK_INT_EQ(ntp_decode(buf, 68, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
}

static void test_v4_mac_lengths(void)
{
    uint8_t buf[48 + 68];
    uint8_t digest[64];
    struct ntp_packet_info info;
    memset(digest, 0x11, sizeof(digest));
    make_header(buf, 4, 3);
    CHECK_INT_EQ(ntp_decode(buf, ntp_mac_append(buf, 48, sizeof(buf), 1, digest, 16), NULL, &info),
                 NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    CHECK_INT_EQ(info.mac_len, 20);
    CHECK_INT_EQ(ntp_decode(buf, ntp_mac_append(buf, 48, sizeof(buf), 2, digest, 20), NULL, &info),
                 NTP_OK);
    CHECK_INT_EQ(info.mac_len, 24);
    CHECK_INT_EQ(info.mac_key_id, 2);
    /* Trailers of 4..16 bytes are neither a MAC nor (RFC 7822) an extension field. */
    for (size_t n = 4; n <= 16; n += 4) {
        memset(buf + 48, 0x22, n);
        CHECK_INT_EQ(ntp_decode(buf, 48 + n, NULL, &info), NTP_BAD_MAC_LENGTH);
    }
    /* A 64-byte digest in NTPv4 must parse as an extension field, which 0x11111111 is not. */
    ntp_mac_append(buf, 48, sizeof(buf), 0x11111111U, digest, 64);
    CHECK_INT_EQ(ntp_decode(buf, 48 + 68, NULL, &info), NTP_BAD_EXTENSION);
}

static void test_crypto_nak(void)
{
    uint8_t buf[52];
    struct ntp_packet_info info;
    make_header(buf, 4, 4);
    put_be32(buf + 48, 0);
    CHECK_INT_EQ(ntp_decode(buf, 52, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.mac, NTP_MAC_CRYPTO_NAK);
    CHECK_INT_EQ(info.mac_len, 4);
    CHECK_INT_EQ(info.mac_key_id, 0);
    put_be32(buf + 48, 1);
    CHECK_INT_EQ(ntp_decode(buf, 52, NULL, &info), NTP_BAD_MAC_LENGTH);
}

static void test_extension_fields(void)
{
    uint8_t buf[256], body[40];
    struct ntp_packet_info info;
    size_t len;
    memset(body, 0x5A, sizeof(body));
    make_header(buf, 4, 3);
    len = ntp_ef_append(buf, 48, sizeof(buf), 0x1234, body, 5);
    CHECK_INT_EQ(len, 64); /* padded to the 16-byte minimum */
    len = ntp_ef_append(buf, len, sizeof(buf), NTP_EF_NTS_COOKIE, body, 40);
    CHECK_INT_EQ(len, 108);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.n_efs, 2);
    CHECK_INT_EQ(info.efs[0].type, 0x1234);
    CHECK_INT_EQ(info.efs[0].len, 16);
    CHECK_INT_EQ(info.efs[0].offset, 48);
    CHECK_INT_EQ(info.efs[1].type, NTP_EF_NTS_COOKIE);
    CHECK_INT_EQ(info.efs[1].len, 44);
    CHECK_INT_EQ(info.efs[1].offset, 64);
    CHECK(info.has_nts);
    CHECK_INT_EQ(info.mac, NTP_MAC_NONE);
    /* Followed by a 24-byte MAC. */
    len = ntp_mac_append(buf, len, sizeof(buf), 9, body, 20);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.n_efs, 2);
    CHECK_INT_EQ(info.mac, NTP_MAC_SYMMETRIC);
    CHECK_INT_EQ(info.mac_offset, 108);
    CHECK_INT_EQ(info.mac_key_id, 9);
    /* Extension fields are not parsed in NTPv3: the whole trailer is a MAC. */
    buf[0] = 3 << 3 | 3;
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.n_efs, 0);
    CHECK_INT_EQ(info.mac_len, len - 48);
}

static void test_many_extension_fields(void)
{
    /* 28-byte fields: the last one must be longer than 24 bytes to not be taken as a MAC. */
    uint8_t buf[48 + 10 * 28], body[24] = {0};
    struct ntp_packet_info info;
    size_t len = 48;
    make_header(buf, 4, 3);
    for (int i = 0; i < 10; i++)
        len = ntp_ef_append(buf, len, sizeof(buf), (uint16_t)(0x2000 + i), body, sizeof(body));
    CHECK_INT_EQ(len, sizeof(buf));
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(info.n_efs, 10);
    CHECK_INT_EQ(info.efs[NTP_INFO_MAX_EFS - 1].type, 0x2000 + NTP_INFO_MAX_EFS - 1);
    CHECK_INT_EQ(info.efs[NTP_INFO_MAX_EFS - 1].offset, 48 + 28 * (NTP_INFO_MAX_EFS - 1));
    CHECK(!info.has_nts);
    /* The same with a trailing 16-byte field: ambiguous with a MAC, rejected. */
    len = ntp_ef_append(buf, 48 + 9 * 28, sizeof(buf), 0x3000, NULL, 0);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_BAD_MAC_LENGTH);
}

static void set_ef(uint8_t *p, uint16_t type, uint16_t len)
{
    put_be16(p, type);
    put_be16(p + 2, len);
}

static void test_bad_extension_fields(void)
{
    uint8_t buf[48 + 64];
    make_header(buf, 4, 3);
    memset(buf + 48, 0, 64);
    set_ef(buf + 48, 1, 0); /* length 0 */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_BAD_EXTENSION);
    set_ef(buf + 48, 1, 12); /* shorter than 16 */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_BAD_EXTENSION);
    set_ef(buf + 48, 1, 18); /* not a multiple of 4 */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_BAD_EXTENSION);
    set_ef(buf + 48, 1, 32); /* past the end */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_BAD_EXTENSION);
    set_ef(buf + 48, 1, 28); /* exactly fills */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_OK);
    /* A 16-byte field leaving 12 bytes: too short for a MAC. */
    set_ef(buf + 48, 1, 16);
    CHECK_INT_EQ(ntp_decode(buf, 48 + 28, NULL, NULL), NTP_BAD_MAC_LENGTH);
    /* A 16-byte field leaving 20 bytes: a MAC. */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 36, NULL, NULL), NTP_OK);
    /* A lone 16-byte field is ambiguous with a MAC and rejected (RFC 7822 §7.5). */
    CHECK_INT_EQ(ntp_decode(buf, 48 + 16, NULL, NULL), NTP_BAD_MAC_LENGTH);
}

static void test_ef_parse_and_append_limits(void)
{
    uint8_t buf[64];
    uint16_t type, flen;
    make_header(buf, 4, 3);
    CHECK_INT_EQ(ntp_ef_append(buf, 48, 63, 1, NULL, 0), 0);
    CHECK_INT_EQ(ntp_ef_append(buf, 49, 64, 1, NULL, 0), 0);
    CHECK_INT_EQ(ntp_ef_append(buf, 48, 64, 7, NULL, 0), 64);
    CHECK_INT_EQ(ntp_ef_parse(buf, 64, 48, &type, &flen), NTP_OK);
    CHECK_INT_EQ(type, 7);
    CHECK_INT_EQ(flen, 16);
    CHECK_INT_EQ(ntp_ef_parse(buf, 64, 52, NULL, NULL), NTP_BAD_EXTENSION);
    CHECK_INT_EQ(ntp_ef_parse(buf, 64, 62, NULL, NULL), NTP_BAD_EXTENSION);
    CHECK_INT_EQ(ntp_ef_parse(buf, 64, 70, NULL, NULL), NTP_BAD_EXTENSION);
    uint8_t digest[NTP_MAX_DIGEST_LEN + 1] = {0};
    CHECK_INT_EQ(ntp_mac_append(buf, 48, 64, 1, digest, 16), 0);
    CHECK_INT_EQ(ntp_mac_append(buf, 48, 64, 1, digest, 12), 64);
    CHECK_INT_EQ(ntp_mac_append(buf, 48, 200, 1, digest, NTP_MAX_DIGEST_LEN + 1), 0);
}

static void test_verdict_names(void)
{
    CHECK_STR_EQ(ntp_verdict_name(NTP_OK), "ok");
    CHECK_STR_EQ(ntp_verdict_name(NTP_BAD_EXTENSION), "bad extension field");
    CHECK_STR_EQ(ntp_verdict_name(NTP_N_VERDICTS), "unknown");
}

/* chrony's F323 codec: 4.28 fixed point as UTI_DoubleToNtp32f28 (rounded up, clamped), the
 * field round trip, and the finder's checks of length and magic. */
static void test_mono_root_field(void)
{
    struct ntp_ef_mono_root ef, got;
    struct ntp_packet_info info;
    uint8_t buf[200];
    size_t len;

    CHECK_INT_EQ(ntp_f28_from_double(0.0), 0);
    CHECK_INT_EQ(ntp_f28_from_double(-1.0), 0);
    CHECK_INT_EQ(ntp_f28_from_double(1.0), 1u << 28);
    CHECK_INT_EQ(ntp_f28_from_double(1e-9), 1);
    CHECK_INT_EQ(ntp_f28_from_double(100.0), 0xFFFFFFFFu);
    CHECK(ntp_f28_to_double(0xFFFFFFFFu) == 4294967295.0 / 65536.0);
    CHECK(ntp_f28_to_double(1u << 27) == 0.5);
    memset(buf, 0, 48);
    buf[0] = 4 << 3 | 3;
    ef.root_delay = 0x01234567;
    ef.root_dispersion = 0x89ABCDEF;
    ef.mono_rx.sec = 0xE8000001;
    ef.mono_rx.frac = 0x80000000;
    ef.mono_epoch = 0xDEADBEEF;
    len = ntp_ef_mono_root_append(buf, 48, sizeof(buf), &ef);
    CHECK_INT_EQ(len, 76);
    CHECK_INT_EQ(get_be16(buf + 48), 0xF323);
    CHECK_INT_EQ(get_be16(buf + 50), 28);
    CHECK_INT_EQ(get_be32(buf + 52), NTP_EF_MONO_ROOT_MAGIC);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_mono_root_find(buf, &info, &got), NTP_OK);
    CHECK(memcmp(&got, &ef, sizeof(ef)) == 0);
    CHECK_INT_EQ(ntp_ef_mono_root_append(buf, 48, 75, &ef), 0);
    /* another magic */
    put_be32(buf + 52, 0);
    CHECK_INT_EQ(ntp_ef_mono_root_find(buf, &info, &got), NTP_BAD_EXTENSION);
    /* a longer body */
    uint8_t body[32] = {0};
    len = ntp_ef_append(buf, 48, sizeof(buf), NTP_EF_EXP_MONO_ROOT, body, sizeof(body));
    put_be32(buf + 52, NTP_EF_MONO_ROOT_MAGIC);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_mono_root_find(buf, &info, &got), NTP_BAD_EXTENSION);
}

/* chrony 4.8's F324 codec: the magic, the correction as a signed 32.32 NTP64 (chrony's
 * UTI_DoubleToNtp64 / UTI_Ntp64ToDouble), 12 reserved zero bytes; the finder checks the
 * length and the magic. */
static void test_net_correction_field(void)
{
    struct ntp_packet_info info;
    uint8_t buf[200];
    size_t len;
    double got = -7.0;

    memset(buf, 0, 48);
    buf[0] = 4 << 3 | 3;
    len = ntp_ef_net_correction_append(buf, 48, sizeof(buf), 2.5);
    CHECK_INT_EQ(len, 76);
    CHECK_INT_EQ(get_be16(buf + 48), 0xF324);
    CHECK_INT_EQ(get_be16(buf + 50), 28);
    CHECK_INT_EQ(get_be32(buf + 52), 0x07AC2CEBu);
    CHECK_INT_EQ(get_be32(buf + 56), 2);
    CHECK_INT_EQ(get_be32(buf + 60), 0x80000000u);
    for (int i = 64; i < 76; i++)
        CHECK_INT_EQ(buf[i], 0);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_OK);
    CHECK(got == 2.5);
    /* a few microseconds, as transparent clocks report */
    len = ntp_ef_net_correction_append(buf, 48, sizeof(buf), 12.345e-6);
    CHECK_INT_EQ(get_be32(buf + 56), 0);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_OK);
    CHECK_NEAR(got, 12.345e-6, 1e-9);
    /* negative: whole seconds rounded down, a positive fraction */
    len = ntp_ef_net_correction_append(buf, 48, sizeof(buf), -1.25);
    CHECK_INT_EQ(get_be32(buf + 56), 0xFFFFFFFEu);
    CHECK_INT_EQ(get_be32(buf + 60), 0xC0000000u);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_OK);
    CHECK(got == -1.25);
    /* zero (a request's) and clamping */
    len = ntp_ef_net_correction_append(buf, 48, sizeof(buf), 0.0);
    CHECK_INT_EQ(get_be32(buf + 56), 0);
    CHECK_INT_EQ(get_be32(buf + 60), 0);
    ntp_ef_net_correction_append(buf, 48, sizeof(buf), 1e12);
    CHECK_INT_EQ(get_be32(buf + 56), 0x7FFFFFFFu);
    CHECK_INT_EQ(ntp_ef_net_correction_append(buf, 48, 75, 0.0), 0);
    /* another magic, or F323's magic */
    len = ntp_ef_net_correction_append(buf, 48, sizeof(buf), 1.0);
    put_be32(buf + 52, NTP_EF_MONO_ROOT_MAGIC);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    got = -7.0;
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_BAD_EXTENSION);
    CHECK(got == -7.0);
    /* a longer body */
    uint8_t body[28] = {0};
    len = ntp_ef_append(buf, 48, sizeof(buf), NTP_EF_EXP_NET_CORRECTION, body, sizeof(body));
    put_be32(buf + 52, NTP_EF_NET_CORRECTION_MAGIC);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_BAD_EXTENSION);
    /* after an F323 field */
    struct ntp_ef_mono_root mr;
    memset(&mr, 0, sizeof(mr));
    len = ntp_ef_mono_root_append(buf, 48, sizeof(buf), &mr);
    len = ntp_ef_net_correction_append(buf, len, sizeof(buf), 0.5);
    CHECK_INT_EQ(len, 104);
    CHECK_INT_EQ(ntp_decode(buf, len, NULL, &info), NTP_OK);
    CHECK_INT_EQ(ntp_ef_net_correction_find(buf, &info, &got), NTP_OK);
    CHECK(got == 0.5);
}

int main(void)
{
    RUN(test_net_correction_field);
    RUN(test_mono_root_field);
    RUN(test_encode_layout);
    RUN(test_roundtrip);
    RUN(test_encode_masks_fields);
    RUN(test_era_timestamps);
    RUN(test_too_short);
    RUN(test_bad_length_and_too_long);
    RUN(test_versions);
    RUN(test_v3_mac);
    RUN(test_mssntp);
    RUN(test_v4_mac_lengths);
    RUN(test_crypto_nak);
    RUN(test_extension_fields);
    RUN(test_many_extension_fields);
    RUN(test_bad_extension_fields);
    RUN(test_ef_parse_and_append_limits);
    RUN(test_verdict_names);
    return check_summary();
}
