/* `hwtimestamp` on Linux (env.hwts), as chrony's ntp_io_linux.c: an interface is asked
 * (SIOCGIFINDEX, ETHTOOL_GET_TS_INFO) for raw hardware RX and TX timestamps and a PHC, its
 * receive filter chosen from the `rxfilter` option (proto/hwts.c), and hardware timestamping
 * switched on (SIOCSHWTSTAMP, or found already on with SIOCGHWTSTAMP). From then on the UDP
 * sockets opened ask for hardware timestamps too (net.c). */
#include "platform/internal.h"

#include "lib/mem.h"
#include "proto/hwts.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The interface's request block, or -1 if the name does not fit. */
static int set_name(struct ifreq *req, const char *name)
{
    memset(req, 0, sizeof(*req));
    if (strlen(name) >= sizeof(req->ifr_name))
        return -1;
    memcpy(req->ifr_name, name, strlen(name) + 1);
    return 0;
}

/* The interface's timestamping capabilities: 1 if it can, 0 if not (a debug line says why). */
static int get_ts_info(struct platform *p, int sock, const char *name, struct ethtool_ts_info *info,
                       int *if_index)
{
    struct ifreq req;

    if (set_name(&req, name) < 0)
        return 0;
    if (ioctl(sock, SIOCGIFINDEX, &req) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCGIFINDEX", strerror(errno));
        return 0;
    }
    *if_index = req.ifr_ifindex;
    memset(info, 0, sizeof(*info));
    info->cmd = ETHTOOL_GET_TS_INFO;
    req.ifr_data = (char *)info;
    if (ioctl(sock, SIOCETHTOOL, &req) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCETHTOOL", strerror(errno));
        return 0;
    }
    if ((info->so_timestamping & HWTS_SOF_NEEDED) != HWTS_SOF_NEEDED) {
        LOG_DEBUG(&p->logger, "HW timestamping not supported on %s", name);
        return 0;
    }
    if (info->phc_index < 0) {
        LOG_DEBUG(&p->logger, "PHC missing on %s", name);
        return 0;
    }
    return 1;
}

/* SIOCSHWTSTAMP with transmit timestamps on and rx_filter; an interface that only lets its
 * configuration be read is accepted when it is already so (chrony). */
static int configure(struct platform *p, int sock, const char *name, int32_t rx_filter)
{
    struct hwts_config want = hwts_config_request(rx_filter), got;
    struct ifreq req;

    if (set_name(&req, name) < 0)
        return 0;
    req.ifr_data = (char *)&want;
    if (ioctl(sock, HWTS_SIOCSHWTSTAMP, &req) == 0)
        return 1;
    if (errno == EPERM)
        LOG_ERR(&p->logger, "ioctl(%s) failed : %s", "SIOCSHWTSTAMP", strerror(errno));
    else
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCSHWTSTAMP", strerror(errno));
    memset(&got, 0, sizeof(got));
    req.ifr_data = (char *)&got;
    return ioctl(sock, HWTS_SIOCGHWTSTAMP, &req) == 0 && hwts_config_is(&got, rx_filter);
}

static int hwts_enable(void *ctx, const char *name, int rxfilter, struct env_hwts_info *out)
{
    struct platform *p = ctx;
    struct ethtool_ts_info info;
    int sock = socket(AF_INET, SOCK_DGRAM, 0), if_index = 0, ok;
    int32_t rx_filter;

    if (sock < 0) {
        LOG_ERR(&p->logger, "Could not open socket : %s", strerror(errno));
        return 0;
    }
    ok = get_ts_info(p, sock, name, &info, &if_index);
    if (ok) {
        rx_filter = hwts_choose_rx_filter((enum hwts_rxfilter_opt)rxfilter, info.rx_filters);
        ok = configure(p, sock, name, rx_filter);
    }
    close(sock);
    if (!ok)
        return 0;
    out->if_index = if_index;
    out->rx_filter = rx_filter;
    p->hwts_on = 1;
    return 1;
}

static char **hwts_list(void *ctx, int *n)
{
    struct platform *p = ctx;
    struct ifaddrs *ifas = NULL;
    char **names = NULL;
    int count = 0;

    *n = 0;
    if (getifaddrs(&ifas) < 0) {
        LOG_DEBUG(&p->logger, "getifaddrs() failed : %s", strerror(errno));
        return NULL;
    }
    for (struct ifaddrs *a = ifas; a; a = a->ifa_next) {
        int seen = !a->ifa_name;
        for (int i = 0; i < count && !seen; i++)
            seen = strcmp(names[i], a->ifa_name) == 0;
        if (seen)
            continue;
        names = xrealloc(names, (size_t)(count + 1) * sizeof(*names));
        names[count++] = xstrdup(a->ifa_name);
    }
    freeifaddrs(ifas);
    *n = count;
    return names;
}

static int hwts_link_speed(void *ctx, const char *name)
{
    struct platform *p = ctx;
    struct ethtool_cmd cmd;
    struct ifreq req;
    int sock, speed;

    if (set_name(&req, name) < 0 || (sock = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
        return 0;
    memset(&cmd, 0, sizeof(cmd));
    cmd.cmd = ETHTOOL_GSET;
    req.ifr_data = (char *)&cmd;
    if (ioctl(sock, SIOCETHTOOL, &req) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCETHTOOL", strerror(errno));
        close(sock);
        return 0;
    }
    close(sock);
    speed = (int)ethtool_cmd_speed(&cmd);
    return speed > 0 && speed != (int)SPEED_UNKNOWN ? speed : 0;
}

void plat_hwts_init(struct platform *p)
{
    p->env.hwts = (struct env_hwts){p, hwts_enable, hwts_list, hwts_link_speed};
}
