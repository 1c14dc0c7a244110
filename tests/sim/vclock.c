#include "vclock.h"

#include <math.h>
#include <string.h>

void vclock_init(struct vclock *c, double offset, double freq_err_ppm, double wander_step_ppm,
                 uint64_t seed)
{
    memset(c, 0, sizeof(*c));
    c->off = offset;
    c->freq_err_ppm = freq_err_ppm;
    c->wander_step_ppm = wander_step_ppm;
    c->next_wander_t = 1.0;
    rng_seed(&c->rng, seed);
}

double vclock_freq_ppm(const struct vclock *c)
{
    /* The kernel scales the oscillator's ticks: the corrections multiply the
     * oscillator's rate, (1 + err + wander) * (1 + set). */
    double osc = c->freq_err_ppm + c->wander_ppm;
    return osc + c->freq_set_ppm + osc * c->freq_set_ppm * 1e-6;
}

double vclock_estimate_error_ppm(const struct vclock *c, double base_ppm)
{
    double osc = c->freq_err_ppm + c->wander_ppm;
    return osc - base_ppm - osc * base_ppm * 1e-6;
}

static void integrate(struct vclock *c, double t)
{
    c->off += (t - c->t) * vclock_freq_ppm(c) * 1e-6;
    c->t = t;
}

void vclock_advance(struct vclock *c, double t)
{
    if (!(t > c->t))
        return;
    /* Frequency is constant between whole seconds when wander is on, so the
     * offset is integrated exactly one piece at a time. */
    if (c->wander_step_ppm > 0.0) {
        while (c->next_wander_t <= t) {
            integrate(c, c->next_wander_t);
            c->wander_ppm += c->wander_step_ppm * rng_normal(&c->rng);
            c->next_wander_t += 1.0;
        }
    }
    integrate(c, t);
}

double vclock_offset(struct vclock *c, double t)
{
    vclock_advance(c, t);
    return c->off;
}

double vclock_local(struct vclock *c, double t)
{
    return t + vclock_offset(c, t);
}

double vclock_true_at(const struct vclock *c, double local_rel)
{
    double now_local = c->t + c->off;
    double rate = 1.0 + vclock_freq_ppm(c) * 1e-6, t;
    if (rate < 1e-3)
        rate = 1e-3; /* a clock (nearly) stopped by absurd corrections still moves on */
    t = c->t + (local_rel - now_local) / rate;
    return t > c->t ? t : c->t;
}

void vclock_set_freq(struct vclock *c, double t, double freq_ppm)
{
    vclock_advance(c, t);
    c->freq_set_ppm = freq_ppm;
    c->n_set_freq++;
}

void vclock_step(struct vclock *c, double t, double offset)
{
    vclock_advance(c, t);
    c->off -= offset;
    c->stepped += offset;
    c->n_steps++;
}

void vclock_jump(struct vclock *c, double t, double jump)
{
    vclock_advance(c, t);
    c->off += jump;
    c->n_ext_steps++;
}
