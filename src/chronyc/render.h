/* chronyc report renderers (spec 8.4 - 8.14): decoded replies in, text /
 * CSV / JSON out. No I/O besides the output sink, so they are unit-tested
 * with fixed replies (tests/golden/chronyc). Names are resolved by callers. */
#ifndef CHRONYC_RENDER_H
#define CHRONYC_RENDER_H

#include "chronyc/out.h"
#include "proto/cmdmon.h"

enum render_header {
    RH_SOURCES,
    RH_SOURCESTATS,
    RH_CLIENTS,
    RH_CLIENTS_NKE,
    RH_SELECTDATA,
    RH_AUTHDATA,
    RH_MANUAL
};

/* Title and '=' rule (text mode only). */
void render_header(struct out *o, enum render_header h);
/* The -v column legends (text mode only), in our own words. */
void render_legend(struct out *o, enum render_header h);

void render_tracking(struct out *o, const struct cmdmon_tracking *t, const char *name);
void render_source_row(struct out *o, const struct cmdmon_source_data *s, const char *name);
void render_sourcestats_row(struct out *o, const struct cmdmon_sourcestats *s, const char *name);
void render_activity(struct out *o, const struct cmdmon_activity *a);
/* Lines shown depend on the reply code (16: up to "Total good RX", or up to
 * "Total valid RX" when the good count is 0xFFFFFFFF; 26: all). */
void render_ntp_data(struct out *o, const struct cmdmon_ntp_data *n, uint16_t reply_code);
void render_server_stats(struct out *o, const struct cmdmon_server_stats *s);
/* kind_nke: show NTS-KE columns instead of command columns (-k). */
void render_client_row(struct out *o, const struct cmdmon_client_record *c, const char *name,
                       int kind_nke);
void render_select_row(struct out *o, const struct cmdmon_select_data *s, const char *name);
void render_auth_row(struct out *o, const struct cmdmon_auth_data *a, const char *name);
void render_smoothing(struct out *o, const struct cmdmon_smoothing *s);
void render_rtc(struct out *o, const struct cmdmon_rtc *r);
void render_manual_list(struct out *o, const struct cmdmon_manual_list *m);
void render_settime(struct out *o, const struct cmdmon_manual_timestamp *m);
void render_waitsync_try(struct out *o, int i, uint32_t refid, double correction, double skew);
void render_source_name(struct out *o, const char *name);

#endif
