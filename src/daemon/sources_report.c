/* The sources' command handlers: chronyc sources, sourcestats, selectdata, ntpdata,
 * sourcename, authdata, activity and tracking, plus the source and clock control
 * commands (online/offline, burst, reselect, poll and delay limits, makestep, and the
 * run-time source control of sources_cmd.c). The command table is node_commands.c. */
#include "daemon/sources.h"

#include "core/keys.h"
#include "daemon/config.h"
#include "daemon/reference.h"
#include "lib/bytes.h"
#include "lib/ts.h"
#include "proto/cmdmon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The wire address as an ip_addr; 0 for anything but IPv4/IPv6. */
static int cmdmon_to_ip(const struct cmdmon_addr *a, struct ip_addr *ip)
{
    cmdmon_addr_to_ip(a, ip);
    return ip->family != IPF_UNSPEC;
}

static const struct source *source_by_addr(const struct sources *ss, const struct cmdmon_addr *a)
{
    struct ip_addr ip;
    return cmdmon_to_ip(a, &ip) ? sources_get(ss, sources_find(ss, &ip)) : NULL;
}

static int report_n_sources(void *ctx)
{
    const struct source_row *rows;
    return sources_rows(ctx, &rows);
}

static int report_source_data(void *ctx, int index, const struct timespec *now,
                              struct cmdmon_source_data *out)
{
    struct sources *ss = ctx;
    const struct source *s = sources_get(ss, index);
    const struct engine_source *es = sources_engine_part(ss, index);
    struct select_source_state st;
    struct sourcestats_source_report r;
    struct timespec cooked;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    memset(out, 0, sizeof(*out));
    reference_cooked_time(ss->ref, now, &cooked, NULL);
    sourcestats_get_source_report(es->stats, &cooked, &r);
    cmdmon_addr_from_ip(&out->ip, &s->remote.ip);
    out->poll = (int16_t)(s->refclock ? engine_refclock_report_poll(ss->engine, index)
                                      : ntp_client_get_poll(&es->client));
    out->stratum = (uint16_t)r.stratum;
    out->state = sources_get_select_state(ss, index, &st) ? (uint16_t)st.rpt_state
                                                          : CMDMON_SRC_NONSELECTABLE;
    out->mode = s->refclock    ? CMDMON_MODE_REF
                : s->symmetric ? CMDMON_MODE_PEER
                               : CMDMON_MODE_CLIENT;
    out->flags = (uint16_t)(es->sel_options & 0xf);
    out->reachability = (uint16_t)ntp_client_get_reach(&es->client);
    out->since_sample = r.has_sample ? r.latest_meas_ago : CMDMON_NO_SAMPLE;
    out->orig_latest_meas = r.orig_latest_meas;
    out->latest_meas = r.latest_meas;
    out->latest_meas_err = r.latest_meas_err;
    return CMDMON_STT_SUCCESS;
}

static int report_sourcestats(void *ctx, int index, const struct timespec *now,
                              struct cmdmon_sourcestats *out)
{
    struct sources *ss = ctx;
    const struct source *s = sources_get(ss, index);
    const struct engine_source *es = sources_engine_part(ss, index);
    struct sourcestats_report r;
    struct timespec cooked;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    memset(out, 0, sizeof(*out));
    reference_cooked_time(ss->ref, now, &cooked, NULL);
    sourcestats_get_report(es->stats, &cooked, &r);
    out->ref_id = es->ref_id;
    if (!s->refclock) /* chrony: a refclock has no address, chronyc shows its refid */
        cmdmon_addr_from_ip(&out->ip, &s->remote.ip);
    out->n_samples = r.n_samples;
    out->n_runs = r.n_runs;
    out->span_seconds = r.span_seconds;
    out->sd = r.sd;
    out->resid_freq_ppm = r.resid_freq_ppm;
    out->skew_ppm = r.skew_ppm;
    out->est_offset = r.est_offset;
    out->est_offset_err = r.est_offset_err;
    return CMDMON_STT_SUCCESS;
}

