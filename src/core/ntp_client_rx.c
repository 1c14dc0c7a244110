/* Response processing: the RFC 5905 §8 packet tests, chrony's additional tests A-D, the
 * sample, Kiss-o'-Death handling and the ntpdata report (basic client/server mode). */
#include "core/ntp_client.h"
#include "core/ntp_client_int.h"

#include "lib/ts.h"
#include "proto/ntp.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Kiss-o'-Death codes (RFC 5905 §7.4), ASCII in the reference id. */
#define KOD_RATE 0x52415445U /* "RATE" */
#define KOD_DENY 0x44454E59U /* "DENY" */
#define KOD_RSTR 0x52535452U /* "RSTR" */
#define NTP_MAX_STRATUM 16
/* A KoD RATE postpones the next request by this many polling intervals. */
#define KOD_RATE_BACKOFF_POLLS 4
/* Offsets beyond this are not representable as NTP time (chrony's sanity check). */
#define MAX_SANE_OFFSET 4294967296.0
/* chrony MAX_INTERLEAVED_L2L_RATIO: an interleaved sample uses the previous exchange's
 * local transmit and remote receive timestamps when its local interval is shorter than
 * this fraction of the time from the previous response to our last request. */
#define MAX_INTERLEAVED_L2L_RATIO 0.1

struct rx_tests {
    int t1, t2, t3, t5, t6, t7; /* RFC 5905 tests; 1 = passed */
    int ta, tb, tc, td;         /* chrony's additional tests */
    int warmup;                 /* test A failed because of a presend exchange */
    int quant;                  /* test C is the maxdelayquant test */
    int t2n, ilv;               /* test 2 passed in basic mode; the response is interleaved */
};

/* The four timestamps of a sample (RFC 5905 T1..T4) with the server's receive time of the
 * request its transmit timestamp answers, and the root values that go with them. */
struct exchange {
    struct timespec local_tx, remote_rx, remote_tx, local_rx, remote_req_rx;
    enum ntp_client_ts_src tx_src, rx_src;
    int used_prev; /* local_tx is the previous exchange's */
    double root_delay, root_disp;
    /* `extfield F324`: the network corrections of local_tx (the server's, of our request)
     * and local_rx (ours, of the response), and the response frame's duration (s). */
    double tx_corr, rx_corr, rx_dur;
};

/* Timing of one exchange, in both sign conventions. */
struct measurement {
    struct ntp_sample s;
    double response_time; /* s, server's receive-to-transmit interval */
    double precision;     /* s, local + server precision */
    double ntp_offset;    /* s, server minus local (chrony's ntpdata sign) */
};

static const char *const verdict_names[NTP_CLIENT_N_VERDICTS] = {
    "good",        "bad format",      "bad mode",          "offline",  "duplicate",
    "bogus",       "zero timestamp",  "repeated response", "KoD RATE", "KoD DENY",
    "KoD other",   "unsynchronised",  "bad distance",      "warm-up",  "max delay",
    "delay ratio", "delay dev ratio", "delay quantile",    "sync loop"};

const char *ntp_client_verdict_name(enum ntp_client_verdict v)
{
    if ((unsigned)v >= NTP_CLIENT_N_VERDICTS)
        return "unknown";
    return verdict_names[v];
}

const char *ntp_client_format_tests(unsigned tests, char *buf, size_t len)
{
    static const int groups[] = {3, 3, 4};
    size_t k = 0;
    int bit = 9;
    for (int g = 0; g < 3; g++) {
        for (int i = 0; i < groups[g] && k + 1 < len; i++, bit--)
            buf[k++] = (tests >> bit) & 1U ? '1' : '0';
        if (g < 2 && k + 1 < len)
            buf[k++] = ' ';
    }
    if (len)
        buf[k < len ? k : len - 1] = '\0';
    return buf;
}

/* The server's root delay and dispersion (s): from the header, or with `extfield F323`
 * from chrony's field when the response carries it (finer resolution), as chrony does. */
struct root_values {
    double delay, dispersion;
};

static void get_root_values(const struct ntp_client *c, const uint8_t *buf,
                            const struct ntp_packet *p, const struct ntp_packet_info *info,
                            struct root_values *root)
{
    struct ntp_ef_mono_root ef;

    if (c->opts.ext_mono_root && ntp_ef_mono_root_find(buf, info, &ef) == NTP_OK) {
        root->delay = ntp_f28_to_double(ef.root_delay);
        root->dispersion = ntp_f28_to_double(ef.root_dispersion);
        return;
    }
    root->delay = ntp_short_to_double(p->root_delay);
    root->dispersion = ntp_short_to_double(p->root_dispersion);
}

