/* The command server through the shared fake environment: sockets, the
 * processing order of spec cmdmon.md 3.3 (silent drops, statuses 2/3/18/19),
 * never amplifying, reports without sources, access control, client log. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/bytes.h"

#include <stdlib.h>
#include <string.h>

#define SOCK_PATH "/tmp/cmdtest/chronyd.sock"

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
    if (node_start(n, &f->now, err, sizeof(err)) != 0)
        printf("  start error: %s\n", err);
    return n;
}

static const char *base_lines[] = {"bindcmdaddress " SOCK_PATH, "cmdport 10323", NULL};

/* Deliver buf on sock (from NULL = the Unix socket, from a bound path);
 * returns the reply length (0 = none) and decodes it into rpy. */
static size_t deliver(struct fake_env *f, struct node *n, const char *from, const uint8_t *buf,
                      size_t len, struct cmdmon_reply *rpy)
{
    struct net_rx rx;
    int before = f->n_sent;
    memset(&rx, 0, sizeof(rx));
    rx.data = buf;
    rx.len = len;
    rx.rx_ts = f->now;
    if (from) {
        ip_addr_parse(&rx.remote.ip, from);
        rx.remote.port = 40000;
        rx.sock = rx.remote.ip.family == IPF_INET6 ? n->cmd.udp_socks[1] : n->cmd.udp_socks[0];
    } else {
        rx.sock = n->cmd.unix_sock;
        snprintf(rx.remote.path, sizeof(rx.remote.path), "/tmp/cmdtest/chronyc.1.sock");
    }
    node_on_datagram(n, &rx, &f->now);
    if (f->n_sent == before)
        return 0;
    CHECK_INT_EQ(f->n_sent, before + 1);
    if (rpy)
        CHECK(cmdmon_decode_reply(f->sent[before].data, f->sent[before].len, rpy) == CMDMON_OK);
    if (!from)
        CHECK_STR_EQ(f->sent[before].remote.path, "/tmp/cmdtest/chronyc.1.sock");
    return f->sent[before].len;
}

/* Encode a standard (4.8 length) request for command with body from req. */
static size_t build(uint16_t command, const struct cmdmon_request *body, uint8_t *buf, size_t cap)
{
    struct cmdmon_request req;
    if (body)
        req = *body;
    else
        memset(&req, 0, sizeof(req));
    req.version = CMDMON_PROTO_VERSION;
    req.command = command;
    req.sequence = 0x11223344;
    return cmdmon_encode_request(&req, buf, cap);
}

static size_t ask(struct fake_env *f, struct node *n, const char *from, uint16_t command,
                  const struct cmdmon_request *body, struct cmdmon_reply *rpy)
{
    uint8_t buf[CMDMON_MAX_REQ_LEN];
    size_t len = build(command, body, buf, sizeof(buf));
    CHECK(len > 0);
    return deliver(f, n, from, buf, len, rpy);
}

