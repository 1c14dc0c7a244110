#!/usr/bin/env python3
"""NTP over PTP (chrony's ptpport) from the outside.

  ptpntp.py listen ADDR PORT TIMEOUT [READYFILE]
      bind ADDR:PORT (then create READYFILE), wait for one datagram and print its PTP header fields (the sequenceId
      left out) and the carried NTP mode, or 'nothing'.
  ptpntp.py query SRC DST PORT DOMAIN TIMEOUT
      send an NTP client request in chrony's PTP encapsulation with domainNumber DOMAIN
      from SRC (any port) to DST:PORT and print the reply's fields as above, or 'noreply'."""
import os
import socket
import struct
import sys

PREFIX = 48


def describe(d):
    if len(d) <= PREFIX:
        return "short len=%d" % len(d)
    typ, ver, length, dom, minor, flags = struct.unpack(">BBHBBH", d[:8])
    corr = d[8:16]
    rest = d[16:30] + d[32:44]  # messageTypeSpecific, portIdentity, control..origin ts
    tlv_type, tlv_len = struct.unpack(">HH", d[44:48])
    ntp = d[PREFIX:]
    return ("type=%d version=%d length_ok=%d domain=%d minor=%d flags=0x%04x corr_zero=%d "
            "rest_zero=%d tlv=0x%04x tlv_len_ok=%d ntp_version=%d ntp_mode=%d" % (
                typ, ver, int(length == len(d)), dom, minor, flags, int(corr == bytes(8)),
                int(rest == bytes(len(rest))), tlv_type, int(tlv_len == len(ntp)),
                (ntp[0] >> 3) & 7, ntp[0] & 7))


def main():
    cmd = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if cmd == "listen":
        addr, port, timeout = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        s.bind((addr, port))
        if len(sys.argv) > 5:
            open(sys.argv[5], "w").close()
        s.settimeout(timeout)
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            print("nothing")
            return
        print(describe(d))
    elif cmd == "query":
        src, dst, port, dom, timeout = (sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                        int(sys.argv[5]), float(sys.argv[6]))
        ntp = bytearray(48)
        ntp[0] = (4 << 3) | 3
        ntp[40:48] = os.urandom(8)
        msg = struct.pack(">BBHBBH8s4s10sHBb10sHH", 1, 2, PREFIX + 48, dom, 0, 0x0400,
                          bytes(8), bytes(4), bytes(10), 7, 0, 0, bytes(10), 0x2023, 48)
        s.bind((src, 0))
        s.settimeout(timeout)
        s.sendto(msg + bytes(ntp), (dst, port))
        try:
            d, _ = s.recvfrom(4096)
        except socket.timeout:
            print("noreply")
            return
        ok = len(d) > PREFIX + 32 and d[PREFIX + 24:PREFIX + 32] == ntp[40:48]
        print(describe(d) + " origin_ok=%d" % int(ok))


main()
