/* chronyd's reports in the Prometheus text exposition format 0.0.4: one HELP and TYPE
 * pair per family, then its samples; families of the sources list every source. */
#include "proto/prom.h"

#include "lib/addr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct writer {
    char *buf;
    size_t cap, len;
    int err;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
w_printf(struct writer *w, const char *fmt, ...)
{
    size_t room = w->len < w->cap ? w->cap - w->len : 0;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        w->err = 1;
    else
        w->len += (size_t)n;
}

/* A sample value as Go's ParseFloat reads it, with the special values spelled as the
 * format says. */
static void w_value(struct writer *w, double x)
{
    if (isnan(x))
        w_printf(w, " NaN\n");
    else if (isinf(x))
        w_printf(w, " %sInf\n", x > 0 ? "+" : "-");
    else
        w_printf(w, " %.12g\n", x);
}

/* A label value: backslash, double quote and line feed escaped; bytes that are not
 * printable ASCII (names are ASCII; anything else would not be valid UTF-8) become '?'. */
static void w_label(struct writer *w, const char *key, const char *v, int first)
{
    w_printf(w, "%s%s=\"", first ? "" : ",", key);
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == '\\' || c == '"')
            w_printf(w, "\\%c", c);
        else if (c == '\n')
            w_printf(w, "\\n");
        else
            w_printf(w, "%c", c >= 0x20 && c < 0x7f ? c : '?');
    }
    w_printf(w, "\"");
}

static void w_family(struct writer *w, const char *name, const char *type, const char *help)
{
    w_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void w_plain(struct writer *w, const char *name, const char *type, const char *help,
                    double x)
{
    w_family(w, name, type, help);
    w_printf(w, "%s", name);
    w_value(w, x);
}

/* A reference ID as text (refclocks, LOCL): its printable bytes. */
static void refid_text(uint32_t id, char *buf)
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        char c = (char)((id >> (24 - 8 * i)) & 0xff);
        if (c >= 0x21 && c < 0x7f)
            buf[n++] = c;
    }
    buf[n] = '\0';
}

static void address_text(const struct cmdmon_addr *a, int mode, char *buf, size_t len)
{
    struct ip_addr ip;

    buf[0] = '\0';
    cmdmon_addr_to_ip(a, &ip);
    if (ip.family != IPF_UNSPEC)
        ip_addr_format(&ip, buf, len);
    else if (a->family == CMDMON_AF_ID && mode == CMDMON_MODE_REF && len >= 5)
        refid_text(cmdmon_addr_get_id(a), buf);
}

static void w_source_labels(struct writer *w, const struct prom_source *s)
{
    static const char *const modes[] = {"server", "peer", "refclock"};
    static const char states[] = "*?x~+-";
    char addr[IP_ADDR_STRLEN], state[2];

    address_text(&s->data.ip, s->data.mode, addr, sizeof(addr));
    state[0] = s->data.state < 6 ? states[s->data.state] : '?';
    state[1] = '\0';
    w_printf(w, "{");
    w_label(w, "name", s->name[0] ? s->name : addr, 1);
    w_label(w, "address", addr, 0);
    w_label(w, "mode", s->data.mode < 3 ? modes[s->data.mode] : "unknown", 0);
    w_label(w, "state", state, 0);
    w_printf(w, "}");
}

/* Per-source families, in the order of the page. */
enum src_field {
    SF_STRATUM,
    SF_POLL,
    SF_REACH,
    SF_AGE,
    SF_OFFSET,
    SF_ORIG_OFFSET,
    SF_ERROR,
    SF_SAMPLES,
    SF_RUNS,
    SF_SPAN,
    SF_RESID_FREQ,
    SF_SKEW,
    SF_EST_OFFSET,
    SF_SD,
    SF_NTS_KE,
    SF_NTS_KE_ATTEMPTS,
    SF_NTS_COOKIES,
    SF_NTS_NAK
};

