/* Association lifecycle, polling interval, bursts and request transmission. The response
 * side is in ntp_client_rx.c. Behaviour follows chrony 4.8's client/server mode. */
#include "core/ntp_client.h"
#include "core/ntp_client_int.h"

#include "lib/clamp.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/ntp.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Delay of the first request after start or going online (chrony INITIAL_DELAY). */
#define INITIAL_DELAY 0.2
/* Burst spacing: at most 2 s and at most a quarter of the polling interval. */
#define MAX_BURST_INTERVAL 2.0
#define MAX_BURST_POLL_RATIO 0.25
/* Automatic `burst`: one good sample out of at most 4 requests. */
#define BURST_GOOD 1
#define MAX_BURST_TOTAL 4
/* After a presend (warm-up) request the real one follows this much later. */
#define WARM_UP_DELAY 2.0
/* Sub-second polling only for sources closer than 10 ms (local networks). */
#define MIN_NONLAN_POLL 0
#define MAX_LAN_PEER_DELAY 0.01
/* Upper bounds of the delay tests' parameters. */
#define MAX_MAXDELAY 1.0e3
#define MAX_MAXDELAYRATIO 1.0e6
#define MAX_MAXDELAYDEVRATIO 1.0e6
/* Scheduling randomness added to each delay (fraction) and separation bounds (s). */
#define SAMPLING_RANDOMNESS 0.02
/* Samples a source needs for its first regression (REGRESS_MIN_POINTS). */
#define MIN_SAMPLING_SEPARATION 0.002
#define MAX_SAMPLING_SEPARATION 0.2
/* Backoff per missed response, normal and for the source we are synchronised to. */
#define MISSED_POLL_ADJ 0.25
#define MISSED_POLL_ADJ_SYNC 0.1
#define NTP_MAX_STRATUM 16
#define DEFAULT_MINPOLL 6
#define DEFAULT_MAXPOLL 10
#define NO_DELAY 1e300

void ntp_client_opts_default(struct ntp_client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->minpoll = DEFAULT_MINPOLL;
    o->maxpoll = DEFAULT_MAXPOLL;
    o->polltarget = 8;
    o->presend_minpoll = 100;
    o->port = 123;
    o->min_samples = -1;
    o->max_samples = -1;
    o->max_unreach = 100000;
    /* RFC 5905 §7.4 and the issue: DENY/RSTR kiss codes stop polling that server. */
    o->stop_on_kod_deny = 1;
    o->max_delay = 3.0;
    o->max_delay_ratio = 0.0;
    o->max_delay_dev_ratio = 10.0;
    o->asymmetry = 1.0;
}

/* Clamp the options the way chrony's instance creation does. */
static void clamp_opts(struct ntp_client_opts *o)
{
    if (o->minpoll < NTP_CLIENT_MIN_POLL)
        o->minpoll = DEFAULT_MINPOLL;
    else if (o->minpoll > NTP_CLIENT_MAX_POLL)
        o->minpoll = NTP_CLIENT_MAX_POLL;
    if (o->maxpoll < NTP_CLIENT_MIN_POLL)
        o->maxpoll = DEFAULT_MAXPOLL;
    else if (o->maxpoll > NTP_CLIENT_MAX_POLL)
        o->maxpoll = NTP_CLIENT_MAX_POLL;
    if (o->maxpoll < o->minpoll)
        o->maxpoll = o->minpoll;
    if (o->min_stratum >= NTP_MAX_STRATUM)
        o->min_stratum = NTP_MAX_STRATUM - 1;
    o->max_delay = clamp_double(o->max_delay, 0.0, MAX_MAXDELAY);
    o->max_delay_ratio = clamp_double(o->max_delay_ratio, 0.0, MAX_MAXDELAYRATIO);
    o->max_delay_dev_ratio = clamp_double(o->max_delay_dev_ratio, 0.0, MAX_MAXDELAYDEVRATIO);
    if (o->polltarget < 1)
        o->polltarget = 1;
    assert(o->minpoll >= NTP_CLIENT_MIN_POLL && o->minpoll <= o->maxpoll &&
           o->maxpoll <= NTP_CLIENT_MAX_POLL);
}

