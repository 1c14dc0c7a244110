/* The node's NTP serving through the shared fake environment: socket opening
 * policy, access control, reply fields, counters. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/bytes.h"
#include "proto/ntp.h"

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

int main(void)
{
    RUN(test_no_allow_no_socket);
    RUN(test_local_reply_and_access);
    RUN(test_unsynchronised);
    return check_summary();
}
