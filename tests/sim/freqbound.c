/* An ideal frequency estimator for one client of one perfect server (freqbound.h).
 *
 * The world: the clock's offset integrates its frequency, which takes a random-walk
 * step of wander * N(0, 1) every second (the virtual clock's model); a measurement
 * every `interval` seconds sees offset + (e1 - e2) / 2 with e1, e2 the exponential
 * jitter of the two directions (RFC 5905 §8 with the base delays cancelling).
 *
 * The estimator is a Kalman filter on (offset, frequency) with the true process
 * noise (a frequency random walk of variance wander^2 per second) and more
 * knowledge than any NTP engine has: it knows the base delay, so from a
 * measurement's round trip it knows s = e1 + e2, and given s the error
 * (e1 - e2) / 2 is uniform on [-s/2, s/2] (e1 is uniform on [0, s] for two
 * exponentials of the same mean), so it weighs each measurement by its exact error
 * variance s^2 / 12. For Gaussian noise this filter is the best estimator there is;
 * here it is the best linear one given each sample's variance, so its error is what
 * an engine could hope for at that polling interval, not a figure to beat by far. */
#include "freqbound.h"

#include "lib/rng.h"

#include <math.h>

/* Floor of a measurement's error deviation (s): timestamps are not exact. */
#define MEAS_FLOOR 1.0e-9
/* Prior deviations: the filter starts knowing nothing useful. */
#define PRIOR_OFFSET 1.0
#define PRIOR_FREQ 1.0e-3

struct kf {
    double x, f;          /* estimates: offset (s), frequency (fraction) */
    double p00, p01, p11; /* covariance */
    double q;             /* frequency random-walk variance per second */
};

static void kf_predict(struct kf *k, double dt)
{
    k->x += dt * k->f;
    k->p00 += 2.0 * dt * k->p01 + dt * dt * k->p11 + k->q * dt * dt * dt / 3.0;
    k->p01 += dt * k->p11 + k->q * dt * dt / 2.0;
    k->p11 += k->q * dt;
}

static void kf_update(struct kf *k, double z, double r)
{
    double s = k->p00 + r, k0 = k->p00 / s, k1 = k->p01 / s, y = z - k->x;
    k->x += k0 * y;
    k->f += k1 * y;
    k->p11 -= k1 * k->p01;
    k->p01 *= 1.0 - k0;
    k->p00 *= 1.0 - k0;
}

double freqbound_rms_ppb(const struct freqbound_params *p, uint64_t seed)
{
    struct rng rng;
    struct kf k = {
        0.0, 0.0, PRIOR_OFFSET * PRIOR_OFFSET, 0.0, PRIOR_FREQ * PRIOR_FREQ, p->wander * p->wander};
    double x = p->offset, f = p->freq_ppm * 1e-6, next_meas = 0.0, last_meas = 0.0;
    double sum = 0.0;
    long n = 0;

    rng_seed(&rng, seed);
    for (double t = 0.0; t <= p->duration; t += 1.0) {
        if (t >= next_meas) {
            double e1 = rng_exponential(&rng, p->jitter), e2 = rng_exponential(&rng, p->jitter);
            double s = e1 + e2;
            kf_predict(&k, t - last_meas);
            kf_update(&k, x + 0.5 * (e1 - e2), s * s / 12.0 + MEAS_FLOOR * MEAS_FLOOR);
            last_meas = t;
            next_meas = t + p->interval;
        }
        if (t >= p->warmup) {
            sum += (k.f - f) * (k.f - f);
            n++;
        }
        /* One second of the true clock: the offset integrates the frequency,
         * then the frequency takes its random-walk step. */
        x += f;
        f += p->wander * rng_normal(&rng);
    }
    return n ? sqrt(sum / (double)n) * 1e9 : 0.0;
}
