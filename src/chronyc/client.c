/* chronyc command dispatch, request/status handling and client-only
 * commands (spec 3.4, 5.3, 8.15). */
#include "chronyc/client.h"

#include "chronyc/render.h"
#include "lib/scan.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reverse DNS without a numeric fallback: numeric forms are never cut. */
static int reverse_lookup(void *ctx, const struct cmdmon_addr *a, char *buf, size_t len)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    socklen_t sl;

    (void)ctx;
    if (a->family == CMDMON_AF_INET4) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        memcpy(&sin.sin_addr, a->bytes, 4);
        sa = (struct sockaddr *)&sin;
        sl = sizeof(sin);
    } else if (a->family == CMDMON_AF_INET6) {
        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        memcpy(&sin6.sin6_addr, a->bytes, 16);
        sa = (struct sockaddr *)&sin6;
        sl = sizeof(sin6);
    } else {
        return 0;
    }
    return getnameinfo(sa, sl, buf, (socklen_t)len, NULL, 0, NI_NAMEREQD) == 0;
}

/* -N: NTP_SOURCE_NAME; a failing request prints its status line (spec 8.3). */
static int source_name_lookup(void *ctx, const struct cmdmon_addr *a, char *buf, size_t len)
{
    struct chronyc *c = ctx;
    struct cmdmon_request req;
    struct cmdmon_reply rpy;

    chronyc_request_init(&req, CMDMON_REQ_NTP_SOURCE_NAME);
    req.u.address.ip = *a;
    if (!chronyc_request(c, &req, &rpy, CMDMON_RPY_NTP_SOURCE_NAME, 0) ||
        !names_source_name_valid(rpy.u.source_name.name))
        return 0;
    snprintf(buf, len, "%s", (const char *)rpy.u.source_name.name);
    return 1;
}

void chronyc_init(struct chronyc *c, FILE *f, FILE *err)
{
    memset(c, 0, sizeof(*c));
    out_init(&c->out, f, OUT_TEXT);
    c->err = err;
    c->names.reverse = reverse_lookup;
    c->names.source_name = source_name_lookup;
    c->names.ctx = c;
    c->tr.fd = -1;
    c->tr.current = -1;
    c->tr.timeout_ms = 1000;
    c->tr.max_retries = 2;
    c->tr.version = CMDMON_PROTO_VERSION;
}

int chronyc_done(const struct chronyc *c)
{
    return c->quit || (c->stop && *c->stop);
}

void chronyc_request_init(struct cmdmon_request *req, uint16_t command)
{
    memset(req, 0, sizeof(*req));
    req->version = CMDMON_PROTO_VERSION;
    req->command = command;
}

/* Older reply variants accepted for serverstats and ntpdata (spec 10.4). */
static int reply_code_ok(uint16_t expected, uint16_t got)
{
    if (expected == 0)
        return got == CMDMON_RPY_NULL;
    if (expected == CMDMON_RPY_SERVER_STATS4)
        return got == CMDMON_RPY_SERVER_STATS2 || got == CMDMON_RPY_SERVER_STATS3 ||
               got == CMDMON_RPY_SERVER_STATS4;
    if (expected == CMDMON_RPY_NTP_DATA2)
        return got == CMDMON_RPY_NTP_DATA || got == CMDMON_RPY_NTP_DATA2;
    return got == expected;
}

/* Daemons before 4.6 know LOCAL2 only (spec 10.4): retry with it. */
static int exchange_with_fallback(struct chronyc *c, struct cmdmon_request *req,
                                  struct cmdmon_reply *rpy)
{
    if (!c->exchange || !c->exchange(c->exchange_ctx, req, rpy))
        return 0;
    if (req->command == CMDMON_REQ_LOCAL3 && rpy->status == CMDMON_STT_INVALID) {
        req->command = CMDMON_REQ_LOCAL2;
        return c->exchange(c->exchange_ctx, req, rpy);
    }
    return 1;
}

int chronyc_request(struct chronyc *c, struct cmdmon_request *req, struct cmdmon_reply *rpy,
                    uint16_t expected, int print_ok)
{
    FILE *f = c->out.f;

    if (!exchange_with_fallback(c, req, rpy)) {
        fprintf(f, "506 Cannot talk to daemon\n");
        return 0;
    }
    if (rpy->status != CMDMON_STT_SUCCESS) {
        fprintf(f, "%s\n", cmdmon_status_message(rpy->status));
        return rpy->status == CMDMON_STT_ACCESSALLOWED || rpy->status == CMDMON_STT_ACCESSDENIED;
    }
    if (!reply_code_ok(expected, rpy->reply)) {
        fprintf(f, "508 Bad reply from daemon\n");
        return 0;
    }
    if (print_ok)
        fprintf(f, "200 OK\n");
    return 1;
}

/* dns, timeout and retries read the rest of the line as chrony does: dns
 * compares all of it, timeout and retries take atoi() of it. */
