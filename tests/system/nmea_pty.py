#!/usr/bin/env python3
"""A GPS receiver on a pseudo-terminal for gpsd: prints the slave's path (e.g. /dev/pts/5)
on the first line of stdout, then writes NMEA 0183 sentences (RMC, GGA, ZDA) of a valid
fix with the current UTC time at the start of every second, until killed.
nmea_pty.py [LINKPATH]: also make LINKPATH a symlink to the slave."""
import os
import socket
import sys
import time


def sentence(body):
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return "$%s*%02X\r\n" % (body, cs)


def fix(t):
    tm = time.gmtime(t)
    hms = time.strftime("%H%M%S", tm) + ".00"
    dmy = time.strftime("%d%m%y", tm)
    lat, lon = "4916.45,N", "12311.12,W"
    yield sentence("GPRMC,%s,A,%s,%s,0.0,0.0,%s,,,A" % (hms, lat, lon, dmy))
    yield sentence("GPGGA,%s,%s,%s,1,08,0.9,545.4,M,46.9,M,," % (hms, lat, lon))
    yield sentence("GPZDA,%s,%s,%s,%s,00,00" % (hms, time.strftime("%d", tm),
                                              time.strftime("%m", tm), time.strftime("%Y", tm)))


def serve_tcp(port):
    """gpsd reads a TCP feed like a device (tcp://127.0.0.1:PORT)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    print("tcp://127.0.0.1:%d" % port, flush=True)
    while True:
        conn, _ = srv.accept()
        try:
            while True:
                now = time.time()
                time.sleep(1.0 - (now - int(now)))
                t = int(time.time() + 0.5)
                for s in fix(t):
                    conn.sendall(s.encode())
        except OSError:
            conn.close()


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--tcp":
        serve_tcp(int(sys.argv[2]))
        return
    master, slave = os.openpty()
    path = os.ttyname(slave)
    if len(sys.argv) > 1:
        try:
            os.unlink(sys.argv[1])
        except OSError:
            pass
        os.symlink(path, sys.argv[1])
    print(path, flush=True)
    while True:
        now = time.time()
        time.sleep(1.0 - (now - int(now)))
        t = int(time.time() + 0.5)
        for s in fix(t):
            os.write(master, s.encode())
        # Keep reading what gpsd may write (nothing with -b) so the pty never blocks.


if __name__ == "__main__":
    main()
