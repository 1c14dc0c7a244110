/* Fuzz target: the address text parsers every allow/deny/bind line and many
 * chronyc arguments go through (lib/addr.h). Oracles: no crash; an accepted
 * address formats to text that parses back to the same address; prefixes
 * and IPv4 octet shorthands stay within the address size. */
#include "lib/addr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longer than any address or prefix; longer inputs only test strlen. */
#define FUZZ_MAX_INPUT 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[FUZZ_MAX_INPUT + 1], out[IP_ADDR_STRLEN];
    struct ip_addr ip, ip2;
    int bits, n_octets;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    memset(&ip, 0, sizeof(ip));
    if (ip_addr_parse(&ip, text)) {
        if (ip.family != IPF_INET4 && ip.family != IPF_INET6)
            abort();
        ip_addr_format(&ip, out, sizeof(out));
        memset(&ip2, 0, sizeof(ip2));
        if (!ip_addr_parse(&ip2, out) || !ip_addr_equal(&ip, &ip2) || ip_addr_cmp(&ip, &ip2))
            abort();
        (void)ip_addr_hash(&ip);
        (void)ip_addr_is_loopback(&ip);
    }
    memset(&ip, 0, sizeof(ip));
    if (ip_prefix_parse(&ip, &bits, text)) {
        if (bits < -1 || bits > ip_addr_bits(ip.family))
            abort();
        ip_addr_format(&ip, out, sizeof(out));
        if (bits >= 0) {
            ip2 = ip;
            ip_addr_mask(&ip2, bits);
            if (!ip_addr_prefix_match(&ip, &ip2, bits))
                abort();
        }
    }
    memset(&ip, 0, sizeof(ip));
    if (ip_addr_parse_v4_octets(&ip, &n_octets, text, 4) && (n_octets < 1 || n_octets > 4))
        abort();
    return 0;
}
