/* Source options (proto/source_opts): chrony's defaults, every option of
 * server/pool/peer lines and chronyc add, bad values, the ADD_SOURCE body as
 * chronyc sends it, and source_cfg -> request -> source_cfg round trips. */
#include "check.h"

#include "proto/source_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse opts (copied: the parser writes to its text) over the defaults. */
static enum source_opts_status parse(const char *opts, struct source_cfg *s)
{
    char buf[512];

    snprintf(buf, sizeof(buf), "%s", opts);
    source_opts_defaults(s);
    s->name = "ntp.example";
    return source_opts_parse(s, buf);
}

static void defaults(struct source_cfg *s)
{
    source_opts_defaults(s);
    s->name = "ntp.example";
}

/* opts parses, and gives exactly want (the defaults with the option applied). */
static void expect(const char *opts, const struct source_cfg *want)
{
    struct source_cfg s;

    if (parse(opts, &s) != SOURCE_OPTS_OK) {
        check_fail(__FILE__, __LINE__, "\"%s\" refused", opts);
        return;
    }
    if (!source_opts_equal(&s, want))
        check_fail(__FILE__, __LINE__, "\"%s\" parsed to other values", opts);
}

static void test_defaults(void)
{
    struct source_cfg s;

    memset(&s, 0xff, sizeof(s));
    source_opts_defaults(&s);
    CHECK_INT_EQ(s.type, CFG_SRC_SERVER);
    CHECK(s.name == NULL);
    CHECK_INT_EQ(s.port, 123);
    CHECK_INT_EQ(s.family, IPF_UNSPEC);
    CHECK_INT_EQ(s.minpoll, 6);
    CHECK_INT_EQ(s.maxpoll, 10);
    CHECK_INT_EQ(s.presend_minpoll, 100);
    CHECK(!s.offline && !s.auto_offline && !s.burst && !s.iburst && !s.copy && !s.interleaved &&
          !s.nts);
    CHECK_INT_EQ(s.min_stratum, 0);
    CHECK_INT_EQ(s.poll_target, 8);
    CHECK_INT_EQ(s.version, 0);
    CHECK_INT_EQ(s.max_sources, 4);
    CHECK_INT_EQ(s.min_samples, -1);
    CHECK_INT_EQ(s.max_samples, -1);
    CHECK_INT_EQ(s.filter_length, 0);
    CHECK_INT_EQ(s.sel_options, 0);
    CHECK_INT_EQ(s.nts_port, 4460);
    CHECK_INT_EQ(s.ext_fields, 0);
    CHECK_INT_EQ(s.max_unreach, 100000);
    CHECK_INT_EQ(s.authkey, 0);
    CHECK_INT_EQ(s.cert_set, 0);
    CHECK(s.max_delay == 3.0 && s.max_delay_ratio == 0.0 && s.max_delay_dev_ratio == 10.0);
    CHECK(s.max_delay_quant == 0.0 && s.min_delay == 0.0 && s.asymmetry == 1.0 && s.offset == 0.0);
}

static void test_flag_options(void)
{
    struct source_cfg w;

    defaults(&w), w.auto_offline = 1, expect("auto_offline", &w);
    defaults(&w), w.burst = 1, expect("burst", &w);
    defaults(&w), w.copy = 1, expect("copy", &w);
    defaults(&w), w.iburst = 1, expect("iburst", &w);
    defaults(&w), w.offline = 1, expect("offline", &w);
    defaults(&w), w.nts = 1, expect("nts", &w);
    defaults(&w), w.interleaved = 1, expect("xleave", &w);
    defaults(&w), w.family = IPF_INET4, expect("ipv4", &w);
    defaults(&w), w.family = IPF_INET6, expect("ipv6", &w);
    defaults(&w), w.family = IPF_INET4, expect("ipv6 ipv4", &w); /* the last one wins */
    defaults(&w), w.sel_options = CFG_SEL_NOSELECT, expect("noselect", &w);
    defaults(&w), w.sel_options = CFG_SEL_PREFER, expect("prefer", &w);
    defaults(&w), w.sel_options = CFG_SEL_REQUIRE, expect("require", &w);
    defaults(&w), w.sel_options = CFG_SEL_TRUST, expect("trust", &w);
    defaults(&w), w.sel_options = CFG_SEL_TRUST | CFG_SEL_PREFER, expect("trust prefer", &w);
    /* chrony compares option names without case */
    defaults(&w), w.iburst = 1, w.sel_options = CFG_SEL_PREFER, expect("IBurst PREFER", &w);
}

