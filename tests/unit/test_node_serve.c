/* The node's NTP serving through the shared fake environment: socket opening
 * policy, access control, reply fields, counters. */
#include "check.h"
#include "fake_env.h"

#include "core/clientlog.h"
#include "core/nts_ntp.h"
#include "core/nts_server.h"
#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/bytes.h"
#include "lib/ntp_time.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <stdio.h>
#include <string.h>

static struct node *make_node(struct fake_env *f, struct config **cfg, const char **lines)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8};
    struct node *n;
    *cfg = config_new();
    for (int i = 0; lines[i]; i++) {
        int r = config_parse_line(*cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err));
        if (r != 0)
            printf("  config error: %s\n", err);
        CHECK(r == 0);
    }
    n = node_new(*cfg, &f->env, &o);
    CHECK(node_start(n, &f->now, err, sizeof(err)) == 0);
    return n;
}

static void request(struct fake_env *f, struct node *n, int sock, const char *from,
                    uint8_t first_byte, size_t len)
{
    uint8_t buf[256];
    struct net_rx rx;
    memset(buf, 0, sizeof(buf));
    buf[0] = first_byte;
    buf[40] = 0xAB; /* transmit timestamp */
    buf[47] = 0x01;
    memset(&rx, 0, sizeof(rx));
    rx.sock = sock;
    rx.data = buf;
    rx.len = len;
    ip_addr_parse(&rx.remote.ip, from);
    rx.remote.port = 40000;
    rx.rx_ts = f->now;
    node_on_datagram(n, &rx, &f->now);
}

