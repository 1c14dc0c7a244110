/* Fuzz target: the client log (per-address accounting and rate limiting),
 * which every NTP and command request from the network reaches. Hostile
 * senders choose addresses and timing, so the input drives a sequence of
 * operations on one log.
 *
 * Input: 8 bytes of parameters, then 8-byte operations.
 *   p[0] bit 0: active; bits 1-3: which services are rate limited;
 *   p[1]: clientloglimit = 2^(p[1] % 28) bytes;
 *   p[2..7]: interval (signed) and burst of the three services (leak = burst % 5).
 *   op[0] % 6: 0-2 log an access of service op[0] % 3 then maybe limit it,
 *              3 count an NTP response, 4 report index, 5 advance time;
 *   op[1]: address family and time step; op[2..7]: address or index bytes.
 * Oracle: no crash or leak, the global hit counters equal the number of
 * accesses logged, and reports only come from valid indices. */
#include "core/clientlog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PARAM_LEN 8
#define OP_LEN 8
/* Enough operations to fill and double small tables, few enough to stay fast. */
#define MAX_OPS 4096

static void make_addr(const uint8_t *op, struct ip_addr *ip)
{
    memset(ip, 0, sizeof(*ip));
    switch (op[1] & 3) {
    case 0:
        ip->family = IPF_INET4;
        memcpy(ip->a, op + 2, 4);
        break;
    case 1:
        ip->family = IPF_INET6;
        memcpy(ip->a, op + 2, 6);
        memcpy(ip->a + 10, op + 2, 6);
        break;
    case 2:
        /* few distinct addresses: many hits on the same records */
        ip->family = IPF_INET4;
        ip->a[0] = 10;
        ip->a[3] = op[2] & 7;
        break;
    default:
        ip->family = IPF_UNSPEC; /* the Unix command socket */
        break;
    }
}

static void params_from(const uint8_t *p, struct clientlog_params *cp)
{
    memset(cp, 0, sizeof(*cp));
    cp->active = p[0] & 1;
    cp->limit_bytes = 1ul << (p[1] % 28);
    for (int s = 0; s < CLOG_N_SERVICES; s++) {
        cp->limits[s].enabled = cp->active && (p[0] >> (1 + s) & 1);
        cp->limits[s].interval = (int8_t)p[2 + 2 * s] % 40;
        cp->limits[s].burst = p[3 + 2 * s];
        cp->limits[s].leak = p[3 + 2 * s] % 5;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clientlog_params cp;
    struct clientlog *cl;
    struct clientlog_stats st;
    struct timespec now = {1700000000, 0};
    uint64_t logged[CLOG_N_SERVICES] = {0, 0, 0};
    size_t n_ops;

    if (size < PARAM_LEN)
        return 0;
    params_from(data, &cp);
    cl = clientlog_new(&cp, 7);
    if (!cl)
        abort(); /* params_from never asks for limits on an inactive log */
    n_ops = (size - PARAM_LEN) / OP_LEN;
    if (n_ops > MAX_OPS)
        n_ops = MAX_OPS;
    for (size_t i = 0; i < n_ops; i++) {
        const uint8_t *op = data + PARAM_LEN + i * OP_LEN;
        struct ip_addr ip;
        struct clientlog_report r;
        int kind = op[0] % 6, idx, n;
        uint32_t index;

        switch (kind) {
        case 0:
        case 1:
        case 2:
            make_addr(op, &ip);
            idx = clientlog_log_access(cl, (enum clientlog_service)kind, &ip, &now);
            logged[kind]++;
            if (idx >= 0 && idx >= clientlog_n_indices(cl))
                abort();
            if (op[0] & 0x80)
                clientlog_limit_rate(cl, (enum clientlog_service)kind, idx);
            break;
        case 3:
            clientlog_count_ntp(cl, op[1] & 1, op[1] >> 1 & 1, op[2] % 3, (int)(op[3] % 4) - 1);
            break;
        case 4:
            n = clientlog_n_indices(cl);
            index = (uint32_t)op[2] | (uint32_t)op[3] << 8 | (uint32_t)op[4] << 16;
            if (op[5] & 1)
                index = 0xffffffffu - op[6];
            if (clientlog_report_index(cl, index, op[1] & 1, op[7] % 4, &now, &r) &&
                (n < 0 || index >= (uint32_t)n))
                abort();
            break;
        default:
            /* forward in steps from 1/64 s to ~2^20 s, sometimes backwards */
            if (op[1] & 0x80) {
                now.tv_sec -= op[2];
            } else {
                now.tv_sec += (time_t)op[2] << (op[1] & 15);
                now.tv_nsec = (long)(op[3] % 64) * 15625000L;
            }
            break;
        }
    }
    clientlog_get_stats(cl, &st);
    for (int s = 0; s < CLOG_N_SERVICES; s++)
        if (st.hits[s] != logged[s])
            abort();
    (void)clientlog_ntp_min_poll(cl);
    clientlog_free(cl);
    return 0;
}
