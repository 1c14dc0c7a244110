#include "platform/nts_ke_tls.h"

#include "proto/nts_ke.h"

#include <fcntl.h>
#include <string.h>

/* Non-fatal GnuTLS results (warning alerts) repeated at once before waiting on the socket. */
#define MAX_RETRIES 16

void nke_fd_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void nke_deadline_in(struct timespec *deadline, double timeout)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += (time_t)timeout;
    deadline->tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
}

double nke_seconds_left(const struct timespec *deadline, const struct timespec *now)
{
    return (double)(deadline->tv_sec - now->tv_sec) +
           (double)(deadline->tv_nsec - now->tv_nsec) * 1e-9;
}

int nke_tls_again(gnutls_session_t tls, int r, int *tries, int *want_write)
{
    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED || ++*tries > MAX_RETRIES) {
        *want_write = gnutls_record_get_direction(tls);
        return 0;
    }
    if (gnutls_error_is_fatal(r) || r == GNUTLS_E_REHANDSHAKE)
        return -1;
    return 1;
}

int nke_tls_bye(gnutls_session_t tls, int *want_write)
{
    int r, w, tries = 0;
    while ((r = gnutls_bye(tls, GNUTLS_SHUT_RDWR)) < 0) {
        w = nke_tls_again(tls, r, &tries, want_write);
        if (w == 0)
            return 0;
        if (w < 0)
            break;
    }
    return 1;
}

int nke_alpn_is_ntske(gnutls_session_t tls)
{
    gnutls_datum_t p;
    return gnutls_alpn_get_selected_protocol(tls, &p) >= 0 && p.size == sizeof(NTS_KE_ALPN) - 1 &&
           memcmp(p.data, NTS_KE_ALPN, p.size) == 0;
}

int nke_export_keys(gnutls_session_t tls, int ctx_aead, size_t key_len, uint8_t *c2s, uint8_t *s2c)
{
    const size_t lab = sizeof(NTS_KE_EXPORTER_LABEL) - 1;
    uint8_t ctx_c2s[5], ctx_s2c[5];

    nts_ke_exporter_context(ctx_aead, 0, ctx_c2s);
    nts_ke_exporter_context(ctx_aead, 1, ctx_s2c);
    if (gnutls_prf_rfc5705(tls, lab, NTS_KE_EXPORTER_LABEL, sizeof(ctx_c2s), (const char *)ctx_c2s,
                           key_len, (char *)c2s) < 0 ||
        gnutls_prf_rfc5705(tls, lab, NTS_KE_EXPORTER_LABEL, sizeof(ctx_s2c), (const char *)ctx_s2c,
                           key_len, (char *)s2c) < 0)
        return -1;
    return 0;
}