void ntp_client_reset(struct ntp_client *c)
{
    c->tx_count = 0;
    c->presend_done = 0;
    c->remote_poll = 0;
    c->remote_stratum = 0;
    c->valid_rx = 0;
    memset(&c->cookie, 0, sizeof(c->cookie));
    memset(&c->remote_rx, 0, sizeof(c->remote_rx));
    memset(&c->remote_tx, 0, sizeof(c->remote_tx));
    memset(&c->req_rx, 0, sizeof(c->req_rx));
    memset(&c->prev_local_tx, 0, sizeof(c->prev_local_tx));
    c->local_tx_corr = c->prev_local_tx_corr = c->local_rx_corr = c->local_rx_dur = 0.0;
    c->init_local_rx_corr = c->init_local_rx_dur = 0.0;
    c->prev_local_poll = 0;
    c->prev_tx_count = 0;
    c->remote_root_delay = 0.0;
    c->remote_root_disp = 0.0;
    memset(&c->remote_mono_rx, 0, sizeof(c->remote_mono_rx));
    c->remote_mono_epoch = 0;
    c->mono_doffset = 0.0;
    memset(&c->local_rx, 0, sizeof(c->local_rx));
    memset(&c->init_remote_tx, 0, sizeof(c->init_remote_tx));
    memset(&c->init_local_rx, 0, sizeof(c->init_local_rx));
    c->updated_init = 0;
    c->valid_timestamps = 0;
    c->peer_pending = 0;
    if (c->filter_on)
        ntp_filter_drop(&c->filter);
    c->filter_count = 0;
    if (c->quant.on)
        ntp_client_quant_reset(&c->quant);
}

static void start_initial_timeout(struct ntp_client *c, const struct timespec *now)
{
    if (c->suspended)
        return;
    /* Keep at least a polling interval from the last request if the source was offline
     * only briefly. */
    double delay = c->have_last_tx ? ntp_client_tx_delay(c, 0, now) : 0.0;
    if (delay < INITIAL_DELAY)
        delay = INITIAL_DELAY;
    ntp_client_arm(c, now, delay);
}

void ntp_client_initiate_burst(struct ntp_client *c, int n_good, int n_total,
                               const struct timespec *now)
{
    switch (c->opmode) {
    case NTP_CLIENT_BURST_WAS_ONLINE:
    case NTP_CLIENT_BURST_WAS_OFFLINE:
        return; /* a burst is already running */
    case NTP_CLIENT_ONLINE:
        c->opmode = NTP_CLIENT_BURST_WAS_ONLINE;
        break;
    case NTP_CLIENT_OFFLINE:
        c->opmode = NTP_CLIENT_BURST_WAS_OFFLINE;
        break;
    }
    c->burst_good_to_go = n_good;
    c->burst_total_to_go = n_total;
    if (now)
        start_initial_timeout(c, now);
}

void ntp_client_take_offline(struct ntp_client *c)
{
    c->opmode = NTP_CLIENT_OFFLINE;
    c->armed = 0;
    c->armed_after_rx = 0;
    ntp_client_clear_reach(c);
    /* chrony resets the register, then records one unreachable update. */
    c->unreach_run = 1;
    ntp_client_reset(c);
}

void ntp_client_set_online(struct ntp_client *c, int online, const struct timespec *now)
{
    if (online) {
        if (c->opmode == NTP_CLIENT_OFFLINE) {
            c->opmode = NTP_CLIENT_ONLINE;
            ntp_client_reset(c);
            start_initial_timeout(c, now);
            if (c->opts.iburst)
                ntp_client_initiate_burst(c, NTP_CLIENT_IBURST_GOOD, NTP_CLIENT_IBURST_TOTAL, now);
        } else if (c->opmode == NTP_CLIENT_BURST_WAS_OFFLINE) {
            c->opmode = NTP_CLIENT_BURST_WAS_ONLINE;
        }
    } else {
        if (c->opmode == NTP_CLIENT_ONLINE)
            ntp_client_take_offline(c);
        else if (c->opmode == NTP_CLIENT_BURST_WAS_ONLINE)
            c->opmode = NTP_CLIENT_BURST_WAS_OFFLINE;
    }
}

