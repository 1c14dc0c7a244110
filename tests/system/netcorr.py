#!/usr/bin/env python3
"""chrony 4.8's experimental extension field 0xF324 (`extfield F324`) from the outside.

  netcorr.py listen ADDR PORT TIMEOUT READYFILE [ptp]
      bind ADDR:PORT, create READYFILE, wait for one datagram (in the NTP-over-PTP
      encapsulation with `ptp`) and describe its NTP packet, or print 'nothing'.
  netcorr.py query SRC DST PORT TIMEOUT [ptp]
      send an NTPv4 client request carrying the field (zero correction) from SRC to
      DST:PORT and describe the reply, or print 'noreply'.

A description: len=N version=V mode=M efs=TYPE,... and, for the first 0xF324 field,
f324=ok|badmagic|badlen corr=SECONDS (the signed 32.32 correction)."""
import os
import socket
import struct
import sys

PREFIX = 48
MAGIC = 0x07AC2CEB


def describe(d):
    out = "len=%d version=%d mode=%d" % (len(d), (d[0] >> 3) & 7, d[0] & 7)
    pos, types, f324 = 48, [], None
    while pos + 4 <= len(d):
        t, ln = struct.unpack(">HH", d[pos:pos + 4])
        if ln < 16 or pos + ln > len(d):
            break
        types.append("%04X" % t)
        if t == 0xF324 and f324 is None:
            body = d[pos + 4:pos + ln]
            if len(body) != 24:
                f324 = "f324=badlen"
            elif struct.unpack(">I", body[:4])[0] != MAGIC:
                f324 = "f324=badmagic"
            else:
                hi, lo = struct.unpack(">iI", body[4:12])
                f324 = "f324=ok corr=%.9f rsv_zero=%d" % (hi + lo / 2.0**32,
                                                          int(body[12:] == bytes(12)))
        pos += ln
    out += " efs=" + (",".join(types) or "none")
    if f324:
        out += " " + f324
    return out


def ptp_wrap(ntp):
    return struct.pack(">BBHBBH8s4s10sHBb10sHH", 1, 2, PREFIX + len(ntp), 123, 0, 0x0400,
                       bytes(8), bytes(4), bytes(10), 7, 0, 0, bytes(10), 0x2023,
                       len(ntp)) + ntp


def main():
    cmd = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if cmd == "listen":
        addr, port, timeout, ready = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        ptp = len(sys.argv) > 6 and sys.argv[6] == "ptp"
        s.bind((addr, port))
        open(ready, "w").close()
        s.settimeout(timeout)
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            print("nothing")
            return
        print(describe(d[PREFIX:] if ptp else d))
    elif cmd == "query":
        src, dst, port, timeout = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        ptp = len(sys.argv) > 6 and sys.argv[6] == "ptp"
        ntp = bytearray(48)
        ntp[0] = (4 << 3) | 3
        ntp[40:48] = os.urandom(8)
        ntp += struct.pack(">HHI", 0xF324, 28, MAGIC) + bytes(20)
        s.bind((src, 0))
        s.settimeout(timeout)
        s.sendto(ptp_wrap(bytes(ntp)) if ptp else bytes(ntp), (dst, port))
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            print("noreply")
            return
        print(describe(d[PREFIX:] if ptp else d))


main()
