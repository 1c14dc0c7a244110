/* The NTS server side of the node (RFC 8915): the server keys that seal cookies, rotated
 * every `ntsrotate` seconds, and the platform's NTS-KE server they are handed to. The NTP
 * replies themselves are made in ntp_serve.c. */
#include "daemon/ntp_serve.h"

#include "crypto/siv.h"
#include "daemon/config.h"
#include "daemon/sched.h"
#include "lib/mem.h"

#include <stdio.h>
#include <string.h>

/* AEADs the NTS-KE server may negotiate: those of `ntsaeads` this build supports. */
#define MAX_AEADS 16

static void new_key_random(struct ntp_serve *s, uint8_t rnd[NTS_SERVER_KEY_RANDOM])
{
    s->env->random.bytes(s->env->random.ctx, rnd, NTS_SERVER_KEY_RANDOM);
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
    new_key_random(s, rnd);
    nts_server_keys_rotate(&s->nts_keys, rnd);
    mem_wipe(rnd, sizeof(rnd));
    give_keys(s);
    s->nts_rotate_timer = sched_add_after(s->sched, now, s->cfg->nts_rotate, on_rotate_timer, s);
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
    o.port = cfg->nts_port;
    o.family = s->family;
    o.aeads = aeads;
    o.n_aeads = filter_aeads(cfg, aeads);
    o.ntp_server = cfg->nts_ntp_server;
    o.ntp_port = cfg->port;
    o.max_connections = cfg->nts_max_connections;
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
    uint8_t rnd[NTS_SERVER_KEY_RANDOM];
    struct timespec now;

    if (cfg->n_nts_server_certs == 0 && cfg->n_nts_server_keys == 0)
        return 0;
    /* chrony refuses to start with certificates and keys that do not pair up. */
    if (cfg->n_nts_server_certs != cfg->n_nts_server_keys) {
        snprintf(err, errlen, "Uneven number of NTS certificates and keys");
        return -1;
    }
    s->nts_enabled = 1;
    new_key_random(s, rnd);
    nts_server_keys_init(&s->nts_keys, rnd);
    mem_wipe(rnd, sizeof(rnd));
    if (cfg->nts_rotate > 0) {
        s->env->clock.read(s->env->clock.ctx, &now);
        s->nts_rotate_timer = sched_add_after(s->sched, &now, cfg->nts_rotate, on_rotate_timer, s);
    }
    /* Not done: saving the keys to `ntsdumpdir` (chrony's ntskeys) for a restart. */
    start_ke_server(s);
    return 0;
}

void serve_nts_stop(struct ntp_serve *s)
{
    if (s->nts_ke_running && s->env->nts_ke_server.stop)
        s->env->nts_ke_server.stop(s->env->nts_ke_server.ctx);
    s->nts_ke_running = 0;
    sched_cancel(s->sched, s->nts_rotate_timer);
    s->nts_rotate_timer = 0;
    s->nts_enabled = 0;
    mem_wipe(&s->nts_keys, sizeof(s->nts_keys));
}

void serve_nts_ke_stats(const struct ntp_serve *s, uint64_t *accepted, uint64_t *dropped)
{
    *accepted = 0;
    *dropped = 0;
    if (s->nts_ke_running && s->env->nts_ke_server.get_stats)
        s->env->nts_ke_server.get_stats(s->env->nts_ke_server.ctx, accepted, dropped);
}