int ntp_client_is_online(const struct ntp_client *c)
{
    return c->opmode == NTP_CLIENT_ONLINE || c->opmode == NTP_CLIENT_BURST_WAS_ONLINE;
}

void ntp_client_init(struct ntp_client *c, const struct ntp_client_opts *o,
                     const struct ntp_client_params *p)
{
    assert(c && o && p);
    memset(c, 0, sizeof(*c));
    c->opts = *o;
    clamp_opts(&c->opts);
    /* chrony: presend does not work in symmetric mode. */
    if (c->opts.symmetric)
        c->opts.presend_minpoll = NTP_CLIENT_MAX_POLL + 1;
    c->params = *p;
    c->version = NTP_VERSION;
    if (c->opts.version)
        c->version = c->opts.version < NTP_VERSION_MIN   ? NTP_VERSION_MIN
                     : c->opts.version > NTP_VERSION_MAX ? NTP_VERSION_MAX
                                                         : c->opts.version;
    c->filter_on = c->opts.filter_length >= 1;
    if (c->filter_on)
        ntp_filter_init(&c->filter, 1, c->opts.filter_length, NTP_CLIENT_MAX_DISPERSION, 0.0,
                        c->params.local_precision);
    ntp_client_quant_init(&c->quant, c->opts.max_delay_quant, c->params.local_precision);
    c->suspended = 1;
    c->opmode = NTP_CLIENT_OFFLINE;
    c->local_poll = c->opts.minpoll > MIN_NONLAN_POLL ? c->opts.minpoll : MIN_NONLAN_POLL;
    c->rand_factor = 1.0;
    c->min_sample_delay = NO_DELAY;
    c->stats_min_delay = NO_DELAY;
    ntp_client_reset(c);
    /* No timer yet: the instance is suspended until ntp_client_start(). */
    ntp_client_set_online(c, !c->opts.offline, NULL);
}

void ntp_client_fini(struct ntp_client *c)
{
    if (c->filter_on)
        ntp_filter_fini(&c->filter);
}

struct ntp_client *ntp_client_new(const struct ntp_client_opts *o,
                                  const struct ntp_client_params *p)
{
    struct ntp_client *c = xmalloc(sizeof(*c));
    ntp_client_init(c, o, p);
    return c;
}

void ntp_client_free(struct ntp_client *c)
{
    if (!c)
        return;
    ntp_client_fini(c);
    free(c);
}

void ntp_client_start(struct ntp_client *c, const struct timespec *now)
{
    c->suspended = 0;
    if (c->opmode != NTP_CLIENT_OFFLINE)
        start_initial_timeout(c, now);
}

void ntp_client_set_sync_peer(struct ntp_client *c, int is_sync_peer)
{
    c->is_sync_peer = is_sync_peer;
}

void ntp_client_reach_update(struct ntp_client *c, int ok)
{
    c->reach = ((c->reach << 1) | (ok ? 1U : 0U)) & ((1U << NTP_CLIENT_REACH_BITS) - 1);
    if (c->reach_size < NTP_CLIENT_REACH_BITS)
        c->reach_size++;
    assert(c->reach_size >= 1 && c->reach_size <= NTP_CLIENT_REACH_BITS);
    if (c->reach)
        c->unreach_run = 0;
    else if (c->unreach_run < INT_MAX)
        c->unreach_run++;
}

void ntp_client_clear_reach(struct ntp_client *c)
{
    c->reach = 0;
    c->reach_size = 0;
    c->unreach_run = 0;
}

int ntp_client_get_unreach_run(const struct ntp_client *c)
{
    return c->unreach_run;
}

unsigned ntp_client_get_reach(const struct ntp_client *c)
{
    return c->reach;
}

int ntp_client_get_reach_size(const struct ntp_client *c)
{
    return c->reach_size;
}

int ntp_client_is_reachable(const struct ntp_client *c)
{
    return c->reach != 0;
}

int ntp_client_get_poll(const struct ntp_client *c)
{
    return c->local_poll;
}