static void test_value_options(void)
{
    struct source_cfg w;

    defaults(&w), w.filter_length = 4, expect("filter 4", &w);
    defaults(&w), w.maxpoll = -32, expect("maxpoll -32", &w);
    defaults(&w), w.max_samples = 9, expect("maxsamples 9", &w);
    defaults(&w), w.max_sources = 6, expect("maxsources 6", &w);
    defaults(&w), w.max_unreach = 5, expect("maxunreach 5", &w);
    defaults(&w), w.minpoll = -40, expect("minpoll -40", &w); /* not bounded, as in chrony */
    defaults(&w), w.min_samples = 0, expect("minsamples 0", &w);
    defaults(&w), w.min_stratum = 16, expect("minstratum 16", &w);
    defaults(&w), w.nts_port = 4461, expect("ntsport 4461", &w);
    defaults(&w), w.port = 65535, expect("port 65535", &w);
    defaults(&w), w.poll_target = 1, expect("polltarget 1", &w);
    defaults(&w), w.presend_minpoll = 32, expect("presend 32", &w);
    defaults(&w), w.version = 3, expect("version 3", &w);
    defaults(&w), w.asymmetry = 0.5, expect("asymmetry 0.5", &w);
    defaults(&w), w.max_delay = 0.1, expect("maxdelay 0.1", &w);
    defaults(&w), w.max_delay_ratio = 2.0, expect("maxdelayratio 2", &w);
    defaults(&w), w.max_delay_dev_ratio = 3.0, expect("maxdelaydevratio 3", &w);
    defaults(&w), w.max_delay_quant = 0.5, expect("maxdelayquant 0.5", &w);
    defaults(&w), w.min_delay = 1e-3, expect("mindelay 1e-3", &w);
    defaults(&w), w.offset = -0.2, expect("offset -0.2", &w);
    defaults(&w), w.authkey = 4294967295u, expect("key 4294967295", &w);
    defaults(&w), w.cert_set = 2, expect("certset 2", &w);
    defaults(&w), w.ext_fields = CFG_EF_EXP_MONO_ROOT, expect("extfield F323", &w);
    defaults(&w), w.ext_fields = CFG_EF_EXP_NET_CORRECTION, expect("extfield f324", &w);
    defaults(&w), w.ext_fields = CFG_EF_EXP_MONO_ROOT | CFG_EF_EXP_NET_CORRECTION;
    expect("extfield 0xF323 extfield F324", &w);
    /* the last value wins; whitespace around words does not matter */
    defaults(&w), w.minpoll = 2, w.maxpoll = 4, w.iburst = 1;
    expect("  minpoll 3 MINPOLL 2\tmaxpoll 4  iburst  ", &w);
    defaults(&w), expect("", &w);
}

