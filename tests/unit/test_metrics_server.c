/* The metrics endpoint of a node through the shared fake environment's TCP: listeners,
 * admission (metricsallow/metricsdeny), answers (200, HEAD, 404, 405, 400, 431, 505),
 * partial writes, deadlines and the bound on connections. */
#include "check.h"
#include "fake_env.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"

#include <stdio.h>
#include <string.h>

#define GET "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"

static struct node *make_node(struct fake_env *f, struct config **cfg, const char **lines)
{
    char err[256];
    struct node_opts o = {.family = 0, .precision = 1e-8, .version = "4.8"};
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

static void finish(struct fake_env *f, struct node *n, struct config *cfg)
{
    node_free(n);
    config_free(cfg);
    fake_env_fini(f);
}

/* A client at ip connects to the first listener with data (accepted at once). */
static struct fake_tcp *client(struct fake_env *f, struct node *n, const char *ip, const char *data)
{
    int i = fake_env_tcp_connect(f, 0, ip, data);
    (void)n;
    return &f->tcp[i];
}

static void readable(struct fake_env *f, struct node *n, struct fake_tcp *s)
{
    (void)n;
    fake_env_tcp_event(f, (int)(s - f->tcp), STREAM_EV_READ);
}

static void test_listeners(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *none[] = {"cmdport 0", NULL};
    const char *lines[] = {"cmdport 0", "metricsport 9123", NULL};
    const char *bound[] = {"cmdport 0", "metricsport 9123", "bindmetricsaddress 0.0.0.0", NULL};
    char buf[IP_ADDR_STRLEN];
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, none);
    CHECK_INT_EQ(f.n_listeners, 0);
    finish(&f, n, cfg);

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    CHECK_INT_EQ(f.n_listeners, 2);
    CHECK_STR_EQ(ip_addr_format(&f.listen_addr[0].ip, buf, sizeof(buf)), "127.0.0.1");
    CHECK_INT_EQ(f.listen_addr[0].port, 9123);
    CHECK_STR_EQ(ip_addr_format(&f.listen_addr[1].ip, buf, sizeof(buf)), "::1");
    finish(&f, n, cfg);

    fake_env_init(&f);
    n = make_node(&f, &cfg, bound);
    CHECK_STR_EQ(ip_addr_format(&f.listen_addr[0].ip, buf, sizeof(buf)), "0.0.0.0");
    CHECK_STR_EQ(ip_addr_format(&f.listen_addr[1].ip, buf, sizeof(buf)), "::1");
    finish(&f, n, cfg);
}