double ntp_client_get_poll_score(const struct ntp_client *c)
{
    return c->poll_score;
}

static int is_lan_source(const struct ntp_client *c)
{
    struct ntp_sample last;
    /* The statistics' minimum delay when the daemon supplies it, else our own record. */
    double min_delay = c->stats_min_delay < NO_DELAY ? c->stats_min_delay : c->min_sample_delay;
    if (min_delay <= MAX_LAN_PEER_DELAY)
        return 1;
    return c->filter_on && ntp_filter_get_last(&c->filter, &last) &&
           last.peer_delay <= MAX_LAN_PEER_DELAY;
}

void ntp_client_apply_poll_adj(struct ntp_client *c, double adj)
{
    c->poll_score += adj;
    /* Whole steps move the poll; the score keeps the fraction in [0, 1). */
    if (c->poll_score >= 1.0) {
        c->local_poll += (int)c->poll_score;
        c->poll_score -= (int)c->poll_score;
    }
    if (c->poll_score < 0.0) {
        int step = (int)(c->poll_score - 1.0);
        c->local_poll += step;
        c->poll_score -= step;
    }
    if (c->local_poll < c->opts.minpoll) {
        c->local_poll = c->opts.minpoll;
        c->poll_score = 0.0;
    } else if (c->local_poll > c->opts.maxpoll) {
        c->local_poll = c->opts.maxpoll;
        c->poll_score = 1.0;
    }
    if (c->local_poll < MIN_NONLAN_POLL && (!ntp_client_is_reachable(c) || !is_lan_source(c)))
        c->local_poll = MIN_NONLAN_POLL;
    /* Whole steps went into local_poll, the fraction stays in the score. */
    assert(c->poll_score >= 0.0 && c->poll_score <= 1.0);
}

double ntp_client_poll_adj(const struct ntp_client *c, const struct ntp_sample *s,
                           double error_in_estimate, int n_samples)
{
    double distance = s->peer_dispersion + 0.5 * s->peer_delay;
    if (error_in_estimate > distance)
        return -log(error_in_estimate / distance) / log(2.0);
    double target = c->opts.polltarget;
    double adj = (n_samples / target - 1.0) / target;
    /* Shorten the interval faster than it grows. */
    if (n_samples < c->opts.polltarget)
        adj *= 2.0;
    return adj;
}

void ntp_client_adjust_poll(struct ntp_client *c, double adj, const struct timespec *now)
{
    ntp_client_apply_poll_adj(c, adj);
    if (c->armed && c->armed_after_rx && c->opmode != NTP_CLIENT_OFFLINE) {
        ntp_client_arm(c, now, ntp_client_tx_delay(c, 0, now));
        c->armed_after_rx = 1;
    }
}

void ntp_client_reset_poll(struct ntp_client *c, const struct timespec *now)
{
    c->poll_score = 0.0;
    if (c->local_poll != c->opts.minpoll) {
        c->local_poll = c->opts.minpoll;
        if (c->armed)
            ntp_client_arm(c, now, ntp_client_tx_delay(c, 0, now));
    }
}

double ntp_client_tx_delay(const struct ntp_client *c, int on_tx, const struct timespec *now)
{
    double delay = ntp_log2_to_double(ntp_client_transmit_poll(c));
    double last_tx = !on_tx && c->have_last_tx ? ts_diff(now, &c->last_tx_now) : 0.0;
    if (c->opmode == NTP_CLIENT_ONLINE) {
        if (c->opts.symmetric)
            delay = ntp_client_peer_spacing(c, delay, on_tx, last_tx);
        else if (c->presend_done)
            delay = WARM_UP_DELAY;
    } else if (c->opmode != NTP_CLIENT_OFFLINE) {
        delay = fmin(MAX_BURST_INTERVAL, MAX_BURST_POLL_RATIO * delay);
    }
    /* Count the interval from the previous request. */
    delay -= last_tx;
    return delay > 0.0 ? delay : 0.0;
}

void ntp_client_arm(struct ntp_client *c, const struct timespec *now, double delay)
{
    assert(now && delay >= 0.0 && c->rand_factor > 0.0);
    ts_add(&c->next_tx, now, delay * c->rand_factor);
    c->armed = 1;
    c->armed_after_rx = 0;
}

