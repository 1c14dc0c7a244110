/* MS-SNTP signing (chrony ntp_signd.c, `ntpsigndsocket`): replies to MS-SNTP clients are
 * handed, finished but unsigned, to Samba's ntp_signd over the Unix stream socket
 * DIRECTORY/socket, one at a time, and the signed packet that comes back is sent to the
 * client. Requests wait in a ring of SIGND_QUEUE_LEN slots, one kept free as chrony's, so at
 * most 15 wait; more are dropped. As chrony, there is no timeout: a signer that stops
 * answering holds the queue until it closes the connection. The socket is connected when a
 * reply is first queued, and again after it was closed. */
#include "daemon/ntp_serve.h"

#include "daemon/config.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/signd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGND_QUEUE_LEN 16U
#define NEXT(i) (((i) + 1) % SIGND_QUEUE_LEN)

struct signd_slot {
    int sock; /* the server socket the request came in on */
    struct net_addr remote, local;
    size_t req_len, sent, received;
    struct timespec sent_at; /* raw, when its first byte went out (the debug delay) */
    uint8_t req[SIGND_REQUEST_HEADER_LEN + NTP_HEADER_LEN];
    uint8_t reply[SIGND_REPLY_MAX_LEN];
};

struct serve_signd {
    char *path; /* DIRECTORY/socket */
    int sock;   /* -1 while not connected */
    unsigned head, tail;
    /* chrony logs a failed connection once until an exchange succeeds */
    int logged_error;
    struct signd_slot q[SIGND_QUEUE_LEN];
};

void serve_signd_start(struct ntp_serve *s)
{
    const char *dir = s->cfg->ntpsigndsocket;
    struct serve_signd *d;
    size_t n;

    if (!dir || !dir[0])
        return;
    d = xcalloc(1, sizeof(*d));
    n = strlen(dir) + sizeof("/socket");
    d->path = xmalloc(n);
    snprintf(d->path, n, "%s/socket", dir);
    d->sock = -1;
    s->signd = d;
    LOG_INFO(s->env->log, "MS-SNTP authentication enabled");
}

static void close_signd(struct ntp_serve *s)
{
    struct serve_signd *d = s->signd;

    if (d->sock >= 0)
        s->env->stream.close(s->env->stream.ctx, d->sock);
    d->sock = -1;
    /* chrony: the waiting replies are dropped with the connection */
    d->head = d->tail = 0;
}

void serve_signd_stop(struct ntp_serve *s)
{
    if (!s->signd)
        return;
    close_signd(s);
    free(s->signd->path);
    free(s->signd);
    s->signd = NULL;
}

/* The signer's answer to the request of slot e: send the signed packet to its client. */
static void process_reply(struct ntp_serve *s, struct signd_slot *e, unsigned id)
{
    struct serve_signd *d = s->signd;
    struct signd_reply r;
    struct timespec now;
    int sent;

    if (signd_decode_reply(e->reply, e->received, &r) != SIGND_OK)
        return; /* not reached: the length was checked while reading */
    if (r.packet_id != id) {
        LOG_DEBUG(s->env->log, "Invalid response ID");
        return;
    }
    if (r.op != SIGND_OP_SIGNING_SUCCESS) {
        LOG_DEBUG(s->env->log, "Signing failed");
        return;
    }
    d->logged_error = 0;
    /* The server socket may have been closed since (no address allowed any more). */
    if (e->sock < 0 ||
        (e->sock != s->socks[0] && e->sock != s->socks[1] && !serve_is_ptp_socket(s, e->sock))) {
        LOG_DEBUG(s->env->log, "Invalid NTP socket");
        return;
    }
    /* Ours: a "signed" packet shorter than an NTP header is not sent (chrony would). */
    if (r.packet_len < NTP_HEADER_LEN) {
        LOG_DEBUG(s->env->log, "Invalid signed packet length");
        return;
    }
    s->env->clock.read(s->env->clock.ctx, &now);
    LOG_DEBUG(s->env->log, "Signing succeeded (delay %f)", ts_diff(&now, &e->sent_at));
    sent = serve_send(s, e->sock, &e->remote, &e->local, r.packet, r.packet_len, 0);
    if (sent < 0)
        s->send_errors++;
}

static void on_writable(struct ntp_serve *s)
{
    struct serve_signd *d = s->signd;
    struct signd_slot *e = &d->q[d->head];
    long n;

    if (d->head == d->tail || e->sent >= e->req_len) {
        s->env->stream.want_write(s->env->stream.ctx, d->sock, 0);
        return;
    }
    if (!e->sent)
        s->env->clock.read(s->env->clock.ctx, &e->sent_at);
    n = s->env->stream.send(s->env->stream.ctx, d->sock, e->req + e->sent, e->req_len - e->sent);
    if (n < 0) {
        close_signd(s);
        return;
    }
    e->sent += (size_t)n;
    /* The whole request is out: wait for its reply. */
    if (e->sent >= e->req_len)
        s->env->stream.want_write(s->env->stream.ctx, d->sock, 0);
}

