/* MS-SNTP signing through ntp_signd: the codec (src/proto/signd) and the node's client of
 * the signer (src/daemon/ntp_serve_signd.c) through the shared fake environment's stream. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/bytes.h"
#include "proto/ntp.h"
#include "proto/signd.h"

#include <errno.h>
#include <string.h>

static void test_request_round_trip(void)
{
    uint8_t pkt[48], buf[SIGND_REQUEST_MAX_LEN + 8];
    struct signd_request r = {SIGND_VERSION, SIGND_OP_SIGN_TO_CLIENT, 13, 0x12345678U, pkt, 48};
    struct signd_request d;
    size_t len;

    for (int i = 0; i < 48; i++)
        pkt[i] = (uint8_t)(i * 7);
    len = signd_encode_request(&r, buf, sizeof(buf));
    CHECK_INT_EQ(len, 68);
    /* chrony's layout: length of the rest, version, op, id, padding, key id, packet */
    CHECK_INT_EQ(get_be32(buf), 64);
    CHECK_INT_EQ(get_be32(buf + 4), 0);
    CHECK_INT_EQ(get_be32(buf + 8), 0);
    CHECK_INT_EQ(get_be16(buf + 12), 13);
    CHECK_INT_EQ(get_be16(buf + 14), 0);
    CHECK(memcmp(buf + 16, "\x12\x34\x56\x78", 4) == 0);
    CHECK(memcmp(buf + 20, pkt, 48) == 0);
    CHECK_INT_EQ(signd_decode_request(buf, len, &d), SIGND_OK);
    CHECK_INT_EQ(d.packet_id, 13);
    CHECK_INT_EQ(d.key_id, 0x12345678U);
    CHECK_INT_EQ(d.packet_len, 48);
    CHECK(memcmp(d.packet, pkt, 48) == 0);
    /* does not fit, or a packet over the maximum */
    CHECK_INT_EQ(signd_encode_request(&r, buf, 67), 0);
    r.packet_len = SIGND_MAX_PACKET_LEN + 1;
    CHECK_INT_EQ(signd_encode_request(&r, buf, sizeof(buf)), 0);
}

static void test_reply_round_trip(void)
{
    uint8_t pkt[68], buf[SIGND_REPLY_MAX_LEN + 8];
    struct signd_reply r = {0, SIGND_OP_SIGNING_SUCCESS, 7, pkt, 68}, d;
    size_t len, whole = 0;

    memset(pkt, 0xA5, sizeof(pkt));
    len = signd_encode_reply(&r, buf, sizeof(buf));
    CHECK_INT_EQ(len, 84);
    CHECK_INT_EQ(get_be32(buf), 80);
    CHECK_INT_EQ(signd_reply_length(buf, 4, &whole), SIGND_OK);
    CHECK_INT_EQ(whole, 84);
    CHECK_INT_EQ(signd_decode_reply(buf, len, &d), SIGND_OK);
    CHECK_INT_EQ(d.op, SIGND_OP_SIGNING_SUCCESS);
    CHECK_INT_EQ(d.packet_id, 7);
    CHECK_INT_EQ(d.packet_len, 68);
    CHECK(d.packet == buf + 16);
    /* a failure carries no packet */
    r.op = SIGND_OP_SIGNING_FAILURE;
    r.packet_len = 0;
    len = signd_encode_reply(&r, buf, sizeof(buf));
    CHECK_INT_EQ(len, 16);
    CHECK_INT_EQ(signd_decode_reply(buf, len, &d), SIGND_OK);
    CHECK_INT_EQ(d.op, SIGND_OP_SIGNING_FAILURE);
    CHECK_INT_EQ(d.packet_len, 0);
}

