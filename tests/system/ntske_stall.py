#!/usr/bin/env python3
"""A stalled or garbage NTS-KE client: connects over TCP, sends the first bytes of a TLS
ClientHello (its record claims 512 bytes; about 40 are sent), or with --hello a whole TLS 1.3
ClientHello (ALPN ntske/1), or with --garbage bytes that are no TLS at all, and then waits
without sending more.

usage: ntske_stall.py ADDR PORT STATE_FILE [--garbage | --hello]
Writes "sent" to STATE_FILE once the bytes are out, then "eof=S" (seconds the server kept
the connection open after that) when the server closes it, or "open" after 30 s.
"""
import os
import socket
import ssl
import sys
import time


def main():
    addr, port, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    garbage = "--garbage" in sys.argv[4:]
    hello = "--hello" in sys.argv[4:]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((addr, port))
    if garbage:
        data = b"GET / HTTP/1.0\r\n\r\n" + os.urandom(64)
    elif hello:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.set_alpn_protocols(["ntske/1"])
        rbio, wbio = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(rbio, wbio, server_hostname="localhost")
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        data = wbio.read()
    else:
        # record: handshake, TLS 1.0 legacy version, 512 bytes; ClientHello of 508 bytes,
        # legacy version 1.2, the random, and nothing of the rest
        data = bytes.fromhex("1603010200" "010001fc" "0303") + os.urandom(32)
    s.sendall(data)
    t0 = time.monotonic()
    with open(state + ".tmp", "w") as f:
        f.write("sent\n")
    os.rename(state + ".tmp", state)
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
        result = "eof=%.1f" % (time.monotonic() - t0)
    except socket.timeout:
        result = "open"
    except OSError:
        result = "eof=%.1f" % (time.monotonic() - t0)
    with open(state + ".tmp", "w") as f:
        f.write(result + "\n")
    os.rename(state + ".tmp", state)


if __name__ == "__main__":
    main()