static const struct {
    enum src_field field;
    const char *name, *type, *help;
} src_families[] = {
    {SF_STRATUM, "chrony_source_stratum", "gauge", "Stratum of the source (chronyc sources)."},
    {SF_POLL, "chrony_source_poll_interval_seconds", "gauge",
     "Polling interval of the source, 2^Poll of chronyc sources."},
    {SF_REACH, "chrony_source_reachability", "gauge",
     "Reachability register of the source, the last 8 polls as bits (chronyc sources Reach)."},
    {SF_AGE, "chrony_source_last_sample_age_seconds", "gauge",
     "Time since the last good sample of the source (chronyc sources LastRx)."},
    {SF_OFFSET, "chrony_source_last_sample_offset_seconds", "gauge",
     "Offset of the last sample adjusted for later slews, positive when the local clock is "
     "ahead of the source (chronyc sources Last sample)."},
    {SF_ORIG_OFFSET, "chrony_source_last_sample_original_offset_seconds", "gauge",
     "Offset of the last sample as measured (chronyc sources, in brackets)."},
    {SF_ERROR, "chrony_source_last_sample_error_seconds", "gauge",
     "Error bound of the last sample (chronyc sources, after +/-)."},
    {SF_SAMPLES, "chrony_source_samples", "gauge",
     "Sample points kept of the source (chronyc sourcestats NP)."},
    {SF_RUNS, "chrony_source_runs", "gauge",
     "Runs of residuals of the same sign after the regression (chronyc sourcestats NR)."},
    {SF_SPAN, "chrony_source_span_seconds", "gauge",
     "Interval between the oldest and newest sample (chronyc sourcestats Span)."},
    {SF_RESID_FREQ, "chrony_source_residual_frequency_ratio", "gauge",
     "Residual frequency of the source, 1e-6 = 1 ppm (chronyc sourcestats Frequency)."},
    {SF_SKEW, "chrony_source_skew_ratio", "gauge",
     "Error bound of the residual frequency, 1e-6 = 1 ppm (chronyc sourcestats Freq Skew)."},
    {SF_EST_OFFSET, "chrony_source_offset_seconds", "gauge",
     "Estimated offset of the source (chronyc sourcestats Offset)."},
    {SF_SD, "chrony_source_std_dev_seconds", "gauge",
     "Estimated standard deviation of the samples (chronyc sourcestats Std Dev)."},
    {SF_NTS_KE, "chrony_source_nts_key_establishments_total", "counter",
     "Successful NTS key establishments of the source (chronyc authdata KeyID)."},
    {SF_NTS_KE_ATTEMPTS, "chrony_source_nts_ke_attempts", "gauge",
     "NTS-KE attempts since the last successful one (chronyc authdata Att)."},
    {SF_NTS_COOKIES, "chrony_source_nts_cookies", "gauge",
     "NTS cookies held for the source (chronyc authdata Cook)."},
    {SF_NTS_NAK, "chrony_source_nts_nak", "gauge",
     "1 when the source answered with an NTS NAK (chronyc authdata NAK)."},
};

/* The value of field for s; 0 when s has none (no sample yet, no statistics, not NTS). */
static int src_value(const struct prom_source *s, enum src_field f, double *v)
{
    const struct cmdmon_source_data *d = &s->data;
    const struct cmdmon_sourcestats *st = &s->stats;
    const struct cmdmon_auth_data *a = &s->auth;
    int sample = d->since_sample != CMDMON_NO_SAMPLE, nts = s->have_auth && a->mode == 2;

    switch (f) {
    case SF_STRATUM:
        *v = d->stratum;
        return 1;
    case SF_POLL:
        *v = ldexp(1.0, d->poll);
        return 1;
    case SF_REACH:
        *v = d->reachability;
        return 1;
    case SF_AGE:
        *v = d->since_sample;
        return sample;
    case SF_OFFSET:
        *v = d->latest_meas;
        return sample;
    case SF_ORIG_OFFSET:
        *v = d->orig_latest_meas;
        return sample;
    case SF_ERROR:
        *v = d->latest_meas_err;
        return sample;
    case SF_SAMPLES:
        *v = st->n_samples;
        return s->have_stats;
    case SF_RUNS:
        *v = st->n_runs;
        return s->have_stats;
    case SF_SPAN:
        *v = st->span_seconds;
        return s->have_stats;
    case SF_RESID_FREQ:
        *v = st->resid_freq_ppm * 1e-6;
        return s->have_stats;
    case SF_SKEW:
        *v = st->skew_ppm * 1e-6;
        return s->have_stats;
    case SF_EST_OFFSET:
        *v = st->est_offset;
        return s->have_stats;
    case SF_SD:
        *v = st->sd;
        return s->have_stats;
    case SF_NTS_KE:
        *v = a->key_id;
        return nts;
    case SF_NTS_KE_ATTEMPTS:
        *v = a->ke_attempts;
        return nts;
    case SF_NTS_COOKIES:
        *v = a->cookies;
        return nts;
    case SF_NTS_NAK:
        *v = a->nak != 0;
        return nts;
    }
    return 0;
}

