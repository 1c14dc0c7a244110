/* Helpers shared by the ntp_client_*.c files; not part of the public API. */
#ifndef CORE_NTP_CLIENT_INT_H
#define CORE_NTP_CLIENT_INT_H

#include "core/ntp_client.h"
#include "proto/ntp.h"

/* Shift the reachability register by one poll; bit set if `ok`. */
void ntp_client_reach_update(struct ntp_client *c, int ok);
/* Feed a sample (NULL = a poll without one) through the optional filter. Returns 1 and
 * fills *out when a sample is ready for source statistics. */
int ntp_client_process_sample(struct ntp_client *c, const struct ntp_sample *s,
                              struct ntp_sample *out);
/* chrony's MAX_MONO_DOFFSET (s): a larger change of the server's monotonic offset is no
 * correction to follow. */
#define MAX_MONO_DOFFSET 16.0
/* The F323 correction accumulated for the sample being handed out (chrony applies it only
 * up to 16 s), and start accumulating afresh. */
double ntp_client_take_mono_doffset(struct ntp_client *c);
/* Add adj to the poll score and move the poll within its bounds. */
void ntp_client_apply_poll_adj(struct ntp_client *c, double adj);
/* Delay (s) from `now` to the next request; on_tx = just transmitted. */
double ntp_client_tx_delay(const struct ntp_client *c, int on_tx, const struct timespec *now);
/* Arm the timer `delay` seconds after now (scaled by the scheduling randomness). */
void ntp_client_arm(struct ntp_client *c, const struct timespec *now, double delay);
void ntp_client_take_offline(struct ntp_client *c);

/* Symmetric mode (ntp_client_peer.c). */
/* Write a mode-1 packet answering the peer's last packet (transmit timestamp left for
 * ntp_client_peer_finish). Returns its length, 0 if cap is too small. */
size_t ntp_client_peer_build(struct ntp_client *c, uint8_t *buf, size_t cap);
/* Keep the timestamps of a packet from the peer (chrony's symmetric-mode rules). Returns 1
 * if the packet's timestamps became the exchange's (remote_rx/tx, local_rx). */
int ntp_client_peer_update_timestamps(struct ntp_client *c, const struct ntp_packet *p, int valid,
                                      int synced, int t1, int t5, const struct timespec *rx_ts);
/* Whether the next packet may be sent in interleaved mode (chrony's transmit rules). */
int ntp_client_want_interleaved(const struct ntp_client *c);
/* chrony MAX_CLIENT_INTERLEAVED_TX: a client with more missed responses asks in basic mode
 * (the server's previous transmit timestamp would be too old). */
#define NTP_CLIENT_MAX_INTERLEAVED_TX 4
/* The polling interval (log2 s) of the next transmission. */
int ntp_client_transmit_poll(const struct ntp_client *c);
/* Transmit delay (s) of a peer after chrony's stratum rules; last_tx = s since our last
 * transmission (0 when just transmitted). */
double ntp_client_peer_spacing(const struct ntp_client *c, double delay, int on_tx, double last_tx);

/* maxdelayquant estimator (ntp_client_quant.c). quantile in (0, 1); precision in s. */
void ntp_client_quant_init(struct ntp_client_quant *q, double quantile, double precision);
void ntp_client_quant_reset(struct ntp_client_quant *q);
void ntp_client_quant_seed(struct ntp_client_quant *q, struct rng *rng);
void ntp_client_quant_accumulate(struct ntp_client_quant *q, double delay);
/* Current estimate of the quantile (s); 0 before any value. */
double ntp_client_quant_get(const struct ntp_client_quant *q);

#endif
