#include "core/nts_client.h"

#include "lib/hex.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include "crypto/siv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* chrony keeps the requests with their cookie and placeholders within this size. */
#define MAX_TOTAL_COOKIE_LENGTH (NTS_MAX_COOKIES * 108)
/* Retry of a failed NTS-KE session: 16 s doubling per failure, at most 2^19 s ... and never
 * beyond the refresh interval. */
#define KE_RETRY_MIN 16.0
#define KE_RETRY_MAX_LOG2 15

void nts_client_init(struct nts_client *n, double refresh)
{
    memset(n, 0, sizeof(*n));
    n->refresh = refresh > 0.0 ? refresh : 2419200.0;
}

void nts_client_reset(struct nts_client *n)
{
    double refresh = n->refresh;
    uint32_t counter = n->ke_counter;
    mem_wipe(n, sizeof(*n));
    n->refresh = refresh;
    n->ke_counter = counter;
}

int nts_client_need_ke(const struct nts_client *n, const struct timespec *now)
{
    if (n->ke_running)
        return 0;
    if (n->ke_attempts > 0 && ts_diff(now, &n->next_ke_retry) < 0.0)
        return 0;
    if (!n->have_keys || n->n_cookies == 0 || n->nak)
        return 1;
    return ts_diff(now, &n->last_ke) >= n->refresh;
}

void nts_client_ke_started(struct nts_client *n)
{
    n->ke_running = 1;
}

static void add_cookie(struct nts_client *n, const uint8_t *data, size_t len)
{
    int slot;
    assert(n->n_cookies >= 0 && n->n_cookies <= NTS_MAX_COOKIES);
    assert(n->first >= 0 && n->first < NTS_MAX_COOKIES);
    if (len == 0 || len > NTS_MAX_COOKIE_LEN)
        return;
    if (n->n_cookies == NTS_MAX_COOKIES) {
        n->first = (n->first + 1) % NTS_MAX_COOKIES; /* drop the oldest */
        n->n_cookies--;
    }
    slot = (n->first + n->n_cookies) % NTS_MAX_COOKIES;
    memcpy(n->cookies[slot].data, data, len);
    n->cookies[slot].len = len;
    n->n_cookies++;
}

void nts_client_ke_done(struct nts_client *n, const struct timespec *now, int ok,
                        const struct nts_ke_response *resp, const uint8_t *c2s, const uint8_t *s2c,
                        size_t key_len)
{
    assert(n && now);
    n->ke_running = 0;
    if (!ok || !resp || key_len == 0 || key_len > sizeof(n->keys.c2s)) {
        int k = n->ke_attempts < KE_RETRY_MAX_LOG2 ? n->ke_attempts : KE_RETRY_MAX_LOG2;
        double wait = KE_RETRY_MIN * (double)(1 << k);
        n->ke_attempts++;
        ts_add(&n->next_ke_retry, now, wait < n->refresh ? wait : n->refresh);
        return;
    }
    assert(c2s && s2c && resp->n_cookies >= 0 && resp->n_cookies <= NTS_MAX_COOKIES);
    nts_client_reset(n);
    n->have_keys = 1;
    n->keys.aead = resp->aead;
    n->keys.key_len = key_len;
    memcpy(n->keys.c2s, c2s, key_len);
    memcpy(n->keys.s2c, s2c, key_len);
    for (int i = 0; i < resp->n_cookies; i++)
        add_cookie(n, resp->cookies[i], resp->cookie_len[i]);
    memcpy(n->ntp_server, resp->ntp_server, sizeof(n->ntp_server));
    n->ntp_server[sizeof(n->ntp_server) - 1] = '\0';
    n->ntp_port = resp->ntp_port;
    n->last_ke = *now;
    n->ke_counter++;
}

int nts_client_ready(const struct nts_client *n)
{
    return n->have_keys && n->n_cookies > 0 && !n->nak;
}

