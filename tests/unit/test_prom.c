/* Unit tests for proto/prom: the metrics page rendered from report structs (families once,
 * units, labels escaped, absent figures left out, snprintf-like length). */
#include "check.h"
#include "proto/prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *render(const struct prom_report *r)
{
    long n = prom_render(r, NULL, 0);
    char *buf;
    CHECK(n > 0);
    buf = malloc((size_t)n + 1);
    CHECK_INT_EQ(prom_render(r, buf, (size_t)n + 1), n);
    CHECK_INT_EQ(strlen(buf), n);
    return buf;
}

static void two_sources(struct prom_source s[2])
{
    struct ip_addr ip;
    memset(s, 0, 2 * sizeof(s[0]));
    ip_addr_parse(&ip, "192.0.2.1");
    cmdmon_addr_from_ip(&s[0].data.ip, &ip);
    s[0].data.poll = 6;
    s[0].data.stratum = 2;
    s[0].data.state = CMDMON_SRC_SELECTED;
    s[0].data.mode = CMDMON_MODE_CLIENT;
    s[0].data.reachability = 0377;
    s[0].data.since_sample = 12;
    s[0].data.latest_meas = -0.25;
    s[0].data.orig_latest_meas = -0.5;
    s[0].data.latest_meas_err = 0.001;
    strcpy(s[0].name, "ntp.example.org");
    s[0].have_stats = 1;
    s[0].stats.n_samples = 9;
    s[0].stats.n_runs = 5;
    s[0].stats.span_seconds = 500;
    s[0].stats.resid_freq_ppm = 2.5;
    s[0].stats.skew_ppm = 0.125;
    s[0].stats.est_offset = 1e-3;
    s[0].stats.sd = 2e-6;
    ip_addr_parse(&ip, "2001:db8::1");
    cmdmon_addr_from_ip(&s[1].data.ip, &ip);
    s[1].data.poll = -2;
    s[1].data.state = CMDMON_SRC_NONSELECTABLE;
    s[1].data.mode = CMDMON_MODE_PEER;
    s[1].data.since_sample = CMDMON_NO_SAMPLE;
    strcpy(s[1].name, "a\"b\\c\nd\xc3\xa9");
    s[1].have_auth = 1;
    s[1].auth.mode = 2;
    s[1].auth.key_id = 3;
    s[1].auth.ke_attempts = 1;
    s[1].auth.cookies = 8;
}

