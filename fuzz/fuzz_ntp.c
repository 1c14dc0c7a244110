/* Fuzz target for the NTP packet decoder (src/proto/ntp) with a decode -> encode -> decode
 * oracle on the header and consistency checks on the reported layout. */
#include "proto/ntp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_layout(const struct ntp_packet_info *info, size_t size)
{
    size_t end = NTP_HEADER_LEN;
    unsigned n = info->n_efs < NTP_INFO_MAX_EFS ? info->n_efs : NTP_INFO_MAX_EFS;

    if (info->len != size)
        abort();
    for (unsigned i = 0; i < n; i++) {
        const struct ntp_ef_ref *ef = &info->efs[i];
        if (ef->offset != end || ef->len < NTP_EF_MIN_LEN || ef->len % 4 != 0 ||
            (size_t)ef->offset + ef->len > size)
            abort();
        end += ef->len;
    }
    if (info->mac != NTP_MAC_NONE) {
        if (info->mac_len < 4 || info->mac_offset + info->mac_len != size)
            abort();
        if (info->n_efs <= NTP_INFO_MAX_EFS && info->mac_offset != end)
            abort();
    } else if (info->n_efs <= NTP_INFO_MAX_EFS && end != size) {
        abort();
    }
}

/* Field by field: the structs have padding that memcmp would read. */
static int packets_equal(const struct ntp_packet *a, const struct ntp_packet *b)
{
    return a->leap == b->leap && a->version == b->version && a->mode == b->mode &&
           a->stratum == b->stratum && a->poll == b->poll && a->precision == b->precision &&
           a->root_delay == b->root_delay && a->root_dispersion == b->root_dispersion &&
           a->ref_id == b->ref_id && ntp_ts64_equal(&a->ref_ts, &b->ref_ts) &&
           ntp_ts64_equal(&a->origin_ts, &b->origin_ts) && ntp_ts64_equal(&a->rx_ts, &b->rx_ts) &&
           ntp_ts64_equal(&a->tx_ts, &b->tx_ts);
}

static int infos_equal(const struct ntp_packet_info *a, const struct ntp_packet_info *b)
{
    unsigned n = a->n_efs < NTP_INFO_MAX_EFS ? a->n_efs : NTP_INFO_MAX_EFS;
    if (a->verdict != b->verdict || a->len != b->len || a->n_efs != b->n_efs ||
        a->has_nts != b->has_nts || a->mac != b->mac || a->mac_offset != b->mac_offset ||
        a->mac_len != b->mac_len || a->mac_key_id != b->mac_key_id)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        if (a->efs[i].type != b->efs[i].type || a->efs[i].len != b->efs[i].len ||
            a->efs[i].offset != b->efs[i].offset)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntp_packet pkt, again;
    struct ntp_packet_info info, info2;
    uint8_t buf[NTP_MAX_PACKET_LEN];

    if (ntp_decode(data, size, &pkt, &info) != NTP_OK)
        return 0;
    check_layout(&info, size);
    /* Re-encoding the header reproduces the input bytes exactly. */
    if (ntp_encode(&pkt, buf, sizeof(buf)) != NTP_HEADER_LEN)
        abort();
    if (memcmp(buf, data, NTP_HEADER_LEN) != 0)
        abort();
    /* The trailer is copied verbatim, so the re-assembled packet decodes identically. */
    memcpy(buf + NTP_HEADER_LEN, data + NTP_HEADER_LEN, size - NTP_HEADER_LEN);
    if (ntp_decode(buf, size, &again, &info2) != NTP_OK)
        abort();
    if (!packets_equal(&pkt, &again) || !infos_equal(&info, &info2))
        abort();
    return 0;
}
