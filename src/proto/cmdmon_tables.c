/* Body layouts of every cmdmon request and reply (spec 3.2, 6, 7). Wire
 * offsets here are relative to the body: absolute - 20 for requests,
 * absolute - 28 for replies. */
#include "proto/cmdmon_tables.h"

#include "lib/compiler.h"

#define FLD(t, off, type, member)                                                                  \
    {                                                                                              \
        t, off, (uint16_t)offsetof(type, member)                                                   \
    }
#define LAYOUT(name, fields)                                                                       \
    {                                                                                              \
        fields, ARRAY_LEN(fields), NULL, 0                                                         \
    }

/* Requests. */
static const struct cmdmon_field rq_index[] = {FLD(CMF_I32, 0, struct cmdmon_req_index, index)};
static const struct cmdmon_field rq_selector[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_selector, mask),
    FLD(CMF_ADDR, 20, struct cmdmon_req_selector, address)};
static const struct cmdmon_field rq_burst[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_burst, mask),
    FLD(CMF_ADDR, 20, struct cmdmon_req_burst, address),
    FLD(CMF_I32, 40, struct cmdmon_req_burst, n_good_samples),
    FLD(CMF_I32, 44, struct cmdmon_req_burst, n_total_samples)};
static const struct cmdmon_field rq_mod_int[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_modify_int, address),
    FLD(CMF_I32, 20, struct cmdmon_req_modify_int, value)};
static const struct cmdmon_field rq_mod_float[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_modify_float, address),
    FLD(CMF_FLOAT, 20, struct cmdmon_req_modify_float, value)};
static const struct cmdmon_field rq_value[] = {FLD(CMF_FLOAT, 0, struct cmdmon_req_value, value)};
static const struct cmdmon_field rq_option[] = {FLD(CMF_I32, 0, struct cmdmon_req_option, option)};
static const struct cmdmon_field rq_settime[] = {FLD(CMF_TS, 0, struct cmdmon_req_settime, time)};
static const struct cmdmon_field rq_subnet[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_subnet, ip),
    FLD(CMF_I32, 20, struct cmdmon_req_subnet, subnet_bits)};
static const struct cmdmon_field rq_address[] = {FLD(CMF_ADDR, 0, struct cmdmon_req_address, ip)};
static const struct cmdmon_field rq_makestep[] = {
    FLD(CMF_I32, 0, struct cmdmon_req_makestep, limit),
    FLD(CMF_FLOAT, 4, struct cmdmon_req_makestep, threshold)};
#define AS struct cmdmon_req_add_source
static const struct cmdmon_field rq_add_source[] = {FLD(CMF_U32, 0, AS, type),
                                                    FLD(CMF_NAME, 4, AS, name),
                                                    FLD(CMF_U32, 260, AS, port),
                                                    FLD(CMF_I32, 264, AS, minpoll),
                                                    FLD(CMF_I32, 268, AS, maxpoll),
                                                    FLD(CMF_I32, 272, AS, presend_minpoll),
                                                    FLD(CMF_U32, 276, AS, min_stratum),
                                                    FLD(CMF_U32, 280, AS, poll_target),
                                                    FLD(CMF_U32, 284, AS, version),
                                                    FLD(CMF_U32, 288, AS, max_sources),
                                                    FLD(CMF_I32, 292, AS, min_samples),
                                                    FLD(CMF_I32, 296, AS, max_samples),
                                                    FLD(CMF_U32, 300, AS, authkey),
                                                    FLD(CMF_U32, 304, AS, nts_port),
                                                    FLD(CMF_FLOAT, 308, AS, max_delay),
                                                    FLD(CMF_FLOAT, 312, AS, max_delay_ratio),
                                                    FLD(CMF_FLOAT, 316, AS, max_delay_dev_ratio),
                                                    FLD(CMF_FLOAT, 320, AS, min_delay),
                                                    FLD(CMF_FLOAT, 324, AS, asymmetry),
                                                    FLD(CMF_FLOAT, 328, AS, offset),
                                                    FLD(CMF_U32, 332, AS, flags),
                                                    FLD(CMF_I32, 336, AS, filter_length),
                                                    FLD(CMF_U32, 340, AS, cert_set),
                                                    FLD(CMF_FLOAT, 344, AS, max_delay_quant),
                                                    FLD(CMF_I32, 348, AS, max_unreach)};