static void test_sockets(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    const char *no_udp[] = {"bindcmdaddress /", "cmdport 0", NULL};

    fake_env_init(&f);
    fake_env_put_file(&f, SOCK_PATH, "stale");
    n = make_node(&f, &cfg, base_lines);
    CHECK(n->cmd.unix_sock >= 0);
    CHECK(n->cmd.udp_socks[0] >= 0);
    CHECK(n->cmd.udp_socks[1] >= 0);
    node_free(n);
    /* The socket file is removed at exit. */
    CHECK(fake_env_get_file(&f, SOCK_PATH) == NULL);
    config_free(cfg);
    n = make_node(&f, &cfg, no_udp);
    CHECK_INT_EQ(n->cmd.unix_sock, -1);
    CHECK_INT_EQ(n->cmd.udp_socks[0], -1);
    CHECK_INT_EQ(n->cmd.udp_socks[1], -1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static int fail_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t len)
{
    snprintf(err, len, "Wrong permissions on %s", path);
    return -1;
}

static void test_bad_directory_disables_socket(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    f.env.files.prepare_dir = fail_prepare_dir;
    n = make_node(&f, &cfg, base_lines);
    CHECK_INT_EQ(n->cmd.unix_sock, -1);
    CHECK(fake_env_log_contains(&f, "Wrong permissions on /tmp/cmdtest"));
    CHECK(fake_env_log_contains(&f, "Disabled command socket " SOCK_PATH));
    CHECK(n->cmd.udp_socks[0] >= 0); /* UDP is unaffected */
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_tracking_unsynchronised(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_TRACKING, NULL, &r), 104);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(r.reply, CMDMON_RPY_TRACKING);
    CHECK_INT_EQ(r.command, CMDMON_REQ_TRACKING);
    CHECK_INT_EQ(r.sequence, 0x11223344);
    CHECK_INT_EQ(r.u.tracking.ref_id, 0);
    CHECK_INT_EQ(r.u.tracking.ip.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(r.u.tracking.stratum, 0);
    CHECK_INT_EQ(r.u.tracking.leap_status, 3);
    CHECK_INT_EQ(r.u.tracking.ref_time.tv_sec, 0);
    CHECK_NEAR(r.u.tracking.root_delay, 1.0, 0);
    CHECK_NEAR(r.u.tracking.root_dispersion, 1.0, 0);
    CHECK_NEAR(r.u.tracking.freq_ppm, 0.0, 0);
    /* also over UDP from localhost (an open command) */
    CHECK_INT_EQ(ask(&f, n, "127.0.0.1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(ask(&f, n, "::1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_tracking_local(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "local stratum 10", NULL};

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    ask(&f, n, NULL, CMDMON_REQ_TRACKING, NULL, &r);
    CHECK_INT_EQ(r.u.tracking.ref_id, CMDMON_REFID_LOCAL);
    CHECK_INT_EQ(r.u.tracking.stratum, 10);
    CHECK_INT_EQ(r.u.tracking.leap_status, 0);
    CHECK(r.u.tracking.ref_time.tv_sec > 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_no_sources(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_N_SOURCES, NULL, &r), 32);
    CHECK_INT_EQ(r.u.n_sources.n_sources, 0);
    memset(&q, 0, sizeof(q));
    q.u.index.index = 0;
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_SOURCE_DATA, &q, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOSUCHSOURCE);
    CHECK_INT_EQ(r.reply, CMDMON_RPY_NULL);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_SOURCESTATS, &q, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOSUCHSOURCE);
    cmdmon_addr_set_v4(&q.u.address.ip, 0x01020304);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_NTP_DATA, &q, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOSUCHSOURCE);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_NTP_SOURCE_NAME, &q, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOSUCHSOURCE);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_ACTIVITY, NULL, &r), 48);
    CHECK_INT_EQ(r.u.activity.online + r.u.activity.offline + r.u.activity.unresolved, 0);
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_MANUAL_LIST, NULL, &r), 416);
    CHECK_INT_EQ(r.u.manual_list.n_samples, 0);
    ask(&f, n, NULL, CMDMON_REQ_RTCREPORT, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_NORTC);
    ask(&f, n, NULL, CMDMON_REQ_SMOOTHING, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOTENABLED);
    ask(&f, n, NULL, CMDMON_REQ_ONLINE, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_NOSUCHSOURCE);
    ask(&f, n, NULL, CMDMON_REQ_DUMP, NULL, &r);
    CHECK_INT_EQ(r.status, 0);
    memset(&q, 0, sizeof(q));
    q.u.index.index = 1;
    ask(&f, n, NULL, CMDMON_REQ_MANUAL_DELETE, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADSAMPLE);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_makestep_and_shutdown(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    /* a clock the driver cannot control cannot be stepped: "500 Failure" */
    f.control = 0;
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_MAKESTEP, NULL, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_FAILED);
    /* a controllable clock (including our -x software clock) steps: "200 OK" */
    f.control = 1;
    ask(&f, n, NULL, CMDMON_REQ_MAKESTEP, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_SUCCESS);
    /* not over UDP, even from localhost */
    ask(&f, n, "127.0.0.1", CMDMON_REQ_MAKESTEP, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_UNAUTH);
    CHECK_INT_EQ(n->status.quit_requested, 0);
    ask(&f, n, "127.0.0.1", CMDMON_REQ_SHUTDOWN, NULL, &r);
    CHECK_INT_EQ(n->status.quit_requested, 0);
    CHECK(!fake_env_log_contains(&f, "Received shutdown command"));
    ask(&f, n, NULL, CMDMON_REQ_SHUTDOWN, NULL, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(n->status.quit_requested, 1);
    CHECK(fake_env_log_contains(&f, "Received shutdown command"));
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_bad_requests(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    uint8_t buf[1024];
    size_t len;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    len = build(CMDMON_REQ_TRACKING, NULL, buf, sizeof(buf));
    CHECK_INT_EQ(len, 104);
    buf[0] = 5;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, len, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADPKTVERSION);
    CHECK_INT_EQ(r.version, 6);
    buf[0] = 7;
    deliver(&f, n, "127.0.0.1", buf, len, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADPKTVERSION);
    buf[0] = 4;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, len, NULL), 0);
    buf[0] = 6;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 103, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADPKTLENGTH);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 27, NULL), 0);
    memset(buf + 104, 0, sizeof(buf) - 104);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 860, &r), 104);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 861, NULL), 0);
    /* non-zero padding is ignored */
    buf[50] = 0xAA;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, len, &r), 104);
    CHECK_INT_EQ(r.status, 0);
    buf[2] = 1;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, len, NULL), 0);
    buf[2] = 0;
    buf[1] = 2;
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, len, NULL), 0);
    buf[1] = 1;
    put_be16(buf + 4, 200);
    deliver(&f, n, NULL, buf, len, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_INVALID);
    put_be16(buf + 4, 75);
    deliver(&f, n, NULL, buf, len, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_INVALID);
    put_be16(buf + 4, 0); /* NULL is obsolete in 4.7+ */
    deliver(&f, n, NULL, buf, len, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_INVALID);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* Whatever arrives, the reply is never longer than the request. */
