/* Helpers shared by the NTS-KE client and server sessions (nts_ke_client.c, nts_ke_server.c),
 * both state machines stepped by the select() loop on non-blocking sockets: deadlines,
 * what to do after a GnuTLS call that did not complete (call again, wait for the socket in
 * the direction GnuTLS needs, or give up), the close_notify exchange, the ALPN check and
 * the export of the NTP keys (RFC 8915 §5.1). Nothing here waits. */
#ifndef PLATFORM_NTS_KE_TLS_H
#define PLATFORM_NTS_KE_TLS_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Versions other than TLS 1.3 removed from the system's default priorities (RFC 8915 §3
 * requires TLS 1.3 or newer). */
#define NKE_TLS_PRIORITY "-VERS-ALL:+VERS-TLS1.3"

void nke_fd_nonblock_cloexec(int fd);
/* *deadline = CLOCK_MONOTONIC now + timeout (s). */
void nke_deadline_in(struct timespec *deadline, double timeout);
/* Seconds from now to deadline (both CLOCK_MONOTONIC; negative once it passed). */
double nke_seconds_left(const struct timespec *deadline, const struct timespec *now);
/* After a GnuTLS call on tls returned r < 0: 1 to call again at once (a warning alert;
 * *tries counts these and bounds them), 0 to wait until the socket is ready in the
 * direction stored in *want_write (1 writable, 0 readable), -1 when r is final (a fatal
 * error; a renegotiation request counts as one, as in chrony). */
int nke_tls_again(gnutls_session_t tls, int r, int *tries, int *want_write);
/* One step of the close_notify exchange (both ways, as chrony): 1 when it is over (done or
 * failed), 0 to wait for the socket in the direction stored in *want_write. */
int nke_tls_bye(gnutls_session_t tls, int *want_write);
/* 1 if the peer agreed on ALPN ntske/1. */
int nke_alpn_is_ntske(gnutls_session_t tls);
/* Export the C2S and S2C keys (key_len bytes each) with ctx_aead in the exporter context.
 * Returns 0, or -1. */
int nke_export_keys(gnutls_session_t tls, int ctx_aead, size_t key_len, uint8_t *c2s, uint8_t *s2c);

#endif
