/* Sockets and the retransmission loop of chronyc (spec 1.2, 1.4, 3.4). */
#include "chronyc/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* -d: chrony's chronyc debug messages, one line each on stderr. */
static void debug_msg(const struct transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void debug_msg(const struct transport *t, const char *fmt, ...)
{
    va_list ap;

    if (!t->debug)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void add_unix(struct transport *t, const char *path)
{
    struct transport_addr *a = &t->addrs[t->n_addrs];
    if (t->n_addrs >= TRANSPORT_MAX_ADDRS || strlen(path) >= sizeof(a->path))
        return;
    memset(a, 0, sizeof(*a));
    a->is_unix = 1;
    snprintf(a->path, sizeof(a->path), "%s", path);
    t->n_addrs++;
}

static void add_host(struct transport *t, const char *host, int port, int family)
{
    struct addrinfo hints, *res, *ai;
    char service[16];

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(service, sizeof(service), "%d", port);
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        debug_msg(t, "Could not get IP address for %s", host);
        return;
    }
    for (ai = res; ai && t->n_addrs < TRANSPORT_MAX_ADDRS; ai = ai->ai_next) {
        struct transport_addr *a = &t->addrs[t->n_addrs];
        char text[INET6_ADDRSTRLEN];
        const void *bin = ai->ai_family == AF_INET6
                              ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                              : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
        if (ai->ai_addrlen > sizeof(a->sa))
            continue;
        if (inet_ntop(ai->ai_family, bin, text, sizeof(text)))
            debug_msg(t, "Resolved %s to %s", host, text);
        memset(a, 0, sizeof(*a));
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->sa_len = ai->ai_addrlen;
        t->n_addrs++;
    }
    freeaddrinfo(res);
}

int transport_init(struct transport *t, const char *hosts, int port, int family)
{
    char *copy = strdup(hosts), *save = NULL;
    int debug = t->debug;

    memset(t, 0, sizeof(*t));
    t->debug = debug;
    t->fd = -1;
    t->current = -1;
    t->timeout_ms = 1000;
    t->max_retries = 2;
    t->version = CMDMON_PROTO_VERSION;
    if (!copy)
        return 0;
    for (char *h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
        if (h[0] == '/')
            add_unix(t, h);
        else if (*h)
            add_host(t, h, port, family);
    }
    free(copy);
    return t->n_addrs;
}

static void random_bytes(void *buf, size_t len)
{
    if (getrandom(buf, len, 0) != (ssize_t)len) {
        /* Last resort; only uniqueness matters here. */
        unsigned char *p = buf;
        for (size_t i = 0; i < len; i++)
            p[i] = (unsigned char)(rand() ^ getpid() ^ (int)time(NULL));
    }
}

static void remove_local_socket(struct transport *t)
{
    if (t->local_path[0])
        unlink(t->local_path);
    if (t->local_sub[0])
        rmdir(t->local_sub);
    if (t->local_dir[0])
        rmdir(t->local_dir);
    t->local_path[0] = t->local_sub[0] = t->local_dir[0] = '\0';
}

/* A Unix datagram socket connected to server, bound to local first unless NULL; -1 if
 * either fails. */
static int unix_socket(const char *server, const char *local)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (local) {
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", local);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
            goto fail;
    }
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", server);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        goto fail;
    return fd;
fail:
    close(fd);
    if (local)
        unlink(local);
    return -1;
}

/* chrony 4.8 scheme (spec 1.2): <dir>/chronyc.<pid>/<16 random alnum>/sock, the first
 * directory ours (checked through its descriptor), the second hidden in it. Each failure
 * is reported with chrony's message on stderr. */
