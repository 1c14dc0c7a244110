#!/usr/bin/env python3
"""Key-authenticated NTP client requests at a modest rate from many source addresses/ports.

usage: ntpauth_load.py HOST PORT KEYID KEYFILE SECONDS RATE NADDR

Requests leave at RATE per second for SECONDS, in turn from NADDR source addresses
127.0.2.1 and up (each request from a fresh socket, so a fresh ephemeral port), every one
carrying a MAC with key KEYID of the chrony key file KEYFILE (hash keys only). Replies are
collected until 1 s after the last request. Prints one line:
"sent=N replies=N macok=N macbad=N".
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time


def load_key(path, want):
    for line in open(path):
        w = line.split()
        if not w or w[0].startswith("#") or int(w[0]) != want:
            continue
        kind, val = (w[1], w[2]) if len(w) == 3 else ("MD5", w[1])
        if val.startswith("HEX:"):
            val = bytes.fromhex(val[4:])
        elif val.startswith("ASCII:"):
            val = val[6:].encode()
        else:
            val = val.encode()
        return kind.replace("-", "_").lower(), val
    raise SystemExit("key %d not in %s" % (want, path))


def digest(kind, key, data):
    return hashlib.new(kind, key + data).digest()[:20]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    key_id, (kind, key) = int(sys.argv[3]), load_key(sys.argv[4], int(sys.argv[3]))
    seconds, rate, naddr = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    sent = replies = macok = macbad = 0
    open_socks = {}  # socket -> request
    end = time.monotonic() + seconds
    next_send = time.monotonic()
    n = 0
    while True:
        now = time.monotonic()
        if now >= end + 1.0:
            break
        if now < end and now >= next_send:
            req = bytearray(48)
            req[0] = (4 << 3) | 3
            req[2] = 6
            req[40:48] = os.urandom(8)
            req = bytes(req) + struct.pack("!I", key_id)
            req += digest(kind, key, req[:48])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.2.%d" % (1 + n % naddr), 0))
            n += 1
            s.sendto(req, (host, port))
            sent += 1
            open_socks[s] = req
            next_send += 1.0 / rate
        wait = max(0.0, min(next_send, end + 1.0) - time.monotonic())
        ready = select.select(list(open_socks), [], [], wait)[0] if open_socks else []
        if not open_socks:
            time.sleep(wait)
        for s in ready:
            req = open_socks.pop(s)
            try:
                data = s.recv(2048)
            except OSError:
                data = b""
            s.close()
            if len(data) < 48 or data[24:32] != req[40:48]:
                continue
            replies += 1
            if len(data) == 72 and data[48:52] == req[48:52] and \
                    data[52:] == digest(kind, key, data[:48]):
                macok += 1
            else:
                macbad += 1
        # at most 256 requests wait for a reply (rate limiting drops some): the oldest is given up
        if len(open_socks) > 256:
            s = next(iter(open_socks))
            open_socks.pop(s)
            s.close()
    for s in open_socks:
        s.close()
    print("sent=%d replies=%d macok=%d macbad=%d" % (sent, replies, macok, macbad))


main()