static void test_get_and_head(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0", "metricsport 9123", "local stratum 5", NULL};
    struct fake_tcp *s, *h;
    struct node *n;
    const char *body;
    char len[64];

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    s = client(&f, n, "127.0.0.1", GET);
    CHECK(s->sock >= 0);
    readable(&f, n, s);
    CHECK(s->closed);
    CHECK(s->out && strncmp(s->out, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(s->out && strstr(s->out, "\r\nContent-Type: text/plain; version=0.0.4; "
                                   "charset=utf-8\r\n"));
    CHECK(s->out && strstr(s->out, "\r\nConnection: close\r\n"));
    body = s->out ? strstr(s->out, "\r\n\r\n") : NULL;
    CHECK(body != NULL);
    if (!body)
        goto out;
    body += 4;
    snprintf(len, sizeof(len), "\r\nContent-Length: %zu\r\n", strlen(body));
    CHECK(strstr(s->out, len));
    CHECK(strstr(body, "chrony_build_info{version=\"4.8\"} 1\n"));
    CHECK(strstr(body, "\nchrony_tracking_stratum "));
    CHECK(strstr(body, "\nchrony_serverstats_ntp_packets_received_total 0\n"));

    h = client(&f, n, "::1", "HEAD /metrics HTTP/1.0\r\n\r\n");
    readable(&f, n, h);
    CHECK(h->out && strncmp(h->out, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(h->out && strstr(h->out, "\r\n\r\n")[4] == '\0');
    CHECK(h->out && strstr(h->out, "\r\nContent-Length: "));
    CHECK_INT_EQ(n->metrics.served, 2);
out:
    finish(&f, n, cfg);
}

static const char *answer_to(const char *request)
{
    static char line[64];
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0", "metricsport 9123", NULL};
    struct fake_tcp *s;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    s = client(&f, n, "127.0.0.1", request);
    readable(&f, n, s);
    snprintf(line, sizeof(line), "%.*s", s->out ? (int)strcspn(s->out, "\r") : 0,
             s->out ? s->out : "");
    CHECK(s->closed);
    finish(&f, n, cfg);
    return line;
}

static void test_errors(void)
{
    char big[6000];

    CHECK_STR_EQ(answer_to("GET /other HTTP/1.0\r\n\r\n"), "HTTP/1.1 404 Not Found");
    CHECK_STR_EQ(answer_to("GET /metricsx HTTP/1.0\r\n\r\n"), "HTTP/1.1 404 Not Found");
    CHECK_STR_EQ(answer_to("GET /metrics?name[]=x HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK");
    CHECK_STR_EQ(answer_to("POST /metrics HTTP/1.0\r\n\r\n"), "HTTP/1.1 405 Method Not Allowed");
    CHECK_STR_EQ(answer_to("GET /metrics HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    CHECK_STR_EQ(answer_to("\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n"), "HTTP/1.1 400 Bad Request");
    CHECK_STR_EQ(answer_to("GET /metrics HTTP/3.0\r\n\r\n"),
                 "HTTP/1.1 505 HTTP Version Not Supported");
    strcpy(big, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    while (strlen(big) < 5000)
        strcat(big, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    CHECK_STR_EQ(answer_to(big), "HTTP/1.1 431 Request Header Fields Too Large");
}

static void test_access(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0",
                           "metricsport 9123",
                           "bindmetricsaddress 0.0.0.0",
                           "metricsallow 192.0.2.0/24",
                           "metricsdeny 192.0.2.66",
                           "metricsdeny 127.0.0.1",
                           NULL};
    struct fake_tcp *a, *b, *c, *d, *l;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    a = client(&f, n, "192.0.2.1", GET);
    b = client(&f, n, "192.0.2.66", GET);
    c = client(&f, n, "198.51.100.1", GET);
    d = client(&f, n, "127.0.0.2", GET);
    l = client(&f, n, "127.0.0.1", GET);
    CHECK(a->sock >= 0 && !a->closed);
    /* Denied connections are closed at once, without a word. */
    CHECK(b->closed && b->out_len == 0);
    CHECK(c->closed && c->out_len == 0);
    CHECK(d->closed && d->out_len == 0);
    /* As the command port: localhost itself is always allowed. */
    CHECK(!l->closed);
    readable(&f, n, a);
    readable(&f, n, l);
    CHECK(a->out && strstr(a->out, "chrony_build_info"));
    CHECK(l->out && strstr(l->out, "chrony_build_info"));
    CHECK_INT_EQ(n->metrics.refused, 3);
    finish(&f, n, cfg);
}

static void test_bad_subnet_fatal(void)
{
    struct fake_env f;
    struct config *cfg;
    struct node *n;
    char err[256];
    struct node_opts o = {.precision = 1e-8};

    fake_env_init(&f);
    cfg = config_new();
    CHECK(config_parse_line(cfg, "metricsport 9123", NULL, 1, &f.env.files, err, sizeof(err)) == 0);
    CHECK(config_parse_line(cfg, "metricsallow 10.0.0.0/40", NULL, 2, &f.env.files, err,
                            sizeof(err)) == 0);
    CHECK(config_validate(cfg, err, sizeof(err)) < 0);
    CHECK_STR_EQ(err, "Bad subnet in 10.0.0.0/40");
    n = node_new(cfg, &f.env, &o);
    CHECK(node_start(n, &f.now, err, sizeof(err)) < 0);
    finish(&f, n, cfg);
}

static void test_partial_writes(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0", "metricsport 9123", NULL};
    struct fake_tcp *s;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    s = client(&f, n, "127.0.0.1", GET);
    s->send_blocked = 1;
    readable(&f, n, s);
    CHECK(!s->closed);
    CHECK_INT_EQ(s->want_write, 1);
    CHECK_INT_EQ(s->want_read, 0);
    /* Writable again, taking short writes: the rest goes out and the connection ends. */
    s->send_blocked = 0;
    s->send_cap = 100;
    fake_env_tcp_event(&f, (int)(s - f.tcp), STREAM_EV_WRITE);
    CHECK(s->closed);
    CHECK(s->out && strstr(s->out, "chrony_build_info"));
    CHECK(s->out && s->out[s->out_len - 1] == '\n');
    finish(&f, n, cfg);
}

static void test_slow_clients_cut_off(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0", "metricsport 9123", NULL};
    struct fake_tcp *slow, *fast;
    struct node *n;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    slow = client(&f, n, "127.0.0.1", "GET /metrics HTTP/1.1\r\n");
    readable(&f, n, slow);
    CHECK(!slow->closed);
    /* One byte now and then does not extend the deadline. */
    for (int i = 0; i < 4; i++) {
        fake_env_advance(&f, 1.0);
        node_on_timer(n, &f.now);
        fake_env_tcp_feed(&f, (int)(slow - f.tcp), "X", 1);
        readable(&f, n, slow);
    }
    CHECK(!slow->closed);
    fast = client(&f, n, "127.0.0.1", GET);
    readable(&f, n, fast);
    CHECK(fast->closed && fast->out && strstr(fast->out, "200 OK"));
    fake_env_advance(&f, 1.1);
    node_on_timer(n, &f.now);
    CHECK(slow->closed);
    CHECK(slow->out_len == 0);
    CHECK_INT_EQ(n->metrics.timed_out, 1);
    finish(&f, n, cfg);
}

static void test_connection_bound(void)
{
    struct fake_env f;
    struct config *cfg;
    const char *lines[] = {"cmdport 0", "metricsport 9123", NULL};
    struct fake_tcp *idle[METRICS_MAX_CONNS], *late;
    struct node *n;
    int open = 0;

    fake_env_init(&f);
    n = make_node(&f, &cfg, lines);
    for (int i = 0; i < METRICS_MAX_CONNS; i++) {
        idle[i] = client(&f, n, "127.0.0.1", "GET /metr");
        fake_env_advance(&f, 0.1);
    }
    late = client(&f, n, "127.0.0.1", GET);
    /* The oldest idle connection gave way. */
    CHECK(idle[0]->closed);
    for (int i = 1; i < METRICS_MAX_CONNS; i++)
        open += !idle[i]->closed;
    CHECK_INT_EQ(open, METRICS_MAX_CONNS - 1);
    readable(&f, n, late);
    CHECK(late->out && strstr(late->out, "200 OK"));
    /* A client that goes away early is closed too. */
    idle[1]->in_eof = 1;
    readable(&f, n, idle[1]);
    CHECK(idle[1]->closed && idle[1]->out_len == 0);
    finish(&f, n, cfg);
}

int main(void)
{
    RUN(test_listeners);
    RUN(test_get_and_head);
    RUN(test_errors);
    RUN(test_access);
    RUN(test_bad_subnet_fatal);
    RUN(test_partial_writes);
    RUN(test_slow_clients_cut_off);
    RUN(test_connection_bound);
    return check_summary();
}