#undef AS
static const struct cmdmon_field rq_clients[] = {
    FLD(CMF_U32, 0, struct cmdmon_req_clients, first_index),
    FLD(CMF_U32, 4, struct cmdmon_req_clients, n_clients),
    FLD(CMF_U32, 8, struct cmdmon_req_clients, min_hits),
    FLD(CMF_U32, 12, struct cmdmon_req_clients, reset)};
static const struct cmdmon_field rq_selectopts[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_selectopts, address),
    FLD(CMF_U32, 20, struct cmdmon_req_selectopts, ref_id),
    FLD(CMF_U32, 24, struct cmdmon_req_selectopts, mask),
    FLD(CMF_U32, 28, struct cmdmon_req_selectopts, options)};
static const struct cmdmon_field rq_offset[] = {
    FLD(CMF_ADDR, 0, struct cmdmon_req_offset, address),
    FLD(CMF_U32, 20, struct cmdmon_req_offset, ref_id),
    FLD(CMF_FLOAT, 24, struct cmdmon_req_offset, offset)};
static const struct cmdmon_field rq_local[] = {
    FLD(CMF_I32, 0, struct cmdmon_req_local, on_off),
    FLD(CMF_I32, 4, struct cmdmon_req_local, stratum),
    FLD(CMF_FLOAT, 8, struct cmdmon_req_local, distance),
    FLD(CMF_I32, 12, struct cmdmon_req_local, orphan),
    FLD(CMF_FLOAT, 16, struct cmdmon_req_local, activate),
    FLD(CMF_FLOAT, 20, struct cmdmon_req_local, wait_synced),
    FLD(CMF_FLOAT, 24, struct cmdmon_req_local, wait_unsynced)};

static const struct cmdmon_layout l_index = LAYOUT(index, rq_index);
static const struct cmdmon_layout l_selector = LAYOUT(selector, rq_selector);
static const struct cmdmon_layout l_burst = LAYOUT(burst, rq_burst);
static const struct cmdmon_layout l_mod_int = LAYOUT(mod_int, rq_mod_int);
static const struct cmdmon_layout l_mod_float = LAYOUT(mod_float, rq_mod_float);
static const struct cmdmon_layout l_value = LAYOUT(value, rq_value);
static const struct cmdmon_layout l_option = LAYOUT(option, rq_option);
static const struct cmdmon_layout l_settime = LAYOUT(settime, rq_settime);
static const struct cmdmon_layout l_subnet = LAYOUT(subnet, rq_subnet);
static const struct cmdmon_layout l_address = LAYOUT(address, rq_address);
static const struct cmdmon_layout l_makestep = LAYOUT(makestep, rq_makestep);
static const struct cmdmon_layout l_add_source = LAYOUT(add_source, rq_add_source);
static const struct cmdmon_layout l_clients = LAYOUT(clients, rq_clients);
static const struct cmdmon_layout l_selectopts = LAYOUT(selectopts, rq_selectopts);
static const struct cmdmon_layout l_offset = LAYOUT(offset, rq_offset);
static const struct cmdmon_layout l_local = LAYOUT(local, rq_local);
static const struct cmdmon_layout l_local2 = {rq_local, 4, NULL, 0};

