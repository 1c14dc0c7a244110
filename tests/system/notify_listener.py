#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (sd_notify(3)).

Usage: notify_listener.py NAME OUT [NTP_PORT CMD_SOCKET]
Binds a Unix datagram socket at NAME (a path, or an abstract name with a leading
'@'), writes 'bound' to OUT.ready, then appends each datagram received to OUT as
'msg <text>' (newlines shown as '|'). When a message carries READY=1 and NTP_PORT
is given, it checks at once that the daemon's sockets exist: one NTP request to
127.0.0.1:NTP_PORT ('ntp answered', 'ntp refused' if nothing was bound, 'ntp
timeout') and the command socket's file ('cmdsock present' or 'cmdsock absent').
Exits after STOPPING=1, or after 120 s."""
import os
import socket
import sys
import time

name, out = sys.argv[1], sys.argv[2]
ntp_port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
cmd_sock = sys.argv[4] if len(sys.argv) > 4 else ""

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
if not name.startswith("@"):
    os.chmod(name, 0o777)
with open(out + ".ready", "w") as f:
    f.write("bound\n")


def log(line):
    with open(out, "a") as f:
        f.write(line + "\n")


def probe_ntp(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", port))
    req = bytearray(48)
    req[0] = (4 << 3) | 3
    req[40:48] = os.urandom(8)
    u.settimeout(10.0)
    try:
        u.send(bytes(req))
        u.recv(1024)
        return "answered"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    finally:
        u.close()


end = time.monotonic() + 120
while time.monotonic() < end:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        msg = s.recv(4096).decode("utf-8", "replace")
    except socket.timeout:
        break
    log("msg " + msg.replace("\n", "|"))
    fields = msg.split("\n")
    if "READY=1" in fields and ntp_port:
        log("ntp " + probe_ntp(ntp_port))
        if cmd_sock:
            log("cmdsock " + ("present" if os.path.exists(cmd_sock) else "absent"))
    if "STOPPING=1" in fields:
        break