static void test_page(void)
{
    struct prom_source s[2];
    struct prom_report r;
    char *page;

    two_sources(s);
    memset(&r, 0, sizeof(r));
    r.version = "4.8";
    r.have_tracking = 1;
    r.tracking.ref_id = 0xC0000201;
    {
        struct ip_addr ip;
        ip_addr_parse(&ip, "192.0.2.1");
        cmdmon_addr_from_ip(&r.tracking.ip, &ip);
    }
    r.tracking.stratum = 3;
    r.tracking.ref_time.tv_sec = 1700000000;
    r.tracking.ref_time.tv_nsec = 500000000;
    r.tracking.current_correction = 1e-6;
    r.tracking.freq_ppm = -12.5;
    r.tracking.skew_ppm = 0.5;
    r.tracking.root_delay = 0.02;
    r.tracking.last_update_interval = 64;
    r.have_server_stats = 1;
    r.server_stats.ntp_hits = 42;
    r.server_stats.nke_hits = 7;
    r.server_stats.ntp_span_seconds = 3;
    r.sources = s;
    r.n_sources = 2;
    page = render(&r);

    CHECK(strstr(page, "# TYPE chrony_build_info gauge\nchrony_build_info{version=\"4.8\"} 1\n"));
    CHECK(strstr(page, "chrony_tracking_info{reference_id=\"C0000201\",address=\"192.0.2.1\","
                       "leap_status=\"normal\"} 1\n"));
    CHECK(strstr(page, "\nchrony_tracking_stratum 3\n"));
    CHECK(strstr(page, "\nchrony_tracking_reference_timestamp_seconds 1700000000.5\n"));
    CHECK(strstr(page, "\nchrony_tracking_system_time_offset_seconds 1e-06\n"));
    CHECK(strstr(page, "\nchrony_tracking_frequency_ratio -1.25e-05\n"));
    CHECK(strstr(page, "\nchrony_tracking_update_interval_seconds 64\n"));
    /* Each family once, with HELP and TYPE. */
    CHECK_INT_EQ(count(page, "# TYPE chrony_source_stratum gauge\n"), 1);
    CHECK_INT_EQ(count(page, "# HELP chrony_source_stratum "), 1);
    CHECK(strstr(page, "chrony_source_stratum{name=\"ntp.example.org\",address=\"192.0.2.1\","
                       "mode=\"server\",state=\"*\"} 2\n"));
    /* Escaped label values; bytes outside printable ASCII as '?'. */
    CHECK(strstr(page, "chrony_source_stratum{name=\"a\\\"b\\\\c\\nd??\",address=\"2001:db8::1\","
                       "mode=\"peer\",state=\"?\"} 0\n"));
    CHECK(strstr(page, "chrony_source_poll_interval_seconds{name=\"ntp.example.org\","
                       "address=\"192.0.2.1\",mode=\"server\",state=\"*\"} 64\n"));
    CHECK(strstr(page, "state=\"?\"} 0.25\n")); /* poll -2 */
    CHECK(strstr(page, "chrony_source_reachability{name=\"ntp.example.org\"") &&
          strstr(page, "state=\"*\"} 255\n"));
    /* The source without a sample has no sample figures, without statistics none of those. */
    CHECK_INT_EQ(count(page, "chrony_source_last_sample_age_seconds{"), 1);
    CHECK_INT_EQ(count(page, "chrony_source_last_sample_offset_seconds{"), 1);
    CHECK(strstr(page, "state=\"*\"} -0.25\n"));
    CHECK_INT_EQ(count(page, "chrony_source_samples{"), 1);
    CHECK(strstr(page, "chrony_source_residual_frequency_ratio{name=\"ntp.example.org\"") &&
          strstr(page, "state=\"*\"} 2.5e-06\n"));
    /* NTS figures only of the NTS source. */
    CHECK_INT_EQ(count(page, "chrony_source_nts_cookies{"), 1);
    CHECK(strstr(page, "# TYPE chrony_source_nts_key_establishments_total counter\n"));
    CHECK(strstr(page, "\nchrony_serverstats_ntp_packets_received_total 42\n"));
    CHECK(strstr(page, "\nchrony_serverstats_nts_ke_connections_accepted_total 7\n"));
    CHECK(strstr(page, "# TYPE chrony_serverstats_ntp_timestamp_span_seconds gauge\n"
                       "chrony_serverstats_ntp_timestamp_span_seconds 3\n"));
    /* Every line ends with a newline, every name starts with chrony_. */
    CHECK(page[strlen(page) - 1] == '\n');
    for (char *line = page; *line; line = strchr(line, '\n') + 1)
        CHECK(line[0] == '#' || strncmp(line, "chrony_", 7) == 0);
    free(page);
}

static void test_minimal_and_truncated(void)
{
    struct prom_report r;
    char buf[32], *page;
    long n;

    memset(&r, 0, sizeof(r));
    page = render(&r);
    CHECK(strstr(page, "chrony_build_info{version=\"\"} 1\n"));
    CHECK(!strstr(page, "chrony_tracking"));
    CHECK(!strstr(page, "chrony_source_"));
    CHECK(!strstr(page, "chrony_serverstats"));
    n = prom_render(&r, buf, sizeof(buf));
    CHECK_INT_EQ(n, strlen(page));
    CHECK_INT_EQ(strlen(buf), sizeof(buf) - 1);
    CHECK(strncmp(buf, page, sizeof(buf) - 1) == 0);
    free(page);
}

static void test_special_values(void)
{
    struct prom_report r;
    char *page;

    memset(&r, 0, sizeof(r));
    r.have_tracking = 1;
    r.tracking.rms_offset = NAN;
    r.tracking.root_delay = INFINITY;
    r.tracking.root_dispersion = -INFINITY;
    r.tracking.ref_id = 0x4C4F434C; /* LOCL: no address */
    page = render(&r);
    CHECK(strstr(page, "\nchrony_tracking_rms_offset_seconds NaN\n"));
    CHECK(strstr(page, "\nchrony_tracking_root_delay_seconds +Inf\n"));
    CHECK(strstr(page, "\nchrony_tracking_root_dispersion_seconds -Inf\n"));
    CHECK(strstr(page, "reference_id=\"4C4F434C\",address=\"LOCL\""));
    free(page);
}

int main(void)
{
    RUN(test_page);
    RUN(test_minimal_and_truncated);
    RUN(test_special_values);
    return check_summary();
}