/* Spec 3.2 (chrony 4.8). The padded length follows from body and reply. */
static const struct cmdmon_req_info req_table[] = {
    {CMDMON_REQ_ONLINE, 40, CMDMON_RPY_NULL, &l_selector},
    {CMDMON_REQ_OFFLINE, 40, CMDMON_RPY_NULL, &l_selector},
    {CMDMON_REQ_BURST, 48, CMDMON_RPY_NULL, &l_burst},
    {CMDMON_REQ_MODIFY_MINPOLL, 24, CMDMON_RPY_NULL, &l_mod_int},
    {CMDMON_REQ_MODIFY_MAXPOLL, 24, CMDMON_RPY_NULL, &l_mod_int},
    {CMDMON_REQ_DUMP, 4, CMDMON_RPY_NULL, &l_option},
    {CMDMON_REQ_MODIFY_MAXDELAY, 24, CMDMON_RPY_NULL, &l_mod_float},
    {CMDMON_REQ_MODIFY_MAXDELAYRATIO, 24, CMDMON_RPY_NULL, &l_mod_float},
    {CMDMON_REQ_MODIFY_MAXUPDATESKEW, 4, CMDMON_RPY_NULL, &l_value},
    {CMDMON_REQ_SETTIME, 12, CMDMON_RPY_MANUAL_TIMESTAMP2, &l_settime},
    {CMDMON_REQ_MANUAL, 4, CMDMON_RPY_NULL, &l_option},
    {CMDMON_REQ_N_SOURCES, 0, CMDMON_RPY_N_SOURCES, NULL},
    {CMDMON_REQ_SOURCE_DATA, 4, CMDMON_RPY_SOURCE_DATA, &l_index},
    {CMDMON_REQ_REKEY, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_ALLOW, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_ALLOWALL, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_DENY, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_DENYALL, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_CMDALLOW, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_CMDALLOWALL, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_CMDDENY, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_CMDDENYALL, 24, CMDMON_RPY_NULL, &l_subnet},
    {CMDMON_REQ_ACCHECK, 20, CMDMON_RPY_NULL, &l_address},
    {CMDMON_REQ_CMDACCHECK, 20, CMDMON_RPY_NULL, &l_address},
    {CMDMON_REQ_DEL_SOURCE, 20, CMDMON_RPY_NULL, &l_address},
    {CMDMON_REQ_WRITERTC, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_DFREQ, 4, CMDMON_RPY_NULL, &l_value},
    {CMDMON_REQ_TRACKING, 0, CMDMON_RPY_TRACKING, NULL},
    {CMDMON_REQ_SOURCESTATS, 4, CMDMON_RPY_SOURCESTATS, &l_index},
    {CMDMON_REQ_RTCREPORT, 0, CMDMON_RPY_RTC, NULL},
    {CMDMON_REQ_TRIMRTC, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_CYCLELOGS, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_MANUAL_LIST, 0, CMDMON_RPY_MANUAL_LIST2, NULL},
    {CMDMON_REQ_MANUAL_DELETE, 4, CMDMON_RPY_NULL, &l_index},
    {CMDMON_REQ_MAKESTEP, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_ACTIVITY, 0, CMDMON_RPY_ACTIVITY, NULL},
    {CMDMON_REQ_MODIFY_MINSTRATUM, 24, CMDMON_RPY_NULL, &l_mod_int},
    {CMDMON_REQ_MODIFY_POLLTARGET, 24, CMDMON_RPY_NULL, &l_mod_int},
    {CMDMON_REQ_MODIFY_MAXDELAYDEVRATIO, 24, CMDMON_RPY_NULL, &l_mod_float},
    {CMDMON_REQ_RESELECT, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_RESELECTDISTANCE, 4, CMDMON_RPY_NULL, &l_value},
    {CMDMON_REQ_MODIFY_MAKESTEP, 8, CMDMON_RPY_NULL, &l_makestep},
    {CMDMON_REQ_SMOOTHING, 0, CMDMON_RPY_SMOOTHING, NULL},
    {CMDMON_REQ_SMOOTHTIME, 4, CMDMON_RPY_NULL, &l_option},
    {CMDMON_REQ_REFRESH, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_SERVER_STATS, 0, CMDMON_RPY_SERVER_STATS4, NULL},
    {CMDMON_REQ_NTP_DATA, 20, CMDMON_RPY_NTP_DATA2, &l_address},
    {CMDMON_REQ_SHUTDOWN, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_ONOFFLINE, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_ADD_SOURCE, 352, CMDMON_RPY_NULL, &l_add_source},
    {CMDMON_REQ_NTP_SOURCE_NAME, 20, CMDMON_RPY_NTP_SOURCE_NAME, &l_address},
    {CMDMON_REQ_RESET_SOURCES, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_AUTH_DATA, 20, CMDMON_RPY_AUTH_DATA, &l_address},
    {CMDMON_REQ_CLIENT_ACCESSES_BY_INDEX3, 16, CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3, &l_clients},
    {CMDMON_REQ_SELECT_DATA, 4, CMDMON_RPY_SELECT_DATA, &l_index},
    {CMDMON_REQ_RELOAD_SOURCES, 0, CMDMON_RPY_NULL, NULL},
    {CMDMON_REQ_DOFFSET2, 4, CMDMON_RPY_NULL, &l_value},
    {CMDMON_REQ_MODIFY_SELECTOPTS, 32, CMDMON_RPY_NULL, &l_selectopts},
    {CMDMON_REQ_MODIFY_OFFSET, 28, CMDMON_RPY_NULL, &l_offset},
    {CMDMON_REQ_LOCAL3, 28, CMDMON_RPY_NULL, &l_local},
};

