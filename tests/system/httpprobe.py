#!/usr/bin/env python3
"""Misbehaving HTTP clients for test-metrics.sh.

httpprobe.py oversize HOST PORT
    send a request head of 8 KiB in one go; print "status=CODE" of the answer, or
    "closed" when the connection ends without one.
httpprobe.py slowloris HOST PORT N SECONDS [SRC]
    open N connections that send a request line and then one header byte every 0.2 s,
    never ending the head; print "cut=K of N" with K the connections the server closed
    within SECONDS, and "answered=..." with the status lines some got.
"""
import socket
import sys
import time


def connect(host, port, src=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(5)
    s.connect((host, port))
    return s


def oversize(host, port):
    s = connect(host, port)
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
    while len(head) < 8192:
        head += b"X-Pad: " + b"a" * 60 + b"\r\n"
    head += b"\r\n"
    try:
        s.sendall(head)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        data = b""
    if data.startswith(b"HTTP/1.1 "):
        print("status=" + data[9:12].decode())
    else:
        print("closed")


def slowloris(host, port, n, seconds):
    conns = []
    for _ in range(n):
        s = connect(host, port)
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        s.setblocking(False)
        conns.append(s)
    cut = set()
    answered = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(cut) < n:
        for i, s in enumerate(conns):
            if i in cut:
                continue
            try:
                data = s.recv(4096)
                if not data:
                    cut.add(i)
                    continue
                answered.append(data.split(b"\r\n")[0].decode(errors="replace"))
                cut.add(i)
                continue
            except BlockingIOError:
                pass
            except OSError:
                cut.add(i)
                continue
            try:
                s.send(b"X")
            except OSError:
                cut.add(i)
        time.sleep(0.2)
    print("cut=%d of %d" % (len(cut), n))
    print("answered=%s" % ",".join(answered))


def main():
    if sys.argv[1] == "oversize":
        oversize(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "slowloris":
        slowloris(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))


if __name__ == "__main__":
    main()
