/* Fuzz target for the NTP-over-PTP codec (src/proto/ptp): the first byte picks the domain
 * we accept, the rest is a received datagram. What decodes is encoded again from its NTP
 * packet, domain and sequence (decode -> encode -> decode oracle): the NTP bytes and the
 * fields chrony sets must come back, and an encoded Delay_Req always decodes. */
#include "proto/ptp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[PTP_NTP_PREFIX_LEN + 65536];
    struct ptp_ntp_msg m, again;
    uint8_t domain;
    size_t len;

    if (size < 1)
        return 0;
    domain = data[0];
    data++;
    size--;
    if (ptp_ntp_decode(data, size, domain, &m) != PTP_OK)
        return 0;
    if (m.ntp_offset != PTP_NTP_PREFIX_LEN || m.ntp_offset + m.ntp_len != size ||
        m.domain != domain || m.flags != PTP_FLAG_UNICAST)
        abort();
    len = ptp_ntp_encode(buf, sizeof(buf), data + m.ntp_offset, m.ntp_len, m.domain, m.sequence);
    if (len != size)
        abort();
    if (ptp_ntp_decode(buf, len, domain, &again) != PTP_OK || again.sequence != m.sequence ||
        again.type != PTP_TYPE_DELAY_REQ || again.version != PTP_VERSION_2 ||
        again.correction != 0 || again.ntp_len != m.ntp_len ||
        memcmp(buf + again.ntp_offset, data + m.ntp_offset, m.ntp_len) != 0)
        abort();
    /* Another domain is refused. */
    if (ptp_ntp_decode(buf, len, (uint8_t)(domain + 1), &again) != PTP_BAD_DOMAIN)
        abort();
    return 0;
}
