/* chronyc formatting: unit tests of the primitives (no arguments) and the
 * golden cases of tests/golden/chronyc (with the folder as argument): each
 * NAME.cmd runs through the command layer against the replies of NAME.hex
 * (a fake daemon) and the output must equal NAME.txt. --write regenerates. */
#include "check.h"

#include "chronyc/client.h"
#include "chronyc/names.h"
#include "chronyc/out.h"
#include "chronyc/render.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPLIES 64

struct fake_daemon {
    uint8_t replies[MAX_REPLIES][CMDMON_MAX_RPY_LEN];
    size_t lens[MAX_REPLIES];
    int n, next;
};

static int fake_exchange(void *ctx, struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    struct fake_daemon *d = ctx;
    uint8_t *r;

    if (d->next >= d->n)
        return 0;
    r = d->replies[d->next];
    /* The fixtures do not know the command and sequence: echo them. */
    r[4] = (uint8_t)(req->command >> 8);
    r[5] = (uint8_t)req->command;
    r[16] = (uint8_t)(req->sequence >> 24);
    r[17] = (uint8_t)(req->sequence >> 16);
    r[18] = (uint8_t)(req->sequence >> 8);
    r[19] = (uint8_t)req->sequence;
    return cmdmon_decode_reply(r, d->lens[d->next++], rpy) == CMDMON_OK;
}

static int fake_reverse(void *ctx, const struct cmdmon_addr *a, char *buf, size_t len)
{
    (void)ctx;
    if (a->family != CMDMON_AF_INET4)
        return 0;
    if (a->bytes[0] == 127 && a->bytes[3] == 1)
        snprintf(buf, len, "localhost");
    else if (a->bytes[0] == 10 && a->bytes[3] == 1 && a->bytes[2] == 0)
        snprintf(buf, len, "a-very-long-host-name.example.com");
    else
        return 0;
    return 1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void load_hex(struct fake_daemon *d, const char *text)
{
    int hi = -1;

    d->n = -1;
    for (const char *p = text; p && *p; p++) {
        int v;
        if (p[0] == '-' && p[1] == '-') {
            if (d->n + 1 >= MAX_REPLIES)
                break;
            d->n++;
            d->lens[d->n] = 0;
            p++;
            continue;
        }
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else if (d->n >= 0 && d->lens[d->n] < CMDMON_MAX_RPY_LEN) {
            d->replies[d->n][d->lens[d->n]++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        } else {
            hi = -1;
        }
    }
    d->n++;
    d->next = 0;
}

/* Runs one case; returns the malloc'd combined output. */
static char *run_case(const char *dir, const char *name)
{
    char path[512], *cmd, *hex, *line, *out = NULL, *w;
    size_t out_len = 0;
    struct fake_daemon *d = calloc(1, sizeof(*d));
    struct chronyc c;
    FILE *f = open_memstream(&out, &out_len);
    int ok, csv = 0, json = 0;

    snprintf(path, sizeof(path), "%s/%s.cmd", dir, name);
    cmd = read_file(path);
    snprintf(path, sizeof(path), "%s/%s.hex", dir, name);
    hex = read_file(path);
    load_hex(d, hex);
    chronyc_init(&c, f, f);
    c.names.reverse = fake_reverse;
    c.exchange = fake_exchange;
    c.exchange_ctx = d;
    line = cmd;
    line[strcspn(line, "\n")] = '\0';
    while (line[0] == '-') {
        w = chronyc_next_word(&line);
        c.names.no_dns |= !strcmp(w, "-n");
        c.names.source_names |= !strcmp(w, "-N");
        csv |= !strcmp(w, "-c");
        json |= !strcmp(w, "-j");
    }
    out_init(&c.out, f, json ? OUT_JSON : csv ? OUT_CSV : OUT_TEXT);
    c.names.csv = csv || json;
    ok = chronyc_run_line(&c, line);
    fprintf(f, "exit=%d\n", ok ? 0 : 1);
    fclose(f);
    free(cmd);
    free(hex);
    free(d);
    return out;
}

static int run_golden(const char *dir, int write)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!dp) {
        printf("FAIL golden: cannot open %s\n", dir);
        return 1;
    }
    while ((e = readdir(dp))) {
        char name[256], path[512], *got, *want;
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".cmd") != 0 || l - 4 >= sizeof(name))
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(l - 4), e->d_name);
        got = run_case(dir, name);
        snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
        if (write) {
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(got, f);
                fclose(f);
            }
        }
        want = read_file(path);
        if (want && !strcmp(got, want)) {
            printf("PASS golden %s\n", name);
        } else {
            printf("FAIL golden %s\n--- expected\n%s--- got\n%s", name, want ? want : "(none)\n",
                   got);
            check_total_fail++;
        }
        n++;
        free(got);
        free(want);
    }
    closedir(dp);
    if (!n)
        printf("FAIL golden: no cases in %s\n", dir);
    return n && !check_total_fail ? 0 : 1;
}

