#include "core/serve_stats.h"

#include "lib/bytes.h"

#include <string.h>

enum { N_COUNTERS = 16, N_FIGURES = 18 };

/* The figures in message order: the counters, then the two gauges. */
static void figures(struct serve_stats *s, uint64_t *f[N_FIGURES])
{
    struct clientlog_stats *c = &s->cl;
    int i = 0;
    for (int k = 0; k < CLOG_N_SERVICES; k++)
        f[i++] = &c->hits[k];
    for (int k = 0; k < CLOG_N_SERVICES; k++)
        f[i++] = &c->drops[k];
    f[i++] = &c->log_drops;
    f[i++] = &c->ntp_auth_hits;
    f[i++] = &c->ntp_interleaved_hits;
    for (int k = 0; k < 3; k++)
        f[i++] = &c->ntp_rx_ts[k];
    for (int k = 0; k < 3; k++)
        f[i++] = &c->ntp_tx_ts[k];
    f[i++] = &s->unauth_dropped;
    f[i++] = &c->ntp_timestamps;
    f[i++] = &c->ntp_span_seconds;
}

static const uint8_t header[4] = {'W', 'S', 'T', 1};

void serve_stats_encode(const struct serve_stats *s, uint8_t *buf)
{
    struct serve_stats copy = *s;
    uint64_t *f[N_FIGURES];

    figures(&copy, f);
    memcpy(buf, header, sizeof(header));
    for (int i = 0; i < N_FIGURES; i++)
        put_be64(buf + sizeof(header) + 8 * i, *f[i]);
}

int serve_stats_decode(const uint8_t *buf, size_t len, struct serve_stats *out)
{
    struct serve_stats s;
    uint64_t *f[N_FIGURES];

    if (len != SERVE_STATS_MSG_LEN || memcmp(buf, header, sizeof(header)) != 0)
        return -1;
    memset(&s, 0, sizeof(s));
    figures(&s, f);
    for (int i = 0; i < N_FIGURES; i++)
        *f[i] = get_be64(buf + sizeof(header) + 8 * i);
    *out = s;
    return 0;
}

void serve_stats_since(struct serve_stats *out, const struct serve_stats *cur,
                       const struct serve_stats *base)
{
    struct serve_stats c = *cur, b = *base;
    uint64_t *fc[N_FIGURES], *fb[N_FIGURES];

    figures(&c, fc);
    figures(&b, fb);
    for (int i = 0; i < N_COUNTERS; i++)
        *fc[i] = *fc[i] >= *fb[i] ? *fc[i] - *fb[i] : 0;
    *out = c;
}

void serve_stats_update(struct serve_stats *held, const struct serve_stats *report)
{
    struct serve_stats r = *report;
    uint64_t *fh[N_FIGURES], *fr[N_FIGURES];

    figures(held, fh);
    figures(&r, fr);
    for (int i = 0; i < N_FIGURES; i++)
        if (i >= N_COUNTERS || *fr[i] > *fh[i])
            *fh[i] = *fr[i];
}

void serve_stats_add(struct serve_stats *acc, const struct serve_stats *s)
{
    struct serve_stats c = *s;
    uint64_t *fa[N_FIGURES], *fs[N_FIGURES];

    figures(acc, fa);
    figures(&c, fs);
    for (int i = 0; i < N_FIGURES - 1; i++)
        *fa[i] += *fs[i];
    if (*fs[N_FIGURES - 1] > *fa[N_FIGURES - 1])
        *fa[N_FIGURES - 1] = *fs[N_FIGURES - 1];
}

void serve_stats_end(struct serve_stats *s)
{
    s->cl.ntp_timestamps = 0;
    s->cl.ntp_span_seconds = 0;
}
