#!/usr/bin/env python3
"""Generates the reply fixtures (*.hex) and command lines (*.cmd) of the
chronyc golden tests. Expected outputs (*.txt) are written by hand from the
spec (cmdmon.md sections 8 and 9). Run from this directory."""
import math
import struct

def flt(x):
    """chrony's 32-bit float, spec 4.2."""
    neg = 0
    if x < 0:
        neg, x = 1, -x
    elif not x >= 0:
        x = 0.0
    if x < 1e-100:
        e, c = 0, 0
    elif x > 1e100:
        e, c = 63, (1 << 24) - 1 + neg
    else:
        e = int(math.log(x) / math.log(2) + 1)
        c = int(x * 2.0 ** (25 - e) + 0.5)
        while c > (1 << 24) - 1 + neg:
            c >>= 1
            e += 1
        if e > 63:
            e, c = 63, (1 << 24) - 1 + neg
        elif e < -64:
            if e + 25 >= -64:
                c >>= -64 - e
                e = -64
            else:
                e, c = 0, 0
    if neg:
        c = (-c) & 0x1FFFFFF
    return struct.pack(">I", ((e & 0x7F) << 25) | c)

def u8(v): return struct.pack(">B", v & 0xFF)
def u16(v): return struct.pack(">H", v & 0xFFFF)
def u32(v): return struct.pack(">I", v & 0xFFFFFFFF)
def u64(v): return struct.pack(">Q", v)
def ts(sec, nsec=0): return u32(sec >> 32) + u32(sec) + u32(nsec)

def ip4(s):
    return bytes(int(p) for p in s.split(".")) + bytes(12) + u16(1) + u16(0)

def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed + u16(2) + u16(0)

def ipid(n): return u32(n) + bytes(12) + u16(3) + u16(0)
def unspec(): return bytes(20)
def refclock(name): return name.encode().ljust(4, b"\0") + bytes(12) + u16(1) + u16(0)

def hdr(cmd, reply, status=0):
    return bytes([6, 2, 0, 0]) + u16(cmd) + u16(reply) + u16(status) + bytes(6) + bytes(4) + bytes(8)

def n_sources(n): return hdr(14, 2) + u32(n)

def source_data(addr, poll, stratum, state, mode, reach, since, latest, orig, err):
    return (hdr(15, 3) + addr + u16(poll) + u16(stratum) + u16(state) + u16(mode) + u16(0)
            + u16(reach) + u32(since) + flt(orig) + flt(latest) + flt(err))

def tracking(refid, addr, stratum, leap, sec, nsec, corr, last, rms, freq, resid, skew,
             delay, disp, interval):
    return (hdr(33, 5) + u32(refid) + addr + u16(stratum) + u16(leap) + ts(sec, nsec)
            + b"".join(flt(v) for v in (corr, last, rms, freq, resid, skew, delay, disp, interval)))

def sourcestats(refid, addr, n, runs, span, sd, resid, skew, off, offerr):
    return (hdr(34, 6) + u32(refid) + addr + u32(n) + u32(runs) + u32(span)
            + b"".join(flt(v) for v in (sd, resid, skew, off, offerr)))

def select_data(refid, addr, state, auth, leap, conf, eff, last, score, lo, hi):
    return (hdr(69, 23) + u32(refid) + addr + u8(ord(state)) + u8(auth) + u8(leap) + u8(0)
            + u16(conf) + u16(eff) + u32(last) + flt(score) + flt(lo) + flt(hi))

def source_name(name): return hdr(65, 19) + name.encode().ljust(256, b"\0")

def client(addr, ntp, nke, cmd, ntpd, nked, cmdd, ints, last_ntp, last_nke, last_cmd):
    return (addr + u32(ntp) + u32(nke) + u32(cmd) + u32(ntpd) + u32(nked) + u32(cmdd)
            + bytes(i & 0xFF for i in ints) + u32(last_ntp) + u32(last_nke) + u32(last_cmd))

