/* Fuzz target: the daemon's command request processing (cmdmon_server_process,
 * spec cmdmon.md 3.3) on a node built with a minimal in-memory environment.
 * Each input is handled as a request from an allowed remote UDP address, from
 * UDP localhost and from the Unix socket (full access), in that order, so the
 * client log holds records when a `clients` request arrives last. A fake
 * synchronisation engine answers reports with bytes taken from the end of the
 * input, so reply encoding also sees hostile values (NaN, huge numbers).
 * The input is also read as a sequence of requests (see run_sequence).
 * Oracle: never a crash, and never a reply longer than the request. */
#include "daemon/cmdmon_server.h"
#include "daemon/config.h"
#include "daemon/node.h"
#include "daemon/node_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- minimal environment: fixed clock, accepting network, no files ---- */

struct fz_env {
    struct env env;
    struct logger log;
    int next_sock;
};

static void fz_clock_read(void *ctx, struct timespec *out)
{
    (void)ctx;
    out->tv_sec = 1700000000;
    out->tv_nsec = 123456789;
}

static int fz_can_control(void *ctx)
{
    (void)ctx;
    return 0;
}

static int fz_set_freq(void *ctx, double freq_ppm)
{
    (void)ctx;
    (void)freq_ppm;
    return -1;
}

static double fz_get_freq(void *ctx)
{
    (void)ctx;
    return 0.0;
}

static int fz_step(void *ctx, double offset)
{
    (void)ctx;
    (void)offset;
    return -1;
}

static int fz_set_leap(void *ctx, int leap, int tai_offset)
{
    (void)ctx;
    (void)leap;
    (void)tai_offset;
    return 0;
}

static void fz_set_sync_status(void *ctx, int synced, double est_error, double max_error)
{
    (void)ctx;
    (void)synced;
    (void)est_error;
    (void)max_error;
}

static int fz_udp_open(void *ctx, const struct net_addr *local, int flags,
                       const struct net_sock_opts *opts, int *err)
{
    struct fz_env *f = ctx;
    (void)local;
    (void)flags;
    (void)opts;
    (void)err;
    return f->next_sock++;
}

static int fz_unix_open(void *ctx, const char *path, int *err)
{
    struct fz_env *f = ctx;
    (void)path;
    (void)err;
    return f->next_sock++;
}

static void fz_close(void *ctx, int sock)
{
    (void)ctx;
    (void)sock;
}

static int fz_send(void *ctx, int sock, const struct net_addr *remote, const struct net_addr *local,
                   const void *buf, size_t len)
{
    (void)ctx;
    (void)sock;
    (void)remote;
    (void)local;
    (void)buf;
    (void)len;
    return 0;
}

static char *fz_read_all(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    (void)path;
    if (len)
        *len = 0;
    return NULL;
}

static int fz_write(void *ctx, const char *path, const void *data, size_t len)
{
    (void)ctx;
    (void)path;
    (void)data;
    (void)len;
    return -1;
}

static char **fz_list_glob(void *ctx, const char *pattern, int *n)
{
    (void)ctx;
    (void)pattern;
    *n = 0;
    return NULL;
}

static int fz_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    (void)ctx;
    (void)path;
    (void)mode;
    (void)err;
    (void)errlen;
    return 0;
}

static int fz_remove(void *ctx, const char *path)
{
    (void)ctx;
    (void)path;
    return 0;
}

static int fz_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb, void *arg)
{
    (void)ctx;
    (void)name;
    (void)family;
    (void)cb;
    (void)arg;
    return -1;
}

static void fz_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x5a, len);
}

static void fz_log_write(void *ctx, enum log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)msg;
}

static void fz_env_init(struct fz_env *f)
{
    memset(f, 0, sizeof(*f));
    f->next_sock = 3;
    f->log.write = fz_log_write;
    f->log.min_level = LOGL_DEBUG; /* format every message */
    f->env.clock =
        (struct env_clock){f,           fz_clock_read, fz_can_control, fz_set_freq,
                           fz_get_freq, fz_step,       fz_set_leap,    fz_set_sync_status};
    f->env.net = (struct env_net){f, fz_udp_open, fz_unix_open, fz_close, fz_send, NULL, NULL};
    f->env.files =
        (struct env_files){f,         fz_read_all, fz_write, fz_write, fz_list_glob, fz_prepare_dir,
                           fz_remove, fz_write,    NULL,     NULL,     NULL};
    f->env.resolver = (struct env_resolver){f, fz_resolve};
    f->env.random = (struct env_random){f, fz_random};
    f->env.log = &f->log;
}

/* ---- fake synchronisation engine fed from the input's tail ---- */

struct fz_engine {
    const uint8_t *data;
    size_t size;
};

/* Fill out with input bytes read backwards from the end (zeros past the start). */
static void fz_fill(const struct fz_engine *e, void *out, size_t len)
{
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++)
        o[i] = i < e->size ? e->data[e->size - 1 - i] : 0;
}

static int fz_n_sources(void *ctx)
{
    const struct fz_engine *e = ctx;
    return e->size ? e->data[e->size - 1] % 5 : 0;
}

