#include "platform/nts_ke_tls.h"

#include "proto/nts_ke.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/select.h>

void nke_fd_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

double nke_remaining(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(deadline->tv_sec - now.tv_sec) +
           (double)(deadline->tv_nsec - now.tv_nsec) * 1e-9;
}

int nke_wait(int fd, int for_write, const struct timespec *deadline, int cancel_fd)
{
    for (;;) {
        double left = nke_remaining(deadline);
        struct timeval tv;
        fd_set rd, wr;
        int r, maxfd = fd > cancel_fd ? fd : cancel_fd;
        if (left <= 0)
            return -1;
        tv.tv_sec = (time_t)left;
        tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6) + 1;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_SET(fd, for_write ? &wr : &rd);
        if (cancel_fd >= 0)
            FD_SET(cancel_fd, &rd);
        r = select(maxfd + 1, &rd, &wr, NULL, &tv);
        if (r > 0)
            return cancel_fd >= 0 && FD_ISSET(cancel_fd, &rd) ? -1 : 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int nke_tls_again(gnutls_session_t tls, int fd, int r, const struct timespec *deadline,
                  int cancel_fd)
{
    if (r >= 0 || gnutls_error_is_fatal(r) || r == GNUTLS_E_REHANDSHAKE)
        return 0;
    if (nke_remaining(deadline) <= 0)
        return -1;
    /* After a warning alert, records may already be buffered: no need to wait. */
    if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED && gnutls_record_check_pending(tls) > 0)
        return 1;
    return nke_wait(fd, gnutls_record_get_direction(tls), deadline, cancel_fd) < 0 ? -1 : 1;
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
