/* chronyc "add server|pool|peer NAME [options]" (spec 7.4): the source
 * directive options mapped to ADD_SOURCE fields with chronyc's defaults. */
#include "chronyc/client.h"

#include <string.h>

enum add_opt_kind { AO_FLAG, AO_NOFLAG, AO_U32, AO_I32, AO_FLOAT, AO_EXTFIELD };

struct add_opt {
    const char *name;
    enum add_opt_kind kind;
    size_t off;    /* offset in struct cmdmon_req_add_source */
    uint32_t flag; /* for AO_FLAG / AO_NOFLAG */
};

#define AS struct cmdmon_req_add_source
static const struct add_opt add_opts[] = {
    {"auto_offline", AO_FLAG, 0, CMDMON_SRC_AUTOOFFLINE},
    {"burst", AO_FLAG, 0, CMDMON_SRC_BURST},
    {"copy", AO_FLAG, 0, CMDMON_SRC_COPY},
    {"iburst", AO_FLAG, 0, CMDMON_SRC_IBURST},
    {"ipv4", AO_FLAG, 0, CMDMON_SRC_IPV4},
    {"ipv6", AO_FLAG, 0, CMDMON_SRC_IPV6},
    {"noselect", AO_FLAG, 0, CMDMON_SRC_NOSELECT},
    {"nts", AO_FLAG, 0, CMDMON_SRC_NTS},
    {"offline", AO_NOFLAG, 0, CMDMON_SRC_ONLINE},
    {"prefer", AO_FLAG, 0, CMDMON_SRC_PREFER},
    {"require", AO_FLAG, 0, CMDMON_SRC_REQUIRE},
    {"trust", AO_FLAG, 0, CMDMON_SRC_TRUST},
    {"xleave", AO_FLAG, 0, CMDMON_SRC_INTERLEAVED},
    {"extfield", AO_EXTFIELD, 0, 0},
    {"asymmetry", AO_FLOAT, offsetof(AS, asymmetry), 0},
    {"certset", AO_U32, offsetof(AS, cert_set), 0},
    {"filter", AO_I32, offsetof(AS, filter_length), 0},
    {"key", AO_U32, offsetof(AS, authkey), 0},
    {"maxdelay", AO_FLOAT, offsetof(AS, max_delay), 0},
    {"maxdelaydevratio", AO_FLOAT, offsetof(AS, max_delay_dev_ratio), 0},
    {"maxdelayquant", AO_FLOAT, offsetof(AS, max_delay_quant), 0},
    {"maxdelayratio", AO_FLOAT, offsetof(AS, max_delay_ratio), 0},
    {"maxpoll", AO_I32, offsetof(AS, maxpoll), 0},
    {"maxsamples", AO_I32, offsetof(AS, max_samples), 0},
    {"maxsources", AO_U32, offsetof(AS, max_sources), 0},
    {"maxunreach", AO_I32, offsetof(AS, max_unreach), 0},
    {"mindelay", AO_FLOAT, offsetof(AS, min_delay), 0},
    {"minpoll", AO_I32, offsetof(AS, minpoll), 0},
    {"minsamples", AO_I32, offsetof(AS, min_samples), 0},
    {"minstratum", AO_U32, offsetof(AS, min_stratum), 0},
    {"ntsport", AO_U32, offsetof(AS, nts_port), 0},
    {"offset", AO_FLOAT, offsetof(AS, offset), 0},
    {"polltarget", AO_U32, offsetof(AS, poll_target), 0},
    {"port", AO_U32, offsetof(AS, port), 0},
    {"presend", AO_I32, offsetof(AS, presend_minpoll), 0},
    {"version", AO_U32, offsetof(AS, version), 0},
};

static void add_defaults(struct cmdmon_req_add_source *a)
{
    a->port = 123;
    a->minpoll = 6;
    a->maxpoll = 10;
    a->presend_minpoll = 100;
    a->poll_target = 8;
    a->max_sources = 4;
    a->min_samples = -1;
    a->max_samples = -1;
    a->nts_port = 4460;
    a->max_delay = 3.0;
    a->max_delay_dev_ratio = 10.0;
    a->asymmetry = 1.0;
    a->flags = CMDMON_SRC_ONLINE;
    a->max_unreach = 100000;
}

static int apply_value(const struct add_opt *o, const char *v, struct cmdmon_req_add_source *a)
{
    unsigned char *field = (unsigned char *)a + o->off;
    double d;
    long l;
    uint32_t u;
    int32_t i;

    if (o->kind == AO_FLOAT) {
        if (!chronyc_parse_double(v, &d))
            return 0;
        memcpy(field, &d, sizeof(d));
        return 1;
    }
    if (!chronyc_parse_int(v, &l))
        return 0;
    if (o->kind == AO_U32) {
        u = (uint32_t)l;
        memcpy(field, &u, sizeof(u));
    } else {
        i = (int32_t)l;
        memcpy(field, &i, sizeof(i));
    }
    return 1;
}

static int apply_option(char **args, const char *w, struct cmdmon_req_add_source *a)
{
    char *v;

    for (size_t k = 0; k < sizeof(add_opts) / sizeof(add_opts[0]); k++) {
        const struct add_opt *o = &add_opts[k];
        if (strcmp(w, o->name) != 0)
            continue;
        switch (o->kind) {
        case AO_FLAG:
            a->flags |= o->flag;
            return 1;
        case AO_NOFLAG:
            a->flags &= ~o->flag;
            return 1;
        case AO_EXTFIELD:
            v = chronyc_next_word(args);
            if (v && !strcmp(v, "F323"))
                a->flags |= CMDMON_SRC_EF_EXP_MONO_ROOT;
            else if (v && !strcmp(v, "F324"))
                a->flags |= CMDMON_SRC_EF_EXP_NET_CORRECTION;
            else
                return 0;
            return 1;
        default:
            v = chronyc_next_word(args);
            return v && apply_value(o, v, a);
        }
    }
    return 0;
}

int chronyc_build_add_source(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    struct cmdmon_req_add_source *a = &req->u.add_source;
    char *type = chronyc_next_word(&args), *name = chronyc_next_word(&args), *w;
    struct cmdmon_addr check;

    req->command = CMDMON_REQ_ADD_SOURCE;
    add_defaults(a);
    if (type && !strcmp(type, "server"))
        a->type = CMDMON_ADD_SERVER;
    else if (type && !strcmp(type, "peer"))
        a->type = CMDMON_ADD_PEER;
    else if (type && !strcmp(type, "pool"))
        a->type = CMDMON_ADD_POOL;
    if (!a->type || !name || strlen(name) >= CMDMON_NAME_LEN) {
        fprintf(c->err, "Invalid syntax for add command\n");
        return 0;
    }
    while ((w = chronyc_next_word(&args))) {
        if (!apply_option(&args, w, a)) {
            fprintf(c->err, "Invalid syntax for add command\n");
            return 0;
        }
    }
    if (!chronyc_parse_address(c, name, &check)) {
        fprintf(c->err, "Invalid host/IP address\n");
        return 0;
    }
    memcpy(a->name, name, strlen(name) + 1);
    return 1;
}
#undef AS