static void test_no_allow_no_socket(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"port 123", NULL};
    struct node *n;
    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK_INT_EQ(n->serve.socks[0], -1);
    CHECK_INT_EQ(n->serve.socks[1], -1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_local_reply_and_access(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1", "local stratum 7", NULL};
    struct node *n;
    struct ntp_packet p;
    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK(n->serve.socks[0] >= 0);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK(ntp_decode(f.sent[0].data, f.sent[0].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.mode, 4);
    CHECK_INT_EQ(p.version, 4);
    CHECK_INT_EQ(p.stratum, 7);
    CHECK_INT_EQ(p.leap, 0);
    CHECK_INT_EQ(p.ref_id, 0x7F7F0101U);
    CHECK_INT_EQ(p.origin_ts.sec, 0xAB000000U);
    CHECK_INT_EQ(f.sent[0].len, 48);
    /* denied source: no reply, counted */
    request(&f, n, n->serve.socks[0], "10.1.1.1", (0 << 6) | (4 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(n->serve.denied, 1);
    /* mode 6: no reply, counted as dropped */
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (2 << 3) | 6, 48);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(n->serve.counters.received, 2);
    CHECK_INT_EQ(n->serve.counters.replied, 1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_unsynchronised(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow all", NULL};
    struct node *n;
    struct ntp_packet p;
    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    request(&f, n, n->serve.socks[0], "192.0.2.1", (0 << 6) | (3 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK(ntp_decode(f.sent[0].data, f.sent[0].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.leap, 3);
    CHECK_INT_EQ(p.stratum, 0);
    CHECK_INT_EQ(p.version, 3);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* `ratelimit ... kod 1`: past the burst, about half of the limited requests get a KoD
 * RATE (leap 3, stratum 0, ref id "RATE", the timestamps of a normal reply, poll raised to
 * the limit interval), the rest no reply; without kod none gets a KoD. */
static int kod_replies(const char *ratelimit, int *n_sent)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1", "local stratum 5", ratelimit, NULL};
    struct node *n;
    struct ntp_packet p;
    int kods = 0;
    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    for (int i = 0; i < 60; i++)
        request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    *n_sent = f.n_sent;
    for (int i = 0; i < f.n_sent; i++) {
        CHECK(ntp_decode(f.sent[i].data, f.sent[i].len, &p, NULL) == NTP_OK);
        if (p.stratum != 0)
            continue;
        kods++;
        CHECK_INT_EQ(p.leap, 3);
        CHECK_INT_EQ(p.mode, 4);
        CHECK_INT_EQ(p.ref_id, 0x52415445U);
        CHECK_INT_EQ(p.poll, 4);
        CHECK_INT_EQ(p.origin_ts.sec, 0xAB000000U);
        CHECK(p.rx_ts.sec != 0 && p.tx_ts.sec != 0);
    }
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
    return kods;
}

static void test_ratelimit_kod(void)
{
    int sent, kods;
    kods = kod_replies("ratelimit interval 4 burst 2 leak 4 kod 1", &sent);
    /* 2 of the burst, ~1/16 leaked, ~half of the rest KoD (the fake keeps 64 datagrams) */
    CHECK(kods > 12 && kods < 45);
    CHECK(sent - kods < 12);
    kods = kod_replies("ratelimit interval 4 burst 2 leak 4", &sent);
    CHECK_INT_EQ(kods, 0);
    CHECK(sent < 12);
}

/* An NTS request with a cookie sealed by the node's current server key. */
static size_t nts_request(struct node *n, uint8_t *buf, size_t cap, struct nts_keys *k,
                          uint8_t uid[NTS_UID_LEN])
{
    uint8_t nonce[NTS_NONCE_LEN], cnonce[NTS_SERVER_COOKIE_NONCE];
    struct nts_cookie cookie;

    memset(k, 0, sizeof(*k));
    k->aead = NTS_AEAD_AES_SIV_CMAC_256;
    k->key_len = 32;
    memset(k->c2s, 0x12, 32);
    memset(k->s2c, 0x34, 32);
    memset(uid, 0x56, NTS_UID_LEN);
    memset(nonce, 0x78, sizeof(nonce));
    memset(cnonce, 0x9A, sizeof(cnonce));
    cookie.len =
        nts_server_make_cookie(&n->serve.nts_keys, k, cnonce, cookie.data, sizeof(cookie.data));
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = (4 << 3) | 3;
    buf[40] = 0xAB;
    return nts_ntp_build_request(buf, NTP_HEADER_LEN, cap, uid, &cookie, 1, k, nonce);
}

static void send_raw(struct fake_env *f, struct node *n, const uint8_t *buf, size_t len)
{
    struct net_rx rx;
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->serve.socks[0];
    rx.data = buf;
    rx.len = len;
    ip_addr_parse(&rx.remote.ip, "127.0.0.1");
    rx.remote.port = 40000;
    rx.rx_ts = f->now;
    node_on_datagram(n, &rx, &f->now);
}

static void test_nts_reply(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1",         "local stratum 3", "ntsservercert /etc/s.crt",
                           "ntsserverkey /etc/s.key", "ntsrotate 100",   NULL};
    struct node *n;
    struct nts_keys k;
    struct nts_cookie got[NTS_MAX_COOKIES];
    struct clientlog_stats st;
    uint8_t buf[600], uid[NTS_UID_LEN];
    struct timespec later;
    size_t len;
    int nc = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK(n->serve.nts_enabled);
    CHECK(fake_env_log_contains(&f, "NTS-KE server not available"));
    len = nts_request(n, buf, sizeof(buf), &k, uid);
    send_raw(&f, n, buf, len);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(f.sent[0].len, len);
    CHECK_INT_EQ(
        nts_ntp_check_response(f.sent[0].data, f.sent[0].len, uid, &k, got, NTS_MAX_COOKIES, &nc),
        NTS_NTP_OK);
    CHECK_INT_EQ(nc, 2);
    clientlog_get_stats(n->cmd.clientlog, &st);
    CHECK_INT_EQ(st.ntp_auth_hits, 1);
    /* After three rotations the cookie's key is gone: KoD NTSN. */
    later = f.now;
    for (int i = 0; i < 3; i++) {
        later.tv_sec += 101;
        node_on_timer(n, &later);
    }
    CHECK_INT_EQ(n->serve.nts_keys.n, NTS_SERVER_MAX_KEYS);
    send_raw(&f, n, buf, len);
    CHECK_INT_EQ(f.n_sent, 2);
    CHECK_INT_EQ(nts_ntp_check_response(f.sent[1].data, f.sent[1].len, uid, &k, NULL, 0, NULL),
                 NTS_NTP_NAK);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_nts_uneven_certs(void)
{
    struct fake_env f;
    struct config *cfg = config_new();
    struct node_opts o = {.family = 0, .precision = 1e-8};
    struct node *n;
    char err[256] = "";

    fake_env_init(&f);
    CHECK(config_parse_line(cfg, "ntsservercert /etc/s.crt", NULL, 1, &f.env.files, err,
                            sizeof(err)) == 0);
    n = node_new(cfg, &f.env, &o);
    CHECK(node_start(n, &f.now, err, sizeof(err)) < 0);
    CHECK(strstr(err, "Uneven number of NTS certs and keys") != NULL);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* smoothtime: replies to clients carry the smoothing offset (reference ID 127.127.1.255);
 * a passive reply to a symmetric active peer does not (chrony smooths server replies). */
static void test_smoothed_time(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1", "local stratum 1", "smoothtime 400 0.001", NULL};
    struct node *n;
    struct ntp_packet p;
    struct engine_out out;
    struct timespec rx, tx;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK(ntp_decode(f.sent[0].data, f.sent[0].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.ref_id, 0x7F7F0101U);
    ntp_ts64_to_timespec(&rx, &p.rx_ts);
    CHECK_NEAR(ts_diff(&rx, &f.now), 0.0, 1e-6);
    /* Activated, then the clock is found 0.5 s fast (chronyc doffset): the cooked time
     * goes back at once, the served time stays. */
    engine_out_init(&out);
    CHECK(engine_smooth_activate(&n->engine, &f.now, &out));
    CHECK(engine_accumulate_offset(&n->engine, &f.now, 0.5, &out));
    engine_out_fini(&out);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 2);
    CHECK(ntp_decode(f.sent[1].data, f.sent[1].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.ref_id, 0x7F7F01FFU);
    ntp_ts64_to_timespec(&rx, &p.rx_ts);
    ntp_ts64_to_timespec(&tx, &p.tx_ts);
    CHECK_NEAR(ts_diff(&rx, &f.now), 0.0, 1e-6);
    CHECK_NEAR(ts_diff(&tx, &f.now), 0.0, 1e-6);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 1, 48);
    CHECK_INT_EQ(f.n_sent, 3);
    CHECK(ntp_decode(f.sent[2].data, f.sent[2].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.mode, 2);
    CHECK(p.ref_id != 0x7F7F01FFU);
    ntp_ts64_to_timespec(&rx, &p.rx_ts);
    CHECK_NEAR(ts_diff(&rx, &f.now), -0.5, 1e-6);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* `broadcast`: mode-5 packets from the server socket (opened without `allow`) to each
 * destination every interval (at most 2 % later), the interval clamped to 1 s and its log2
 * as poll; without a server port (`port 0`) nothing is sent. */
static int broadcasts_to(struct fake_env *f, const char *to, int port, int sock, int poll)
{
    struct ip_addr ip;
    int count = 0;
    ip_addr_parse(&ip, to);
    for (int i = 0; i < f->n_sent; i++) {
        struct ntp_packet p;
        if (!ip_addr_equal(&f->sent[i].remote.ip, &ip) || f->sent[i].remote.port != port)
            continue;
        CHECK_INT_EQ(f->sent[i].sock, sock);
        CHECK_INT_EQ(f->sent[i].len, 48);
        CHECK(ntp_decode(f->sent[i].data, f->sent[i].len, &p, NULL) == NTP_OK);
        CHECK_INT_EQ(p.mode, 5);
        CHECK_INT_EQ(p.version, 4);
        CHECK_INT_EQ(p.leap, 0);
        CHECK_INT_EQ(p.stratum, 3);
        CHECK_INT_EQ(p.poll, poll);
        CHECK_INT_EQ(p.ref_id, 0x7F7F0101U);
        CHECK(p.origin_ts.sec == 0 && p.origin_ts.frac == 0);
        CHECK(p.rx_ts.sec == 0 && p.rx_ts.frac == 0);
        CHECK(p.tx_ts.sec != 0 && p.ref_ts.sec != 0);
        count++;
    }
    return count;
}

static void run_for(struct fake_env *f, struct node *n, double s)
{
    for (int i = 0; i < (int)(s * 100 + 0.5); i++) {
        fake_env_advance(f, 0.01);
        node_on_timer(n, &f->now);
    }
}

static void test_broadcast(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"local stratum 3", "broadcast 4 192.0.2.255 1234",
                           "broadcast 0 192.0.2.127", NULL};
    const char *lines_noport[] = {"local stratum 3", "port 0", "broadcast 1 192.0.2.255", NULL};
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK(n->serve.socks[0] >= 0);
    run_for(&f, n, 0.9);
    CHECK_INT_EQ(f.n_sent, 0);
    run_for(&f, n, 3.3);
    CHECK_INT_EQ(broadcasts_to(&f, "192.0.2.255", 1234, n->serve.socks[0], 2), 1);
    CHECK_INT_EQ(broadcasts_to(&f, "192.0.2.127", 123, n->serve.socks[0], 0), 4);
    CHECK_INT_EQ(f.n_sent, 5);
    node_free(n);
    config_free(cfg);

    f.n_sent = 0;
    n = make_node(&f, &cfg, lines_noport);
    run_for(&f, n, 2.5);
    CHECK_INT_EQ(f.n_sent, 0);
    CHECK(fake_env_log_contains(&f, "No socket to send to 192.0.2.255:123"));
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* chrony's broadcast timer class: two destinations with the same interval are kept at least
 * 0.2 s apart (the first ones, and then 2^(poll-3) s = 0.2 s with interval 4). */
static void test_broadcast_separation(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"local stratum 3", "broadcast 4 192.0.2.1", "broadcast 4 192.0.2.2",
                           NULL};
    struct node *n;
    double at[16], t = 0.0;
    int count = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    while (t < 12.5) {
        int before = f.n_sent;
        run_for(&f, n, 0.01);
        t += 0.01;
        CHECK(f.n_sent - before <= 1);
        if (f.n_sent > before && count < 16)
            at[count++] = t;
    }
    CHECK_INT_EQ(count, 6);
    for (int i = 1; i < count; i++) {
        CHECK(at[i] - at[i - 1] > 0.19);
        CHECK(!ip_addr_equal(&f.sent[i].remote.ip, &f.sent[i - 1].remote.ip));
    }
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* smoothtime in broadcast mode: the transmit time is smoothed, the reference ID is not
 * changed (chrony). */
static void test_broadcast_smoothed(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"local stratum 3", "broadcast 1 192.0.2.1", "smoothtime 400 0.001",
                           NULL};
    struct node *n;
    struct engine_out out;
    struct ntp_packet p;
    struct timespec tx, cooked;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    engine_out_init(&out);
    CHECK(engine_smooth_activate(&n->engine, &f.now, &out));
    CHECK(engine_accumulate_offset(&n->engine, &f.now, 0.5, &out));
    engine_out_fini(&out);
    for (int i = 0; i < 500 && f.n_sent == 0; i++)
        run_for(&f, n, 0.01);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK(ntp_decode(f.sent[0].data, f.sent[0].len, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.mode, 5);
    CHECK_INT_EQ(p.ref_id, 0x7F7F0101U);
    ntp_ts64_to_timespec(&tx, &p.tx_ts);
    /* The served time is the cooked time plus the smoothing offset. */
    engine_cooked_time(&n->engine, &f.now, &cooked, NULL);
    CHECK_NEAR(ts_diff(&tx, &cooked), 0.5, 1e-3);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* The platform's NTS-KE server as the fake sees it: what the node asks of each connection. */
struct fake_ke {
    const char *(*admit)(void *arg, const struct ip_addr *ip);
    void *admit_arg;
    struct nts_server_keys keys;
    int starts;
};

static int fake_ke_start(void *ctx, const struct nts_ke_server_opts *o, char *err, size_t len)
{
    struct fake_ke *k = ctx;
    (void)err;
    (void)len;
    k->admit = o->admit;
    k->admit_arg = o->admit_arg;
    k->starts++;
    return 0;
}

static void fake_ke_set_keys(void *ctx, const struct nts_server_keys *keys)
{
    ((struct fake_ke *)ctx)->keys = *keys;
}

static void fake_ke_stop(void *ctx)
{
    (void)ctx;
}

static const char *admit(struct fake_ke *k, const char *addr)
{
    struct ip_addr ip;
    ip_addr_parse(&ip, addr);
    return k->admit(k->admit_arg, &ip);
}

/* NTS-KE connections: allow/deny first, then ntsratelimit per address (chrony's order). */
static void test_nts_ke_admit(void)
{
    struct fake_env f;
    struct fake_ke k = {0};
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1",
                           "allow ::1",
                           "local stratum 3",
                           "ntsservercert /etc/s.crt",
                           "ntsserverkey /etc/s.key",
                           "ntsratelimit interval 10 burst 3 leak 4",
                           NULL};
    struct clientlog_stats st;
    struct node *n;
    int passed = 0;

    fake_env_init(&f);
    f.env.nts_ke_server =
        (struct env_nts_ke_server){&k, fake_ke_start, fake_ke_set_keys, NULL, fake_ke_stop};
    n = make_node(&f, &cfg, lines);
    CHECK_INT_EQ(k.starts, 1);
    CHECK(k.admit != NULL);
    CHECK(memcmp(&k.keys, &n->serve.nts_keys, sizeof(k.keys)) == 0);
    CHECK(strcmp(admit(&k, "192.0.2.1"), "access denied") == 0);
    for (int i = 0; i < 3; i++)
        CHECK(admit(&k, "127.0.0.1") == NULL);
    /* Beyond the burst: refused, but for about one in 16 let through by the leak. */
    for (int i = 0; i < 32; i++)
        passed += admit(&k, "127.0.0.1") == NULL;
    CHECK(passed < 12);
    CHECK(admit(&k, "::1") == NULL);
    clientlog_get_stats(n->cmd.clientlog, &st);
    CHECK_INT_EQ(st.hits[CLOG_NTSKE], 36);
    CHECK_INT_EQ(st.drops[CLOG_NTSKE], 32 - passed);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* Server keys in ntsdumpdir: saved at start, loaded by the next node (which hands them to
 * the NTS-KE server), the rotation resumed from the saved age, saved at each rotation. */
static void test_nts_keys_file(void)
{
    struct fake_env f;
    struct fake_ke k = {0};
    struct config *cfg, *cfg2;
    const char *lines[] = {"allow 127.0.0.1",         "ntsservercert /etc/s.crt",
                           "ntsserverkey /etc/s.key", "ntsdumpdir /var/lib/nts",
                           "ntsrotate 100",           NULL};
    struct nts_server_keys first;
    struct node *n;
    const char *text;
    char edited[512];
    struct timespec later;

    fake_env_init(&f);
    f.env.nts_ke_server =
        (struct env_nts_ke_server){&k, fake_ke_start, fake_ke_set_keys, NULL, fake_ke_stop};
    n = make_node(&f, &cfg, lines);
    text = fake_env_get_file(&f, "/var/lib/nts/ntskeys");
    CHECK(text && strncmp(text, "NKS1\n0.0\n", 9) == 0);
    CHECK(!fake_env_log_contains(&f, "server NTS keys"));
    first = n->serve.nts_keys;
    fake_env_advance(&f, 60);
    node_free(n);
    /* Saved at exit with the key's age. */
    text = fake_env_get_file(&f, "/var/lib/nts/ntskeys");
    CHECK(text && strncmp(text, "NKS1\n60.0\n", 10) == 0);

    n = make_node(&f, &cfg2, lines);
    CHECK(fake_env_log_contains(&f, "Loaded server NTS keys"));
    CHECK(memcmp(&n->serve.nts_keys, &first, sizeof(first)) == 0);
    CHECK(memcmp(&k.keys, &first, sizeof(first)) == 0);
    /* 60 s of the 100 were used: the rotation comes 40 s after the start. */
    later = f.now;
    later.tv_sec += 39;
    node_on_timer(n, &later);
    CHECK_INT_EQ(n->serve.nts_keys.current, first.current);
    later.tv_sec += 2;
    node_on_timer(n, &later);
    CHECK_INT_EQ(n->serve.nts_keys.current, (first.current + 1) % NTS_SERVER_MAX_KEYS);
    CHECK(memcmp(&k.keys, &n->serve.nts_keys, sizeof(first)) == 0);
    text = fake_env_get_file(&f, "/var/lib/nts/ntskeys");
    CHECK(text && strncmp(text, "NKS1\n0.0\n", 9) == 0);
    node_free(n);
    config_free(cfg2);

    /* A bad file: chrony's message, new keys saved in its place. */
    snprintf(edited, sizeof(edited), "NKS1\n0.0\nnot keys\n");
    fake_env_put_file(&f, "/var/lib/nts/ntskeys", edited);
    n = make_node(&f, &cfg2, lines);
    CHECK(fake_env_log_contains(&f, "Could not load server NTS keys"));
    text = fake_env_get_file(&f, "/var/lib/nts/ntskeys");
    CHECK(text && strncmp(text, "NKS1\n0.0\n", 9) == 0);
    node_free(n);
    config_free(cfg2);
    config_free(cfg);
    fake_env_fini(&f);
}

/* A batch send that records its calls and hands each datagram to the fake's send. */
struct batch_log {
    int calls;
    int sizes[8];
};
static struct batch_log batch_log;

static void fake_send_batch(void *ctx, struct net_tx *tx, int n)
{
    struct fake_env *f = ctx;
    if (batch_log.calls < 8)
        batch_log.sizes[batch_log.calls] = n;
    batch_log.calls++;
    for (int i = 0; i < n; i++)
        tx[i].failed =
            f->env.net.send(ctx, tx[i].sock, tx[i].remote, tx[i].local, tx[i].buf, tx[i].len) < 0;
}

/* serverbatch N (ours): with a batch send in the environment the replies wait for the end
 * of the wake-up (node_on_timer) or a full batch, and carry one transmit time read then. */
static int batched(const char *batch_line, int n_req, int *n_sent_before_flush)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1", "local stratum 7", batch_line, NULL};
    struct node *n;
    struct ntp_packet p;
    struct timespec rx, tx, first_tx;
    int sent;

    memset(&batch_log, 0, sizeof(batch_log));
    fake_env_init(&f);
    f.env.net.send_batch = fake_send_batch;
    n = make_node(&f, &cfg, lines);
    for (int i = 0; i < n_req; i++)
        request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    *n_sent_before_flush = f.n_sent;
    fake_env_advance(&f, 0.001);
    node_on_timer(n, &f.now);
    CHECK_INT_EQ(f.n_sent, n_req);
    for (int i = 0; i < f.n_sent; i++) {
        CHECK(ntp_decode(f.sent[i].data, f.sent[i].len, &p, NULL) == NTP_OK);
        CHECK_INT_EQ(p.stratum, 7);
        ntp_ts64_to_timespec(&rx, &p.rx_ts);
        ntp_ts64_to_timespec(&tx, &p.tx_ts);
        if (i == *n_sent_before_flush)
            first_tx = tx;
        /* A full batch left at once; the rest at the flush 1 ms later, with one time. */
        if (i < *n_sent_before_flush) {
            CHECK_NEAR(ts_diff(&tx, &rx), 0.0, 1e-6);
        } else {
            CHECK_NEAR(ts_diff(&tx, &rx), 0.001, 1e-6);
            CHECK_NEAR(ts_diff(&tx, &first_tx), 0.0, 1e-8);
        }
    }
    sent = f.n_sent;
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
    return sent;
}

static void test_batched_replies(void)
{
    int before;
    CHECK_INT_EQ(batched("serverbatch 32", 3, &before), 3);
    CHECK_INT_EQ(before, 0);
    CHECK_INT_EQ(batch_log.calls, 1);
    CHECK_INT_EQ(batch_log.sizes[0], 3);
    /* a full batch leaves before the next reply is made */
    CHECK_INT_EQ(batched("serverbatch 2", 5, &before), 5);
    CHECK_INT_EQ(before, 4);
    CHECK_INT_EQ(batch_log.calls, 3);
    CHECK_INT_EQ(batch_log.sizes[0], 2);
    CHECK_INT_EQ(batch_log.sizes[1], 2);
    CHECK_INT_EQ(batch_log.sizes[2], 1);
}

/* serverbatch 1: chrony's way, each reply sent at once with its own transmit time. */
static void test_unbatched_replies(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"allow 127.0.0.1", "local stratum 7", "serverbatch 1", NULL};
    struct node *n;

    memset(&batch_log, 0, sizeof(batch_log));
    fake_env_init(&f);
    f.env.net.send_batch = fake_send_batch;
    n = make_node(&f, &cfg, lines);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    request(&f, n, n->serve.socks[0], "127.0.0.1", (0 << 6) | (4 << 3) | 3, 48);
    CHECK_INT_EQ(f.n_sent, 2);
    node_on_timer(n, &f.now);
    CHECK_INT_EQ(batch_log.calls, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_no_allow_no_socket);
    RUN(test_batched_replies);
    RUN(test_unbatched_replies);
    RUN(test_local_reply_and_access);
    RUN(test_unsynchronised);
    RUN(test_ratelimit_kod);
    RUN(test_nts_reply);
    RUN(test_nts_uneven_certs);
    RUN(test_nts_ke_admit);
    RUN(test_nts_keys_file);
    RUN(test_broadcast);
    RUN(test_broadcast_separation);
    RUN(test_smoothed_time);
    RUN(test_broadcast_smoothed);
    return check_summary();
}