def clients(n_indices, next_index, recs):
    body = u32(n_indices) + u32(next_index) + u32(len(recs)) + b"".join(recs)
    return (hdr(68, 21) + body).ljust(520, b"\0")

def ntp_data(remote, local, port, leap, ver, mode, stratum, poll, prec, rdelay, rdisp, refid,
             reftime, off, delay, disp, resp, asym, flags, tx, rx, totals, reply=26):
    b = (hdr(57, reply) + remote + local + u16(port) + u8(leap) + u8(ver) + u8(mode)
         + u8(stratum) + u8(poll) + u8(prec) + flt(rdelay) + flt(rdisp) + u32(refid)
         + ts(*reftime) + flt(off) + flt(delay) + flt(disp) + flt(resp) + flt(asym) + u16(flags)
         + u8(ord(tx)) + u8(ord(rx)))
    if reply == 26:
        return b + b"".join(u32(t) for t in totals) + b"\xff" * 16
    return b + b"".join(u32(t) for t in totals[:4]) + b"\xff" * 12

def server_stats(vals, reply=25):
    if reply == 25:
        return hdr(54, 25) + b"".join(u64(v) for v in vals) + b"\xff" * 32
    return hdr(54, reply) + b"".join(u32(v) for v in vals)

CASES = {}

def case(name, cmd, *replies):
    CASES[name] = (cmd, replies)

# 9.1 / 8.5
T43 = (0x7F000001, ip4("127.0.0.1"), 9, 0, 1795528026, 279710387)
case("tracking", "tracking", bytes.fromhex(
    "06020000002100050000000000000000308cbcce00000000000000007f000001"
    "7f0000010000000000000000000000000001000000090000000000006b05955a"
    "10ac0ab3dd4280d5d6a617fde0b396c4f34b8f62ee89b21cf683ad18e0ef9cb9"
    "de9ab6160a828e55"))
UNSYNC = tracking(0, unspec(), 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1.0, 1.0, 0)
case("tracking_unsync", "tracking", UNSYNC)
case("tracking_unsync_csv", "-c tracking", UNSYNC)
SYNC = tracking(0x7F000001, ip4("127.0.0.1"), 9, 0, 1795528256, 282409561, -2.169e-6, -6.1e-8,
                7.22e-7, 0.002, -0.0001, 0.004, 8.018e-6, 3.333e-6, 16.3)
case("tracking_csv", "-c tracking", SYNC)
case("tracking_json", "-j tracking", SYNC)
case("tracking_negzero", "-n tracking",
     tracking(0x47505300, unspec(), 1, 2, 1795528256, 0, 1e-12, -1e-13, 0, 1e-9, -1e-9, 0,
              0, 0, 64.0))

# 9.2
S92 = [n_sources(3),
       source_data(refclock("SHM0"), 2, 0, 1, 2, 0, 0xFFFFFFFF, 0, 0, 0),
       bytes.fromhex("06020000000f00030000000000000000fcba1c4b00000000000000007f000001"
                     "0000000000000000000000000001000000030008000000000000"
                     "00ff00000002de9d6ff9de930e8de0a7dee8"),
       source_data(ipid(1), 6, 0, 1, 0, 0, 0xFFFFFFFF, 0, 0, 0)]
case("sources_43", "sources", *S92)
case("sources_43_all_n", "-n sources -a", *S92)

S48 = [n_sources(4),
       source_data(refclock("SHM0"), 2, 0, 1, 2, 0, 0xFFFFFFFF, 0, 0, 0),
       source_data(ip4("127.0.0.1"), 3, 8, 0, 0, 255, 3, 1.049e-6, 9.88e-7, 5.15e-6),
       source_data(ip6("::1"), 3, 9, 4, 0, 255, 2, 2.763e-6, 2.763e-6, 2.8543e-5),
       source_data(ipid(1), 6, 0, 1, 0, 0, 0xFFFFFFFF, 0, 0, 0)]