/* Basic mode: this response's timestamps and our request's. */
static void basic_exchange(const struct ntp_client *c, const struct ntp_packet *p,
                           const struct root_values *root, const struct timespec *rx_ts,
                           const struct ntp_client_rx_ctx *ctx, struct exchange *x)
{
    memset(x, 0, sizeof(*x));
    ntp_ts64_to_timespec(&x->remote_rx, &p->rx_ts);
    ntp_ts64_to_timespec(&x->remote_tx, &p->tx_ts);
    x->remote_req_rx = x->remote_rx;
    x->local_tx = c->local_tx;
    x->tx_src = c->local_tx_src;
    x->local_rx = *rx_ts;
    x->rx_src = ctx ? ctx->rx_src : NTP_CLIENT_TS_DAEMON;
    x->rx_corr = ctx ? ctx->rx_net_correction : 0.0;
    x->rx_dur = ctx ? ctx->rx_duration : 0.0;
    x->root_delay = root->delay;
    x->root_disp = root->dispersion;
}

/* Interleaved mode (chrony): the response's transmit timestamp is the server's (accurate)
 * one of its previous response, which we received at local_rx. Pair it with the previous
 * request (our previous transmit and the server's receive time kept from the previous
 * response) when that exchange is much shorter than the gap to our last request, else with
 * our last request and its receive timestamp in this response. mono: the server's time
 * correction since the previous response (s), cancelled out of its older timestamps. */
static void interleaved_exchange(const struct ntp_client *c, const struct ntp_packet *p,
                                 const struct root_values *root, double mono, double net_corr,
                                 struct exchange *x)
{
    struct timespec prev_rx;

    ntp_ts64_to_timespec(&prev_rx, &c->remote_rx);
    if (!ts_is_zero(&c->prev_local_tx) &&
        MAX_INTERLEAVED_L2L_RATIO * ts_diff(&c->local_tx, &c->local_rx) >
            ts_diff(&c->local_rx, &c->prev_local_tx)) {
        ts_add(&x->remote_rx, &prev_rx, -mono);
        x->remote_req_rx = x->remote_rx;
        x->local_tx = c->prev_local_tx;
        x->tx_src = c->prev_local_tx_src;
        x->tx_corr = c->prev_local_tx_corr;
        x->used_prev = 1;
        x->root_delay = c->remote_root_delay;
        x->root_disp = c->remote_root_disp;
    } else {
        ntp_ts64_to_timespec(&x->remote_rx, &p->rx_ts);
        x->remote_req_rx = prev_rx;
        x->local_tx = c->local_tx;
        x->tx_src = c->local_tx_src;
        x->tx_corr = net_corr;
        x->used_prev = 0;
        x->root_delay = fmax(root->delay, c->remote_root_delay);
        x->root_disp = fmax(root->dispersion, c->remote_root_disp);
    }
    ntp_ts64_to_timespec(&x->remote_tx, &p->tx_ts);
    ts_add(&x->remote_tx, &x->remote_tx, -mono);
    x->local_rx = c->local_rx;
    x->rx_src = c->local_rx_src;
    x->rx_corr = c->local_rx_corr;
    x->rx_dur = c->local_rx_dur;
}

/* chrony's MAX_NET_CORRECTION_FREQ: transparent clocks may run this much fast. */
#define MAX_NET_CORRECTION_FREQ 100.0e-6

int ntp_client_apply_net_correction(double rx_corr, double tx_corr, double rx_dur, double precision,
                                    double *ntp_offset, double *peer_delay)
{
    double rx, tx, low;

    /* Transparent clocks must have added something in both directions (ours of the
     * response beyond its own duration, the server's of the request). */
    if (!(rx_corr > rx_dur) || !(tx_corr > 0.0))
        return 0;
    /* Take the frame duration out of both, as if the server were directly connected
     * (assuming equal link speeds both ways), and leave a little of the delay for the
     * weighting of samples in case the transparent clocks run fast. */
    rx = rx_corr - rx_dur;
    tx = tx_corr - rx_dur;
    low = (rx + tx) * (1.0 - MAX_NET_CORRECTION_FREQ);
    /* The field is not authenticated: never more than the whole delay. */
    if (!(low >= 0.0) || low > *peer_delay)
        return -1;
    *ntp_offset += (rx - tx) / 2.0;
    *peer_delay -= low;
    if (*peer_delay < precision)
        *peer_delay = precision;
    return 1;
}