/* How many bytes of the head slot's reply are still to read: the length field first, then
 * exactly the rest of the message it announces. 0 when the length is invalid. */
static size_t reply_missing(const struct signd_slot *e)
{
    size_t whole = SIGND_LENGTH_LEN;

    if (e->received >= SIGND_LENGTH_LEN &&
        signd_reply_length(e->reply, e->received, &whole) != SIGND_OK)
        return 0;
    return whole > e->received ? whole - e->received : 0;
}

static void on_readable(struct ntp_serve *s)
{
    struct serve_signd *d = s->signd;
    struct signd_slot *e = &d->q[d->head];
    size_t whole = SIGND_LENGTH_LEN;
    long n;

    if (d->head == d->tail) {
        LOG_DEBUG(s->env->log, "Unexpected signd response");
        close_signd(s);
        return;
    }
    /* Read until the reply is whole or nothing more is there now. */
    for (;;) {
        n = s->env->stream.recv(s->env->stream.ctx, d->sock, e->reply + e->received,
                                reply_missing(e));
        if (n < 0) {
            close_signd(s);
            return;
        }
        e->received += (size_t)n;
        if (e->received < SIGND_LENGTH_LEN) {
            if (n == 0)
                return;
            continue;
        }
        /* chrony closes the connection on a length it cannot hold */
        if (signd_reply_length(e->reply, e->received, &whole) != SIGND_OK) {
            LOG_DEBUG(s->env->log, "Invalid response length");
            close_signd(s);
            return;
        }
        if (e->received >= whole)
            break;
        if (n == 0)
            return;
    }
    process_reply(s, e, d->head);
    d->head = NEXT(d->head);
    if (d->head != d->tail)
        s->env->stream.want_write(s->env->stream.ctx, d->sock, 1);
}

static void on_signd_event(void *arg, int sock, int events)
{
    struct ntp_serve *s = arg;

    if (!s->signd || sock != s->signd->sock)
        return;
    if (events & STREAM_EV_WRITE)
        on_writable(s);
    /* The write may have closed the connection. */
    if ((events & STREAM_EV_READ) && s->signd->sock == sock)
        on_readable(s);
}

static int connect_signd(struct ntp_serve *s)
{
    struct serve_signd *d = s->signd;
    int e = ENOSYS;

    if (d->sock >= 0)
        return 1;
    if (s->env->stream.unix_connect)
        d->sock = s->env->stream.unix_connect(s->env->stream.ctx, d->path, on_signd_event, s, &e);
    if (d->sock >= 0)
        return 1;
    d->sock = -1;
    /* Once until an exchange succeeds, not to flood the log. */
    if (!d->logged_error) {
        LOG_ERR(s->env->log, "Could not connect to signd socket %s : %s", d->path, strerror(e));
        d->logged_error = 1;
    }
    return 0;
}

int serve_signd_submit(struct ntp_serve *s, uint32_t key_id, const uint8_t *reply, size_t len,
                       const struct net_rx *rx)
{
    struct serve_signd *d = s->signd;
    struct signd_request r;
    struct signd_slot *e;

    if (!d) {
        LOG_DEBUG(s->env->log, "signd disabled");
        return 0;
    }
    if (d->head == NEXT(d->tail)) {
        LOG_DEBUG(s->env->log, "signd queue full");
        return 0;
    }
    if (len != NTP_HEADER_LEN) {
        LOG_DEBUG(s->env->log, "Invalid packet length");
        return 0;
    }
    if (!connect_signd(s))
        return 0;
    e = &d->q[d->tail];
    memset(&r, 0, sizeof(r));
    r.version = SIGND_VERSION;
    r.op = SIGND_OP_SIGN_TO_CLIENT;
    r.packet_id = (uint16_t)d->tail;
    r.key_id = key_id;
    r.packet = reply;
    r.packet_len = len;
    e->req_len = signd_encode_request(&r, e->req, sizeof(e->req));
    e->sent = e->received = 0;
    e->sock = rx->sock;
    e->remote = rx->remote;
    e->local = rx->local;
    /* Nothing was being sent: start with this one. */
    if (d->head == d->tail)
        s->env->stream.want_write(s->env->stream.ctx, d->sock, 1);
    d->tail = NEXT(d->tail);
    LOG_DEBUG(s->env->log, "Packet added to signd queue (%u:%u)", d->head, d->tail);
    return 1;
}