static void render_sources(struct writer *w, const struct prom_report *r)
{
    for (size_t f = 0; f < sizeof(src_families) / sizeof(src_families[0]); f++) {
        int header = 0;
        for (size_t i = 0; i < r->n_sources; i++) {
            double v;
            if (!src_value(&r->sources[i], src_families[f].field, &v))
                continue;
            if (!header)
                w_family(w, src_families[f].name, src_families[f].type, src_families[f].help);
            header = 1;
            w_printf(w, "%s", src_families[f].name);
            w_source_labels(w, &r->sources[i]);
            w_value(w, v);
        }
    }
}

static void render_tracking_info(struct writer *w, const struct cmdmon_tracking *t)
{
    static const char *const leaps[] = {"normal", "insert second", "delete second",
                                        "not synchronised"};
    char id[16], addr[IP_ADDR_STRLEN];
    struct ip_addr ip;

    snprintf(id, sizeof(id), "%08X", (unsigned)t->ref_id);
    cmdmon_addr_to_ip(&t->ip, &ip);
    if (ip.family != IPF_UNSPEC)
        ip_addr_format(&ip, addr, sizeof(addr));
    else
        refid_text(t->ref_id, addr);
    w_family(w, "chrony_tracking_info", "gauge",
             "The reference of the system clock (chronyc tracking Reference ID) and its "
             "leap status; always 1.");
    w_printf(w, "chrony_tracking_info{");
    w_label(w, "reference_id", id, 1);
    w_label(w, "address", addr, 0);
    w_label(w, "leap_status", t->leap_status < 4 ? leaps[t->leap_status] : "invalid", 0);
    w_printf(w, "} 1\n");
}

static void render_tracking(struct writer *w, const struct cmdmon_tracking *t)
{
    render_tracking_info(w, t);
    w_plain(w, "chrony_tracking_stratum", "gauge", "Stratum of the local clock.", t->stratum);
    w_plain(w, "chrony_tracking_reference_timestamp_seconds", "gauge",
            "Time of the last update of the reference, in seconds since 1970 (Ref time).",
            (double)t->ref_time.tv_sec + t->ref_time.tv_nsec * 1e-9);
    w_plain(w, "chrony_tracking_system_time_offset_seconds", "gauge",
            "Correction of the system clock still to be made, positive when the system clock "
            "is slow of NTP time (System time).",
            t->current_correction);
    w_plain(w, "chrony_tracking_last_offset_seconds", "gauge",
            "Estimated local offset at the last clock update, positive when the clock was "
            "fast (Last offset).",
            t->last_offset);
    w_plain(w, "chrony_tracking_rms_offset_seconds", "gauge",
            "Long-term average of the offset (RMS offset).", t->rms_offset);
    w_plain(w, "chrony_tracking_frequency_ratio", "gauge",
            "Frequency error of the system clock corrected by chronyd, positive when it runs "
            "fast, 1e-6 = 1 ppm (Frequency).",
            t->freq_ppm * 1e-6);
    w_plain(w, "chrony_tracking_residual_frequency_ratio", "gauge",
            "Residual frequency of the reference, 1e-6 = 1 ppm (Residual freq).",
            t->resid_freq_ppm * 1e-6);
    w_plain(w, "chrony_tracking_skew_ratio", "gauge",
            "Error bound of the frequency, 1e-6 = 1 ppm (Skew).", t->skew_ppm * 1e-6);
    w_plain(w, "chrony_tracking_root_delay_seconds", "gauge",
            "Total network path delay to the stratum-1 computer (Root delay).", t->root_delay);
    w_plain(w, "chrony_tracking_root_dispersion_seconds", "gauge",
            "Total dispersion accumulated up to the stratum-1 computer (Root dispersion).",
            t->root_dispersion);
    w_plain(w, "chrony_tracking_update_interval_seconds", "gauge",
            "Interval between the last two clock updates (Update interval).",
            t->last_update_interval);
    w_plain(w, "chrony_tracking_leap_status", "gauge",
            "Leap status: 0 normal, 1 insert second, 2 delete second, 3 not synchronised.",
            t->leap_status);
}