int ntp_client_next_tx(const struct ntp_client *c, struct timespec *when)
{
    if (!c->armed || c->suspended)
        return 0;
    *when = c->next_tx;
    return 1;
}

double ntp_client_rx_window(const struct ntp_client *c)
{
    return c->opts.max_delay + NTP_CLIENT_MAX_SERVER_INTERVAL;
}

double ntp_client_separation(const struct ntp_client *c)
{
    /* Up to 8 sources on the same interval are not limited by the separation. */
    return clamp_double(ntp_log2_to_double(c->local_poll - 3), MIN_SAMPLING_SEPARATION,
                        MAX_SAMPLING_SEPARATION);
}

double ntp_client_take_mono_doffset(struct ntp_client *c)
{
    double d = c->mono_doffset;

    c->mono_doffset = 0.0;
    return fabs(d) <= MAX_MONO_DOFFSET ? d : 0.0;
}

int ntp_client_process_sample(struct ntp_client *c, const struct ntp_sample *s,
                              struct ntp_sample *out)
{
    assert(out);
    if (c->filter_on) {
        if (s)
            ntp_filter_accumulate(&c->filter, s);
        /* Missing samples count too: the filter spans N polls. */
        if (++c->filter_count < ntp_filter_max_samples(&c->filter))
            return 0;
        if (!ntp_filter_get_sample(&c->filter, out))
            return 0;
        c->filter_count = 0;
        return 1;
    }
    if (!s)
        return 0;
    *out = *s;
    return 1;
}

/* Mode transitions at a transmit timer (chrony's transmit_timeout). Returns 0 if the
 * source went offline and nothing is to be sent. */
static int update_mode_on_timer(struct ntp_client *c)
{
    switch (c->opmode) {
    case NTP_CLIENT_BURST_WAS_ONLINE:
        /* Switch back before the last request of the burst. */
        if (c->burst_total_to_go <= 1)
            c->opmode = NTP_CLIENT_ONLINE;
        break;
    case NTP_CLIENT_BURST_WAS_OFFLINE:
        if (c->burst_total_to_go <= 0) {
            ntp_client_take_offline(c);
            return 0;
        }
        break;
    case NTP_CLIENT_ONLINE:
        /* `burst` keeps the average interval including the burst >= minpoll. */
        if (c->opts.burst && c->local_poll > c->opts.minpoll) {
            assert(c->local_poll - c->opts.minpoll < 31);
            int total = 1 << (c->local_poll - c->opts.minpoll);
            if (total > MAX_BURST_TOTAL)
                total = MAX_BURST_TOTAL;
            ntp_client_initiate_burst(c, BURST_GOOD, total, NULL);
        }
        break;
    case NTP_CLIENT_OFFLINE:
        return 0;
    }
    return 1;
}

/* A client request reveals nothing about our clock (chrony; draft-ietf-ntp-data-
 * minimization): only version, mode and poll are set, and the transmit timestamp is
 * random. The server copies it into the origin field, so it is a cookie that an
 * off-path attacker cannot guess (RFC 5905 §8 test 2). */
static void random_ts(struct ntp_ts64 *t, struct rng *rng)
{
    uint64_t r = rng_u64(rng);
    t->sec = (uint32_t)(r >> 32);
    t->frac = (uint32_t)r;
}

int ntp_client_want_interleaved(const struct ntp_client *c)
{
    /* The previous packet must have left (its transmit time is what the other side gives
     * back). A peer asks only when it answers the first packet after a single one of ours,
     * so that the peer cannot pair an older transmit timestamp with it; a client until
     * too many responses are missing. */
    if (!c->opts.interleaved || !c->have_last_tx || ts_is_zero(&c->local_tx))
        return 0;
    if (c->opts.symmetric)
        return c->prev_tx_count == 1 && c->tx_count == 0;
    return c->tx_count < NTP_CLIENT_MAX_INTERLEAVED_TX;
}

