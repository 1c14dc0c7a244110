#!/bin/sh
# Checks the include direction between layers (ARCHITECTURE.md principle 4):
#   lib <- crypto, proto <- core <- daemon <- platform <- chronyd
#   chronyc uses lib, proto and itself.
# Pure layers (lib, proto, core) include only ISO C headers.
cd "$(dirname "$0")/.." || exit 1
status=0
allowed() {
    case $1 in
    lib) echo "lib" ;;
    crypto) echo "lib crypto" ;;
    proto) echo "lib proto" ;;
    core) echo "lib crypto proto core" ;;
    daemon) echo "lib crypto proto core daemon" ;;
    platform) echo "lib crypto proto core daemon platform" ;;
    chronyd) echo "lib crypto proto core daemon platform chronyd" ;;
    chronyc) echo "lib proto chronyc" ;;
    esac
}
ISO="assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h"
for layer in lib crypto proto core daemon platform chronyd chronyc; do
    ok=$(allowed $layer)
    for f in src/$layer/*.c src/$layer/*.h; do
        [ -f "$f" ] || continue
        grep -n '^#include "' "$f" | while IFS= read -r line; do
            inc=$(echo "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
            dir=${inc%%/*}
            [ "$dir" = "$inc" ] && { echo "$f: local include without layer prefix: $inc"; continue; }
            case " $ok " in *" $dir "*) ;; *) echo "$f: layer $layer must not include $inc" ;; esac
        done
        case $layer in lib | proto | core)
            grep -n '^#include <' "$f" | while IFS= read -r line; do
                h=$(echo "$line" | sed 's/.*#include <\([^>]*\)>.*/\1/')
                case " $ISO " in *" $h "*) ;; *) echo "$f: pure layer includes non-ISO header <$h>" ;; esac
            done ;;
        esac
    done
done >/tmp/check-layers.$$ 2>&1
if [ -s /tmp/check-layers.$$ ]; then
    cat /tmp/check-layers.$$
    status=1
else
    echo "check-layers: ok"
fi
rm -f /tmp/check-layers.$$
exit $status