static void measure(const struct ntp_client *c, const struct ntp_packet *p,
                    const struct exchange *x, const struct ntp_client_rx_ctx *ctx,
                    struct measurement *m)
{
    struct timespec local_mid;
    const struct timespec *tx_ts = &x->local_tx, *rx_ts = &x->local_rx;
    const struct timespec *remote_rx = &x->remote_rx, *remote_tx = &x->remote_tx;
    double remote_interval = ts_diff(remote_tx, remote_rx);
    double local_interval = ts_diff(rx_ts, tx_ts);
    ts_add(&local_mid, tx_ts, local_interval / 2.0);

    m->response_time = fabs(ts_diff(remote_tx, &x->remote_req_rx));
    m->precision = c->params.local_precision + ntp_log2_to_double(p->precision);
    m->s.peer_delay = fabs(local_interval - remote_interval);
    if (m->s.peer_delay < m->precision)
        m->s.peer_delay = m->precision;
    /* RFC 5905 §8: offset = ((T2 - T1) + (T3 - T4)) / 2, i.e. server midpoint minus
     * local midpoint, plus the configured correction. */
    m->ntp_offset = ts_diff(remote_rx, &local_mid) + remote_interval / 2.0 + c->opts.offset;
    m->s.offset = -m->ntp_offset;
    /* The midpoint is the only choice that estimates frequency correctly for every
     * sample pair under a constant frequency error. */
    m->s.time = local_mid;

    double skew = ctx && ctx->stats ? ctx->stats->skew : 0.0;
    double err = ctx ? fmax(ctx->rx_err, ctx->tx_err) : 0.0;
    m->s.peer_dispersion = fmax(m->precision, err) + skew * fabs(local_interval);
    m->s.root_delay = x->root_delay + m->s.peer_delay;
    m->s.root_dispersion = x->root_disp + m->s.peer_dispersion;
    /* `extfield F324`: the corrections of transparent clocks change the offset and the
     * peer delay, not the root delay (the maximum error stays). */
    if (ntp_client_apply_net_correction(x->rx_corr, x->tx_corr, x->rx_dur, m->precision,
                                        &m->ntp_offset, &m->s.peer_delay) != 0)
        m->s.offset = -m->ntp_offset;
    m->s.leap = p->leap;
    m->s.stratum = p->stratum > c->opts.min_stratum ? p->stratum : c->opts.min_stratum;
}

static int offset_is_sane(const struct timespec *t, double offset)
{
    if (!(offset > -MAX_SANE_OFFSET && offset < MAX_SANE_OFFSET))
        return 0;
    return ts_to_double(t) + offset >= 0.0;
}

/* Unsigned comparison of two NTP timestamps: -1, 0 or 1. */
static int ts64_cmp(const struct ntp_ts64 *a, const struct ntp_ts64 *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->frac != b->frac)
        return a->frac < b->frac ? -1 : 1;
    return 0;
}

/* chrony's test A conditions of the interleaved modes: a client needs the previous
 * response to have been interleaved too (or unused), so that the shorter exchange could
 * be chosen; a peer rejects delays and gaps between the remote timestamps that reveal a
 * missed packet. */
static int interleaved_ok(const struct ntp_client *c, const struct ntp_packet *p,
                          const struct exchange *x, const struct measurement *m)
{
    if (!c->opts.symmetric)
        return !(ts_is_zero(&c->prev_local_tx) && !x->used_prev);
    int min_poll = c->remote_poll < c->prev_local_poll ? c->remote_poll : c->prev_local_poll;
    double prev_interval = ntp_log2_to_double(min_poll);
    struct timespec prev_remote_tx;
    ntp_ts64_to_timespec(&prev_remote_tx, &c->remote_tx);
    return !(m->s.peer_delay > 0.5 * prev_interval || ts64_cmp(&p->rx_ts, &p->tx_ts) <= 0 ||
             (c->remote_poll <= c->prev_local_poll &&
              ts_diff(&x->remote_tx, &prev_remote_tx) > 1.5 * prev_interval));
}

/* Test A: minimum delay within maxdelay, not a warm-up exchange, sane offset, (client
 * mode) a server that answered within 4 s, and the interleaved modes' conditions. */
static int test_a(const struct ntp_client *c, const struct ntp_packet *p, const struct exchange *x,
                  const struct measurement *m, int ilv, int *warmup)
{
    *warmup = c->presend_done > 0;
    return m->s.peer_delay - m->s.peer_dispersion <= c->opts.max_delay &&
           m->precision <= c->opts.max_delay && !*warmup &&
           offset_is_sane(&m->s.time, m->ntp_offset) &&
           (c->opts.symmetric || m->response_time <= NTP_CLIENT_MAX_SERVER_INTERVAL) &&
           (!ilv || interleaved_ok(c, p, x, m));
}