static int fz_indexed(void *ctx, int index, void *out, size_t len)
{
    if (index < 0 || index >= fz_n_sources(ctx))
        return CMDMON_STT_NOSUCHSOURCE;
    fz_fill(ctx, out, len);
    return CMDMON_STT_SUCCESS;
}

static int fz_source_data(void *ctx, int index, const struct timespec *now,
                          struct cmdmon_source_data *out)
{
    (void)now;
    return fz_indexed(ctx, index, out, sizeof(*out));
}

static int fz_sourcestats(void *ctx, int index, const struct timespec *now,
                          struct cmdmon_sourcestats *out)
{
    (void)now;
    return fz_indexed(ctx, index, out, sizeof(*out));
}

static int fz_select_data(void *ctx, int index, const struct timespec *now,
                          struct cmdmon_select_data *out)
{
    (void)now;
    return fz_indexed(ctx, index, out, sizeof(*out));
}

static int fz_auth_data(void *ctx, const struct cmdmon_addr *addr, const struct timespec *now,
                        struct cmdmon_auth_data *out)
{
    (void)addr;
    (void)now;
    return fz_indexed(ctx, 0, out, sizeof(*out));
}

static int fz_ntp_data(void *ctx, const struct cmdmon_addr *addr, struct cmdmon_ntp_data *out)
{
    (void)addr;
    return fz_indexed(ctx, 0, out, sizeof(*out));
}

static int fz_source_name(void *ctx, const struct cmdmon_addr *addr, uint8_t name[CMDMON_NAME_LEN])
{
    (void)addr;
    return fz_indexed(ctx, 0, name, CMDMON_NAME_LEN);
}

static int fz_tracking(void *ctx, const struct timespec *now, struct cmdmon_tracking *out)
{
    (void)now;
    return fz_indexed(ctx, 0, out, sizeof(*out)) == CMDMON_STT_SUCCESS;
}

static void fz_activity(void *ctx, struct cmdmon_activity *out)
{
    fz_fill(ctx, out, sizeof(*out));
}

static int fz_control(void *ctx, const struct cmdmon_request *req, const struct timespec *now)
{
    const struct fz_engine *e = ctx;
    (void)req;
    (void)now;
    /* Some of the time "not handled", otherwise any status. */
    if (e->size < 2 || e->data[e->size - 2] & 1)
        return -1;
    return e->data[e->size - 2] >> 1;
}

/* The input's engine while a request is processed. */
static const struct fz_engine *fz_current;

static int fz_status(int st, uint16_t code, struct cmdmon_reply *rpy)
{
    rpy->status = (uint16_t)st;
    if (st == CMDMON_STT_SUCCESS)
        rpy->reply = code;
    return st;
}

/* The sources' commands answered from the input: any report body, any status. */
static void fz_handle(struct node *n, const struct cmdmon_request *req, const struct timespec *now,
                      struct cmdmon_reply *rpy)
{
    void *e = (void *)fz_current;
    const struct cmdmon_addr *a = &req->u.address.ip;
    int st;

    (void)n;
    switch (req->command) {
    case CMDMON_REQ_N_SOURCES:
        rpy->reply = CMDMON_RPY_N_SOURCES;
        rpy->u.n_sources.n_sources = (uint32_t)fz_n_sources(e);
        break;
    case CMDMON_REQ_SOURCE_DATA:
        fz_status(fz_source_data(e, req->u.index.index, now, &rpy->u.source_data),
                  CMDMON_RPY_SOURCE_DATA, rpy);
        break;
    case CMDMON_REQ_SOURCESTATS:
        fz_status(fz_sourcestats(e, req->u.index.index, now, &rpy->u.sourcestats),
                  CMDMON_RPY_SOURCESTATS, rpy);
        break;
    case CMDMON_REQ_SELECT_DATA:
        fz_status(fz_select_data(e, req->u.index.index, now, &rpy->u.select_data),
                  CMDMON_RPY_SELECT_DATA, rpy);
        break;
    case CMDMON_REQ_AUTH_DATA:
        fz_status(fz_auth_data(e, a, now, &rpy->u.auth_data), CMDMON_RPY_AUTH_DATA, rpy);
        break;
    case CMDMON_REQ_NTP_DATA:
        fz_status(fz_ntp_data(e, a, &rpy->u.ntp_data),
                  req->length >= cmdmon_reply_length(CMDMON_RPY_NTP_DATA2) ? CMDMON_RPY_NTP_DATA2
                                                                           : CMDMON_RPY_NTP_DATA,
                  rpy);
        break;
    case CMDMON_REQ_NTP_SOURCE_NAME:
        fz_status(fz_source_name(e, a, rpy->u.source_name.name), CMDMON_RPY_NTP_SOURCE_NAME, rpy);
        break;
    case CMDMON_REQ_TRACKING:
        rpy->reply = CMDMON_RPY_TRACKING;
        (void)fz_tracking(e, now, &rpy->u.tracking);
        break;
    case CMDMON_REQ_ACTIVITY:
        rpy->reply = CMDMON_RPY_ACTIVITY;
        fz_activity(e, &rpy->u.activity);
        break;
    default:
        st = fz_control(e, req, now);
        rpy->status = (uint16_t)(st < 0 ? CMDMON_STT_INVALID : st);
        break;
    }
}

