#!/usr/bin/env python3
"""A test ntp_signd (Samba's MS-SNTP signer) and an MS-SNTP client.

signd.py serve DIR [MODE]     listen on DIR/socket; answer every request as Samba does:
                              SIGNING_SUCCESS with the packet, the request's key id bytes and
                              MD5(SECRET + packet). MODE: ok (default), fail (SIGNING_FAILURE),
                              badid (a wrong packet id), badlen (an impossible length), hold
                              (answer nothing until DIR/release exists), slow (answer each
                              after 0.5 s). Prints one line per request: 'request id=N
                              version=V op=O key=K len=L'.
signd.py query HOST PORT [KEYID [EXT]]
                              send one MS-SNTP request (NTPv3 client, KEYID, a zero digest; with
                              EXT the 72-byte extended authenticator) and print the reply:
                              'len=.. version=.. mode=.. stratum=.. key_ok=.. sig=ok|bad|none
                              origin_ok=.. rx_ok=.. tx_ok=.. tx_before_signing=..' or 'noreply'.
signd.py burst HOST PORT N TIMEOUT
                              send N MS-SNTP requests at once, count the correctly signed
                              replies arriving within TIMEOUT s (or until 5 s pass without
                              one after the first): 'replies=R'.
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time

SECRET = b"trust-account-password"
NTP_EPOCH = 2208988800


def ntp_to_unix(b):
    sec, frac = struct.unpack("!II", b)
    return sec - NTP_EPOCH + frac / 2.0**32


def unix_to_ntp(t):
    sec = int(t)
    return struct.pack("!II", sec + NTP_EPOCH, int((t - sec) * 2.0**32) & 0xFFFFFFFF)


def sign(packet, key):
    return packet + key + hashlib.md5(SECRET + packet).digest()


def reply(op, pid, packet=b""):
    body = struct.pack("!III", 0, op, pid) + packet
    return struct.pack("!I", len(body)) + body


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(directory, mode):
    path = os.path.join(directory, "socket")
    if os.path.exists(path):
        os.unlink(path)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(4)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        while True:
            head = recv_exact(conn, 4)
            if head is None:
                break
            body = recv_exact(conn, struct.unpack("!I", head)[0])
            if body is None:
                break
            version, op, pid = struct.unpack("!IIH", body[:10])
            key = body[12:16]
            packet = body[16:]
            print("request id=%d version=%d op=%d key=%s len=%d" %
                  (pid, version, op, key.hex(), len(packet)), flush=True)
            if mode == "hold":
                while not os.path.exists(os.path.join(directory, "release")):
                    time.sleep(0.05)
            elif mode == "slow":
                time.sleep(0.5)
            if mode == "fail":
                conn.sendall(reply(4, pid))
            elif mode == "badid":
                conn.sendall(reply(3, pid + 1, sign(packet, key)))
            elif mode == "badlen":
                conn.sendall(struct.pack("!I", 5000) + b"\0" * 12)
            else:
                conn.sendall(reply(3, pid, sign(packet, key)))
        conn.close()


def request(key_id, ext):
    req = bytearray(48)
    req[0] = (0 << 6) | (3 << 3) | 3
    req[2] = 6
    req[40:48] = os.urandom(8)
    req = bytes(req) + struct.pack("!I", key_id)
    return req + bytes(68 if ext else 16)


def check(req, data, t_send, t_recv):
    """The fields of a reply to req, sent at t_send and received at t_recv."""
    lvm, stratum = data[0], data[1]
    rx = ntp_to_unix(data[32:40])
    tx = ntp_to_unix(data[40:48])
    if len(data) < 68:
        sig = "none"
    else:
        sig = "ok" if data[52:68] == hashlib.md5(SECRET + data[:48]).digest() else "bad"
    return ("len=%d version=%d mode=%d stratum=%d key_ok=%d sig=%s origin_ok=%d rx_ok=%d "
            "tx_ok=%d tx_before_signing=%d" % (
                len(data), (lvm >> 3) & 7, lvm & 7, stratum, int(data[48:52] == req[48:52]),
                sig, int(data[24:32] == req[40:48]), int(t_send - 0.5 <= rx <= t_recv + 0.5),
                int(rx <= tx <= t_recv + 0.5), int(tx <= t_recv - 0.4)))


def query(host, port, key_id, ext):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    req = request(key_id, ext)
    t_send = time.time()
    s.sendto(req, (host, port))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        print("noreply")
        return
    print(check(req, data, t_send, time.time()))


def burst(host, port, n, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    reqs = {}
    for _ in range(n):
        req = request(0x01020304, False)
        reqs[req[40:48]] = req
        s.sendto(req, (host, port))
    end = time.time() + timeout
    good = 0
    while True:
        # done at TIMEOUT, or 5 s after the last reply
        left = min(end - time.time(), 5.0) if good else end - time.time()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data, _ = s.recvfrom(2048)
        req = reqs.pop(data[24:32], None)
        if req and len(data) == 68 and data[52:] == hashlib.md5(SECRET + data[:48]).digest():
            good += 1
    print("replies=%d" % good)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "ok")
    elif cmd == "query":
        query(sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0) if len(sys.argv) > 4 else 0x12345678,
              len(sys.argv) > 5)
    elif cmd == "burst":
        burst(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)