static void test_never_amplified(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    uint8_t buf[CMDMON_MAX_REQ_LEN];
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "opencommands clients serverstats ntpdata",
                           NULL};
    int bad = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    for (unsigned cmd = 0; cmd < 80; cmd++) {
        for (size_t len = 20; len <= 540; len += 4) {
            size_t got;
            memset(buf, 0, sizeof(buf));
            buf[0] = 6;
            buf[1] = 1;
            put_be16(buf + 4, (uint16_t)cmd);
            put_be32(buf + 28, 1); /* e.g. index 1 / n_clients */
            f.n_sent = 0;
            got = deliver(&f, n, (len / 4) % 2 ? NULL : "127.0.0.1", buf, len, NULL);
            if (got > len)
                bad++;
        }
    }
    CHECK_INT_EQ(bad, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* Random datagrams (fixed seed; header mostly valid so that they get past
 * the first checks): no crash, and never a reply longer than the request. */
static void test_random_requests(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct rng r;
    uint8_t buf[CMDMON_MAX_REQ_LEN + 8];
    int bad = 0, replies = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    rng_seed(&r, 12345);
    for (int i = 0; i < 20000; i++) {
        size_t len = rng_u32(&r) % sizeof(buf), got;
        rng_fill(&r, buf, len);
        if (len >= 8 && rng_u32(&r) % 4) {
            buf[0] = 6;
            buf[1] = 1;
            buf[2] = buf[3] = 0;
            buf[4] = 0;
            buf[5] = (uint8_t)(buf[5] % 80);
        }
        f.n_sent = 0;
        got = deliver(&f, n, i % 2 ? NULL : "127.0.0.1", buf, len, NULL);
        replies += got > 0;
        if (got > len)
            bad++;
    }
    printf("  seed 12345: %d replies\n", replies);
    CHECK(replies > 1000);
    CHECK_INT_EQ(bad, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_udp_permissions_and_acl(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    CHECK_INT_EQ(ask(&f, n, "127.0.0.1", CMDMON_REQ_SERVER_STATS, NULL, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_UNAUTH);
    ask(&f, n, "127.0.0.1", CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_UNAUTH);
    memset(&q, 0, sizeof(q));
    cmdmon_addr_set_v4(&q.u.address.ip, 0x7f000001);
    ask(&f, n, "127.0.0.1", CMDMON_REQ_NTP_DATA, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_UNAUTH);
    /* a denied address gets no reply at all */
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 0);
    CHECK_INT_EQ(ask(&f, n, "127.0.0.2", CMDMON_REQ_TRACKING, NULL, &r), 0);
    /* cmdallow at run time (Unix socket), then cmdaccheck */
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 24;
    ask(&f, n, NULL, CMDMON_REQ_CMDALLOW, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    cmdmon_addr_set_v4(&q.u.address.ip, 0xc0000209);
    ask(&f, n, NULL, CMDMON_REQ_CMDACCHECK, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_ACCESSALLOWED);
    cmdmon_addr_set_v4(&q.u.address.ip, 0xc6336401);
    ask(&f, n, NULL, CMDMON_REQ_CMDACCHECK, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_ACCESSDENIED);
    /* the Unix socket has every command */
    ask(&f, n, NULL, CMDMON_REQ_SERVER_STATS, NULL, &r);
    CHECK_INT_EQ(r.status, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_opencommands(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "opencommands serverstats", NULL};

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK_INT_EQ(ask(&f, n, "127.0.0.1", CMDMON_REQ_SERVER_STATS, NULL, &r), 196);
    CHECK_INT_EQ(r.status, 0);
    ask(&f, n, "127.0.0.1", CMDMON_REQ_TRACKING, NULL, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_UNAUTH);
    CHECK(cmdmon_server_is_open(CFG_OPEN_SOURCES, CMDMON_REQ_N_SOURCES));
    CHECK(cmdmon_server_is_open(CFG_OPEN_SOURCES, CMDMON_REQ_SOURCE_DATA));
    CHECK(!cmdmon_server_is_open(CFG_OPEN_SOURCES, CMDMON_REQ_SOURCESTATS));
    CHECK(!cmdmon_server_is_open(0xFFFF, CMDMON_REQ_MAKESTEP));
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* Every `opencommands` name opens its request to 127.0.0.1 over UDP and no other. */
static void test_opencommands_names(void)
{
    static const struct {
        const char *name;
        uint16_t command;
    } open[] = {
        {"activity", CMDMON_REQ_ACTIVITY},
        {"authdata", CMDMON_REQ_AUTH_DATA},
        {"clients", CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3},
        {"manual", CMDMON_REQ_MANUAL_LIST},
        {"ntpdata", CMDMON_REQ_NTP_DATA},
        {"rtcdata", CMDMON_REQ_RTCREPORT},
        {"selectdata", CMDMON_REQ_SELECT_DATA},
        {"serverstats", CMDMON_REQ_SERVER_STATS},
        {"smoothing", CMDMON_REQ_SMOOTHING},
        {"sourcename", CMDMON_REQ_NTP_SOURCE_NAME},
        {"sources", CMDMON_REQ_SOURCE_DATA},
        {"sourcestats", CMDMON_REQ_SOURCESTATS},
        {"tracking", CMDMON_REQ_TRACKING},
    };
    const size_t n_open = sizeof(open) / sizeof(open[0]);

    for (size_t i = 0; i < n_open; i++) {
        struct fake_env f;
        struct config *cfg;
        struct node *n;
        struct cmdmon_reply r;
        char line[64];
        const char *lines[] = {"bindcmdaddress " SOCK_PATH, line, NULL};

        snprintf(line, sizeof(line), "opencommands %s", open[i].name);
        fake_env_init(&f);
        n = make_node(&f, &cfg, lines);
        for (size_t j = 0; j < n_open; j++) {
            memset(&r, 0, sizeof(r));
            CHECK(ask(&f, n, "127.0.0.1", open[j].command, NULL, &r) > 0);
            if ((r.status != CMDMON_STT_UNAUTH) != (i == j))
                check_fail(__FILE__, __LINE__, "opencommands %s: request %d status %d",
                           open[i].name, open[j].command, r.status);
            f.n_sent = 0;
        }
        node_free(n);
        config_free(cfg);
        fake_env_fini(&f);
    }
}

static void test_server_stats_variants(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    uint8_t buf[CMDMON_MAX_REQ_LEN];
    size_t len;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    len = build(CMDMON_REQ_SERVER_STATS, NULL, buf, sizeof(buf));
    CHECK_INT_EQ(len, 196);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 196, &r), 196);
    CHECK_INT_EQ(r.reply, CMDMON_RPY_SERVER_STATS4);
    CHECK_INT_EQ(r.u.server_stats.cmd_hits, 1);
    CHECK_INT_EQ(buf[0], 6);
    CHECK_INT_EQ(f.sent[f.n_sent - 1].data[195], 0xFF);  /* reserved words */
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 72, &r), 72); /* chronyc 4.2-4.3 */
    CHECK_INT_EQ(r.reply, CMDMON_RPY_SERVER_STATS3);
    CHECK_INT_EQ(r.u.server_stats.cmd_hits, 2);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 60, &r), 60); /* chronyc 4.0-4.1 */
    CHECK_INT_EQ(r.reply, CMDMON_RPY_SERVER_STATS2);
    CHECK_INT_EQ(deliver(&f, n, NULL, buf, 59, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADPKTLENGTH);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void send_ntp(struct fake_env *f, struct node *n, const char *from)
{
    uint8_t pkt[48];
    struct net_rx rx;
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = (4 << 3) | 3;
    pkt[47] = 1;
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->serve.socks[0];
    rx.data = pkt;
    rx.len = sizeof(pkt);
    ip_addr_parse(&rx.remote.ip, from);
    rx.remote.port = 50000;
    rx.rx_ts = f->now;
    rx.rx_ts_src = RXTS_KERNEL;
    node_on_datagram(n, &rx, &f->now);
}

/* serverworkers: SERVER_STATS adds the workers' reports (node_set_workers_stats) to the
 * main process's own counters; the interleaved-mode span is the larger one. */
static void test_server_stats_workers(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct serve_stats w;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "allow 127.0.0.1", NULL};

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    send_ntp(&f, n, "127.0.0.1");
    send_ntp(&f, n, "127.0.0.1");
    memset(&w, 0, sizeof(w));
    w.cl.hits[CLOG_NTP] = 1000;
    w.cl.drops[CLOG_NTP] = 7;
    w.unauth_dropped = 3;
    w.cl.ntp_auth_hits = 11;
    w.cl.ntp_interleaved_hits = 13;
    w.cl.ntp_rx_ts[CLOG_TS_KERNEL] = 990;
    w.cl.ntp_tx_ts[CLOG_TS_DAEMON] = 980;
    w.cl.ntp_timestamps = 5;
    w.cl.ntp_span_seconds = 60;
    node_set_workers_stats(n, &w);
    ask(&f, n, NULL, CMDMON_REQ_SERVER_STATS, NULL, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(r.u.server_stats.ntp_hits, 1002);
    CHECK_INT_EQ(r.u.server_stats.ntp_drops, 10);
    CHECK_INT_EQ(r.u.server_stats.cmd_hits, 1); /* the main process's */
    CHECK_INT_EQ(r.u.server_stats.ntp_auth_hits, 11);
    CHECK_INT_EQ(r.u.server_stats.ntp_interleaved_hits, 13);
    CHECK_INT_EQ(r.u.server_stats.ntp_kernel_rx_timestamps, 992);
    CHECK_INT_EQ(
        r.u.server_stats.ntp_daemon_tx_timestamps + r.u.server_stats.ntp_kernel_tx_timestamps, 982);
    CHECK(r.u.server_stats.ntp_timestamps >= 5);
    CHECK_INT_EQ(r.u.server_stats.ntp_span_seconds, 60);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_clients_and_ntp_counting(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "allow 127.0.0.1", NULL};

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK(n->serve.socks[0] >= 0);
    for (int i = 0; i < 3; i++) {
        send_ntp(&f, n, "127.0.0.1");
        fake_env_advance(&f, 2.0);
    }
    ask(&f, n, "127.0.0.1", CMDMON_REQ_TRACKING, NULL, &r);
    ask(&f, n, NULL, CMDMON_REQ_TRACKING, NULL, &r); /* Unix: counted, no record */
    fake_env_advance(&f, 5.0);
    memset(&q, 0, sizeof(q));
    q.u.clients.n_clients = 8;
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r), 520);
    CHECK_INT_EQ(r.reply, CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3);
    CHECK_INT_EQ(r.u.client_accesses.n_indices, 16);
    CHECK_INT_EQ(r.u.client_accesses.next_index, 16);
    CHECK_INT_EQ(r.u.client_accesses.n_clients, 1);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].ip.family, CMDMON_AF_INET4);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].ntp_hits, 3);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].cmd_hits, 1);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].ntp_interval, 1);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].cmd_interval, 127);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].last_ntp_hit_ago, 7);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].last_cmd_hit_ago, 5);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].last_nke_hit_ago, 0xFFFFFFFFu);
    ask(&f, n, NULL, CMDMON_REQ_SERVER_STATS, NULL, &r);
    CHECK_INT_EQ(r.u.server_stats.ntp_hits, 3);
    CHECK_INT_EQ(r.u.server_stats.cmd_hits, 4);
    CHECK_INT_EQ(r.u.server_stats.ntp_kernel_rx_timestamps, 3);
    CHECK_INT_EQ(r.u.server_stats.ntp_daemon_tx_timestamps, 3);
    /* reset: read and zero */
    q.u.clients.reset = 1;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].ntp_hits, 3);
    q.u.clients.reset = 0;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.clients[0].ntp_hits, 0);
    /* paging past the table */
    q.u.clients.first_index = 16;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.n_clients, 0);
    CHECK_INT_EQ(r.u.client_accesses.next_index, 16);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* The pages of `clients` as chronyc asks for them: from index 0, 8 records a page, until a
 * reply holds fewer or next_index reaches n_indices. Returns the records listed. */