static void test_bad_replies(void)
{
    uint8_t buf[SIGND_REPLY_MAX_LEN + 8];
    struct signd_reply d;
    size_t whole = 99;

    memset(buf, 0, sizeof(buf));
    /* truncated: the length field, then the message */
    CHECK_INT_EQ(signd_reply_length(buf, 3, &whole), SIGND_INCOMPLETE);
    CHECK_INT_EQ(whole, 99);
    CHECK_INT_EQ(signd_decode_reply(buf, 0, &d), SIGND_INCOMPLETE);
    put_be32(buf, 80);
    CHECK_INT_EQ(signd_decode_reply(buf, 83, &d), SIGND_INCOMPLETE);
    CHECK_INT_EQ(signd_decode_reply(buf, 85, &d), SIGND_BAD_LENGTH);
    /* shorter than the header, longer than chrony's buffer, garbage */
    put_be32(buf, 11);
    CHECK_INT_EQ(signd_reply_length(buf, 4, &whole), SIGND_BAD_LENGTH);
    CHECK_INT_EQ(signd_decode_reply(buf, 15, &d), SIGND_BAD_LENGTH);
    put_be32(buf, SIGND_REPLY_MAX_LEN - 3);
    CHECK_INT_EQ(signd_reply_length(buf, 4, &whole), SIGND_BAD_LENGTH);
    put_be32(buf, SIGND_REPLY_MAX_LEN - 4);
    CHECK_INT_EQ(signd_reply_length(buf, 4, &whole), SIGND_OK);
    CHECK_INT_EQ(whole, SIGND_REPLY_MAX_LEN);
    memset(buf, 0xFF, 4);
    CHECK_INT_EQ(signd_reply_length(buf, 4, &whole), SIGND_BAD_LENGTH);
    CHECK_INT_EQ(signd_decode_reply(buf, sizeof(buf), &d), SIGND_BAD_LENGTH);
    CHECK_STR_EQ(signd_verdict_name(SIGND_BAD_LENGTH), "bad-length");
}

/* The node side. */

static struct node *make_node(struct fake_env *f, struct config **cfg, const char *signd)
{
    char err[256];
    char line[300];
    struct node_opts o = {.family = 0, .precision = 1e-8};
    const char *lines[] = {"allow 127.0.0.1", "local stratum 3", line, NULL};
    struct node *n;

    snprintf(line, sizeof(line), "ntpsigndsocket %s", signd);
    *cfg = config_new();
    for (int i = 0; lines[i] && (signd || i < 2); i++)
        CHECK(config_parse_line(*cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err)) == 0);
    n = node_new(*cfg, &f->env, &o);
    CHECK(node_start(n, &f->now, err, sizeof(err)) == 0);
    return n;
}

/* An MS-SNTP request (extended: the 72-byte authenticator) with transmit timestamp tag. */
static void mssntp_request(struct fake_env *f, struct node *n, uint32_t tag, int ext)
{
    uint8_t buf[120];
    struct net_rx rx;

    memset(buf, 0, sizeof(buf));
    buf[0] = 3 << 3 | 3;
    put_be32(buf + 40, 0xE9000000U);
    put_be32(buf + 44, tag);
    memcpy(buf + 48, "\x51\x04\x00\x80", 4); /* RID 1105, little-endian as Windows sends it */
    memset(&rx, 0, sizeof(rx));
    rx.sock = n->serve.socks[0];
    rx.data = buf;
    rx.len = ext ? 120 : 68;
    ip_addr_parse(&rx.remote.ip, "127.0.0.1");
    rx.remote.port = 40000 + (uint16_t)tag;
    rx.rx_ts = f->now;
    node_on_datagram(n, &rx, &f->now);
}

/* The signer's answer to the request at f->stream_out[off..): Samba's, with a digest of 0xD5
 * bytes (op SIGNING_SUCCESS), or another op or id. Returns the request's packet id. */
static int answer(struct fake_env *f, size_t off, uint32_t op, int id_delta)
{
    uint8_t signed_pkt[68], msg[100];
    struct signd_request q;
    struct signd_reply r;

    CHECK_INT_EQ(signd_decode_request(f->stream_out + off, 68, &q), SIGND_OK);
    memcpy(signed_pkt, q.packet, 48);
    put_be32(signed_pkt + 48, q.key_id);
    memset(signed_pkt + 52, 0xD5, 16);
    r = (struct signd_reply){0, op, (uint32_t)(q.packet_id + id_delta), signed_pkt,
                             op == SIGND_OP_SIGNING_SUCCESS ? 68U : 0U};
    fake_env_stream_feed(f, msg, signd_encode_reply(&r, msg, sizeof(msg)));
    return q.packet_id;
}

