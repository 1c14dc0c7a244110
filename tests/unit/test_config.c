/* Unit tests for daemon/config: every directive's parser, chrony's error messages,
 * include/confdir and the chronyd -p text. */
#include "check.h"
#include "daemon/config.h"
#include "fake_env.h"

#include <stdlib.h>
#include <string.h>

#define F "/etc/chrony.conf"

static char err[512];

/* Parse one line as line 3 of F into cfg; returns the parser's result. */
static int pl(struct config *cfg, const char *line)
{
    return config_parse_line(cfg, line, F, 3, NULL, err, sizeof(err));
}

/* A fresh config with one line parsed, which must succeed. */
static struct config *ok1(const char *line)
{
    struct config *cfg = config_new();
    int r = pl(cfg, line);
    if (r != 0)
        check_fail(__FILE__, __LINE__, "line \"%s\" failed: %s", line, err);
    return cfg;
}

/* The line must fail with exactly msg. */
static void bad(const char *line, const char *msg)
{
    struct config *cfg = config_new();
    int r = pl(cfg, line);
    if (r != -1)
        check_fail(__FILE__, __LINE__, "\"%s\" was accepted", line);
    if (r == -1 && strcmp(err, msg) != 0)
        check_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", want \"%s\"", line, err, msg);
    config_free(cfg);
}

/* The line parses (as in chrony, `chronyd -p` accepts it) and config_validate, run when
 * the daemon starts, fails with exactly msg. */
static void bad_at_start(const char *line, const char *msg)
{
    struct config *cfg = ok1(line);
    if (config_validate(cfg, err, sizeof(err)) != -1)
        check_fail(__FILE__, __LINE__, "\"%s\" was accepted at start", line);
    else if (strcmp(err, msg) != 0)
        check_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", want \"%s\"", line, err, msg);
    config_free(cfg);
}

static void test_defaults(void)
{
    struct config *cfg = config_new();
    CHECK_INT_EQ(cfg->port, 123);
    CHECK_INT_EQ(cfg->cmdport, 323);
    CHECK_INT_EQ(cfg->acquisition_port, -1);
    CHECK_INT_EQ(cfg->bind_addr4.family, IPF_UNSPEC);
    CHECK_INT_EQ(cfg->bind_addr6.family, IPF_UNSPEC);
    CHECK_STR_EQ(cfg->pidfile, CHRONY_RUNDIR "/chronyd.pid");
    CHECK_STR_EQ(cfg->bindcmd_path, CHRONY_RUNDIR "/chronyd.sock");
    CHECK(cfg->driftfile == NULL && cfg->logdir == NULL && cfg->keyfile == NULL);
    CHECK_STR_EQ(cfg->user, "root");
    CHECK_STR_EQ(cfg->rtcdevice, "/dev/rtc");
    CHECK_INT_EQ(cfg->local.enabled, 0);
    CHECK_INT_EQ(cfg->ratelimit.enabled, 0);
    CHECK_INT_EQ(cfg->ratelimit.interval, 3);
    CHECK_INT_EQ(cfg->ratelimit.burst, 8);
    CHECK_INT_EQ(cfg->ratelimit.leak, 2);
    CHECK_INT_EQ(cfg->cmdratelimit.interval, -4);
    CHECK_INT_EQ(cfg->ntsratelimit.interval, 6);
    CHECK_NEAR(cfg->maxupdateskew, 1000.0, 0);
    CHECK_NEAR(cfg->maxdrift, 500000.0, 0);
    CHECK_NEAR(cfg->maxslewrate, 83333.333, 0.001);
    CHECK_NEAR(cfg->maxdistance, 3.0, 0);
    CHECK_NEAR(cfg->maxjitter, 1.0, 0);
    CHECK_NEAR(cfg->reselectdist, 1e-4, 0);
    CHECK_NEAR(cfg->stratumweight, 1e-3, 0);
    CHECK_NEAR(cfg->combinelimit, 3.0, 0);
    CHECK_NEAR(cfg->corrtimeratio, 3.0, 0);
    CHECK_NEAR(cfg->logchange, 1.0, 0);
    CHECK_INT_EQ(cfg->minsources, 1);
    CHECK_INT_EQ(cfg->minsamples, 6);
    CHECK_INT_EQ(cfg->maxsamples, 0);
    CHECK_INT_EQ(cfg->makestep_limit, 0);
    CHECK_INT_EQ(cfg->maxchange_delay, -1);
    CHECK_INT_EQ(cfg->clientloglimit, 524288);
    CHECK_INT_EQ(cfg->logbanner, 32);
    CHECK_INT_EQ(cfg->refresh, 1209600);
    CHECK_INT_EQ(cfg->driftfile_interval, 3600);
    CHECK_INT_EQ(cfg->authselectmode, CFG_AUTHSELECT_MIX);
    CHECK_INT_EQ(cfg->leapsecmode, CFG_LEAP_SYSTEM);
    CHECK_INT_EQ(cfg->n_nts_aeads, 2);
    CHECK_INT_EQ(cfg->nts_aeads[0], 30);
    CHECK_INT_EQ(cfg->nts_aeads[1], 15);
    CHECK_INT_EQ(cfg->nts_port, 4460);
    CHECK_INT_EQ(cfg->nts_processes, 1);
    CHECK_INT_EQ(cfg->nts_max_connections, 100);
    CHECK_INT_EQ(cfg->nts_refresh, 2419200);
    CHECK_INT_EQ(cfg->nts_rotate, 604800);
    CHECK_INT_EQ(cfg->ptp_port, 0);
    CHECK_INT_EQ(cfg->ptp_domain, 123);
    CHECK_NEAR(cfg->hwts_timeout, 0.001, 0);
    CHECK_INT_EQ(cfg->open_commands, CFG_OPEN_ACTIVITY | CFG_OPEN_MANUAL | CFG_OPEN_RTCDATA |
                                         CFG_OPEN_SMOOTHING | CFG_OPEN_SOURCENAME |
                                         CFG_OPEN_SOURCES | CFG_OPEN_SOURCESTATS |
                                         CFG_OPEN_TRACKING);
    config_free(cfg);
    config_free(NULL);

    cfg = config_new_opts(0, 1);
    CHECK_INT_EQ(cfg->port, 0);
    CHECK_INT_EQ(cfg->cmdport, 0);
    CHECK(cfg->pidfile == NULL && cfg->bindcmd_path == NULL);
    config_free(cfg);
}

