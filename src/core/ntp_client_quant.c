/* Delay quantile estimate for chrony's `maxdelayquant` test: the Frugal-2U streaming
 * algorithm (Ma, Muthukrishnan, Sandler 2014), run several times in parallel with
 * independent random decisions, taking the median of the runs. */
#include "core/ntp_client_int.h"
#include "core/regress.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Quantiles are expressed in hundredths, as in chrony. */
#define QUANT_Q 100
/* A step may turn negative by at most this many minimum steps. */
#define QUANT_LARGE_STEP_DELAY 100

void ntp_client_quant_init(struct ntp_client_quant *q, double quantile, double precision)
{
    memset(q, 0, sizeof(*q));
    /* A valid generator state until ntp_client_quant_seed() replaces it. */
    rng_seed(&q->rng, 0x9e3779b97f4a7c15ULL);
    if (!(quantile > 0.0))
        return;
    if (quantile < 0.05)
        quantile = 0.05;
    if (quantile > 0.95)
        quantile = 0.95;
    q->on = 1;
    q->k = (int)lround(quantile * QUANT_Q);
    q->min_step = precision > 0.0 ? precision / 2.0 : 1e-9;
    q->neg_step_limit = -QUANT_LARGE_STEP_DELAY * q->min_step;
    ntp_client_quant_reset(q);
}

void ntp_client_quant_reset(struct ntp_client_quant *q)
{
    q->n_set = 0;
    for (int i = 0; i < NTP_CLIENT_QUANT_REPEAT; i++) {
        q->est[i] = 0.0;
        q->step[i] = q->min_step;
        q->sign[i] = 1;
    }
}

void ntp_client_quant_seed(struct ntp_client_quant *q, struct rng *rng)
{
    if (q->seeded)
        return;
    rng_seed(&q->rng, rng_u64(rng));
    q->seeded = 1;
}

/* One Frugal-2U update of estimate i towards quantile p (u uniform in [0, 1)). */
static void update_one(struct ntp_client_quant *q, int i, double v, double p, double u)
{
    double ms = q->min_step, *est, *step;

    assert(i >= 0 && i < NTP_CLIENT_QUANT_REPEAT);
    est = &q->est[i];
    step = &q->step[i];
    if (v >= *est) {
        if (u < 1.0 - p)
            return;
        *step += q->sign[i] > 0 ? ms : -ms;
        *est += *step > ms ? *step : ms;
        if (*est > v) {
            /* Overshot: settle just above the value and shrink the step. */
            *step += v - *est;
            *est = v + ms / 4.0;
        }
        if (q->sign[i] < 0 && *step > ms)
            *step = ms;
        q->sign[i] = 1;
    } else {
        if (u < p)
            return;
        *step += q->sign[i] < 0 ? ms : -ms;
        *est -= *step > ms ? *step : ms;
        if (*est < v) {
            *step += *est - v;
            *est = v - ms / 4.0;
        }
        if (q->sign[i] > 0 && *step > ms)
            *step = ms;
        q->sign[i] = -1;
    }
    if (*step < q->neg_step_limit)
        *step = q->neg_step_limit;
}

void ntp_client_quant_accumulate(struct ntp_client_quant *q, double delay)
{
    if (!q->on)
        return;
    /* The first value initialises every run. */
    if (q->n_set == 0) {
        for (int i = 0; i < NTP_CLIENT_QUANT_REPEAT; i++)
            q->est[i] = delay;
        q->n_set = 1;
        return;
    }
    /* init clamped the quantile to [0.05, 0.95] and the step to > 0. */
    assert(q->k >= 5 && q->k <= 95 && q->min_step > 0.0);
    double p = (double)q->k / QUANT_Q;
    for (int i = 0; i < NTP_CLIENT_QUANT_REPEAT; i++)
        update_one(q, i, delay, p, rng_uniform(&q->rng));
}

double ntp_client_quant_get(const struct ntp_client_quant *q)
{
    double v[NTP_CLIENT_QUANT_REPEAT];
    memcpy(v, q->est, sizeof(v));
    /* An odd count of runs, so this is the middle value. */
    return regress_median(v, NTP_CLIENT_QUANT_REPEAT);
}