case("sources_csv", "-c sources -a", *S48)
case("sources_json", "-j sources -a", *S48)
case("sources_names", "-N sources -a", S48[0], S48[1], S48[2], source_name("127.0.0.1"),
     S48[3], source_name("::1"), S48[4], source_name("nonexistent.invalid"))
case("sources_name_error", "-N sources", n_sources(1), S48[2], hdr(65, 1, 4))

V6 = ip6("2001:db8:1234:5678:9abc:def0:1234:5678")
EDGE = [
    source_data(V6, -5, 1, 1, 1, 0o45, 5, 4e-9, -4e-9, 5e-9),
    source_data(ip6("::1"), -3, 3, 3, 0, 0o157, 1200, 9999.4e-9, -8999e-9, 13e-6),
    source_data(ip4("10.0.0.1"), -2, 4, 4, 1, 0o224, 35999, 9999.6e-9, -9000e-9, 13e-6),
    source_data(ip4("192.0.2.1"), -1, 5, 5, 2, 0o271, 36000, -12e-6, 11e-6, 16e-6),
    source_data(V6, 0, 6, 6, 0, 0o336, 345599, 500e-6, -450e-6, 650e-6),
    source_data(ip6("::1"), 2, 8, 1, 2, 0o50, 999 * 86400, 10e-3, -9000e-6, 13e-3),
    source_data(ip4("10.0.0.1"), 3, 9, 2, 0, 0o115, 1000 * 86400, -12e-3, 11e-3, 16e-3),
    source_data(ip4("192.0.2.1"), 4, 10, 3, 1, 0o162, 13 * 365 * 86400, 1.5, -1.35, 1.95),
    source_data(ipid(7), 6, 12, 5, 0, 0o274, 0xFFFFFFFF, 10.0, -9.0, 13.0),
    source_data(ip6("::1"), 7, 13, 6, 1, 0o341, 0, 123.4, -111.1, 160.5),
    source_data(ip4("192.0.2.1"), 9, 15, 1, 0, 0o53, 1199, 1000.0, -899.6, 1299.0),
    source_data(ipid(7), 11, 1, 3, 2, 0o165, 35940, -99999.0, 89999.0, 130020.0),
    source_data(ip6("::1"), 12, 2, 4, 0, 0o232, 36000, 100020.0, -90000.0, 130020.0),
    source_data(ip6("::1"), -3, 7, 2, 2, 0o123, 13 * 365 * 86400, 1e10, -9e9, 1.3e10),
]
case("sources_edge", "-n sources -a", n_sources(len(EDGE)), *EDGE)
case("sources_dns_cut", "sources", n_sources(2),
     source_data(ip4("10.0.0.1"), 6, 2, 0, 0, 0o377, 64, -1e-12, 1e-6, 2e-5),
     source_data(ip4("192.0.2.1"), 6, 2, 5, 0, 0o377, 1300, 1e-4, 1e-4, 2e-3))

SS = [n_sources(4),
      sourcestats(0x53484D30, unspec(), 0, 0, 0, 4.0, 0, 2000.0, 0, 0),
      sourcestats(0x7F000001, ip4("127.0.0.1"), 20, 11, 100, 1.82e-7, -0.0021, 0.006, -2.11e-7, 1e-7),
      sourcestats(0xCF404DC8, ip6("::1"), 20, 11, 101, 1.35e-7, 0.001, 0.005, 1.2644e-6, 1e-7),
      sourcestats(0, ipid(1), 0, 0, 0, 4.0, 0, 2000.0, 0, 0)]
case("sourcestats", "sourcestats -a", *SS)
case("sourcestats_hidden_id", "sourcestats", *SS)
case("sourcestats_csv", "-c sourcestats -a", SS[0], SS[1],
     sourcestats(0x7F000001, ip4("127.0.0.1"), 20, 11, 100, 1.82e-7, -0.0021, 0.006, -2.12e-7, 1e-7),
     sourcestats(0xCF404DC8, ip6("::1"), 20, 11, 101, 1.35e-7, 0.001, 0.005, 1.265e-6, 1e-7), SS[4])
