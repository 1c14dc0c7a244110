/* The lowest RMS frequency-estimate error reachable in a one-server scenario: an
 * ideal estimator that knows the clock and link models exactly, run on the same
 * kind of world. It judges how far an engine is from what the data allow. */
#ifndef SIM_FREQBOUND_H
#define SIM_FREQBOUND_H

#include <stdint.h>

/* One client of one perfect server over a link with exponential jitter each way
 * (the base delay cancels and the ideal estimator knows it). */
struct freqbound_params {
    double offset;   /* s, initial local minus true time */
    double freq_ppm; /* initial frequency error, positive = fast */
    double wander;   /* random-walk frequency step per second (fraction), as struct sc_node */
    double jitter;   /* s, mean of the exponential jitter, each way */
    double interval; /* s between measurements (the engine's shortest poll) */
    double duration; /* s of true time */
    double warmup;   /* s: errors counted from here on */
};

/* RMS error (ppb) of the ideal frequency estimate, sampled every second of true
 * time from warmup to duration and held between measurements, as the simulator's
 * rms_freq figure. One world drawn from seed. */
double freqbound_rms_ppb(const struct freqbound_params *p, uint64_t seed);

#endif