static void test_disabled_drops(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, NULL);
    CHECK(!fake_env_log_contains(&f, "MS-SNTP"));
    mssntp_request(&f, n, 1, 0);
    CHECK_INT_EQ(f.n_sent, 0);
    CHECK_INT_EQ(f.n_stream_connects, 0);
    CHECK_INT_EQ(n->serve.counters.dropped[NTP_SRV_DROP_AUTH_MSSNTP], 1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_signed_reply(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    struct signd_request q;
    struct ntp_packet p;
    struct ntp_ts64 tx;

    fake_env_init(&f);
    n = make_node(&f, &cfg, "/var/lib/samba/ntp_signd");
    CHECK(fake_env_log_contains(&f, "MS-SNTP authentication enabled"));
    mssntp_request(&f, n, 1, 0);
    /* connected to DIRECTORY/socket; nothing goes to the client before the signature */
    CHECK_STR_EQ(f.stream_path, "/var/lib/samba/ntp_signd/socket");
    CHECK_INT_EQ(f.n_sent, 0);
    CHECK(f.stream_want_write);
    f.stream_send_max = 5; /* the request leaves in pieces */
    for (int i = 0; i < 20 && f.stream_want_write; i++) {
        fake_env_advance(&f, 0.001);
        fake_env_stream_event(&f, STREAM_EV_WRITE);
    }
    CHECK_INT_EQ(f.stream_out_len, 68);
    CHECK(!f.stream_want_write);
    CHECK_INT_EQ(signd_decode_request(f.stream_out, 68, &q), SIGND_OK);
    CHECK_INT_EQ(q.version, 0);
    CHECK_INT_EQ(q.op, SIGND_OP_SIGN_TO_CLIENT);
    CHECK_INT_EQ(q.packet_id, 0);
    CHECK(memcmp(f.stream_out + 16, "\x51\x04\x00\x80", 4) == 0); /* the client's bytes */
    /* the reply to sign: finished, its transmit timestamp already set */
    CHECK(ntp_decode(q.packet, 48, &p, NULL) == NTP_OK);
    CHECK_INT_EQ(p.mode, 4);
    CHECK_INT_EQ(p.version, 3);
    CHECK_INT_EQ(p.stratum, 3);
    CHECK_INT_EQ(p.origin_ts.frac, 1);
    CHECK(p.tx_ts.sec != 0);
    tx = p.tx_ts;
    /* the signature comes back a byte at a time */
    answer(&f, 0, SIGND_OP_SIGNING_SUCCESS, 0);
    f.stream_recv_max = 1;
    fake_env_advance(&f, 0.5);
    for (int i = 0; i < 100 && f.n_sent == 0; i++)
        fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(f.sent[0].len, 68);
    CHECK_INT_EQ(f.sent[0].sock, n->serve.socks[0]);
    CHECK_INT_EQ(f.sent[0].remote.port, 40001);
    CHECK(memcmp(f.sent[0].data, q.packet, 48) == 0);
    CHECK(memcmp(f.sent[0].data + 48, "\x51\x04\x00\x80", 4) == 0);
    CHECK(f.sent[0].data[52] == 0xD5 && f.sent[0].data[67] == 0xD5);
    /* the timestamps are those taken before signing, not when the signature came */
    CHECK_INT_EQ(get_be32(f.sent[0].data + 40), tx.sec);
    CHECK_INT_EQ(get_be32(f.sent[0].data + 44), tx.frac);
    /* unauthenticated clients are answered at once meanwhile */
    CHECK(fake_env_log_contains(&f, "Signing succeeded"));
    CHECK_INT_EQ(f.n_stream_connects, 1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

/* Send what is queued and answer each request with op/id_delta; returns how many went. */
static int exchange(struct fake_env *f, uint32_t op, int id_delta)
{
    size_t off = f->stream_out_len;
    fake_env_stream_event(f, STREAM_EV_WRITE);
    if (f->stream_out_len != off + 68)
        return 0;
    answer(f, off, op, id_delta);
    fake_env_stream_event(f, STREAM_EV_READ);
    return 1;
}

static void test_failures_keep_connection(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, "/run/signd");
    for (uint32_t i = 1; i <= 3; i++)
        mssntp_request(&f, n, i, 0);
    /* SIGNING_FAILURE, then a wrong packet id: no reply, the next request goes on */
    CHECK(exchange(&f, SIGND_OP_SIGNING_FAILURE, 0));
    CHECK_INT_EQ(f.n_sent, 0);
    CHECK(f.stream_want_write);
    CHECK(exchange(&f, SIGND_OP_SIGNING_SUCCESS, 1));
    CHECK_INT_EQ(f.n_sent, 0);
    CHECK(exchange(&f, SIGND_OP_SIGNING_SUCCESS, 0));
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(f.sent[0].remote.port, 40003);
    CHECK_INT_EQ(f.n_stream_connects, 1);
    CHECK(!f.stream_want_write);
    /* a reply nobody asked for closes the connection; the next request reconnects */
    fake_env_stream_feed(&f, "\0\0\0\x0c\0\0\0\0\0\0\0\3\0\0\0\0", 16);
    fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK_INT_EQ(f.stream_sock, -1);
    mssntp_request(&f, n, 4, 0);
    CHECK_INT_EQ(f.n_stream_connects, 2);
    CHECK(exchange(&f, SIGND_OP_SIGNING_SUCCESS, 0));
    CHECK_INT_EQ(f.n_sent, 2);
    /* the extended authenticator is never signed; plain requests are not delayed */
    mssntp_request(&f, n, 5, 1);
    CHECK(!f.stream_want_write);
    CHECK_INT_EQ(f.n_sent, 2);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_bad_length_closes(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, "/run/signd");
    mssntp_request(&f, n, 1, 0);
    mssntp_request(&f, n, 2, 0);
    fake_env_stream_event(&f, STREAM_EV_WRITE);
    /* longer than any reply: the connection is closed with both requests */
    fake_env_stream_feed(&f, "\x00\x01\x00\x00", 4);
    fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK_INT_EQ(f.stream_sock, -1);
    CHECK_INT_EQ(f.n_sent, 0);
    /* the end of the stream (the signer went away) likewise */
    mssntp_request(&f, n, 3, 0);
    CHECK_INT_EQ(f.n_stream_connects, 2);
    fake_env_stream_event(&f, STREAM_EV_WRITE);
    f.stream_eof = 1;
    fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK_INT_EQ(f.stream_sock, -1);
    /* a new connection starts with an empty queue: the next id is 0 */
    mssntp_request(&f, n, 4, 0);
    CHECK_INT_EQ(f.stream_out_len, 0);
    fake_env_stream_event(&f, STREAM_EV_WRITE);
    CHECK_INT_EQ(get_be16(f.stream_out + 12), 0);
    CHECK(exchange(&f, SIGND_OP_SIGNING_SUCCESS, 0) == 0); /* already sent */
    answer(&f, 0, SIGND_OP_SIGNING_SUCCESS, 0);
    fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK_INT_EQ(f.n_sent, 1);
    CHECK_INT_EQ(f.sent[0].remote.port, 40004);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static int count_log(struct fake_env *f, const char *needle)
{
    int k = 0;
    for (int i = 0; i < f->n_log; i++)
        k += strstr(f->log[i], needle) != NULL;
    return k;
}

static void test_connect_error_logged_once(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, "/run/signd");
    f.stream_connect_err = ENOENT;
    mssntp_request(&f, n, 1, 0);
    mssntp_request(&f, n, 2, 0);
    CHECK_INT_EQ(f.n_stream_connects, 2);
    CHECK_INT_EQ(count_log(&f,
                           "Could not connect to signd socket /run/signd/socket : No such file or "
                           "directory"),
                 1);
    CHECK_INT_EQ(f.n_sent, 0);
    /* the signer is back: an exchange succeeds, and the next failure is logged again */
    f.stream_connect_err = 0;
    mssntp_request(&f, n, 3, 0);
    CHECK(exchange(&f, SIGND_OP_SIGNING_SUCCESS, 0));
    CHECK_INT_EQ(f.n_sent, 1);
    f.stream_eof = 1;
    fake_env_stream_event(&f, STREAM_EV_READ);
    CHECK(fake_env_log_contains(&f, "Unexpected signd response"));
    f.stream_connect_err = ECONNREFUSED;
    mssntp_request(&f, n, 4, 0);
    mssntp_request(&f, n, 5, 0);
    CHECK_INT_EQ(count_log(&f, "Could not connect to signd socket /run/signd/socket : Connection "
                               "refused"),
                 1);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

static void test_queue_limit(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    int sent = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, "/run/signd");
    /* chrony: 16 slots, one kept free: 15 wait, the rest are dropped */
    for (uint32_t i = 1; i <= 20; i++)
        mssntp_request(&f, n, i, 0);
    CHECK(fake_env_log_contains(&f, "signd queue full"));
    for (int i = 0; i < 20; i++) {
        size_t off = f.stream_out_len;
        if (!exchange(&f, SIGND_OP_SIGNING_SUCCESS, 0))
            break;
        CHECK_INT_EQ(get_be16(f.stream_out + off + 12), i); /* ids follow the slots */
        sent++;
    }
    CHECK_INT_EQ(sent, 15);
    CHECK_INT_EQ(f.n_sent, 15);
    CHECK_INT_EQ(f.sent[14].remote.port, 40015);
    /* the ring wraps: ids go on from slot 15 */
    mssntp_request(&f, n, 21, 0);
    fake_env_stream_event(&f, STREAM_EV_WRITE);
    CHECK_INT_EQ(get_be16(f.stream_out + 15 * 68 + 12), 15);
    node_free(n);
    config_free(cfg);
    fake_env_fini(&f);
}

int main(void)
{
    RUN(test_request_round_trip);
    RUN(test_reply_round_trip);
    RUN(test_bad_replies);
    RUN(test_disabled_drops);
    RUN(test_signed_reply);
    RUN(test_failures_keep_connection);
    RUN(test_bad_length_closes);
    RUN(test_connect_error_logged_once);
    RUN(test_queue_limit);
    return check_summary();
}
