/* The NTS state of one NTP source (RFC 8915 §5, chrony's nts_ntp_client): keys and cookies
 * from the last NTS-KE session, when a new session is due, the extension fields of each
 * request and the check of each response. Pure: the daemon runs the NTS-KE sessions and
 * passes in time and random bytes. */
#ifndef CORE_NTS_CLIENT_H
#define CORE_NTS_CLIENT_H

#include "core/nts_ntp.h"
#include "proto/nts_ke.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Random bytes one request needs: unique identifier + nonce. */
#define NTS_CLIENT_RANDOM_LEN (NTS_UID_LEN + NTS_NONCE_LEN)

struct nts_client {
    int have_keys;
    struct nts_keys keys;
    struct nts_cookie cookies[NTS_MAX_COOKIES]; /* ring, oldest at first */
    int first, n_cookies;
    uint8_t uid[NTS_UID_LEN]; /* of the request awaiting its response */
    int uid_valid;
    int nak;             /* the server said it cannot decrypt our cookies */
    uint32_t ke_counter; /* completed NTS-KE sessions (chronyc authdata KeyID) */
    int ke_attempts;     /* failed sessions since the last good one */
    int ke_running;
    struct timespec last_ke; /* when the keys were established (timer timescale) */
    struct timespec next_ke_retry;
    double refresh;                       /* s, `ntsrefresh`: keys are renewed after this long */
    char ntp_server[NTS_MAX_SERVER_NAME]; /* NTPv4 server negotiated, "" = the KE server */
    int ntp_port;                         /* negotiated port, 0 = none */
};

void nts_client_init(struct nts_client *n, double refresh);
/* Forget keys and cookies (wiped). */
void nts_client_reset(struct nts_client *n);

/* Whether an NTS-KE session should start now: no keys, no cookies, a NAK, or keys older
 * than `refresh`; not while one runs or before the retry time after a failure. */
int nts_client_need_ke(const struct nts_client *n, const struct timespec *now);
void nts_client_ke_started(struct nts_client *n);
/* A session ended. On success the keys and cookies replace the old ones; on failure the
 * next attempt waits 16 s, doubling with each failure (at most 2^15 times, never more
 * than `refresh`). */
void nts_client_ke_done(struct nts_client *n, const struct timespec *now, int ok,
                        const struct nts_ke_response *resp, const uint8_t *c2s, const uint8_t *s2c,
                        size_t key_len);

/* Whether a request can be authenticated now (keys and a cookie). */
int nts_client_ready(const struct nts_client *n);

/* Append the NTS fields to the request pkt[0..len) (NTPv4 header), using one cookie and
 * asking for enough new ones to refill the store. rnd gives the unique identifier and the
 * nonce (NTS_CLIENT_RANDOM_LEN cryptographically random bytes). Returns the new length,
 * 0 if not ready or it does not fit. */
size_t nts_client_sign_request(struct nts_client *n, uint8_t *pkt, size_t len, size_t cap,
                               const uint8_t rnd[NTS_CLIENT_RANDOM_LEN]);

/* Check a response to our last request (RFC 5905 test 5 for NTS): authentic and answering
 * it; its cookies are stored. After a NAK nothing is signed until a new NTS-KE session.
 * Returns 1 if authentic. */
int nts_client_check_response(struct nts_client *n, const uint8_t *pkt, size_t len);

/* The `ntsdumpdir` file of a source (chrony's NNC0 format): name, the time of the last
 * NTS-KE session (s since 1970), the NTP server address and port, the session counter, the
 * AEAD and the S2C/C2S keys in hex, then one cookie per line in hex. Returns a malloc'd text,
 * or NULL when there is nothing to save (no keys or no cookies). */
char *nts_client_dump(const struct nts_client *n, const char *name, const char *ntp_addr,
                      int ntp_port, double ke_time);
/* Load such a text written for `name`: keys, cookies and counter replace n's; the NTP
 * address (up to addr_len - 1 characters), port and the session time (s since 1970) are
 * returned. Returns 1, or 0 (n unchanged) for a file of another name or a malformed one. */
int nts_client_load(struct nts_client *n, const char *text, size_t len, const char *name,
                    char *ntp_addr, size_t addr_len, int *ntp_port, double *ke_time);

/* chronyc authdata: AEAD id, key bits, cookies, cookie length, NAK flag. */
void nts_client_get_report(const struct nts_client *n, int *aead, int *key_bits, int *cookies,
                           int *cookie_len, int *nak);

#endif
