#!/usr/bin/env python3
"""Feed a reference clock of chronyd, as gpsd/ntpshm writers do.

refclock_feed.py shm UNIT MODE OFFSET [KIND]   write ntpd's SHM segment (key 0x4e545030+UNIT)
refclock_feed.py sock PATH OFFSET [KIND]        send chrony SOCK samples to PATH
refclock_feed.py rmshm UNIT                     remove the segment

Every 0.25 s a sample says that the true time is the system time + OFFSET s. KIND:
good (default); invalid (SHM: valid stays 0); stale (the sample is 100 s old); badmode
(SHM mode 2); badmagic (SOCK); pulse (SOCK: once a second a pulse sample, the system
time of the last start of a true second and its place in the second, as a PPS writer);
drift (SOCK: OFFSET for 20 s, then the offset grows by 20 ppm, as an oscillator whose
frequency changed against the system clock). Runs until killed."""
import ctypes
import socket
import struct
import sys
import time

SHMKEY = 0x4E545030
IPC_CREAT = 0o1000
IPC_RMID = 0


class ShmTime(ctypes.Structure):
    _fields_ = [("mode", ctypes.c_int), ("count", ctypes.c_int),
                ("clockTimeStampSec", ctypes.c_long), ("clockTimeStampUSec", ctypes.c_int),
                ("receiveTimeStampSec", ctypes.c_long), ("receiveTimeStampUSec", ctypes.c_int),
                ("leap", ctypes.c_int), ("precision", ctypes.c_int),
                ("nsamples", ctypes.c_int), ("valid", ctypes.c_int),
                ("clockTimeStampNSec", ctypes.c_int), ("receiveTimeStampNSec", ctypes.c_int),
                ("dummy", ctypes.c_int * 8)]


def libc():
    c = ctypes.CDLL(None, use_errno=True)
    c.shmget.restype = ctypes.c_int
    c.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    c.shmat.restype = ctypes.c_void_p
    c.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    c.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    return c


def shm_segment(unit, create=True):
    c = libc()
    sid = c.shmget(SHMKEY + unit, ctypes.sizeof(ShmTime), (IPC_CREAT if create else 0) | 0o600)
    if sid < 0:
        raise OSError(ctypes.get_errno(), "shmget")
    return c, sid


def split(t):
    sec = int(t)
    nsec = int(round((t - sec) * 1e9))
    if nsec >= 1000000000:
        sec, nsec = sec + 1, nsec - 1000000000
    return sec, nsec


def feed_shm(unit, mode, offset, kind):
    c, sid = shm_segment(unit)
    addr = c.shmat(sid, None, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "shmat")
    shm = ShmTime.from_address(addr)
    while True:
        now = time.time() - (100.0 if kind == "stale" else 0.0)
        rs, rn = split(now)
        cs, cn = split(now + offset)
        shm.mode = 2 if kind == "badmode" else mode
        shm.count += 1
        shm.valid = 0
        shm.receiveTimeStampSec, shm.receiveTimeStampNSec = rs, rn
        shm.receiveTimeStampUSec = rn // 1000
        shm.clockTimeStampSec, shm.clockTimeStampNSec = cs, cn
        shm.clockTimeStampUSec = cn // 1000
        shm.leap = 0
        shm.precision = -20
        shm.count += 1
        shm.valid = 0 if kind == "invalid" else 1
        time.sleep(0.25)


def feed_sock(path, offset, kind):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    start = time.time()
    while True:
        now = time.time() - (100.0 if kind == "stale" else 0.0)
        pulse, field = 0, offset
        if kind == "drift":
            field = offset + max(0.0, now - start - 20.0) * 20e-6
        if kind == "pulse":
            # The last true second began at system time int(now + offset) - offset; the
            # system clock was then -offset (mod 1 s) past a second of its own.
            now = int(now + offset) - offset
            pulse, field = 1, -offset
        sec = int(now)
        usec = int(round((now - sec) * 1e6))
        magic = 0x12345678 if kind == "badmagic" else 0x534F434B
        data = struct.pack("=qqdiiii", sec, usec, field, pulse, 0, 0, magic)
        try:
            s.sendto(data, path)
        except OSError:
            pass  # the daemon has not bound it yet
        time.sleep(1.0 if kind == "pulse" else 0.25)


def main():
    a = sys.argv[1:]
    if a[0] == "shm":
        feed_shm(int(a[1]), int(a[2]), float(a[3]), a[4] if len(a) > 4 else "good")
    elif a[0] == "sock":
        feed_sock(a[1], float(a[2]), a[3] if len(a) > 3 else "good")
    elif a[0] == "rmshm":
        try:
            c, sid = shm_segment(int(a[1]), create=False)
            c.shmctl(sid, IPC_RMID, None)
        except OSError:
            pass


if __name__ == "__main__":
    main()
