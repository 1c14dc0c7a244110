/* Helpers shared by the ntp_client_*.c files; not part of the public API. */
#ifndef CORE_NTP_CLIENT_INT_H
#define CORE_NTP_CLIENT_INT_H

#include "core/ntp_client.h"

/* Shift the reachability register by one poll; bit set if `ok`. */
void ntp_client_reach_update(struct ntp_client *c, int ok);
/* Feed a sample (NULL = a poll without one) through the optional filter. Returns 1 and
 * fills *out when a sample is ready for source statistics. */
int ntp_client_process_sample(struct ntp_client *c, const struct ntp_sample *s,
                              struct ntp_sample *out);
/* Add adj to the poll score and move the poll within its bounds. */
void ntp_client_apply_poll_adj(struct ntp_client *c, double adj);
/* Delay (s) from `now` to the next request; on_tx = just transmitted. */
double ntp_client_tx_delay(const struct ntp_client *c, int on_tx, const struct timespec *now);
/* Arm the timer `delay` seconds after now (scaled by the scheduling randomness). */
void ntp_client_arm(struct ntp_client *c, const struct timespec *now, double delay);
void ntp_client_take_offline(struct ntp_client *c);

/* maxdelayquant estimator (ntp_client_quant.c). quantile in (0, 1); precision in s. */
void ntp_client_quant_init(struct ntp_client_quant *q, double quantile, double precision);
void ntp_client_quant_reset(struct ntp_client_quant *q);
void ntp_client_quant_seed(struct ntp_client_quant *q, struct rng *rng);
void ntp_client_quant_accumulate(struct ntp_client_quant *q, double delay);
/* Current estimate of the quantile (s); 0 before any value. */
double ntp_client_quant_get(const struct ntp_client_quant *q);

#endif
