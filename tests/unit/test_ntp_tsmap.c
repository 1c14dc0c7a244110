/* Unit tests for src/core/ntp_tsmap.c (the interleaved-mode timestamp table) and the
 * interleaved parts of the responder: detecting an interleaved request and filling the
 * reply from the previous reply's transmit time. */
#include "check.h"

#include "core/ntp_server.h"
#include "core/ntp_tsmap.h"
#include "proto/ntp.h"

#include <string.h>

static void test_table(void)
{
    struct ntp_tsmap m;
    struct ntp_ts64 a = {100, 0x12345679}, b = {101, 0x0badf00d};
    struct timespec ta = {1700000000, 5000}, tb = {1700000001, 7000}, out;
    int src = -1;

    ntp_tsmap_init(&m, 1000); /* rounded down to 512 */
    CHECK_INT_EQ(m.mask, 511);
    CHECK(!ntp_tsmap_take(&m, &a, &out, &src));
    ntp_tsmap_save(&m, &a, &ta, 1);
    ntp_tsmap_save(&m, &b, &tb, 0);
    CHECK_INT_EQ(ntp_tsmap_count(&m), 2);
    CHECK_NEAR(ntp_tsmap_span(&m), 1.0 + (0x0badf00d - 0x12345679) / 4294967296.0, 1e-9);
    CHECK(ntp_tsmap_take(&m, &a, &out, &src));
    CHECK(out.tv_sec == ta.tv_sec && out.tv_nsec == ta.tv_nsec && src == 1);
    /* One answer per reply. */
    CHECK(!ntp_tsmap_take(&m, &a, &out, &src));
    CHECK_INT_EQ(ntp_tsmap_count(&m), 1);
    ntp_tsmap_fini(&m);
    /* Disabled table. */
    ntp_tsmap_init(&m, 0);
    ntp_tsmap_save(&m, &a, &ta, 0);
    CHECK(!ntp_tsmap_take(&m, &a, &out, NULL));
    ntp_tsmap_fini(&m);
}

/* A kernel transmit timestamp replaces the daemon's when 0-1 s after it (chrony's
 * update_tx_timestamp), for a held reply only. */
static void test_update(void)
{
    struct ntp_tsmap m;
    struct ntp_ts64 a = {100, 0x12345679}, b = {101, 0x0badf00d};
    struct timespec daemon = {1700000000, 5000}, kernel = {1700000000, 9000}, out;
    struct timespec early = {1700000000, 4000}, late = {1700000001, 6000};
    int src = -1;

    ntp_tsmap_init(&m, 64);
    ntp_tsmap_save(&m, &a, &daemon, 0);
    CHECK(!ntp_tsmap_update(&m, &b, &kernel, 1));
    CHECK(!ntp_tsmap_update(&m, &a, &early, 1));
    CHECK(!ntp_tsmap_update(&m, &a, &late, 1));
    CHECK(ntp_tsmap_update(&m, &a, &kernel, 1));
    CHECK_INT_EQ(ntp_tsmap_count(&m), 1);
    CHECK(ntp_tsmap_take(&m, &a, &out, &src));
    CHECK(out.tv_sec == kernel.tv_sec && out.tv_nsec == kernel.tv_nsec && src == 1);
    CHECK(!ntp_tsmap_update(&m, &a, &kernel, 1));
    ntp_tsmap_fini(&m);
}

static size_t request(uint8_t *buf, int version, uint32_t origin_frac, int rx_eq_tx)
{
    struct ntp_packet p;
    memset(&p, 0, sizeof(p));
    p.version = (uint8_t)version;
    p.mode = NTP_MODE_CLIENT;
    p.origin_ts.sec = 200;
    p.origin_ts.frac = origin_frac;
    p.rx_ts.sec = 300;
    p.tx_ts.sec = rx_eq_tx ? 300 : 301;
    return ntp_encode(&p, buf, NTP_HEADER_LEN);
}

static void test_responder(void)
{
    struct ntp_server_ref ref;
    struct ntp_server_auth auth;
    struct timespec now = {1700000000, 0}, prev = {1699999999, 250000000};
    uint8_t req[48], rep[48];
    struct ntp_packet p;
    enum ntp_drop_reason why;
    size_t len;

    ntp_server_ref_local(&ref, 2, &now, -20);
    len = ntp_server_respond_auth(&ref, NULL, req, request(req, 4, 0x11, 0), 40000, &now, rep,
                                  sizeof(rep), &auth, &why, NULL);
    CHECK_INT_EQ(len, 48);
    CHECK(auth.xleave && auth.origin.sec == 200 && auth.req_rx.sec == 300);
    /* Interleaved reply: origin = the client's receive timestamp, transmit = prev. */
    ntp_server_set_interleaved(rep, len, &auth.req_rx, &prev);
    CHECK_INT_EQ(ntp_decode(rep, len, &p, NULL), NTP_OK);
    CHECK(p.origin_ts.sec == 300 && p.origin_ts.frac == 0);
    CHECK_INT_EQ(p.tx_ts.frac & 1, 0);
    CHECK_NEAR(ntp_ts64_diff(&p.tx_ts, &p.ref_ts), 0.25, 1e-6); /* ref = now - 1 s */
    /* Not interleaved: origin without the marker bit, receive = transmit, or NTPv3. */
    ntp_server_respond_auth(&ref, NULL, req, request(req, 4, 0x10, 0), 40000, &now, rep,
                            sizeof(rep), &auth, &why, NULL);
    CHECK(!auth.xleave);
    ntp_server_respond_auth(&ref, NULL, req, request(req, 4, 0x11, 1), 40000, &now, rep,
                            sizeof(rep), &auth, &why, NULL);
    CHECK(!auth.xleave);
    ntp_server_respond_auth(&ref, NULL, req, request(req, 3, 0x11, 0), 40000, &now, rep,
                            sizeof(rep), &auth, &why, NULL);
    CHECK(!auth.xleave);
}

int main(void)
{
    RUN(test_table);
    RUN(test_update);
    RUN(test_responder);
    return check_summary();
}