/* LOCAL2 (4.0-4.5) is only known to the lenient decoder. */
static const struct cmdmon_req_info req_local2 = {CMDMON_REQ_LOCAL2, 16, CMDMON_RPY_NULL,
                                                  &l_local2};

/* Replies. */
static const struct cmdmon_field rp_n_sources[] = {
    FLD(CMF_U32, 0, struct cmdmon_n_sources, n_sources)};
#define SD struct cmdmon_source_data
static const struct cmdmon_field rp_source_data[] = {FLD(CMF_ADDR, 0, SD, ip),
                                                     FLD(CMF_I16, 20, SD, poll),
                                                     FLD(CMF_U16, 22, SD, stratum),
                                                     FLD(CMF_U16, 24, SD, state),
                                                     FLD(CMF_U16, 26, SD, mode),
                                                     FLD(CMF_U16, 28, SD, flags),
                                                     FLD(CMF_U16, 30, SD, reachability),
                                                     FLD(CMF_U32, 32, SD, since_sample),
                                                     FLD(CMF_FLOAT, 36, SD, orig_latest_meas),
                                                     FLD(CMF_FLOAT, 40, SD, latest_meas),
                                                     FLD(CMF_FLOAT, 44, SD, latest_meas_err)};
#undef SD
#define TR struct cmdmon_tracking
static const struct cmdmon_field rp_tracking[] = {FLD(CMF_U32, 0, TR, ref_id),
                                                  FLD(CMF_ADDR, 4, TR, ip),
                                                  FLD(CMF_U16, 24, TR, stratum),
                                                  FLD(CMF_U16, 26, TR, leap_status),
                                                  FLD(CMF_TS, 28, TR, ref_time),
                                                  FLD(CMF_FLOAT, 40, TR, current_correction),
                                                  FLD(CMF_FLOAT, 44, TR, last_offset),
                                                  FLD(CMF_FLOAT, 48, TR, rms_offset),
                                                  FLD(CMF_FLOAT, 52, TR, freq_ppm),
                                                  FLD(CMF_FLOAT, 56, TR, resid_freq_ppm),
                                                  FLD(CMF_FLOAT, 60, TR, skew_ppm),
                                                  FLD(CMF_FLOAT, 64, TR, root_delay),
                                                  FLD(CMF_FLOAT, 68, TR, root_dispersion),
                                                  FLD(CMF_FLOAT, 72, TR, last_update_interval)};
