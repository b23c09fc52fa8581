#!/usr/bin/env bash
# tests/test_expr_data.sh — the shipped expression models on their test splits (label "data";
# issue #5's floors): the default models/expr-crossdomain.bin on FERPlus test (majority protocol,
# 8 classes) >= 84.5% (86.77% measured, issue 13 asks >= 86%), models/expr-ferplus.bin >= 85%,
# models/expr-fer2013.bin on FER2013 PrivateTest (7 classes, with test-time flip
# averaging, the configuration selected on PublicTest) >= 70%, models/expr-multidomain.bin on
# FERPlus test >= 81%. All in the default
# inference mode, as `augur analyze` runs. Skips (77) without ../shared/data.
#   usage: test_expr_data.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_expr_data.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
DATA=${AUGUR_DATA:-$SRC/../shared/data}
if [[ ! -d $DATA/fer2013 ]]; then echo "skipped: data set not found ($DATA/fer2013; set AUGUR_DATA)"; exit 77; fi
T=$(mktemp -d /tmp/augur-expr-data-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# check NAME FLOOR augur-eval-arguments...
check() {
    local name=$1 floor=$2; shift 2
    if ! "$AUGUR" eval expr -q "$@" --data "$DATA/fer2013" --report "$T/$name" >"$T/$name.out" 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name: augur eval expr failed"; tail -5 "$T/$name.out"; return
    fi
    grep "^expression" "$T/$name.out"
    if python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); floor = float(sys.argv[2])
assert d["split"] == "test", d["split"]
assert d["accuracy"] >= floor, "accuracy %.4f < %.2f" % (d["accuracy"], floor)
' "$T/$name.json" "$floor"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name below $floor"; fi
}
# the default (models/expr-crossdomain.md): 86.10% measured, floor 2 points below
check crossdomain 0.84 --protocol ferplus --model "$SRC/models/expr-crossdomain.bin"
check ferplus 0.85 --protocol ferplus --model "$SRC/models/expr-ferplus.bin"
check fer2013 0.70 --protocol fer2013 --model "$SRC/models/expr-fer2013.bin" --flip
# the opt-in multi-domain model (models/expr-multidomain.md): 83.10% measured, floor 2 points below
check multidomain 0.81 --protocol ferplus --model "$SRC/models/expr-multidomain.bin"
echo "$pass passed, $fail failed"
((fail == 0))