static int have_delay_data(const struct ntp_client_rx_ctx *ctx)
{
    return ctx && ctx->stats && ctx->stats->have_delay_test_data;
}

/* Test B (maxdelayratio): delay / minimum delay, allowing for drift since the last
 * sample. */
static int test_b(const struct ntp_client *c, const struct measurement *m,
                  const struct ntp_client_rx_ctx *ctx)
{
    if (c->opts.max_delay_ratio < 1.0 || !have_delay_data(ctx))
        return 1;
    const struct ntp_client_stats *st = ctx->stats;
    double ago = ts_diff(&m->s.time, &st->last_sample_time);
    double max_delay =
        st->min_delay * c->opts.max_delay_ratio + ago * (st->skew + c->params.max_clock_error);
    return m->s.peer_delay <= max_delay;
}

/* Test C (maxdelaydevratio): the increase in delay over the minimum must be small
 * relative to the offset jitter, unless the offset moved even more than the delay. */
static int test_c(const struct ntp_client *c, const struct measurement *m,
                  const struct ntp_client_rx_ctx *ctx)
{
    /* With maxdelayquant the delay must not exceed the estimated quantile instead. */
    if (c->quant.on)
        return m->s.peer_delay <= ntp_client_quant_get(&c->quant) + c->quant.min_step / 2.0;
    if (!have_delay_data(ctx))
        return 1;
    const struct ntp_client_stats *st = ctx->stats;
    double ago = ts_diff(&m->s.time, &st->last_sample_time);
    double max_delta =
        st->std_dev * c->opts.max_delay_dev_ratio + ago * (st->skew + c->params.max_clock_error);
    double delta = (m->s.peer_delay - st->min_delay) / 2.0;
    if (delta <= max_delta)
        return 1;
    double predicted = st->predicted_offset + ago * st->freq;
    double error = m->s.offset - predicted;
    return fabs(error) - delta > max_delta;
}

/* Test D: the server must not be synchronised to us (its reference id is our address)
 * nor be us (same reference data). */
static int test_d(const struct ntp_packet *p, const struct ntp_client_rx_ctx *ctx)
{
    if (!ctx || !ctx->self)
        return 1;
    const struct ntp_client_self *me = ctx->self;
    if (p->stratum > 1 && p->ref_id == me->local_refid)
        return 0;
    if (p->stratum == me->stratum && p->ref_id == me->ref_id &&
        p->root_delay == ntp_short_from_double(me->root_delay) && !ntp_ts64_is_zero(&p->ref_ts)) {
        struct ntp_ts64 ours;
        ntp_ts64_from_timespec(&ours, &me->ref_time);
        if (ntp_ts64_equal(&ours, &p->ref_ts))
            return 0;
    }
    return 1;
}

static void run_basic_tests(const struct ntp_client *c, const struct ntp_packet *p,
                            const struct root_values *root, struct rx_tests *t)
{
    double root_delay = root->delay;
    double root_disp = root->dispersion;
    /* Test 1: duplicate of the last accepted response. */
    t->t1 = !ntp_ts64_equal(&p->rx_ts, &c->remote_rx) || !ntp_ts64_equal(&p->tx_ts, &c->remote_tx);
    /* Test 2: the origin must be our random cookie, i.e. a reply to our last request; in
     * interleaved mode the receive field of that request. */
    t->t2n = ntp_ts64_equal(&p->origin_ts, &c->cookie);
    int t2i = c->opts.interleaved && ntp_ts64_equal(&p->origin_ts, &c->req_rx);
    t->t2 = t->t2n || t2i;
    t->ilv = !t->t2n && t2i;
    /* Test 3: all three timestamps set. */
    t->t3 = !ntp_ts64_is_zero(&p->origin_ts) && !ntp_ts64_is_zero(&p->rx_ts) &&
            !ntp_ts64_is_zero(&p->tx_ts);
    /* Test 5 (authentication) is check_auth(). */
    /* Test 6: synchronised server. */
    t->t6 = p->leap != NTP_LEAP_UNSYNC && p->stratum != 0 && p->stratum < NTP_MAX_STRATUM;
    /* Test 7: root distance below MAXDISP. */
    t->t7 = root_delay / 2.0 + root_disp < NTP_CLIENT_MAX_DISPERSION;
}