#undef TR
#define SS struct cmdmon_sourcestats
static const struct cmdmon_field rp_sourcestats[] = {FLD(CMF_U32, 0, SS, ref_id),
                                                     FLD(CMF_ADDR, 4, SS, ip),
                                                     FLD(CMF_U32, 24, SS, n_samples),
                                                     FLD(CMF_U32, 28, SS, n_runs),
                                                     FLD(CMF_U32, 32, SS, span_seconds),
                                                     FLD(CMF_FLOAT, 36, SS, sd),
                                                     FLD(CMF_FLOAT, 40, SS, resid_freq_ppm),
                                                     FLD(CMF_FLOAT, 44, SS, skew_ppm),
                                                     FLD(CMF_FLOAT, 48, SS, est_offset),
                                                     FLD(CMF_FLOAT, 52, SS, est_offset_err)};
#undef SS
static const struct cmdmon_field rp_rtc[] = {
    FLD(CMF_TS, 0, struct cmdmon_rtc, ref_time),
    FLD(CMF_U16, 12, struct cmdmon_rtc, n_samples),
    FLD(CMF_U16, 14, struct cmdmon_rtc, n_runs),
    FLD(CMF_U32, 16, struct cmdmon_rtc, span_seconds),
    FLD(CMF_FLOAT, 20, struct cmdmon_rtc, rtc_seconds_fast),
    FLD(CMF_FLOAT, 24, struct cmdmon_rtc, rtc_gain_rate_ppm)};
static const struct cmdmon_field rp_activity[] = {
    FLD(CMF_I32, 0, struct cmdmon_activity, online),
    FLD(CMF_I32, 4, struct cmdmon_activity, offline),
    FLD(CMF_I32, 8, struct cmdmon_activity, burst_online),
    FLD(CMF_I32, 12, struct cmdmon_activity, burst_offline),
    FLD(CMF_I32, 16, struct cmdmon_activity, unresolved)};
static const struct cmdmon_field rp_smoothing[] = {
    FLD(CMF_U32, 0, struct cmdmon_smoothing, flags),
    FLD(CMF_FLOAT, 4, struct cmdmon_smoothing, offset),
    FLD(CMF_FLOAT, 8, struct cmdmon_smoothing, freq_ppm),
    FLD(CMF_FLOAT, 12, struct cmdmon_smoothing, wander_ppm),
    FLD(CMF_FLOAT, 16, struct cmdmon_smoothing, last_update_ago),
    FLD(CMF_FLOAT, 20, struct cmdmon_smoothing, remaining_time)};
#define ND struct cmdmon_ntp_data
static const struct cmdmon_field rp_ntp_data[] = {FLD(CMF_ADDR, 0, ND, remote_addr),
                                                  FLD(CMF_ADDR, 20, ND, local_addr),
                                                  FLD(CMF_U16, 40, ND, remote_port),
                                                  FLD(CMF_U8, 42, ND, leap),
                                                  FLD(CMF_U8, 43, ND, version),
                                                  FLD(CMF_U8, 44, ND, mode),
                                                  FLD(CMF_U8, 45, ND, stratum),
                                                  FLD(CMF_I8, 46, ND, poll),
                                                  FLD(CMF_I8, 47, ND, precision),
                                                  FLD(CMF_FLOAT, 48, ND, root_delay),
                                                  FLD(CMF_FLOAT, 52, ND, root_dispersion),
                                                  FLD(CMF_U32, 56, ND, ref_id),
                                                  FLD(CMF_TS, 60, ND, ref_time),
                                                  FLD(CMF_FLOAT, 72, ND, offset),
                                                  FLD(CMF_FLOAT, 76, ND, peer_delay),
                                                  FLD(CMF_FLOAT, 80, ND, peer_dispersion),
                                                  FLD(CMF_FLOAT, 84, ND, response_time),
                                                  FLD(CMF_FLOAT, 88, ND, jitter_asymmetry),
                                                  FLD(CMF_U16, 92, ND, flags),
                                                  FLD(CMF_U8, 94, ND, tx_tss_char),
                                                  FLD(CMF_U8, 95, ND, rx_tss_char),
                                                  FLD(CMF_U32, 96, ND, total_tx_count),
                                                  FLD(CMF_U32, 100, ND, total_rx_count),
                                                  FLD(CMF_U32, 104, ND, total_valid_count),
                                                  FLD(CMF_U32, 108, ND, total_good_count),
                                                  FLD(CMF_U32, 112, ND, total_kernel_tx_ts),
                                                  FLD(CMF_U32, 116, ND, total_kernel_rx_ts),
                                                  FLD(CMF_U32, 120, ND, total_hw_tx_ts),
                                                  FLD(CMF_U32, 124, ND, total_hw_rx_ts)};
