/* The Linux kernel's interface of NIC hardware timestamping (`hwtimestamp`), computed here
 * so that it can be checked against <linux/net_tstamp.h> (tests/unit/test_hwts.c): the
 * SIOCSHWTSTAMP/SIOCGHWTSTAMP configuration, the receive filter chosen as chrony does, the
 * SO_TIMESTAMPING flags and the SCM_TIMESTAMPING_PKTINFO message. Pure: values and layouts;
 * the platform makes the calls. */
#ifndef PROTO_HWTS_H
#define PROTO_HWTS_H

#include <stdint.h>

/* <linux/sockios.h> */
#define HWTS_SIOCSHWTSTAMP 0x89b0
#define HWTS_SIOCGHWTSTAMP 0x89b1

/* enum hwtstamp_tx_types */
#define HWTS_TX_OFF 0
#define HWTS_TX_ON 1

/* enum hwtstamp_rx_filters (the ones chrony asks for) */
#define HWTS_FILTER_NONE 0
#define HWTS_FILTER_ALL 1
#define HWTS_FILTER_PTP_V2_L4_EVENT 6
#define HWTS_FILTER_PTP_V2_EVENT 12
#define HWTS_FILTER_NTP_ALL 15

/* SOF_TIMESTAMPING_* */
#define HWTS_SOF_TX_HARDWARE (1u << 0)
#define HWTS_SOF_TX_SOFTWARE (1u << 1)
#define HWTS_SOF_RX_HARDWARE (1u << 2)
#define HWTS_SOF_RX_SOFTWARE (1u << 3)
#define HWTS_SOF_SOFTWARE (1u << 4)
#define HWTS_SOF_RAW_HARDWARE (1u << 6)
#define HWTS_SOF_OPT_ID (1u << 7)
#define HWTS_SOF_OPT_CMSG (1u << 10)
#define HWTS_SOF_OPT_TSONLY (1u << 11)
#define HWTS_SOF_OPT_PKTINFO (1u << 13)
/* What an interface must offer (ETHTOOL_GET_TS_INFO so_timestamping) to be used. */
#define HWTS_SOF_NEEDED (HWTS_SOF_RX_HARDWARE | HWTS_SOF_TX_HARDWARE | HWTS_SOF_RAW_HARDWARE)

/* struct hwtstamp_config */
struct hwts_config {
    int32_t flags;
    int32_t tx_type;
    int32_t rx_filter;
};

/* struct scm_ts_pktinfo: the interface and layer-2 length of a hardware-timestamped
 * datagram (SCM_TIMESTAMPING_PKTINFO). */
struct hwts_pktinfo {
    uint32_t if_index;
    uint32_t pkt_length;
    uint32_t reserved[2];
};
#define HWTS_SCM_TIMESTAMPING_PKTINFO 58

/* The `rxfilter` option (chrony.conf order: any is the default). */
enum hwts_rxfilter_opt {
    HWTS_RXF_ANY = 0,
    HWTS_RXF_NONE,
    HWTS_RXF_NTP,
    HWTS_RXF_PTP,
    HWTS_RXF_ALL
};

/* chrony's choice of the receive filter from the option and the interface's supported
 * filters (ETHTOOL_GET_TS_INFO rx_filters, bit n = filter n): any takes NTP_ALL, else ALL,
 * else none; ptp takes PTP_V2_L4_EVENT, else PTP_V2_EVENT, else none; ntp and all are
 * asked as they are. */
int32_t hwts_choose_rx_filter(enum hwts_rxfilter_opt opt, uint32_t rx_filters);
/* The SIOCSHWTSTAMP request: transmit timestamps on, the receive filter rx_filter. */
struct hwts_config hwts_config_request(int32_t rx_filter);
/* 1 if a configuration read back (SIOCGHWTSTAMP) is what was asked (chrony accepts an
 * interface that refuses SIOCSHWTSTAMP but is already configured so). */
int hwts_config_is(const struct hwts_config *got, int32_t rx_filter);

#endif
