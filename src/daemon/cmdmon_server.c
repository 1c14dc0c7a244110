/* The command server's sockets and the processing order of spec cmdmon.md
 * section 3.3; the command handlers are in cmdmon_handlers.c. */
#include "daemon/cmdmon_server.h"

#include "core/access.h"
#include "core/clientlog.h"
#include "daemon/config.h"
#include "lib/rng.h"
#include "lib/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The client log takes its limits from the configuration: chrony's
 * `ratelimit`, `ntsratelimit` and `cmdratelimit`, `clientloglimit` and
 * `noclientlog`. */
static void clientlog_params_from_config(const struct config *cfg, struct clientlog_params *p)
{
    const struct ratelimit_cfg *rl[CLOG_N_SERVICES] = {&cfg->ratelimit, &cfg->ntsratelimit,
                                                       &cfg->cmdratelimit};
    memset(p, 0, sizeof(*p));
    p->active = !cfg->noclientlog;
    p->limit_bytes = cfg->clientloglimit;
    for (int s = 0; s < CLOG_N_SERVICES; s++) {
        p->limits[s].enabled = rl[s]->enabled;
        p->limits[s].interval = rl[s]->interval;
        p->limits[s].burst = rl[s]->burst;
        p->limits[s].leak = rl[s]->leak;
        p->limits[s].kod = s == CLOG_NTP ? rl[s]->kod : 0;
    }
}

void cmdmon_server_init(struct cmdmon_server *c, struct rng *rng)
{
    struct clientlog_params p;
    uint64_t seed = rng_u64(rng);

    c->unix_sock = c->udp_socks[0] = c->udp_socks[1] = -1;
    clientlog_params_from_config(c->cfg, &p);
    c->clientlog = clientlog_new(&p, seed);
    if (!c->clientlog) {
        /* Refused combination; keep an inactive log so the node stays usable
         * and let cmdmon_server_start report the error. */
        c->bad_config = 1;
        memset(p.limits, 0, sizeof(p.limits));
        c->clientlog = clientlog_new(&p, seed);
    }
}

size_t cmdmon_server_worker_log_bytes(const struct cmdmon_server *c)
{
    struct clientlog_params p;

    clientlog_params_from_config(c->cfg, &p);
    return c->bad_config ? 0 : clientlog_shared_bytes(&p);
}

struct clientlog *cmdmon_server_worker_log_new(const struct cmdmon_server *c, void *mem,
                                               struct rng *rng, uint64_t *seed)
{
    struct clientlog_params p;

    clientlog_params_from_config(c->cfg, &p);
    *seed = rng_u64(rng);
    return c->bad_config ? NULL : clientlog_new_in(&p, *seed, mem);
}

int cmdmon_server_add_worker_log(struct cmdmon_server *c, void *mem, uint64_t seed)
{
    struct clientlog_params p;
    struct clientlog *v;

    if (c->n_worker_logs >= CMDMON_MAX_WORKER_LOGS)
        return -1;
    clientlog_params_from_config(c->cfg, &p);
    v = clientlog_view(&p, seed, mem);
    if (!v)
        return -1;
    c->worker_logs[c->n_worker_logs] = v;
    return c->n_worker_logs++;
}

void cmdmon_server_worker_log_ended(struct cmdmon_server *c, int k)
{
    if (k >= 0 && k < c->n_worker_logs)
        clientlog_view_orphan(c->worker_logs[k]);
}

static void close_sockets(struct cmdmon_server *c)
{
    const struct env_net *net = &c->env->net;

    if (c->unix_sock >= 0)
        net->close(net->ctx, c->unix_sock);
    c->unix_sock = -1;
    for (int i = 0; i < 2; i++) {
        if (c->udp_socks[i] >= 0)
            net->close(net->ctx, c->udp_socks[i]);
        c->udp_socks[i] = -1;
    }
    if (c->unix_path) {
        /* chronyd removes its socket file at exit (spec 1.2). */
        c->env->files.remove(c->env->files.ctx, c->unix_path);
        free(c->unix_path);
        c->unix_path = NULL;
    }
}

void cmdmon_server_fini(struct cmdmon_server *c)
{
    close_sockets(c);
    access_free(c->access);
    c->access = NULL;
    clientlog_free(c->clientlog);
    c->clientlog = NULL;
    for (int i = 0; i < c->n_worker_logs; i++)
        clientlog_free(c->worker_logs[i]);
    c->n_worker_logs = 0;
}