static void render_server_stats(struct writer *w, const struct cmdmon_server_stats *s)
{
    const struct {
        const char *name, *type, *help;
        uint64_t v;
    } rows[] = {
        {"chrony_serverstats_ntp_packets_received_total", "counter",
         "NTP requests received from clients (NTP packets received).", s->ntp_hits},
        {"chrony_serverstats_ntp_packets_dropped_total", "counter",
         "NTP requests dropped by rate limiting (NTP packets dropped).", s->ntp_drops},
        {"chrony_serverstats_command_packets_received_total", "counter",
         "Command requests received (Command packets received).", s->cmd_hits},
        {"chrony_serverstats_command_packets_dropped_total", "counter",
         "Command requests dropped by rate limiting (Command packets dropped).", s->cmd_drops},
        {"chrony_serverstats_client_log_records_dropped_total", "counter",
         "Client log records dropped for lack of memory (Client log records dropped).",
         s->log_drops},
        {"chrony_serverstats_nts_ke_connections_accepted_total", "counter",
         "NTS-KE connections accepted (NTS-KE connections accepted).", s->nke_hits},
        {"chrony_serverstats_nts_ke_connections_dropped_total", "counter",
         "NTS-KE connections dropped by rate limiting (NTS-KE connections dropped).", s->nke_drops},
        {"chrony_serverstats_authenticated_ntp_packets_total", "counter",
         "NTP requests authenticated with a key or NTS (Authenticated NTP packets).",
         s->ntp_auth_hits},
        {"chrony_serverstats_interleaved_ntp_packets_total", "counter",
         "NTP requests answered in interleaved mode (Interleaved NTP packets).",
         s->ntp_interleaved_hits},
        {"chrony_serverstats_ntp_timestamps_held", "gauge",
         "Transmit timestamps kept for interleaved mode (NTP timestamps held).", s->ntp_timestamps},
        {"chrony_serverstats_ntp_timestamp_span_seconds", "gauge",
         "Interval covered by the kept timestamps (NTP timestamp span).", s->ntp_span_seconds},
        {"chrony_serverstats_ntp_daemon_rx_timestamps_total", "counter",
         "Receive timestamps taken by the daemon (NTP daemon RX timestamps).",
         s->ntp_daemon_rx_timestamps},
        {"chrony_serverstats_ntp_daemon_tx_timestamps_total", "counter",
         "Transmit timestamps taken by the daemon (NTP daemon TX timestamps).",
         s->ntp_daemon_tx_timestamps},
        {"chrony_serverstats_ntp_kernel_rx_timestamps_total", "counter",
         "Receive timestamps taken by the kernel (NTP kernel RX timestamps).",
         s->ntp_kernel_rx_timestamps},
        {"chrony_serverstats_ntp_kernel_tx_timestamps_total", "counter",
         "Transmit timestamps taken by the kernel (NTP kernel TX timestamps).",
         s->ntp_kernel_tx_timestamps},
        {"chrony_serverstats_ntp_hw_rx_timestamps_total", "counter",
         "Receive timestamps taken by the hardware (NTP hardware RX timestamps).",
         s->ntp_hw_rx_timestamps},
        {"chrony_serverstats_ntp_hw_tx_timestamps_total", "counter",
         "Transmit timestamps taken by the hardware (NTP hardware TX timestamps).",
         s->ntp_hw_tx_timestamps},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        w_plain(w, rows[i].name, rows[i].type, rows[i].help, (double)rows[i].v);
}

long prom_render(const struct prom_report *r, char *buf, size_t cap)
{
    struct writer w = {buf, cap, 0, 0};

    if (cap > 0)
        buf[0] = '\0';
    w_family(&w, "chrony_build_info", "gauge", "chronyd's version; always 1.");
    w_printf(&w, "chrony_build_info{");
    w_label(&w, "version", r->version ? r->version : "", 1);
    w_printf(&w, "} 1\n");
    if (r->have_tracking)
        render_tracking(&w, &r->tracking);
    render_sources(&w, r);
    if (r->have_server_stats)
        render_server_stats(&w, &r->server_stats);
    return w.err ? -1 : (long)w.len;
}
