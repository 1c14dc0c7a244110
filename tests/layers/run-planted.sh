#!/bin/sh
# Plants each kind of layer violation in a tiny temporary tree, compiles only its few
# objects and expects scripts/check-layers.py to report it (and a clean tree to pass).
# Prints one PASS/FAIL line per case.
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
CC=${CC:-cc}
T=$(mktemp -d "${TMPDIR:-/tmp}/planted.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fails=0

put() { # put FILE: writes stdin to $T/tree/FILE
    mkdir -p "$(dirname "$T/tree/$1")" && cat >"$T/tree/$1"
}

# A clean tree: lib <- proto <- core <- daemon (components alpha, beta, node) <- platform.
base() {
    rm -rf "$T/tree" "$T/b"
    put src/lib/num.h <<'EOF'
int lib_add(int a, int b);
EOF
    put src/lib/num.c <<'EOF'
#include "lib/num.h"

#include <string.h>
int lib_add(int a, int b) { return a + b + (int)strlen(""); }
EOF
    put src/proto/wire.c <<'EOF'
#include "lib/num.h"
int proto_len(int n);
int proto_len(int n) { return lib_add(n, 4); }
EOF
    put src/core/calc.h <<'EOF'
int core_calc(int n);
EOF
    put src/core/calc.c <<'EOF'
#include "core/calc.h"
#include "lib/num.h"

#include <stdio.h>
int core_calc(int n)
{
    char buf[16];
    return lib_add(n, snprintf(buf, sizeof(buf), "%d", n));
}
EOF
    put src/daemon/alpha.c <<'EOF'
#include "core/calc.h"
int alpha_run(int n);
int beta_get(void);
int alpha_run(int n) { return core_calc(n) + beta_get(); }
EOF
    put src/daemon/beta_util.c <<'EOF'
int beta_get(void);
int beta_get(void) { return 1; }
EOF
    put src/daemon/node.c <<'EOF'
int alpha_run(int n);
int beta_get(void);
int node_start(void);
int node_start(void) { return alpha_run(beta_get()); }
EOF
    put src/platform/loop.c <<'EOF'
#include <time.h>
int node_start(void);
int platform_run(void);
int platform_run(void) { return node_start() + (int)time(NULL); }
EOF
    : >"$T/known"
}

compile() {
    for f in "$T"/tree/src/*/*.c; do
        rel=${f#"$T/tree/src/"}
        o=$T/b/obj/${rel%.c}.o
        mkdir -p "$(dirname "$o")"
        case $rel in
        lib/* | proto/* | core/*) std="-std=c11 -pedantic" ;;
        *) std="-std=gnu11" ;;
        esac
        # shellcheck disable=SC2086
        $CC $std -w -I"$T/tree/src" -c "$f" -o "$o" || return 1
    done
}

check() {
    compile >"$T/out" 2>&1 || {
        echo "the planted tree does not compile" >>"$T/out"
        return 1
    }
    python3 "$TOP/scripts/check-layers.py" --root "$T/tree" --build "$T/b" \
        --known "$T/known" >"$T/out" 2>&1
}

# expect_fail NAME PATTERN: the check must exit non-zero with a FAIL line matching PATTERN
expect_fail() {
    if check; then
        echo "FAIL planted $name: check-layers passed"
        sed 's/^/    /' "$T/out"
        fails=$((fails + 1))
    elif grep '^FAIL check-layers: ' "$T/out" | grep -q -- "$1"; then
        echo "PASS planted $name"
    else
        echo "FAIL planted $name: no FAIL line matching '$1'"
        sed 's/^/    /' "$T/out"
        fails=$((fails + 1))
    fi
}

expect_pass() {
    if check && ! grep -q '^FAIL ' "$T/out"; then
        echo "PASS planted $name"
    else
        echo "FAIL planted $name: check-layers failed on a clean tree"
        sed 's/^/    /' "$T/out"
        fails=$((fails + 1))
    fi
}

name=clean-tree
base
expect_pass

name=indented-include
base
put src/daemon/x.h </dev/null
printf '  #  include "daemon/x.h"\n' >>"$T/tree/src/core/calc.h"
expect_fail 'includes: src/core/calc.h:2: layer core must not include "daemon/x.h"'

name=dotdot-include
base
put src/platform/x.h </dev/null
printf '#include "core/../platform/x.h"\n' >>"$T/tree/src/core/calc.h"
expect_fail 'includes: src/core/calc.h:2: "core/../platform/x.h" is not of the form'

name=hand-declared-clock_gettime
base
put src/core/stamp.c <<'EOF'
int clock_gettime(int, void *);
int core_stamp(void);
int core_stamp(void)
{
    char ts[16];
    return clock_gettime(0, ts);
}
EOF
expect_fail 'libc: obj/core/stamp.o (pure layer core) uses clock_gettime'
grep -q '^PASS check-layers: includes' "$T/out" ||
    { echo "FAIL planted $name: includes should pass" && fails=$((fails + 1)); }

name=time-in-core
base
put src/core/now.c <<'EOF'
#include <time.h>
long core_now(void);
long core_now(void) { return (long)time(NULL); }
EOF
expect_fail 'libc: obj/core/now.o (pure layer core) uses time,'

name=fopen-in-proto
base
put src/proto/file.c <<'EOF'
#include <stdio.h>
int proto_open(void);
int proto_open(void) { return fopen("/etc/x", "r") != NULL; }
EOF
expect_fail 'libc: obj/proto/file.o (pure layer proto) uses fopen'

name=spliced-include
base
put src/platform/x.h </dev/null
printf '/* a */ %%: /* b */ \\\ninclude "platform/x.h"\n' >>"$T/tree/src/core/calc.h"
expect_fail 'includes: src/core/calc.h:2: layer core must not include "platform/x.h"'

name=printf-getenv-in-lib
base
put src/lib/say.c <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
int lib_say(void);
int lib_say(void) { return printf("%s\n", getenv("HOME")); }
EOF2
expect_fail 'libc: obj/lib/say.o (pure layer lib) uses getenv,'
grep -q 'libc: obj/lib/say.o (pure layer lib) uses printf,' "$T/out" ||
    { echo "FAIL planted $name: printf not reported" && fails=$((fails + 1)); }

name=chronyc-uses-core
base
put src/chronyc/cli.c <<'EOF2'
int core_calc(int n);
int chronyc_run(void);
int chronyc_run(void) { return core_calc(2); }
EOF2
expect_fail 'symbols: obj/chronyc/cli.o (layer chronyc) uses core_calc defined in core/calc.o'

name=subfolder
base
put src/core/sub/x.c <<'EOF'
int core_sub(void);
int core_sub(void) { return 0; }
EOF
expect_fail 'layout: src/core/sub/: subfolder'

name=other-file
base
put src/core/table.inc <<'EOF'
1, 2, 3
EOF
expect_fail 'layout: src/core/table.inc: not a .c or .h file'

name=symlink
base
put src/platform/x.h </dev/null
ln -s ../platform/x.h "$T/tree/src/core/x.h"
expect_fail 'layout: src/core/x.h: symbolic link in a layer folder'

name=core-calls-daemon
base
put src/core/up.c <<'EOF'
int alpha_run(int n);
int core_up(void);
int core_up(void) { return alpha_run(1); }
EOF
expect_fail 'symbols: obj/core/up.o (layer core) uses alpha_run defined in daemon/alpha.o'

name=non-iso-header
base
printf '#include <unistd.h>\n' >>"$T/tree/src/core/calc.c"
expect_fail 'includes: src/core/calc.c:10: pure layer core includes non-ISO header <unistd.h>'

name=daemon-cycle
base
put src/daemon/beta_util.c <<'EOF'
int beta_get(void);
int alpha_flag(void);
int beta_get(void) { return alpha_flag(); }
EOF
printf 'int alpha_flag(void);\nint alpha_flag(void) { return 0; }\n' >>"$T/tree/src/daemon/alpha.c"
expect_fail 'daemon-components: beta -> alpha is in the cycle of components alpha, beta, via alpha_flag (beta_util.o)'

name=known-cycle-accepted
printf 'alpha -> beta\nbeta -> alpha\n' >"$T/known"
expect_pass

name=known-edge-gone
base
printf 'alpha -> beta\n' >"$T/known"
expect_fail "daemon-components: remove alpha -> beta from $T/known (no longer part of a cycle)"

name=daemon-uses-node
base
put src/daemon/beta_util.c <<'EOF'
int beta_get(void);
int node_start(void);
int beta_get(void) { return node_start(); }
EOF
expect_fail 'daemon-components: beta -> node is into the wiring component node, via node_start'

name=node-internal-in-node
base
put src/daemon/node_internal.h <<'EOF'
struct node {
    int quit;
};
EOF
printf '#include "daemon/node_internal.h"\n' >>"$T/tree/src/daemon/node.c"
printf '#include "daemon/node_internal.h"\n' >>"$T/tree/src/daemon/node_commands.c"
expect_pass

name=node-internal-elsewhere
printf '  #  include "daemon/node_internal.h"\n' >>"$T/tree/src/daemon/beta_util.c"
expect_fail 'node-internal: src/daemon/beta_util.c:3: only the daemon component node (the wiring) may include "daemon/node_internal.h"'
if grep -q 'node-internal: src/daemon/node' "$T/out"; then
    echo "FAIL planted $name: the node component's own include reported"
    fails=$((fails + 1))
fi

echo "# planted cases: $fails failed"
[ "$fails" -eq 0 ]
