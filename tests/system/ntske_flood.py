#!/usr/bin/env python3
"""Reconnecting NTS-KE attackers: N connections, each from its own loopback address
(127.0.0.10, 127.0.0.11, ...), each sending the first bytes of a TLS ClientHello and then
nothing, and connecting again as soon as the server closes it (or refuses it), for SECONDS
seconds at most, or until the file STATE_FILE.stop exists (then all are closed and the script
ends).

usage: ntske_flood.py ADDR PORT N SECONDS STATE_FILE [--hello]
With --hello each sends a whole TLS 1.3 ClientHello (ALPN ntske/1) instead.
Writes "up" to STATE_FILE once every attacker has connected once, and at the end
"connects=C closed=K" (connections made, and closed by the server).
"""
import os
import selectors
import socket
import ssl
import sys
import time

HELLO = bytes.fromhex("1603010200" "010001fc" "0303")


def whole_hello():
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
    return wbio.read()


def write_state(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)


def main():
    addr, port, n, seconds, state = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                     float(sys.argv[4]), sys.argv[5])
    hello = "--hello" in sys.argv[6:]
    sel = selectors.DefaultSelector()
    connects = closed = 0
    up = set()
    active = set()

    def connect(i):
        nonlocal connects
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.%d" % (10 + i), 0))
        s.settimeout(2)
        try:
            s.connect((addr, port))
            s.sendall(whole_hello() if hello else HELLO + os.urandom(32))
        except OSError:
            s.close()
            return False
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        active.add(i)
        connects += 1
        up.add(i)
        return True

    end = time.monotonic() + seconds
    for i in range(n):
        connect(i)
    if len(up) == n:
        write_state(state, "up")
    while time.monotonic() < end and not os.path.exists(state + ".stop"):
        for i in range(n):
            if i not in active:
                connect(i)
        for key, _ in sel.select(timeout=0.1):
            s, i = key.fileobj, key.data
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue
            sel.unregister(s)
            s.close()
            active.discard(i)
            closed += 1
            if time.monotonic() < end and not os.path.exists(state + ".stop"):
                connect(i)
                if len(up) == n and not os.path.exists(state):
                    write_state(state, "up")
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    write_state(state, "connects=%d closed=%d" % (connects, closed))


if __name__ == "__main__":
    main()
