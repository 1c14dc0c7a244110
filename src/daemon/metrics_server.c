/* The metrics endpoint's listeners and connections: admission, the request head, the
 * response, deadlines. The page itself is metrics_page.c. */
#include "daemon/metrics_server.h"

#include "core/access.h"
#include "daemon/config.h"
#include "daemon/sched.h"
#include "lib/mem.h"
#include "proto/http.h"
#include "proto/prom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Connections accepted per wake-up of a listener, so that a flood cannot hold the loop. */
#define ACCEPT_BATCH 16

void metrics_server_init(struct metrics_server *m)
{
    m->listen_socks[0] = m->listen_socks[1] = -1;
    for (int i = 0; i < METRICS_MAX_CONNS; i++) {
        m->conns[i].srv = m;
        m->conns[i].sock = -1;
    }
}

/* Read and drop what the client sent beyond the request, so that closing does not reset
 * the connection under the response still on its way. */
static void drain(struct metrics_server *m, int sock)
{
    const struct env_stream *st = &m->env->stream;
    uint8_t junk[1024];
    for (int i = 0; i < 64; i++)
        if (st->recv(st->ctx, sock, junk, sizeof(junk)) <= 0)
            break;
}

static void conn_close(struct metrics_conn *c)
{
    struct metrics_server *m = c->srv;
    if (c->sock < 0)
        return;
    drain(m, c->sock);
    m->env->stream.close(m->env->stream.ctx, c->sock);
    sched_cancel(m->sched, c->timer);
    free(c->out);
    c->out = NULL;
    c->sock = -1;
    c->timer = 0;
    c->in_len = c->out_len = c->out_sent = 0;
}

void metrics_server_fini(struct metrics_server *m)
{
    for (int i = 0; i < METRICS_MAX_CONNS; i++)
        conn_close(&m->conns[i]);
    for (int i = 0; i < 2; i++) {
        if (m->listen_socks[i] >= 0)
            m->env->stream.close(m->env->stream.ctx, m->listen_socks[i]);
        m->listen_socks[i] = -1;
    }
    access_free(m->access);
    m->access = NULL;
}

static void on_listener(void *arg, int sock, int events);

static void open_listener(struct metrics_server *m, enum ip_family fam, const struct ip_addr *bind)
{
    struct net_addr local;
    char buf[IP_ADDR_STRLEN];
    int e = 0, s;

    memset(&local, 0, sizeof(local));
    ip_addr_bind_or_loopback(&local.ip, bind, fam);
    local.port = (uint16_t)m->cfg->metrics_port;
    s = m->env->stream.tcp_listen(m->env->stream.ctx, &local, on_listener, m, &e);
    if (s < 0) {
        LOG_ERR(m->env->log,
                fam == IPF_INET6 ? "Could not open metrics socket on [%s]:%d : %s"
                                 : "Could not open metrics socket on %s:%d : %s",
                ip_addr_format(&local.ip, buf, sizeof(buf)), m->cfg->metrics_port, strerror(e));
        return;
    }
    m->listen_socks[fam == IPF_INET6] = s;
}

int metrics_server_start(struct metrics_server *m, char *err, size_t errlen)
{
    const struct config *cfg = m->cfg;
    char why[256];

    if (cfg->metrics_port <= 0 || cfg->client_only)
        return 0;
    m->access = config_build_access(cfg->metrics_rules, cfg->n_metrics_rules, why, sizeof(why));
    if (!m->access) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (!m->env->stream.tcp_listen) {
        LOG_ERR(m->env->log, "Could not open metrics socket : %s", "no TCP in this environment");
        return 0;
    }
    if (m->family != 6)
        open_listener(m, IPF_INET4, &cfg->bindmetrics_addr4);
    if (m->family != 4)
        open_listener(m, IPF_INET6, &cfg->bindmetrics_addr6);
    return 0;
}

/* As the command port: 127.0.0.1 and ::1 are always allowed, the others need
 * metricsallow (and no metricsdeny). */
