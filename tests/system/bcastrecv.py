#!/usr/bin/env python3
"""Receive NTP packets on UDP ADDR:PORT for SECONDS and print one line per datagram.

Usage: bcastrecv.py ADDR PORT SECONDS [READY_FILE]
Each line: 'from=IP:PORT len=.. leap=.. version=.. mode=.. stratum=.. poll=.. precision=..
rootdelay=.. rootdisp=.. refid=HEX reftime=0|set origin=0|set receive=0|set
txdiff=S at=S', where txdiff is the transmit timestamp minus this host's clock at reception
(s) and at the reception time relative to the start (s). READY_FILE is created once the
socket is bound."""
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800

addr, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
if len(sys.argv) > 4:
    open(sys.argv[4], "w").close()
start = time.monotonic()
end = start + seconds
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        break
    now = time.time()
    at = time.monotonic() - start
    if len(data) < 48:
        print("from=%s:%d len=%d short" % (src[0], src[1], len(data)))
        continue
    lvm, stratum, poll, prec, rdelay, rdisp, refid = struct.unpack("!BBbbIII", data[:16])
    ref, org, rx, tx = struct.unpack("!QQQQ", data[16:48])
    txs = (tx >> 32) - NTP_EPOCH + (tx & 0xFFFFFFFF) / 2**32
    print("from=%s:%d len=%d leap=%d version=%d mode=%d stratum=%d poll=%d precision=%d "
          "rootdelay=%.6f rootdisp=%.6f refid=%08X reftime=%s origin=%s receive=%s "
          "txdiff=%.3f at=%.3f" %
          (src[0], src[1], len(data), lvm >> 6, (lvm >> 3) & 7, lvm & 7, stratum, poll, prec,
           rdelay / 65536.0, rdisp / 65536.0, refid, "set" if ref else "0",
           "set" if org else "0", "set" if rx else "0", txs - now, at))
    sys.stdout.flush()