/* RFC 5905 test 5 as chrony NAU_CheckResponseAuth: the response must be authenticated the
 * way the association is: with no MAC or NTS field when it uses no key, with a valid MAC of
 * its key otherwise. */
static int check_auth(const struct ntp_client *c, const uint8_t *buf, const struct ntp_packet *p,
                      const struct ntp_packet_info *info)
{
    if (c->nts)
        return info->mac == NTP_MAC_NONE && info->has_nts &&
               nts_client_check_response(c->nts, buf, info->len);
    if (!c->auth_key)
        return info->mac == NTP_MAC_NONE && !info->has_nts;
    return info->mac == NTP_MAC_SYMMETRIC && info->mac_key_id == c->auth_key &&
           keys_check_mac(c->keys, buf, info->mac_offset, info->mac_len, p->version);
}

static unsigned pack_tests(const struct rx_tests *t)
{
    const int bits[] = {t->t1, t->t2, t->t3, t->t5, t->t6, t->t7, t->ta, t->tb, t->tc, t->td};
    unsigned v = 0;
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        v = v << 1 | (bits[i] ? 1U : 0U);
    return v;
}

static enum ntp_client_verdict kod_verdict(const struct ntp_packet *p)
{
    if (p->ref_id == KOD_RATE)
        return NTP_CLIENT_KOD_RATE;
    if (p->ref_id == KOD_DENY || p->ref_id == KOD_RSTR)
        return NTP_CLIENT_KOD_DENY;
    return NTP_CLIENT_KOD_OTHER;
}

static enum ntp_client_verdict pick_verdict(const struct rx_tests *t, int repeat, int kod,
                                            const struct ntp_packet *p)
{
    if (!t->t1)
        return NTP_CLIENT_DROP_DUPLICATE;
    /* A repeat had tests 2 and 3 cleared on purpose; report it as such. */
    if (repeat)
        return NTP_CLIENT_DROP_REPEAT;
    if (!t->t2)
        return NTP_CLIENT_DROP_BOGUS;
    if (!t->t3)
        return NTP_CLIENT_DROP_ZERO_TS;
    if (kod)
        return kod_verdict(p);
    if (!t->t6)
        return NTP_CLIENT_UNSYNC;
    if (!t->t7)
        return NTP_CLIENT_BAD_DISTANCE;
    if (!t->ta)
        return t->warmup ? NTP_CLIENT_WARMUP : NTP_CLIENT_FAIL_MAX_DELAY;
    if (!t->tb)
        return NTP_CLIENT_FAIL_DELAY_RATIO;
    if (!t->tc)
        return t->quant ? NTP_CLIENT_FAIL_DELAY_QUANT : NTP_CLIENT_FAIL_DELAY_DEV;
    if (!t->td)
        return NTP_CLIENT_FAIL_LOOP;
    return NTP_CLIENT_GOOD;
}

static char tss_char(enum ntp_client_ts_src s)
{
    return s == NTP_CLIENT_TS_HW ? 'H' : s == NTP_CLIENT_TS_KERNEL ? 'K' : 'D';
}

static void update_report(struct ntp_client *c, const struct ntp_packet *p,
                          const struct root_values *root, const struct measurement *m,
                          const struct rx_tests *t, const struct exchange *x,
                          const struct ntp_client_rx_ctx *ctx)
{
    struct ntp_client_report *r = &c->report;
    r->leap = p->leap;
    r->version = p->version;
    r->mode = p->mode;
    r->stratum = p->stratum;
    r->poll = p->poll;
    r->precision = p->precision;
    r->root_delay = root->delay;
    r->root_dispersion = root->dispersion;
    r->ref_id = p->ref_id;
    if (ntp_ts64_is_zero(&p->ref_ts))
        r->ref_time.tv_sec = 0, r->ref_time.tv_nsec = 0;
    else
        ntp_ts64_to_timespec(&r->ref_time, &p->ref_ts);
    r->offset = m->ntp_offset;
    r->peer_delay = m->s.peer_delay;
    r->peer_dispersion = m->s.peer_dispersion;
    r->response_time = m->response_time;
    r->jitter_asymmetry = ctx && ctx->stats ? ctx->stats->jitter_asymmetry : 0.0;
    r->tests = pack_tests(t);
    r->interleaved = t->ilv;
    r->authenticated = c->auth_key != 0 || c->nts != NULL;
    r->tx_tss_char = tss_char(x->tx_src);
    r->rx_tss_char = tss_char(x->rx_src);
    r->total_valid_rx++;
}