static void test_bad_options(void)
{
    static const struct {
        const char *opts;
        enum source_opts_status st;
    } cases[] = {
        {"foo", SOURCE_OPTS_BAD_OPTION},
        {"iburst bogus", SOURCE_OPTS_BAD_OPTION},
        {"minpoll", SOURCE_OPTS_BAD_VALUE},
        {"minpoll x", SOURCE_OPTS_BAD_VALUE},
        /* like sscanf("%d%n"): the rest of the value word is read as the next option */
        {"minpoll 6x", SOURCE_OPTS_BAD_OPTION},
        {"maxpoll 99999999999", SOURCE_OPTS_BAD_VALUE}, /* 1215752191 after sscanf's wrap */
        {"maxpoll 33", SOURCE_OPTS_BAD_VALUE},
        {"maxpoll -33", SOURCE_OPTS_BAD_VALUE},
        {"presend 33", SOURCE_OPTS_BAD_VALUE},
        {"version 0", SOURCE_OPTS_BAD_VALUE},
        {"version 5", SOURCE_OPTS_BAD_VALUE},
        {"key 0", SOURCE_OPTS_BAD_VALUE},
        {"key -4294967296", SOURCE_OPTS_BAD_VALUE}, /* 0 after the wrap */
        {"key 4294967296", SOURCE_OPTS_BAD_VALUE},
        {"certset x", SOURCE_OPTS_BAD_VALUE},
        {"extfield F000", SOURCE_OPTS_BAD_VALUE},
        {"extfield", SOURCE_OPTS_BAD_VALUE},
        {"port 65536", SOURCE_OPTS_BAD_VALUE},
        {"port -1", SOURCE_OPTS_BAD_VALUE},
        {"ntsport 65536", SOURCE_OPTS_BAD_VALUE},
        {"maxsources 0", SOURCE_OPTS_BAD_VALUE},
        {"minstratum 17", SOURCE_OPTS_BAD_VALUE},
        {"polltarget 0", SOURCE_OPTS_BAD_VALUE},
        {"minsamples -1", SOURCE_OPTS_BAD_VALUE},
        {"maxsamples -1", SOURCE_OPTS_BAD_VALUE},
        {"filter -1", SOURCE_OPTS_BAD_VALUE},
        {"maxunreach -1", SOURCE_OPTS_BAD_VALUE},
        {"maxdelay", SOURCE_OPTS_BAD_VALUE},
        {"offset abc", SOURCE_OPTS_BAD_VALUE},
    };
    struct source_cfg s;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum source_opts_status st = parse(cases[i].opts, &s);
        if (st != cases[i].st)
            check_fail(__FILE__, __LINE__, "\"%s\": status %d, want %d", cases[i].opts, (int)st,
                       (int)cases[i].st);
    }
    /* Values as glibc's sscanf reads them (chrony 4.8 and confdiff): no overflow check,
     * the low 32 bits kept; minpoll has no range in chrony. */
    CHECK_INT_EQ(parse("key -1 minpoll 4294967302 offset 1e maxdelay 1e+ iburst", &s),
                 SOURCE_OPTS_OK);
    CHECK(s.authkey == 4294967295u);
    CHECK_INT_EQ(s.minpoll, 6);
    CHECK(s.offset == 1.0 && s.max_delay == 1.0 && s.iburst);
    CHECK_INT_EQ(parse("offset nan(1)", &s), SOURCE_OPTS_BAD_OPTION);
    CHECK_INT_EQ(source_opts_sel_word("NoSelect"), CFG_SEL_NOSELECT);
    CHECK_INT_EQ(source_opts_sel_word("iburst"), 0);
}