static void test_interval_thresholds(void)
{
    static const struct {
        uint32_t s;
        const char *want;
    } t[] = {{0, "   0"},          {1199, "1199"},        {1200, " 20m"},
             {35999, "599m"},      {36000, " 10h"},       {345599, " 95h"},
             {345600, "  4d"},     {999 * 86400, "999d"}, {1000 * 86400, "  2y"},
             {0xFFFFFFFE, "136y"}, {0xFFFFFFFF, "   -"}};
    char buf[32];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        out_format_interval(buf, sizeof(buf), t[i].s);
        CHECK_STR_EQ(buf, t[i].want);
    }
}

static void test_offset_thresholds(void)
{
    static const struct {
        double x;
        int with_sign;
        const char *want;
    } t[] = {{0.0, 1, "   +0ns"},          {-1e-12, 1, "   -0ns"},     {9999.4e-9, 1, "+9999ns"},
             {9999.6e-9, 1, "  +10us"},    {-9999.6e-6, 1, "  -10ms"}, {9.9994, 1, "+9999ms"},
             {9.9996, 1, " +10.0s"},       {999.4, 0, "999.4s"},       {999.6, 1, " +1000s"},
             {-99999.0, 1, "-99999s"},     {100020.0, 1, " +1667m"},   {1e10, 1, "  +317y"},
             {5e-9, 0, "   5ns"},          {4.0, 0, "4000ms"},         {130020.0, 0, " 2167m"},
             {99999.5 * 3600, 0, " 4167d"}};
    char buf[64];
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        out_format_offset(buf, sizeof(buf), t[i].x, t[i].with_sign);
        CHECK_STR_EQ(buf, t[i].want);
    }
}

static void test_freq_and_date(void)
{
    char buf[64];
    out_format_freq(buf, sizeof(buf), 1234.5, 1);
    CHECK_STR_EQ(buf, " +1234.500");
    out_format_freq(buf, sizeof(buf), 123450.0, 0);
    CHECK_STR_EQ(buf, "    123450");
    out_format_freq(buf, sizeof(buf), -999994.0, 1);
    CHECK_STR_EQ(buf, "   -999994");
    out_format_freq(buf, sizeof(buf), 99999400.0, 0);
    CHECK_STR_EQ(buf, "  99999400");
    out_format_date(buf, sizeof(buf), 1795528026);
    CHECK_STR_EQ(buf, "Tue Nov 24 13:47:06 2026");
    out_format_date(buf, sizeof(buf), 0);
    CHECK_STR_EQ(buf, "Thu Jan 01 00:00:00 1970");
}

static void test_names(void)
{
    struct cmdmon_addr a;
    char buf[NAMES_MAX];
    uint8_t name[CMDMON_NAME_LEN];

    names_refid_text(0x7F7F0101, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "");
    names_refid_text(0x47505300, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "GPS");
    CHECK(names_parse_id("ID#0000000005", &a));
    names_numeric(&a, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "ID#0000000005");
    CHECK(!names_parse_id("ID#x", &a));
    CHECK(names_parse_numeric("::ffff:1.2.3.4", &a));
    names_numeric(&a, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "::ffff:1.2.3.4");
    memset(&a, 0, sizeof(a));
    names_numeric(&a, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "[UNSPEC]");
    snprintf(buf, sizeof(buf), "abcdefghijklmnopqrstuvwxyz");
    names_cut25(buf);
    CHECK_STR_EQ(buf, "abcdefghijklmnopqrstuvwx>");
    memset(name, 'a', sizeof(name));
    CHECK(!names_source_name_valid(name));
    name[5] = '\0';
    CHECK(names_source_name_valid(name));
    name[2] = ' ';
    CHECK(!names_source_name_valid(name));
}

static void test_headers_width(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct out o;

    out_init(&o, f, OUT_TEXT);
    render_header(&o, RH_SOURCES);
    render_header(&o, RH_SELECTDATA);
    fclose(f);
    CHECK(strstr(buf, "Last sample               \n" /* 79 columns */) != NULL);
    CHECK_INT_EQ(strcspn(buf, "\n"), 79);
    CHECK_INT_EQ(strcspn(buf + 160, "\n"), 71);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return run_golden(argv[argc - 1], argc > 2 && !strcmp(argv[1], "--write"));
    RUN(test_interval_thresholds);
    RUN(test_offset_thresholds);
    RUN(test_freq_and_date);
    RUN(test_names);
    RUN(test_headers_width);
    return check_summary();
}