static int open_udp(struct cmdmon_server *c, enum ip_family fam, const struct ip_addr *bind)
{
    struct net_addr local;
    struct net_sock_opts so;
    char buf[IP_ADDR_STRLEN];
    int e = 0, s;

    memset(&local, 0, sizeof(local));
    memset(&so, 0, sizeof(so));
    so.device = c->cfg->bind_cmd_device;
    ip_addr_bind_or_loopback(&local.ip, bind, fam);
    local.port = (uint16_t)c->cfg->cmdport;
    s = c->env->net.udp_open(c->env->net.ctx, &local, NETF_SERVER | NETF_REUSE, &so, &e);
    if (s < 0)
        LOG_ERR(c->env->log,
                fam == IPF_INET6 ? "Could not open command socket on [%s]:%d"
                                 : "Could not open command socket on %s:%d",
                ip_addr_format(&local.ip, buf, sizeof(buf)), c->cfg->cmdport);
    return s;
}

/* Directory of path (up to the last '/'), "/" for files in the root. */
static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;

    if (n == 0) {
        snprintf(dir, len, "%s", slash ? "/" : ".");
        return;
    }
    snprintf(dir, len, "%.*s", (int)n, path);
}

static void open_unix(struct cmdmon_server *c)
{
    const char *path = c->cfg->bindcmd_path;
    char dir[256], why[256];
    int e = 0;

    dir_of(path, dir, sizeof(dir));
    why[0] = '\0';
    /* The directory is the access control of the socket (spec 1.2). */
    if (c->env->files.prepare_dir(c->env->files.ctx, dir, 0770, why, sizeof(why)) != 0) {
        if (why[0])
            LOG_ERR(c->env->log, "%s", why);
        LOG_ERR(c->env->log, "Disabled command socket %s", path);
        return;
    }
    c->unix_sock = c->env->net.unix_open(c->env->net.ctx, path, &e);
    if (c->unix_sock < 0) {
        LOG_ERR(c->env->log, "Could not open command socket on %s", path);
        return;
    }
    c->unix_path = xstrdup(path);
}

int cmdmon_server_start(struct cmdmon_server *c, char *err, size_t errlen)
{
    const struct config *cfg = c->cfg;
    char why[256];

    if (c->bad_config) {
        snprintf(err, errlen, "Rate limiting cannot be enabled with noclientlog");
        return -1;
    }
    c->access = config_build_access(cfg->cmd_rules, cfg->n_cmd_rules, why, sizeof(why));
    if (!c->access) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    /* As chrony, the Unix socket can wait until privileges are dropped so that
     * its file belongs to the run-as user (cmdmon_server_open_unix). */
    if (!c->defer_unix_socket)
        cmdmon_server_open_unix(c);
    if (cfg->cmdport > 0) {
        if (c->family != 6)
            c->udp_socks[0] = open_udp(c, IPF_INET4, &cfg->bindcmd_addr4);
        if (c->family != 4)
            c->udp_socks[1] = open_udp(c, IPF_INET6, &cfg->bindcmd_addr6);
    }
    return 0;
}

void cmdmon_server_open_unix(struct cmdmon_server *c)
{
    if (c->unix_sock < 0 && c->cfg->bindcmd_path && c->cfg->bindcmd_path[0])
        open_unix(c);
}

int cmdmon_server_is_open(unsigned open_commands, uint16_t command)
{
    static const struct {
        uint16_t command;
        unsigned bits; /* any of these `opencommands` names opens it */
    } map[] = {
        {CMDMON_REQ_ACTIVITY, CFG_OPEN_ACTIVITY},
        {CMDMON_REQ_N_SOURCES, CFG_OPEN_AUTHDATA | CFG_OPEN_NTPDATA | CFG_OPEN_SELECTDATA |
                                   CFG_OPEN_SOURCES | CFG_OPEN_SOURCESTATS},
        {CMDMON_REQ_AUTH_DATA, CFG_OPEN_AUTHDATA},
        {CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, CFG_OPEN_CLIENTS},
        {CMDMON_REQ_MANUAL_LIST, CFG_OPEN_MANUAL},
        {CMDMON_REQ_NTP_DATA, CFG_OPEN_NTPDATA},
        {CMDMON_REQ_RTCREPORT, CFG_OPEN_RTCDATA},
        {CMDMON_REQ_SELECT_DATA, CFG_OPEN_SELECTDATA},
        {CMDMON_REQ_SERVER_STATS, CFG_OPEN_SERVERSTATS},
        {CMDMON_REQ_SMOOTHING, CFG_OPEN_SMOOTHING},
        {CMDMON_REQ_NTP_SOURCE_NAME, CFG_OPEN_SOURCENAME},
        {CMDMON_REQ_SOURCE_DATA, CFG_OPEN_SOURCES},
        {CMDMON_REQ_SOURCESTATS, CFG_OPEN_SOURCESTATS},
        {CMDMON_REQ_TRACKING, CFG_OPEN_TRACKING},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].command == command)
            return (map[i].bits & open_commands) != 0;
    return 0;
}

