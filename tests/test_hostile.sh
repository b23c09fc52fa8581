#!/usr/bin/env bash
# tests/test_hostile.sh — issue 17's hostile inputs, one line each: damaged
# model files (tests/hostile_models.py makes them from the fetched models),
# FIFOs where a file is expected, rationales built to be slow or to overflow,
# output paths that are links, devices or planted temporaries, full disks,
# too many threads, poisoned expression models. Every case checks the exit
# status and a keyword of the one-line error, under a timeout (a hang is a
# failure, not a stuck test), and that an output file written before the
# failed run is still byte-identical. Closes with "N passed, N failed".
#   usage: test_hostile.sh PATH/TO/augur      (exit 77: models not fetched)
set -u
AUGUR=${1:?usage: test_hostile.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
MODELS=${AUGUR_MODELS:-}
IMG=$SRC/examples/astronaut.png
if [[ -z $MODELS || ! -f $MODELS/facemesh.json ]]; then echo "skipped: no models in '$MODELS'"; exit 77; fi
T=$(mktemp -d /tmp/augur-hostile-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
LIMIT=${HOSTILE_TIMEOUT:-60}   # seconds per command: generous for ASan builds, far below a hang

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; sed 's/^/    /' "$T/out" | head -5; }

# case CODE KEYWORD "description" -- command...
#   runs the command (stdout+stderr in $T/out) under the timeout; checks the
#   exit status and that the output holds KEYWORD (grep -i; "" for none)
case_() {
    local want=$1 key=$2 what=$3; shift 4
    timeout "$LIMIT" "$@" >"$T/out" 2>&1
    local got=$?
    if [[ $got == 124 ]]; then bad "$what: timed out after $LIMIT s (a hang)"; return; fi
    # under `make asan` a sanitizer report also exits 1: look for it
    if grep -q "Sanitizer\|runtime error:" "$T/out"; then bad "$what: sanitizer report"; return; fi
    if [[ $got != "$want" ]]; then bad "$what: exit $got, want $want"; return; fi
    if [[ -n $key ]] && ! grep -qi -- "$key" "$T/out"; then bad "$what: output lacks '$key'"; return; fi
    ok
}
# keep FILE "description": FILE still equals its copy made by fresh_keep
fresh_keep() { printf 'results of an earlier run\n1,2,3\n' >"$T/keep.csv"; cp "$T/keep.csv" "$T/keep.orig"; }
keep() {
    if cmp -s "$T/keep.csv" "$T/keep.orig" && [[ ! -L $T/keep.csv ]]; then ok; else
        fail=$((fail + 1)); echo "FAIL: $1: the existing output file was changed"; fi
    if compgen -G "$T/keep.csv.*.part" >/dev/null; then
        fail=$((fail + 1)); echo "FAIL: $1: a temporary was left behind"; rm -f "$T"/keep.csv.*.part; fi
}

# ---------------------------------------------------------------------------
# 1-4, 8, 16: damaged model files -> one error naming the file and the field;
# the earlier results in keep.csv survive the failed run
python3 "$SRC/tests/hostile_models.py" "$MODELS" "$T/m" || { echo "FAIL: hostile_models.py"; exit 1; }
model_case() {   # model_case CASE KEYWORD
    fresh_keep
    case_ 1 "$2" "model $1" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" --models "$T/m/$1" "$IMG"
    keep "model $1"
}
model_case arity_add    "has 1 inputs, expected 2"
model_case arity_conv   "expected 3 to 4"
model_case arity_shape  "has 0 inputs, expected 1"
model_case arity_slice  "has 2 inputs, expected 4"
model_case pack9        "Pack) has 9 inputs"
model_case det_1ch      "not a BlazeFace detector"
model_case mesh_1ch     "not a 468-point FaceMesh"
model_case wrap         "too large"
model_case maxpool_huge "ksize"
model_case slice_2e32   "StridedSlice\|Pack\|Reshape"
model_case weight_nan   "non-finite"
t0=$(date +%s%N)
model_case graph_big    "not a BlazeFace detector"
echo "graph of 32,000 nodes refused in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# the tiny valid 3-channel detector still loads and runs (the checks are not too strict)
case_ 0 "" "tiny valid detector" -- "$AUGUR" analyze -q --models "$T/m/det_tiny_ok" "$IMG"
# 16: detections far outside the image (a damaged detector) are dropped, not analysed
case_ 0 "0 faces" "detector answering faces at 1e11 px" -- "$AUGUR" analyze -q --detector short --models "$T/m/det_far" "$IMG"

# 14: poisoned expression models
python3 - "$SRC/models/expr-ferplus.bin" "$T" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n_params, n_stats = struct.unpack_from("<QQ", b, 8)
stats = 24 + 2 * n_params          # float16 parameters, then float32 statistics
for name, val, off in [("negvar", -1.0, stats + 4 * 32), ("nanvar", float("nan"), stats + 4 * 40),
                       ("infmean", float("inf"), stats)]:
    c = bytearray(b); struct.pack_into("<f", c, off, val); open("%s/expr_%s.bin" % (sys.argv[2], name), "wb").write(c)
c = bytearray(b); struct.pack_into("<H", c, 24 + 2 * 1000, 0x7c00)   # +inf weight
open(sys.argv[2] + "/expr_infw.bin", "wb").write(c)
EOF
for e in negvar:variance nanvar:variance infmean:"running mean" infw:weights; do
    fresh_keep
    case_ 1 "${e#*:}" "expression model ${e%%:*}" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" --expr-model "$T/expr_${e%%:*}.bin" "$IMG"
    keep "expression model ${e%%:*}"
done

# 5: AU models whose feature count, thresholds or evidence map do not match what augur computes
python3 - "$SRC/models/au.json" "$T" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
def save(name, d): json.dump(d, open("%s/au_%s.json" % (sys.argv[2], name), "w"))
d = dict(m); d["n_features"] = 4000; save("nfeat_big", d)
d = dict(m); d["n_features"] = 165; save("nfeat_small", d)
d = dict(m); d["use_appearance"] = 5; save("appearance", d)
d = json.loads(json.dumps(m)); d["aus"][0]["threshold"] = 7; save("threshold", d)
d = json.loads(json.dumps(m)); d["aus"][0]["weights"][3] = "x"; save("weight", d)
d = json.loads(json.dumps(m)); d["evidence"] = d["evidence"][:3]; save("evidence", d)
# the hidden layer's rows: base64 of float32 under "hidden_encoding" (AU_F32_ENCODING); a row one number
# short, a NaN in a row, an encoding augur does not know, and rows in base64 without the encoding are refused
import base64, struct
def rows(d, f): d["hidden_weights"] = [f(r) for r in d["hidden_weights"]]; return d
d = rows(json.loads(json.dumps(m)), lambda r: base64.b64encode(base64.b64decode(r)[:-4]).decode()); save("hw_short", d)
nan = lambda r: base64.b64encode(struct.pack("<f", float("nan")) + base64.b64decode(r)[4:]).decode()
d = rows(json.loads(json.dumps(m)), nan); save("hw_nan", d)
d = json.loads(json.dumps(m)); d["hidden_encoding"] = "float16le-base64"; save("hw_enc", d)
d = json.loads(json.dumps(m)); del d["hidden_encoding"]; save("hw_noenc", d)
# the files train au wrote before 2026-12-07 (rows as arrays of numbers) still load, to the same readings
d = rows(json.loads(json.dumps(m)), lambda r: list(struct.unpack("<%df" % (len(base64.b64decode(r)) // 4), base64.b64decode(r))))
del d["hidden_encoding"]; save("hw_list", d)
EOF
"$AUGUR" analyze -q --json "$IMG" --au-model "$SRC/models/au.json" > "$T/b64.json" 2>/dev/null
"$AUGUR" analyze -q --json "$IMG" --au-model "$T/au_hw_list.json" > "$T/list.json" 2>/dev/null
sed -i 's/"seconds":[-0-9.e]*//' "$T/b64.json" "$T/list.json" # the time the run took
cmp -s "$T/b64.json" "$T/list.json" && [ -s "$T/list.json" ] && ok || bad "an AU model with its hidden rows as numbers reads as the base64 one"
for e in nfeat_big:n_features nfeat_small:n_features appearance:use_appearance threshold:malformed weight:malformed evidence:malformed \
         hw_short:malformed hw_nan:malformed hw_enc:malformed hw_noenc:malformed; do
    fresh_keep
    case_ 1 "${e#*:}" "AU model ${e%%:*}" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" --au-model "$T/au_${e%%:*}.json" "$IMG"
    keep "AU model ${e%%:*}"
done

# ---------------------------------------------------------------------------
# 7: FIFOs where a file is read fail at once (never block)
mkfifo "$T/f.png" "$T/list" "$T/rat.txt" "$T/expr.bin"
case_ 1 "FIFO" "FIFO as image" -- "$AUGUR" analyze "$T/f.png"
case_ 1 "FIFO" "FIFO as @list" -- "$AUGUR" analyze "@$T/list"
case_ 1 "FIFO" "FIFO as rationale" -- "$AUGUR" verify "$IMG" --rationale "$T/rat.txt"
case_ 1 "FIFO" "FIFO as expression model" -- "$AUGUR" analyze --expr-model "$T/expr.bin" "$IMG"
mkdir "$T/fm"; for f in "$MODELS"/*; do ln -s "$f" "$T/fm/"; done
rm "$T/fm/facemesh.json"; mkfifo "$T/fm/facemesh.json"
case_ 1 "FIFO" "FIFO as model.json" -- "$AUGUR" analyze --models "$T/fm" "$IMG"
mkdir "$T/dir"; cp "$IMG" "$T/dir/a.png"; mkfifo "$T/dir/b.png"; ln -s nowhere "$T/dir/c.png"; ln -s d.png "$T/dir/d.png"
case_ 0 "skipping.*b.png.*FIFO" "folder: FIFO skipped with a word" -- "$AUGUR" analyze -q "$T/dir"
grep -q "skipping.*c.png.*dangling" "$T/out" && grep -q "skipping.*d.png.*loop" "$T/out" && grep -q "a.png: 512x512" "$T/out" \
    && ok || bad "folder: dangling link and link loop named, the image analysed"

# ---------------------------------------------------------------------------
# 6, 15: verify: linear time, exact AU numbers, dropped claims noted, limits in --help
python3 -c 'import sys; open(sys.argv[1], "w").write("\n" * (1 << 20))' "$T/nl.txt"
t0=$(date +%s%N)
case_ 0 "no AU claims" "verify 1 MiB of newlines" -- "$AUGUR" verify "$IMG" --rationale "$T/nl.txt"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "verify on 1 MiB of newlines (analysis included): $ms ms"
(( ms < 10000 )) && ok || bad "verify on 1 MiB of newlines took $ms ms (31.6 s when quadratic)"
echo 'AU4294967308 is raised <bbox>[200,300,320,360]</bbox>' >"$T/big.txt"
case_ 0 "out of range" "verify AU4294967308" -- "$AUGUR" verify "$IMG" --rationale "$T/big.txt"
grep -q "AU12 " "$T/out" && bad "AU4294967308 read as AU12" || ok
python3 -c 'import sys; open(sys.argv[1], "w").write(" ".join("AU%d" % i for i in range(1, 80)))' "$T/many.txt"
case_ 0 "beyond the first 64" "verify 79 claims" -- "$AUGUR" verify "$IMG" --rationale "$T/many.txt"
case_ 0 "1 MiB" "verify --help states the limits" -- "$AUGUR" verify --help
grep -q "64 distinct claims" "$T/out" && ok || bad "verify --help lacks the claim limit"

# ---------------------------------------------------------------------------
# 10-13: output files
fresh_keep
case_ 1 "not written" "every input failed" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" "$T/nope.png"
keep "every input failed"
fresh_keep
case_ 1 "has 1 inputs" "models did not load" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" --models "$T/m/arity_add" "$IMG"
keep "models did not load"
echo "the link's target" >"$T/target"; cp "$T/target" "$T/target.orig"; ln -s target "$T/link.csv"
case_ 1 "symbolic link" "-o onto a symbolic link" -- "$AUGUR" analyze -q --csv -o "$T/link.csv" "$IMG"
cmp -s "$T/target" "$T/target.orig" && [[ -L $T/link.csv ]] && ok || bad "-o followed or replaced the link"
case_ 1 "device" "-o onto /dev/null" -- "$AUGUR" analyze -q --csv -o /dev/null "$IMG"
[[ -c /dev/null ]] && ok || bad "/dev/null is no longer a device"
case_ 1 "device" "--overlay onto /dev/null" -- "$AUGUR" analyze -q --overlay /dev/null "$IMG"
echo "victim" >"$T/victim"; ln -s victim "$T/p.csv.part"
case_ 0 "" "planted FILE.part link" -- "$AUGUR" analyze -q --csv -o "$T/p.csv" "$IMG"
[[ $(cat "$T/victim") == victim && -L $T/p.csv.part ]] && grep -q "^frame,face_id," "$T/p.csv" && ok \
    || bad "the planted .part link was followed (or p.csv not written)"
fresh_keep
case_ 1 "" "analysis ok, one input missing" -- "$AUGUR" analyze -q --csv -o "$T/keep.csv" "$IMG" "$T/nope.png"
grep -q "^frame,face_id," "$T/keep.csv" && ok || bad "a run with results must still write them"
if [[ -w /dev/full ]]; then
    timeout "$LIMIT" "$AUGUR" analyze "$IMG" >/dev/full 2>"$T/out"; rc=$?
    [[ $rc == 1 ]] && grep -qi "standard output" "$T/out" && ok || bad "analyze > /dev/full: exit $rc"
    timeout "$LIMIT" "$AUGUR" analyze --json "$IMG" >/dev/full 2>"$T/out"; rc=$?
    [[ $rc == 1 ]] && ok || bad "analyze --json > /dev/full: exit $rc"
    timeout "$LIMIT" "$AUGUR" verify "$IMG" --rationale "$T/big.txt" >/dev/full 2>"$T/out"; rc=$?
    [[ $rc == 1 ]] && grep -qi "standard output" "$T/out" && ok || bad "verify > /dev/full: exit $rc"
fi

# a value option last on the line: a missing value, not an unknown option
case_ 2 "needs a value" "analyze ... -o (no value)" -- "$AUGUR" analyze "$IMG" -o
case_ 2 "needs a value" "verify ... --rationale (no value)" -- "$AUGUR" verify "$IMG" --rationale

# ---------------------------------------------------------------------------
# 9: --threads clamped to the cores, with a warning
cores=$(nproc)
if (( cores < 64 )); then
    case_ 0 "more than the $cores core" "--threads 64" -- "$AUGUR" analyze --threads 64 "$IMG"
fi

# ---------------------------------------------------------------------------
# crashes found by fuzz/ (tests/fuzz-regressions/<target>/*), replayed through
# the ordinary build: each must give an error or a result, never a crash
# (and the seeds of fuzz/corpus/, which must load or fail cleanly too)
REPLAY=$(dirname "$AUGUR")/tools/fuzz_replay
if [[ -x $REPLAY ]]; then
    for d in "$SRC"/tests/fuzz-regressions/*/ "$SRC"/fuzz/corpus/*/; do
        [[ -d $d ]] || continue
        for f in "$d"*; do
            [[ -f $f ]] || continue
            timeout "$LIMIT" "$REPLAY" "$(basename "$d")" "$f" >"$T/out" 2>&1; rc=$?
            [[ $rc == 0 ]] && ! grep -q "Sanitizer\|runtime error:" "$T/out" && ok \
                || bad "fuzz regression $(basename "$d")/$(basename "$f"): exit $rc"
        done
    done
fi

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