static size_t build_request(struct ntp_client *c, struct rng *rng, uint8_t *buf, size_t cap)
{
    struct ntp_packet p;
    struct ntp_ts64 prev = c->cookie, prev_rx = c->req_rx;
    if (c->opts.symmetric)
        return ntp_client_peer_build(c, buf, cap);
    memset(&p, 0, sizeof(p));
    p.leap = NTP_LEAP_NONE;
    p.version = (uint8_t)c->version;
    p.mode = NTP_MODE_CLIENT;
    p.poll = (int8_t)c->local_poll;
    p.precision = 32; /* chrony's value: no precision is revealed */
    memset(&c->req_rx, 0, sizeof(c->req_rx));
    if (c->ilv_pending) {
        /* Interleaved: the origin names the server's receive timestamp of our previous
         * request, so that it answers with the transmit time of its previous response; the
         * receive field is a second random cookie, which that response echoes as origin. */
        p.origin_ts = c->remote_rx;
        do
            random_ts(&c->req_rx, rng);
        while (ntp_ts64_is_zero(&c->req_rx) || ntp_ts64_equal(&c->req_rx, &p.origin_ts) ||
               ntp_ts64_equal(&c->req_rx, &prev_rx));
        p.rx_ts = c->req_rx;
    }
    /* Never equal to the receive or origin field (the server detects interleaved requests
     * by them) nor to the previous cookie. */
    do
        random_ts(&c->cookie, rng);
    while (ntp_ts64_is_zero(&c->cookie) || ntp_ts64_equal(&c->cookie, &prev) ||
           ntp_ts64_equal(&c->cookie, &p.rx_ts) || ntp_ts64_equal(&c->cookie, &p.origin_ts));
    p.tx_ts = c->cookie;
    size_t len = ntp_encode(&p, buf, cap);
    /* chrony add_ef_mono_root in a client request: the magic, everything else zero. Extension
     * fields exist only in NTPv4. */
    if (len && c->opts.ext_mono_root && c->version == NTP_VERSION) {
        struct ntp_ef_mono_root ef;
        memset(&ef, 0, sizeof(ef));
        len = ntp_ef_mono_root_append(buf, len, cap, &ef);
    }
    /* chrony add_ef_net_correction: only with `ptpport`; a request's correction is zero. */
    if (len && c->opts.ext_net_correction && c->opts.net_corr_on && c->version == NTP_VERSION)
        len = ntp_ef_net_correction_append(buf, len, cap, 0.0);
    return len;
}

void ntp_client_set_auth(struct ntp_client *c, const struct keys *keys, uint32_t key_id)
{
    c->keys = key_id ? keys : NULL;
    c->auth_key = c->keys ? key_id : 0;
    /* chrony NAU_GetSuggestedNtpVersion: older chronyd servers do not parse a truncated
     * long MAC, so keys with digests over 20 bytes use NTPv3 unless `version` is given. */
    if (c->auth_key && !c->opts.version && !c->opts.ext_mono_root && !c->opts.ext_net_correction)
        c->version = keys_suggested_version(keys, key_id);
}

void ntp_client_set_nts(struct ntp_client *c, struct nts_client *nts)
{
    c->nts = nts;
    /* NTS needs extension fields: NTPv4. */
    if (nts && !c->opts.version)
        c->version = NTP_VERSION;
}

void ntp_client_set_nts_random(struct ntp_client *c, const uint8_t rnd[NTS_CLIENT_RANDOM_LEN])
{
    memcpy(c->nts_rnd, rnd, sizeof(c->nts_rnd));
    c->nts_rnd_set = 1;
}

/* Append the MAC or NTS fields of an authenticated association. Returns the length, 0 if
 * it failed. */
static size_t sign_request(struct ntp_client *c, uint8_t *buf, size_t len, size_t cap)
{
    if (c->nts) {
        if (!c->nts_rnd_set)
            return 0;
        c->nts_rnd_set = 0;
        return nts_client_sign_request(c->nts, buf, len, cap, c->nts_rnd);
    }
    /* A peer's packet is signed when it is completed, after its transmit timestamp. */
    if (!c->auth_key || c->opts.symmetric)
        return len;
    return keys_append_mac(c->keys, c->auth_key, c->version, buf, len, cap);
}