/* Exactly 127.0.0.1 or ::1 (spec 1.1), not the whole loopback range. */
static int is_localhost(const struct ip_addr *ip)
{
    static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    if (ip->family == IPF_INET4)
        return ip_addr_v4(ip) == 0x7f000001u;
    return ip->family == IPF_INET6 && memcmp(ip->a, v6, 16) == 0;
}

/* Spec 3.3 step 4: count the request and apply `cmdratelimit` (never to
 * localhost or the Unix socket). Returns 1 if the request must be dropped. */
static int account(struct cmdmon_server *c, const struct cmdmon_origin *from,
                   const struct timespec *now)
{
    int idx, local = from->unix_socket || is_localhost(&from->ip);

    idx = clientlog_log_access(c->clientlog, CLOG_CMD, from->unix_socket ? NULL : &from->ip, now);
    return !local && idx >= 0 && clientlog_limit_rate(c->clientlog, CLOG_CMD, idx);
}

size_t cmdmon_server_process(struct cmdmon_server *c, const struct cmdmon_origin *from,
                             const uint8_t *buf, size_t len, const struct timespec *now,
                             uint8_t *out, size_t cap)
{
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    enum cmdmon_verdict v;

    /* Step 1: UDP sources other than localhost need the command ACL. */
    if (!from->unix_socket && !is_localhost(&from->ip) &&
        !(c->access && access_check(c->access, &from->ip)))
        return 0;
    /* Steps 2, 3 (size and header) come before the accounting; the decoder also
     * runs the version, command and length checks (steps 6-8), whose error
     * replies are sent only after the request was counted. Lenient: requests
     * of 4.0-4.5 clients get the reply variant their length allows (spec 10.3). */
    v = cmdmon_decode_request(buf, len, &req, 1);
    if (v == CMDMON_DROP_SIZE || v == CMDMON_DROP_HEADER)
        return 0;
    if (account(c, from, now) || v == CMDMON_DROP_VERSION)
        return 0;
    if (v != CMDMON_OK) {
        int st = cmdmon_verdict_status(v);
        if (st < 0)
            return 0;
        cmdmon_reply_init(&rpy, &req, (uint16_t)st);
    } else if (!from->unix_socket && !cmdmon_server_is_open(c->cfg->open_commands, req.command)) {
        cmdmon_reply_init(&rpy, &req, CMDMON_STT_UNAUTH); /* step 9 */
    } else {
        cmdmon_reply_init(&rpy, &req, CMDMON_STT_SUCCESS);
        cmdmon_execute(c, &req, now, &rpy); /* step 10 */
    }
    /* Step 11: the encoder refuses a reply longer than the request. */
    return cmdmon_encode_reply(&rpy, out, cap, len);
}

int cmdmon_server_on_datagram(struct cmdmon_server *c, const struct net_rx *rx,
                              const struct timespec *now)
{
    uint8_t reply[CMDMON_MAX_RPY_LEN];
    struct cmdmon_origin from;
    size_t len;

    memset(&from, 0, sizeof(from));
    if (rx->sock >= 0 && rx->sock == c->unix_sock) {
        from.unix_socket = 1;
        /* An unbound client cannot be answered (spec 1.2, 3.3 step 1). */
        if (!rx->remote.path[0]) {
            c->dropped++;
            return 1;
        }
    } else if (rx->sock >= 0 && (rx->sock == c->udp_socks[0] || rx->sock == c->udp_socks[1])) {
        from.ip = rx->remote.ip;
    } else {
        return 0;
    }
    len = cmdmon_server_process(c, &from, rx->data, rx->len, now, reply, sizeof(reply));
    if (!len) {
        c->dropped++;
        return 1;
    }
    if (c->env->net.send(c->env->net.ctx, rx->sock, &rx->remote,
                         from.unix_socket ? NULL : &rx->local, reply, len) < 0)
        c->send_errors++;
    return 1;
}