static int report_select_data(void *ctx, int index, const struct timespec *now,
                              struct cmdmon_select_data *out)
{
    struct sources *ss = ctx;
    const struct source *s = sources_get(ss, index);
    const struct engine_source *es = sources_engine_part(ss, index);
    struct select_source_state st;

    (void)now;
    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    memset(out, 0, sizeof(*out));
    out->ref_id = es->ref_id;
    if (!s->refclock)
        cmdmon_addr_from_ip(&out->ip, &s->remote.ip);
    out->leap = (uint8_t)es->leap;
    out->conf_options = (uint16_t)(es->sel_options & 0xf);
    if (sources_get_select_state(ss, index, &st)) {
        out->state_char = (uint8_t)st.status_char;
        out->eff_options = (uint16_t)(st.eff_options & 0xf);
        out->last_sample_ago = st.last_sample_ago >= 0.0 && st.last_sample_ago < 4e9
                                   ? (uint32_t)st.last_sample_ago
                                   : CMDMON_NO_SAMPLE;
        out->score = st.score;
        out->lo_limit = st.lo_limit;
        out->hi_limit = st.hi_limit;
    } else {
        out->state_char = 'N';
        out->eff_options = out->conf_options;
    }
    return CMDMON_STT_SUCCESS;
}

static int report_ntp_data(void *ctx, const struct cmdmon_addr *addr, struct cmdmon_ntp_data *out)
{
    const struct source *s = source_by_addr(ctx, addr);
    struct ntp_client_report r;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    ntp_client_get_report(&sources_engine_part(ctx, sources_index(s))->client, &r);
    memset(out, 0, sizeof(*out));
    cmdmon_addr_from_ip(&out->remote_addr, &s->remote.ip);
    cmdmon_addr_from_ip(&out->local_addr, &s->local);
    out->remote_port = s->remote.port;
    out->leap = (uint8_t)r.leap;
    out->version = (uint8_t)r.version;
    out->mode = (uint8_t)r.mode;
    out->stratum = (uint8_t)r.stratum;
    out->poll = (int8_t)r.poll;
    out->precision = (int8_t)r.precision;
    out->root_delay = r.root_delay;
    out->root_dispersion = r.root_dispersion;
    out->ref_id = r.ref_id;
    out->ref_time = r.ref_time;
    out->offset = r.offset;
    out->peer_delay = r.peer_delay;
    out->peer_dispersion = r.peer_dispersion;
    out->response_time = r.response_time;
    out->jitter_asymmetry = r.jitter_asymmetry;
    /* chrony: the ten test bits, then interleaved (0x4000), authenticated (0x8000). */
    out->flags = (uint16_t)((r.tests & 0x3ffu) | (r.interleaved ? 0x4000u : 0u) |
                            (r.authenticated ? 0x8000u : 0u));
    out->tx_tss_char = (uint8_t)r.tx_tss_char;
    out->rx_tss_char = (uint8_t)r.rx_tss_char;
    out->total_tx_count = r.total_tx;
    out->total_rx_count = r.total_rx;
    out->total_valid_count = r.total_valid_rx;
    out->total_good_count = r.total_good_rx;
    out->total_kernel_tx_ts = r.total_kernel_tx;
    out->total_kernel_rx_ts = r.total_kernel_rx;
    out->total_hw_tx_ts = r.total_hw_tx;
    out->total_hw_rx_ts = r.total_hw_rx;
    return CMDMON_STT_SUCCESS;
}

