#!/usr/bin/env python3
"""Accept TCP connections on ADDR PORT and note each one in FILE (flushed at once), then
close it: "PEER" per line, or "LOCAL PEER" with --local (the address it reached).

Usage: tcp_seen.py ADDR PORT FILE [--local]"""
import socket
import sys

addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
local = "--local" in sys.argv[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
with open(path, "a") as f:
    while True:
        c, a = s.accept()
        f.write(("%s %s\n" % (c.getsockname()[0], a[0])) if local else ("%s\n" % a[0]))
        f.flush()
        c.close()
