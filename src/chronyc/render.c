/* Report layouts of chronyc, following spec section 8 field by field. */
#include "chronyc/render.h"

#include "chronyc/names.h"

#include <math.h>
#include <string.h>

static const char *const header_titles[] = {
    [RH_SOURCES] =
        "MS Name/IP address         Stratum Poll Reach LastRx Last sample               ",
    [RH_SOURCESTATS] =
        "Name/IP Address            NP  NR  Span  Frequency  Freq Skew  Offset  Std Dev",
    [RH_CLIENTS] =
        "Hostname                      NTP   Drop Int IntL Last     Cmd   Drop Int  Last",
    [RH_CLIENTS_NKE] =
        "Hostname                      NTP   Drop Int IntL Last  NTS-KE   Drop Int  Last",
    [RH_SELECTDATA] = "S Name/IP Address        Auth COpts EOpts Last Score     Interval  Leap",
    [RH_AUTHDATA] = "Name/IP address             Mode KeyID Type KLen Last Atmp  NAK Cook CLen",
    [RH_MANUAL] = "#    Date     Time(UTC)    Slewed   Original   Residual",
};

void render_header(struct out *o, enum render_header h)
{
    size_t n = strlen(header_titles[h]);

    if (o->mode != OUT_TEXT)
        return;
    fprintf(o->f, "%s\n", header_titles[h]);
    for (size_t i = 0; i < n; i++)
        fputc('=', o->f);
    fputc('\n', o->f);
}

/* Our own wording; the shape (pointers to the columns) follows chrony's. */
static const char legend_sources[] =
    "\n"
    "  .-- Mode of the source: '^' server, '=' peer, '#' reference clock.\n"
    " / .- State: '*' synchronised to, '+' combined with it, '-' usable but\n"
    "| /          not combined, 'x' falseticker, '~' jittery, '?' not usable.\n"
    "||                                                 .- A [ B ] +/- E\n"
    "||      Reachability of the last 8 polls (octal) .  |  A = offset after later slews,\n"
    "||      Polling interval (log2 seconds) --.      |  |  B = offset as measured,\n"
    "||                                         \\     |  |  E = error bound of the sample.\n"
    "||                                          |    |   \\\n";

static const char legend_sourcestats[] =
    "                             .- Sample points used in the regression.\n"
    "                            /    .- Runs of residuals of the same sign.\n"
    "                           |    /    .- Time spanned by the samples.\n"
    "                           |   |    /      .- Residual frequency (ppm).\n"
    "                           |   |   |      /           .- Bound of the frequency error.\n"
    "                           |   |   |     |           /         .- Estimated offset\n"
    "                           |   |   |     |          |          |   and deviation of\n"
    "                           |   |   |     |          |          |   the samples.  \\\n"
    "                           |   |   |     |          |          |                |\n";

static const char legend_selectdata[] =
    "  . State: N noselect, s not synchronised, M too few samples,\n"
    " /         d/D distance too large, ~ too much jitter, w/W waiting for others,\n"
    "|          S stale, O orphan, T not trusted, P not preferred,\n"
    "|          U waiting for an update, x falseticker, + combined, * selected.\n"
    "|   Effective options   ---------.  (N noselect, P prefer,\n"
    "|   Configured options  ----.     \\  T trust, R require)\n"
    "|   Authentication (Y/N) -.  \\     \\     Offset interval --.\n"
    "|                         |   |     |                       |\n";

static const char legend_authdata[] =
    "                             .- Mechanism (NTS, or SK for a symmetric key)\n"
    "                            |   Key size -.    Cookie size (bytes) -.\n"
    "                            |     (bits)  |    Cookies held ----.   |\n"
    "                            |             |    KE attempts -.   |   |\n"
    "                            |             |                 |   |   |\n";