static int open_unix(struct transport *t, const struct transport_addr *a)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path);
    const char *slash = strrchr(a->path, '/');
    char rnd[17];
    unsigned char rb[16];
    struct stat st;
    int fd, dfd = -1;

    /* Nothing is created unless the server socket can be reached. */
    fd = unix_socket(a->path, NULL);
    if (fd < 0)
        return -1;
    close(fd);
    random_bytes(rb, sizeof(rb));
    for (int i = 0; i < 16; i++)
        rnd[i] = alnum[rb[i] % (sizeof(alnum) - 1)];
    rnd[16] = '\0';
    if ((size_t)snprintf(t->local_dir, max, "%.*s/chronyc.%d", (int)(slash - a->path), a->path,
                         (int)getpid()) >= max ||
        (size_t)snprintf(t->local_sub, max, "%s/%s", t->local_dir, rnd) >= max ||
        (size_t)snprintf(t->local_path, max, "%s/sock", t->local_sub) >= max) {
        fprintf(stderr, "Server socket path %s is too long\n", a->path);
        t->local_dir[0] = t->local_sub[0] = t->local_path[0] = '\0';
        return -1;
    }
    if (mkdir(t->local_dir, 0711) < 0 && errno != EEXIST) {
        fprintf(stderr, "Could not create %s : %s\n", t->local_dir, strerror(errno));
        t->local_dir[0] = t->local_sub[0] = t->local_path[0] = '\0';
        return -1;
    }
    t->local_sub[0] = t->local_path[0] = '\0';
    dfd = open(t->local_dir, O_RDONLY | O_NOFOLLOW);
    if (dfd < 0 || fstat(dfd, &st) < 0) {
        fprintf(stderr, "Could not open/stat %s : %s\n", t->local_dir, strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 0777 & ~0711) || st.st_uid != geteuid()) {
        fprintf(stderr, "Unexpected mode/owner of %s\n", t->local_dir);
        goto fail;
    }
    snprintf(t->local_sub, sizeof(t->local_sub), "%s/%s", t->local_dir, rnd);
    if (mkdirat(dfd, rnd, 0711) < 0) {
        fprintf(stderr, "Could not create %s : %s\n", t->local_sub, strerror(errno));
        t->local_sub[0] = '\0';
        goto fail;
    }
    snprintf(t->local_path, sizeof(t->local_path), "%s/sock", t->local_sub);
    fd = unix_socket(a->path, t->local_path);
    if (fd < 0) {
        fprintf(stderr, "Could not bind/connect client Unix socket\n");
        t->local_path[0] = '\0';
        goto fail;
    }
    /* The daemon may run as another user: let it write to our socket. */
    if (chmod(t->local_path, 0666) < 0 || chmod(t->local_sub, 0711) < 0 || fchmod(dfd, 0711) < 0) {
        fprintf(stderr, "Could not change socket or directory permissions : %s\n", strerror(errno));
        close(fd);
        goto fail;
    }
    close(dfd);
    return fd;
fail:
    if (dfd >= 0)
        close(dfd);
    remove_local_socket(t);
    return -1;
}

