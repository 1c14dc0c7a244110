/* Source options: defaults, the option parser shared by chrony.conf, sourcedir
 * files and chronyc, and the ADD_SOURCE conversions (see source_opts.h). */
#include "proto/source_opts.h"

#include "lib/compiler.h"
#include "lib/mem.h"
#include "lib/scan.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#define NTP_MAX_STRATUM 16
#define NTP_VERSION 4
#define EF_EXP_MONO_ROOT 0xF323u
#define EF_EXP_NET_CORRECTION 0xF324u

void source_opts_defaults(struct source_cfg *s)
{
    memset(s, 0, sizeof(*s));
    s->type = CFG_SRC_SERVER;
    s->name = NULL;
    s->port = 123;
    s->family = IPF_UNSPEC;
    s->minpoll = 6;
    s->maxpoll = 10;
    s->presend_minpoll = 100;
    s->poll_target = 8;
    s->max_sources = 4;
    s->min_samples = -1;
    s->max_samples = -1;
    s->nts_port = 4460;
    s->max_unreach = 100000;
    s->max_delay = 3.0;
    s->max_delay_dev_ratio = 10.0;
    s->asymmetry = 1.0;
}

#define SOFF(f) offsetof(struct source_cfg, f)

/* The option names are in tables marked "options of DIRECTIVE" (the only places they
 * are matched), which tests/directives/run.sh checks against options.tsv. */

/* options of server */
static const struct {
    const char *name;
    size_t off;
} flag_opts[] = {
    {"auto_offline", SOFF(auto_offline)},
    {"burst", SOFF(burst)},
    {"copy", SOFF(copy)},
    {"iburst", SOFF(iburst)},
    {"offline", SOFF(offline)},
    {"nts", SOFF(nts)},
    {"xleave", SOFF(interleaved)},
};

/* options of server */
static const struct {
    const char *name;
    size_t off;
    int min, max;
} int_opts[] = {
    {"filter", SOFF(filter_length), 0, INT_MAX},
    {"maxpoll", SOFF(maxpoll), -32, 32},
    {"maxsamples", SOFF(max_samples), 0, INT_MAX},
    {"maxsources", SOFF(max_sources), 1, INT_MAX},
    {"maxunreach", SOFF(max_unreach), 0, INT_MAX},
    {"minpoll", SOFF(minpoll), INT_MIN, INT_MAX},
    {"minsamples", SOFF(min_samples), 0, INT_MAX},
    {"minstratum", SOFF(min_stratum), 0, NTP_MAX_STRATUM},
    {"ntsport", SOFF(nts_port), 0, 65535},
    {"port", SOFF(port), 0, 65535},
    {"polltarget", SOFF(poll_target), 1, INT_MAX},
    {"presend", SOFF(presend_minpoll), -32, 32},
    {"version", SOFF(version), 1, NTP_VERSION},
};

/* options of server */
static const struct {
    const char *name;
    size_t off;
} double_opts[] = {
    {"asymmetry", SOFF(asymmetry)},
    {"maxdelay", SOFF(max_delay)},
    {"maxdelayratio", SOFF(max_delay_ratio)},
    {"maxdelaydevratio", SOFF(max_delay_dev_ratio)},
    {"maxdelayquant", SOFF(max_delay_quant)},
    {"mindelay", SOFF(min_delay)},
    {"offset", SOFF(offset)},
};

/* options of server refclock */
static const struct {
    const char *name;
    int sel;
} sel_opts[] = {
    {"noselect", CFG_SEL_NOSELECT},
    {"prefer", CFG_SEL_PREFER},
    {"require", CFG_SEL_REQUIRE},
    {"trust", CFG_SEL_TRUST},
};

int source_opts_sel_word(const char *word)
{
    for (size_t i = 0; i < ARRAY_LEN(sel_opts); i++)
        if (scan_eq_nocase(word, sel_opts[i].name))
            return sel_opts[i].sel;
    return 0;
}

/* Options taking a value of a special form (key, certset, extfield) or setting
 * a family or a selection option. */