static void test_comments_whitespace_case(void)
{
    struct config *cfg = config_new();
    static const char *const skipped[] = {"", "   ", "# x", "  ! x", ";x", "%x", "\t#port 5"};
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        CHECK_INT_EQ(pl(cfg, skipped[i]), 0);
    CHECK_INT_EQ(cfg->n_print_lines, 0);
    CHECK_INT_EQ(pl(cfg, "  PoRt \t 1123  \n"), 0);
    CHECK_INT_EQ(cfg->port, 1123);
    CHECK_STR_EQ(cfg->print_lines[0], "PoRt 1123");
    config_free(cfg);
    /* a comment character after the directive is not a comment */
    bad("port 123 # ntp", "Too many arguments for port directive at line 3 in file " F);
}

static void test_invalid_directive_and_locations(void)
{
    struct config *cfg = config_new();
    bad("foo 1", "Invalid directive foo at line 3 in file " F);
    CHECK_INT_EQ(config_parse_line(cfg, "Bogus", NULL, 2, NULL, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Invalid directive Bogus at line 2");
    CHECK_INT_EQ(config_parse_line(cfg, "port x", NULL, 1, NULL, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Could not parse port directive at line 1");
    config_free(cfg);
}

static void test_too_long_line(void)
{
    char *line = malloc(2100);
    memset(line, 'a', 2099);
    line[2099] = '\0';
    bad(line, "String too long at line 3 in file " F);
    free(line);
}

static void test_int_directives(void)
{
    struct config *cfg = ok1("cmdport 0");
    CHECK_INT_EQ(cfg->cmdport, 0);
    config_free(cfg);
    cfg = ok1("acquisitionport 1123");
    CHECK_INT_EQ(cfg->acquisition_port, 1123);
    config_free(cfg);
    cfg = ok1("sched_priority 1");
    CHECK_INT_EQ(cfg->sched_priority, 1);
    config_free(cfg);
    cfg = ok1("dscp 46");
    CHECK_INT_EQ(cfg->dscp, 46);
    config_free(cfg);
    cfg = ok1("ptpport 319");
    CHECK_INT_EQ(cfg->ptp_port, 319);
    config_free(cfg);
    bad("port 65536",
        "Invalid value 65536 in port directive (min 0, max 65535) at line 3 in file " F);
    bad("port -1", "Invalid value -1 in port directive (min 0, max 65535) at line 3 in file " F);
    bad("port 12x", "Could not parse port directive at line 3 in file " F);
    bad("port", "Missing arguments for port directive at line 3 in file " F);
    bad("port 1 2", "Too many arguments for port directive at line 3 in file " F);
    bad("dscp 64", "Invalid value 64 in dscp directive (min 0, max 63) at line 3 in file " F);
    bad("minsources 0", "Invalid value 0 in minsources directive (min 1, max 2147483647) at line 3 "
                        "in file " F);
    bad("ntsprocesses 1001",
        "Invalid value 1001 in ntsprocesses directive (min 0, max 1000) at line 3 in file " F);
    bad("sched_priority 101",
        "Invalid value 101 in sched_priority directive (min 0, max 100) at line 3 in file " F);
    bad("ptpdomain 256",
        "Invalid value 256 in ptpdomain directive (min 0, max 255) at line 3 in file " F);
    bad("maxntsconnections 0", "Invalid value 0 in maxntsconnections directive (min 1, max "
                               "2147483647) at line 3 in file " F);
}

static void test_double_string_flag_directives(void)
{
    struct config *cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "maxupdateskew 100"), 0);
    CHECK_INT_EQ(pl(cfg, "maxdrift 1000.5"), 0);
    CHECK_INT_EQ(pl(cfg, "clockprecision 1e-9"), 0);
    CHECK_INT_EQ(pl(cfg, "maxdistance 16"), 0);
    CHECK_INT_EQ(pl(cfg, "driftfile /var/lib/chrony/drift"), 0);
    CHECK_INT_EQ(pl(cfg, "keyfile /etc/chrony.keys"), 0);
    CHECK_INT_EQ(pl(cfg, "logdir /var/log/chrony"), 0);
    CHECK_INT_EQ(pl(cfg, "dumpdir /var/lib/chrony"), 0);
    CHECK_INT_EQ(pl(cfg, "user chrony"), 0);
    CHECK_INT_EQ(pl(cfg, "rtcsync"), 0);
    CHECK_INT_EQ(pl(cfg, "lock_all"), 0);
    CHECK_INT_EQ(pl(cfg, "ntsdumpdir /var/lib/chrony"), 0);
    CHECK_INT_EQ(pl(cfg, "ntscachedir /var/cache/chrony"), 0);
    CHECK_INT_EQ(pl(cfg, "dumponexit"), 0);
    CHECK_NEAR(cfg->maxupdateskew, 100, 0);
    CHECK_NEAR(cfg->maxdrift, 1000.5, 0);
    CHECK_NEAR(cfg->clockprecision, 1e-9, 1e-20);
    CHECK_NEAR(cfg->maxdistance, 16, 0);
    CHECK_STR_EQ(cfg->driftfile, "/var/lib/chrony/drift");
    CHECK_STR_EQ(cfg->keyfile, "/etc/chrony.keys");
    CHECK_STR_EQ(cfg->logdir, "/var/log/chrony");
    CHECK_STR_EQ(cfg->dumpdir, "/var/lib/chrony");
    CHECK_STR_EQ(cfg->user, "chrony");
    CHECK_STR_EQ(cfg->nts_dump_dir, "/var/cache/chrony");
    CHECK_INT_EQ(cfg->rtcsync, 1);
    CHECK_INT_EQ(cfg->lock_all, 1);
    config_free(cfg);
    bad("maxdrift abc", "Could not parse maxdrift directive at line 3 in file " F);
    bad("maxdrift", "Missing arguments for maxdrift directive at line 3 in file " F);
    bad("rtcsync yes", "Too many arguments for rtcsync directive at line 3 in file " F);
    bad("keyfile a b", "Too many arguments for keyfile directive at line 3 in file " F);
}

static void test_obsolete_directive_warns(void)
{
    struct config *cfg = ok1("linux_hz 100");
    CHECK_INT_EQ(cfg->n_warnings, 1);
    CHECK_STR_EQ(cfg->warnings[0], "linux_hz directive is no longer supported");
    config_free(cfg);
}

static void test_allow_deny(void)
{
    struct config *cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "allow"), 0);
    CHECK_INT_EQ(pl(cfg, "deny all"), 0);
    CHECK_INT_EQ(pl(cfg, "allow 192.168"), 0);
    CHECK_INT_EQ(pl(cfg, "allow 10/8"), 0);
    CHECK_INT_EQ(pl(cfg, "deny all 2001:db8::/32"), 0);
    CHECK_INT_EQ(pl(cfg, "allow 1.2.3.4"), 0);
    CHECK_INT_EQ(pl(cfg, "allow ntp.example.net"), 0);
    CHECK_INT_EQ(pl(cfg, "cmdallow 127.0.0.1"), 0);
    CHECK_INT_EQ(pl(cfg, "cmddeny ::1"), 0);
    CHECK_INT_EQ(cfg->n_ntp_rules, 7);
    CHECK_INT_EQ(cfg->n_cmd_rules, 2);
    CHECK_INT_EQ(cfg->ntp_rules[0].ip.family, IPF_UNSPEC);
    CHECK_INT_EQ(cfg->ntp_rules[0].allow, 1);
    CHECK_INT_EQ(cfg->ntp_rules[0].all, 0);
    CHECK_INT_EQ(cfg->ntp_rules[1].allow, 0);
    CHECK_INT_EQ(cfg->ntp_rules[1].all, 1);
    CHECK_INT_EQ(cfg->ntp_rules[2].bits, 16);
    CHECK_INT_EQ(ip_addr_v4(&cfg->ntp_rules[2].ip), 0xc0a80000u);
    CHECK_INT_EQ(cfg->ntp_rules[3].bits, 8);
    CHECK_INT_EQ(cfg->ntp_rules[4].ip.family, IPF_INET6);
    CHECK_INT_EQ(cfg->ntp_rules[4].bits, 32);
    CHECK_INT_EQ(cfg->ntp_rules[4].all, 1);
    CHECK_INT_EQ(cfg->ntp_rules[5].bits, 32);
    CHECK_STR_EQ(cfg->ntp_rules[6].hostname, "ntp.example.net");
    CHECK_STR_EQ(cfg->ntp_rules[6].resolve_error,
                 "Could not parse allow directive at line 3 in file " F);
    CHECK(cfg->ntp_rules[5].resolve_error == NULL);
    CHECK_INT_EQ(cfg->cmd_rules[0].allow, 1);
    CHECK_INT_EQ(cfg->cmd_rules[1].allow, 0);
    CHECK_INT_EQ(cfg->cmd_rules[1].bits, 128);
    config_free(cfg);
    bad("allow 1.2.3.4 5.6.7.8", "Could not parse allow directive at line 3 in file " F);
    bad("allow 256.1", "Could not parse allow directive at line 3 in file " F);
    bad("deny 1.2.3.4.5", "Could not parse deny directive at line 3 in file " F);
    bad("allow 1.2.3.4/x", "Could not parse allow directive at line 3 in file " F);
    bad("allow 1.2.3.4/-1", "Could not parse allow directive at line 3 in file " F);
    bad("allow host.example/24", "Could not parse allow directive at line 3 in file " F);
    bad("allow all 1.2.3.4 x", "Could not parse allow directive at line 3 in file " F);
    bad("allow fe80::1::2", "Could not parse allow directive at line 3 in file " F);
    /* The shortened network's numbers are read as sscanf("%u") reads them (confdiff):
     * a sign is allowed and 4294967296 is 0. */
    cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "allow 4294967296"), 0);
    CHECK_INT_EQ(pl(cfg, "allow +1.-0"), 0);
    CHECK_INT_EQ(pl(cfg, "deny 1.2.3.4/4294967296"), 0);
    CHECK_INT_EQ(cfg->ntp_rules[0].ip.family, IPF_INET4);
    CHECK_INT_EQ(cfg->ntp_rules[0].ip.a[0], 0);
    CHECK_INT_EQ(cfg->ntp_rules[0].bits, 8);
    CHECK_INT_EQ(cfg->ntp_rules[1].ip.a[0], 1);
    CHECK_INT_EQ(cfg->ntp_rules[1].bits, 16);
    CHECK_INT_EQ(cfg->ntp_rules[2].bits, 0);
    config_free(cfg);
    bad("allow -1", "Could not parse allow directive at line 3 in file " F);
    bad("allow 1.2.3.", "Could not parse allow directive at line 3 in file " F);
    bad("allow 1.2.3.4/2147483648", "Could not parse allow directive at line 3 in file " F);
}