size_t nts_client_sign_request(struct nts_client *n, uint8_t *pkt, size_t len, size_t cap,
                               const uint8_t rnd[NTS_CLIENT_RANDOM_LEN])
{
    struct nts_cookie cookie;
    int wanted, placeholders;

    assert(pkt && rnd);
    if (!nts_client_ready(n))
        return 0;
    /* add_cookie() stores only cookies of 1..NTS_MAX_COOKIE_LEN bytes. */
    assert(n->n_cookies <= NTS_MAX_COOKIES && n->cookies[n->first].len >= 1 &&
           n->cookies[n->first].len <= NTS_MAX_COOKIE_LEN);
    cookie = n->cookies[n->first];
    mem_wipe(&n->cookies[n->first], sizeof(n->cookies[0]));
    n->first = (n->first + 1) % NTS_MAX_COOKIES;
    n->n_cookies--;
    /* RFC 8915 §5.7: one cookie comes back per cookie and placeholder sent; ask for the
     * store to be full again, within chrony's size limit. */
    wanted = NTS_MAX_COOKIES - n->n_cookies;
    if (wanted > (int)(MAX_TOTAL_COOKIE_LENGTH / (cookie.len + 4)))
        wanted = (int)(MAX_TOTAL_COOKIE_LENGTH / (cookie.len + 4));
    placeholders = wanted > 1 ? wanted - 1 : 0;
    memcpy(n->uid, rnd, NTS_UID_LEN);
    len = nts_ntp_build_request(pkt, len, cap, n->uid, &cookie, placeholders, &n->keys,
                                rnd + NTS_UID_LEN);
    mem_wipe(&cookie, sizeof(cookie));
    n->uid_valid = len > 0;
    return len;
}

int nts_client_check_response(struct nts_client *n, const uint8_t *pkt, size_t len)
{
    struct nts_cookie fresh[NTS_MAX_COOKIES];
    int n_fresh = 0;
    enum nts_ntp_verdict v;

    if (!n->have_keys || !n->uid_valid)
        return 0;
    v = nts_ntp_check_response(pkt, len, n->uid, &n->keys, fresh, NTS_MAX_COOKIES, &n_fresh);
    if (v == NTS_NTP_NAK) {
        /* chrony: the server lost the key of our cookies; establish new ones. */
        n->nak = 1;
        n->uid_valid = 0;
        return 0;
    }
    if (v != NTS_NTP_OK)
        return 0;
    /* One response per request: a replay of it must not pass again. */
    n->uid_valid = 0;
    for (int i = 0; i < n_fresh; i++)
        add_cookie(n, fresh[i].data, fresh[i].len);
    mem_wipe(fresh, sizeof(fresh));
    return 1;
}

void nts_client_get_report(const struct nts_client *n, int *aead, int *key_bits, int *cookies,
                           int *cookie_len, int *nak)
{
    *aead = n->have_keys ? n->keys.aead : 0;
    *key_bits = n->have_keys ? (int)(8 * n->keys.key_len) : 0;
    *cookies = n->n_cookies;
    *cookie_len = n->n_cookies ? (int)n->cookies[n->first].len : 0;
    *nak = n->nak;
}

#define DUMP_MAGIC "NNC0"

char *nts_client_dump(const struct nts_client *n, const char *name, const char *ntp_addr,
                      int ntp_port, double ke_time)
{
    size_t cap = 512 + strlen(name) + strlen(ntp_addr) +
                 (size_t)NTS_MAX_COOKIES * (2 * NTS_MAX_COOKIE_LEN + 2);
    char *text, s2c[2 * NTS_MAX_KEY_LEN + 1], c2s[2 * NTS_MAX_KEY_LEN + 1];
    size_t len;

    if (!n->have_keys || n->n_cookies < 1 || n->keys.key_len > NTS_MAX_KEY_LEN)
        return NULL;
    text = xmalloc(cap);
    hex_encode(n->keys.s2c, n->keys.key_len, s2c);
    hex_encode(n->keys.c2s, n->keys.key_len, c2s);
    len =
        (size_t)snprintf(text, cap, "%s\n%s\n%.1f\n%s %d\n%u %d %s %s\n", DUMP_MAGIC, name, ke_time,
                         ntp_addr, ntp_port, (unsigned)n->ke_counter, n->keys.aead, s2c, c2s);
    for (int i = 0; i < n->n_cookies && len < cap; i++) {
        const struct nts_cookie *c = &n->cookies[(n->first + i) % NTS_MAX_COOKIES];
        hex_encode(c->data, c->len, text + len);
        len += 2 * c->len;
        text[len++] = '\n';
        text[len] = '\0';
    }
    mem_wipe(s2c, sizeof(s2c));
    mem_wipe(c2s, sizeof(c2s));
    return text;
}