enum special_opt { SPECIAL_KEY, SPECIAL_CERTSET, SPECIAL_EXTFIELD, SPECIAL_IPV4, SPECIAL_IPV6 };
/* options of server */
static const char *const special_opts[] = {"key", "certset", "extfield", "ipv4", "ipv6"};

static enum source_opts_status special_option(struct source_cfg *s, const char *opt, char **cur)
{
    size_t i;
    uint32_t v;

    for (i = 0; i < ARRAY_LEN(special_opts) && !scan_eq_nocase(opt, special_opts[i]); i++)
        ;
    switch (i) {
    case SPECIAL_KEY:
        if (!scan_u32(cur, &s->authkey, 10) || s->authkey == 0)
            return SOURCE_OPTS_BAD_VALUE;
        break;
    case SPECIAL_CERTSET:
        if (!scan_u32(cur, &s->cert_set, 10))
            return SOURCE_OPTS_BAD_VALUE;
        break;
    case SPECIAL_EXTFIELD:
        if (!scan_u32(cur, &v, 16))
            return SOURCE_OPTS_BAD_VALUE;
        if (v == EF_EXP_MONO_ROOT)
            s->ext_fields |= CFG_EF_EXP_MONO_ROOT;
        else if (v == EF_EXP_NET_CORRECTION)
            s->ext_fields |= CFG_EF_EXP_NET_CORRECTION;
        else
            return SOURCE_OPTS_BAD_VALUE;
        break;
    case SPECIAL_IPV4:
        s->family = IPF_INET4;
        break;
    case SPECIAL_IPV6:
        s->family = IPF_INET6;
        break;
    default:
        if (!source_opts_sel_word(opt))
            return SOURCE_OPTS_BAD_OPTION;
        s->sel_options |= source_opts_sel_word(opt);
    }
    return SOURCE_OPTS_OK;
}

static enum source_opts_status one_option(struct source_cfg *s, const char *opt, char **cur)
{
    char *base = (char *)s;

    for (size_t i = 0; i < ARRAY_LEN(flag_opts); i++) {
        if (scan_eq_nocase(opt, flag_opts[i].name)) {
            *(int *)(base + flag_opts[i].off) = 1;
            return SOURCE_OPTS_OK;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(int_opts); i++) {
        if (scan_eq_nocase(opt, int_opts[i].name))
            return scan_int(cur, (int *)(base + int_opts[i].off), int_opts[i].min, int_opts[i].max)
                       ? SOURCE_OPTS_OK
                       : SOURCE_OPTS_BAD_VALUE;
    }
    for (size_t i = 0; i < ARRAY_LEN(double_opts); i++) {
        if (scan_eq_nocase(opt, double_opts[i].name))
            return scan_double(cur, (double *)(base + double_opts[i].off)) ? SOURCE_OPTS_OK
                                                                           : SOURCE_OPTS_BAD_VALUE;
    }
    return special_option(s, opt, cur);
}

enum source_opts_status source_opts_parse(struct source_cfg *s, char *opts)
{
    char *cur = opts;