#undef ND
static const struct cmdmon_field rp_manual_ts[] = {
    FLD(CMF_FLOAT, 0, struct cmdmon_manual_timestamp, offset),
    FLD(CMF_FLOAT, 4, struct cmdmon_manual_timestamp, dfreq_ppm),
    FLD(CMF_FLOAT, 8, struct cmdmon_manual_timestamp, new_afreq_ppm)};
static const struct cmdmon_field rp_manual_list[] = {
    FLD(CMF_U32, 0, struct cmdmon_manual_list, n_samples)};
static const struct cmdmon_field rp_manual_sample[] = {
    FLD(CMF_TS, 0, struct cmdmon_manual_sample, when),
    FLD(CMF_FLOAT, 12, struct cmdmon_manual_sample, slewed_offset),
    FLD(CMF_FLOAT, 16, struct cmdmon_manual_sample, orig_offset),
    FLD(CMF_FLOAT, 20, struct cmdmon_manual_sample, residual)};
static const struct cmdmon_field rp_source_name[] = {
    FLD(CMF_NAME, 0, struct cmdmon_source_name, name)};
#define AD struct cmdmon_auth_data
static const struct cmdmon_field rp_auth_data[] = {
    FLD(CMF_U16, 0, AD, mode),         FLD(CMF_U16, 2, AD, key_type),
    FLD(CMF_U32, 4, AD, key_id),       FLD(CMF_U16, 8, AD, key_length),
    FLD(CMF_U16, 10, AD, ke_attempts), FLD(CMF_U32, 12, AD, last_ke_ago),
    FLD(CMF_U16, 16, AD, cookies),     FLD(CMF_U16, 18, AD, cookie_length),
    FLD(CMF_U16, 20, AD, nak)};
#undef AD
static const struct cmdmon_field rp_clients[] = {
    FLD(CMF_U32, 0, struct cmdmon_client_accesses, n_indices),
    FLD(CMF_U32, 4, struct cmdmon_client_accesses, next_index),
    FLD(CMF_U32, 8, struct cmdmon_client_accesses, n_clients)};
#define CR struct cmdmon_client_record
static const struct cmdmon_field rp_client_rec[] = {FLD(CMF_ADDR, 0, CR, ip),
                                                    FLD(CMF_U32, 20, CR, ntp_hits),
                                                    FLD(CMF_U32, 24, CR, nke_hits),
                                                    FLD(CMF_U32, 28, CR, cmd_hits),
                                                    FLD(CMF_U32, 32, CR, ntp_drops),
                                                    FLD(CMF_U32, 36, CR, nke_drops),
                                                    FLD(CMF_U32, 40, CR, cmd_drops),
                                                    FLD(CMF_I8, 44, CR, ntp_interval),
                                                    FLD(CMF_I8, 45, CR, nke_interval),
                                                    FLD(CMF_I8, 46, CR, cmd_interval),
                                                    FLD(CMF_I8, 47, CR, ntp_timeout_interval),
                                                    FLD(CMF_U32, 48, CR, last_ntp_hit_ago),
                                                    FLD(CMF_U32, 52, CR, last_nke_hit_ago),
                                                    FLD(CMF_U32, 56, CR, last_cmd_hit_ago)};
