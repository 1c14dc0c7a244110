#!/usr/bin/env python3
"""confdiff: differential test of chrony.conf parsing against chrony's chronyd.

Generates (fixed seed) a few thousand one-directive configuration lines for every
directive and option of chrony 4.8: valid forms, boundary values, malformed numbers,
missing/extra arguments, repeated options, other case, addresses, comments, tabs. Each
line is written to a file of its own and given to `chronyd -p -f FILE` of ours and of
Debian's chronyd 4.3. Compared: the exit status, the printed line, the logged warnings,
the fatal message (4.3's wording mapped to 4.8's where 4.8 reworded it, see map43).

Where 4.3 and ours differ, and for lines using directives or options that 4.3 lacks,
chrony 4.8 decides: a chronyd built from the 4.8 tag (--ref48 PATH), or the outcomes
such a build gave, recorded in confdiff-4.8.jsonl (--ref48 PATH --record48 writes it).
--all48 compares every line with the 4.8 build as well. Known deviations (see known())
are listed and do not fail the run.

Usage:
  tests/golden/confdiff.py [--ours build/san/chronyd] [--ref /usr/sbin/chronyd]
                           [--ref48 PATH [--record48] [--all48]] [--list] [-v] [-j 2]
Prints DIFF/KNOWN lines (-v: the 4.3/4.8 differences too), a summary and PASS/FAIL
confdiff. Exit status 0 when no line mismatches, 1 otherwise, 77 (skip) without
Debian's chronyd.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import subprocess
import sys
import tempfile

SEED = 20261207

# Directives of chrony 4.8 that 4.3 does not know.
NEW_IN_48 = {"hwtstimeout", "leapseclist", "ntsaeads", "opencommands", "ptpdomain", "refresh"}
# Our own directives (not chrony's).
OURS_ONLY = {"authonly", "bindmetricsaddress", "metricsallow", "metricsdeny", "metricsport",
             "serverbatch", "serverworkers"}
# Options added after 4.3 (directive -> words); a line using one is compared with 4.8 only.
NEW_OPTS_48 = {
    "server": {"ipv4", "ipv6", "maxunreach"},
    "pool": {"ipv4", "ipv6", "maxunreach"},
    "peer": {"ipv4", "ipv6", "maxunreach"},
    "refclock": {"maxunreach"},
    "ratelimit": {"kod"},
    "driftfile": {"interval"},
    "local": {"activate", "waitsynced", "waitunsynced"},
    "hwtimestamp": {"maxpoll"},
}

INT_DIRS = {  # name: (min, max) in 4.8
    "acquisitionport": (0, 65535), "cmdport": (0, 65535), "dscp": (0, 63),
    "logbanner": (0, 2**31 - 1), "maxntsconnections": (1, 2**31 - 1),
    "maxsamples": (0, 2**31 - 1), "minsamples": (0, 2**31 - 1), "minsources": (1, 2**31 - 1),
    "nocerttimecheck": (0, 2**31 - 1), "ntsport": (0, 65535), "ntsprocesses": (0, 1000),
    "ntsrefresh": (0, 2**31 - 1), "ntsrotate": (0, 2**31 - 1), "port": (0, 65535),
    "ptpdomain": (0, 255), "ptpport": (0, 65535), "refresh": (0, 2**31 - 1),
    "sched_priority": (0, 100),
}
DBL_DIRS = ["clockprecision", "combinelimit", "corrtimeratio", "hwtstimeout", "logchange",
            "maxclockerror", "maxdistance", "maxdrift", "maxjitter", "maxslewrate",
            "maxupdateskew", "reselectdist", "rtcautotrim", "stratumweight"]
STR_DIRS = ["bindacqdevice", "bindcmddevice", "binddevice", "dumpdir", "hwclockfile",
            "keyfile", "leapsectz", "leapseclist", "logdir", "ntpsigndsocket", "ntscachedir",
            "ntsdumpdir", "ntsntpserver", "rtcdevice", "rtcfile", "user", "ntsservercert",
            "ntsserverkey", "pidfile"]
FLAG_DIRS = ["lock_all", "manual", "noclientlog", "nosystemcert", "rtconutc", "rtcsync",
             "dumponexit"]
OBSOLETE = ["commandkey", "generatecommandkey", "linux_freq_scale", "linux_hz"]

INTS = ["0", "1", "-1", "2", "5", "6", "10", "15", "16", "17", "32", "33", "-32", "-33", "63",
        "64", "100", "101", "255", "256", "1000", "1001", "65535", "65536", "2147483647",
        "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296", "4294967302",
        "99999999999999999999", "-99999999999999999999", "0x10", "010", "08", "5x", "5.5",
        "5.0", "1e3", "1e-3", "nan", "inf", "-0", "+5", "+", "-", "abc", "0x", " 5", "5,6",
        "1_000", "--5", "+-5", "5-"]
DBLS = ["0", "1", "-1", "0.5", "1e-3", "1e3", "1e", "1e+", "1e-", "5x", "nan", "NAN", "nan(1)",
        "inf", "-inf", "Infinity", "infinity", "0x1p3", "0x1P-2", "0x", "0xg", ".5", "5.",
        "-.5", ".", "1e400", "-1e400", "1e-400", "abc", "1,5", "1.5.5", "+1", "+", "-", "--1",
        "1.0e", "0e0", "00012", "1e3x", "i", "in", "na"]
ADDRS = ["192.0.2.1", "0.0.0.0", "::", "::1", "2001:db8::1", "fe80::1%eth0", "fe80::1%1",
         "::ffff:192.0.2.1", "1.2.3", "10", "192.168", "256.1.1.1", "1.2.3.4.5", "[::1]",
         "localhost", "nonexistent.invalid", "127.1", "0x7f.0.0.1", "01.02.03.04",
         "2001:db8:::1", "1.2.3.4 ", "-1", "abc", "192.0.2.1:123", "2001:DB8::A"]
NETS = ["", "all", "192.0.2.0/24", "192.0.2.1/32", "192.0.2.1/33", "192.0.2.1/0", "::1/128",
        "::1/129", "2001:db8::/32", "10/8", "10", "192.168", "1.2.3", "1.2.3/24", "256",
        "1.256", "1.2.3.4/-1", "1.2.3.4/", "1.2.3.4/abc", "1.2.3.4/24x", "1.2.3.4/ 24",
        "all 192.0.2.0/24", "all all", "ALL", "all 10", "192.0.2.1 10.0.0.1",
        "localhost", "localhost/32", "nonexistent.invalid", "1.2.3.4/08", "1.2.3.4/+8",
        "4294967296", "1.2.3.4/4294967296", "::/0", "0/0", "1..2", "1.2.", ".1", "-1", "+1",
        "1.-0", "1.2.3.", "1.2.3.4x", "0x7f", "127.1", "1.02.3", "1.2.3.4/2147483648"]
COMMENTS = [" # x", " ; x", " ! x", " % x", " #", "#x", ";x"]


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.lines = []
        self.seen = set()

    def add(self, line):
        if line not in self.seen:
            self.seen.add(line)
            self.lines.append(line)

    def variants(self, line, n=2):
        """The line itself and n layout/case/comment variants of it."""
        self.add(line)
        r = self.rnd
        for _ in range(n):
            k = r.randrange(6)
            words = line.split(" ")
            if k == 0:
                self.add(line + r.choice(COMMENTS))
            elif k == 1:
                self.add("\t" + "\t".join(words) + " \t")
            elif k == 2:
                self.add(words[0].upper() + " " + " ".join(words[1:]))
            elif k == 3 and len(words) > 1:
                self.add(" ".join([words[0]] + [w.upper() for w in words[1:]]))
            elif k == 4:
                self.add("  " + "   ".join(words))
            else:
                self.add(line + " " + r.choice(["x", "5", "1.0", "extra"]))


def gen_lines(files):
    g = Gen(SEED)
    r = g.rnd
    for d, (lo, hi) in sorted(INT_DIRS.items()):
        for v in INTS + [str(lo), str(hi), str(lo - 1), str(hi + 1)]:
            g.add(f"{d} {v}".rstrip())
        g.variants(f"{d} {lo}", 4)
        g.add(d)
        g.add(f"{d} 1 2")
    for d in DBL_DIRS:
        for v in DBLS:
            g.add(f"{d} {v}")
        g.variants(f"{d} 0.5", 4)
        g.add(d)
        g.add(f"{d} 1 2")
    for d in STR_DIRS:
        for v in ["/var/lib/x", "x", "/", "a b", "", "/tmp/f # c", "eth0", "\"q\""]:
            g.add(f"{d} {v}".rstrip())
        g.variants(f"{d} /var/lib/chrony/file", 3)
    for d in FLAG_DIRS:
        for v in ["", "1", "yes", "# c", "; c", "x y"]:
            g.add(f"{d} {v}".rstrip())
        g.variants(d, 3)
    for d in OBSOLETE:
        g.add(d)
        g.add(f"{d} 1")
    # Directives with their own syntax.
    for d in ["bindaddress", "bindacqaddress", "bindcmdaddress"]:
        for a in ADDRS + ["", "/var/run/chrony/chronyd.sock", "/", "192.0.2.1 ::1"]:
            g.add(f"{d} {a}".rstrip())
    for d in ["allow", "deny", "cmdallow", "cmddeny"]:
        for n in NETS:
            g.add(f"{d} {n}".rstrip())
        for _ in range(6):
            g.variants(f"{d} {r.choice(NETS[2:])}", 2)
    for v in ["require", "prefer", "mix", "ignore", "REQUIRE", "Mix", "x", "", "mix x"]:
        g.add(f"authselectmode {v}".rstrip())
    for v in ["system", "slew", "step", "ignore", "STEP", "Slew", "x", "", "step x"]:
        g.add(f"leapsecmode {v}".rstrip())
    for iv in ["64", "-1", "0", "5x", "x", "1e3", "2147483648"]:
        for a in ["192.0.2.255", "::1", "bad", ""]:
            for p in ["", "123", "0", "-1", "70000", "5x", "123 4"]:
                g.add(f"broadcast {iv} {a} {p}".rstrip())
    for v in INTS + ["18446744073709551615", "18446744073709551616"]:
        g.add(f"clientloglimit {v}")
    g.add("clientloglimit")
    g.add("clientloglimit 1 2")
    for p in ["/var/lib/chrony/drift", ""]:
        for o in ["", "interval 60", "interval", "interval -1", "interval 5x", "INTERVAL 10",
                  "interval 10 x", "intervalx 10", "interval 0x10", "interval 1e3"]:
            g.add(f"driftfile {p} {o}".strip())
    for a, b in [("1", "2"), ("-1", "5"), ("x", "1"), ("1", "x"), ("1.5", "2"), ("1", "2.5"),
                 ("1", ""), ("1 2", "3"), ("4294967296", "1"), ("5x", "1")]:
        g.add(f"fallbackdrift {a} {b}".rstrip())
    for v in ["0.1", "1", "-1", "x", "1e", "nan", "", "0.1 192.0.2.1", "0.1 localhost ::1",
              "0.1 nonexistent.invalid", "1 192.0.2.1 # c"]:
        g.add(f"initstepslew {v}".rstrip())
    for v in ["measurements", "statistics", "tracking", "rtc", "refclocks", "tempcomp",
              "rawmeasurements", "selection", "measurements tracking", "Tracking", "x",
              "", "tracking tracking", "tracking x"]:
        g.add(f"log {v}".rstrip())
    for v in ["root 0.5", "root", "root 0.5 x", "root x", "root 1e", "user@host nan",
              "root -1"]:
        g.add(f"mailonchange {v}")
    for t in ["1", "0.1", "-1", "x", "1e", "nan", "1000"]:
        for n in ["3", "-1", "0", "x", "1.5", "5x", "", "3 4", "4294967296"]:
            g.add(f"makestep {t} {n}".rstrip())
    for a in ["1000", "x", "0.1"]:
        for b in ["1", "-1", "x", "1.5"]:
            for c in ["2", "x", "", "2 3"]:
                g.add(f"maxchange {a} {b} {c}".rstrip())
    for v in ["", "30", "15", "30 15", "15 30 15", "-1", "x", "30 x", "5x", "2147483648", "0"]:
        g.add(f"ntsaeads {v}".rstrip())
    for v in ["/etc/x.crt", "1 /etc/x", "0 /etc/x", "x /etc/x", "-1 /etc/x", "4294967296 /e",
              "1 2 3", "", "5x /etc/x", "/etc/a /etc/b"]:
        g.add(f"ntstrustedcerts {v}".rstrip())
    for v in ["", "activity", "authdata clients", "ntpdata selectdata serverstats",
              "manual rtcdata smoothing sourcename sources sourcestats tracking", "x",
              "TRACKING", "tracking tracking", "tracking x"]:
        g.add(f"opencommands {v}".rstrip())
    for d in ["ratelimit", "cmdratelimit", "ntsratelimit"]:
        for o in ["", "interval 3", "burst 8", "leak 2", "kod 1", "interval 33", "interval -32",
                  "interval -33", "burst x", "burst", "interval 3 burst 8 leak 2",
                  "INTERVAL 3", "foo 3", "interval 5x", "interval 3x", "interval 1 interval 2",
                  "interval 4294967296"]:
            g.add(f"{d} {o}".rstrip())
    for v in ["400 0.001", "400 0.001 leaponly", "400 0.001 LEAPONLY", "400 0.001 x",
              "400", "x 0.1", "400 x", "400 0.001 leaponly x", "", "1e 1"]:
        g.add(f"smoothtime {v}".rstrip())
    for v in ["/sys/t 30 26000 0 0.000183 0.0", "/sys/t 30 /etc/points", "/sys/t x /etc/p",
              "/sys/t 30 26000 0 0.000183", "/sys/t 30 26000 0 0.000183 0.0 x", "",
              "/sys/t 30 26000 x 0.000183 0.0", "/sys/t", "/sys/t 30"]:
        g.add(f"tempcomp {v}".rstrip())
    g.add("sourcedir " + files["dir"])
    g.add("sourcedir " + files["dir"] + " " + files["dir"])
    g.add("sourcedir")
    g.add("include " + files["empty"])
    g.add("include " + files["dir"] + "/*.conf")
    g.add("include /nonexistent/confdiff.conf")
    g.add("include")
    g.add("include a b")
    g.add("confdir " + files["dir"])
    g.add("confdir")
    g.add("confdir " + " ".join([files["dir"]] * 11))
    g.add("nosuchdirective")
    g.add("nosuchdirective 1")
    g.add("x" * 300)
    g.add("server " + "a" * 2100)
    g.add("Invalid" + "d" * 240 + " x")
    g.add("server" + "x" * 10)
    gen_local(g)
    gen_hwts(g)
    gen_sources(g)
    gen_refclock(g)
    return g.lines


def gen_local(g):
    opts = {"stratum": ["1", "10", "15", "16", "0", "-1", "x", "5x", "4294967306"],
            "distance": DBLS[:12], "activate": ["0.5", "x"], "waitsynced": ["100", "x"],
            "waitunsynced": ["300", "-1", "x"]}
    g.add("local")
    g.add("local orphan")
    g.add("local ORPHAN")
    g.add("local foo")
    g.add("local stratum")
    for o, vals in opts.items():
        for v in vals:
            g.add(f"local {o} {v}")
    for _ in range(40):
        words = []
        for _ in range(g.rnd.randrange(1, 4)):
            o = g.rnd.choice(list(opts) + ["orphan"])
            words.append(o if o == "orphan" else f"{o} {g.rnd.choice(opts[o])}")
        g.variants("local " + " ".join(words), 1)


def gen_hwts(g):
    opts = {"minpoll": ["0", "-6", "33", "-33", "x", "5x"], "maxpoll": ["1", "33", "x"],
            "minsamples": ["2", "-1", "x"], "maxsamples": ["16", "-1", "4294967296"],
            "precision": ["100e-9", "x", "1e"], "rxcomp": ["0", "1e-9", "x"],
            "txcomp": ["0", "x"], "rxfilter": ["all", "none", "ntp", "ptp", "any", "NTP",
                                               "alll", "al", "x", ""]}
    g.add("hwtimestamp")
    for i in ["*", "eth0", "eth0 nocrossts", "eth0 NOCROSSTS", "eth0 foo", "eth0 minpoll"]:
        g.add(f"hwtimestamp {i}")
    for o, vals in opts.items():
        for v in vals:
            g.add(f"hwtimestamp eth0 {o} {v}".rstrip())
    for _ in range(40):
        words = []
        for _ in range(g.rnd.randrange(1, 4)):
            o = g.rnd.choice(list(opts) + ["nocrossts"])
            words.append(o if o == "nocrossts" else f"{o} {g.rnd.choice(opts[o])}".rstrip())
        g.variants("hwtimestamp eth0 " + " ".join(words), 1)


SRC_FLAGS = ["auto_offline", "burst", "copy", "iburst", "offline", "nts", "xleave", "noselect",
             "prefer", "require", "trust", "ipv4", "ipv6"]
SRC_INT = {"filter": (0, None), "maxpoll": (-32, 32), "maxsamples": (0, None),
           "maxsources": (1, None), "maxunreach": (0, None), "minpoll": (None, None),
           "minsamples": (0, None), "minstratum": (0, 16), "ntsport": (0, 65535),
           "port": (0, 65535), "polltarget": (1, None), "presend": (-32, 32),
           "version": (1, 4)}
SRC_DBL = ["asymmetry", "maxdelay", "maxdelayratio", "maxdelaydevratio", "maxdelayquant",
           "mindelay", "offset"]
SRC_SPECIAL = {"key": ["1", "0", "-1", "4294967295", "4294967296", "x", "0x10", "5x", "+1"],
               "certset": ["0", "1", "-1", "4294967296", "x", "5x"],
               "extfield": ["F323", "f323", "0xF323", "F324", "F325", "0", "x", "-F323",
                            "F323x", "1F323", "100000F323"]}
SRC_INT_VALS = ["0", "1", "-1", "4", "5", "6", "10", "16", "17", "32", "33", "-32", "-33",
                "65535", "65536", "2147483647", "2147483648", "4294967296", "4294967302",
                "-4294967290", "99999999999999999999", "x", "5x", "1.5", "0x10", "", "+3",
                "-", "1e2"]


def gen_sources(g):
    r = g.rnd
    for d in ["server", "pool", "peer"]:
        g.add(d)
        for name in ["192.0.2.1", "::1", "ntp.example.com", "2001:db8::1", "fe80::1%eth0",
                     "a" * 300, "x#y"]:
            g.add(f"{d} {name}")
        for f in SRC_FLAGS:
            g.add(f"{d} ntp.example.com {f}")
        for o, (lo, hi) in SRC_INT.items():
            vals = SRC_INT_VALS if d == "server" else r.sample(SRC_INT_VALS, 8)
            for v in vals:
                g.add(f"{d} ntp.example.com {o} {v}".rstrip())
        for o in SRC_DBL:
            vals = DBLS if d == "server" else r.sample(DBLS, 8)
            for v in vals:
                g.add(f"{d} ntp.example.com {o} {v}")
        for o, vals in SRC_SPECIAL.items():
            for v in vals:
                g.add(f"{d} ntp.example.com {o} {v}")
            g.add(f"{d} ntp.example.com {o}")
        g.add(f"{d} ntp.example.com foo")
        g.add(f"{d} ntp.example.com iburst iburst")
        g.add(f"{d} ntp.example.com minpoll 4 minpoll 5")
        g.add(f"{d} ntp.example.com IBURST")
        g.add(f"{d} ntp.example.com Minpoll 4")
        g.add(f"{d} ntp.example.com minpoll4")
        g.add(f"{d} ntp.example.com minpoll")
        g.add(f"{d} ntp.example.com minpoll 4 # comment")
        for _ in range(60 if d == "server" else 20):
            words = []
            for _ in range(r.randrange(1, 5)):
                k = r.randrange(4)
                if k == 0:
                    words.append(r.choice(SRC_FLAGS))
                elif k == 1:
                    words.append(f"{r.choice(list(SRC_INT))} {r.choice(SRC_INT_VALS[:14])}")
                elif k == 2:
                    words.append(f"{r.choice(SRC_DBL)} {r.choice(DBLS[:10])}")
                else:
                    o = r.choice(list(SRC_SPECIAL))
                    words.append(f"{o} {r.choice(SRC_SPECIAL[o][:4])}")
            g.variants(f"{d} {r.choice(['192.0.2.1', 'ntp.example.com', '::1'])} "
                       + " ".join(words), 1)


REF_INT = {"poll": ["4", "-32", "32", "33", "-33", "x", "5x", "4294967300"],
           "dpoll": ["0", "-6", "33", "x"], "filter": ["64", "0", "-1", "x", "4294967296"],
           "rate": ["1", "0", "-1", "x"], "minsamples": ["0", "-1"],
           "maxlockage": ["2", "-1", "x"], "maxsamples": ["5", "-1"],
           "maxunreach": ["100", "-1"], "stratum": ["0", "15", "16", "-1", "x"]}
REF_DBL = {o: ["0.5", "-0.5", "1e-3", "x", "1e", "nan", ""] for o in
           ["offset", "delay", "precision", "maxdispersion", "width"]}
REF_ID = {"refid": ["GPS", "GPS1", "GPS12", "", "G", "gps"], "lock": ["PPS", "PPS12", "NMEA"]}
REF_FLAGS = ["local", "pps", "tai", "noselect", "prefer", "require", "trust"]


def gen_refclock(g):
    r = g.rnd
    g.add("refclock")
    g.add("refclock SHM")
    for drv in ["SHM 0", "SOCK /run/chrony.sock", "PPS /dev/pps0", "PHC /dev/ptp0",
                "RTC /dev/rtc0", "shm 0", "FOO bar", "SHM 0:perm=0644", "PPS /dev/pps0:clear",
                "PHC /dev/ptp0:nocrossts:extpps:pin=1:channel=2:clear", "RTC /dev/rtc0:utc",
                "SHM 0:foo", "PHC /dev/ptp0:x=1", "SOCK /x:perm"]:
        g.add(f"refclock {drv}")
    for o, vals in REF_INT.items():
        for v in vals:
            g.add(f"refclock SHM 0 {o} {v}")
    for o, vals in list(REF_DBL.items()) + list(REF_ID.items()):
        for v in vals:
            g.add(f"refclock SHM 0 {o} {v}".rstrip())
    for f in REF_FLAGS:
        g.add(f"refclock SHM 0 {f}")
        g.add(f"refclock SHM 0 {f.upper()}")
    g.add("refclock SHM 0 foo")
    g.add("refclock SHM 0 poll")
    g.add("refclock SHM 0 refid GPS poll 3 # c")
    for _ in range(60):
        words = []
        for _ in range(r.randrange(1, 5)):
            k = r.randrange(3)
            if k == 0:
                words.append(r.choice(REF_FLAGS))
            elif k == 1:
                o = r.choice(list(REF_INT))
                words.append(f"{o} {r.choice(REF_INT[o][:3])}")
            else:
                o = r.choice(list(REF_DBL) + list(REF_ID))
                v = r.choice((REF_DBL.get(o) or REF_ID[o])[:3])
                words.append(f"{o} {v}".rstrip())
        g.variants(f"refclock {r.choice(['SHM 0', 'PPS /dev/pps0', 'SOCK /x'])} "
                   + " ".join(words), 1)


# --- running and comparing -------------------------------------------------------

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def run(binary, path, cwd):
    p = subprocess.run([binary, "-p", "-f", path], cwd=cwd, capture_output=True, text=True,
                       errors="replace", timeout=30)
    err = [TS.sub("", l) for l in p.stderr.splitlines()]
    # ASan/UBSan reports are never a formatting difference.
    return p.returncode, p.stdout, [l.replace(path, "FILE") for l in err if l.strip()]


def fatal_of(err):
    for l in err:
        if l.startswith("Fatal error : "):
            return l[len("Fatal error : "):]
    return None


# chrony 4.3 messages whose wording 4.8 changed (4.8's conf.c): regex on the 4.3 text ->
# the set of 4.8 texts it may stand for.
def map43(msg):
    m = re.match(r"Invalid directive at line (.*)", msg)
    if m:
        return None  # 4.8 adds the directive's name: compared by prefix below
    m = re.match(r"Could not parse (server|pool|peer) directive (at line .*)", msg, re.I)
    if m:
        return {f"Invalid {k} {m.group(1)} directive {m.group(2)}"
                for k in ("option in", "value in", "syntax for")}
    m = re.match(r"Invalid refclock option (at line .*)", msg)
    if m:
        return {f"Invalid option in {d} directive {m.group(1)}" for d in ("refclock", "REFCLOCK")}
    m = re.match(r"Could not parse (refclock) directive (at line .*)", msg, re.I)
    if m:
        return {msg, f"Invalid value in {m.group(1)} directive {m.group(2)}"}
    m = re.match(r"Could not parse (local) directive (at line .*)", msg, re.I)
    if m:
        return {f"Invalid {k} {m.group(1)} directive {m.group(2)}"
                for k in ("option in", "value in")}
    return {msg}


def same_fatal43(ref, ours, line):
    if ref == ours:
        return True
    m = re.match(r"Invalid directive (at line .*)", ref)
    if m:
        name = line.split()[0] if line.split() else ""
        # 4.8 formats this text in a 256-byte buffer (other_parse_error)
        return ours == f"Invalid directive {name}"[:255] + f" {m.group(1)}"
    return ours in map43(ref)


# Known deviations, left as they are (doc/TESTING.md, confdiff): chrony resolves the
# host names of initstepslew while parsing (a name that does not resolve is a warning);
# ours resolves them when the daemon starts, so `chronyd -p` prints no warning. (The
# names of access rules are looked up while parsing, as chrony: no deviation left.)
def known(line, res_ref, res_ours):
    w = line.split()
    d = w[0].lower() if w else ""
    rc_r, _, err_r = res_ref
    rc_o, _, err_o = res_ours
    if d == "initstepslew" and rc_r == 0 and rc_o == 0 and err_o == [] and all(
            l.startswith("Could not resolve address of initstepslew server") for l in err_r):
        return "initstepslew names resolved at start, not by -p"
    return None


def uses_new(line):
    w = line.split()
    if not w:
        return False
    d = w[0].lower()
    if d in NEW_IN_48 or d in OURS_ONLY:
        return True
    opts = NEW_OPTS_48.get(d, set())
    return any(x.lower() in opts for x in w[1:])


def compare(res_ref, res_ours, line, is43):
    """None when equal, else a short description."""
    rc_r, out_r, err_r = res_ref
    rc_o, out_o, err_o = res_ours
    san = [l for l in err_o if "Sanitizer" in l or "runtime error" in l]
    if san:
        return "sanitizer: " + san[0]
    if (rc_r == 0) != (rc_o == 0):
        return f"exit ref {rc_r} ours {rc_o}: ref {fatal_of(err_r)!r} ours {fatal_of(err_o)!r}"
    if out_r != out_o:
        return f"output ref {out_r!r} ours {out_o!r}"
    if rc_r == 0:
        if err_r != err_o:
            return f"messages ref {err_r!r} ours {err_o!r}"
        return None
    fr, fo = fatal_of(err_r), fatal_of(err_o)
    if fr is None or fo is None:
        return f"no fatal message ref {err_r!r} ours {err_o!r}"
    if fr == fo or (is43 and same_fatal43(fr, fo, line)):
        return None
    return f"message ref {fr!r} ours {fo!r}"


def make_files(tmp):
    d = os.path.join(tmp, "d")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "a.conf"), "w") as f:
        f.write("maxdistance 2\n")
    with open(os.path.join(d, "a.sources"), "w") as f:
        f.write("server 192.0.2.1\n")
    empty = os.path.join(tmp, "empty.conf")
    open(empty, "w").close()
    return {"dir": d, "empty": empty}


def check_line(i, line, args, tmp, expect48):
    wd = os.path.join(tmp, f"w{i % 64}")
    os.makedirs(wd, exist_ok=True)
    path = os.path.join(wd, f"l{i}.conf")
    with open(path, "w") as f:
        f.write(line + "\n")
    ours = run(args.ours, path, wd)
    key = line.replace(tmp, "TMP")
    res = {"line": key, "new": uses_new(line)}
    if not res["new"]:
        ref = run(args.ref, path, wd)
        res["d43"] = compare(ref, ours, line, True)
        if res["d43"]:
            res["known"] = known(line, ref, ours)
    if res["new"] or res.get("d43") or args.all48:
        ref48 = None
        if args.ref48:
            ref48 = run(args.ref48, path, wd)
            res["r48"] = ref48
        elif key in expect48:
            rc, out, err = expect48[key]
            ref48 = (rc, out, err)
        if ref48:
            res["d48"] = compare(ref48, ours, line, False)
            if res["d48"]:
                res["known"] = known(line, ref48, ours)
    os.unlink(path)
    return res


# The outcomes of chrony 4.8 (built from the 4.8 tag) for the generated lines where
# 4.3 cannot decide: lines 4.3 lacks, and lines where 4.3 and ours differ. Written with
# --ref48 PATH --record48, read otherwise (the generator's seed keeps the lines fixed).
EXPECT48 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confdiff-4.8.jsonl")


def load_expect48(path):
    exp = {}
    if os.path.exists(path):
        with open(path) as f:
            for l in f:
                r = json.loads(l)
                exp[r["line"]] = (r["rc"], r["out"], r["err"])
    return exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.environ.get("B", "build/san") + "/chronyd")
    ap.add_argument("--ref", default="/usr/sbin/chronyd")
    ap.add_argument("--ref48", default=os.environ.get("CHRONYD48"))
    ap.add_argument("--record48", action="store_true",
                    help="with --ref48: write 4.8's outcomes to " + EXPECT48)
    ap.add_argument("--all48", action="store_true",
                    help="with --ref48: compare every line with 4.8 too, not only where 4.3 "
                    "cannot decide")
    ap.add_argument("--list", action="store_true", help="print the generated lines")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    args.ours = os.path.abspath(args.ours)
    if args.ref48:
        args.ref48 = os.path.abspath(args.ref48)
    with tempfile.TemporaryDirectory(prefix="confdiff.") as tmp:
        files = make_files(tmp)
        lines = gen_lines(files)
        if args.list:
            for l in lines:
                print(l.replace(tmp, "TMP"))
            return 0
        if not os.access(args.ref, os.X_OK):
            print(f"SKIP confdiff: no {args.ref}")
            return 77
        if not os.access(args.ours, os.X_OK):
            print(f"FAIL confdiff: {args.ours} not built")
            return 1
        expect48 = {} if args.ref48 else load_expect48(EXPECT48)
        with concurrent.futures.ThreadPoolExecutor(args.j) as ex:
            results = list(ex.map(lambda a: check_line(a[0], a[1], args, tmp, expect48),
                                  enumerate(lines)))
    if args.record48 and args.ref48:
        with open(EXPECT48, "w") as f:
            for r in results:
                if "r48" in r and (r["new"] or r.get("d43")):
                    rc, out, err = r["r48"]
                    f.write(json.dumps({"line": r["line"], "rc": rc, "out": out.replace(tmp, "TMP"),
                                        "err": err}) + "\n")
    n_new = sum(r["new"] for r in results)
    d43 = [r for r in results if r.get("d43")]
    bad, diff4348, kn = [], [], []
    for r in results:
        if r.get("d43") and "d48" in r and not r["d48"]:
            diff4348.append(r)
        elif r.get("known"):
            kn.append(r)
        elif r.get("d43"):
            bad.append((r["line"], r["d43"]))
        elif r.get("d48"):
            bad.append((r["line"], "vs 4.8: " + r["d48"]))
    for line, why in bad:
        print(f"DIFF {line!r}: {why}")
    for r in kn:
        print(f"KNOWN {r['line']!r}: {r['known']}")
    if args.v:
        for r in diff4348:
            print(f"4.3/4.8 {r['line']!r}: {r['d43']}")
    n48 = sum("d48" in r and r["new"] for r in results)
    src48 = "4.8" if args.ref48 else "4.8's recorded outcome"
    print(f"confdiff: {len(lines)} lines, {len(lines) - n_new} compared with 4.3, "
          f"{n_new} use 4.4+ or our own directives/options ({n48} compared with {src48}); "
          f"{len(d43)} differ from 4.3, {len(diff4348)} of them as {src48} does; "
          f"{len(kn)} known deviations, {len(bad)} mismatches")
    print(("PASS" if not bad else "FAIL") + " confdiff")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