/* The body chronyc 4.8 sends (spec 7.4, observed capture). */
static void test_encode_as_chronyc(void)
{
    struct cmdmon_req_add_source a;
    struct source_cfg s;

    CHECK_INT_EQ(parse("port 11124 minpoll 2 maxpoll 4 iburst prefer", &s), SOURCE_OPTS_OK);
    s.name = "127.0.0.1";
    memset(&a, 0xee, sizeof(a));
    CHECK(source_opts_encode(&s, &a));
    CHECK_INT_EQ(a.type, CMDMON_ADD_SERVER);
    CHECK_STR_EQ((const char *)a.name, "127.0.0.1");
    CHECK_INT_EQ(a.name[sizeof(a.name) - 1], 0);
    CHECK_INT_EQ(a.port, 11124);
    CHECK_INT_EQ(a.minpoll, 2);
    CHECK_INT_EQ(a.maxpoll, 4);
    CHECK_INT_EQ(a.presend_minpoll, 100);
    CHECK_INT_EQ(a.min_stratum, 0);
    CHECK_INT_EQ(a.poll_target, 8);
    CHECK_INT_EQ(a.version, 0);
    CHECK_INT_EQ(a.max_sources, 4);
    CHECK_INT_EQ(a.min_samples, -1);
    CHECK_INT_EQ(a.max_samples, -1);
    CHECK_INT_EQ(a.authkey, 0);
    CHECK_INT_EQ(a.nts_port, 4460);
    CHECK(a.max_delay == 3.0 && a.max_delay_ratio == 0.0 && a.max_delay_dev_ratio == 10.0);
    CHECK(a.min_delay == 0.0 && a.asymmetry == 1.0 && a.offset == 0.0);
    CHECK_INT_EQ(a.flags, CMDMON_SRC_ONLINE | CMDMON_SRC_IBURST | CMDMON_SRC_PREFER);
    CHECK_INT_EQ(a.filter_length, 0);
    CHECK_INT_EQ(a.cert_set, 0);
    CHECK(a.max_delay_quant == 0.0);
    CHECK_INT_EQ(a.max_unreach, 100000);

    /* offline clears ONLINE; every other flag option sets its bit */
    CHECK_INT_EQ(parse("offline auto_offline noselect trust require xleave burst nts copy "
                       "extfield F323 extfield F324 ipv4",
                       &s),
                 SOURCE_OPTS_OK);
    s.type = CFG_SRC_POOL;
    CHECK(source_opts_encode(&s, &a));
    CHECK_INT_EQ(a.type, CMDMON_ADD_POOL);
    CHECK_INT_EQ(a.flags, CMDMON_SRC_AUTOOFFLINE | CMDMON_SRC_NOSELECT | CMDMON_SRC_TRUST |
                              CMDMON_SRC_REQUIRE | CMDMON_SRC_INTERLEAVED | CMDMON_SRC_BURST |
                              CMDMON_SRC_NTS | CMDMON_SRC_COPY | CMDMON_SRC_EF_EXP_MONO_ROOT |
                              CMDMON_SRC_EF_EXP_NET_CORRECTION | CMDMON_SRC_IPV4);
    s.family = IPF_INET6;
    s.type = CFG_SRC_PEER;
    CHECK(source_opts_encode(&s, &a));
    CHECK_INT_EQ(a.type, CMDMON_ADD_PEER);
    CHECK_INT_EQ(a.flags & (CMDMON_SRC_IPV4 | CMDMON_SRC_IPV6), CMDMON_SRC_IPV6);
}

static void test_encode_name(void)
{
    struct cmdmon_req_add_source a;
    struct source_cfg s;
    char name[CMDMON_NAME_LEN + 1];

    defaults(&s);
    memset(name, 'a', sizeof(name));
    name[CMDMON_NAME_LEN - 1] = '\0';
    s.name = name;
    CHECK(source_opts_encode(&s, &a));
    CHECK_INT_EQ(a.name[CMDMON_NAME_LEN - 1], 0);
    name[CMDMON_NAME_LEN - 1] = 'a';
    name[CMDMON_NAME_LEN] = '\0';
    memset(&a, 0x5a, sizeof(a));
    CHECK(!source_opts_encode(&s, &a));
    CHECK_INT_EQ(a.type, 0x5a5a5a5a); /* untouched */
    s.name = NULL;
    CHECK(!source_opts_encode(&s, &a));
}

static int decode_name(const char *name, size_t len)
{
    struct cmdmon_req_add_source a;
    struct source_cfg s;
    int st;

    defaults(&s);
    CHECK(source_opts_encode(&s, &a));
    memset(a.name, 0, sizeof(a.name));
    memcpy(a.name, name, len);
    st = source_opts_decode(&a, &s);
    if (st == CMDMON_STT_SUCCESS)
        free(s.name);
    return st;
}