/* chronyc authdata (chrony NAU_GetReport): the `key` of a source, none for the others. */
static int report_auth_data(void *ctx, const struct cmdmon_addr *addr, const struct timespec *now,
                            struct cmdmon_auth_data *out)
{
    const struct sources *ss = ctx;
    const struct source *s = source_by_addr(ctx, addr);
    uint32_t key_id;
    int type, bits;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    key_id = sources_engine_part(ss, sources_index(s))->client.auth_key;
    memset(out, 0, sizeof(*out));
    out->last_ke_ago = UINT32_MAX; /* -1: no NTS key establishment */
    if (s->nts_on) {
        int aead, cookies, clen, nak;
        nts_client_get_report(&s->nts, &aead, &bits, &cookies, &clen, &nak);
        out->mode = 2;
        out->key_id = s->nts.ke_counter;
        out->key_type = (uint16_t)aead;
        out->key_length = (uint16_t)bits;
        if (s->nts.ke_counter > 0 && now) {
            double ago = ts_diff(now, &s->nts.last_ke);
            out->last_ke_ago = ago >= 0.0 && ago < 4e9 ? (uint32_t)ago : 0;
        }
        out->ke_attempts = (uint16_t)s->nts.ke_attempts;
        out->nak = (uint16_t)nak;
        out->cookies = (uint16_t)cookies;
        out->cookie_length = (uint16_t)clen;
    } else if (key_id) {
        out->mode = 1;
        out->key_id = key_id;
        keys_get_info(ss->keys, key_id, &type, &bits);
        out->key_type = (uint16_t)type;
        out->key_length = (uint16_t)bits;
    }
    return CMDMON_STT_SUCCESS;
}

/* The name as given; a placeholder's is its directive's (spec 6.10). */
static int report_source_name(void *ctx, const struct cmdmon_addr *addr,
                              uint8_t name[CMDMON_NAME_LEN])
{
    const struct sources *ss = ctx;
    const struct source *s = source_by_addr(ctx, addr);
    const char *text = s ? s->name : NULL;
    size_t len;
    int slot;

    if (!s && addr->family == CMDMON_AF_ID &&
        (slot = sources_find_placeholder(ss, get_be32(addr->bytes))) >= 0)
        text = ss->entries[slot].cfg->name;
    if (!text)
        return CMDMON_STT_NOSUCHSOURCE;
    memset(name, 0, CMDMON_NAME_LEN);
    len = strlen(text);
    memcpy(name, text, len < CMDMON_NAME_LEN - 1 ? len : CMDMON_NAME_LEN - 1);
    return CMDMON_STT_SUCCESS;
}

static void report_activity(void *ctx, struct cmdmon_activity *out)
{
    int on, off, bon, boff, unres;

    sources_get_activity(ctx, &on, &off, &bon, &boff, &unres);
    out->online = on;
    out->offline = off;
    out->burst_online = bon;
    out->burst_offline = boff;
    out->unresolved = unres;
}

/* chronyc tracking: the discipline's figures; while the `local` reference
 * is served, its reference as the command server reports it by default. */
static int report_tracking(void *ctx, const struct timespec *now, struct cmdmon_tracking *out)
{
    struct sources *ss = ctx;
    struct disc_tracking t;
    struct ntp_server_ref ref;

    reference_get_tracking(ss->ref, now, &t);
    memset(out, 0, sizeof(*out));
    out->ref_id = t.ref_id;
    out->stratum = (uint16_t)t.stratum;
    out->leap_status = (uint16_t)t.leap_status;
    out->ref_time = t.ref_time;
    out->root_delay = t.root_delay;
    out->root_dispersion = t.root_dispersion;
    if (t.synchronised) {
        int sel = sources_selected(ss);
        const struct source *s = sources_get(ss, sel);
        if (s && !s->refclock && sources_engine_part(ss, sel)->ref_id == t.ref_id)
            cmdmon_addr_from_ip(&out->ip, &s->remote.ip);
    } else if (t.leap_status != 3) {
        reference_get_served(ss->ref, now, &ref);
        out->ref_time = ss->start_time;
        out->root_delay = ref.root_delay;
        out->root_dispersion = ref.root_dispersion;
    }
    out->current_correction = t.current_correction;
    out->last_offset = t.last_offset;
    out->rms_offset = t.rms_offset;
    out->freq_ppm = t.freq_ppm;
    out->resid_freq_ppm = t.resid_freq_ppm;
    out->skew_ppm = t.skew_ppm;
    out->last_update_interval = t.last_update_interval;
    return 1;
}

/* Sources matching an ONLINE/OFFLINE/BURST selector (address under mask;
 * an unspecified address matches all). */
