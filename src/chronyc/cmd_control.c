/* chronyc control commands: argument parsing into request bodies (spec 7).
 * Each builder returns 1 with req filled; the caller sends it and prints
 * "200 OK" or the status line. */
#include "chronyc/client.h"

#include <ctype.h>
#include <string.h>

static int syntax_error(struct chronyc *c, const char *what)
{
    fprintf(c->err, "Invalid syntax for %s\n", what);
    return 0;
}

static int no_args(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command)
{
    (void)c;
    (void)args;
    req->command = command;
    return 1;
}

#define SIMPLE_BUILDER(fn, code)                                                                   \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return no_args(c, args, req, code);                                                        \
    }
SIMPLE_BUILDER(build_reselect, CMDMON_REQ_RESELECT)
SIMPLE_BUILDER(build_dump, CMDMON_REQ_DUMP)
SIMPLE_BUILDER(build_cyclelogs, CMDMON_REQ_CYCLELOGS)
SIMPLE_BUILDER(build_rekey, CMDMON_REQ_REKEY)
SIMPLE_BUILDER(build_refresh, CMDMON_REQ_REFRESH)
SIMPLE_BUILDER(build_shutdown, CMDMON_REQ_SHUTDOWN)
SIMPLE_BUILDER(build_writertc, CMDMON_REQ_WRITERTC)
SIMPLE_BUILDER(build_trimrtc, CMDMON_REQ_TRIMRTC)
SIMPLE_BUILDER(build_onoffline, CMDMON_REQ_ONOFFLINE)

static int build_reset_reload(struct chronyc *c, char *args, struct cmdmon_request *req,
                              uint16_t command, const char *name)
{
    char *w = chronyc_next_word(&args);

    if (!w || strcmp(w, "sources") != 0) {
        fprintf(c->err, "Invalid syntax for %s command\n", name);
        return 0;
    }
    req->command = command;
    return 1;
}

static int build_reset(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_reset_reload(c, args, req, CMDMON_REQ_RESET_SOURCES, "reset");
}

static int build_reload(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_reset_reload(c, args, req, CMDMON_REQ_RELOAD_SOURCES, "reload");
}

static int parse_addr_arg(struct chronyc *c, const char *w, struct cmdmon_addr *a)
{
    if (!chronyc_parse_address(c, w, a)) {
        fprintf(c->err, "Could not get address for hostname\n");
        return 0;
    }
    return 1;
}