/* A valid response ends the exchange: schedule the next request one polling interval
 * after the last one, later after a KoD RATE. */
static void reschedule(struct ntp_client *c, const struct timespec *now, int kod_rate)
{
    if (c->opmode == NTP_CLIENT_OFFLINE)
        return;
    double delay = ntp_client_tx_delay(c, 0, now);
    if (kod_rate) {
        delay += KOD_RATE_BACKOFF_POLLS * ntp_log2_to_double(c->local_poll);
        /* A running burst ends with its next good sample. */
        if (c->opmode != NTP_CLIENT_ONLINE)
            c->burst_good_to_go = 0;
    }
    ntp_client_arm(c, now, delay);
    c->armed_after_rx = !kod_rate;
}

/* Counting of a good sample towards the end of a burst. */
static void burst_sample_done(struct ntp_client *c)
{
    if (c->opmode != NTP_CLIENT_BURST_WAS_ONLINE && c->opmode != NTP_CLIENT_BURST_WAS_OFFLINE)
        return;
    if (--c->burst_good_to_go > 0)
        return;
    if (c->opmode == NTP_CLIENT_BURST_WAS_ONLINE)
        c->opmode = NTP_CLIENT_ONLINE;
    else
        ntp_client_take_offline(c);
}

static void accept_valid(struct ntp_client *c, const struct ntp_packet *p,
                         const struct measurement *m, const struct rx_tests *t,
                         struct ntp_client_result *out)
{
    c->remote_poll = p->poll;
    c->remote_stratum = p->stratum ? (p->stratum < NTP_MAX_STRATUM ? p->stratum : NTP_MAX_STRATUM)
                                   : NTP_MAX_STRATUM;
    c->prev_local_poll = c->local_poll;
    c->prev_tx_count = c->tx_count;
    c->tx_count = 0;
    ntp_client_reach_update(c, out->synced);
    /* chrony's copy: the server is closely related, serve its reference ID and stratum. */
    if (c->opts.copy && !c->opts.symmetric) {
        if (out->synced && c->remote_stratum > 0) {
            c->remote_stratum--;
            out->copy = 1;
            out->copy_ref_id = p->ref_id;
        } else {
            out->copy = -1;
        }
    }
    if (out->synced) {
        out->stratum =
            c->remote_stratum > c->opts.min_stratum ? c->remote_stratum : c->opts.min_stratum;
        out->leap = p->leap;
        ntp_client_quant_accumulate(&c->quant, m->s.peer_delay);
    }
    struct ntp_sample s;
    if (out->good) {
        if (m->s.peer_delay < c->min_sample_delay)
            c->min_sample_delay = m->s.peer_delay;
        if (ntp_client_process_sample(c, &m->s, &s)) {
            out->has_sample = 1;
            out->sample = s;
            out->mono_doffset = ntp_client_take_mono_doffset(c);
        }
        burst_sample_done(c);
        c->report.total_good_rx++;
    } else {
        /* Slowly lengthen the interval while responses are unusable. */
        ntp_client_apply_poll_adj(c, t->td ? 0.02 : 0.1);
        if (ntp_client_process_sample(c, NULL, &s)) {
            out->has_sample = 1;
            out->sample = s;
            out->mono_doffset = ntp_client_take_mono_doffset(c);
        }
    }
}

/* `extfield F323` (chrony): the change, between the last valid response and this one, of
 * the offset between the server's monotonic and real-time receive timestamps, i.e. the
 * time corrections the server made in between (0 unless both carry a monotonic timestamp
 * of the same epoch; chrony ignores more than 16 s). */
static double mono_change(const struct ntp_client *c, const struct ntp_packet *p,
                          const struct ntp_ef_mono_root *ef)
{
    double d;

    if (!ef || c->remote_mono_epoch != ef->mono_epoch || ntp_ts64_is_zero(&ef->mono_rx) ||
        ntp_ts64_is_zero(&c->remote_mono_rx))
        return 0.0;
    d = ntp_ts64_diff(&ef->mono_rx, &c->remote_mono_rx) - ntp_ts64_diff(&p->rx_ts, &c->remote_rx);
    return fabs(d) > MAX_MONO_DOFFSET ? 0.0 : d;
}

/* Keep the monotonic timestamp of a response that updates the remote timestamps, and
 * accumulate the correction until the next sample (chrony's rules). */