/* The node's command table with the sources' handlers replaced by fz_handle. */
static struct cmdmon_command fz_commands[CMDMON_REQ_CODE_LIMIT];

static void fz_install(struct node *n)
{
    size_t k = n->cmd.n_commands < CMDMON_REQ_CODE_LIMIT ? n->cmd.n_commands : 0;

    for (size_t i = 0; i < k; i++) {
        fz_commands[i] = n->cmd.commands[i];
        if (fz_commands[i].handle == node_h_sources_n_sources ||
            fz_commands[i].handle == node_h_sources_indexed ||
            fz_commands[i].handle == node_h_sources_addressed ||
            fz_commands[i].handle == node_h_sources_tracking ||
            fz_commands[i].handle == node_h_sources_activity ||
            fz_commands[i].handle == node_h_sources_control)
            fz_commands[i].handle = fz_handle;
    }
    n->cmd.commands = fz_commands;
    n->cmd.n_commands = k;
}

/* ---- the target ---- */

/* Two daemons: rate limiting and a `local` reference; then no client log,
 * smoothing, manual input and every address allowed. */
static const char *const config_a[] = {
    "bindcmdaddress /var/run/chrony/chronyd.sock",
    "cmdallow 192.0.2.0/24",
    "allow 198.51.100.0/24",
    "local stratum 10",
    "cmdratelimit interval -4 burst 16",
    NULL,
};

static const char *const config_b[] = {
    "bindcmdaddress /var/run/chrony/chronyd.sock",
    "cmdallow all",
    "noclientlog",
    "smoothtime 400 0.001 leaponly",
    "manual",
    NULL,
};

static void process(struct node *n, const struct cmdmon_origin *from, const uint8_t *data,
                    size_t size, const struct timespec *now)
{
    uint8_t out[CMDMON_MAX_RPY_LEN];
    size_t r = cmdmon_server_process(&n->cmd, from, data, size, now, out, sizeof(out));
    if (r > size || r > sizeof(out))
        abort();
}

static struct node *make_node(struct fz_env *f, struct config *cfg, const char *const *lines,
                              struct fz_engine *engine, struct timespec *now)
{
    struct node_opts opts = {.family = 0, .precision = 1e-8};
    struct node *n;
    char err[256];

    fz_env_init(f);
    for (int i = 0; lines[i]; i++)
        if (config_parse_line(cfg, lines[i], NULL, i + 1, &f->env.files, err, sizeof(err)) != 0)
            abort();
    n = node_new(cfg, &f->env, &opts);
    fz_clock_read(f, now);
    if (node_start(n, now, err, sizeof(err)) != 0)
        abort();
    fz_current = engine;
    if (engine)
        fz_install(n);
    return n;
}

/* The whole input as one request from three origins. */
static void run(const uint8_t *data, size_t size, const char *const *lines, int with_engine)
{
    struct fz_env f;
    struct fz_engine engine = {data, size};
    struct timespec now;
    struct cmdmon_origin from;
    struct config *cfg = config_new();
    struct node *n = make_node(&f, cfg, lines, with_engine ? &engine : NULL, &now);

    memset(&from, 0, sizeof(from));
    ip_addr_parse(&from.ip, "192.0.2.7");
    process(n, &from, data, size, &now);
    ip_addr_parse(&from.ip, "127.0.0.1");
    now.tv_sec += 1;
    process(n, &from, data, size, &now);
    memset(&from, 0, sizeof(from));
    from.unix_socket = 1;
    now.tv_sec += 1;
    process(n, &from, data, size, &now);

    node_free(n);
    config_free(cfg);
}

/* The input as a sequence of requests, so that state changed by one command
 * (allow/deny, local, manual, client records) meets the next. Each record is
 * a header byte (bits 0-1: high bits of the length, 2-3: origin, 4-7: seconds
 * to wait), a length byte and the request. */
static void run_sequence(const uint8_t *data, size_t size)
{
    static const char *const origins[4] = {NULL, "127.0.0.1", "192.0.2.7", "::1"};
    struct fz_env f;
    struct fz_engine engine = {data, size};
    struct timespec now;
    struct config *cfg = config_new();
    struct node *n = make_node(&f, cfg, config_a, &engine, &now);
    size_t pos = 0;

    while (pos + 2 <= size) {
        struct cmdmon_origin from;
        uint8_t h = data[pos];
        size_t len = (size_t)data[pos + 1] | (size_t)(h & 3) << 8;
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        memset(&from, 0, sizeof(from));
        if (origins[h >> 2 & 3])
            ip_addr_parse(&from.ip, origins[h >> 2 & 3]);
        else
            from.unix_socket = 1;
        now.tv_sec += h >> 4;
        process(n, &from, data + pos, len, &now);
        pos += len;
    }
    node_free(n);
    config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, config_a, 0);
    run(data, size, config_b, 1);
    run_sequence(data, size);
    return 0;
}
