/* chronyc control commands: argument parsing into request bodies (spec 7).
 * Each builder gets the normalised rest of the line after the command name
 * and reads it as chrony's client does (which words, sscanf() formats, the
 * error texts, and the errors chrony reports without a message). It returns
 * 1 with req filled; the caller sends it and prints "200 OK" or the status
 * line. */
#include "chronyc/client.h"

#include <stdint.h>
#include <strings.h>
#include <string.h>

static int error(struct chronyc *c, const char *text)
{
    fprintf(c->err, "%s\n", text);
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

/* reset/reload: the whole rest must be "sources". */
static int build_reset(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_RESET_SOURCES;
    return !strcmp(args, "sources") || error(c, "Invalid syntax for reset command");
}

static int build_reload(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_RELOAD_SOURCES;
    return !strcmp(args, "sources") || error(c, "Invalid syntax for reload command");
}

/* chrony's bits_to_mask(): out-of-range lengths mean the full mask; an ID
 * address has no mask. */
static void mask_bits(struct cmdmon_addr *m, uint16_t family, int bits)
{
    int total = family == CMDMON_AF_INET6 ? 128 : 32;

    memset(m, 0, sizeof(*m));
    if (family != CMDMON_AF_INET4 && family != CMDMON_AF_INET6)
        return;
    m->family = family;
    if (bits < 0 || bits > total)
        bits = total;
    for (int i = 0; i < bits; i++)
        m->bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* [MASK/ADDRESS | ADDRESS/BITS | ADDRESS] (chrony's read_mask_address);
 * prints chrony's message on failure. An empty line selects everything. */
static int parse_selector(struct chronyc *c, char *s, struct cmdmon_addr *mask,
                          struct cmdmon_addr *addr)
{
    char *slash;
    unsigned int bits;

    memset(mask, 0, sizeof(*mask));
    memset(addr, 0, sizeof(*addr));
    if (!*s)
        return 1;
    slash = strchr(s, '/');
    if (!slash) {
        if (!chronyc_parse_address(c, s, addr))
            return error(c, "Could not get address for hostname");
        mask_bits(mask, addr->family, -1);
        return 1;
    }
    *slash = '\0';
    if (names_parse_numeric(s, mask)) {
        if (names_parse_numeric(slash + 1, addr)) {
            if (addr->family == mask->family)
                return 1;
        } else if (sscanf(slash + 1, "%u", &bits) == 1) {
            *addr = *mask;
            mask_bits(mask, addr->family, (int)bits);
            return 1;
        }
    }
    return error(c, "Invalid syntax for mask/address");
}

static int build_online(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_ONLINE;
    return parse_selector(c, args, &req->u.selector.mask, &req->u.selector.address);
}

static int build_offline(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_OFFLINE;
    return parse_selector(c, args, &req->u.selector.mask, &req->u.selector.address);
}

/* burst GOOD/TOTAL [SELECTOR]: sscanf("%d/%d") of the first word, the
 * selector from the second word, anything after it ignored. */
static int build_burst(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *sel = chronyc_split_word(args);
    int good, total;

    chronyc_split_word(sel);
    req->command = CMDMON_REQ_BURST;
    if (sscanf(args, "%d/%d", &good, &total) != 2)
        return error(c, "Invalid syntax for burst command");
    req->u.burst.n_good_samples = good;
    req->u.burst.n_total_samples = total;
    return parse_selector(c, sel, &req->u.burst.mask, &req->u.burst.address);
}

static int build_delete(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_DEL_SOURCE;
    chronyc_split_word(args);
    if (!*args)
        return error(c, "Invalid syntax for address");
    if (!chronyc_parse_address(c, args, &req->u.address.ip))
        return error(c, "Could not get address for hostname");
    return 1;
}

/* ADDRESS VALUE (spec 7.6): the value is checked first, read by sscanf()
 * from the rest of the line. */
static int build_modify(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command,
                        int is_float)
{
    char *value = chronyc_split_word(args);
    struct cmdmon_addr a;
    double d = 0.0;
    int i = 0;

    req->command = command;
    if (is_float ? !chronyc_parse_double(value, &d) : !chronyc_parse_int(value, &i))
        return error(c, "Invalid syntax for address value");
    if (!chronyc_parse_address(c, args, &a))
        return error(c, "Could not get address for hostname");
    if (is_float) {
        req->u.modify_float.address = a;
        req->u.modify_float.value = d;
    } else {
        req->u.modify_int.address = a;
        req->u.modify_int.value = i;
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

/* One number from the rest of the line. chrony refuses a bad maxupdateskew
 * or reselectdist without a message (message NULL). */
static int build_value(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command,
                       const char *message)
{
    req->command = command;
    if (chronyc_parse_double(args, &req->u.value.value))
        return 1;
    return message ? error(c, message) : 0;
}

#define VALUE_BUILDER(fn, code, message)                                                           \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return build_value(c, args, req, code, message);                                           \
    }
VALUE_BUILDER(build_maxupdateskew, CMDMON_REQ_MODIFY_MAXUPDATESKEW, NULL)
VALUE_BUILDER(build_reselectdist, CMDMON_REQ_RESELECTDISTANCE, NULL)
VALUE_BUILDER(build_dfreq, CMDMON_REQ_DFREQ, "Invalid value")
VALUE_BUILDER(build_doffset, CMDMON_REQ_DOFFSET2, "Invalid value")

static int build_makestep(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    int limit;

    if (!*args) {
        req->command = CMDMON_REQ_MAKESTEP;
        return 1;
    }
    req->command = CMDMON_REQ_MODIFY_MAKESTEP;
    if (sscanf(args, "%lf %d", &req->u.makestep.threshold, &limit) != 2)
        return error(c, "Bad syntax for makestep command");
    req->u.makestep.limit = limit;
    return 1;
}

static int build_smoothtime(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    req->command = CMDMON_REQ_SMOOTHTIME;
    if (!strcmp(args, "reset"))
        req->u.option.option = 0;
    else if (!strcmp(args, "activate"))
        req->u.option.option = 1;
    else
        return error(c, "Invalid syntax for smoothtime command");
    return 1;
}

/* IP address or ID#n (no names, which could be refids), else a reference
 * clock refid of one to four characters. */
static int parse_addr_or_refid(const char *w, struct cmdmon_addr *a, uint32_t *refid)
{
    size_t len = strlen(w);

    *refid = 0;
    memset(a, 0, sizeof(*a));
    if (names_parse_id(w, a) || names_parse_numeric(w, a))
        return 1;
    if (len < 1 || len > 4)
        return 0;
    for (size_t i = 0; i < len; i++)
        *refid |= (uint32_t)(uint8_t)w[i] << (24 - 8 * i);
    return 1;
}

/* Selection options are matched without regard to case; "-opt" only adds
 * to the mask (the option stays off). */
static int build_selectopts(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    static const struct {
        const char *name;
        uint32_t sel, src;
    } opts[] = {{"noselect", CMDMON_SELOPT_NOSELECT, CMDMON_SRC_NOSELECT},
                {"prefer", CMDMON_SELOPT_PREFER, CMDMON_SRC_PREFER},
                {"require", CMDMON_SELOPT_REQUIRE, CMDMON_SRC_REQUIRE},
                {"trust", CMDMON_SELOPT_TRUST, CMDMON_SRC_TRUST}};
    struct cmdmon_req_selectopts *s = &req->u.selectopts;
    char *line = chronyc_split_word(args), *opt;

    req->command = CMDMON_REQ_MODIFY_SELECTOPTS;
    if (!parse_addr_or_refid(args, &s->address, &s->ref_id))
        return error(c, "Invalid syntax for selectopts command");
    while (*line) {
        size_t i;
        opt = line;
        line = chronyc_split_word(line);
        for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
            if (!strcasecmp(opt + 1, opts[i].name))
                break;
        if ((opt[0] != '+' && opt[0] != '-') || i == sizeof(opts) / sizeof(opts[0]))
            return error(c, "Invalid syntax for selectopts command");
        s->mask |= opts[i].sel;
        if (opt[0] == '+')
            s->options |= opts[i].src;
    }
    return 1;
}

static int build_offset(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *value = chronyc_split_word(args);
    struct cmdmon_req_offset *o = &req->u.offset;

    req->command = CMDMON_REQ_MODIFY_OFFSET;
    if (!parse_addr_or_refid(args, &o->address, &o->ref_id) ||
        !chronyc_parse_double(value, &o->offset))
        return error(c, "Invalid syntax for offset command");
    return 1;
}

/* The option words of `local` as chrony's CPS_ParseLocal reads them: names
 * without regard to case, each value sscanf()'d with %n, the scan going on
 * right after the characters the number took. */
static int parse_local(char *line, struct cmdmon_req_local *l)
{
    l->stratum = 10;
    l->distance = 1.0;
    l->wait_unsynced = -1.0;
    while (*line) {
        char *cmd = line;
        int n = 0, v;

        line = chronyc_split_word(line);
        if (!strcasecmp(cmd, "stratum")) {
            if (sscanf(line, "%d%n", &v, &n) != 1 || v < 1 || v > 15)
                return 0;
            l->stratum = v;
        } else if (!strcasecmp(cmd, "orphan")) {
            l->orphan = 1;
        } else if (!strcasecmp(cmd, "distance")) {
            if (sscanf(line, "%lf%n", &l->distance, &n) != 1)
                return 0;
        } else if (!strcasecmp(cmd, "activate")) {
            if (sscanf(line, "%lf%n", &l->activate, &n) != 1)
                return 0;
        } else if (!strcasecmp(cmd, "waitsynced")) {
            if (sscanf(line, "%lf%n", &l->wait_synced, &n) != 1)
                return 0;
        } else if (!strcasecmp(cmd, "waitunsynced")) {
            if (sscanf(line, "%lf%n", &l->wait_unsynced, &n) != 1)
                return 0;
        } else {
            return 0;
        }
        line += n;
    }
    if (l->wait_unsynced < 0.0)
        l->wait_unsynced = l->orphan ? 300.0 : 0.0;
    return 1;
}

static int build_local(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    struct cmdmon_req_local *l = &req->u.local;

    req->command = CMDMON_REQ_LOCAL3;
    if (!strcmp(args, "off"))
        return 1;
    l->on_off = 1;
    if (!parse_local(args, l))
        return error(c, "Invalid syntax for local command");
    return 1;
}

/* [all] [SUBNET] of allow/deny (chrony's CPS_ParseAllowDeny): nothing may
 * follow; SUBNET is an address, a shortened IPv4 network (a, a.b, a.b.c),
 * either with /BITS, or a name without /BITS. */
static int parse_subnet(struct chronyc *c, char *line, int *all, struct cmdmon_addr *ip,
                        int32_t *bits)
{
    char *p = chronyc_split_word(line), *net, *slash;
    unsigned int a = 0, b = 0, d = 0;
    int n, len = 0, want = -1;

    *all = !strcmp(line, "all");
    net = *all ? p : line;
    if (*all)
        p = chronyc_split_word(p);
    if (*p)
        return 0;
    memset(ip, 0, sizeof(*ip));
    *bits = 0;
    if (!*net)
        return 1;
    slash = strchr(net, '/');
    if (slash) {
        if (sscanf(slash + 1, "%d%n", &want, &len) != 1 || slash[len + 1] || want < 0)
            return 0;
        *slash = '\0';
    }
    if (names_parse_numeric(net, ip)) {
        *bits = want >= 0 ? want : ip->family == CMDMON_AF_INET6 ? 128 : 32;
        return 1;
    }
    len = 0;
    n = sscanf(net, "%u%n.%u%n.%u%n", &a, &len, &b, &len, &d, &len);
    if (n > 0 && !net[len]) {
        if (a > 255 || b > 255 || d > 255)
            return 0;
        cmdmon_addr_set_v4(ip, a << 24 | b << 16 | d << 8);
        *bits = want >= 0 ? want : 8 * n;
        return 1;
    }
    if (want < 0 && chronyc_lookup_address(c, net, ip)) {
        *bits = ip->family == CMDMON_AF_INET6 ? 128 : 32;
        return 1;
    }
    memset(ip, 0, sizeof(*ip));
    return 0;
}

static int build_access(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command)
{
    int all;

    if (!parse_subnet(c, args, &all, &req->u.subnet.ip, &req->u.subnet.subnet_bits))
        return error(c, "Could not read address");
    req->command = (uint16_t)(all ? command + 1 : command); /* the *ALL variant follows */
    return 1;
}

#define ACCESS_BUILDER(fn, code)                                                                   \
    static int fn(struct chronyc *c, char *args, struct cmdmon_request *req)                       \
    {                                                                                              \
        return build_access(c, args, req, code);                                                   \
    }
ACCESS_BUILDER(build_allow, CMDMON_REQ_ALLOW)
ACCESS_BUILDER(build_deny, CMDMON_REQ_DENY)
ACCESS_BUILDER(build_cmdallow, CMDMON_REQ_CMDALLOW)
ACCESS_BUILDER(build_cmddeny, CMDMON_REQ_CMDDENY)

/* The whole rest of the line is looked up, as chrony does. */
static int build_check(struct chronyc *c, char *args, struct cmdmon_request *req, uint16_t command)
{
    req->command = command;
    if (!chronyc_lookup_address(c, args, &req->u.address.ip))
        return error(c, "Could not read address");
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