static int selector_match(const struct source *s, const struct cmdmon_addr *mask,
                          const struct cmdmon_addr *addr)
{
    struct ip_addr a, m;
    int len;

    if (s->refclock)
        return 0; /* the commands are for NTP sources */
    if (!cmdmon_to_ip(addr, &a))
        return 1;
    if (a.family != s->remote.ip.family)
        return 0;
    if (!cmdmon_to_ip(mask, &m) || m.family != a.family)
        return ip_addr_equal(&a, &s->remote.ip);
    len = a.family == IPF_INET4 ? 4 : 16;
    for (int i = 0; i < len; i++)
        if ((a.a[i] & m.a[i]) != (s->remote.ip.a[i] & m.a[i]))
            return 0;
    return 1;
}

/* chrony logs the change of a source's state, by address. */
static void set_online(struct sources *ss, int index, int online, const struct timespec *now)
{
    const struct source *s = sources_get(ss, index);
    char addr[IP_ADDR_STRLEN];

    if (engine_source_command(ss->engine, index, online ? ENGINE_SRC_ONLINE : ENGINE_SRC_OFFLINE, 0,
                              0, 0.0, now))
        LOG_INFO(ss->env->log, "Source %s %s", ip_addr_format(&s->remote.ip, addr, sizeof(addr)),
                 online ? "online" : "offline");
}

static int control_selected(struct sources *ss, const struct cmdmon_request *req,
                            const struct timespec *now)
{
    int any = 0;

    for (int i = 0; i < sources_count(ss); i++) {
        struct source *s = ss->v[i];
        const struct cmdmon_addr *mask =
            req->command == CMDMON_REQ_BURST ? &req->u.burst.mask : &req->u.selector.mask;
        const struct cmdmon_addr *addr =
            req->command == CMDMON_REQ_BURST ? &req->u.burst.address : &req->u.selector.address;
        if (!selector_match(s, mask, addr))
            continue;
        any = 1;
        if (req->command == CMDMON_REQ_BURST)
            engine_source_command(ss->engine, i, ENGINE_SRC_BURST, req->u.burst.n_good_samples,
                                  req->u.burst.n_total_samples, 0.0, now);
        else
            set_online(ss, i, req->command == CMDMON_REQ_ONLINE, now);
    }
    sources_rearm_engine(ss);
    /* Sources gone offline lost their reachability: reselect. */
    if (any && req->command == CMDMON_REQ_OFFLINE)
        sources_select(ss, 0, now);
    return any ? CMDMON_STT_SUCCESS : CMDMON_STT_NOSUCHSOURCE;
}

/* chrony's log lines of the modify commands: the value now in effect (clamped),
 * the requested one for minstratum and polltarget, nothing for a poll interval out of
 * range, and the other poll limit too when it was moved along. */
static void log_modified(struct sources *ss, const struct source *s, uint16_t command, int v,
                         const struct ntp_client_opts *before)
{
    const struct ntp_client_opts *o = &sources_engine_part(ss, sources_index(s))->client.opts;
    char a[IP_ADDR_STRLEN];

    ip_addr_format(&s->remote.ip, a, sizeof(a));
    switch (command) {
    case CMDMON_REQ_MODIFY_MINPOLL:
    case CMDMON_REQ_MODIFY_MAXPOLL:
        if (v < NTP_CLIENT_MIN_POLL || v > NTP_CLIENT_MAX_POLL)
            break;
        if (command == CMDMON_REQ_MODIFY_MINPOLL)
            LOG_INFO(ss->env->log, "Source %s new minpoll %d", a, o->minpoll);
        if (command == CMDMON_REQ_MODIFY_MAXPOLL || o->maxpoll != before->maxpoll)
            LOG_INFO(ss->env->log, "Source %s new maxpoll %d", a, o->maxpoll);
        if (command == CMDMON_REQ_MODIFY_MAXPOLL && o->minpoll != before->minpoll)
            LOG_INFO(ss->env->log, "Source %s new minpoll %d", a, o->minpoll);
        break;
    case CMDMON_REQ_MODIFY_MINSTRATUM:
        LOG_INFO(ss->env->log, "Source %s new minstratum %d", a, v);
        break;
    case CMDMON_REQ_MODIFY_POLLTARGET:
        LOG_INFO(ss->env->log, "Source %s new polltarget %d", a, v);
        break;
    case CMDMON_REQ_MODIFY_MAXDELAY:
        LOG_INFO(ss->env->log, "Source %s new maxdelay %f", a, o->max_delay);
        break;
    case CMDMON_REQ_MODIFY_MAXDELAYRATIO:
        LOG_INFO(ss->env->log, "Source %s new maxdelayratio %f", a, o->max_delay_ratio);
        break;
    default:
        LOG_INFO(ss->env->log, "Source %s new maxdelaydevratio %f", a, o->max_delay_dev_ratio);
        break;
    }
}

