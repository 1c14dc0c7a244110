/* chronyc command parsing: request bodies built from command lines (spec 7)
 * and the client-side checks, with a fake daemon that records requests. */
#include "check.h"

#include "chronyc/client.h"

#include <stdlib.h>
#include <string.h>

struct recorder {
    struct cmdmon_request last;
    int n;
    uint16_t status;
    int old_daemon;
};

static int record_exchange(void *ctx, struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    struct recorder *r = ctx;
    r->last = *req;
    r->n++;
    cmdmon_reply_init(rpy, req, r->status);
    /* Behave like a 4.3 daemon for LOCAL3 when asked to. */
    if (r->old_daemon && req->command == CMDMON_REQ_LOCAL3)
        rpy->status = CMDMON_STT_INVALID;
    return 1;
}

static int run(const char *line, struct recorder *r, char **out)
{
    struct chronyc c;
    size_t len;
    FILE *f = open_memstream(out, &len);
    char buf[512];
    int ok;

    memset(r, 0, sizeof(*r));
    chronyc_init(&c, f, f);
    c.exchange = record_exchange;
    c.exchange_ctx = r;
    snprintf(buf, sizeof(buf), "%s", line);
    ok = chronyc_run_line(&c, buf);
    fclose(f);
    return ok;
}

