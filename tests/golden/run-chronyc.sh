#!/bin/sh
# Golden tests of chronyc's report rendering: each tests/golden/chronyc/NAME.cmd
# is run through the command layer against the replies in NAME.hex and must
# print exactly NAME.txt (text, -c CSV and -j JSON cases). Prints PASS/FAIL
# per case. Regenerate fixtures with gen.py, outputs with
# "$B/tests/unit/test_chronyc_render --write tests/golden/chronyc" (then review).
B=${B:-build/san}
T="$B/tests/unit/test_chronyc_render"
if [ ! -x "$T" ]; then
    echo "FAIL golden chronyc: $T not built"
    exit 1
fi
exec "$T" tests/golden/chronyc