static void test_build_access(void)
{
    struct config *cfg = config_new();
    struct access_table *t;
    struct ip_addr a;
    CHECK_INT_EQ(pl(cfg, "allow 1.2"), 0);
    CHECK_INT_EQ(pl(cfg, "deny 1.2.3"), 0);
    CHECK_INT_EQ(pl(cfg, "allow 1.2.3.4"), 0);
    t = config_build_access(cfg->ntp_rules, cfg->n_ntp_rules, err, sizeof(err));
    CHECK(t != NULL);
    ip_addr_parse(&a, "1.2.3.4");
    CHECK(access_check(t, &a));
    ip_addr_parse(&a, "1.2.3.5");
    CHECK(!access_check(t, &a));
    ip_addr_parse(&a, "1.2.9.9");
    CHECK(access_check(t, &a));
    access_free(t);
    CHECK_INT_EQ(config_validate(cfg, err, sizeof(err)), 0);
    CHECK_INT_EQ(pl(cfg, "cmdallow ::/129"), 0);
    CHECK_INT_EQ(config_validate(cfg, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Bad subnet in ::/129");
    config_free(cfg);
    cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "allow 1.2.3.4/33"), 0);
    CHECK_INT_EQ(config_validate(cfg, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Bad subnet in 1.2.3.4/33");
    t = config_build_access(cfg->ntp_rules, cfg->n_ntp_rules, err, sizeof(err));
    CHECK(t == NULL);
    CHECK_STR_EQ(err, "Bad subnet in 1.2.3.4/33");
    config_free(cfg);
}

static void test_bind_addresses(void)
{
    struct config *cfg = config_new();
    char buf[IP_ADDR_STRLEN];
    CHECK_INT_EQ(pl(cfg, "bindaddress 192.0.2.1"), 0);
    CHECK_INT_EQ(pl(cfg, "bindaddress 2001:db8::1"), 0);
    CHECK_INT_EQ(pl(cfg, "bindacqaddress 0.0.0.0"), 0);
    CHECK_INT_EQ(pl(cfg, "bindcmdaddress 127.0.0.1"), 0);
    CHECK_INT_EQ(pl(cfg, "bindcmdaddress /var/run/c.sock"), 0);
    CHECK_INT_EQ(pl(cfg, "binddevice eth0"), 0);
    CHECK_STR_EQ(ip_addr_format(&cfg->bind_addr4, buf, sizeof(buf)), "192.0.2.1");
    CHECK_STR_EQ(ip_addr_format(&cfg->bind_addr6, buf, sizeof(buf)), "2001:db8::1");
    CHECK_INT_EQ(cfg->bind_acq_addr4.family, IPF_INET4);
    CHECK_INT_EQ(cfg->bindcmd_addr4.family, IPF_INET4);
    CHECK_INT_EQ(cfg->bindcmd_addr6.family, IPF_UNSPEC);
    CHECK_STR_EQ(cfg->bindcmd_path, "/var/run/c.sock");
    CHECK_STR_EQ(cfg->bind_device, "eth0");
    CHECK_INT_EQ(pl(cfg, "bindcmdaddress /"), 0);
    CHECK(cfg->bindcmd_path == NULL);
    CHECK_INT_EQ(pl(cfg, "pidfile /"), 0);
    CHECK(cfg->pidfile == NULL);
    CHECK_INT_EQ(pl(cfg, "pidfile /run/x.pid"), 0);
    CHECK_STR_EQ(cfg->pidfile, "/run/x.pid");
    config_free(cfg);
    bad("bindaddress localhost", "Could not parse bindaddress directive at line 3 in file " F);
    bad("bindcmdaddress x", "Could not parse bindcmdaddress directive at line 3 in file " F);
}

static void test_local(void)
{
    struct config *cfg = ok1("local");
    CHECK_INT_EQ(cfg->local.enabled, 1);
    CHECK_INT_EQ(cfg->local.stratum, 10);
    CHECK_NEAR(cfg->local.distance, 1.0, 0);
    CHECK_NEAR(cfg->local.wait_unsynced, 0.0, 0);
    config_free(cfg);
    cfg = ok1("local stratum 8 orphan distance 0.5 activate 0.1 waitsynced 60");
    CHECK_INT_EQ(cfg->local.stratum, 8);
    CHECK_INT_EQ(cfg->local.orphan, 1);
    CHECK_NEAR(cfg->local.distance, 0.5, 0);
    CHECK_NEAR(cfg->local.activate, 0.1, 0);
    CHECK_NEAR(cfg->local.wait_synced, 60, 0);
    CHECK_NEAR(cfg->local.wait_unsynced, 300, 0);
    config_free(cfg);
    cfg = ok1("local orphan waitunsynced 5");
    CHECK_NEAR(cfg->local.wait_unsynced, 5, 0);
    config_free(cfg);
    bad("local stratum 16", "Invalid value in local directive at line 3 in file " F);
    bad("local stratum 0", "Invalid value in local directive at line 3 in file " F);
    bad("local distance", "Invalid value in local directive at line 3 in file " F);
    bad("local foo", "Invalid option in local directive at line 3 in file " F);
}

static void test_log(void)
{
    struct config *cfg =
        ok1("log measurements statistics tracking rtc refclocks tempcomp selection");
    CHECK_INT_EQ(cfg->log_flags, CFG_LOG_MEASUREMENTS | CFG_LOG_STATISTICS | CFG_LOG_TRACKING |
                                     CFG_LOG_RTC | CFG_LOG_REFCLOCKS | CFG_LOG_TEMPCOMP |
                                     CFG_LOG_SELECTION);
    config_free(cfg);
    cfg = ok1("log rawmeasurements");
    CHECK_INT_EQ(cfg->log_flags, CFG_LOG_MEASUREMENTS | CFG_LOG_RAWMEASUREMENTS);
    config_free(cfg);
    bad("log tracking foo", "Invalid log parameter at line 3 in file " F);
    bad("log Tracking", "Invalid log parameter at line 3 in file " F);
}

static void test_ratelimit(void)
{
    struct config *cfg = ok1("ratelimit interval 1 burst 16 leak 3 kod 2");
    CHECK_INT_EQ(cfg->ratelimit.enabled, 1);
    CHECK_INT_EQ(cfg->ratelimit.interval, 1);
    CHECK_INT_EQ(cfg->ratelimit.burst, 16);
    CHECK_INT_EQ(cfg->ratelimit.leak, 3);
    CHECK_INT_EQ(cfg->ratelimit.kod, 2);
    CHECK_INT_EQ(cfg->cmdratelimit.enabled, 0);
    config_free(cfg);
    cfg = ok1("cmdratelimit");
    CHECK_INT_EQ(cfg->cmdratelimit.enabled, 1);
    CHECK_INT_EQ(cfg->cmdratelimit.interval, -4);
    config_free(cfg);
    cfg = ok1("ntsratelimit interval 8");
    CHECK_INT_EQ(cfg->ntsratelimit.interval, 8);
    config_free(cfg);
    bad("ratelimit interval 33", "Could not parse ratelimit directive at line 3 in file " F);
    bad("ratelimit burst", "Could not parse ratelimit directive at line 3 in file " F);
    bad("ratelimit foo 1", "Could not parse ratelimit directive at line 3 in file " F);
    bad("cmdratelimit kod 1", "Could not parse cmdratelimit directive at line 3 in file " F);
}

static void test_source_defaults_and_options(void)
{
    struct config *cfg = ok1("server ntp.example.com");
    struct source_cfg *s = &cfg->sources[0];
    CHECK_INT_EQ(cfg->n_sources, 1);
    CHECK_INT_EQ(s->type, CFG_SRC_SERVER);
    CHECK_STR_EQ(s->name, "ntp.example.com");
    CHECK_INT_EQ(s->port, 123);
    CHECK_INT_EQ(s->minpoll, 6);
    CHECK_INT_EQ(s->maxpoll, 10);
    CHECK_INT_EQ(s->presend_minpoll, 100);
    CHECK_INT_EQ(s->poll_target, 8);
    CHECK_INT_EQ(s->max_sources, 4);
    CHECK_INT_EQ(s->min_samples, -1);
    CHECK_INT_EQ(s->nts_port, 4460);
    CHECK_INT_EQ(s->max_unreach, 100000);
    CHECK_NEAR(s->max_delay, 3.0, 0);
    CHECK_NEAR(s->max_delay_dev_ratio, 10.0, 0);
    CHECK_NEAR(s->asymmetry, 1.0, 0);
    config_free(cfg);

    cfg = ok1("pool pool.example iburst burst minpoll 4 maxpoll 8 polltarget 10 presend 6 "
              "prefer noselect trust require maxdelay 0.1 maxdelayratio 2 maxdelaydevratio 3 "
              "maxdelayquant 0.5 mindelay 0.01 asymmetry 0.5 offset -0.2 minsamples 3 "
              "maxsamples 9 filter 4 minstratum 2 maxunreach 5 offline auto_offline port 1123 "
              "version 3 key 7 nts ntsport 4461 certset 2 copy extfield F323 xleave "
              "maxsources 6 ipv6");
    s = &cfg->sources[0];
    CHECK_INT_EQ(s->type, CFG_SRC_POOL);
    CHECK(s->iburst && s->burst && s->offline && s->auto_offline && s->nts && s->copy &&
          s->interleaved);
    CHECK_INT_EQ(s->minpoll, 4);
    CHECK_INT_EQ(s->maxpoll, 8);
    CHECK_INT_EQ(s->poll_target, 10);
    CHECK_INT_EQ(s->presend_minpoll, 6);
    CHECK_INT_EQ(s->sel_options,
                 CFG_SEL_PREFER | CFG_SEL_NOSELECT | CFG_SEL_TRUST | CFG_SEL_REQUIRE);
    CHECK_NEAR(s->max_delay, 0.1, 0);
    CHECK_NEAR(s->max_delay_ratio, 2, 0);
    CHECK_NEAR(s->max_delay_dev_ratio, 3, 0);
    CHECK_NEAR(s->max_delay_quant, 0.5, 0);
    CHECK_NEAR(s->min_delay, 0.01, 0);
    CHECK_NEAR(s->asymmetry, 0.5, 0);
    CHECK_NEAR(s->offset, -0.2, 0);
    CHECK_INT_EQ(s->min_samples, 3);
    CHECK_INT_EQ(s->max_samples, 9);
    CHECK_INT_EQ(s->filter_length, 4);
    CHECK_INT_EQ(s->min_stratum, 2);
    CHECK_INT_EQ(s->max_unreach, 5);
    CHECK_INT_EQ(s->port, 1123);
    CHECK_INT_EQ(s->version, 3);
    CHECK_INT_EQ(s->authkey, 7);
    CHECK_INT_EQ(s->nts_port, 4461);
    CHECK_INT_EQ(s->cert_set, 2);
    CHECK_INT_EQ(s->ext_fields, CFG_EF_EXP_MONO_ROOT);
    CHECK_INT_EQ(s->max_sources, 6);
    CHECK_INT_EQ(s->family, IPF_INET6);
    config_free(cfg);

    cfg = ok1("PEER 192.0.2.5 key 1");
    CHECK_INT_EQ(cfg->sources[0].type, CFG_SRC_PEER);
    config_free(cfg);
}

static void test_source_errors(void)
{
    bad("server", "Invalid syntax for server directive at line 3 in file " F);
    bad("server a foo", "Invalid option in server directive at line 3 in file " F);
    bad("Pool a minpoll", "Invalid value in Pool directive at line 3 in file " F);
    bad("server a maxpoll 33", "Invalid value in server directive at line 3 in file " F);
    bad("server a version 5", "Invalid value in server directive at line 3 in file " F);
    bad("server a key 0", "Invalid value in server directive at line 3 in file " F);
    bad("server a extfield F000", "Invalid value in server directive at line 3 in file " F);
    bad("server a port 65536", "Invalid value in server directive at line 3 in file " F);
    bad("pool a maxsources 0", "Invalid value in pool directive at line 3 in file " F);
    bad("peer a minstratum 17", "Invalid value in peer directive at line 3 in file " F);
    /* like sscanf("%d%n"): the rest of the value word is read as the next option */
    bad("server a minpoll 6x", "Invalid option in server directive at line 3 in file " F);
}

static void test_refclock(void)
{
    struct config *cfg = ok1("refclock SHM 0:perm=0644 lock NMEA refid GPS poll 3 dpoll -2 "
                             "filter 32 rate 2 offset 0.1 delay 0.2 precision 1e-6 "
                             "maxdispersion 0.5 stratum 1 width 0.1 pps tai prefer "
                             "minsamples 4 maxsamples 8 maxlockage 3 maxunreach 10");
    struct refclock_cfg *r = &cfg->refclocks[0];
    CHECK_STR_EQ(r->driver, "SHM");
    CHECK_STR_EQ(r->param, "0:perm=0644");
    CHECK_INT_EQ(r->lock_ref_id, 0x4e4d4541);
    CHECK_INT_EQ(r->ref_id, 0x47505300);
    CHECK_INT_EQ(r->poll, 3);
    CHECK_INT_EQ(r->dpoll, -2);
    CHECK_INT_EQ(r->filter_length, 32);
    CHECK_INT_EQ(r->pps_rate, 2);
    CHECK_NEAR(r->offset, 0.1, 0);
    CHECK_NEAR(r->delay, 0.2, 0);
    CHECK_INT_EQ(r->stratum, 1);
    CHECK(r->pps_forced && !r->local && r->tai);
    CHECK_INT_EQ(r->sel_options, CFG_SEL_PREFER);
    CHECK_INT_EQ(r->max_lock_age, 3);
    CHECK_INT_EQ(r->max_unreach, 10);
    config_free(cfg);
    cfg = ok1("refclock SHM 0");
    r = &cfg->refclocks[0];
    CHECK_INT_EQ(r->poll, 4);
    CHECK_INT_EQ(r->filter_length, 64);
    CHECK_NEAR(r->delay, 1e-9, 0);
    CHECK_INT_EQ(r->max_lock_age, 2);
    config_free(cfg);
    cfg = ok1("refclock PPS /dev/pps0:clear lock GPS");
    CHECK_STR_EQ(cfg->refclocks[0].driver, "PPS");
    CHECK_STR_EQ(cfg->refclocks[0].param, "/dev/pps0:clear");
    config_free(cfg);
    cfg = ok1("refclock PHC /dev/ptp0:extpps:pin=1:channel=0:clear:nocrossts");
    CHECK_STR_EQ(cfg->refclocks[0].driver, "PHC");
    config_free(cfg);
    cfg = ok1("refclock RTC /dev/rtc0:utc");
    CHECK_STR_EQ(cfg->refclocks[0].driver, "RTC");
    CHECK_STR_EQ(cfg->refclocks[0].param, "/dev/rtc0:utc");
    config_free(cfg);
    bad("refclock", "Could not parse refclock directive at line 3 in file " F);
    bad("refclock SHM", "Could not parse refclock directive at line 3 in file " F);
    bad("refclock SHM 0 refid TOOLONG", "Invalid value in refclock directive at line 3 in file " F);
    bad("refclock SHM 0 stratum 16", "Invalid value in refclock directive at line 3 in file " F);
    bad("refclock SHM 0 bogus", "Invalid option in refclock directive at line 3 in file " F);
    /* Drivers and options this build does not have are refused, never ignored: when
     * the daemon starts, as chrony does (not by chronyd -p). */
    bad_at_start("refclock PPS /dev/pps0:extpps", "Invalid refclock driver option extpps");
    bad_at_start("refclock PPS /dev/pps0:clearx", "Invalid refclock driver option clearx");
    bad_at_start("refclock PHC /dev/ptp0:perm=0644", "Invalid refclock driver option perm=0644");
    bad_at_start("refclock PHC /dev/ptp0:extpps:pins=1", "Invalid refclock driver option pins=1");
    bad_at_start("refclock RTC /dev/rtc0:local", "Invalid refclock driver option local");
    bad_at_start("refclock shm 0", "unknown refclock driver shm");
    /* `local`: one refclock at most. */
    cfg = ok1("refclock SHM 0 local");
    CHECK_INT_EQ(cfg->refclocks[0].local, 1);
    CHECK_INT_EQ(pl(cfg, "refclock SHM 1"), 0);
    CHECK_INT_EQ(pl(cfg, "refclock SOCK /run/x.sock local"), -1);
    CHECK_STR_EQ(err,
                 "refclock option local may be given to one refclock only at line 3 in file " F);
    config_free(cfg);
    bad_at_start("refclock SHM 0:perm=0644:poll", "Invalid refclock driver option poll");
    bad_at_start("refclock SHM 0:permx", "Invalid refclock driver option permx");
    bad_at_start("refclock SOCK /run/x.sock:perm=0666", "Invalid refclock driver option perm=0666");
}

static void test_misc_structured(void)
{
    struct config *cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "makestep 1.0 3"), 0);
    CHECK_INT_EQ(pl(cfg, "maxchange 1000 1 2"), 0);
    CHECK_INT_EQ(pl(cfg, "fallbackdrift 16 19"), 0);
    CHECK_INT_EQ(pl(cfg, "mailonchange root@localhost 0.5"), 0);
    CHECK_INT_EQ(pl(cfg, "smoothtime 400 0.001 leaponly"), 0);
    CHECK_INT_EQ(pl(cfg, "tempcomp /sys/temp 30 26000 0.0 0.000183 0.0"), 0);
    CHECK_INT_EQ(pl(cfg, "driftfile /var/lib/chrony/drift interval 60"), 0);
    CHECK_INT_EQ(pl(cfg, "leapsecmode slew"), 0);
    CHECK_INT_EQ(pl(cfg, "authselectmode require"), 0);
    CHECK_INT_EQ(pl(cfg, "clientloglimit 1048576"), 0);
    CHECK_INT_EQ(pl(cfg, "broadcast 30 192.168.1.255"), 0);
    CHECK_INT_EQ(pl(cfg, "broadcast 60 192.168.2.255 1123"), 0);
    CHECK_INT_EQ(pl(cfg, "initstepslew 30 a.example b.example"), 0);
    CHECK_INT_EQ(pl(cfg, "hwtimestamp eth0 minpoll -2 rxfilter ntp nocrossts precision 1e-8"), 0);
    CHECK_INT_EQ(pl(cfg, "hwtimestamp *"), 0);
    CHECK_INT_EQ(pl(cfg, "opencommands tracking clients"), 0);
    CHECK_INT_EQ(pl(cfg, "ntsaeads 15"), 0);
    CHECK_INT_EQ(pl(cfg, "ntsservercert /a.crt"), 0);
    CHECK_INT_EQ(pl(cfg, "ntsserverkey /a.key"), 0);
    CHECK_INT_EQ(pl(cfg, "ntstrustedcerts /etc/ca"), 0);
    CHECK_INT_EQ(pl(cfg, "ntstrustedcerts 2 /etc/ca2"), 0);
    CHECK_INT_EQ(pl(cfg, "sourcedir /etc/chrony/sources.d"), 0);
    CHECK_NEAR(cfg->makestep_threshold, 1.0, 0);
    CHECK_INT_EQ(cfg->makestep_limit, 3);
    CHECK_NEAR(cfg->maxchange_offset, 1000, 0);
    CHECK_INT_EQ(cfg->maxchange_delay, 1);
    CHECK_INT_EQ(cfg->maxchange_ignore, 2);
    CHECK_INT_EQ(cfg->fallbackdrift_min, 16);
    CHECK_INT_EQ(cfg->fallbackdrift_max, 19);
    CHECK_STR_EQ(cfg->mailonchange_user, "root@localhost");
    CHECK_NEAR(cfg->smooth_max_freq, 400, 0);
    CHECK_INT_EQ(cfg->smooth_leap_only, 1);
    CHECK_STR_EQ(cfg->tempcomp_sensor, "/sys/temp");
    CHECK_NEAR(cfg->tempcomp_k1, 0.000183, 0);
    CHECK(cfg->tempcomp_point_file == NULL);
    CHECK_INT_EQ(cfg->driftfile_interval, 60);
    CHECK_INT_EQ(cfg->leapsecmode, CFG_LEAP_SLEW);
    CHECK_INT_EQ(cfg->authselectmode, CFG_AUTHSELECT_REQUIRE);
    CHECK_INT_EQ(cfg->clientloglimit, 1048576);
    CHECK_INT_EQ(cfg->n_broadcasts, 2);
    CHECK_INT_EQ(cfg->broadcasts[0].port, 123);
    CHECK_INT_EQ(cfg->broadcasts[1].port, 1123);
    CHECK_INT_EQ(cfg->broadcasts[1].interval, 60);
    CHECK_INT_EQ(cfg->n_initstepslew_hosts, 2);
    CHECK_STR_EQ(cfg->initstepslew_hosts[1], "b.example");
    CHECK_NEAR(cfg->initstepslew_threshold, 30, 0);
    CHECK_INT_EQ(cfg->n_hwts, 2);
    CHECK_INT_EQ(cfg->hwts[0].minpoll, -2);
    CHECK_INT_EQ(cfg->hwts[0].maxpoll, -1);
    CHECK_INT_EQ(cfg->hwts[0].rxfilter, CFG_HWTS_RXFILTER_NTP);
    CHECK_INT_EQ(cfg->hwts[0].nocrossts, 1);
    CHECK_INT_EQ(cfg->hwts[1].min_samples, 2);
    CHECK_INT_EQ(cfg->hwts[1].max_samples, 16);
    CHECK_INT_EQ(cfg->open_commands, CFG_OPEN_TRACKING | CFG_OPEN_CLIENTS);
    CHECK_INT_EQ(cfg->n_nts_aeads, 1);
    CHECK_INT_EQ(cfg->nts_aeads[0], 15);
    CHECK_INT_EQ(cfg->n_nts_server_certs, 1);
    CHECK_INT_EQ(cfg->n_nts_server_keys, 1);
    CHECK_INT_EQ(cfg->n_nts_trusted_certs, 2);
    CHECK_INT_EQ(cfg->nts_trusted_cert_ids[1], 2);
    CHECK_STR_EQ(cfg->nts_trusted_certs[1], "/etc/ca2");
    CHECK_STR_EQ(cfg->source_dirs[0], "/etc/chrony/sources.d");
    CHECK_INT_EQ(pl(cfg, "tempcomp /sys/temp 30 /etc/points"), 0);
    CHECK_STR_EQ(cfg->tempcomp_point_file, "/etc/points");
    config_free(cfg);
}

