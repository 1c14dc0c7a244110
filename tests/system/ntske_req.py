#!/usr/bin/env python3
"""Sends one raw NTS-KE request (hex) over TLS and prints what the server answered.

usage: ntske_req.py ADDR PORT CA REQUEST_HEX [--alpn NAME]... [--tls12] [--hold S]
Prints "response=HEX" (everything read until the server closed), "closed" when the server
closed without data, "handshake-failed" or "alpn=NAME" lines. --hold connects over plain TCP
and prints how long the server kept the connection open (s), for connection-limit tests.
"""
import socket
import ssl
import sys
import time


def main():
    addr, port, ca, req = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    alpn, tls12, hold = [], False, None
    args = sys.argv[5:]
    while args:
        opt = args.pop(0)
        if opt == "--alpn":
            alpn.append(args.pop(0))
        elif opt == "--tls12":
            tls12 = True
        elif opt == "--hold":
            hold = float(args.pop(0))
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    raw = socket.socket(fam, socket.SOCK_STREAM)
    raw.settimeout(10)
    raw.connect((addr, port))
    if hold is not None:
        t0 = time.monotonic()
        raw.settimeout(hold)
        try:
            data = raw.recv(1)
            print("held=%.1f eof=%d" % (time.monotonic() - t0, 1 if data == b"" else 0))
        except socket.timeout:
            print("held=%.1f open" % (time.monotonic() - t0))
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if alpn:
        ctx.set_alpn_protocols(alpn)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, OSError) as e:
        print("handshake-failed %s" % type(e).__name__)
        return
    print("alpn=%s" % tls.selected_alpn_protocol())
    try:
        tls.sendall(bytes.fromhex(req))
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ssl.SSLError, OSError) as e:
        print("error %s" % type(e).__name__)
        data = b""
    print("response=%s" % data.hex() if data else "closed")


main()
