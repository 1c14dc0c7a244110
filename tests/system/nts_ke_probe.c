/* Runs one NTS-KE session through the platform's env table and prints its result; with
 * --ntp PORT it also sends one NTS-protected NTP request (RFC 8915 §5) with the first cookie
 * and the exported keys, to check the keys against the server.
 *
 * usage: nts_ke_probe HOST ADDR PORT [--cert PATH]... [--no-system-certs]
 *                     [--no-time-check] [--timeout S] [--aead ID]... [-F LEVEL] [--ntp PORT]
 *                     [--quit-after S]
 * --quit-after frees the platform S seconds after the start, whatever the session does, and
 * prints how long platform_free() took.
 */
#include "crypto/siv.h"
#include "platform/platform.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 16
#define EF_UNIQUE_ID 0x0104
#define EF_COOKIE 0x0204
#define EF_AUTH 0x0404

struct probe {
    struct platform *p;
    int done;
    struct nts_ke_session_result res;
};

static int probe_next_timeout(void *ctx, struct timespec *when)
{
    return 0;
}

static void probe_on_timer(void *ctx, const struct timespec *now)
{
}

static void probe_on_datagram(void *ctx, const struct net_rx *rx, const struct timespec *now)
{
}

static int probe_should_quit(void *ctx)
{
    return ((struct probe *)ctx)->done;
}

static void probe_on_result(void *arg, const struct nts_ke_session_result *r)
{
    struct probe *pr = arg;
    pr->res = *r;
    pr->done = 1;
}

static void print_result(const struct nts_ke_session_result *r)
{
    if (r->status != 0) {
        printf("status=%d error=%s\n", r->status, r->error);
        return;
    }
    printf("status=0 aead=%d cookies=%d cookie_len=%zu key_len=%zu server=%s port=%d\n",
           r->resp.aead, r->resp.n_cookies, r->resp.n_cookies ? r->resp.cookie_len[0] : 0,
           r->key_len, r->resp.ntp_server[0] ? r->resp.ntp_server : "-", r->resp.ntp_port);
    if (r->key_len == 0 || !memcmp(r->c2s, r->s2c, r->key_len))
        printf("keys=bad\n");
}

static size_t put_ef(uint8_t *buf, size_t at, int type, const uint8_t *body, size_t len)
{
    buf[at] = (uint8_t)(type >> 8);
    buf[at + 1] = (uint8_t)type;
    buf[at + 2] = (uint8_t)((len + 4) >> 8);
    buf[at + 3] = (uint8_t)(len + 4);
    memcpy(buf + at + 4, body, len);
    return at + 4 + len;
}

/* An NTPv4 client request with Unique Identifier, the first cookie and an Authenticator
 * (16-byte nonce, empty plaintext). Returns the length. */
static size_t build_nts_request(const struct nts_ke_session_result *r, uint8_t *pkt,
                                uint8_t uid[32], uint8_t nonce[16])
{
    uint8_t auth[4 + 16 + NTS_AEAD_TAG_LEN];
    size_t n = 48;
    memset(pkt, 0, 48);
    pkt[0] = 0x23; /* LI 0, version 4, mode 3 */
    if (getrandom(pkt + 40, 8, 0) != 8 || getrandom(uid, 32, 0) != 32 ||
        getrandom(nonce, 16, 0) != 16)
        return 0;
    n = put_ef(pkt, n, EF_UNIQUE_ID, uid, 32);
    n = put_ef(pkt, n, EF_COOKIE, r->resp.cookies[0], r->resp.cookie_len[0]);
    auth[0] = 0;
    auth[1] = 16;
    auth[2] = 0;
    auth[3] = NTS_AEAD_TAG_LEN;
    memcpy(auth + 4, nonce, 16);
    if (!nts_aead_encrypt(r->resp.aead, r->c2s, nonce, 16, pkt, n, NULL, 0, auth + 20))
        return 0;
    return put_ef(pkt, n, EF_AUTH, auth, sizeof(auth));
}

/* Check the server's response: our Unique Identifier echoed and an Authenticator that
 * decrypts with the S2C key. Returns the number of cookies inside, or -1. */
static int check_nts_response(const struct nts_ke_session_result *r, const uint8_t *pkt, size_t len,
                              const uint8_t uid[32])
{
    int uid_ok = 0, cookies = 0;
    size_t at = 48;
    if (len < 48 || (pkt[0] & 7) != 4)
        return -1;
    while (at + 4 <= len) {
        int type = pkt[at] << 8 | pkt[at + 1];
        size_t elen = (size_t)(pkt[at + 2] << 8 | pkt[at + 3]), nl, cl;
        uint8_t plain[2048];
        if (elen < 4 || at + elen > len)
            return -1;
        if (type == EF_UNIQUE_ID && elen == 36 && !memcmp(pkt + at + 4, uid, 32))
            uid_ok = 1;
        if (type != EF_AUTH) {
            at += elen;
            continue;
        }
        nl = (size_t)(pkt[at + 4] << 8 | pkt[at + 5]);
        cl = (size_t)(pkt[at + 6] << 8 | pkt[at + 7]);
        if (8 + ((nl + 3) & ~(size_t)3) + cl > elen || cl > sizeof(plain) + NTS_AEAD_TAG_LEN ||
            !nts_aead_decrypt(r->resp.aead, r->s2c, pkt + at + 8, nl, pkt, at,
                              pkt + at + 8 + ((nl + 3) & ~(size_t)3), cl, plain))
            return -1;
        for (size_t p = 0; p + 4 <= cl - NTS_AEAD_TAG_LEN;) {
            size_t l = (size_t)(plain[p + 2] << 8 | plain[p + 3]);
            cookies += (plain[p] << 8 | plain[p + 1]) == EF_COOKIE;
            p += l < 4 ? cl : l;
        }
        return uid_ok ? cookies : -1;
    }
    return -1;
}