static void test_misc_errors(void)
{
    bad("makestep 1", "Missing arguments for makestep directive at line 3 in file " F);
    bad("makestep 1 x", "Could not parse makestep directive at line 3 in file " F);
    bad("maxchange 1 2", "Missing arguments for maxchange directive at line 3 in file " F);
    bad("smoothtime 1", "Missing arguments for smoothtime directive at line 3 in file " F);
    bad("smoothtime 1 2 3 4", "Too many arguments for smoothtime directive at line 3 in file " F);
    bad("smoothtime 1 2 leap", "Could not parse smoothtime directive at line 3 in file " F);
    bad("tempcomp a b", "Missing arguments for tempcomp directive at line 3 in file " F);
    bad("driftfile /d interval", "Could not parse driftfile directive at line 3 in file " F);
    bad("driftfile /d every 5", "Could not parse driftfile directive at line 3 in file " F);
    bad("leapsecmode smear", "Could not parse leapsecmode directive at line 3 in file " F);
    bad("authselectmode x", "Could not parse authselectmode directive at line 3 in file " F);
    bad("broadcast x 1.2.3.4", "Could not parse broadcast directive at line 3 in file " F);
    bad("broadcast 30 host", "Could not parse broadcast directive at line 3 in file " F);
    bad("broadcast 30 1.2.3.4 1 2", "Could not parse broadcast directive at line 3 in file " F);
    bad("hwtimestamp", "Could not parse hwtimestamp directive at line 3 in file " F);
    bad("hwtimestamp eth0 rxfilter any",
        "Could not parse hwtimestamp directive at line 3 in file " F);
    bad("opencommands tracking foo", "Could not parse opencommands directive at line 3 in file " F);
    bad("ntsaeads 15 x", "Could not parse ntsaeads directive at line 3 in file " F);
    bad("ntsaeads -1", "Invalid value -1 in ntsaeads directive (min 0, max 2147483647) at line 3 "
                       "in file " F);
    bad("ntstrustedcerts x /p", "Could not parse ntstrustedcerts directive at line 3 in file " F);
    bad("ntstrustedcerts 1 2 3", "Too many arguments for ntstrustedcerts directive at line 3 in "
                                 "file " F);
    bad("mailonchange a", "Missing arguments for mailonchange directive at line 3 in file " F);
    bad("initstepslew", "Could not parse initstepslew directive at line 3 in file " F);
    bad("clientloglimit x", "Could not parse clientloglimit directive at line 3 in file " F);
    bad("fallbackdrift 1 x", "Could not parse fallbackdrift directive at line 3 in file " F);
}

