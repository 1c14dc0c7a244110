/* The NTS server side of the node (RFC 8915): the server keys that seal cookies, rotated
 * every `ntsrotate` seconds, and the platform's NTS-KE server they are handed to. The NTP
 * replies themselves are made in ntp_serve.c. */
#include "daemon/ntp_serve.h"

#include "crypto/siv.h"
#include "core/clientlog.h"
#include "daemon/config.h"
#include "daemon/sched.h"
#include "lib/mem.h"
#include "lib/ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* AEADs the NTS-KE server may negotiate: those of `ntsaeads` this build supports. */
#define MAX_AEADS 16
/* The keys file in `ntsdumpdir` (chrony's name). */
#define KEYS_FILE "ntskeys"
#define KEYS_TEXT_MAX 512

static void new_key_random(struct ntp_serve *s, uint8_t *rnd, size_t len)
{
    s->env->random.bytes(s->env->random.ctx, rnd, len);
}

static int keys_path(const struct ntp_serve *s, char *buf, size_t len)
{
    int r = snprintf(buf, len, "%s/%s", s->cfg->nts_dump_dir, KEYS_FILE);
    return r > 0 && (size_t)r < len;
}

/* Save the keys with the current key's age, as chrony does: never when rotation is off
 * (`ntsrotate 0` leaves the keys to an external manager), owner-only, atomically. */
static void save_keys(struct ntp_serve *s, const struct timespec *now)
{
    const struct env_files *f = &s->env->files;
    int (*write)(void *, const char *, const void *, size_t) =
        f->write_private ? f->write_private : f->write_atomic;
    char path[4096], text[KEYS_TEXT_MAX];
    size_t len;

    if (s->cfg->nts_rotate <= 0 || !s->cfg->nts_dump_dir || !write)
        return;
    len = nts_server_keys_format(&s->nts_keys, ts_diff(now, &s->nts_key_ts), text, sizeof(text));
    if (!keys_path(s, path, sizeof(path)) || len == 0 || write(f->ctx, path, text, len) != 0)
        LOG_ERR(s->env->log, "Could not %s %s", "save", "server NTS keys");
    mem_wipe(text, sizeof(text));
}

/* Replace the keys with those of the file if it holds valid ones. Returns 1 if it did. */
static int load_keys(struct ntp_serve *s, const struct timespec *now)
{
    struct nts_server_keys ks;
    char path[4096], *text;
    size_t len = 0;
    double age;
    int ok;

    if (!s->cfg->nts_dump_dir || !s->env->files.read_all || !keys_path(s, path, sizeof(path)))
        return 0;
    text = s->env->files.read_all(s->env->files.ctx, path, &len);
    if (!text)
        return 0;
    ok = strlen(text) == len && nts_server_keys_parse(text, &ks, &age);
    mem_wipe(text, len);
    free(text);
    if (!ok) {
        LOG_ERR(s->env->log, "Could not %s %s", "load", "server NTS keys");
        return 0;
    }
    s->nts_keys = ks;
    mem_wipe(&ks, sizeof(ks));
    ts_add(&s->nts_key_ts, now, -age);
    LOG_INFO(s->env->log, "Loaded %s", "server NTS keys");
    return 1;
}

static void give_keys(struct ntp_serve *s)
{
    if (s->nts_ke_running && s->env->nts_ke_server.set_keys)
        s->env->nts_ke_server.set_keys(s->env->nts_ke_server.ctx, &s->nts_keys);
}

static void on_rotate_timer(void *arg, const struct timespec *now)
{
    struct ntp_serve *s = arg;
    uint8_t rnd[NTS_SERVER_KEY_RANDOM];

    /* chrony rotates the key sealing new cookies and keeps the previous ones, so cookies
     * issued shortly before still open. */
    new_key_random(s, rnd, sizeof(rnd));
    nts_server_keys_rotate(&s->nts_keys, rnd);
    mem_wipe(rnd, sizeof(rnd));
    s->nts_key_ts = *now;
    give_keys(s);
    save_keys(s, now);
    s->nts_rotate_timer = sched_add_after(s->sched, now, s->cfg->nts_rotate, on_rotate_timer, s);
}

/* chrony's checks of a new NTS-KE connection: the NTP allow/deny rules, then the client log
 * with `ntsratelimit`. */
static const char *admit_connection(void *arg, const struct ip_addr *ip)
{
    struct ntp_serve *s = arg;
    struct timespec now;
    int idx;

    if (!s->access || !access_check(s->access, ip))
        return "access denied";
    if (s->clientlog) {
        s->env->clock.read(s->env->clock.ctx, &now);
        idx = clientlog_log_access(s->clientlog, CLOG_NTSKE, ip, &now);
        if (clientlog_limit_rate(s->clientlog, CLOG_NTSKE, idx) != CLOG_PASS)
            return "rate limit";
    }
    return NULL;
}