/* Decode a whole hex word into out (at most cap bytes). Returns the length, 0 if invalid. */
static size_t get_hex(const char *w, uint8_t *out, size_t cap)
{
    return hex_decode(w, strlen(w), out, cap);
}

/* Split the next line of text into at most max words (in buf). Returns the word count, or
 * -1 at the end of the text. */
static int next_words(const char *text, size_t len, size_t *off, char *buf, size_t cap, char **w,
                      int max)
{
    size_t k = 0;
    int n = 0;
    if (*off >= len)
        return -1;
    while (*off < len && text[*off] != '\n') {
        if (k + 1 < cap)
            buf[k++] = text[*off];
        (*off)++;
    }
    (*off)++;
    buf[k] = '\0';
    for (char *p = buf; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == max)
            return max + 1;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
    }
    return n;
}

static int load_keys_line(struct nts_client *t, char **w)
{
    char *end;
    unsigned long id = strtoul(w[0], &end, 10);
    long aead;

    if (*end || end == w[0])
        return 0;
    aead = strtol(w[1], &end, 10);
    if (*end || end == w[1] || nts_aead_key_len((int)aead) == 0)
        return 0;
    t->keys.aead = (int)aead;
    t->keys.key_len = get_hex(w[2], t->keys.s2c, sizeof(t->keys.s2c));
    if (t->keys.key_len != nts_aead_key_len((int)aead) ||
        get_hex(w[3], t->keys.c2s, sizeof(t->keys.c2s)) != t->keys.key_len)
        return 0;
    t->ke_counter = (uint32_t)id;
    t->have_keys = 1;
    return 1;
}

int nts_client_load(struct nts_client *n, const char *text, size_t len, const char *name,
                    char *ntp_addr, size_t addr_len, int *ntp_port, double *ke_time)
{
    char *buf = xmalloc(2 * NTS_MAX_COOKIE_LEN + 64), *w[4], *end;
    size_t off = 0, cap = 2 * NTS_MAX_COOKIE_LEN + 64;
    struct nts_client t;
    int ok = 0, k;

    nts_client_init(&t, n->refresh);
    if (next_words(text, len, &off, buf, cap, w, 1) != 1 || strcmp(w[0], DUMP_MAGIC) != 0 ||
        next_words(text, len, &off, buf, cap, w, 1) != 1 || strcmp(w[0], name) != 0 ||
        next_words(text, len, &off, buf, cap, w, 1) != 1)
        goto out;
    *ke_time = strtod(w[0], &end);
    if (*end || end == w[0] || next_words(text, len, &off, buf, cap, w, 2) != 2 ||
        strlen(w[0]) >= addr_len)
        goto out;
    memcpy(ntp_addr, w[0], strlen(w[0]) + 1);
    *ntp_port = (int)strtol(w[1], &end, 10);
    if (*end || next_words(text, len, &off, buf, cap, w, 4) != 4 || !load_keys_line(&t, w))
        goto out;
    while (t.n_cookies < NTS_MAX_COOKIES &&
           (k = next_words(text, len, &off, buf, cap, w, 1)) >= 0) {
        uint8_t c[NTS_MAX_COOKIE_LEN];
        size_t cl;
        if (k != 1 || (cl = get_hex(w[0], c, sizeof(c))) == 0)
            goto out;
        add_cookie(&t, c, cl);
    }
    ok = t.n_cookies > 0;
out:
    if (ok) {
        t.refresh = n->refresh;
        *n = t;
    }
    mem_wipe(&t, sizeof(t));
    mem_wipe(buf, cap);
    free(buf);
    return ok;
}