static void test_restarted(void)
{
    struct config *cfg = config_new_opts(1, 0);
    CHECK_INT_EQ(pl(cfg, "makestep 1 3"), 0);
    CHECK_INT_EQ(cfg->makestep_limit, 0);
    CHECK_INT_EQ(pl(cfg, "makestep 1 -1"), 0);
    CHECK_INT_EQ(cfg->makestep_limit, -1);
    CHECK_INT_EQ(pl(cfg, "initstepslew 10 a"), 0);
    CHECK_INT_EQ(cfg->initstepslew_enabled, 0);
    config_free(cfg);
}

static void test_files_include_confdir(void)
{
    struct fake_env fe;
    struct config *cfg = config_new();
    char *text;
    fake_env_init(&fe);
    fake_env_put_file(&fe, "/etc/chrony.conf",
                      "# main\nserver a.example iburst\ninclude /etc/chrony.d/*.inc\n"
                      "confdir /run/chrony.d /etc/chrony.d\nCONFDIR /none\nrtcsync\n");
    fake_env_put_file(&fe, "/etc/chrony.d/x.inc", "allow 10/8\n");
    fake_env_put_file(&fe, "/etc/chrony.d/b.conf", "port 1123\n");
    fake_env_put_file(&fe, "/etc/chrony.d/a.conf", "local stratum 5\n");
    fake_env_put_file(&fe, "/run/chrony.d/b.conf", "port 2123\n");
    fake_env_put_file(&fe, "/run/chrony.d/c.conf", "  pool   p.example\n");
    CHECK_INT_EQ(config_parse_file(cfg, "/etc/chrony.conf", &fe.env.files, err, sizeof(err)), 0);
    CHECK_INT_EQ(cfg->port, 2123);
    CHECK_INT_EQ(cfg->local.stratum, 5);
    text = config_format(cfg);
    CHECK_STR_EQ(text, "server a.example iburst\nallow 10/8\nlocal stratum 5\nport 2123\n"
                       "pool p.example\nrtcsync\n");
    free(text);
    config_free(cfg);

    /* errors name the included file and its line */
    fake_env_put_file(&fe, "/etc/chrony.d/x.inc", "\nallow 10/8\nbogus\n");
    cfg = config_new();
    CHECK_INT_EQ(config_parse_file(cfg, "/etc/chrony.conf", &fe.env.files, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Invalid directive bogus at line 3 in file /etc/chrony.d/x.inc");
    config_free(cfg);

    /* a missing plain include is an error; a missing main file too */
    cfg = config_new();
    CHECK_INT_EQ(pl(cfg, "include /nonexistent.conf"), -1);
    CHECK_STR_EQ(err, "Could not open /nonexistent.conf : No such file or directory");
    CHECK_INT_EQ(
        config_parse_line(cfg, "include /x/*.conf", NULL, 1, &fe.env.files, err, sizeof(err)), 0);
    CHECK_INT_EQ(config_parse_file(cfg, "/missing", &fe.env.files, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Could not open /missing : No such file or directory");
    CHECK_INT_EQ(pl(cfg, "include"), -1);
    CHECK_STR_EQ(err, "Missing arguments for include directive at line 3 in file " F);
    CHECK_INT_EQ(pl(cfg, "confdir"), -1);
    CHECK_STR_EQ(err, "Could not parse confdir directive at line 3 in file " F);
    CHECK_INT_EQ(pl(cfg, "confdir 1 2 3 4 5 6 7 8 9 10 11"), -1);
    CHECK_STR_EQ(err, "Could not parse confdir directive at line 3 in file " F);
    config_free(cfg);

    /* recursion stops at the include limit */
    fake_env_put_file(&fe, "/loop.conf", "include /loop.conf\n");
    cfg = config_new();
    CHECK_INT_EQ(config_parse_file(cfg, "/loop.conf", &fe.env.files, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Maximum include level reached");
    config_free(cfg);
    fake_env_fini(&fe);
}

static void test_sourcedirs(void)
{
    struct fake_env fe;
    struct config *cfg = config_new();
    struct source_cfg *src = NULL;
    size_t n;
    fake_env_init(&fe);
    fake_env_put_file(&fe, "/run/s/a.sources",
                      "server a.example iburst\nbogus line\n"
                      "server bad.example foo\n# c\nPOOL p.example\n");
    fake_env_put_file(&fe, "/etc/s/a.sources", "server hidden.example\n");
    fake_env_put_file(&fe, "/etc/s/b.sources", "peer b.example\nserver unterminated.example");
    fake_env_put_file(&fe, "/etc/s/c.conf", "server notsources.example\n");
    CHECK_INT_EQ(pl(cfg, "sourcedir /run/s /etc/s"), 0);
    n = config_load_sourcedirs(cfg, &fe.env.files, &src);
    CHECK_INT_EQ(n, 3);
    if (n == 3) {
        CHECK_STR_EQ(src[0].name, "a.example");
        CHECK_INT_EQ(src[0].iburst, 1);
        CHECK_STR_EQ(src[1].name, "p.example");
        CHECK_INT_EQ(src[1].type, CFG_SRC_POOL);
        CHECK_STR_EQ(src[2].name, "b.example");
        CHECK_INT_EQ(src[2].type, CFG_SRC_PEER);
    }
    config_free_sources(src, n);
    config_free(cfg);
    fake_env_fini(&fe);
}

static void test_format_empty_and_args(void)
{
    struct config *cfg = config_new();
    char *text = config_format(cfg);
    CHECK_STR_EQ(text, "");
    free(text);
    CHECK_INT_EQ(pl(cfg, "manual"), 0);
    CHECK_INT_EQ(pl(cfg, "  server\t a   b  "), -1);
    text = config_format(cfg);
    CHECK_STR_EQ(text, "manual\nserver a b\n");
    free(text);
    config_free(cfg);
}

/* Random lines built from directive names and awkward tokens must never crash
 * (ASan/UBSan builds) and must leave a consistent config behind. Seed fixed. */
static void test_random_lines_survive(void)
{
    static const char *const words[] = {"server",
                                        "pool",
                                        "peer",
                                        "refclock",
                                        "allow",
                                        "deny",
                                        "all",
                                        "local",
                                        "log",
                                        "ratelimit",
                                        "kod",
                                        "include",
                                        "confdir",
                                        "smoothtime",
                                        "tempcomp",
                                        "hwtimestamp",
                                        "driftfile",
                                        "interval",
                                        "broadcast",
                                        "makestep",
                                        "1.2.3.4/33",
                                        "::1",
                                        "10/8",
                                        "-1",
                                        "1e999",
                                        "nan",
                                        "0x10",
                                        "65536",
                                        "2147483648",
                                        "minpoll",
                                        "refid",
                                        "ABCDE",
                                        "/",
                                        "#",
                                        "  ",
                                        "\t",
                                        "stratum",
                                        "orphan",
                                        "rxfilter",
                                        "ntp",
                                        "opencommands",
                                        "ntstrustedcerts",
                                        "initstepslew",
                                        "bindcmdaddress",
                                        "pidfile",
                                        "ntsaeads",
                                        "extfield",
                                        "F324",
                                        ""};
    unsigned seed = 12345;
    struct config *cfg = config_new();
    for (int i = 0; i < 3000; i++) {
        char line[256] = "";
        int n = 1 + (int)((seed >> 16) % 6);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            strncat(line, words[(seed >> 16) % (sizeof(words) / sizeof(words[0]))],
                    sizeof(line) - strlen(line) - 2);
            strcat(line, " ");
        }
        (void)config_parse_line(cfg, line, NULL, i, NULL, err, sizeof(err));
        seed = seed * 1103515245u + 12345u;
    }
    char *text = config_format(cfg);
    CHECK(text != NULL);
    free(text);
    config_free(cfg);
}

int main(void)
{
    RUN(test_random_lines_survive);
    RUN(test_defaults);
    RUN(test_comments_whitespace_case);
    RUN(test_invalid_directive_and_locations);
    RUN(test_too_long_line);
    RUN(test_int_directives);
    RUN(test_double_string_flag_directives);
    RUN(test_obsolete_directive_warns);
    RUN(test_allow_deny);
    RUN(test_build_access);
    RUN(test_bind_addresses);
    RUN(test_local);
    RUN(test_log);
    RUN(test_ratelimit);
    RUN(test_source_defaults_and_options);
    RUN(test_source_errors);
    RUN(test_refclock);
    RUN(test_misc_structured);
    RUN(test_misc_errors);
    RUN(test_restarted);
    RUN(test_files_include_confdir);
    RUN(test_sourcedirs);
    RUN(test_format_empty_and_args);
    return check_summary();
}