static int open_udp(const struct transport_addr *a)
{
    int fd = socket(a->sa.ss_family, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&a->sa, a->sa_len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int transport_open(struct transport *t, int from)
{
    transport_close(t);
    for (int i = from; i < t->n_addrs; i++) {
        int fd = t->addrs[i].is_unix ? open_unix(t, &t->addrs[i]) : open_udp(&t->addrs[i]);
        if (fd >= 0) {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            t->fd = fd;
            t->current = i;
            return 1;
        }
    }
    return 0;
}

void transport_close(struct transport *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->current = -1;
    remove_local_socket(t);
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Spec 3.4: which received datagrams are answers to our latest request. */
static int reply_matches(const struct transport *t, const uint8_t *buf, size_t len,
                         const struct cmdmon_request *req)
{
    if (len < CMDMON_RPY_HDR_LEN)
        return 0;
    if (buf[0] != t->version && !(buf[0] >= 4 && buf[8] == 0 && buf[9] == CMDMON_STT_BADPKTVERSION))
        return 0;
    if (buf[1] != CMDMON_PKT_REPLY || buf[2] || buf[3])
        return 0;
    if ((uint16_t)(buf[4] << 8 | buf[5]) != req->command)
        return 0;
    return ((uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 | (uint32_t)buf[18] << 8 | buf[19]) ==
           req->sequence;
}

enum wait_result { WAIT_REPLY, WAIT_TIMEOUT, WAIT_ERROR };

static int stopped(const struct transport *t)
{
    return t->stop && *t->stop;
}

static enum wait_result wait_reply(struct transport *t, const struct cmdmon_request *req,
                                   double timeout, struct cmdmon_reply *rpy)
{
    double deadline = now_mono() + timeout;
    uint8_t buf[CMDMON_MAX_RPY_LEN + 64];

    for (;;) {
        double left = deadline - now_mono();
        struct timeval tv;
        fd_set rfds;
        ssize_t n;

        if (left <= 0)
            return WAIT_TIMEOUT;
        tv.tv_sec = (time_t)left;
        tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6) + 1;
        FD_ZERO(&rfds);
        FD_SET(t->fd, &rfds);
        /* As chrony: a signal ends the wait (select() is never restarted). */
        if (stopped(t))
            return WAIT_ERROR;
        if (select(t->fd + 1, &rfds, NULL, NULL, &tv) < 0) {
            if (errno == EINTR && !stopped(t))
                continue;
            return WAIT_ERROR;
        }
        if (!FD_ISSET(t->fd, &rfds))
            continue;
        n = recv(t->fd, buf, sizeof(buf), 0);
        if (n < 0)
            return errno == ECONNREFUSED ? WAIT_TIMEOUT : WAIT_ERROR;
        if (!reply_matches(t, buf, (size_t)n, req)) {
            debug_msg(t, "Invalid reply");
            continue;
        }
        switch (cmdmon_decode_reply(buf, (size_t)n, rpy)) {
        case CMDMON_OK:
            debug_msg(t, "Reply cmd=%d reply=%d stat=%d", rpy->command, rpy->reply, rpy->status);
            return WAIT_REPLY;
        case CMDMON_REPLY_SHORT:
            debug_msg(t, "Reply too short");
            return WAIT_TIMEOUT; /* treated as lost */
        default:
            debug_msg(t, "Invalid reply");
            continue;
        }
    }
}

/* All transmissions of one request to the current address. */
static int exchange_current(struct transport *t, struct cmdmon_request *req,
                            struct cmdmon_reply *rpy)
{
    uint8_t buf[CMDMON_MAX_REQ_LEN];
    int attempt = 0;
    double timeout = t->timeout_ms / 1000.0;

    while (attempt <= t->max_retries) {
        size_t len;
        uint32_t seq;

        random_bytes(&seq, sizeof(seq));
        req->sequence = seq;
        req->attempt = (uint16_t)attempt;
        req->version = (uint8_t)t->version;
        len = cmdmon_encode_request(req, buf, sizeof(buf));
        if (!len)
            return 0;
        if (send(t->fd, buf, len, 0) < 0)
            debug_msg(t, "send: %s", strerror(errno));
        debug_msg(t, "Timeout %f seconds", timeout);
        switch (wait_reply(t, req, timeout, rpy)) {
        case WAIT_REPLY:
            if (rpy->version == 5 && t->version == 6 && rpy->status == CMDMON_STT_BADPKTVERSION) {
                t->version = 5; /* old daemon: resend without padding */
                continue;
            }
            return 1;
        case WAIT_ERROR:
            return 0;
        case WAIT_TIMEOUT:
            break;
        }
        attempt++;
        timeout *= 2;
    }
    return 0;
}

int transport_exchange(struct transport *t, struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    if (t->current < 0 && !transport_open(t, 0))
        return 0;
    while (t->current >= 0) {
        if (exchange_current(t, req, rpy))
            return 1;
        if (stopped(t) || !transport_open(t, t->current + 1))
            break;
    }
    return 0;
}