static int walk_clients(struct fake_env *f, struct node *n, int reset, uint32_t *ntp_hits,
                        uint32_t *n_indices, int *pages)
{
    struct cmdmon_request q;
    struct cmdmon_reply r;
    int listed = 0;

    memset(&q, 0, sizeof(q));
    q.u.clients.n_clients = 8;
    q.u.clients.reset = (uint32_t)reset;
    *ntp_hits = 0;
    *pages = 0;
    for (;;) {
        ask(f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
        CHECK_INT_EQ(r.status, 0);
        (*pages)++;
        listed += (int)r.u.client_accesses.n_clients;
        for (uint32_t i = 0; i < r.u.client_accesses.n_clients; i++)
            *ntp_hits += r.u.client_accesses.clients[i].ntp_hits;
        *n_indices = r.u.client_accesses.n_indices;
        if (r.u.client_accesses.n_clients < 8 ||
            r.u.client_accesses.next_index >= r.u.client_accesses.n_indices || *pages > 100)
            break;
        q.u.clients.first_index = r.u.client_accesses.next_index;
    }
    return listed;
}

/* serverworkers: `clients` lists the main process's table, then each worker's (read
 * through views of their shared tables): process k's records at k * 4096 + i (4096: the
 * records of the default clientloglimit), the gaps skipped, a reply filled across tables;
 * `clients -r` zeroes the main process's counters at once and asks each worker for its
 * own, once per walk. */
static void test_clients_workers(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "allow", NULL};
    struct clientlog *w[2];
    void *mem[2];
    uint32_t hits, n_indices, seen_index = 0;
    int pages, ok = 1;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    for (int k = 0; k < 2; k++) {
        size_t bytes = node_worker_clientlog_bytes(n);
        uint64_t seed;
        CHECK(bytes > 0);
        mem[k] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        memset(mem[k], 0, bytes);
        w[k] = node_worker_clientlog_new(n, mem[k], &seed);
        CHECK(w[k] != NULL);
        CHECK_INT_EQ(node_worker_clientlog_view(n, mem[k], seed), k); /* the view's index */
    }
    /* main: 3 clients, 2 requests each; worker 0: 5 clients; worker 1: 40 (its table
     * grows beyond one slot), 1 request each */
    for (int i = 1; i <= 3; i++) {
        char a[32];
        snprintf(a, sizeof(a), "127.0.0.%d", i);
        send_ntp(&f, n, a);
        send_ntp(&f, n, a);
    }
    for (int k = 0; k < 2; k++)
        for (int i = 1; i <= (k ? 40 : 5); i++) {
            char a[32];
            struct ip_addr ip;
            snprintf(a, sizeof(a), "10.0.%d.%d", k, i);
            ip_addr_parse(&ip, a);
            CHECK(clientlog_log_access(w[k], CLOG_NTP, &ip, &f.now) >= 0);
        }
    CHECK(clientlog_n_indices(w[1]) > 16);
    fake_env_advance(&f, 1.0);

    /* The first page: the main process's 3, then worker 0's 5 (the gap 16..4095 skipped):
     * 8 records, the next index within worker 0's table or at its end. */
    memset(&q, 0, sizeof(q));
    q.u.clients.n_clients = 8;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.n_clients, 8);
    CHECK_INT_EQ(r.u.client_accesses.n_indices, 2 * 4096 + (uint32_t)clientlog_n_indices(w[1]));
    CHECK(r.u.client_accesses.next_index > 4096 && r.u.client_accesses.next_index <= 4096 + 16);
    for (int i = 0; i < 8; i++) {
        char a[64];
        struct ip_addr ip;
        cmdmon_addr_to_ip(&r.u.client_accesses.clients[i].ip, &ip);
        ip_addr_format(&ip, a, sizeof(a));
        ok &= i < 3 ? strncmp(a, "127.0.0.", 8) == 0 && r.u.client_accesses.clients[i].ntp_hits == 2
                    : strncmp(a, "10.0.0.", 7) == 0 && r.u.client_accesses.clients[i].ntp_hits == 1;
    }
    CHECK(ok);
    /* From inside the main process's gap: worker 0's records first. */
    q.u.clients.first_index = 100;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK(r.u.client_accesses.n_clients == 8);
    /* past the end of worker 0's table (it has 16 indices): worker 1's */
    q.u.clients.first_index = 4096 + 16;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.n_clients, 8);
    CHECK(r.u.client_accesses.next_index > 2 * 4096);
    seen_index = r.u.client_accesses.next_index;
    CHECK(seen_index < r.u.client_accesses.n_indices);

    /* The whole walk as chronyc makes it: every process's clients, each once. */
    CHECK_INT_EQ(walk_clients(&f, n, 0, &hits, &n_indices, &pages), 48);
    CHECK_INT_EQ(hits, 6 + 5 + 40);
    CHECK(pages >= 6);
    /* -r: the main process's counters zeroed by the walk, the workers' at their wake-up */
    CHECK_INT_EQ(walk_clients(&f, n, 1, &hits, &n_indices, &pages), 48);
    CHECK_INT_EQ(hits, 51);
    CHECK_INT_EQ(walk_clients(&f, n, 0, &hits, &n_indices, &pages), 48);
    CHECK_INT_EQ(hits, 45);
    CHECK_INT_EQ(clientlog_apply_reset(w[0]), 1);
    CHECK_INT_EQ(clientlog_apply_reset(w[1]), 1);
    CHECK_INT_EQ(clientlog_apply_reset(w[1]), 0);
    CHECK_INT_EQ(walk_clients(&f, n, 0, &hits, &n_indices, &pages), 48);
    CHECK_INT_EQ(hits, 0);
    /* a walk without -r asks no worker for anything */
    CHECK_INT_EQ(clientlog_apply_reset(w[0]), 0);
    /* with min_hits (-p 1): the records with a hit since */
    {
        struct ip_addr ip;
        ip_addr_parse(&ip, "10.0.1.7");
        clientlog_log_access(w[1], CLOG_NTP, &ip, &f.now);
    }
    memset(&q, 0, sizeof(q));
    q.u.clients.n_clients = 8;
    q.u.clients.min_hits = 1;
    ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r);
    CHECK_INT_EQ(r.u.client_accesses.n_clients, 1);
    CHECK_INT_EQ(r.u.client_accesses.next_index, r.u.client_accesses.n_indices);
    node_free(n);
    for (int k = 0; k < 2; k++) {
        clientlog_free(w[k]);
        free(mem[k]);
    }
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_noclientlog(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "noclientlog", NULL};
    const char *bad[] = {"noclientlog", "ratelimit", NULL};
    char err[256];

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    memset(&q, 0, sizeof(q));
    q.u.clients.n_clients = 8;
    CHECK_INT_EQ(ask(&f, n, NULL, CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, &q, &r), 28);
    CHECK_INT_EQ(r.status, CMDMON_STT_INACTIVE);
    node_free(n);
    config_free(cfg);
    cfg = config_new();
    for (int i = 0; bad[i]; i++)
        config_parse_line(cfg, bad[i], NULL, i + 1, &f.env.files, err, sizeof(err));
    {
        struct node_opts o = {.family = 0, .precision = 1e-8};
        n = node_new(cfg, &f.env, &o);
        CHECK_INT_EQ(node_start(n, &f.now, err, sizeof(err)), -1);
        CHECK_STR_EQ(err, "Rate limiting cannot be enabled with noclientlog");
        node_free(n);
    }
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_allow_deny_ntp(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    CHECK_INT_EQ(n->serve.socks[0], -1);
    memset(&q, 0, sizeof(q));
    cmdmon_addr_set_v4(&q.u.address.ip, 0xc0000205);
    ask(&f, n, NULL, CMDMON_REQ_ACCHECK, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_ACCESSDENIED);
    memset(&q, 0, sizeof(q));
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 24;
    ask(&f, n, NULL, CMDMON_REQ_ALLOW, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK(n->serve.socks[0] >= 0); /* the server port opens */
    cmdmon_addr_set_v4(&q.u.address.ip, 0xc0000205);
    ask(&f, n, NULL, CMDMON_REQ_ACCHECK, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_ACCESSALLOWED);
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 33;
    ask(&f, n, NULL, CMDMON_REQ_DENY, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADSUBNET);
    memset(&q, 0, sizeof(q));
    ask(&f, n, NULL, CMDMON_REQ_DENYALL, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK_INT_EQ(n->serve.socks[0], -1); /* nothing allowed: closed again */
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* A malformed subnet in ALLOW/DENY/CMDALLOW/CMDDENY (a family other than IPv4/IPv6 with
 * prefix bits, the ID family, a negative or too long prefix) answers 507 Bad subnet as
 * chrony's cmdmon and opens nothing: the NTP port stays closed, 192.0.2.5 stays denied. */
static void test_allow_deny_bad_subnet(void)
{
    static const struct {
        uint16_t family;
        int32_t bits;
    } bad[] = {{7, 24},
               {CMDMON_AF_UNSPEC, 24},
               {CMDMON_AF_UNSPEC, -1},
               {CMDMON_AF_ID, 0},
               {CMDMON_AF_INET4, -1},
               {CMDMON_AF_INET4, -24},
               {CMDMON_AF_INET4, 33},
               {CMDMON_AF_INET6, 129},
               {0xffff, 0x7fffffff}};
    static const uint16_t cmds[] = {CMDMON_REQ_ALLOW,    CMDMON_REQ_ALLOWALL,
                                    CMDMON_REQ_CMDALLOW, CMDMON_REQ_CMDALLOWALL,
                                    CMDMON_REQ_DENY,     CMDMON_REQ_CMDDENY};
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            memset(&q, 0, sizeof(q));
            q.u.subnet.ip.family = bad[i].family;
            q.u.subnet.ip.bytes[0] = 192;
            q.u.subnet.subnet_bits = bad[i].bits;
            ask(&f, n, NULL, cmds[c], &q, &r);
            CHECK_INT_EQ(r.status, CMDMON_STT_BADSUBNET);
        }
    }
    CHECK_INT_EQ(n->serve.socks[0], -1);
    memset(&q, 0, sizeof(q));
    cmdmon_addr_set_v4(&q.u.address.ip, 0xc0000205);
    ask(&f, n, NULL, CMDMON_REQ_ACCHECK, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_ACCESSDENIED);
    /* The whole-address forms stay valid: "allow all" is UNSPEC with 0 bits. */
    memset(&q, 0, sizeof(q));
    ask(&f, n, NULL, CMDMON_REQ_ALLOW, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000205);
    q.u.subnet.subnet_bits = 32;
    ask(&f, n, NULL, CMDMON_REQ_DENY, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* ALLOWALL overrides the narrower denies inside its subnet, CMDDENY and
 * CMDDENYALL stop answering, CMDALLOWALL brings the answers back; each change
 * is logged with chrony's message. */
static void test_allowall_and_cmd_deny(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    struct cmdmon_request q;
    int before;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "allow 192.0.2.0/24",     "deny 192.0.2.5",
                           "cmdallow 192.0.2.0/24",     "cmddeny 192.0.2.128/25", NULL};

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    /* ALLOWALL: the denied client 192.0.2.5 is served afterwards */
    before = f.n_sent;
    send_ntp(&f, n, "192.0.2.5");
    CHECK_INT_EQ(f.n_sent, before);
    memset(&q, 0, sizeof(q));
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 24;
    ask(&f, n, NULL, CMDMON_REQ_ALLOWALL, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK(fake_env_log_contains(&f, "Allowed all NTP access from 192.0.2.0/24"));
    before = f.n_sent;
    send_ntp(&f, n, "192.0.2.5");
    CHECK_INT_EQ(f.n_sent, before + 1);
    /* CMDDENY: an answered command client gets no reply any more */
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    CHECK_INT_EQ(ask(&f, n, "192.0.2.200", CMDMON_REQ_TRACKING, NULL, &r), 0);
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000201);
    q.u.subnet.subnet_bits = 32;
    ask(&f, n, NULL, CMDMON_REQ_CMDDENY, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK(fake_env_log_contains(&f, "Denied command access from 192.0.2.1"));
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 0);
    CHECK_INT_EQ(ask(&f, n, "192.0.2.2", CMDMON_REQ_TRACKING, NULL, &r), 104);
    /* CMDALLOWALL: the /32 deny and the /25 deny inside the /24 are overridden */
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 24;
    ask(&f, n, NULL, CMDMON_REQ_CMDALLOWALL, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK(fake_env_log_contains(&f, "Allowed all command access from 192.0.2.0/24"));
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    CHECK_INT_EQ(ask(&f, n, "192.0.2.200", CMDMON_REQ_TRACKING, NULL, &r), 104);
    cmdmon_addr_set_v4(&q.u.subnet.ip, 0xc0000200);
    q.u.subnet.subnet_bits = 33;
    ask(&f, n, NULL, CMDMON_REQ_CMDALLOWALL, &q, &r);
    CHECK_INT_EQ(r.status, CMDMON_STT_BADSUBNET);
    /* CMDDENYALL of every address: 127.0.0.1 is always answered (as in chrony) */
    memset(&q, 0, sizeof(q));
    ask(&f, n, NULL, CMDMON_REQ_CMDDENYALL, &q, &r);
    CHECK_INT_EQ(r.status, 0);
    CHECK(fake_env_log_contains(&f, "Denied all command access from any address"));
    CHECK_INT_EQ(ask(&f, n, "192.0.2.1", CMDMON_REQ_TRACKING, NULL, &r), 0);
    CHECK_INT_EQ(ask(&f, n, "192.0.2.200", CMDMON_REQ_TRACKING, NULL, &r), 0);
    CHECK_INT_EQ(ask(&f, n, "127.0.0.1", CMDMON_REQ_TRACKING, NULL, &r), 104);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_cmdratelimit(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct cmdmon_reply r;
    const char *lines[] = {"bindcmdaddress " SOCK_PATH, "cmdallow 192.0.2.0/24",
                           "cmdratelimit interval 2 burst 2 leak 4", NULL};
    int answered = 0, local = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    for (int i = 0; i < 50; i++) {
        answered += ask(&f, n, "192.0.2.7", CMDMON_REQ_TRACKING, NULL, &r) > 0;
        local += ask(&f, n, "127.0.0.1", CMDMON_REQ_TRACKING, NULL, &r) > 0;
        f.n_sent = 0;
    }
    CHECK(answered >= 2 && answered < 20);
    CHECK_INT_EQ(local, 50); /* never limited */
    /* interval 2: a token every 4 s, so after 8 s the next two are answered (not left
     * to the leak of 1 in 16) */
    fake_env_advance(&f, 8.0);
    for (int i = 0; i < 2; i++) {
        CHECK(ask(&f, n, "192.0.2.7", CMDMON_REQ_TRACKING, NULL, &r) > 0);
        f.n_sent = 0;
    }
    ask(&f, n, NULL, CMDMON_REQ_SERVER_STATS, NULL, &r);
    CHECK_INT_EQ(r.u.server_stats.cmd_drops, 50 - answered);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_unbound_unix_client_dropped(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct net_rx rx;
    uint8_t buf[CMDMON_MAX_REQ_LEN];

    fake_env_init(&f);
    n = make_node(&f, &cfg, base_lines);
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->cmd.unix_sock;
    rx.data = buf;
    rx.len = build(CMDMON_REQ_TRACKING, NULL, buf, sizeof(buf));
    node_on_datagram(n, &rx, &f.now);
    CHECK_INT_EQ(f.n_sent, 0);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_sockets);
    RUN(test_bad_directory_disables_socket);
    RUN(test_tracking_unsynchronised);
    RUN(test_tracking_local);
    RUN(test_no_sources);
    RUN(test_makestep_and_shutdown);
    RUN(test_bad_requests);
    RUN(test_never_amplified);
    RUN(test_random_requests);
    RUN(test_udp_permissions_and_acl);
    RUN(test_opencommands);
    RUN(test_opencommands_names);
    RUN(test_server_stats_variants);
    RUN(test_server_stats_workers);
    RUN(test_clients_and_ntp_counting);
    RUN(test_clients_workers);
    RUN(test_noclientlog);
    RUN(test_allow_deny_ntp);
    RUN(test_allow_deny_bad_subnet);
    RUN(test_allowall_and_cmd_deny);
    RUN(test_cmdratelimit);
    RUN(test_unbound_unix_client_dropped);
    return check_summary();
}
