/* Fuzz target for chrony 4.8's experimental extension field 0xF324 (src/proto/ntp): the
 * finder runs on any decodable packet; a correction it finds is appended to a fresh header
 * and found again (exactly when it needs no more than a double's 53 bits, else within a
 * relative 1e-9), and the client's computation on it never makes the delay negative or
 * moves the offset by more than the delay. */
#include "core/ntp_client.h"
#include "proto/ntp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntp_packet_info info;
    uint8_t buf[NTP_HEADER_LEN + 28];
    double corr, again, off = 0.0, delay = 1e-3;
    size_t len;
    int r;

    if (ntp_decode(data, size, NULL, &info) != NTP_OK)
        return 0;
    if (ntp_ef_net_correction_find(data, &info, &corr) != NTP_OK)
        return 0;
    memset(buf, 0, NTP_HEADER_LEN);
    buf[0] = 4 << 3 | 3;
    len = ntp_ef_net_correction_append(buf, NTP_HEADER_LEN, sizeof(buf), corr);
    if (len != sizeof(buf) || ntp_decode(buf, len, NULL, &info) != NTP_OK ||
        ntp_ef_net_correction_find(buf, &info, &again) != NTP_OK)
        abort();
    if (fabs(corr) < 1048576.0 ? again != corr : fabs(again - corr) > 1e-9 * fabs(corr))
        abort();
    r = ntp_client_apply_net_correction(corr, corr / 3.0, 1e-6, 1e-7, &off, &delay);
    if (r == 1 ? !(delay >= 1e-7 && delay <= 1e-3 && fabs(off) <= 1e-3)
               : off != 0.0 || delay != 1e-3)
        abort();
    return 0;
}
