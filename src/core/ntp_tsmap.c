#include "core/ntp_tsmap.h"

#include "lib/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void ntp_tsmap_init(struct ntp_tsmap *m, size_t capacity)
{
    size_t n = 1;

    assert(m);
    memset(m, 0, sizeof(*m));
    if (capacity < 2)
        return;
    while (n * 2 <= capacity)
        n *= 2;
    m->e = xcalloc(n, sizeof(*m->e));
    m->mask = n - 1;
    assert(n >= 2 && (n & m->mask) == 0); /* a power of two: slot_of masks */
}

void ntp_tsmap_fini(struct ntp_tsmap *m)
{
    free(m->e);
    memset(m, 0, sizeof(*m));
}

static size_t slot_of(const struct ntp_tsmap *m, const struct ntp_ts64 *rx)
{
    /* The low bits of the fraction are random-like (fuzzed by the clock's jitter); mix in
     * the seconds so that bursts within one fraction pattern spread too. */
    uint32_t h = rx->frac ^ (rx->sec * 2654435761u);
    h ^= h >> 15;
    return (size_t)h & m->mask;
}

void ntp_tsmap_save(struct ntp_tsmap *m, const struct ntp_ts64 *rx, const struct timespec *tx,
                    int tx_src)
{
    struct ntp_tsmap_entry *e;

    assert(rx && tx);
    if (!m->mask || ntp_ts64_is_zero(rx))
        return;
    e = &m->e[slot_of(m, rx)];
    if (ntp_ts64_is_zero(&e->rx))
        m->used++;
    e->rx = *rx;
    e->tx = *tx;
    e->tx_src = tx_src;
    assert(m->used <= m->mask + 1);
}

int ntp_tsmap_take(struct ntp_tsmap *m, const struct ntp_ts64 *rx, struct timespec *tx, int *tx_src)
{
    struct ntp_tsmap_entry *e;

    if (!m->mask || ntp_ts64_is_zero(rx))
        return 0;
    e = &m->e[slot_of(m, rx)];
    if (!ntp_ts64_equal(&e->rx, rx) || (e->tx.tv_sec == 0 && e->tx.tv_nsec == 0))
        return 0;
    *tx = e->tx;
    if (tx_src)
        *tx_src = e->tx_src;
    memset(e, 0, sizeof(*e));
    assert(m->used > 0);
    m->used--;
    return 1;
}

int ntp_tsmap_update(struct ntp_tsmap *m, const struct ntp_ts64 *rx, const struct timespec *tx,
                     int tx_src)
{
    struct ntp_tsmap_entry *e;
    double delay;

    if (!m->mask || ntp_ts64_is_zero(rx))
        return 0;
    e = &m->e[slot_of(m, rx)];
    if (!ntp_ts64_equal(&e->rx, rx) || (e->tx.tv_sec == 0 && e->tx.tv_nsec == 0))
        return 0;
    delay = (double)(tx->tv_sec - e->tx.tv_sec) + (tx->tv_nsec - e->tx.tv_nsec) * 1e-9;
    if (delay < 0.0 || delay > 1.0)
        return 0;
    e->tx = *tx;
    e->tx_src = tx_src;
    return 1;
}

size_t ntp_tsmap_count(const struct ntp_tsmap *m)
{
    return m->used;
}

double ntp_tsmap_span(const struct ntp_tsmap *m)
{
    const struct ntp_tsmap_entry *lo = NULL, *hi = NULL;

    for (size_t i = 0; m->mask && i <= m->mask; i++) {
        const struct ntp_tsmap_entry *e = &m->e[i];
        if (ntp_ts64_is_zero(&e->rx))
            continue;
        if (!lo || ntp_ts64_diff(&e->rx, &lo->rx) < 0.0)
            lo = e;
        if (!hi || ntp_ts64_diff(&e->rx, &hi->rx) > 0.0)
            hi = e;
    }
    return lo && hi ? ntp_ts64_diff(&hi->rx, &lo->rx) : 0.0;
}
