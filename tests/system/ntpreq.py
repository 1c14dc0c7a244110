#!/usr/bin/env python3
"""Send one NTP request to HOST PORT and print the reply's header fields.

Usage: ntpreq.py HOST PORT [VERSION] [MODE] [LENGTH]
Prints 'leap=.. version=.. mode=.. stratum=.. poll=.. precision=.. refid=.. rootdelay=..
rootdisp=.. reftime=.. origin_ok=.. len=..' or 'noreply'."""
import os
import socket
import struct
import sys

host, port = sys.argv[1], int(sys.argv[2])
version = int(sys.argv[3]) if len(sys.argv) > 3 else 4
mode = int(sys.argv[4]) if len(sys.argv) > 4 else 3
length = int(sys.argv[5]) if len(sys.argv) > 5 else 48
req = bytearray(max(length, 48))
req[0] = (0 << 6) | (version << 3) | mode
req[2] = 6
xmt = os.urandom(8)
req[40:48] = xmt
req = bytes(req[:length])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(req, (host, port))
try:
    data, _ = s.recvfrom(2048)
except socket.timeout:
    print("noreply")
    sys.exit(0)
li_vn_mode, stratum, poll, prec = struct.unpack("!BBbb", data[0:4])
rdelay, rdisp, refid = struct.unpack("!III", data[4:16])
reftime = struct.unpack("!Q", data[16:24])[0]
print("leap=%d version=%d mode=%d stratum=%d poll=%d precision=%d refid=%08X rootdelay=%d "
      "rootdisp=%d reftime=%d origin_ok=%d len=%d" % (
          li_vn_mode >> 6, (li_vn_mode >> 3) & 7, li_vn_mode & 7, stratum, poll, prec, refid,
          rdelay, rdisp, reftime, int(data[24:32] == xmt), len(data)))
