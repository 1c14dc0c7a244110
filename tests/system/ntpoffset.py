#!/usr/bin/env python3
"""Ask the NTP server at HOST PORT for its time: print 'offset=S refid=HEX leap=N stratum=N',
offset being the served time minus this machine's system time (s, the usual NTP
((T2 - T1) + (T3 - T4)) / 2 on the system clock), or 'noreply'."""
import os
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def to_float(raw):
    return (raw >> 32) - NTP_EPOCH + (raw & 0xFFFFFFFF) / 2.0**32


host, port = sys.argv[1], int(sys.argv[2])
req = bytearray(48)
req[0] = (4 << 3) | 3
req[40:48] = os.urandom(8)
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
t1 = time.time()
s.sendto(bytes(req), (host, port))
try:
    data, _ = s.recvfrom(2048)
except socket.timeout:
    print("noreply")
    sys.exit(0)
t4 = time.time()
if len(data) < 48 or data[24:32] != req[40:48]:
    print("noreply")
    sys.exit(0)
t2 = to_float(struct.unpack("!Q", data[32:40])[0])
t3 = to_float(struct.unpack("!Q", data[40:48])[0])
refid = struct.unpack("!I", data[12:16])[0]
print("offset=%.6f refid=%08X leap=%d stratum=%d" % (((t2 - t1) + (t3 - t4)) / 2, refid,
                                                      data[0] >> 6, data[1]))
