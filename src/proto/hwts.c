/* NIC hardware timestamping: the kernel's values (see hwts.h). */
#include "proto/hwts.h"

#include <string.h>

static int has(uint32_t mask, int filter)
{
    return (mask >> filter) & 1u;
}

int32_t hwts_choose_rx_filter(enum hwts_rxfilter_opt opt, uint32_t rx_filters)
{
    switch (opt) {
    case HWTS_RXF_ANY:
        if (has(rx_filters, HWTS_FILTER_NTP_ALL))
            return HWTS_FILTER_NTP_ALL;
        return has(rx_filters, HWTS_FILTER_ALL) ? HWTS_FILTER_ALL : HWTS_FILTER_NONE;
    case HWTS_RXF_NONE:
        return HWTS_FILTER_NONE;
    case HWTS_RXF_NTP:
        return HWTS_FILTER_NTP_ALL;
    case HWTS_RXF_PTP:
        if (has(rx_filters, HWTS_FILTER_PTP_V2_L4_EVENT))
            return HWTS_FILTER_PTP_V2_L4_EVENT;
        return has(rx_filters, HWTS_FILTER_PTP_V2_EVENT) ? HWTS_FILTER_PTP_V2_EVENT
                                                         : HWTS_FILTER_NONE;
    default:
        return HWTS_FILTER_ALL;
    }
}

struct hwts_config hwts_config_request(int32_t rx_filter)
{
    struct hwts_config c;

    memset(&c, 0, sizeof(c));
    c.tx_type = HWTS_TX_ON;
    c.rx_filter = rx_filter;
    return c;
}

int hwts_config_is(const struct hwts_config *got, int32_t rx_filter)
{
    return got->tx_type == HWTS_TX_ON && got->rx_filter == rx_filter;
}