#undef CR
#define ST struct cmdmon_server_stats
#define STATS_FIELDS(t)                                                                            \
    FLD(t, 0 * W, ST, ntp_hits), FLD(t, 1 * W, ST, nke_hits), FLD(t, 2 * W, ST, cmd_hits),         \
        FLD(t, 3 * W, ST, ntp_drops), FLD(t, 4 * W, ST, nke_drops), FLD(t, 5 * W, ST, cmd_drops),  \
        FLD(t, 6 * W, ST, log_drops), FLD(t, 7 * W, ST, ntp_auth_hits),                            \
        FLD(t, 8 * W, ST, ntp_interleaved_hits), FLD(t, 9 * W, ST, ntp_timestamps),                \
        FLD(t, 10 * W, ST, ntp_span_seconds), FLD(t, 11 * W, ST, ntp_daemon_rx_timestamps),        \
        FLD(t, 12 * W, ST, ntp_daemon_tx_timestamps),                                              \
        FLD(t, 13 * W, ST, ntp_kernel_rx_timestamps),                                              \
        FLD(t, 14 * W, ST, ntp_kernel_tx_timestamps), FLD(t, 15 * W, ST, ntp_hw_rx_timestamps),    \
        FLD(t, 16 * W, ST, ntp_hw_tx_timestamps)
#define W 8
static const struct cmdmon_field rp_stats64[] = {STATS_FIELDS(CMF_U64)};
#undef W
#define W 4
static const struct cmdmon_field rp_stats32[] = {STATS_FIELDS(CMF_U32W)};
#undef W
#undef ST
#define SL struct cmdmon_select_data
static const struct cmdmon_field rp_select_data[] = {
    FLD(CMF_U32, 0, SL, ref_id),       FLD(CMF_ADDR, 4, SL, ip),
    FLD(CMF_U8, 24, SL, state_char),   FLD(CMF_U8, 25, SL, authentication),
    FLD(CMF_U8, 26, SL, leap),         FLD(CMF_U16, 28, SL, conf_options),
    FLD(CMF_U16, 30, SL, eff_options), FLD(CMF_U32, 32, SL, last_sample_ago),
    FLD(CMF_FLOAT, 36, SL, score),     FLD(CMF_FLOAT, 40, SL, lo_limit),
    FLD(CMF_FLOAT, 44, SL, hi_limit)};
#undef SL

static const struct cmdmon_array a_manual = {rp_manual_sample,
                                             ARRAY_LEN(rp_manual_sample),
                                             4,
                                             24,
                                             (uint16_t)offsetof(struct cmdmon_manual_list, samples),
                                             sizeof(struct cmdmon_manual_sample),
                                             CMDMON_MAX_MANUAL_SAMPLES};
static const struct cmdmon_array a_clients = {
    rp_client_rec,
    ARRAY_LEN(rp_client_rec),
    12,
    60,
    (uint16_t)offsetof(struct cmdmon_client_accesses, clients),
    sizeof(struct cmdmon_client_record),
    CMDMON_MAX_CLIENT_RECORDS};