static void mono_update(struct ntp_client *c, const struct ntp_ef_mono_root *ef, double change)
{
    if (ef && !ntp_ts64_is_zero(&ef->mono_rx)) {
        c->remote_mono_epoch = ef->mono_epoch;
        c->remote_mono_rx = ef->mono_rx;
        c->mono_doffset += change;
    } else {
        c->remote_mono_epoch = 0;
        memset(&c->remote_mono_rx, 0, sizeof(c->remote_mono_rx));
        c->mono_doffset = 0.0;
    }
}

static void count_rx(struct ntp_client *c, const struct ntp_client_rx_ctx *ctx)
{
    c->report.total_rx++;
    if (ctx && ctx->rx_src == NTP_CLIENT_TS_KERNEL)
        c->report.total_kernel_rx++;
    else if (ctx && ctx->rx_src == NTP_CLIENT_TS_HW)
        c->report.total_hw_rx++;
}

/* Remember the timestamps of the first valid response for test 1 and the interleaved mode
 * (and, in symmetric mode, to answer the peer), with our transmit time to pair with the
 * next interleaved response (chrony: not after a good basic-mode sample). Returns 1 if the
 * packet's timestamps were kept. */
static int keep_timestamps(struct ntp_client *c, const struct ntp_packet *p,
                           const struct rx_tests *t, int good, const struct timespec *rx_ts,
                           const struct ntp_client_rx_ctx *ctx, double net_corr)
{
    int valid = t->t1 && t->t2 && t->t3 && t->t5;
    int synced = valid && t->t6 && t->t7;

    if (c->opts.symmetric) {
        if (!ntp_client_peer_update_timestamps(c, p, valid, synced, t->t1, t->t5, rx_ts)) {
            /* kept for restarting the protocol: its F324 values with it */
            if (c->updated_init && ts_cmp(&c->init_local_rx, rx_ts) == 0) {
                c->init_local_rx_corr = ctx ? ctx->rx_net_correction : 0.0;
                c->init_local_rx_dur = ctx ? ctx->rx_duration : 0.0;
            }
            return 0;
        }
    } else {
        if (!valid || c->valid_rx)
            return 0;
        c->remote_rx = p->rx_ts;
        c->remote_tx = p->tx_ts;
        c->local_rx = *rx_ts;
        c->valid_timestamps = synced;
    }
    c->local_rx_src = ctx ? ctx->rx_src : NTP_CLIENT_TS_DAEMON;
    c->local_rx_corr = ctx ? ctx->rx_net_correction : 0.0;
    c->local_rx_dur = ctx ? ctx->rx_duration : 0.0;
    c->local_tx_corr = net_corr;
    if (t->ilv || !good) {
        c->prev_local_tx = c->local_tx;
        c->prev_local_tx_src = c->local_tx_src;
        c->prev_local_tx_corr = c->local_tx_corr;
    } else {
        memset(&c->prev_local_tx, 0, sizeof(c->prev_local_tx));
    }
    return 1;
}

int ntp_client_response_waits(const struct ntp_client *c, const uint8_t *buf, size_t len)
{
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct root_values root;
    struct rx_tests t;

    /* chrony: only the first valid response to a request, once a good one was taken (a
     * tentative source is not confirmed by a late one). */
    if (c->valid_rx || c->report.total_good_rx == 0 || c->opmode == NTP_CLIENT_OFFLINE ||
        c->suspended)
        return 0;
    if (ntp_decode(buf, len, &p, &info) != NTP_OK)
        return 0;
    if (c->opts.symmetric ? p.mode != NTP_MODE_ACTIVE && p.mode != NTP_MODE_PASSIVE
                          : p.mode != NTP_MODE_SERVER)
        return 0;
    memset(&t, 0, sizeof(t));
    get_root_values(c, buf, &p, &info, &root);
    run_basic_tests(c, &p, &root, &t);
    /* The NTS check would take the cookies: here only its presence; the response is
     * checked in full when it is processed. */
    t.t5 = c->nts ? info.mac == NTP_MAC_NONE && info.has_nts : check_auth(c, buf, &p, &info);
    return t.t1 && t.t2 && t.t3 && t.t5 && t.t6 && t.t7;
}

enum ntp_client_verdict ntp_client_on_response(struct ntp_client *c, const uint8_t *buf, size_t len,
                                               const struct timespec *rx_ts,
                                               const struct timespec *tx_ts,
                                               const struct ntp_client_rx_ctx *ctx,
                                               struct ntp_client_result *out)
{
    struct ntp_packet p;
    struct ntp_packet_info info;
    struct root_values root;
    struct rx_tests t;
    struct measurement m;
    struct exchange x;
    struct ntp_ef_mono_root mono_ef, *mono = NULL;
    double mono_doffset = 0.0, net_corr = 0.0;