    while (*cur) {
        char *opt = scan_word(&cur);
        enum source_opts_status st;
        if (!*opt)
            break; /* only whitespace was left */
        st = one_option(s, opt, &cur);
        if (st != SOURCE_OPTS_OK)
            return st;
    }
    return SOURCE_OPTS_OK;
}

static uint32_t add_type_of(enum cfg_source_type t)
{
    return t == CFG_SRC_POOL   ? CMDMON_ADD_POOL
           : t == CFG_SRC_PEER ? CMDMON_ADD_PEER
                               : CMDMON_ADD_SERVER;
}

static uint32_t flags_of(const struct source_cfg *s)
{
    return (s->offline ? 0u : CMDMON_SRC_ONLINE) | (s->auto_offline ? CMDMON_SRC_AUTOOFFLINE : 0u) |
           (s->iburst ? CMDMON_SRC_IBURST : 0u) |
           (s->sel_options & CFG_SEL_PREFER ? CMDMON_SRC_PREFER : 0u) |
           (s->sel_options & CFG_SEL_NOSELECT ? CMDMON_SRC_NOSELECT : 0u) |
           (s->sel_options & CFG_SEL_TRUST ? CMDMON_SRC_TRUST : 0u) |
           (s->sel_options & CFG_SEL_REQUIRE ? CMDMON_SRC_REQUIRE : 0u) |
           (s->interleaved ? CMDMON_SRC_INTERLEAVED : 0u) | (s->burst ? CMDMON_SRC_BURST : 0u) |
           (s->nts ? CMDMON_SRC_NTS : 0u) | (s->copy ? CMDMON_SRC_COPY : 0u) |
           (s->ext_fields & CFG_EF_EXP_MONO_ROOT ? CMDMON_SRC_EF_EXP_MONO_ROOT : 0u) |
           (s->ext_fields & CFG_EF_EXP_NET_CORRECTION ? CMDMON_SRC_EF_EXP_NET_CORRECTION : 0u) |
           (s->family == IPF_INET4 ? CMDMON_SRC_IPV4 : 0u) |
           (s->family == IPF_INET6 ? CMDMON_SRC_IPV6 : 0u);
}

int source_opts_encode(const struct source_cfg *s, struct cmdmon_req_add_source *a)
{
    size_t len;

    if (!s->name || (len = strlen(s->name)) >= sizeof(a->name))
        return 0;
    memset(a, 0, sizeof(*a));
    a->type = add_type_of(s->type);
    memcpy(a->name, s->name, len + 1);
    a->port = (uint32_t)s->port;
    a->minpoll = s->minpoll;
    a->maxpoll = s->maxpoll;
    a->presend_minpoll = s->presend_minpoll;
    a->min_stratum = (uint32_t)s->min_stratum;
    a->poll_target = (uint32_t)s->poll_target;
    a->version = (uint32_t)s->version;
    a->max_sources = (uint32_t)s->max_sources;
    a->min_samples = s->min_samples;
    a->max_samples = s->max_samples;
    a->authkey = s->authkey;
    a->nts_port = (uint32_t)s->nts_port;
    a->max_delay = s->max_delay;
    a->max_delay_ratio = s->max_delay_ratio;
    a->max_delay_dev_ratio = s->max_delay_dev_ratio;
    a->min_delay = s->min_delay;
    a->asymmetry = s->asymmetry;
    a->offset = s->offset;
    a->flags = flags_of(s);
    a->filter_length = s->filter_length;
    a->cert_set = s->cert_set;
    a->max_delay_quant = s->max_delay_quant;
    a->max_unreach = s->max_unreach;
    return 1;
}

int source_opts_sel_from_flags(uint32_t f)
{
    return (f & CMDMON_SRC_NOSELECT ? CFG_SEL_NOSELECT : 0) |
           (f & CMDMON_SRC_PREFER ? CFG_SEL_PREFER : 0) |
           (f & CMDMON_SRC_TRUST ? CFG_SEL_TRUST : 0) |
           (f & CMDMON_SRC_REQUIRE ? CFG_SEL_REQUIRE : 0);
}

static void flags_to_cfg(struct source_cfg *s, uint32_t f)
{
    s->offline = !(f & CMDMON_SRC_ONLINE);
    s->auto_offline = !!(f & CMDMON_SRC_AUTOOFFLINE);
    s->iburst = !!(f & CMDMON_SRC_IBURST);
    s->interleaved = !!(f & CMDMON_SRC_INTERLEAVED);
    s->burst = !!(f & CMDMON_SRC_BURST);
    s->nts = !!(f & CMDMON_SRC_NTS);
    s->copy = !!(f & CMDMON_SRC_COPY);
    s->ext_fields = (f & CMDMON_SRC_EF_EXP_MONO_ROOT ? CFG_EF_EXP_MONO_ROOT : 0) |
                    (f & CMDMON_SRC_EF_EXP_NET_CORRECTION ? CFG_EF_EXP_NET_CORRECTION : 0);
    s->sel_options = source_opts_sel_from_flags(f);
    /* chronyd looks at IPV4 first when both are set. */
    s->family = f & CMDMON_SRC_IPV4 ? IPF_INET4 : f & CMDMON_SRC_IPV6 ? IPF_INET6 : IPF_UNSPEC;
}

/* chrony accepts names of printable characters without spaces. */
static int name_valid(const uint8_t *name, size_t size)
{
    const uint8_t *end = memchr(name, '\0', size);

    if (!end || end == name)
        return 0;
    for (const uint8_t *p = name; p < end; p++)
        if (!isgraph(*p))
            return 0;
    return 1;
}

int source_opts_decode(const struct cmdmon_req_add_source *a, struct source_cfg *s)
{
    if (a->type != CMDMON_ADD_SERVER && a->type != CMDMON_ADD_POOL && a->type != CMDMON_ADD_PEER)
        return CMDMON_STT_INVALID;
    if (!name_valid(a->name, sizeof(a->name)))
        return CMDMON_STT_INVALIDNAME;
    source_opts_defaults(s);
    s->type = a->type == CMDMON_ADD_POOL   ? CFG_SRC_POOL
              : a->type == CMDMON_ADD_PEER ? CFG_SRC_PEER
                                           : CFG_SRC_SERVER;
    s->name = xstrdup((const char *)a->name);
    s->port = (int)a->port;
    s->minpoll = a->minpoll;
    s->maxpoll = a->maxpoll;
    s->presend_minpoll = a->presend_minpoll;
    s->min_stratum = (int)a->min_stratum;
    s->poll_target = (int)a->poll_target;
    s->version = (int)a->version;
    s->max_sources = (int)a->max_sources;
    s->min_samples = a->min_samples;
    s->max_samples = a->max_samples;
    s->authkey = a->authkey;
    s->nts_port = (int)a->nts_port;
    s->max_delay = a->max_delay;
    s->max_delay_ratio = a->max_delay_ratio;
    s->max_delay_dev_ratio = a->max_delay_dev_ratio;
    s->min_delay = a->min_delay;
    s->asymmetry = a->asymmetry;
    s->offset = a->offset;
    s->filter_length = a->filter_length;
    s->cert_set = a->cert_set;
    s->max_delay_quant = a->max_delay_quant;
    s->max_unreach = a->max_unreach;
    flags_to_cfg(s, a->flags);
    return CMDMON_STT_SUCCESS;
}

/* Bit for bit, as chrony's memcmp of the parameters: "offset nan" stays the
 * same directive on a reload, 0 and -0 do not. */
static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

int source_opts_equal(const struct source_cfg *a, const struct source_cfg *b)
{
    return a->type == b->type && a->name && b->name && strcmp(a->name, b->name) == 0 &&
           a->port == b->port && a->family == b->family && a->minpoll == b->minpoll &&
           a->maxpoll == b->maxpoll && a->presend_minpoll == b->presend_minpoll &&
           a->offline == b->offline && a->auto_offline == b->auto_offline && a->burst == b->burst &&
           a->iburst == b->iburst && a->copy == b->copy && a->interleaved == b->interleaved &&
           a->nts == b->nts && a->min_stratum == b->min_stratum &&
           a->poll_target == b->poll_target && a->version == b->version &&
           a->max_sources == b->max_sources && a->min_samples == b->min_samples &&
           a->max_samples == b->max_samples && a->filter_length == b->filter_length &&
           a->sel_options == b->sel_options && a->nts_port == b->nts_port &&
           a->ext_fields == b->ext_fields && a->max_unreach == b->max_unreach &&
           a->authkey == b->authkey && a->cert_set == b->cert_set &&
           same_double(a->max_delay, b->max_delay) &&
           same_double(a->max_delay_ratio, b->max_delay_ratio) &&
           same_double(a->max_delay_dev_ratio, b->max_delay_dev_ratio) &&
           same_double(a->max_delay_quant, b->max_delay_quant) &&
           same_double(a->min_delay, b->min_delay) && same_double(a->asymmetry, b->asymmetry) &&
           same_double(a->offset, b->offset);
}