static void mask_bits(struct cmdmon_addr *m, uint16_t family, long bits)
{
    int total = family == CMDMON_AF_INET6 ? 128 : 32;

    memset(m, 0, sizeof(*m));
    m->family = family;
    for (int i = 0; i < total && i < bits; i++)
        m->bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* Spec 7.1: [ADDR | ADDR/BITS | MASK/ADDR | ID#n | hostname]. */
static int parse_selector(struct chronyc *c, char *w, struct cmdmon_addr *mask,
                          struct cmdmon_addr *addr)
{
    char *slash;
    long bits;

    memset(mask, 0, sizeof(*mask));
    memset(addr, 0, sizeof(*addr));
    if (!w)
        return 1;
    if (names_parse_id(w, addr))
        return 1;
    slash = strchr(w, '/');
    if (slash) {
        *slash = '\0';
        if (names_parse_numeric(w, mask) && names_parse_numeric(slash + 1, addr))
            return mask->family == addr->family;
        if (!names_parse_numeric(w, addr) || !chronyc_parse_int(slash + 1, &bits) || bits < 0)
            return 0;
        mask_bits(mask, addr->family, bits);
        return 1;
    }
    if (!parse_addr_arg(c, w, addr))
        return -1;
    mask_bits(mask, addr->family, 128);
    return 1;
}

static int build_selector(struct chronyc *c, char *args, struct cmdmon_request *req,
                          uint16_t command, const char *name)
{
    char *w = chronyc_next_word(&args);
    int r;

    req->command = command;
    r = parse_selector(c, w, &req->u.selector.mask, &req->u.selector.address);
    if (r == 0)
        fprintf(c->err, "Invalid syntax for %s command\n", name);
    return r > 0;
}

static int build_online(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_selector(c, args, req, CMDMON_REQ_ONLINE, "online");
}

static int build_offline(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_selector(c, args, req, CMDMON_REQ_OFFLINE, "offline");
}

static int build_burst(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *w = chronyc_next_word(&args), *sel = chronyc_next_word(&args), *slash;
    long good, total;

    req->command = CMDMON_REQ_BURST;
    slash = w ? strchr(w, '/') : NULL;
    if (!slash)
        return syntax_error(c, "burst command");
    *slash = '\0';
    if (!chronyc_parse_int(w, &good) || !chronyc_parse_int(slash + 1, &total))
        return syntax_error(c, "burst command");
    req->u.burst.n_good_samples = (int32_t)good;
    req->u.burst.n_total_samples = (int32_t)total;
    switch (parse_selector(c, sel, &req->u.burst.mask, &req->u.burst.address)) {
    case 0:
        return syntax_error(c, "burst command");
    case 1:
        return 1;
    default:
        return 0;
    }
}

static int build_delete(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *w = chronyc_next_word(&args);

    req->command = CMDMON_REQ_DEL_SOURCE;
    if (!w)
        return syntax_error(c, "address");
    return parse_addr_arg(c, w, &req->u.address.ip);
}

/* ADDR VALUE for the per-source modifications of spec 7.6. */
static int build_modify(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command,
                        int is_float)
{
    char *w = chronyc_next_word(&args), *v = chronyc_next_word(&args);
    struct cmdmon_addr a;
    double d;
    long l;

    req->command = command;
    if (!w || !v || (is_float ? !chronyc_parse_double(v, &d) : !chronyc_parse_int(v, &l)))
        return syntax_error(c, "address value");
    if (!parse_addr_arg(c, w, &a))
        return 0;
    if (is_float) {
        req->u.modify_float.address = a;
        req->u.modify_float.value = d;
    } else {
        req->u.modify_int.address = a;
        req->u.modify_int.value = (int32_t)l;
    }
    return 1;
}

#define MODIFY_BUILDER(fn, code, is_float)                                                         \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return build_modify(c, args, req, code, is_float);                                         \
    }
MODIFY_BUILDER(build_minpoll, CMDMON_REQ_MODIFY_MINPOLL, 0)
MODIFY_BUILDER(build_maxpoll, CMDMON_REQ_MODIFY_MAXPOLL, 0)
MODIFY_BUILDER(build_minstratum, CMDMON_REQ_MODIFY_MINSTRATUM, 0)
MODIFY_BUILDER(build_polltarget, CMDMON_REQ_MODIFY_POLLTARGET, 0)
MODIFY_BUILDER(build_maxdelay, CMDMON_REQ_MODIFY_MAXDELAY, 1)
MODIFY_BUILDER(build_maxdelayratio, CMDMON_REQ_MODIFY_MAXDELAYRATIO, 1)
MODIFY_BUILDER(build_maxdelaydevratio, CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO, 1)

static int build_value(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command,
                       const char *name)
{
    char *w = chronyc_next_word(&args);

    req->command = command;
    if (!w || !chronyc_parse_double(w, &req->u.value.value)) {
        fprintf(c->err, "Invalid syntax for %s command\n", name);
        return 0;
    }
    return 1;
}

#define VALUE_BUILDER(fn, code, name)                                                              \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return build_value(c, args, req, code, name);                                              \
    }
VALUE_BUILDER(build_maxupdateskew, CMDMON_REQ_MODIFY_MAXUPDATESKEW, "maxupdateskew")
VALUE_BUILDER(build_reselectdist, CMDMON_REQ_RESELECTDISTANCE, "reselectdist")
VALUE_BUILDER(build_dfreq, CMDMON_REQ_DFREQ, "dfreq")
VALUE_BUILDER(build_doffset, CMDMON_REQ_DOFFSET2, "doffset")

static int build_makestep(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *t = chronyc_next_word(&args), *l = chronyc_next_word(&args);
    long limit;

    if (!t) {
        req->command = CMDMON_REQ_MAKESTEP;
        return 1;
    }
    req->command = CMDMON_REQ_MODIFY_MAKESTEP;
    if (!l || chronyc_next_word(&args) || !chronyc_parse_double(t, &req->u.makestep.threshold) ||
        !chronyc_parse_int(l, &limit)) {
        fprintf(c->err, "Bad syntax for makestep command\n");
        return 0;
    }
    req->u.makestep.limit = (int32_t)limit;
    return 1;
}

static int build_smoothtime(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *w = chronyc_next_word(&args);

    req->command = CMDMON_REQ_SMOOTHTIME;
    if (w && !strcmp(w, "reset"))
        req->u.option.option = 0;
    else if (w && !strcmp(w, "activate"))
        req->u.option.option = 1;
    else
        return syntax_error(c, "smoothtime command");
    return 1;
}