static int cmd_dns(struct chronyc *c, char *args)
{
    if (!strcmp(args, "-46"))
        c->family = 0;
    else if (!strcmp(args, "-4"))
        c->family = 4;
    else if (!strcmp(args, "-6"))
        c->family = 6;
    else if (!strcmp(args, "-n"))
        c->names.no_dns = 1;
    else if (!strcmp(args, "+n"))
        c->names.no_dns = 0;
    else {
        fprintf(c->err, "Unrecognized dns command\n");
        return 0;
    }
    return 1;
}

static int cmd_timeout(struct chronyc *c, char *args)
{
    int v = atoi(args);

    if (v < 100) {
        fprintf(c->err, "Timeout %d is too short\n", v);
        return 0;
    }
    c->tr.timeout_ms = v;
    return 1;
}

static int cmd_retries(struct chronyc *c, char *args)
{
    int v = atoi(args);

    if (v < 0 || v > 30) {
        fprintf(c->err, "Invalid maximum number of retries\n");
        return 0;
    }
    c->tr.max_retries = v;
    return 1;
}

static int cmd_quit(struct chronyc *c, char *args)
{
    (void)args;
    c->quit = 1;
    return 1;
}

static int cmd_help(struct chronyc *c, char *args)
{
    (void)args;
    chronyc_print_help(c->out.f);
    return 1;
}

static int cmd_auth_obsolete(struct chronyc *c, char *args)
{
    (void)args;
    fprintf(c->err, "Authentication is no longer supported\n");
    return 1;
}

/* Key length of a type keygen knows, in bytes for a given number of bits:
 * hashes take the bits asked for (unsigned arithmetic, as chrony), CMAC
 * ciphers their key length. -1: unknown (TIGER and WHIRLPOOL too, as in a
 * chrony built with Nettle). */
static long keygen_length(const char *type, unsigned int bits)
{
    static const char *const hashes[] = {"MD5",      "SHA1",     "SHA256",   "SHA384",  "SHA512",
                                         "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512"};

    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
        if (!strcmp(type, hashes[i]))
            return (long)((bits + 7u) / 8u);
    if (!strcmp(type, "AES128"))
        return 16;
    if (!strcmp(type, "AES256"))
        return 32;
    return -1;
}

/* keygen [ID [TYPE [BITS]]]: a random key line for a key file. At most
 * three words, ID and BITS sscanf()'d with %u; 10 to 512 bytes of key. */
static int cmd_keygen(struct chronyc *c, char *args)
{
    char *words[3] = {NULL, NULL, NULL}, *w;
    unsigned int id = 1, bits = 160;
    const char *type = "SHA1";
    unsigned char key[512];
    long len;
    int n = 0;

    while ((w = chronyc_next_word(&args)))
        if (n++ < 3)
            words[n - 1] = w;
    if (n >= 2)
        type = words[1];
    if (n > 3 || (n >= 1 && sscanf(words[0], "%u", &id) != 1) ||
        (n >= 3 && sscanf(words[2], "%u", &bits) != 1)) {
        fprintf(c->err, "Invalid syntax for keygen command\n");
        return 0;
    }
    len = keygen_length(type, bits);
    if (len < 0) {
        fprintf(c->err, "Unknown hash function or cipher %s\n", type);
        return 0;
    }
    len = len < 10 ? 10 : len > (long)sizeof(key) ? (long)sizeof(key) : len;
    if (getrandom(key, (size_t)len, 0) != (ssize_t)len)
        return 0;
    fprintf(c->out.f, "%u %s HEX:", id, type);
    for (long i = 0; i < len; i++)
        fprintf(c->out.f, "%02X", key[i]);
    fprintf(c->out.f, "\n");
    return 1;
}

static const struct chronyc_cmd client_cmds[] = {
    {"dns", cmd_dns, NULL},
    {"timeout", cmd_timeout, NULL},
    {"retries", cmd_retries, NULL},
    {"exit", cmd_quit, NULL},
    {"quit", cmd_quit, NULL},
    {"help", cmd_help, NULL},
    {"keygen", cmd_keygen, NULL},
    {"authhash", cmd_auth_obsolete, NULL},
    {"password", cmd_auth_obsolete, NULL},
    {NULL, NULL, NULL},
};

static const struct chronyc_cmd *find_cmd(const struct chronyc_cmd *t, const char *name)
{
    for (; t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

int chronyc_run_line(struct chronyc *c, char *line)
{
    const struct chronyc_cmd *cmd;
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    char *args, *name = line;

    c->data_cmd = 1;
    scan_normalize_line(line);
    if (!*line)
        return 1; /* empty or comment line */
    args = chronyc_split_word(line);
    cmd = find_cmd(client_cmds, name);
    if (!cmd)
        cmd = find_cmd(chronyc_report_cmds, name);
    if (!cmd)
        cmd = find_cmd(chronyc_control_cmds, name);
    if (!cmd) {
        fprintf(c->err, "Unrecognized command\n");
        return 0;
    }
    if (cmd->run)
        return cmd->run(c, args);
    c->data_cmd = 0;
    chronyc_request_init(&req, 0);
    if (!cmd->build(c, args, &req))
        return 0;
    return chronyc_request(c, &req, &rpy, 0, 1);
}