static int control_modify(struct sources *ss, const struct cmdmon_request *req)
{
    const struct cmdmon_addr *a = req->command == CMDMON_REQ_MODIFY_MAXDELAY ||
                                          req->command == CMDMON_REQ_MODIFY_MAXDELAYRATIO ||
                                          req->command == CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO
                                      ? &req->u.modify_float.address
                                      : &req->u.modify_int.address;
    const struct source *s = source_by_addr(ss, a);
    int v = req->u.modify_int.value;
    double d = req->u.modify_float.value;
    struct ntp_client_opts before;
    enum engine_src_cmd cmd;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    before = sources_engine_part(ss, sources_index(s))->client.opts;
    switch (req->command) {
    case CMDMON_REQ_MODIFY_MINPOLL:
        cmd = ENGINE_SRC_MINPOLL;
        break;
    case CMDMON_REQ_MODIFY_MAXPOLL:
        cmd = ENGINE_SRC_MAXPOLL;
        break;
    case CMDMON_REQ_MODIFY_MINSTRATUM:
        cmd = ENGINE_SRC_MINSTRATUM;
        break;
    case CMDMON_REQ_MODIFY_POLLTARGET:
        cmd = ENGINE_SRC_POLLTARGET;
        break;
    case CMDMON_REQ_MODIFY_MAXDELAY:
        cmd = ENGINE_SRC_MAXDELAY;
        break;
    case CMDMON_REQ_MODIFY_MAXDELAYRATIO:
        cmd = ENGINE_SRC_MAXDELAYRATIO;
        break;
    default:
        cmd = ENGINE_SRC_MAXDELAYDEVRATIO;
        break;
    }
    engine_source_command(ss->engine, sources_index(s), cmd, v, 0, d, NULL);
    log_modified(ss, s, req->command, v, &before);
    return CMDMON_STT_SUCCESS;
}

/* Source management and clock adjustments of sources_cmd.c. */
static int control_runtime(struct sources *ss, const struct cmdmon_request *req,
                           const struct timespec *now)
{
    switch (req->command) {
    case CMDMON_REQ_ADD_SOURCE:
        return sources_add_from_request(ss, &req->u.add_source, now);
    case CMDMON_REQ_DEL_SOURCE:
        return sources_delete(ss, &req->u.address.ip, now);
    case CMDMON_REQ_MODIFY_SELECTOPTS:
        return sources_modify_selectopts(ss, &req->u.selectopts, now);
    case CMDMON_REQ_MODIFY_OFFSET:
        return sources_modify_offset(ss, &req->u.offset);
    case CMDMON_REQ_RESET_SOURCES:
        return sources_reset_all(ss, now);
    case CMDMON_REQ_RELOAD_SOURCES:
        return sources_reload_sourcedirs(ss, now);
    case CMDMON_REQ_REFRESH:
        return sources_refresh(ss, now);
    case CMDMON_REQ_ONOFFLINE:
        return sources_onoffline(ss, now);
    case CMDMON_REQ_LOCAL2:
    case CMDMON_REQ_LOCAL3:
        return sources_set_local(ss, &req->u.local);
    case CMDMON_REQ_DFREQ:
        return sources_manual_dfreq(ss, req->u.value.value, now);
    case CMDMON_REQ_DOFFSET2:
        return sources_manual_doffset(ss, req->u.value.value, now);
    default:
        return -1;
    }
}

