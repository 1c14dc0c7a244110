/* Benchmark: cost of answering one NTP client request in the pure responder,
 * as a ratio against a baseline measured in the same run (decode + encode of
 * the same 48-byte packet, the minimum any server must do). */
#include "core/ntp_server.h"
#include "proto/ntp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void)
{
    enum { N = 2000000 };
    uint8_t req[48], out[NTP_MAX_PACKET_LEN];
    struct ntp_server_ref ref;
    struct ntp_server_counters c;
    struct timespec rx = {1700000000, 0};
    volatile size_t sink = 0;
    double t0, base, resp;
    memset(req, 0, sizeof(req));
    req[0] = (4 << 3) | 3;
    req[40] = 0xAB;
    memset(&c, 0, sizeof(c));
    ntp_server_ref_local(&ref, 10, &rx, -25);

    t0 = now_s();
    for (int i = 0; i < N; i++) {
        struct ntp_packet p;
        req[47] = (uint8_t)i;
        ntp_decode(req, sizeof(req), &p, NULL);
        sink += ntp_encode(&p, out, sizeof(out));
    }
    base = (now_s() - t0) / N;

    t0 = now_s();
    for (int i = 0; i < N; i++) {
        enum ntp_drop_reason why;
        req[47] = (uint8_t)i;
        rx.tv_nsec = i;
        sink += ntp_server_respond(&ref, req, sizeof(req), &rx, out, sizeof(out), &why, &c);
        ntp_server_set_tx(out, 48, &rx);
    }
    resp = (now_s() - t0) / N;
    printf("responder: %.1f ns/request, baseline decode+encode: %.1f ns, ratio %.2f\n", resp * 1e9,
           base * 1e9, resp / base);
    return sink == 0;
}
