#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/ntp/ and fuzz/corpus/ntp_server/: truncated, oversized,
bad-version, every mode, malformed extension fields, MAC trailers and valid v1-v4 requests."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def header(version=4, mode=3, leap=0, stratum=0, poll=6, tx=(0xE8F00000, 0x12345678)):
    return struct.pack(">BBbb", leap << 6 | version << 3 | mode, stratum, poll, -20) + \
        b"\0" * 36 + struct.pack(">II", *tx)


def ef(ftype, length, body_len=None):
    body_len = length - 4 if body_len is None else body_len
    return struct.pack(">HH", ftype, length) + b"\x5a" * max(body_len, 0)


def cases():
    h = header()
    yield "trunc_0", b""
    yield "trunc_1", h[:1]
    yield "trunc_47", h[:47]
    yield "oversized_1100", h + b"\0" * (1100 - 48)
    yield "oversized_1144", h + ef(0x2000, 1096)
    yield "max_1140_v3_mac", header(3) + b"\1" * (1140 - 48)
    yield "bad_len_49", h + b"\0"
    for v in (0, 5, 7):
        yield "bad_version_%d" % v, header(v)
    for m in range(8):
        yield "mode_%d_v4" % m, header(4, m)
    yield "mode_6_v2_control", header(2, 6) + b"\0" * 12
    yield "mode_7_v2_private", header(2, 7) + b"\0" * 144
    for v in range(1, 5):
        yield "valid_v%d" % v, header(v, 3)
    yield "v1_mode0", header(1, 0)
    yield "active_v4", header(4, 1, stratum=3)
    yield "zero_tx_v4", header(4, 3, tx=(0, 0))
    yield "ef_len0", h + ef(0x2000, 0, 24)
    yield "ef_len12", h + ef(0x2000, 12, 24)
    yield "ef_len18", h + ef(0x2000, 18, 24)
    yield "ef_past_end", h + ef(0x2000, 64, 24)
    yield "ef_lone16", h + ef(0x2000, 16)
    yield "ef_28_ok", h + ef(0x2000, 28)
    yield "ef_two_then_mac24", h + ef(0x2000, 28) + ef(0xF323, 28) + struct.pack(">I", 7) + b"\x11" * 20
    yield "ef_nts", h + ef(0x0104, 36) + ef(0x0204, 104) + ef(0x0404, 40)
    yield "mac20_v4", h + struct.pack(">I", 1) + b"\x22" * 16
    yield "mac24_v4", h + struct.pack(">I", 2) + b"\x22" * 20
    yield "mac68_v4_bad", h + struct.pack(">I", 3) + b"\x22" * 64
    yield "mac68_v3", header(3) + struct.pack(">I", 3) + b"\x22" * 64
    yield "trailer12_v4", h + b"\x33" * 12
    yield "crypto_nak_v4", h + b"\0" * 4
    yield "mssntp_v3", header(3) + struct.pack(">I", 0x400) + b"\0" * 16
    yield "mssntp_ext_v3", header(3) + struct.pack(">II", 0x400, 1) + b"\0" * 64


def main():
    for target in ("ntp", "ntp_server"):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in cases():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
