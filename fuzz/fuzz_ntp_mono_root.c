/* Fuzz target for chrony's experimental extension field 0xF323 (src/proto/ntp): the finder
 * runs on any decodable packet, and a field it finds is appended to a fresh header and found
 * again with the same values (find -> append -> find oracle); the 4.28 fixed-point
 * conversions round-trip within their resolution. */
#include "proto/ntp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fields_equal(const struct ntp_ef_mono_root *a, const struct ntp_ef_mono_root *b)
{
    return a->root_delay == b->root_delay && a->root_dispersion == b->root_dispersion &&
           ntp_ts64_equal(&a->mono_rx, &b->mono_rx) && a->mono_epoch == b->mono_epoch;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntp_packet_info info;
    struct ntp_ef_mono_root ef, again;
    uint8_t buf[NTP_HEADER_LEN + 28];
    size_t len;
    double d;

    if (ntp_decode(data, size, NULL, &info) != NTP_OK)
        return 0;
    if (ntp_ef_mono_root_find(data, &info, &ef) != NTP_OK)
        return 0;
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = 4 << 3 | 3;
    len = ntp_ef_mono_root_append(buf, NTP_HEADER_LEN, sizeof(buf), &ef);
    if (len != sizeof(buf) || ntp_decode(buf, len, NULL, &info) != NTP_OK ||
        ntp_ef_mono_root_find(buf, &info, &again) != NTP_OK || !fields_equal(&ef, &again))
        abort();
    d = ntp_f28_to_double(ef.root_delay);
    if (!(d >= 0.0) || (ef.root_delay != 0xFFFFFFFFu && ntp_f28_from_double(d) != ef.root_delay))
        abort();
    return 0;
}
