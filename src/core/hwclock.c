/* PHC tracking: see hwclock.h. */
#include "core/hwclock.h"

#include "lib/ts.h"

#include <math.h>
#include <string.h>

static int clamp_samples(int n)
{
    return n < HWCLOCK_MIN_SAMPLES   ? HWCLOCK_MIN_SAMPLES
           : n > HWCLOCK_MAX_SAMPLES ? HWCLOCK_MAX_SAMPLES
                                     : n;
}

void hwclock_init(struct hwclock *h, int min_samples, int max_samples, double min_separation,
                  double precision)
{
    memset(h, 0, sizeof(*h));
    h->min_samples = clamp_samples(min_samples);
    h->max_samples = clamp_samples(max_samples);
    if (h->max_samples < h->min_samples)
        h->max_samples = h->min_samples;
    h->min_separation = min_separation;
    h->precision = precision;
    h->freq = 1.0;
}

int hwclock_needs_sample(const struct hwclock *h, const struct timespec *now)
{
    return !h->n || fabs(ts_diff(now, &h->local_ref)) >= h->min_separation;
}

int hwclock_process_readings(const struct hwclock *h, const struct hwclock_reading *r, int n,
                             double local_precision, struct timespec *hw_ts,
                             struct timespec *local_ts, double *err)
{
    double min_delay = 0.0, delay_sum = 0.0, hw_sum = 0.0, local_sum = 0.0;
    int used = 0;

    if (n < 1)
        return 0;
    for (int i = 0; i < n; i++) {
        double d = ts_diff(&r[i].after, &r[i].before);
        if (d < 0.0)
            return 0;
        if (i == 0 || d < min_delay)
            min_delay = d;
    }
    /* Offsets of the PHC and of the middle of each reading from the first reading's, so
     * that the sums keep nanoseconds. */
    for (int i = 0; i < n; i++) {
        double d = ts_diff(&r[i].after, &r[i].before);
        if (d > min_delay + local_precision)
            continue;
        delay_sum += d;
        hw_sum += ts_diff(&r[i].hw, &r[0].hw);
        local_sum += ts_diff(&r[i].before, &r[0].before) + d / 2.0;
        used++;
    }
    ts_add(hw_ts, &r[0].hw, hw_sum / used);
    ts_add(local_ts, &r[0].before, local_sum / used);
    *err = fmax(delay_sum / used / 2.0, h->precision);
    return 1;
}

/* Least squares y = a + b x over the last n samples (exact line through two). */
static int fit_line(const double *x, const double *y, int n, double *a, double *b)
{
    double mx = 0.0, my = 0.0, sxx = 0.0, sxy = 0.0;

    if (n < 2)
        return 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (!(sxx > 0.0))
        return 0;
    *b = sxy / sxx;
    *a = my - *b * mx;
    return 1;
}

void hwclock_add_sample(struct hwclock *h, const struct timespec *hw_ts,
                        const struct timespec *local_ts, double err)
{
    int first;
    double a, b;

    if (h->n) {
        double hw_delta = ts_diff(hw_ts, &h->hw_ref);
        double local_delta = ts_diff(local_ts, &h->local_ref);
        if (h->n >= h->max_samples)
            h->n--;
        /* The PHC stepped back, or two samples at once: start again. */
        if (hw_delta <= 0.0 || local_delta < h->min_separation / 2.0)
            h->n = 0;
        /* Re-express the kept samples relative to the new one, shifting them down. */
        for (int i = h->max_samples - h->n; i < h->max_samples; i++) {
            h->x[i - 1] = h->x[i] - local_delta;
            h->y[i - 1] = h->y[i] - hw_delta;
        }
    }
    h->n++;
    h->x[h->max_samples - 1] = 0.0;
    h->y[h->max_samples - 1] = 0.0;
    h->hw_ref = *hw_ts;
    h->local_ref = *local_ts;
    h->last_err = err;
    first = h->max_samples - h->n;
    h->valid = fit_line(h->x + first, h->y + first, h->n, &a, &b);
    if (!h->valid)
        return;
    h->offset = a;
    h->freq = b;
    /* The line must pass within the newest sample's error and the rate be sane, or the
     * history is thrown away (a step of the PHC or of the system clock). */
    if (fabs(h->offset) > err || fabs(h->freq - 1.0) > HWCLOCK_MAX_FREQ_OFFSET) {
        h->n = 0;
        h->valid = 0;
        h->freq = 1.0;
        return;
    }
    /* Fewer, newer samples follow a wandering PHC better once enough are held. */
    if (h->n > h->min_samples && fabs(h->offset) > err / 2.0)
        h->n = h->min_samples;
}

int hwclock_cook(const struct hwclock *h, const struct timespec *hw, struct timespec *local,
                 double *err)
{
    if (!h->valid)
        return 0;
    ts_add(local, &h->local_ref, (ts_diff(hw, &h->hw_ref) - h->offset) / h->freq);
    if (err)
        *err = h->last_err;
    return 1;
}

double hwclock_frame_duration(int l2_len, int link_speed)
{
    if (link_speed <= 0 || l2_len <= 0)
        return 0.0;
    /* 4 bytes of FCS; link_speed Mb/s carry link_speed * 1e6 / 8 bytes per second. */
    return (double)(l2_len + 4) / (1.0e6 / 8.0 * (double)link_speed);
}

int hwclock_cook_packet(const struct hwclock *h, const struct timespec *hw, int rx_len, int l2_len,
                        const struct hwclock_packet_opts *o, struct timespec *local, double *err,
                        double *rx_duration)
{
    struct timespec t = *hw;
    double d = 0.0;

    if (rx_len > 0 && o->link_speed > 0) {
        if (l2_len <= 0)
            l2_len = o->l2_udp_start + rx_len;
        d = hwclock_frame_duration(l2_len, o->link_speed);
        ts_add(&t, &t, d);
    }
    if (!hwclock_cook(h, &t, local, err))
        return 0;
    if (rx_len > 0 && o->rx_comp != 0.0)
        ts_add(local, local, -o->rx_comp);
    else if (rx_len <= 0 && o->tx_comp != 0.0)
        ts_add(local, local, o->tx_comp);
    if (rx_duration)
        *rx_duration = d;
    return 1;
}

void hwclock_slew(struct hwclock *h, const struct timespec *when, double dfreq, double offset)
{
    double k = 1.0 + dfreq;

    /* Raw times after `when` run k times as fast: the history is re-expressed as if the new
     * rate had always held (distances from `when` scaled by k), so that it lines up with
     * the samples to come; a step moves every raw time by -offset. */
    if (h->n) {
        double d = ts_diff(when, &h->local_ref);
        ts_add(&h->local_ref, &h->local_ref, d - d * k - offset);
        for (int i = h->max_samples - h->n; i < h->max_samples; i++)
            h->x[i] *= k;
    }
    if (h->valid)
        h->freq /= k;
}