static int filter_aeads(const struct config *cfg, int *out)
{
    int k = 0;

    for (size_t i = 0; i < cfg->n_nts_aeads && k < MAX_AEADS; i++)
        if (nts_aead_key_len(cfg->nts_aeads[i]) > 0)
            out[k++] = cfg->nts_aeads[i];
    return k;
}

static void start_ke_server(struct ntp_serve *s)
{
    const struct config *cfg = s->cfg;
    const struct env_nts_ke_server *ke = &s->env->nts_ke_server;
    struct nts_ke_server_opts o;
    int aeads[MAX_AEADS];
    char err[256] = "";

    if (!ke->start) {
        LOG_WARN(s->env->log, "NTS-KE server not available");
        return;
    }
    memset(&o, 0, sizeof(o));
    o.certs = (const char *const *)cfg->nts_server_certs;
    o.keys = (const char *const *)cfg->nts_server_keys;
    o.n_certs = cfg->n_nts_server_certs;
    o.bind4 = cfg->bind_addr4;
    o.bind6 = cfg->bind_addr6;
    o.device = cfg->bind_device;
    o.port = cfg->nts_port;
    o.family = s->family;
    o.aeads = aeads;
    o.n_aeads = filter_aeads(cfg, aeads);
    o.ntp_server = cfg->nts_ntp_server;
    o.ntp_port = cfg->port;
    o.max_connections = cfg->nts_max_connections;
    o.admit = admit_connection;
    o.admit_arg = s;
    o.processes = cfg->nts_processes;
    o.user = s->user;
    o.scfilter = s->scfilter;
    if (ke->start(ke->ctx, &o, err, sizeof(err)) < 0) {
        LOG_ERR(s->env->log, "Could not start NTS-KE server : %s", err[0] ? err : "unknown error");
        return;
    }
    s->nts_ke_running = 1;
    give_keys(s);
}

int serve_nts_start(struct ntp_serve *s, char *err, size_t errlen)
{
    const struct config *cfg = s->cfg;
    uint8_t rnd[NTS_SERVER_KEYS_RANDOM];
    struct timespec now;
    double delay;

    if (cfg->n_nts_server_certs == 0 && cfg->n_nts_server_keys == 0)
        return 0;
    /* chrony refuses to start with certificates and keys that do not pair up. */
    if (cfg->n_nts_server_certs != cfg->n_nts_server_keys) {
        snprintf(err, errlen, "Uneven number of NTS certs and keys");
        return -1;
    }
    s->nts_enabled = 1;
    s->env->clock.read(s->env->clock.ctx, &now);
    new_key_random(s, rnd, sizeof(rnd));
    nts_server_keys_init(&s->nts_keys, rnd);
    mem_wipe(rnd, sizeof(rnd));
    s->nts_key_ts = now;
    start_ke_server(s);
    /* Keys saved by a previous run keep its cookies valid; else the new keys are saved. */
    if (!load_keys(s, &now))
        save_keys(s, &now);
    give_keys(s);
    if (cfg->nts_rotate > 0) {
        /* The next rotation comes when the current key is ntsrotate old. */
        delay = cfg->nts_rotate - ts_diff(&now, &s->nts_key_ts);
        s->nts_rotate_timer =
            sched_add_after(s->sched, &now, delay > 0.0 ? delay : 0.0, on_rotate_timer, s);
    }
    if (!cfg->nts_dump_dir)
        LOG_WARN(s->env->log, "No ntsdumpdir to save server keys");
    return 0;
}

void serve_nts_stop(struct ntp_serve *s)
{
    if (s->nts_enabled) {
        struct timespec now;
        s->env->clock.read(s->env->clock.ctx, &now);
        save_keys(s, &now);
    }
    if (s->nts_ke_running && s->env->nts_ke_server.stop)
        s->env->nts_ke_server.stop(s->env->nts_ke_server.ctx);
    s->nts_ke_running = 0;
    sched_cancel(s->sched, s->nts_rotate_timer);
    s->nts_rotate_timer = 0;
    s->nts_enabled = 0;
    mem_wipe(&s->nts_keys, sizeof(s->nts_keys));
}

void serve_nts_dump_keys(struct ntp_serve *s, const struct timespec *now)
{
    if (s->nts_enabled)
        save_keys(s, now);
}

void serve_nts_reload_keys(struct ntp_serve *s, const struct timespec *now)
{
    /* chrony does not reload keys it rotates itself (the next rotation would move). */
    if (!s->nts_enabled || s->cfg->nts_rotate > 0)
        return;
    if (load_keys(s, now))
        give_keys(s);
}