static void test_decode_checks(void)
{
    struct cmdmon_req_add_source a;
    struct source_cfg s, d;
    char long_name[CMDMON_NAME_LEN];

    defaults(&s);
    CHECK(source_opts_encode(&s, &a));
    a.type = 0;
    d.name = NULL;
    CHECK_INT_EQ(source_opts_decode(&a, &d), CMDMON_STT_INVALID);
    a.type = 4;
    CHECK_INT_EQ(source_opts_decode(&a, &d), CMDMON_STT_INVALID);
    CHECK(d.name == NULL);
    CHECK_INT_EQ(decode_name("", 0), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(decode_name("a b", 3), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(decode_name("a\tb", 3), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(decode_name("a\x7f", 2), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(decode_name("ntp.example", 11), CMDMON_STT_SUCCESS);
    memset(long_name, 'a', sizeof(long_name));
    CHECK_INT_EQ(decode_name(long_name, sizeof(long_name)), CMDMON_STT_INVALIDNAME);
    CHECK_INT_EQ(decode_name(long_name, sizeof(long_name) - 1), CMDMON_STT_SUCCESS);
    /* Both family bits: chronyd takes IPV4. Unknown flag bits are ignored. */
    a.type = CMDMON_ADD_SERVER;
    a.flags = CMDMON_SRC_IPV4 | CMDMON_SRC_IPV6 | 0x80000000u;
    CHECK_INT_EQ(source_opts_decode(&a, &d), CMDMON_STT_SUCCESS);
    CHECK_INT_EQ(d.family, IPF_INET4);
    CHECK(d.offline);
    free(d.name);
}

static void round_trip(const char *opts, enum cfg_source_type type)
{
    struct cmdmon_req_add_source a;
    struct source_cfg s, d;

    CHECK_INT_EQ(parse(opts, &s), SOURCE_OPTS_OK);
    s.type = type;
    CHECK(source_opts_encode(&s, &a));
    CHECK_INT_EQ(source_opts_decode(&a, &d), CMDMON_STT_SUCCESS);
    if (!source_opts_equal(&s, &d))
        check_fail(__FILE__, __LINE__, "\"%s\" (type %d) changed in the round trip", opts,
                   (int)type);
    free(d.name);
}

static void test_round_trip(void)
{
    static const char *const all =
        "iburst burst minpoll 4 maxpoll 8 polltarget 10 presend 6 prefer noselect trust "
        "require maxdelay 0.1 maxdelayratio 2 maxdelaydevratio 3 maxdelayquant 0.5 "
        "mindelay 0.01 asymmetry 0.5 offset -0.2 minsamples 3 maxsamples 9 filter 4 "
        "minstratum 2 maxunreach 5 offline auto_offline port 1123 version 3 key 7 nts "
        "ntsport 4461 certset 2 copy extfield F323 extfield F324 xleave maxsources 6 ipv6";

    round_trip("", CFG_SRC_SERVER);
    round_trip(all, CFG_SRC_SERVER);
    round_trip(all, CFG_SRC_POOL);
    round_trip(all, CFG_SRC_PEER);
    round_trip("ipv4 key 4294967295 minpoll -40 maxpoll -32 offset 1e300", CFG_SRC_SERVER);
}

static void test_equal(void)
{
    struct source_cfg a, b;
    char name[] = "ntp.example";

    defaults(&a);
    defaults(&b);
    b.name = name; /* same text, other storage */
    CHECK(source_opts_equal(&a, &b));
    b.max_delay_quant = 0.25;
    CHECK(!source_opts_equal(&a, &b));
    defaults(&b);
    b.type = CFG_SRC_POOL;
    CHECK(!source_opts_equal(&a, &b));
    defaults(&b);
    b.name = "ntp2.example";
    CHECK(!source_opts_equal(&a, &b));
    defaults(&b);
    b.offline = 1;
    CHECK(!source_opts_equal(&a, &b));
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_flag_options);
    RUN(test_value_options);
    RUN(test_bad_options);
    RUN(test_encode_as_chronyc);
    RUN(test_encode_name);
    RUN(test_decode_checks);
    RUN(test_round_trip);
    RUN(test_equal);
    return check_summary();
}