static const struct cmdmon_layout r_n_sources = LAYOUT(n, rp_n_sources);
static const struct cmdmon_layout r_source_data = LAYOUT(sd, rp_source_data);
static const struct cmdmon_layout r_tracking = LAYOUT(tr, rp_tracking);
static const struct cmdmon_layout r_sourcestats = LAYOUT(ss, rp_sourcestats);
static const struct cmdmon_layout r_rtc = LAYOUT(rtc, rp_rtc);
static const struct cmdmon_layout r_activity = LAYOUT(act, rp_activity);
static const struct cmdmon_layout r_smoothing = LAYOUT(sm, rp_smoothing);
/* NTP_DATA (16): fields up to total_good_count, then 3 reserved words. */
static const struct cmdmon_layout r_ntp_data = {rp_ntp_data, ARRAY_LEN(rp_ntp_data) - 4, NULL, 112};
static const struct cmdmon_layout r_ntp_data2 = {rp_ntp_data, ARRAY_LEN(rp_ntp_data), NULL, 128};
static const struct cmdmon_layout r_manual_ts = LAYOUT(mts, rp_manual_ts);
static const struct cmdmon_layout r_manual_list = {rp_manual_list, 1, &a_manual, 0};
static const struct cmdmon_layout r_source_name = LAYOUT(sn, rp_source_name);
static const struct cmdmon_layout r_auth_data = LAYOUT(auth, rp_auth_data);
static const struct cmdmon_layout r_clients = {rp_clients, ARRAY_LEN(rp_clients), &a_clients, 0};
static const struct cmdmon_layout r_stats2 = {rp_stats32, 8, NULL, 0};
static const struct cmdmon_layout r_stats3 = {rp_stats32, 11, NULL, 0};
static const struct cmdmon_layout r_stats4 = {rp_stats64, 17, NULL, 136};
static const struct cmdmon_layout r_select_data = LAYOUT(sel, rp_select_data);

/* Spec 5.2 (lengths of 4.8 plus the older variants our chronyc accepts). */
static const struct cmdmon_rpy_info rpy_table[] = {
    {CMDMON_RPY_NULL, 28, NULL},
    {CMDMON_RPY_N_SOURCES, 32, &r_n_sources},
    {CMDMON_RPY_SOURCE_DATA, 76, &r_source_data},
    {CMDMON_RPY_TRACKING, 104, &r_tracking},
    {CMDMON_RPY_SOURCESTATS, 84, &r_sourcestats},
    {CMDMON_RPY_RTC, 56, &r_rtc},
    {CMDMON_RPY_ACTIVITY, 48, &r_activity},
    {CMDMON_RPY_SMOOTHING, 52, &r_smoothing},
    {CMDMON_RPY_NTP_DATA, 152, &r_ntp_data},
    {CMDMON_RPY_MANUAL_TIMESTAMP2, 40, &r_manual_ts},
    {CMDMON_RPY_MANUAL_LIST2, 416, &r_manual_list},
    {CMDMON_RPY_NTP_SOURCE_NAME, 284, &r_source_name},
    {CMDMON_RPY_AUTH_DATA, 52, &r_auth_data},
    {CMDMON_RPY_CLIENT_ACCESSES_BY_INDEX3, 520, &r_clients},
    {CMDMON_RPY_SERVER_STATS2, 60, &r_stats2},
    {CMDMON_RPY_SELECT_DATA, 76, &r_select_data},
    {CMDMON_RPY_SERVER_STATS3, 72, &r_stats3},
    {CMDMON_RPY_SERVER_STATS4, 196, &r_stats4},
    {CMDMON_RPY_NTP_DATA2, 172, &r_ntp_data2},
};

const struct cmdmon_req_info *cmdmon_req_info_find(uint16_t command)
{
    for (size_t i = 0; i < ARRAY_LEN(req_table); i++)
        if (req_table[i].command == command)
            return &req_table[i];
    if (command == CMDMON_REQ_LOCAL2)
        return &req_local2;
    return NULL;
}

const struct cmdmon_rpy_info *cmdmon_rpy_info_find(uint16_t reply)
{
    for (size_t i = 0; i < ARRAY_LEN(rpy_table); i++)
        if (rpy_table[i].reply == reply)
            return &rpy_table[i];
    return NULL;
}
