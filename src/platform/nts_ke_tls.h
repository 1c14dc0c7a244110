/* Helpers shared by the NTS-KE client and server sessions (nts_ke_client.c, nts_ke_server.c):
 * waiting on a non-blocking socket against a deadline (and a cancel pipe), repeating GnuTLS
 * calls that would block, the ALPN check and the export of the NTP keys (RFC 8915 §5.1). */
#ifndef PLATFORM_NTS_KE_TLS_H
#define PLATFORM_NTS_KE_TLS_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

void nke_fd_nonblock_cloexec(int fd);
/* Seconds left before deadline (CLOCK_MONOTONIC; may be negative). */
double nke_remaining(const struct timespec *deadline);
/* Wait until fd is readable (or writable). 0 when ready, -1 when the deadline passed first
 * or cancel_fd (-1 = none) became readable. */
int nke_wait(int fd, int for_write, const struct timespec *deadline, int cancel_fd);
/* After a GnuTLS call on tls (socket fd) returned r: 1 to call again, 0 when r is final (a
 * result or a fatal error; a renegotiation request counts as one, as in chrony), -1 when
 * the deadline passed or the session is cancelled. */
int nke_tls_again(gnutls_session_t tls, int fd, int r, const struct timespec *deadline,
                  int cancel_fd);
/* 1 if the peer agreed on ALPN ntske/1. */
int nke_alpn_is_ntske(gnutls_session_t tls);
/* Export the C2S and S2C keys (key_len bytes each) with ctx_aead in the exporter context.
 * Returns 0, or -1. */
int nke_export_keys(gnutls_session_t tls, int ctx_aead, size_t key_len, uint8_t *c2s, uint8_t *s2c);

#endif