void render_legend(struct out *o, enum render_header h)
{
    const char *s = h == RH_SOURCES       ? legend_sources
                    : h == RH_SOURCESTATS ? legend_sourcestats
                    : h == RH_SELECTDATA  ? legend_selectdata
                    : h == RH_AUTHDATA    ? legend_authdata
                                          : NULL;
    if (s && o->mode == OUT_TEXT)
        fputs(s, o->f);
}

void render_tracking(struct out *o, const struct cmdmon_tracking *t, const char *name)
{
    out_begin(o);
    out_lit(o, "Reference ID    : ");
    out_refid(o, "ref_id", t->ref_id);
    out_lit(o, " (");
    out_str(o, "name", name, 0);
    out_lit(o, ")");
    out_eol(o);
    out_lit(o, "Stratum         : ");
    out_uint(o, "stratum", t->stratum, 0);
    out_eol(o);
    out_lit(o, "Ref time (UTC)  : ");
    out_date(o, "ref_time_unix_s", &t->ref_time);
    out_eol(o);
    out_lit(o, "System time     : ");
    out_offset_dir(o, "correction_s", t->current_correction, 9);
    out_lit(o, " of NTP time");
    out_eol(o);
    out_lit(o, "Last offset     : ");
    out_fixed(o, "last_offset_s", t->last_offset, 0, 9, 1);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "RMS offset      : ");
    out_fixed(o, "rms_offset_s", t->rms_offset, 0, 9, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Frequency       : ");
    out_freq_dir(o, "freq_ppm", t->freq_ppm, 3);
    out_eol(o);
    out_lit(o, "Residual freq   : ");
    out_fixed(o, "resid_freq_ppm", t->resid_freq_ppm, 0, 3, 1);
    out_lit(o, " ppm");
    out_eol(o);
    out_lit(o, "Skew            : ");
    out_fixed(o, "skew_ppm", t->skew_ppm, 0, 3, 0);
    out_lit(o, " ppm");
    out_eol(o);
    out_lit(o, "Root delay      : ");
    out_fixed(o, "root_delay_s", t->root_delay, 0, 9, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Root dispersion : ");
    out_fixed(o, "root_dispersion_s", t->root_dispersion, 0, 9, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Update interval : ");
    out_fixed(o, "update_interval_s", t->last_update_interval, 0, 1, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Leap status     : ");
    out_leap(o, "leap_status", t->leap_status, 0);
    out_eol(o);
    out_end(o);
}

void render_source_row(struct out *o, const struct cmdmon_source_data *s, const char *name)
{
    static const char modes[] = "^=#", states[] = "*?x~+-";

    out_begin(o);
    out_char(o, "mode", s->mode < 3 ? modes[s->mode] : ' ');
    out_char(o, "state", s->state < 6 ? states[s->state] : ' ');
    out_lit(o, " ");
    out_str(o, "name", name, -27);
    out_lit(o, "  ");
    out_int(o, "stratum", s->stratum, 2);
    out_lit(o, "  ");
    out_int(o, "poll_log2", s->poll, 2);
    out_lit(o, "   ");
    out_octal(o, "reach", s->reachability, 3);
    out_lit(o, "  ");
    out_interval(o, "last_rx_ago_s", s->since_sample);
    out_lit(o, "  ");
    out_offset(o, "offset_s", s->latest_meas, 1);
    out_lit(o, "[");
    out_offset(o, "measured_offset_s", s->orig_latest_meas, 1);
    out_lit(o, "] +/- ");
    out_offset(o, "error_s", s->latest_meas_err, 0);
    out_eol(o);
    out_end(o);
}

void render_sourcestats_row(struct out *o, const struct cmdmon_sourcestats *s, const char *name)
{
    out_begin(o);
    out_str(o, "name", name, -25);
    out_lit(o, " ");
    out_uint(o, "samples", s->n_samples, 3);
    out_lit(o, " ");
    out_uint(o, "runs", s->n_runs, 3);
    out_lit(o, "  ");
    out_interval(o, "span_s", s->span_seconds);
    out_lit(o, " ");
    out_freq(o, "resid_freq_ppm", s->resid_freq_ppm, 1);
    out_lit(o, " ");
    out_freq(o, "skew_ppm", s->skew_ppm, 0);
    out_lit(o, "  ");
    out_offset(o, "offset_s", s->est_offset, 1);
    out_lit(o, "  ");
    out_offset(o, "std_dev_s", s->sd, 0);
    out_eol(o);
    out_end(o);
}

void render_activity(struct out *o, const struct cmdmon_activity *a)
{
    out_lit(o, "200 OK\n");
    out_begin(o);
    out_uint(o, "online", (uint32_t)a->online, 0);
    out_lit(o, " sources online");
    out_eol(o);
    out_uint(o, "offline", (uint32_t)a->offline, 0);
    out_lit(o, " sources offline");
    out_eol(o);
    out_uint(o, "burst_online", (uint32_t)a->burst_online, 0);
    out_lit(o, " sources doing burst (return to online)");
    out_eol(o);
    out_uint(o, "burst_offline", (uint32_t)a->burst_offline, 0);
    out_lit(o, " sources doing burst (return to offline)");
    out_eol(o);
    out_uint(o, "unresolved", (uint32_t)a->unresolved, 0);
    out_lit(o, " sources with unknown address");
    out_eol(o);
    out_end(o);
}

static void render_labelled_uint(struct out *o, const char *label, const char *key,
                                 unsigned long long v)
{
    out_lit(o, label);
    out_uint(o, key, v, 0);
    out_eol(o);
}

static void render_ntp_addr(struct out *o, const char *label, const char *key,
                            const char *refid_key, const struct cmdmon_addr *a)
{
    char buf[NAMES_MAX];

    names_numeric(a, buf, sizeof(buf));
    out_lit(o, label);
    out_str(o, key, buf, 0);
    out_lit(o, " (");
    out_refid(o, refid_key, cmdmon_addr_refid(a));
    out_lit(o, ")");
    out_eol(o);
}

static double pow2_clamped(int e)
{
    return ldexp(1.0, e < -31 ? -31 : e > 31 ? 31 : e);
}

static void render_ntp_header_part(struct out *o, const struct cmdmon_ntp_data *n)
{
    char refname[8] = "";

    render_ntp_addr(o, "Remote address  : ", "remote_address", "remote_refid", &n->remote_addr);
    render_labelled_uint(o, "Remote port     : ", "remote_port", n->remote_port);
    render_ntp_addr(o, "Local address   : ", "local_address", "local_refid", &n->local_addr);
    out_lit(o, "Leap status     : ");
    out_leap(o, "leap_status", n->leap, 0);
    out_eol(o);
    render_labelled_uint(o, "Version         : ", "version", n->version);
    out_lit(o, "Mode            : ");
    out_ntp_mode(o, "mode", n->mode);
    out_eol(o);
    render_labelled_uint(o, "Stratum         : ", "stratum", n->stratum);
    out_lit(o, "Poll interval   : ");
    out_int(o, "poll_log2", n->poll, 0);
    out_lit(o, " (");
    out_fixed(o, "poll_s", pow2_clamped(n->poll), 0, 0, 0);
    out_lit(o, " seconds)");
    out_eol(o);
    out_lit(o, "Precision       : ");
    out_int(o, "precision_log2", n->precision, 0);
    out_lit(o, " (");
    out_fixed(o, "precision_s", pow2_clamped(n->precision), 0, 9, 0);
    out_lit(o, " seconds)");
    out_eol(o);
    out_lit(o, "Root delay      : ");
    out_fixed(o, "root_delay_s", n->root_delay, 0, 6, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Root dispersion : ");
    out_fixed(o, "root_dispersion_s", n->root_dispersion, 0, 6, 0);
    out_lit(o, " seconds");
    out_eol(o);
    if (n->stratum <= 1)
        names_refid_text(n->ref_id, refname, sizeof(refname));
    out_lit(o, "Reference ID    : ");
    out_refid(o, "ref_id", n->ref_id);
    out_lit(o, " (");
    out_str(o, "ref_name", refname, 0);
    out_lit(o, ")");
    out_eol(o);
    out_lit(o, "Reference time  : ");
    out_date(o, "ref_time_unix_s", &n->ref_time);
    out_eol(o);
}

static void render_ntp_measurement_part(struct out *o, const struct cmdmon_ntp_data *n)
{
    static const struct {
        const char *label, *key;
        size_t off;
    } secs[] = {
        {"Offset          : ", "offset_s", offsetof(struct cmdmon_ntp_data, offset)},
        {"Peer delay      : ", "peer_delay_s", offsetof(struct cmdmon_ntp_data, peer_delay)},
        {"Peer dispersion : ", "peer_dispersion_s",
         offsetof(struct cmdmon_ntp_data, peer_dispersion)},
        {"Response time   : ", "response_time_s", offsetof(struct cmdmon_ntp_data, response_time)},
    };
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        double v;
        memcpy(&v, (const char *)n + secs[i].off, sizeof(v));
        out_lit(o, secs[i].label);
        out_fixed(o, secs[i].key, v, 0, 9, i == 0);
        out_lit(o, " seconds");
        out_eol(o);
    }
    out_lit(o, "Jitter asymmetry: ");
    out_fixed(o, "jitter_asymmetry", n->jitter_asymmetry, 0, 2, 1);
    out_eol(o);
    out_lit(o, "NTP tests       : ");
    out_bits(o, "tests_a", n->flags >> 7, 3);
    out_lit(o, " ");
    out_bits(o, "tests_b", n->flags >> 4, 3);
    out_lit(o, " ");
    out_bits(o, "tests_c", n->flags, 4);
    out_eol(o);
    out_lit(o, "Interleaved     : ");
    out_bool(o, "interleaved", n->flags & 0x4000);
    out_eol(o);
    out_lit(o, "Authenticated   : ");
    out_bool(o, "authenticated", n->flags & 0x8000);
    out_eol(o);
    out_lit(o, "TX timestamping : ");
    out_ts_source(o, "tx_timestamping", n->tx_tss_char);
    out_eol(o);
    out_lit(o, "RX timestamping : ");
    out_ts_source(o, "rx_timestamping", n->rx_tss_char);
    out_eol(o);
}

void render_ntp_data(struct out *o, const struct cmdmon_ntp_data *n, uint16_t reply_code)
{
    const struct {
        const char *label, *key;
        uint32_t v;
    } totals[] = {
        {"Total TX        : ", "total_tx", n->total_tx_count},
        {"Total RX        : ", "total_rx", n->total_rx_count},
        {"Total valid RX  : ", "total_valid_rx", n->total_valid_count},
        {"Total good RX   : ", "total_good_rx", n->total_good_count},
        {"Total kernel TX : ", "total_kernel_tx", n->total_kernel_tx_ts},
        {"Total kernel RX : ", "total_kernel_rx", n->total_kernel_rx_ts},
        {"Total HW TX     : ", "total_hw_tx", n->total_hw_tx_ts},
        {"Total HW RX     : ", "total_hw_rx", n->total_hw_rx_ts},
    };
    size_t lines = 8;

    if (reply_code == CMDMON_RPY_NTP_DATA)
        lines = n->total_good_count == 0xFFFFFFFFu ? 3 : 4;
    out_begin(o);
    render_ntp_header_part(o, n);
    render_ntp_measurement_part(o, n);
    for (size_t i = 0; i < lines; i++)
        render_labelled_uint(o, totals[i].label, totals[i].key, totals[i].v);
    out_end(o);
}

void render_server_stats(struct out *o, const struct cmdmon_server_stats *s)
{
    /* Display order differs from the wire order (spec 8.10). */
    const struct {
        const char *label, *key;
        uint64_t v;
    } lines[] = {
        {"NTP packets received       : ", "ntp_packets_received", s->ntp_hits},
        {"NTP packets dropped        : ", "ntp_packets_dropped", s->ntp_drops},
        {"Command packets received   : ", "command_packets_received", s->cmd_hits},
        {"Command packets dropped    : ", "command_packets_dropped", s->cmd_drops},
        {"Client log records dropped : ", "client_log_records_dropped", s->log_drops},
        {"NTS-KE connections accepted: ", "nts_ke_connections_accepted", s->nke_hits},
        {"NTS-KE connections dropped : ", "nts_ke_connections_dropped", s->nke_drops},
        {"Authenticated NTP packets  : ", "authenticated_ntp_packets", s->ntp_auth_hits},
        {"Interleaved NTP packets    : ", "interleaved_ntp_packets", s->ntp_interleaved_hits},
        {"NTP timestamps held        : ", "ntp_timestamps_held", s->ntp_timestamps},
        {"NTP timestamp span         : ", "ntp_timestamp_span_s", s->ntp_span_seconds},
        {"NTP daemon RX timestamps   : ", "ntp_daemon_rx_timestamps", s->ntp_daemon_rx_timestamps},
        {"NTP daemon TX timestamps   : ", "ntp_daemon_tx_timestamps", s->ntp_daemon_tx_timestamps},
        {"NTP kernel RX timestamps   : ", "ntp_kernel_rx_timestamps", s->ntp_kernel_rx_timestamps},
        {"NTP kernel TX timestamps   : ", "ntp_kernel_tx_timestamps", s->ntp_kernel_tx_timestamps},
        {"NTP hardware RX timestamps : ", "ntp_hardware_rx_timestamps", s->ntp_hw_rx_timestamps},
        {"NTP hardware TX timestamps : ", "ntp_hardware_tx_timestamps", s->ntp_hw_tx_timestamps},
    };
    int n = s->n_fields > 0 && s->n_fields <= 17 ? s->n_fields : 17;

    out_begin(o);
    for (int i = 0; i < n; i++)
        render_labelled_uint(o, lines[i].label, lines[i].key, lines[i].v);
    out_end(o);
}

void render_client_row(struct out *o, const struct cmdmon_client_record *c, const char *name,
                       int kind_nke)
{
    out_begin(o);
    out_str(o, "name", name, -25);
    out_lit(o, "  ");
    out_uint(o, "ntp_hits", c->ntp_hits, 6);
    out_lit(o, "  ");
    out_uint(o, "ntp_drops", c->ntp_drops, 5);
    out_lit(o, "  ");
    out_log2(o, "ntp_interval_log2", c->ntp_interval);
    out_lit(o, "  ");
    out_log2(o, "ntp_limited_interval_log2", c->ntp_timeout_interval);
    out_lit(o, "  ");
    out_interval(o, "ntp_last_ago_s", c->last_ntp_hit_ago);
    out_lit(o, "  ");
    out_uint(o, kind_nke ? "nke_hits" : "cmd_hits", kind_nke ? c->nke_hits : c->cmd_hits, 6);
    out_lit(o, "  ");
    out_uint(o, kind_nke ? "nke_drops" : "cmd_drops", kind_nke ? c->nke_drops : c->cmd_drops, 5);
    out_lit(o, "  ");
    out_log2(o, kind_nke ? "nke_interval_log2" : "cmd_interval_log2",
             kind_nke ? c->nke_interval : c->cmd_interval);
    out_lit(o, "  ");
    out_interval(o, kind_nke ? "nke_last_ago_s" : "cmd_last_ago_s",
                 kind_nke ? c->last_nke_hit_ago : c->last_cmd_hit_ago);
    out_eol(o);
    out_end(o);
}

static void render_options(struct out *o, const char *key, unsigned opts)
{
    static const char letters[] = "NPTR";
    char buf[6], k[32];

    for (int i = 0; i < 4; i++)
        buf[i] = opts & (1u << i) ? letters[i] : '-';
    buf[4] = '-';
    buf[5] = '\0';
    if (o->mode == OUT_TEXT) {
        out_str(o, key, buf, 0);
        return;
    }
    if (o->mode == OUT_JSON) {
        out_str(o, key, buf, 0);
        return;
    }
    for (int i = 0; i < 5; i++) {
        snprintf(k, sizeof(k), "%s%d", key, i);
        out_char(o, k, buf[i]);
    }
}

void render_select_row(struct out *o, const struct cmdmon_select_data *s, const char *name)
{
    out_begin(o);
    out_char(o, "state", (char)s->state_char);
    out_lit(o, " ");
    out_str(o, "name", name, -25);
    out_lit(o, " ");
    out_char(o, "authenticated", s->authentication ? 'Y' : 'N');
    out_lit(o, " ");
    render_options(o, "configured_options", s->conf_options);
    out_lit(o, " ");
    render_options(o, "effective_options", s->eff_options);
    out_lit(o, " ");
    out_interval(o, "last_sample_ago_s", s->last_sample_ago);
    out_lit(o, " ");
    out_fixed(o, "score", s->score, 5, 1, 0);
    out_lit(o, " ");
    out_offset(o, "low_limit_s", s->lo_limit, 1);
    out_lit(o, " ");
    out_offset(o, "high_limit_s", s->hi_limit, 1);
    out_lit(o, "  ");
    out_leap(o, "leap", s->leap, 1);
    out_eol(o);
    out_end(o);
}

void render_auth_row(struct out *o, const struct cmdmon_auth_data *a, const char *name)
{
    const char *mode = a->mode == 0 ? "-" : a->mode == 1 ? "SK" : a->mode == 2 ? "NTS" : "?";

    out_begin(o);
    out_str(o, "name", name, -27);
    out_lit(o, " ");
    out_str(o, "mode", mode, 4);
    out_lit(o, " ");
    out_uint(o, "key_id", a->key_id, 5);
    out_lit(o, " ");
    out_int(o, "key_type", a->key_type, 4);
    out_lit(o, " ");
    out_int(o, "key_length_bits", a->key_length, 4);
    out_lit(o, " ");
    out_interval(o, "last_ke_ago_s", a->last_ke_ago);
    out_lit(o, " ");
    out_int(o, "ke_attempts", a->ke_attempts, 4);
    out_lit(o, " ");
    out_int(o, "nak", a->nak, 4);
    out_lit(o, " ");
    out_int(o, "cookies", a->cookies, 4);
    out_lit(o, " ");
    out_int(o, "cookie_length_bytes", a->cookie_length, 4);
    out_eol(o);
    out_end(o);
}

void render_smoothing(struct out *o, const struct cmdmon_smoothing *s)
{
    out_begin(o);
    out_lit(o, "Active         : ");
    out_bool(o, "active", s->flags & 0x1);
    out_lit(o, " ");
    out_str(o, "leap_only", s->flags & 0x2 ? "(leap second only)" : "", 0);
    out_eol(o);
    out_lit(o, "Offset         : ");
    out_fixed(o, "offset_s", s->offset, 0, 9, 1);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "Frequency      : ");
    out_fixed(o, "freq_ppm", s->freq_ppm, 0, 6, 1);
    out_lit(o, " ppm");
    out_eol(o);
    out_lit(o, "Wander         : ");
    out_fixed(o, "wander_ppm_per_s", s->wander_ppm, 0, 6, 1);
    out_lit(o, " ppm per second");
    out_eol(o);
    out_lit(o, "Last update    : ");
    out_fixed(o, "last_update_ago_s", s->last_update_ago, 0, 1, 0);
    out_lit(o, " seconds ago");
    out_eol(o);
    out_lit(o, "Remaining time : ");
    out_fixed(o, "remaining_time_s", s->remaining_time, 0, 1, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_end(o);
}

void render_rtc(struct out *o, const struct cmdmon_rtc *r)
{
    out_begin(o);
    out_lit(o, "RTC ref time (UTC) : ");
    out_date(o, "ref_time_unix_s", &r->ref_time);
    out_eol(o);
    render_labelled_uint(o, "Number of samples  : ", "samples", r->n_samples);
    render_labelled_uint(o, "Number of runs     : ", "runs", r->n_runs);
    out_lit(o, "Sample span period : ");
    out_interval(o, "span_s", r->span_seconds);
    out_eol(o);
    out_lit(o, "RTC is fast by     : ");
    out_fixed(o, "rtc_fast_by_s", r->rtc_seconds_fast, 12, 6, 0);
    out_lit(o, " seconds");
    out_eol(o);
    out_lit(o, "RTC gains time at  : ");
    out_fixed(o, "rtc_gain_rate_ppm", r->rtc_gain_rate_ppm, 9, 3, 0);
    out_lit(o, " ppm");
    out_eol(o);
    out_end(o);
}

void render_manual_list(struct out *o, const struct cmdmon_manual_list *m)
{
    uint32_t n =
        m->n_samples < CMDMON_MAX_MANUAL_SAMPLES ? m->n_samples : CMDMON_MAX_MANUAL_SAMPLES;

    if (o->mode == OUT_TEXT)
        fprintf(o->f, "210 n_samples = %u\n", (unsigned)m->n_samples);
    render_header(o, RH_MANUAL);
    for (uint32_t i = 0; i < n; i++) {
        const struct cmdmon_manual_sample *s = &m->samples[i];
        char date[32];
        struct tm tm;
        time_t t = s->when.tv_sec;
        if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm))
            snprintf(date, sizeof(date), "?");
        out_begin(o);
        out_int(o, "index", (long long)i, 2);
        out_lit(o, " ");
        out_str(o, "time_utc", date, 0);
        out_lit(o, " ");
        out_fixed(o, "slewed_offset_s", s->slewed_offset, 10, 2, 0);
        out_lit(o, " ");
        out_fixed(o, "original_offset_s", s->orig_offset, 10, 2, 0);
        out_lit(o, " ");
        out_fixed(o, "residual_s", s->residual, 10, 2, 0);
        out_eol(o);
        out_end(o);
    }
}

void render_settime(struct out *o, const struct cmdmon_manual_timestamp *m)
{
    out_begin(o);
    out_lit(o, "Clock was ");
    out_fixed(o, "offset_s", m->offset, 0, 2, 0);
    out_lit(o, " seconds fast.  Frequency change = ");
    out_fixed(o, "freq_change_ppm", m->dfreq_ppm, 0, 2, 0);
    out_lit(o, "ppm, new frequency = ");
    out_fixed(o, "new_freq_ppm", m->new_afreq_ppm, 0, 2, 0);
    out_lit(o, "ppm");
    out_eol(o);
    out_end(o);
}

void render_waitsync_try(struct out *o, int i, uint32_t refid, double correction, double skew)
{
    out_begin(o);
    out_lit(o, "try: ");
    out_int(o, "try", i, 0);
    out_lit(o, ", refid: ");
    out_refid(o, "ref_id", refid);
    out_lit(o, ", correction: ");
    out_fixed(o, "correction_s", correction, 0, 9, 0);
    out_lit(o, ", skew: ");
    out_fixed(o, "skew_ppm", skew, 0, 3, 0);
    out_eol(o);
    out_end(o);
}

void render_source_name(struct out *o, const char *name)
{
    out_begin(o);
    out_str(o, "name", name, 0);
    out_eol(o);
    out_end(o);
}