case("sourcestats_large", "-n sourcestats", n_sources(2),
     sourcestats(0x0A000001, ip4("10.0.0.1"), 5, 3, 1200, 0.5, 1234.5, 123450.0, 2e-3, 0),
     sourcestats(0x0A000002, ip4("10.0.0.2"), 64, 40, 400000000, 20.0, -999994.0, 99999400.0, -30.0, 0))

ACT = hdr(44, 12) + u32(1) + u32(0) + u32(0) + u32(0) + u32(1)
case("activity", "activity", ACT)
case("activity_csv", "-c activity", ACT)

ND93 = bytes.fromhex(
    "06020000003900 1a 0000000000000000 97c1a47b 0000000000000000 7f000001"
    "000000000000000000000000 00010000 7f000001 000000000000000000000000 00010000"
    "2b73 00 04 04 08 03 e6 00000000 00000000 7f7f0101 00000000 6b059618 0ca2ff73"
    "db076dc4 e2abbb49 d295e941 ecfc5e1b 02800000 03ff 4b 4b 0000001c 0000001c 0000001c"
    "00000016 0000001c 0000001c 00000000 00000000" + "ff" * 16)
case("ntpdata", "ntpdata 127.0.0.1", ND93)
case("ntpdata_csv", "-c ntpdata 127.0.0.1", ND93)
case("ntpdata_json", "-j ntpdata 127.0.0.1", ND93)
ND_SYM = ntp_data(ip6("::1"), ip6("::1"), 123, 1, 3, 1, 1, -3, -20, 0.001, 0.002, 0x47505300,
                  (1795528216, 5), 1e-4, 2e-3, 3e-6, 1e-5, -0.25, 0xC2A5, "D", "H",
                  [10, 9, 8, 7, 6, 5, 4, 3])
case("ntpdata_all", "ntpdata", n_sources(3),
     source_data(refclock("SHM0"), 2, 0, 1, 2, 0, 0xFFFFFFFF, 0, 0, 0),
     source_data(ip6("::1"), 3, 1, 0, 1, 255, 3, 0, 0, 0), ND_SYM,
     source_data(ipid(1), 6, 0, 1, 0, 0, 0xFFFFFFFF, 0, 0, 0))
case("ntpdata_43", "ntpdata ::1", ntp_data(ip6("::1"), unspec(), 123, 3, 0, 0, 0, 0, 0, 0, 0, 0,
                                          (0, 0), 0, 0, 0, 0, 0, 0, "D", "D",
                                          [4, 0, 0, 0], reply=16))
case("ntpdata_unauth", "ntpdata 127.0.0.1", bytes.fromhex(
    "06020000003900010002000000000000 23f7c0d0 0000000000000000"))
case("ntpdata_badreply", "ntpdata 127.0.0.1", hdr(57, 2) + u32(1))

SV = [16, 0, 285, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 0, 0, 0]
case("serverstats", "serverstats", server_stats(SV))
case("serverstats_csv", "-c serverstats",
     server_stats([15, 0, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 0, 0, 0]))
case("serverstats_43", "serverstats", server_stats(list(range(1, 12)), reply=24))
case("serverstats_json", "-j serverstats", server_stats(SV))

CL95 = clients(16, 16, [
    client(ip4("127.0.0.1"), 0, 0, 125, 0, 0, 0, (127, 127, -4, 127), 0xFFFFFFFF, 0xFFFFFFFF, 0),
    client(ip6("::1"), 16, 0, 1, 0, 0, 0, (2, 127, 127, 127), 137, 0xFFFFFFFF, 157)])
case("clients", "clients", CL95)
CL811 = clients(16, 16, [
    client(ip4("127.0.0.1"), 0, 0, 67, 0, 0, 0, (127, 127, -4, 127), 0xFFFFFFFF, 0xFFFFFFFF, 19),
    client(ip6("::1"), 16, 0, 1, 0, 0, 0, (2, 127, 127, 127), 0, 0xFFFFFFFF, 19)])