static int admitted(const struct metrics_server *m, const struct ip_addr *ip)
{
    static const uint8_t v6_localhost[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    if (ip->family == IPF_INET4 && ip_addr_v4(ip) == 0x7f000001u)
        return 1;
    if (ip->family == IPF_INET6 && memcmp(ip->a, v6_localhost, 16) == 0)
        return 1;
    return m->access && access_check(m->access, ip);
}

static void on_deadline(void *arg, const struct timespec *now)
{
    struct metrics_conn *c = arg;
    (void)now;
    c->timer = 0;
    c->srv->timed_out++;
    LOG_DEBUG(c->srv->env->log, "Metrics connection timed out");
    conn_close(c);
}

/* A slot for a new connection: a free one, else the oldest still reading its request (its
 * connection gives way once the new one is accepted). NULL when every one is answering. */
static struct metrics_conn *pick_slot(struct metrics_server *m)
{
    struct metrics_conn *oldest = NULL;
    for (int i = 0; i < METRICS_MAX_CONNS; i++) {
        struct metrics_conn *c = &m->conns[i];
        if (c->sock < 0)
            return c;
        if (!c->out && (!oldest || c->order < oldest->order))
            oldest = c;
    }
    return oldest;
}

static void on_conn(void *arg, int sock, int events);

static void accept_one(struct metrics_server *m, int listener, const struct timespec *now,
                       int *more)
{
    const struct env_stream *st = &m->env->stream;
    struct net_addr remote;
    struct metrics_conn *c;
    char buf[IP_ADDR_STRLEN];
    int s;

    memset(&remote, 0, sizeof(remote));
    c = pick_slot(m);
    s = st->tcp_accept(st->ctx, listener, &remote, on_conn, c);
    if (s < 0) {
        *more = 0;
        return;
    }
    if (!admitted(m, &remote.ip)) {
        m->refused++;
        LOG_DEBUG(m->env->log, "Metrics connection from %s denied",
                  ip_addr_format(&remote.ip, buf, sizeof(buf)));
        st->close(st->ctx, s);
        return;
    }
    if (!c) {
        m->refused++;
        st->close(st->ctx, s);
        return;
    }
    if (c->sock >= 0) {
        LOG_DEBUG(m->env->log, "Metrics connection closed for a new one");
        conn_close(c);
    }
    c->sock = s;
    c->order = ++m->next_order;
    c->in_len = 0;
    c->timer = sched_add_after(m->sched, now, METRICS_CONN_TIMEOUT, on_deadline, c);
}

/* Send what the socket takes; close when everything went or the client is gone. */
static void conn_flush(struct metrics_conn *c)
{
    const struct env_stream *st = &c->srv->env->stream;
    while (c->out_sent < c->out_len) {
        long r = st->send(st->ctx, c->sock, c->out + c->out_sent, c->out_len - c->out_sent);
        if (r == 0) {
            st->want_write(st->ctx, c->sock, 1);
            return;
        }
        if (r < 0)
            break;
        c->out_sent += (size_t)r;
    }
    if (c->out_sent == c->out_len)
        c->srv->served++;
    conn_close(c);
}

/* Queue a response: the head, and the body unless head_only. body may be NULL for a short
 * text answer of the status. */
static void conn_respond(struct metrics_conn *c, int status, const char *type, const char *body,
                         size_t body_len, int head_only, const char *allow)
{
    char text[64];
    int hlen;

    if (!body) {
        snprintf(text, sizeof(text), "%s\n", http_reason(status));
        body = text;
        body_len = strlen(text);
        type = "text/plain; charset=utf-8";
    }
    hlen = http_format_head(status, type, body_len, allow, NULL, 0);
    if (hlen < 0) {
        conn_close(c);
        return;
    }
    c->out_len = (size_t)hlen + (head_only ? 0 : body_len);
    c->out = xmalloc(c->out_len + 1);
    http_format_head(status, type, body_len, allow, c->out, (size_t)hlen + 1);
    if (!head_only)
        memcpy(c->out + hlen, body, body_len);
    c->out_sent = 0;
    conn_flush(c);
}

static void conn_answer(struct metrics_conn *c, const struct http_request *req,
                        const struct timespec *now)
{
    int head_only = req->method == HTTP_METHOD_HEAD;
    size_t len = 0;
    char *page;

    if (req->path_len != 8 || memcmp(req->target, "/metrics", 8) != 0) {
        conn_respond(c, 404, NULL, NULL, 0, head_only, NULL);
        return;
    }
    if (req->method == HTTP_METHOD_OTHER) {
        conn_respond(c, 405, NULL, NULL, 0, 0, "GET, HEAD");
        return;
    }
    page = metrics_page_render(c->srv, now, &len);
    if (!page) {
        conn_respond(c, 500, NULL, NULL, 0, head_only, NULL);
        return;
    }
    conn_respond(c, 200, PROM_CONTENT_TYPE, page, len, head_only, NULL);
    free(page);
}

/* Read what arrived of the request head and answer once it is complete or refused. */
static void conn_read(struct metrics_conn *c, const struct timespec *now)
{
    const struct env_stream *st = &c->srv->env->stream;
    struct http_request req;
    enum http_verdict v = HTTP_INCOMPLETE;

    while (v == HTTP_INCOMPLETE) {
        long r;
        if (c->in_len >= sizeof(c->in)) {
            v = HTTP_TOO_LARGE;
            break;
        }
        r = st->recv(st->ctx, c->sock, c->in + c->in_len, sizeof(c->in) - c->in_len);
        if (r == 0)
            return;
        if (r < 0) {
            conn_close(c); /* gone before the end of its request */
            return;
        }
        c->in_len += (size_t)r;
        v = http_parse_request(c->in, c->in_len, METRICS_MAX_HEAD, &req);
    }
    /* One request per connection: nothing more is read. */
    st->want_read(st->ctx, c->sock, 0);
    if (v == HTTP_OK)
        conn_answer(c, &req, now);
    else
        conn_respond(c, http_verdict_status(v), NULL, NULL, 0, 0, NULL);
}

/* A listener is readable: connections wait. */
static void on_listener(void *arg, int sock, int events)
{
    struct metrics_server *m = arg;
    struct timespec now;
    int more = 1;

    (void)events;
    m->env->clock.read(m->env->clock.ctx, &now);
    for (int n = 0; n < ACCEPT_BATCH && more; n++)
        accept_one(m, sock, &now, &more);
}

static void on_conn(void *arg, int sock, int events)
{
    struct metrics_conn *c = arg;
    struct timespec now;

    if (c->sock != sock)
        return;
    c->srv->env->clock.read(c->srv->env->clock.ctx, &now);
    if (c->out && (events & STREAM_EV_WRITE))
        conn_flush(c);
    else if (!c->out && (events & STREAM_EV_READ))
        conn_read(c, &now);
}
