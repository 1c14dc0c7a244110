#!/usr/bin/env python3
"""Send one NTP request to HOST PORT and print the reply's header fields.

Usage: ntpreq.py HOST PORT [VERSION] [MODE] [LENGTH] [KEYID KEYFILE]
Prints 'leap=.. version=.. mode=.. stratum=.. poll=.. precision=.. refid=.. rootdelay=..
rootdisp=.. reftime=.. origin_ok=.. len=..' or 'noreply'. With KEYID and a chrony key file
(hash keys only), the request carries a MAC (digest cut to 20 bytes in NTPv4) and the reply's
MAC is checked: ' mac=ok', ' mac=bad' or ' mac=none' is appended. NTPREQ_SRC in the
environment: the request's source address."""
import hashlib
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


def load_key(path, want):
    for line in open(path):
        w = line.split()
        if not w or w[0].startswith("#") or int(w[0]) != want:
            continue
        kind, val = (w[1], w[2]) if len(w) == 3 else ("MD5", w[1])
        if val.startswith("HEX:"):
            val = bytes.fromhex(val[4:])
        else:
            val = val[6:].encode() if val.startswith("ASCII:") else val.encode()
        return kind.replace("-", "_").lower(), val
    raise SystemExit("key %d not in %s" % (want, path))


def mac(kind, key, data, v4):
    d = hashlib.new(kind, key + data).digest()
    return d[:20] if v4 else d


key = None
if len(sys.argv) > 7:
    key_id = int(sys.argv[6])
    key = load_key(sys.argv[7], key_id)
    req += struct.pack("!I", key_id) + mac(key[0], key[1], req, version == 4)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if os.environ.get("NTPREQ_SRC"):  # source address of the request
    s.bind((os.environ["NTPREQ_SRC"], 0))
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
          rdelay, rdisp, reftime, int(data[24:32] == xmt), len(data)), end="")
if key is None:
    print()
elif len(data) <= 48:
    print(" mac=none")
else:
    good = data[48:52] == req[48:52] and \
        data[52:] == mac(key[0], key[1], data[:48], (li_vn_mode >> 3) & 7 == 4)
    print(" mac=%s" % ("ok" if good else "bad"))