static int control_request(void *ctx, const struct cmdmon_request *req, const struct timespec *now)
{
    struct sources *ss = ctx;

    switch (req->command) {
    case CMDMON_REQ_ONLINE:
    case CMDMON_REQ_OFFLINE:
    case CMDMON_REQ_BURST:
        return control_selected(ss, req, now);
    case CMDMON_REQ_MODIFY_MINPOLL:
    case CMDMON_REQ_MODIFY_MAXPOLL:
    case CMDMON_REQ_MODIFY_MINSTRATUM:
    case CMDMON_REQ_MODIFY_POLLTARGET:
    case CMDMON_REQ_MODIFY_MAXDELAY:
    case CMDMON_REQ_MODIFY_MAXDELAYRATIO:
    case CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO:
        return control_modify(ss, req);
    case CMDMON_REQ_RESELECT:
        sources_select(ss, 1, now);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MODIFY_MAXUPDATESKEW:
        engine_set_max_update_skew(ss->engine, req->u.value.value);
        LOG_INFO(ss->env->log, "New maxupdateskew %f ppm", req->u.value.value);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_RESELECTDISTANCE:
        if (engine_set_reselect_distance(ss->engine, req->u.value.value))
            LOG_INFO(ss->env->log, "New reselect distance %f", req->u.value.value);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MODIFY_MAKESTEP:
        engine_set_makestep(ss->engine, req->u.makestep.limit, req->u.makestep.threshold);
        LOG_INFO(ss->env->log, "New makestep %f %d", req->u.makestep.threshold,
                 (int)req->u.makestep.limit);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MAKESTEP:
        return sources_make_step(ss, now);
    default:
        return control_runtime(ss, req, now);
    }
}

/* Command handlers (the command table is node_commands.c). */

void sources_h_n_sources(struct sources *ss, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    rpy->reply = CMDMON_RPY_N_SOURCES;
    rpy->u.n_sources.n_sources = (uint32_t)report_n_sources(ss);
}

/* A placeholder row of a directive whose name has not resolved yet. */
static void report_placeholder(const struct sources *ss, const struct source_row *r,
                               const struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    if (req->command == CMDMON_REQ_SOURCE_DATA)
        sources_placeholder_data(ss, r, &rpy->u.source_data);
    else if (req->command == CMDMON_REQ_SOURCESTATS)
        sources_placeholder_stats(r, &rpy->u.sourcestats);
    else
        sources_placeholder_select(ss, r, &rpy->u.select_data);
}

/* SOURCE_DATA, SOURCESTATS, SELECT_DATA: by row (sources_rows). */
void sources_h_indexed(struct sources *ss, const struct cmdmon_request *req,
                       const struct timespec *now, struct cmdmon_reply *rpy)
{
    int32_t i = req->u.index.index;
    const struct source_row *rows;
    int n = sources_rows(ss, &rows), src = i >= 0 && i < n ? rows[i].source : -1;
    uint16_t code;
    int st;

    code = req->command == CMDMON_REQ_SOURCE_DATA   ? CMDMON_RPY_SOURCE_DATA
           : req->command == CMDMON_REQ_SOURCESTATS ? CMDMON_RPY_SOURCESTATS
                                                    : CMDMON_RPY_SELECT_DATA;
    if (i < 0 || i >= n)
        st = CMDMON_STT_NOSUCHSOURCE;
    else if (src < 0) {
        report_placeholder(ss, &rows[i], req, rpy);
        st = CMDMON_STT_SUCCESS;
    } else if (req->command == CMDMON_REQ_SOURCE_DATA)
        st = report_source_data(ss, src, now, &rpy->u.source_data);
    else if (req->command == CMDMON_REQ_SOURCESTATS)
        st = report_sourcestats(ss, src, now, &rpy->u.sourcestats);
    else
        st = report_select_data(ss, src, now, &rpy->u.select_data);
    rpy->status = (uint16_t)st;
    if (st == CMDMON_STT_SUCCESS)
        rpy->reply = code;
}

