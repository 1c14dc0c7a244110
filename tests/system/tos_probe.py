#!/usr/bin/env python3
"""Traffic class of NTP packets, for the dscp tests.

Usage: tos_probe.py query HOST PORT   send one client request, print 'tos=N' of the reply
                                      (IP_TOS / IPV6_TCLASS byte) or 'noreply'
       tos_probe.py serve HOST PORT   wait up to 10 s for one request, print 'tos=N' of it
                                      or 'norequest'"""
import os
import socket
import struct
import sys

cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.settimeout(10 if cmd == "serve" else 2)
if cmd == "serve":
    s.bind((host, port))
else:
    req = bytearray(48)
    req[0] = (4 << 3) | 3
    req[40:48] = os.urandom(8)
    s.sendto(bytes(req), (host, port))
try:
    data, anc, flags, addr = s.recvmsg(1024, socket.CMSG_SPACE(4))
except socket.timeout:
    print("noreply" if cmd == "query" else "norequest")
    sys.exit(0)
tos = None
for level, typ, val in anc:
    if (level, typ) == (socket.IPPROTO_IP, socket.IP_TOS):
        tos = val[0]
    elif (level, typ) == (socket.IPPROTO_IPV6, socket.IPV6_TCLASS):
        tos = struct.unpack("i", val[:4])[0]
print("tos=%s" % tos)