/* Bookkeeping after a request went out: count it and, if the previous request got no
 * valid response, back off and record a missed poll. */
static void count_request(struct ntp_client *c, struct ntp_client_result *out)
{
    c->tx_count++;
    c->report.total_tx++;
    c->saved_poll = c->local_poll;
    c->saved_score = c->poll_score;
    if (c->tx_count >= 2) {
        ntp_client_apply_poll_adj(c, c->is_sync_peer ? MISSED_POLL_ADJ_SYNC : MISSED_POLL_ADJ);
        ntp_client_reach_update(c, 0);
        struct ntp_sample s;
        if (ntp_client_process_sample(c, NULL, &s) && out) {
            out->has_sample = 1;
            out->sample = s;
            out->mono_doffset = ntp_client_take_mono_doffset(c);
        }
    }
    if (c->opmode == NTP_CLIENT_BURST_WAS_ONLINE || c->opmode == NTP_CLIENT_BURST_WAS_OFFLINE)
        c->burst_total_to_go--;
}

/* The poll interval is lengthened by a random part of up to SAMPLING_RANDOMNESS so that
 * clients started together drift apart, every interval as chrony does (a client never
 * polls faster than its interval). u in [0, 1). */
static double poll_rand_factor(double u)
{
    return 1.0 + u * SAMPLING_RANDOMNESS;
}

size_t ntp_client_on_timer(struct ntp_client *c, const struct timespec *now, struct rng *rng,
                           uint8_t *buf, size_t cap, struct ntp_client_result *out)
{
    assert(c && now && rng && buf);
    if (out)
        memset(out, 0, sizeof(*out));
    /* A too small buffer leaves the timer armed so that polling does not stall. */
    if (c->suspended || !c->armed || cap < NTP_CLIENT_REQUEST_LEN)
        return 0;
    c->armed = 0;
    if (!update_mode_on_timer(c))
        return 0;
    if (c->quant.on)
        ntp_client_quant_seed(&c->quant, rng);
    c->ilv_pending = ntp_client_want_interleaved(c);
    size_t len = build_request(c, rng, buf, cap);
    if (!len)
        return 0;
    assert(len >= NTP_CLIENT_REQUEST_LEN && len <= cap);
    /* Without a MAC nothing is sent, but the exchange is scheduled as if it had been. */
    len = sign_request(c, buf, len, cap);
    c->valid_rx = 0;
    /* presend: a warm-up exchange (ARP caches etc.) before the measured one; two in
     * interleaved mode, so that the server holds a fresh transmit timestamp for us. */
    if (c->opts.presend_minpoll <= c->local_poll && !c->presend_done && !c->burst_total_to_go)
        c->presend_done = c->ilv_pending ? 2 : 1;
    else if (c->presend_done > 0)
        c->presend_done--;
    c->local_tx = *now;
    c->local_tx_src = NTP_CLIENT_TS_DAEMON;
    c->local_tx_corr = 0.0;
    c->last_tx_now = *now;
    c->have_last_tx = 1;
    count_request(c, out);
    if (!len)
        c->report.total_tx--;
    c->rand_factor = poll_rand_factor(rng_uniform(rng));
    assert(len <= cap);
    ntp_client_arm(c, now, ntp_client_tx_delay(c, 1, now));
    return len;
}

void ntp_client_on_send_error(struct ntp_client *c, const struct timespec *now)
{
    if (c->report.total_tx > 0)
        c->report.total_tx--;
    /* chrony backs off only when requests are really sent. */
    c->local_poll = c->saved_poll;
    c->poll_score = c->saved_score;
    /* An online burst does not end while the source is unreachable and sends fail. */
    if (c->opmode == NTP_CLIENT_BURST_WAS_ONLINE && !ntp_client_is_reachable(c))
        c->burst_total_to_go++;
    if (c->opts.auto_offline)
        ntp_client_set_online(c, 0, now);
}

void ntp_client_set_local_tx(struct ntp_client *c, const struct timespec *ts)
{
    assert(ts);
    if (!c->have_last_tx)
        return;
    c->local_tx = *ts;
    c->local_tx_src = NTP_CLIENT_TS_DAEMON;
}