/* IP address or ID#n, else a reference clock refid of up to 4 characters. */
static int parse_addr_or_refid(const char *w, struct cmdmon_addr *a, uint32_t *refid)
{
    *refid = 0;
    memset(a, 0, sizeof(*a));
    if (names_parse_id(w, a) || names_parse_numeric(w, a))
        return 1;
    if (strlen(w) > 4)
        return 0;
    for (int i = 0; i < 4; i++)
        *refid = *refid << 8 | (uint32_t)(i < (int)strlen(w) ? (uint8_t)w[i] : 0);
    return 1;
}

static int build_selectopts(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    static const struct {
        const char *name;
        uint32_t sel, src;
    } opts[] = {{"noselect", CMDMON_SELOPT_NOSELECT, CMDMON_SRC_NOSELECT},
                {"prefer", CMDMON_SELOPT_PREFER, CMDMON_SRC_PREFER},
                {"trust", CMDMON_SELOPT_TRUST, CMDMON_SRC_TRUST},
                {"require", CMDMON_SELOPT_REQUIRE, CMDMON_SRC_REQUIRE}};
    struct cmdmon_req_selectopts *s = &req->u.selectopts;
    char *w = chronyc_next_word(&args);

    req->command = CMDMON_REQ_MODIFY_SELECTOPTS;
    if (!w || !parse_addr_or_refid(w, &s->address, &s->ref_id))
        return syntax_error(c, "selectopts command");
    while ((w = chronyc_next_word(&args))) {
        size_t i;
        if (w[0] != '+' && w[0] != '-')
            return syntax_error(c, "selectopts command");
        for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (!strcmp(w + 1, opts[i].name))
                break;
        if (i == sizeof(opts) / sizeof(opts[0]))
            return syntax_error(c, "selectopts command");
        s->mask |= opts[i].sel;
        if (w[0] == '+')
            s->options |= opts[i].src;
        else
            s->options &= ~opts[i].src;
    }
    return 1;
}

static int build_offset(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *w = chronyc_next_word(&args), *v = chronyc_next_word(&args);
    struct cmdmon_req_offset *o = &req->u.offset;

    req->command = CMDMON_REQ_MODIFY_OFFSET;
    if (!w || !v || !parse_addr_or_refid(w, &o->address, &o->ref_id) ||
        !chronyc_parse_double(v, &o->offset))
        return syntax_error(c, "offset command");
    return 1;
}

static int local_option(char **args, const char *w, struct cmdmon_req_local *l)
{
    char *v;
    long i;

    if (!strcmp(w, "orphan")) {
        l->orphan = 1;
        return 1;
    }
    v = chronyc_next_word(args);
    if (!v)
        return 0;
    if (!strcmp(w, "stratum"))
        return chronyc_parse_int(v, &i) && i >= 1 && i <= 15 && (l->stratum = (int32_t)i, 1);
    if (!strcmp(w, "distance"))
        return chronyc_parse_double(v, &l->distance);
    if (!strcmp(w, "activate"))
        return chronyc_parse_double(v, &l->activate);
    if (!strcmp(w, "waitsynced"))
        return chronyc_parse_double(v, &l->wait_synced);
    if (!strcmp(w, "waitunsynced"))
        return chronyc_parse_double(v, &l->wait_unsynced);
    return 0;
}

static int build_local(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    struct cmdmon_req_local *l = &req->u.local;
    char *w = chronyc_next_word(&args);

    req->command = CMDMON_REQ_LOCAL3;
    if (w && !strcmp(w, "off")) {
        if (chronyc_next_word(&args))
            return syntax_error(c, "local command");
        return 1;
    }
    l->on_off = 1;
    l->stratum = 10;
    l->distance = 1.0;
    l->wait_unsynced = -1.0;
    for (; w; w = chronyc_next_word(&args))
        if (!local_option(&args, w, l))
            return syntax_error(c, "local command");
    if (l->wait_unsynced < 0.0)
        l->wait_unsynced = l->orphan ? 300.0 : 0.0;
    return 1;
}