case("clients_csv", "-c clients", CL811)
case("clients_json", "-j clients", CL811)
case("clients_nke", "clients -k -p 1", clients(16, 16, [
    client(ip4("127.0.0.1"), 0, 0, 67, 0, 0, 0, (127, 127, -4, 127), 0xFFFFFFFF, 0xFFFFFFFF, 19),
    client(ip6("::1"), 15, 0, 1, 0, 0, 0, (2, 127, 127, 127), 4, 0xFFFFFFFF, 19)]))
PAGE1 = clients(20, 8, [client(ip4("10.0.0.%d" % i), i, 0, 0, 0, 0, 0, (1, 127, 127, 127),
                               i, 0xFFFFFFFF, 0xFFFFFFFF) for i in range(1, 9)])
PAGE2 = clients(20, 20, [client(ip4("10.0.1.1"), 99, 0, 0, 1, 0, 0, (5, 6, 127, 127), 1300,
                                0xFFFFFFFF, 0xFFFFFFFF),
                         client(unspec(), 0, 0, 0, 0, 0, 0, (0, 0, 0, 0), 0, 0, 0)])
case("clients_paging", "-n clients", PAGE1, PAGE2)
case("clients_inactive", "clients", hdr(68, 1, 15))

case("selectdata", "selectdata -a", n_sources(4),
     select_data(0x53484D30, unspec(), "M", 0, 3, 0, 0, 0, 1.0, 0, 0),
     select_data(0x7F000001, ip4("127.0.0.1"), "*", 0, 0, 0, 0, 2, 1.0, -4.411e-6, 4.532e-6),
     select_data(0xCF404DC8, ip6("::1"), "+", 0, 0, 0, 0, 1, 1.0, -26e-6, 29e-6),
     select_data(0, ipid(1), "M", 0, 3, 0, 0, 0, 1.0, 0, 0))
case("selectdata_opts_csv", "-c selectdata", n_sources(1),
     select_data(0x7F000001, ip4("127.0.0.1"), "P", 1, 1, 0x3, 0xE, 5000, 12.25, -1e-3, 2e-3))

ML = hdr(41, 18) + u32(1) + ts(1795528615) + flt(-0.52) + flt(-1.21) + flt(0.0)
ML = ML.ljust(416, b"\0")
case("manual_list", "manual list", ML)
case("manual_list_csv", "-c manual list", ML)
case("makestep_fail", "makestep", hdr(43, 1, 1))
case("burst_ok", "burst 1/2 127.0.0.1", hdr(3, 1))
case("accheck_denied", "accheck 127.0.0.1", hdr(25, 1, 9))
case("no_daemon", "tracking")
case("bad_reply", "tracking", n_sources(1))
case("sourcename", "sourcename ID#0000000001", source_name("nonexistent.invalid"))
case("sourcename_unterminated", "sourcename 127.0.0.1", hdr(65, 19) + b"x" * 256)
case("smoothing", "smoothing", hdr(51, 13) + u32(3) + flt(-1.5e-4) + flt(0.25) + flt(-1e-3)
     + flt(12.3) + flt(400.0))
case("rtcdata", "rtcdata", hdr(35, 7) + ts(1795528615) + u16(5) + u16(3) + u32(7200)
     + flt(-1.25) + flt(3.5))
case("rtc_missing", "rtcdata", hdr(35, 1, 13))
case("settime", "settime 2026-11-24 13:56:55",
     hdr(11, 17) + flt(1.25) + flt(-0.5) + flt(12.0))
case("unknown_status", "dump", hdr(6, 1, 77))

for name, (cmd, replies) in CASES.items():
    with open(name + ".cmd", "w") as f:
        f.write(cmd + "\n")
    with open(name + ".hex", "w") as f:
        for r in replies:
            f.write("--\n")
            for i in range(0, len(r), 16):
                f.write(" ".join("%02x" % b for b in r[i:i + 16]) + "\n")