void ntp_client_count_tx_ts(struct ntp_client *c, enum ntp_client_ts_src src)
{
    /* chrony counts every transmit timestamp, used or not. */
    if (src == NTP_CLIENT_TS_KERNEL)
        c->report.total_kernel_tx++;
    else if (src == NTP_CLIENT_TS_HW)
        c->report.total_hw_tx++;
}

void ntp_client_set_tx_ts(struct ntp_client *c, const struct timespec *ts,
                          enum ntp_client_ts_src src)
{
    assert(ts &&
           (src == NTP_CLIENT_TS_DAEMON || src == NTP_CLIENT_TS_KERNEL || src == NTP_CLIENT_TS_HW));
    ntp_client_count_tx_ts(c, src);
    if (!c->have_last_tx)
        return;
    double d = ts_diff(ts, &c->local_tx);
    if (d < 0.0 || d > 1.0)
        return;
    /* Late (after the response): the interleaved exchange kept the old one as previous. */
    if (ts_cmp(&c->prev_local_tx, &c->local_tx) == 0) {
        c->prev_local_tx = *ts;
        c->prev_local_tx_src = src;
        c->prev_local_tx_corr = 0.0;
    }
    /* chrony replaces the whole local timestamp: its network correction is dropped. */
    c->local_tx = *ts;
    c->local_tx_src = src;
    c->local_tx_corr = 0.0;
}

/* A local time on the sample timescale re-expressed after a clock change (see
 * ntp_filter_slew for the convention); zero stays zero (not set). */
static void slew_ts(struct timespec *t, const struct timespec *when, double dfreq, double doffset)
{
    if (!ts_is_zero(t))
        ts_add(t, t, ts_diff(when, t) * dfreq - doffset);
}

void ntp_client_slew_times(struct ntp_client *c, const struct timespec *when, double dfreq,
                           double doffset)
{
    /* Every local timestamp of the exchange, the receive times a peer is answered with
     * too (chrony NCR_SlewTimes). */
    if (c->have_last_tx)
        slew_ts(&c->local_tx, when, dfreq, doffset);
    slew_ts(&c->prev_local_tx, when, dfreq, doffset);
    slew_ts(&c->local_rx, when, dfreq, doffset);
    slew_ts(&c->init_local_rx, when, dfreq, doffset);
    if (c->filter_on)
        ntp_filter_slew(&c->filter, when, dfreq, doffset);
}

void ntp_client_set_minpoll(struct ntp_client *c, int minpoll)
{
    if (minpoll < NTP_CLIENT_MIN_POLL || minpoll > NTP_CLIENT_MAX_POLL)
        return;
    c->opts.minpoll = minpoll;
    if (c->opts.maxpoll < minpoll)
        c->opts.maxpoll = minpoll;
}

void ntp_client_set_maxpoll(struct ntp_client *c, int maxpoll)
{
    if (maxpoll < NTP_CLIENT_MIN_POLL || maxpoll > NTP_CLIENT_MAX_POLL)
        return;
    c->opts.maxpoll = maxpoll;
    if (c->opts.minpoll > maxpoll)
        c->opts.minpoll = maxpoll;
}

void ntp_client_set_max_delay(struct ntp_client *c, double v)
{
    c->opts.max_delay = clamp_double(v, 0.0, MAX_MAXDELAY);
}

void ntp_client_set_max_delay_ratio(struct ntp_client *c, double v)
{
    c->opts.max_delay_ratio = clamp_double(v, 0.0, MAX_MAXDELAYRATIO);
}

void ntp_client_set_max_delay_dev_ratio(struct ntp_client *c, double v)
{
    c->opts.max_delay_dev_ratio = clamp_double(v, 0.0, MAX_MAXDELAYDEVRATIO);
}

void ntp_client_set_min_stratum(struct ntp_client *c, int v)
{
    c->opts.min_stratum = v;
}

void ntp_client_set_polltarget(struct ntp_client *c, int v)
{
    c->opts.polltarget = v < 1 ? 1 : v;
}

void ntp_client_set_offset(struct ntp_client *c, double v)
{
    c->opts.offset = v;
}