/* Spec 7.16: empty, ADDR, ADDR/BITS, shortened IPv4 (a, a.b, a.b.c), host. */
static int parse_subnet(struct chronyc *c, char *w, struct cmdmon_addr *ip, int32_t *bits)
{
    char *slash;
    long b = -1;
    int dots = 0;

    memset(ip, 0, sizeof(*ip));
    *bits = 0;
    if (!w)
        return 1;
    slash = strchr(w, '/');
    if (slash) {
        *slash = '\0';
        if (!chronyc_parse_int(slash + 1, &b))
            return 0;
    }
    if (names_parse_numeric(w, ip)) {
        *bits = (int32_t)(b >= 0 ? b : ip->family == CMDMON_AF_INET6 ? 128 : 32);
        return 1;
    }
    for (const char *p = w; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            dots = 99;
    }
    if (dots <= 2 && isdigit((unsigned char)w[0])) {
        unsigned v[3] = {0, 0, 0};
        int n = sscanf(w, "%u.%u.%u", &v[0], &v[1], &v[2]);
        if (n != dots + 1 || v[0] > 255 || v[1] > 255 || v[2] > 255)
            return 0;
        cmdmon_addr_set_v4(ip, v[0] << 24 | v[1] << 16 | v[2] << 8);
        *bits = (int32_t)(b >= 0 ? b : 8 * n);
        return 1;
    }
    if (!chronyc_parse_address(c, w, ip))
        return 0;
    *bits = (int32_t)(b >= 0 ? b : ip->family == CMDMON_AF_INET6 ? 128 : 32);
    return 1;
}

static int build_access(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command,
                        const char *name)
{
    char *w = chronyc_next_word(&args);

    req->command = command;
    if (w && !strcmp(w, "all")) {
        req->command = (uint16_t)(command + 1); /* the *ALL variant follows */
        w = chronyc_next_word(&args);
    }
    if (!parse_subnet(c, w, &req->u.subnet.ip, &req->u.subnet.subnet_bits)) {
        fprintf(c->err, "Could not read address\n");
        return 0;
    }
    (void)name;
    return 1;
}

#define ACCESS_BUILDER(fn, code)                                                                   \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return build_access(c, args, req, code, #fn);                                              \
    }
ACCESS_BUILDER(build_allow, CMDMON_REQ_ALLOW)
ACCESS_BUILDER(build_deny, CMDMON_REQ_DENY)
ACCESS_BUILDER(build_cmdallow, CMDMON_REQ_CMDALLOW)
ACCESS_BUILDER(build_cmddeny, CMDMON_REQ_CMDDENY)

static int build_check(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command)
{
    char *w = chronyc_next_word(&args);

    req->command = command;
    if (!w || !chronyc_parse_address(c, w, &req->u.address.ip)) {
        fprintf(c->err, "Could not read address\n");
        return 0;
    }
    return 1;
}

static int build_accheck(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_check(c, args, req, CMDMON_REQ_ACCHECK);
}

static int build_cmdaccheck(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    return build_check(c, args, req, CMDMON_REQ_CMDACCHECK);
}

const struct chronyc_cmd chronyc_control_cmds[] = {
    {"add", NULL, chronyc_build_add_source},
    {"delete", NULL, build_delete},
    {"burst", NULL, build_burst},
    {"online", NULL, build_online},
    {"offline", NULL, build_offline},
    {"onoffline", NULL, build_onoffline},
    {"minpoll", NULL, build_minpoll},
    {"maxpoll", NULL, build_maxpoll},
    {"minstratum", NULL, build_minstratum},
    {"polltarget", NULL, build_polltarget},
    {"maxdelay", NULL, build_maxdelay},
    {"maxdelayratio", NULL, build_maxdelayratio},
    {"maxdelaydevratio", NULL, build_maxdelaydevratio},
    {"maxupdateskew", NULL, build_maxupdateskew},
    {"reselectdist", NULL, build_reselectdist},
    {"dfreq", NULL, build_dfreq},
    {"doffset", NULL, build_doffset},
    {"makestep", NULL, build_makestep},
    {"smoothtime", NULL, build_smoothtime},
    {"selectopts", NULL, build_selectopts},
    {"offset", NULL, build_offset},
    {"local", NULL, build_local},
    {"allow", NULL, build_allow},
    {"deny", NULL, build_deny},
    {"cmdallow", NULL, build_cmdallow},
    {"cmddeny", NULL, build_cmddeny},
    {"accheck", NULL, build_accheck},
    {"cmdaccheck", NULL, build_cmdaccheck},
    {"reselect", NULL, build_reselect},
    {"dump", NULL, build_dump},
    {"cyclelogs", NULL, build_cyclelogs},
    {"rekey", NULL, build_rekey},
    {"refresh", NULL, build_refresh},
    {"shutdown", NULL, build_shutdown},
    {"writertc", NULL, build_writertc},
    {"trimrtc", NULL, build_trimrtc},
    {"reset", NULL, build_reset},
    {"reload", NULL, build_reload},
    {NULL, NULL, NULL},
};
