/* NTP timestamp formats (RFC 5905 §6) and their conversion to struct timespec.
 * The 64-bit format counts seconds since 1900-01-01 modulo 2^32 (one era is
 * about 136 years); converting back maps it into a fixed window of one era. */
#ifndef LIB_NTP_TIME_H
#define LIB_NTP_TIME_H

#include <stdint.h>
#include <time.h>

/* Seconds from 1900-01-01 to 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800UL

/* Start of the era window (Unix time, s): received NTP timestamps are mapped into
 * [NTP_ERA_SPLIT, NTP_ERA_SPLIT + 2^32 s), whatever the local clock reads, so a
 * machine booting with its clock at 1970 or far in the future still resolves the
 * server's time. chrony's configure sets this split to the build time minus
 * 50 * 365 days (--with-ntp-era overrides it); a build time would make builds
 * irreproducible, so ours is fixed at what a chrony built on 2026-01-01T00:00:00Z
 * gets: 1976-01-14T00:00:00Z, a window ending 2112-02-20T06:28:16Z. */
#define NTP_ERA_SPLIT 190425600LL

struct ntp_ts64 {
    uint32_t sec;  /* seconds since 1900, modulo 2^32 */
    uint32_t frac; /* units of 2^-32 s */
};

/* Zero stands for "not set" on the wire (RFC 5905 §7.3). */
int ntp_ts64_is_zero(const struct ntp_ts64 *t);
int ntp_ts64_equal(const struct ntp_ts64 *a, const struct ntp_ts64 *b);
void ntp_ts64_from_timespec(struct ntp_ts64 *out, const struct timespec *ts);
/* Convert to Unix time in the era window above (chrony's UTI_Ntp64ToTimespec).
 * Zero ("not set") gives a zero timespec. */
void ntp_ts64_to_timespec(struct timespec *out, const struct ntp_ts64 *t);
/* a - b in seconds, for timestamps less than 68 years apart. */
double ntp_ts64_diff(const struct ntp_ts64 *a, const struct ntp_ts64 *b);
void ntp_ts64_to_bytes(uint8_t out[8], const struct ntp_ts64 *t);
void ntp_ts64_from_bytes(struct ntp_ts64 *out, const uint8_t in[8]);

/* NTP short format (16.16 unsigned seconds) for root delay and dispersion.
 * from_double saturates at the representable range [0, 65535.99998]. */
double ntp_short_to_double(uint32_t v);
uint32_t ntp_short_from_double(double s);

/* Signed log2 seconds (poll, precision) to seconds. */
double ntp_log2_to_double(int log2);

#endif