static void test_selectopts_bits(void)
{
    struct recorder r;
    char *out;

    CHECK(run("selectopts 127.0.0.1 +trust -prefer", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_MODIFY_SELECTOPTS);
    CHECK_INT_EQ(r.last.u.selectopts.mask, 0x6);
    CHECK_INT_EQ(r.last.u.selectopts.options, 0x20);
    CHECK_STR_EQ(out, "200 OK\n");
    free(out);
    CHECK(run("selectopts SHM0 +noselect", &r, &out));
    CHECK_INT_EQ(r.last.u.selectopts.address.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(r.last.u.selectopts.ref_id, 0x53484D30);
    CHECK_INT_EQ(r.last.u.selectopts.mask, 0x1);
    CHECK_INT_EQ(r.last.u.selectopts.options, 0x10);
    free(out);
}

static void test_add_source(void)
{
    struct recorder r;
    char *out;
    const struct cmdmon_req_add_source *a = &r.last.u.add_source;

    r.status = 0;
    CHECK(run("add server 127.0.0.1 port 11124 minpoll 2 maxpoll 4 iburst prefer", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_ADD_SOURCE);
    CHECK_STR_EQ((const char *)a->name, "127.0.0.1");
    CHECK_INT_EQ(a->port, 11124);
    CHECK_INT_EQ(a->minpoll, 2);
    CHECK_INT_EQ(a->maxpoll, 4);
    CHECK_INT_EQ(a->flags, 0x0D);
    CHECK_INT_EQ(a->presend_minpoll, 100);
    CHECK_INT_EQ(a->max_unreach, 100000);
    CHECK(a->max_delay == 3.0 && a->asymmetry == 1.0 && a->max_delay_dev_ratio == 10.0);
    free(out);
    CHECK(!run("add server 127.0.0.1 bogus", &r, &out));
    CHECK_INT_EQ(r.n, 0);
    CHECK_STR_EQ(out, "Invalid syntax for add command\n");
    free(out);
    CHECK(run("add pool 10.0.0.1 offline maxsources 2", &r, &out));
    CHECK_INT_EQ(a->type, CMDMON_ADD_POOL);
    CHECK_INT_EQ(a->flags, 0);
    CHECK_INT_EQ(a->max_sources, 2);
    free(out);
}

/* The options are chrony.conf's (proto/source_opts): any case, extfield in
 * hex, the directive's bounds; anything refused is a syntax error. */
static void test_add_source_config_options(void)
{
    struct recorder r;
    char *out;
    const struct cmdmon_req_add_source *a = &r.last.u.add_source;

    CHECK(run("add peer 127.0.0.1 XLEAVE extfield f324 key 5 minsamples 3 offset -0.5", &r, &out));
    CHECK_INT_EQ(a->type, CMDMON_ADD_PEER);
    CHECK_INT_EQ(a->flags,
                 CMDMON_SRC_ONLINE | CMDMON_SRC_INTERLEAVED | CMDMON_SRC_EF_EXP_NET_CORRECTION);
    CHECK_INT_EQ(a->authkey, 5);
    CHECK_INT_EQ(a->min_samples, 3);
    CHECK(a->offset == -0.5);
    free(out);
    static const char *const refused[] = {
        "add server 127.0.0.1 maxpoll 33", "add server 127.0.0.1 key 0",
        "add server 127.0.0.1 version 5",  "add server 127.0.0.1 minpoll 6x",
        "add server 127.0.0.1 minpoll",    "add pool 127.0.0.1 maxsources 0",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CHECK(!run(refused[i], &r, &out));
        CHECK_INT_EQ(r.n, 0);
        CHECK_STR_EQ(out, "Invalid syntax for add command\n");
        free(out);
    }
}

static void test_burst_selectors(void)
{
    struct recorder r;
    char *out;
    const struct cmdmon_req_burst *b = &r.last.u.burst;

    CHECK(run("burst 1/2 127.0.0.1", &r, &out));
    CHECK_INT_EQ(b->n_good_samples, 1);
    CHECK_INT_EQ(b->n_total_samples, 2);
    CHECK_INT_EQ(b->mask.family, CMDMON_AF_INET4);
    CHECK_INT_EQ(b->mask.bytes[3], 0xFF);
    free(out);
    CHECK(run("burst 4/8", &r, &out));
    CHECK_INT_EQ(b->mask.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(b->address.family, CMDMON_AF_UNSPEC);
    free(out);
    CHECK(run("burst 4/8 192.168.0.0/20", &r, &out));
    CHECK_INT_EQ(b->mask.bytes[1], 0xFF);
    CHECK_INT_EQ(b->mask.bytes[2], 0xF0);
    CHECK_INT_EQ(b->mask.bytes[3], 0);
    free(out);
    CHECK(run("burst 4/8 255.255.255.0/1.2.3.0", &r, &out));
    CHECK_INT_EQ(b->mask.bytes[2], 0xFF);
    CHECK_INT_EQ(b->address.bytes[2], 3);
    free(out);
    CHECK(run("online ID#0000000005", &r, &out));
    CHECK_INT_EQ(r.last.u.selector.mask.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(r.last.u.selector.address.family, CMDMON_AF_ID);
    free(out);
    CHECK(!run("burst x", &r, &out));
    CHECK_STR_EQ(out, "Invalid syntax for burst command\n");
    free(out);
}

static void test_access_subnets(void)
{
    struct recorder r;
    char *out;
    const struct cmdmon_req_subnet *s = &r.last.u.subnet;

    CHECK(run("allow 192.168", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_ALLOW);
    CHECK_INT_EQ(s->ip.bytes[0], 192);
    CHECK_INT_EQ(s->ip.bytes[1], 168);
    CHECK_INT_EQ(s->subnet_bits, 16);
    free(out);
    CHECK(run("deny all 10/8", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_DENYALL);
    CHECK_INT_EQ(s->subnet_bits, 8);
    free(out);
    CHECK(run("cmdallow", &r, &out));
    CHECK_INT_EQ(s->ip.family, CMDMON_AF_UNSPEC);
    CHECK_INT_EQ(s->subnet_bits, 0);
    free(out);
    CHECK(run("allow 2001:db8::/32", &r, &out));
    CHECK_INT_EQ(s->ip.family, CMDMON_AF_INET6);
    CHECK_INT_EQ(s->subnet_bits, 32);
    free(out);
    CHECK(run("allow 1.2.3.4/40", &r, &out)); /* the daemon judges the length */
    CHECK_INT_EQ(s->subnet_bits, 40);
    free(out);
}

static void test_access_check_statuses(void)
{
    struct recorder r;
    char *out;
    struct chronyc c;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    char line[] = "cmdaccheck 127.0.0.1";

    memset(&r, 0, sizeof(r));
    r.status = CMDMON_STT_ACCESSALLOWED;
    chronyc_init(&c, f, f);
    c.exchange = record_exchange;
    c.exchange_ctx = &r;
    CHECK(chronyc_run_line(&c, line));
    fclose(f);
    CHECK_STR_EQ(out, "208 Access allowed\n");
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_CMDACCHECK);
    free(out);
}

static void test_local2_fallback(void)
{
    struct recorder r;
    char *out;
    struct chronyc c;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    char line[] = "local stratum 5";
    uint8_t buf[64];

    memset(&r, 0, sizeof(r));
    r.old_daemon = 1;
    chronyc_init(&c, f, f);
    c.exchange = record_exchange;
    c.exchange_ctx = &r;
    CHECK(chronyc_run_line(&c, line));
    fclose(f);
    CHECK_STR_EQ(out, "200 OK\n");
    CHECK_INT_EQ(r.n, 2);
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_LOCAL2);
    CHECK_INT_EQ(cmdmon_encode_request(&r.last, buf, sizeof(buf)), 36);
    CHECK_INT_EQ(buf[27], 5);
    free(out);
}

static void test_local_and_makestep(void)
{
    struct recorder r;
    char *out;
    const struct cmdmon_req_local *l = &r.last.u.local;

    CHECK(run("local stratum 10 orphan distance 1.5", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_LOCAL3);
    CHECK_INT_EQ(l->on_off, 1);
    CHECK_INT_EQ(l->stratum, 10);
    CHECK(l->distance == 1.5 && l->orphan == 1 && l->wait_unsynced == 300.0);
    free(out);
    CHECK(run("local off", &r, &out));
    CHECK_INT_EQ(l->on_off, 0);
    CHECK_INT_EQ(l->stratum, 0);
    free(out);
    CHECK(!run("local stratum x", &r, &out));
    CHECK_STR_EQ(out, "Invalid syntax for local command\n");
    free(out);
    CHECK(run("makestep", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_MAKESTEP);
    free(out);
    CHECK(run("makestep 0.1 3", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_MODIFY_MAKESTEP);
    CHECK_INT_EQ(r.last.u.makestep.limit, 3);
    CHECK(r.last.u.makestep.threshold == 0.1);
    free(out);
    CHECK(!run("makestep 1", &r, &out));
    CHECK_STR_EQ(out, "Bad syntax for makestep command\n");
    free(out);
}

static void test_modify_and_misc(void)
{
    struct recorder r;
    char *out;

    CHECK(run("maxdelay 10.0.0.1 0.25", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_MODIFY_MAXDELAY);
    CHECK(r.last.u.modify_float.value == 0.25);
    free(out);
    CHECK(run("polltarget ID#0000000002 12", &r, &out));
    CHECK_INT_EQ(r.last.u.modify_int.value, 12);
    CHECK_INT_EQ(cmdmon_addr_get_id(&r.last.u.modify_int.address), 2);
    free(out);
    CHECK(!run("minpoll 1.2.3.4", &r, &out));
    CHECK_STR_EQ(out, "Invalid syntax for address value\n");
    free(out);
    CHECK(run("offset SHM0 -0.5", &r, &out));
    CHECK_INT_EQ(r.last.u.offset.ref_id, 0x53484D30);
    CHECK(r.last.u.offset.offset == -0.5);
    free(out);
    CHECK(run("reset sources", &r, &out));
    CHECK_INT_EQ(r.last.command, CMDMON_REQ_RESET_SOURCES);
    free(out);
    CHECK(run("manual reset", &r, &out));
    CHECK_INT_EQ(r.last.u.option.option, 2);
    free(out);
    CHECK(!run("foo", &r, &out));
    CHECK_STR_EQ(out, "Unrecognized command\n");
    free(out);
    CHECK(!run("timeout 10", &r, &out));
    CHECK_STR_EQ(out, "Timeout 10 is too short\n");
    free(out);
    CHECK(!run("retries 99", &r, &out));
    CHECK_STR_EQ(out, "Invalid maximum number of retries\n");
    free(out);
    CHECK(!run("dns -9", &r, &out));
    CHECK_STR_EQ(out, "Unrecognized dns command\n");
    free(out);
    CHECK(run("", &r, &out));
    CHECK_INT_EQ(r.n, 0);
    free(out);
    CHECK(run("help", &r, &out));
    CHECK(strstr(out, "tracking") != NULL);
    free(out);
}

/* Numbers and words as chrony's client reads them (sscanf formats on the
 * rest of the line, its error texts and silent errors). */
static void test_chrony_number_reading(void)
{
    struct recorder r;
    char *out;

    CHECK(run("minpoll 1.2.3.4 6x", &r, &out));
    CHECK_INT_EQ(r.last.u.modify_int.value, 6);
    free(out);
    CHECK(run("  maxdelay\t1.2.3.4   1e-3junk ", &r, &out));
    CHECK(r.last.u.modify_float.value == 1e-3);
    free(out);
    CHECK(!run("maxupdateskew x", &r, &out));
    CHECK_STR_EQ(out, ""); /* chrony says nothing */
    CHECK_INT_EQ(r.n, 0);
    free(out);
    CHECK(!run("dfreq x", &r, &out));
    CHECK_STR_EQ(out, "Invalid value\n");
    free(out);
    CHECK(run("burst 2/4x 1.2.3.4/-1 extra", &r, &out));
    CHECK_INT_EQ(r.last.u.burst.n_total_samples, 4);
    CHECK_INT_EQ(r.last.u.burst.mask.bytes[3], 0xFF);
    free(out);
    CHECK(!run("burst 2/4 foo/1", &r, &out));
    CHECK_STR_EQ(out, "Invalid syntax for mask/address\n");
    free(out);
    CHECK(run("makestep 0.1 3x", &r, &out));
    CHECK_INT_EQ(r.last.u.makestep.limit, 3);
    free(out);
    CHECK(run("local STRATUM 3 Orphan distance 2x", &r, &out) == 0);
    CHECK_STR_EQ(out, "Invalid syntax for local command\n");
    free(out);
    CHECK(run("local Stratum 3 ORPHAN", &r, &out));
    CHECK(r.last.u.local.stratum == 3 && r.last.u.local.orphan == 1);
    free(out);
    CHECK(run("selectopts 1.2.3.4 +PREFER -prefer", &r, &out));
    CHECK_INT_EQ(r.last.u.selectopts.options, CMDMON_SRC_PREFER);
    free(out);
    CHECK(run("manual deletex 2", &r, &out));
    CHECK_INT_EQ(r.last.u.index.index, 2);
    free(out);
    CHECK(!run("reset sources now", &r, &out));
    CHECK_STR_EQ(out, "Invalid syntax for reset command\n");
    free(out);
    CHECK(!run("allow 1.2.3.4 x", &r, &out));
    CHECK_STR_EQ(out, "Could not read address\n");
    free(out);
    CHECK(!run("timeout abc", &r, &out));
    CHECK_STR_EQ(out, "Timeout 0 is too short\n");
    free(out);
    CHECK(run("# a comment", &r, &out));
    CHECK_INT_EQ(r.n, 0);
    free(out);
    CHECK(run("keygen 7x MD5 8", &r, &out));
    CHECK_INT_EQ(strlen(out), strlen("7 MD5 HEX:") + 20 + 1); /* at least 10 bytes */
    free(out);
    CHECK(!run("keygen 1 TIGER", &r, &out));
    CHECK_STR_EQ(out, "Unknown hash function or cipher TIGER\n");
    free(out);
}

int main(void)
{
    RUN(test_selectopts_bits);
    RUN(test_add_source);
    RUN(test_add_source_config_options);
    RUN(test_burst_selectors);
    RUN(test_access_subnets);
    RUN(test_access_check_statuses);
    RUN(test_local_and_makestep);
    RUN(test_local2_fallback);
    RUN(test_modify_and_misc);
    RUN(test_chrony_number_reading);
    return check_summary();
}