/* NTP_DATA, NTP_SOURCE_NAME, AUTH_DATA: by address of an NTP source. */
void sources_h_addressed(struct sources *ss, const struct cmdmon_request *req,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct cmdmon_addr *a = &req->u.address.ip;
    uint16_t code;
    int st;

    if (req->command == CMDMON_REQ_NTP_DATA) {
        /* 4.0-4.5 clients send 152 bytes and take the old reply (spec 10.3). */
        code = req->length >= cmdmon_reply_length(CMDMON_RPY_NTP_DATA2) ? CMDMON_RPY_NTP_DATA2
                                                                        : CMDMON_RPY_NTP_DATA;
        st = report_ntp_data(ss, a, &rpy->u.ntp_data);
    } else if (req->command == CMDMON_REQ_NTP_SOURCE_NAME) {
        code = CMDMON_RPY_NTP_SOURCE_NAME;
        st = report_source_name(ss, a, rpy->u.source_name.name);
    } else {
        code = CMDMON_RPY_AUTH_DATA;
        st = report_auth_data(ss, a, now, &rpy->u.auth_data);
    }
    rpy->status = (uint16_t)st;
    if (st == CMDMON_STT_SUCCESS)
        rpy->reply = code;
}

void sources_h_tracking(struct sources *ss, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)req;
    rpy->reply = CMDMON_RPY_TRACKING;
    report_tracking(ss, now, &rpy->u.tracking);
}

void sources_h_activity(struct sources *ss, const struct cmdmon_request *req,
                        const struct timespec *now, struct cmdmon_reply *rpy)
{
    (void)req;
    (void)now;
    rpy->reply = CMDMON_RPY_ACTIVITY;
    report_activity(ss, &rpy->u.activity);
}

/* MANUAL (0 off, 1 on, 2 reset), MANUAL_LIST, MANUAL_DELETE, SETTIME (chrony's manual.c
 * through the engine). */
static int manual_request(struct sources *ss, const struct cmdmon_request *req,
                          const struct timespec *now, struct cmdmon_reply *rpy)
{
    const struct manual *m = engine_manual(ss->engine);
    struct cmdmon_manual_timestamp *t = &rpy->u.manual_timestamp;
    int ok;

    switch (req->command) {
    case CMDMON_REQ_MANUAL:
        if (req->u.option.option < 0 || req->u.option.option > 2)
            return CMDMON_STT_INVALID;
        if (req->u.option.option == 2)
            engine_manual_reset(ss->engine);
        else
            engine_manual_enable(ss->engine, req->u.option.option);
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MANUAL_LIST:
        rpy->reply = CMDMON_RPY_MANUAL_LIST2;
        rpy->u.manual_list.n_samples = (uint32_t)m->n;
        for (int i = 0; i < m->n && i < CMDMON_MAX_MANUAL_SAMPLES; i++) {
            rpy->u.manual_list.samples[i].when = m->s[i].when;
            rpy->u.manual_list.samples[i].slewed_offset = m->s[i].offset;
            rpy->u.manual_list.samples[i].orig_offset = m->s[i].orig_offset;
            rpy->u.manual_list.samples[i].residual = m->s[i].residual;
        }
        return CMDMON_STT_SUCCESS;
    case CMDMON_REQ_MANUAL_DELETE:
        ok = engine_manual_delete(ss->engine, req->u.index.index, now, sources_out_begin(ss));
        sources_out_end(ss, now);
        return ok ? CMDMON_STT_SUCCESS : CMDMON_STT_BADSAMPLE;
    default: /* SETTIME */
        if (!engine_manual_enabled(ss->engine))
            return CMDMON_STT_NOTENABLED;
        ok = engine_manual_settime(ss->engine, now, &req->u.settime.time, &t->offset, &t->dfreq_ppm,
                                   &t->new_afreq_ppm, sources_out_begin(ss));
        sources_out_end(ss, now);
        if (!ok)
            return CMDMON_STT_FAILED;
        rpy->reply = CMDMON_RPY_MANUAL_TIMESTAMP2;
        return CMDMON_STT_SUCCESS;
    }
}

void sources_h_manual(struct sources *ss, const struct cmdmon_request *req,
                      const struct timespec *now, struct cmdmon_reply *rpy)
{
    rpy->status = (uint16_t)manual_request(ss, req, now, rpy);
}

void sources_h_control(struct sources *ss, const struct cmdmon_request *req,
                       const struct timespec *now, struct cmdmon_reply *rpy)
{
    int st = control_request(ss, req, now);

    rpy->status = (uint16_t)(st < 0 ? CMDMON_STT_INVALID : st);
}
