#!/usr/bin/env python3
"""Send an NTPv4 client request carrying chrony's experimental extension field 0xF323
(magic 0xF5BEDD9A, the rest zero) to HOST PORT and print what the reply says:
'len=N ef=yes|no header_delay=S header_disp=S ef_delay=S ef_disp=S [mono=S epoch=X]' or
'noreply'; mono is the field's monotonic receive timestamp minus the header's receive
timestamp (s, printed only when the field's timestamp is not zero), epoch its epoch ID."""
import os
import socket
import struct
import sys

host, port = sys.argv[1], int(sys.argv[2])
req = bytearray(48)
req[0] = (4 << 3) | 3
req[40:48] = os.urandom(8)
req += struct.pack("!HHI", 0xF323, 28, 0xF5BEDD9A) + bytes(20)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(bytes(req), (host, port))
try:
    data, _ = s.recvfrom(2048)
except socket.timeout:
    print("noreply")
    sys.exit(0)
hd, hdisp = struct.unpack("!II", data[4:12])
out = "len=%d header_delay=%.9f header_disp=%.9f" % (len(data), hd / 65536.0, hdisp / 65536.0)
pos, found = 48, None
while pos + 4 <= len(data):
    t, ln = struct.unpack("!HH", data[pos:pos + 4])
    if ln < 16 or pos + ln > len(data):
        break
    if t == 0xF323 and ln == 28 and struct.unpack("!I", data[pos + 4:pos + 8])[0] == 0xF5BEDD9A:
        found = struct.unpack("!IIQI", data[pos + 8:pos + 28])
    pos += ln
if found:
    out += " ef=yes ef_delay=%.9f ef_disp=%.9f" % (found[0] / 2.0**28, found[1] / 2.0**28)
    if found[2]:
        rx = struct.unpack("!Q", data[32:40])[0]
        out += " mono=%.9f epoch=%08x" % ((found[2] - rx) / 2.0**32, found[3])
else:
    out += " ef=no"
print(out)