/* One NTS-protected exchange with the server's NTP port; prints ntp=ok or ntp=FAIL. */
static void probe_ntp(const struct nts_ke_session_result *r, const char *addr, int port)
{
    uint8_t pkt[1024], resp[2048], uid[32], nonce[16];
    struct sockaddr_in sa;
    struct timeval tv = {3, 0};
    fd_set rd;
    size_t n = build_nts_request(r, pkt, uid, nonce);
    ssize_t got = -1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0), cookies = -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (fd >= 0 && n && inet_pton(AF_INET, addr, &sa.sin_addr) == 1 &&
        sendto(fd, pkt, n, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)n) {
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        if (select(fd + 1, &rd, NULL, NULL, &tv) == 1)
            got = recv(fd, resp, sizeof(resp), 0);
    }
    if (got > 0)
        cookies = check_nts_response(r, resp, (size_t)got, uid);
    if (cookies >= 0)
        printf("ntp=ok new_cookies=%d\n", cookies);
    else
        printf("ntp=FAIL %s\n", got > 0 ? "bad response" : "no response");
    if (fd >= 0)
        close(fd);
}

struct probe_args {
    const char *certs[MAX_ARGS];
    int aeads[MAX_ARGS];
    struct nts_ke_session_opts o;
    int filter_level, ntp_port;
    double quit_after;
};

static int parse_args(int argc, char **argv, struct probe_args *a)
{
    memset(a, 0, sizeof(*a));
    a->o.trusted_certs = a->certs;
    a->o.aeads = a->aeads;
    a->o.timeout = 10.0;
    for (int i = 4; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(opt, "--no-system-certs")) {
            a->o.no_system_certs = 1;
            continue;
        }
        if (!strcmp(opt, "--no-time-check")) {
            a->o.no_cert_time_check = 1;
            continue;
        }
        if (!val)
            return -1;
        i++;
        if (!strcmp(opt, "--cert") && a->o.n_trusted_certs < MAX_ARGS)
            a->certs[a->o.n_trusted_certs++] = val;
        else if (!strcmp(opt, "--aead") && a->o.n_aeads < MAX_ARGS)
            a->aeads[a->o.n_aeads++] = atoi(val);
        else if (!strcmp(opt, "--timeout"))
            a->o.timeout = atof(val);
        else if (!strcmp(opt, "-F"))
            a->filter_level = atoi(val);
        else if (!strcmp(opt, "--ntp"))
            a->ntp_port = atoi(val);
        else if (!strcmp(opt, "--quit-after"))
            a->quit_after = atof(val);
        else
            return -1;
    }
    if (a->o.n_aeads == 0)
        a->aeads[a->o.n_aeads++] = NTS_AEAD_AES_SIV_CMAC_256;
    return 0;
}

int main(int argc, char **argv)
{
    struct platform_opts po;
    struct probe_args a;
    struct probe pr;
    struct net_addr addr;
    struct platform_handlers h = {&pr, probe_next_timeout, probe_on_timer, probe_on_datagram,
                                  probe_should_quit};
    const struct env *env;
    char err[256] = "";
    memset(&addr, 0, sizeof(addr));
    if (argc < 4 || parse_args(argc, argv, &a) < 0 || !ip_addr_parse(&addr.ip, argv[2])) {
        fprintf(stderr, "usage: %s HOST ADDR PORT [options]\n", argv[0]);
        return 2;
    }
    addr.port = (uint16_t)atoi(argv[3]);
    memset(&po, 0, sizeof(po));
    po.clock = PCLOCK_NOCONTROL;
    po.log_stderr = 1;
    memset(&pr, 0, sizeof(pr));
    pr.p = platform_new(&po);
    env = platform_env(pr.p);
    if (platform_scfilter_apply(a.filter_level, err, sizeof(err)) < 0) {
        printf("scfilter: %s\n", err);
        return 1;
    }
    if (!env->nts_ke.start ||
        env->nts_ke.start(env->nts_ke.ctx, argv[1], &addr, &a.o, probe_on_result, &pr) != 0) {
        printf("start failed\n");
        return 1;
    }
    platform_run(pr.p, &h, a.quit_after > 0 ? a.quit_after : a.o.timeout + 5.0);
    if (a.quit_after > 0 && !pr.done) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        platform_free(pr.p);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("freed-after=%.1f\n",
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
        return 0;
    }
    if (!pr.done)
        printf("no result\n");
    else
        print_result(&pr.res);
    if (pr.done && pr.res.status == 0 && a.ntp_port > 0)
        probe_ntp(&pr.res, argv[2], a.ntp_port);
    platform_free(pr.p);
    return pr.done ? 0 : 1;
}