    assert(c && (buf || len == 0) && rx_ts && out);
    memset(out, 0, sizeof(*out));
    memset(&t, 0, sizeof(t));
    memset(&m, 0, sizeof(m));
    m.s.time = *rx_ts;
    count_rx(c, ctx);
    if (ntp_decode(buf, len, &p, &info) != NTP_OK)
        return NTP_CLIENT_DROP_FORMAT;
    /* RFC 5905 §9.2 table: a client takes server packets, a symmetric active
     * association active and passive ones. */
    if (c->opts.symmetric ? p.mode != NTP_MODE_ACTIVE && p.mode != NTP_MODE_PASSIVE
                          : p.mode != NTP_MODE_SERVER)
        return NTP_CLIENT_DROP_MODE;
    if (c->opmode == NTP_CLIENT_OFFLINE || c->suspended)
        return NTP_CLIENT_DROP_OFFLINE;
    if (ctx && ctx->stats)
        c->stats_min_delay = ctx->stats->min_delay;
    if (tx_ts && c->have_last_tx) {
        c->local_tx = *tx_ts;
        c->local_tx_src = ctx ? ctx->tx_src : NTP_CLIENT_TS_DAEMON;
    }

    get_root_values(c, buf, &p, &info, &root);
    if (c->opts.ext_mono_root && ntp_ef_mono_root_find(buf, &info, &mono_ef) == NTP_OK)
        mono = &mono_ef;
    run_basic_tests(c, &p, &root, &t);
    t.t5 = check_auth(c, buf, &p, &info);
    int valid = t.t1 && t.t2 && t.t3 && t.t5;
    int synced = valid && t.t6 && t.t7;
    /* RFC 5905 §7.4: a KoD is an unsynchronised stratum-0 reply to our request. */
    int kod = t.t1 && t.t2 && t.t5 && p.leap == NTP_LEAP_UNSYNC && p.stratum == 0;
    basic_exchange(c, &p, &root, rx_ts, ctx, &x);
    /* An interleaved response needs the previous response's timestamps to be usable. */
    if (synced && (!t.ilv || c->valid_timestamps)) {
        mono_doffset = mono_change(c, &p, mono);
        /* `extfield F324`: the server's (peer's) correction of our request. */
        if (c->opts.ext_net_correction)
            (void)ntp_ef_net_correction_find(buf, &info, &net_corr); /* none: stays 0 */
        x.tx_corr = net_corr;
        if (t.ilv)
            interleaved_exchange(c, &p, &root, mono_doffset, net_corr, &x);
        measure(c, &p, &x, ctx, &m);
        t.ta = test_a(c, &p, &x, &m, t.ilv, &t.warmup);
        t.tb = test_b(c, &m, ctx);
        t.tc = test_c(c, &m, ctx);
        t.quant = c->quant.on;
        t.td = test_d(&p, ctx);
    }
    int good = synced && t.ta && t.tb && t.tc && t.td;
    /* chrony updates the monotonic timestamp with the others, so that in symmetric mode a
     * second packet of the peer per exchange keeps the correction consistent. */
    if (keep_timestamps(c, &p, &t, valid && good, rx_ts, ctx, net_corr))
        mono_update(c, mono, mono_doffset);
    /* At most one response per request. */
    int repeat = valid && c->valid_rx;
    if (repeat) {
        t.t2 = t.t3 = 0;
        valid = synced = 0;
    } else if (valid) {
        c->valid_rx = 1;
    }
    out->valid = valid;
    out->synced = synced;
    out->good = valid && good;
    out->tests = pack_tests(&t);
    enum ntp_client_verdict v = pick_verdict(&t, repeat, kod, &p);
    /* The verdict and the flags come from the same tests. */
    assert(out->good == (v == NTP_CLIENT_GOOD));
    assert(!out->good || (out->synced && out->valid));
    if (!valid)
        return v;

    accept_valid(c, &p, &m, &t, out);
    c->remote_root_delay = root.delay;
    c->remote_root_disp = root.dispersion;
    const struct timespec *now = ctx && !ts_is_zero(&ctx->now) ? &ctx->now : rx_ts;
    reschedule(c, now, v == NTP_CLIENT_KOD_RATE);
    update_report(c, &p, &root, &m, &t, &x, ctx);
    if (v == NTP_CLIENT_KOD_DENY && c->opts.stop_on_kod_deny)
        ntp_client_take_offline(c);
    return v;
}

void ntp_client_get_report(const struct ntp_client *c, struct ntp_client_report *r)
{
    *r = c->report;
}
