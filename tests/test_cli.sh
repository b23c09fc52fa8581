#!/usr/bin/env bash
# tests/test_cli.sh — the `augur` command as a user meets it: help, a real
# face, every output format, and the failure paths (missing, empty, truncated,
# hostile and enormous images; bad options; unwritable outputs; a folder with
# a bad file that must not stop the others). Closes with "N passed, N failed".
#   usage: test_cli.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_cli.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
T=$(mktemp -d /tmp/augur-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

# expect CODE "description" -- command...   (checks the exit status; stdout+stderr in $T/out)
expect() {
    local want=$1 what=$2; shift 3
    "$@" >"$T/out" 2>&1
    local got=$?
    if [[ $got == "$want" ]]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what: exit $got, want $want"; sed 's/^/    /' "$T/out" | head -5; fi
}
# grep_out PATTERN "description"
grep_out() {
    if grep -q -- "$1" "$T/out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $2: output lacks '$1'"; sed 's/^/    /' "$T/out" | head -5; fi
}

expect 0 "help" -- "$AUGUR" --help;                   grep_out "analyze" "help lists analyze"
expect 2 "no command" -- "$AUGUR"
expect 2 "unknown command" -- "$AUGUR" frobnicate;    grep_out "unknown command" "unknown command message"
expect 0 "analyze --help" -- "$AUGUR" analyze --help; grep_out "--overlay" "analyze help"
expect 2 "analyze without input" -- "$AUGUR" analyze
expect 2 "unknown option" -- "$AUGUR" analyze --frob "$SRC/examples/astronaut.png"
expect 2 "bad --threads" -- "$AUGUR" analyze --threads 0 "$SRC/examples/astronaut.png"

# the real face, in every format
expect 0 "astronaut" -- "$AUGUR" analyze "$SRC/examples/astronaut.png";  grep_out "1 face" "one face found"
expect 0 "astronaut --json" -- "$AUGUR" analyze --json "$SRC/examples/astronaut.png"
grep_out '"schema":"augur.analyze"' "JSON schema name"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); assert len(d["faces"])==1' "$T/out" \
    && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: JSON does not parse to one face"; }
expect 0 "astronaut --csv" -- "$AUGUR" analyze --csv "$SRC/examples/astronaut.png"
grep_out "^frame,face_id,timestamp,confidence,success,gaze_0_x" "CSV header starts like OpenFace 2.2's FeatureExtraction"
expect 0 "overlay" -- "$AUGUR" analyze --overlay "$T/o.png" "$SRC/examples/astronaut.png"
[[ -s $T/o.png ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: overlay not written"; }
# the overlay is the 512 px image with the face's zoomed view and text panel beside it
python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(24); w,h=struct.unpack(">II",b[16:24]); assert b[:8]==b"\x89PNG\r\n\x1a\n" and w>1000 and h>=512' "$T/o.png" \
    && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: overlay lacks the panel beside the image"; }
expect 0 "-o file" -- "$AUGUR" analyze --csv -o "$T/r.csv" "$SRC/examples/astronaut.png"
[[ -s $T/r.csv && ! -e $T/r.csv.part ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: -o did not leave r.csv"; }

# hostile inputs
expect 1 "missing file" -- "$AUGUR" analyze "$T/nope.png";       grep_out "does not exist\|cannot open" "missing file message"
: >"$T/empty.png"
expect 1 "empty file" -- "$AUGUR" analyze "$T/empty.png";        grep_out "empty" "empty file message"
head -c 3000 /dev/urandom >"$T/noise.png"
expect 1 "random bytes" -- "$AUGUR" analyze "$T/noise.png";      grep_out "not an image\|corrupt" "random bytes message"
echo "hello" >"$T/text.jpg"
expect 1 "text file" -- "$AUGUR" analyze "$T/text.jpg"
head -c 20000 "$SRC/examples/astronaut.png" >"$T/trunc.png"
expect 1 "truncated PNG" -- "$AUGUR" analyze "$T/trunc.png";     grep_out "truncated or corrupt" "truncated message"
# a PNG whose header claims 100000 x 100000 pixels
python3 - "$T/huge.png" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
PY
expect 1 "enormous dimensions" -- "$AUGUR" analyze "$T/huge.png"; grep_out "limit\|larger" "size limit message"
# small faces in a large photo: the astronaut 256 px wide (a face ~47 px) in a 4000x3000 canvas; the whole image
# letterboxed to the detector's input finds no face, its tiles do (docs/FACES.md "Small faces in large photos")
ffmpeg -v error -y -f lavfi -i color=c=0x5a6e82:s=4000x3000 -i "$SRC/examples/astronaut.png" \
    -filter_complex "[1]scale=256:256:flags=area[a];[0][a]overlay=3000:400" -frames:v 1 "$T/group.png"
expect 0 "a small face, --detector full" -- "$AUGUR" analyze --json --detector full "$T/group.png"
if grep -q '"success":true' "$T/out"; then fail=$((fail + 1)); echo "FAIL: full range found the 47-px face"; else pass=$((pass + 1)); fi
for d in auto tiled; do
    expect 0 "a small face, --detector $d" -- "$AUGUR" analyze --json --detector $d "$T/group.png"
    python3 -c 'import json, sys; f = [f for f in json.load(open(sys.argv[1]))["faces"] if f["success"]]; \
assert len(f) == 1 and 3000 < f[0]["box"][0] < f[0]["box"][2] < 3256 and any(a["au"] == 12 and a["present"] for a in f[0]["aus"]), f' \
        "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --detector $d: the small smiling face"; }
done
expect 2 "bad --detector" -- "$AUGUR" analyze --detector wide "$SRC/examples/astronaut.png"
grep_out "detector must be auto, short, full or tiled" "--detector message"
mkdir -p "$T/dir"
expect 1 "empty folder" -- "$AUGUR" analyze "$T/dir";           grep_out "no images" "empty folder message"
# a folder with one good and one bad image: the good one is still analysed
cp "$SRC/examples/astronaut.png" "$T/dir/a.png"; cp "$T/trunc.png" "$T/dir/b.png"
expect 1 "folder with a bad file" -- "$AUGUR" analyze -q --csv "$T/dir"
grep_out "a.png" "good image still reported"; grep_out "b.png" "bad image named"
# ... and in the CSV the bad one has its row: success 0, the reason in `error`, numbered in input order
"$AUGUR" analyze -q --csv -o "$T/dir.csv" "$T/dir" "$T/nodir" 2>/dev/null
python3 -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
assert [x["frame"] for x in r] == ["1", "2", "3"], [x["frame"] for x in r]
assert r[0]["file"].endswith("a.png") and r[0]["success"] == "1" and r[0]["error"] == "", r[0]["error"]
assert r[1]["file"].endswith("b.png") and r[1]["success"] == "0" and "truncated or corrupt" in r[1]["error"], r[1]["error"]
assert r[2]["file"].endswith("nodir") and r[2]["success"] == "0" and r[2]["error"], r[2]["error"]
assert r[1]["AU12_r"] == "" and r[1]["face_id"] == "" and r[1]["AU12_mm"] == "" and r[1]["AU12_beyond"] == ""
# the smile measured: the lip corners up, beyond what faces at rest show
assert float(r[0]["AU12_mm"]) > 5 and r[0]["AU12_beyond"] == "1" and r[0]["AU01_beyond"] in ("0", "1"), r[0]["AU12_mm"]
# every AU the astronaut reads over its threshold is present: no reason to hold one back
assert all(r[0][f"AU{a}_held"] == "" for a in ("06", "12", "20", "25")) and r[1]["AU12_held"] == "", r[0]["AU12_held"]
' "$T/dir.csv" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: failed inputs get CSV rows (success 0, error)"; }
# a blank image is "0 faces", not an error
python3 - "$T/blank.png" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
w, h = 64, 48
raw = b"".join(b"\0" + b"\x80" * (3 * w) for _ in range(h))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
expect 0 "blank image" -- "$AUGUR" analyze --crop never "$T/blank.png"; grep_out "0 faces" "zero faces reported"
# @list with a comment, a blank line and a relative path
printf '# images\n\ndir/a.png\n' >"$T/list.txt"
expect 0 "@list" -- "$AUGUR" analyze -q "@$T/list.txt";            grep_out "1 face" "@list analysed"
expect 1 "missing @list" -- "$AUGUR" analyze "@$T/none.txt"
# unwritable outputs keep nothing half-written and fail clearly
expect 1 "overlay into a missing folder" -- "$AUGUR" analyze --overlay "$T/no/such/o.png" "$SRC/examples/astronaut.png"
grep_out "no/such" "overlay error names the path"
expect 1 "overlay onto a folder" -- "$AUGUR" analyze --csv -o "$T/r2.csv" --overlay "$T" "$SRC/examples/astronaut.png"
[[ -s $T/r2.csv && -d $T ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a failed overlay lost the results"; }
echo "previous" >"$T/keep.csv"
expect 1 "-o into a missing folder" -- "$AUGUR" analyze --csv -o "$T/no/such/r.csv" "$SRC/examples/astronaut.png"
# corrupt model folder
mkdir -p "$T/models"; echo '{"modelTopology":' >"$T/models/facemesh.json"
expect 1 "corrupt models" -- "$AUGUR" analyze --models "$T/models" "$SRC/examples/astronaut.png"
grep_out "not valid JSON" "corrupt model message"
expect 1 "missing models" -- "$AUGUR" analyze --models "$T/nomodels" "$SRC/examples/astronaut.png"
grep_out "make setup" "missing models hint"

# a missing or corrupt expression model is a clear error, not a silent default
expect 1 "missing expression model" -- "$AUGUR" analyze --expr-model "$T/none.bin" "$SRC/examples/astronaut.png"
grep_out "expression model" "expression model error named"
head -c 1000 /dev/urandom >"$T/bad.bin"
expect 1 "corrupt expression model" -- "$AUGUR" analyze --expr-model "$T/bad.bin" "$SRC/examples/astronaut.png"
grep_out "not an augur expression model" "corrupt expression model message"

# reasoning trace and verification
expect 0 "trace" -- "$AUGUR" analyze --format trace "$SRC/examples/astronaut.png"
grep_out "<answer> happiness </answer>" "trace answers happiness"
cp "$T/out" "$T/trace.txt"
expect 0 "verify own trace" -- "$AUGUR" verify "$SRC/examples/astronaut.png" --rationale "$T/trace.txt"
grep_out "grounding score: 1.00" "own trace fully grounded"
# the same reasoning as plain text and as JSON, with the shipped classifier checked against the AUs
expect 0 "explain" -- "$AUGUR" analyze --format explain "$SRC/examples/astronaut.png"
grep_out "^Expression: happiness (confidence" "explain names the answer and its confidence"
grep_out "AU evidence ranks it first" "explain states the consistency check"
expect 0 "reasoning JSON" -- "$AUGUR" analyze --json "$SRC/examples/astronaut.png"
python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())["faces"][0]["reasoning"]
assert r["answer"] == "happiness" and r["confidence"] >= 0.8, r
assert {s["region"] for s in r["steps"]} >= {"eye", "mouth"}, r["steps"]
assert any(12 in s["aus"] for s in r["steps"]) and "consistent" in r["consistency"], r
' "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: reasoning JSON"; }
expect 0 "explain with an explicit --expr-model" -- "$AUGUR" analyze --format explain --expr-model "$SRC/models/expr-ferplus.bin" "$SRC/examples/astronaut.png"
grep_out "CAM-COS" "explain reports CAM-COS"
# train expr: bad robustness options are refused before any data is read
expect 2 "train expr --augment unknown" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --augment heavy
grep_out "basic or robust" "--augment names its values"
expect 2 "train expr --folds without --holdout" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --add "$T/none" --folds 3
grep_out "go together" "--folds needs --holdout"
expect 2 "train expr --holdout out of range" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --add "$T/none" --folds 3 --holdout 3
expect 2 "train expr --folds without --add" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --folds 3 --holdout 0
expect 2 "train expr --domains unknown" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --domains all
expect 2 "train expr --domains power out of range" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --domains 1.5
expect 2 "train expr --domains not a number" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --domains 0.7x
expect 2 "train expr --add-sampling unknown" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --add-sampling all
# fine-tuning: a missing or foreign --init model is refused, naming it, before any data is read
expect 1 "train expr --init missing" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --init "$T/nonexistent.bin"
grep_out "nonexistent.bin" "--init names the missing model"
expect 1 "train expr --init not a model" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --init "$SRC/examples/astronaut.png"
grep_out "astronaut.png" "--init names the foreign file"
# distillation: a missing or foreign --teacher is refused, naming it, before any data is read
expect 1 "train expr --teacher missing" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --teacher "$SRC/models/expr-fer2013.bin,$T/nonexistent.bin"
grep_out "nonexistent.bin" "--teacher names the missing model"
expect 1 "train expr --teacher not a model" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --teacher "$SRC/examples/astronaut.png"
grep_out "astronaut.png" "--teacher names the foreign file"
expect 2 "train expr --teacher-weight out of range" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --teacher "$SRC/models/expr-fer2013.bin" --teacher-weight 2
grep_out "teacher-weight" "--teacher-weight names its range"
expect 2 "train expr --teacher-temp zero" -- "$AUGUR" train expr --data "$T/none" --out "$T/m.bin" --teacher "$SRC/models/expr-fer2013.bin" --teacher-temp 0
# model soup: the average of a model with itself is that model, byte for byte; no data is read
expect 0 "train expr --average" -- "$AUGUR" train expr --average "$SRC/models/expr-fer2013.bin,$SRC/models/expr-fer2013.bin" --out "$T/soup.bin"
cmp -s "$T/soup.bin" "$SRC/models/expr-fer2013.bin" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --average of a model with itself differs from it"; }
expect 2 "train expr --average one model" -- "$AUGUR" train expr --average "$SRC/models/expr-fer2013.bin" --out "$T/soup1.bin"
expect 1 "train expr --average missing" -- "$AUGUR" train expr --average "$SRC/models/expr-fer2013.bin,$T/nonexistent.bin" --out "$T/soup1.bin"
grep_out "nonexistent.bin" "--average names the missing model"
expect 1 "train expr --average not a model" -- "$AUGUR" train expr --average "$SRC/models/expr-fer2013.bin,$SRC/examples/astronaut.png" --out "$T/soup1.bin"
grep_out "astronaut.png" "--average names the foreign file"
[[ ! -e $T/soup1.bin ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a refused --average wrote a model"; }
# a shipped expression model by name (models/expr-NAME.bin, hash-checked); an unknown name is an error naming it
expect 0 "a shipped expression model by name" -- "$AUGUR" analyze --expr-model fer2013 "$SRC/examples/astronaut.png"
grep_out "expression: happiness" "the FER2013 model by name reads the smile"
expect 1 "an expression model name that is not shipped" -- "$AUGUR" analyze --expr-model nosuchmodel "$SRC/examples/astronaut.png"
grep_out "nosuchmodel" "the error names the missing model"
# test-time flip averaging: still happiness, and the probabilities differ from the single pass
# (with the FERPlus-only model: the default reads the astronaut at p 0.9993 both ways, equal at the JSON's 4 decimals)
expect 0 "analyze --expr-flip" -- "$AUGUR" analyze --json --expr-flip --expr-model ferplus "$SRC/examples/astronaut.png"
cp "$T/out" "$T/flip.json"
"$AUGUR" analyze --json --expr-model ferplus "$SRC/examples/astronaut.png" >"$T/one.json" 2>/dev/null
python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["faces"][0]["expression"]; o = json.load(open(sys.argv[2]))["faces"][0]["expression"]
assert f["class"] == "happiness" and f["probabilities"]["happiness"] >= 0.8, f
assert f["probabilities"] != o["probabilities"], "flip averaging changed nothing"
' "$T/flip.json" "$T/one.json" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --expr-flip JSON"; }
printf 'Inspect brow region -> AU4 -> <bbox>[180,40,270,80]</bbox>\n<answer> sadness </answer>\n' >"$T/bad.txt"
expect 0 "verify hallucination" -- "$AUGUR" verify --json "$SRC/examples/astronaut.png" --rationale "$T/bad.txt"
grep_out '"grounding":0' "hallucination scores 0"
expect 1 "verify missing rationale" -- "$AUGUR" verify "$SRC/examples/astronaut.png" --rationale "$T/none.txt"
expect 2 "verify without rationale" -- "$AUGUR" verify "$SRC/examples/astronaut.png"

# expression inference modes (expr/infer.h)
expect 0 "bench --expr" -- "$AUGUR" bench --expr --runs 3 --warmup 1; grep_out "int8" "bench --expr lists int8"
expect 2 "eval expr bad --mode" -- "$AUGUR" eval expr --protocol ferplus --data "$T" --model "$T/none.bin" --mode f16
expect 1 "eval expr missing model" -- "$AUGUR" eval expr --protocol ferplus --data "$T" --model "$T/none.bin" --mode int8
expect 1 "calibrate missing model" -- "$AUGUR" train expr --protocol ferplus --data "$T" --out "$T/none.bin" --calibrate
grep_out "cannot open" "calibrate missing model message"

# micro-expression evaluation (eval/micro_eval.h): option and input errors, no data needed
expect 0 "eval micro --help" -- "$AUGUR" eval micro --help;  grep_out "--split" "eval micro help"
expect 2 "eval micro bad --split" -- "$AUGUR" eval micro --split train
expect 2 "eval micro bad --micro-edge" -- "$AUGUR" eval micro --micro-edge 1.5
expect 1 "eval micro missing pairs" -- "$AUGUR" eval micro --data "$T/nowhere"; grep_out "no CK+ pairs" "eval micro missing pairs message"
expect 1 "eval micro missing clips.csv" -- "$AUGUR" eval micro --clips "$T"; grep_out "clips.csv" "eval micro missing clips.csv message"
printf 'clip,subject\n' > "$T/clips.csv"
expect 1 "eval micro bad clips.csv" -- "$AUGUR" eval micro --clips "$T"; grep_out "not a clips.csv" "eval micro bad clips.csv message"
rm -f "$T/clips.csv"

# AU training and evaluation (eval/au_eval.h, eval/evidence_eval.h): option and input errors, no data needed
expect 0 "eval --help" -- "$AUGUR" eval --help; grep_out "evidence" "eval help lists evidence"; grep_out "micro" "eval help lists micro"
expect 0 "train --help" -- "$AUGUR" train --help; grep_out "expr" "train help lists expr"
expect 0 "eval evidence --help" -- "$AUGUR" eval evidence --help; grep_out "evidence_class" "eval evidence help"
expect 2 "eval evidence without --data" -- "$AUGUR" eval evidence
expect 2 "eval evidence bad --protocol" -- "$AUGUR" eval evidence --protocol frob --data "$T"
expect 1 "eval evidence missing folder" -- "$AUGUR" eval evidence --protocol ferplus --data "$T/nowhere"; grep_out "label.csv" "eval evidence missing label.csv"
expect 2 "eval evidence --labels with ferplus" -- "$AUGUR" eval evidence --protocol ferplus --data "$T" --labels "$T/l.csv"; grep_out "folders" "eval evidence --labels needs folders"
mkdir -p "$T/ckf/happy" && cp "$SRC/examples/astronaut.png" "$T/ckf/happy/S010_006_00000015.png"
expect 1 "eval evidence missing --labels file" -- "$AUGUR" eval evidence --protocol folders --data "$T/ckf" --labels "$T/nowhere.csv"; grep_out "nowhere.csv" "eval evidence names the missing label file"
printf 'not,a,label,file\n1,2\n' > "$T/bad_labels.csv"
expect 1 "eval evidence malformed --labels" -- "$AUGUR" eval evidence --protocol folders --data "$T/ckf" --labels "$T/bad_labels.csv"; grep_out "header column 1 is 'not'" "eval evidence names the malformed label file's header"
printf 'subject,sequence,emotion,AU6\nS010,S010_006,happy,2\n' > "$T/bad_labels.csv"
expect 1 "eval evidence --labels bad AU value" -- "$AUGUR" eval evidence --protocol folders --data "$T/ckf" --labels "$T/bad_labels.csv"; grep_out "bad_labels.csv:2: AU value '2' is not 0 or 1" "eval evidence names the bad AU value"
printf 'subject,sequence,emotion,AU6,AU12,AU15\nS010,S010_006,happy,1,1,0\n' > "$T/ck_labels.csv"
expect 0 "eval evidence --labels --mirror" -- "$AUGUR" eval evidence --protocol folders --data "$T/ckf" --labels "$T/ck_labels.csv" --mirror -q
grep_out "coded AUs: 100.0% of 2 (1 coded faces)" "the astronaut's coded smile is shown by its measurements"
grep_out "mirrored: 1 faces; AU presence changes on 0.00%" "the astronaut mirrored reads the same AUs"
# presence against the codes: the smile's AU6, AU12 and AU25 coded and read (F1 1 each), AU15 coded absent and not
# read (no positive: F1 0, as eval au counts it) -> 0.750 over the 4 of OpenFace's 16 the file codes
printf 'subject,sequence,emotion,AU6,AU12,AU15,AU25\nS010,S010_006,happy,1,1,0,1\n' > "$T/ck_labels.csv"
expect 0 "eval evidence, AUs against the codes" -- "$AUGUR" eval evidence --protocol folders --data "$T/ckf" --labels "$T/ck_labels.csv" -q --report "$T/evc"
grep_out "mean F1 over OpenFace's 16 AUs 0.750 (4 of them coded" "the AUs against the codes"
grep -q '^| 12 | 1 | 1 | 1.000 | 1.000 | 1.000 |$' "$T/evc.md" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: AU12 row of the codes table"; }
grep -Eq '"codes_mean_f1_openface16":[[:space:]]*0.75,?$' "$T/evc.json" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: codes mean in the JSON report"; }
rm -rf "$T/ckf" "$T/bad_labels.csv" "$T/ck_labels.csv" "$T"/evc.*
# cross-domain report (eval/crossdomain.h): option and input errors, no data needed
expect 0 "eval crossdomain --help" -- "$AUGUR" eval crossdomain --help; grep_out "evidence_class" "eval crossdomain help"
expect 2 "eval crossdomain without --data" -- "$AUGUR" eval crossdomain
expect 2 "eval crossdomain bad --sets" -- "$AUGUR" eval crossdomain --data "$T" --sets ferplus,frob
expect 2 "eval crossdomain bad --crop" -- "$AUGUR" eval crossdomain --data "$T" --crop sometimes
expect 1 "eval crossdomain missing data" -- "$AUGUR" eval crossdomain -q --no-cache --data "$T/nowhere" --sets sfew
grep_out "nowhere" "eval crossdomain names the missing folder"
expect 1 "eval crossdomain bad fusion file" -- "$AUGUR" eval crossdomain -q --no-cache --data "$T" --fusion "$T/nowhere.json"
expect 2 "eval au bad --budget" -- "$AUGUR" eval au --data "$T" --budget 2
expect 2 "eval au bad --ck-weight" -- "$AUGUR" eval au --data "$T" --ck-weight 0
expect 1 "eval au missing labels" -- "$AUGUR" eval au --data "$T/nowhere" -q; grep_out "nowhere" "eval au names the missing folder"
# an unwritable --predictions is refused before any data is read (the data folder does not even exist)
expect 1 "eval au unwritable --predictions" -- "$AUGUR" eval au --data "$T/nowhere" --predictions "$T/no/dir/p.csv" -q
grep_out "no/dir/p.csv" "eval au names the unwritable predictions file"
if grep -q "nowhere" "$T/out"; then fail=$((fail + 1)); echo "FAIL: eval au read the data before refusing --predictions"; else pass=$((pass + 1)); fi
expect 2 "eval au bad --regional" -- "$AUGUR" eval au --data "$T" --regional 4,99; grep_out "AU numbers" "--regional message"
# the shipped AU model with AU12 changed (python statements on d, the parsed file, and a12, its entry) -> $1
au_variant() {
    python3 - "$SRC/models/au.json" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a12 = next(a for a in d["aus"] if a["au"] == 12)
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}
# the astronaut's smile read over its threshold but not scored, under each reason in turn; the summary and JSON say so
#   held back by faces at rest: AU12 gated and every resting edge at 99 mm (its lip corners move +11 mm)
#   not validated (RULE34): a bar of 0.6 and AU12's inner-fold AUC at 0.5
au_variant "$T/au-held.json" 'd["measure_rest_mm"]["high"] = [99.0] * len(d["measure_rest_mm"]["high"]); a12["rest_gate"] = 1'
au_variant "$T/au-unval.json" 'assert all("oof_auc" in a for a in d["aus"]), "the shipped model carries each AU inner-fold AUC"; d["min_auc"] = 0.6; a12["oof_auc"] = 0.5'
for v in held unval; do
    case $v in
        held) said="held back at rest: AU12 (p 1.00; lip corner raise +"; key='"held_at_rest":true'; why=rest ;;
        unval) said="not claimed (the model cannot rank them): AU12 (p 1.00)"; key='"validated":false'; why=unvalidated ;;
    esac
    expect 0 "analyze, AU12 $v" -- "$AUGUR" analyze --au-model "$T/au-$v.json" "$SRC/examples/astronaut.png"
    grep_out "$said" "the summary names AU12 ($v)"
    if grep -q "action units:.*AU12" "$T/out"; then fail=$((fail + 1)); echo "FAIL: AU12 ($v) listed as present"; else pass=$((pass + 1)); fi
    expect 0 "analyze --json, AU12 $v" -- "$AUGUR" analyze --json --au-model "$T/au-$v.json" "$SRC/examples/astronaut.png"
    grep_out '"au":12,"name":"lip corner puller","present":false' "JSON: AU12 not present ($v)"
    grep_out "$key" "JSON: $key"
    grep_out "\"held\":\"$why\"" "JSON: AU12 held, $why"
    "$AUGUR" analyze -q --csv -o "$T/held.csv" --au-model "$T/au-$v.json" "$SRC/examples/astronaut.png"
    python3 -c 'import csv, sys; r = next(csv.DictReader(open(sys.argv[1]))); assert r["AU12_c"] == "0" and r["AU12_held"] == sys.argv[2] and r["AU06_held"] == "", r["AU12_held"]' \
        "$T/held.csv" "$why" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: CSV AU12_held ($v)"; }
    rm -f "$T/au-$v.json"
done
expect 2 "train au bad --min-auc" -- "$AUGUR" train au --data "$T" --min-auc 1.5 --out "$T/m.json"
grep_out "min-auc must be an AUC in \[0, 1\]" "--min-auc message"
expect 2 "train au bad --evidence-signs" -- "$AUGUR" train au --data "$T" --evidence-signs sometimes --out "$T/m.json"
grep_out "evidence-signs takes facs, facs-for or free (not 'sometimes')" "--evidence-signs message"
expect 2 "train au bad --personal-gate-margin" -- "$AUGUR" train au --data "$T" --personal-gate-margin 21 --out "$T/m.json"
grep_out "personal-gate-margin must be a number of logits in \[0, 20\], not '21'" "--personal-gate-margin message"
expect 2 "eval au bad --personal-gate-rise" -- "$AUGUR" eval au --data "$T" --personal-gate-rise -1
grep_out "personal-gate-rise must be a number of logits in \[0, 20\], not '-1'" "--personal-gate-rise message"
expect 2 "eval au bad --ck-fraction" -- "$AUGUR" eval au --data "$T" --ck-fraction 0
grep_out "ck-fraction must be in (0, 1\], not '0'" "--ck-fraction message"
expect 2 "train au bad --rest-gate" -- "$AUGUR" train au --data "$T" --rest-gate 20,x --out "$T/m.json"
grep_out "rest-gate takes none or AU numbers" "--rest-gate message"
expect 2 "train au bad --personal-shift" -- "$AUGUR" train au --data "$T" --personal-shift both --out "$T/m.json"
grep_out "personal-shift must be all or geometry, not 'both'" "--personal-shift message"
expect 2 "eval au bad --personal-gate" -- "$AUGUR" eval au --data "$T" --personal-gate always
grep_out "personal-gate must be moved, neutral or none, not 'always'" "--personal-gate message"
# a hidden layer with regional AUs is refused before any data is read (train and eval alike)
for cmd in "train au --out $T/m.json" "eval au"; do
    expect 1 "$cmd --hidden with --regional" -- "$AUGUR" $cmd --data "$T/nowhere" --hidden 16 --regional all -q
    grep_out "cannot be combined with regional" "$cmd: --hidden with --regional message"
    if grep -q "nowhere" "$T/out"; then fail=$((fail + 1)); echo "FAIL: $cmd read the data before refusing --hidden with --regional"; else pass=$((pass + 1)); fi
    # an ensemble wider than the runtime's layer (5 x 128 > 512 units) is refused the same way
    expect 1 "$cmd --ensemble too wide" -- "$AUGUR" $cmd --data "$T/nowhere" --hidden 128 --ensemble 5 -q
    grep_out "units in all" "$cmd: --ensemble width message"
done
expect 2 "eval au --ensemble 9" -- "$AUGUR" eval au --data "$T" --ensemble 9
# ---- eval compare: two --predictions files, paired ----
# A and B read the same 4 CK+ peaks (2 subjects), 2 neutral frames and 4 SFEW faces (2 films); B finds
# AU12 on one more coded peak and names one more SFEW face right.
hdr='image,set,group,fold,label,face_found,evidence_class,AU12_p,AU12_threshold,AU12_label'
{ echo "$hdr"
  echo '"a,1.png",ckplus,0,0,happiness,1,happiness,0.9,0.5,1'
  echo 'b.png,ckplus,0,0,happiness,1,happiness,0.2,0.5,1'
  echo 'c.png,ckplus,1,1,anger,1,anger,0.1,0.5,0'
  echo 'd.png,ckplus,1,1,happiness,1,happiness,0.8,0.5,1'
  echo 'n1.png,ckplus-neutral,0,0,neutral,1,neutral,0.1,0.5,0'
  echo 'n2.png,ckplus-neutral,1,1,neutral,1,neutral,0.6,0.5,0'
  echo 's1.png,sfew,2,0,anger,1,anger,0.1,0.5,'
  echo 's2.png,sfew,2,0,fear,1,anger,0.1,0.5,'
  echo 's3.png,sfew,3,1,sadness,0,,,,'
  echo 's4.png,sfew,3,1,happiness,1,happiness,0.9,0.5,'
  echo 's5.png,sfew,3,1,neutral,1,neutral,0.2,0.5,'
  echo 's6.png,sfew,2,0,neutral,1,happiness,0.6,0.5,'; } > "$T/pa.csv"
sed -e 's/^b.png,ckplus,0,0,happiness,1,happiness,0.2/b.png,ckplus,0,0,happiness,1,happiness,0.7/' \
    -e 's/^s2.png,sfew,2,0,fear,1,anger/s2.png,sfew,2,0,fear,1,fear/' \
    -e 's/^s5.png,sfew,3,1,neutral,1,neutral,0.2/s5.png,sfew,3,1,neutral,1,neutral,0.7/' \
    -e 's/^c.png,ckplus,1,1,anger,1,anger/c.png,ckplus,1,1,anger,1,sadness/' "$T/pa.csv" > "$T/pb.csv"
expect 0 "eval compare" -- "$AUGUR" eval compare "$T/pa.csv" "$T/pb.csv" --report "$T/cmp"
# AU12 F1 0.8 -> 1 (over 16 AUs: 0.050 -> 0.062), SFEW 3/6 -> 4/6, neutral frames 50% either way,
# SFEW neutral faces with an AU 1/2 -> 2/2, CK+ evidence class 4/4 -> 3/4 (c.png read as sadness)
grep_out "A 0.050  B 0.062  B-A +0.012" "compare: the F1 difference"
grep_out "A 50.0%  B 66.7%  B-A +16.7" "compare: the SFEW difference"
grep_out "SFEW neutral with an AU: A 50.0%  B 100.0%  B-A +50.0" "compare: the SFEW neutral faces with an AU"
grep_out "CK+ evidence class:    A 100.0%  B 75.0%  B-A -25.0" "compare: the CK+ evidence class"
grep_out "A 50.0%  B 50.0%  B-A +0.0  \[+0.0, +0.0\]" "compare: the same neutral readings give a zero interval"
[[ -s $T/cmp.md && -s $T/cmp.json ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: compare report not written"; }
grep_out "no personal columns" "compare: files without the personal reading say so"
# with the personal columns (as eval au writes them): B reads c.png's AU12 against the neutral wrongly
{ echo "$hdr,AU12_p_personal,AU12_threshold_personal"
  echo '"a,1.png",ckplus,0,0,happiness,1,happiness,0.9,0.5,1,0.9,0.4'
  echo 'b.png,ckplus,0,0,happiness,1,happiness,0.2,0.5,1,0.7,0.4'
  echo 'c.png,ckplus,1,1,anger,1,anger,0.1,0.5,0,0.1,0.4'
  echo 'd.png,ckplus,1,1,happiness,1,happiness,0.8,0.5,1,,'
  echo 'n1.png,ckplus-neutral,0,0,neutral,1,neutral,0.1,0.5,0,0.1,0.4'
  echo 'n2.png,ckplus-neutral,1,1,neutral,1,neutral,0.6,0.5,0,,'
  echo 's1.png,sfew,2,0,anger,1,anger,0.1,0.5,,,'; } > "$T/ppa.csv"
sed 's/^c.png,ckplus,1,1,anger,1,anger,0.1,0.5,0,0.1,0.4/c.png,ckplus,1,1,anger,1,anger,0.1,0.5,0,0.5,0.4/' "$T/ppa.csv" > "$T/ppb.csv"
expect 0 "eval compare, personal columns" -- "$AUGUR" eval compare "$T/ppa.csv" "$T/ppb.csv"
# A against the neutral: AU12 tp 3 (a, b; d has no neutral: its still reading) -> F1 1 (0.062); B adds a false c: 6/7
grep_out "CK+ 16-AU F1:        A 0.062  B 0.054  B-A -0.009" "compare: the personal F1, a row without a neutral read still"
grep_out "neutral with an AU:  A 0.0%  B 0.0%" "compare: only neutral frames with a neutral count"
# the gate by faces at rest (AUxx_rest_gate with the measurement and its edge): B gates AU12; n2's
# measurement stays within rest (held back), a.png's goes beyond (kept)
awk -F, -v OFS=, 'NR == 1 { print $0, "AU12_mm", "AU12_rest_mm", "AU12_mm_personal", "AU12_rest_mm_personal", "AU12_rest_gate"; next }
  { print $0, ($1 ~ /^n2/ ? "1.0" : "3.0"), "2.0", "", "", 0 }' "$T/pa.csv" > "$T/pga.csv"
sed 's/,0$/,1/' "$T/pga.csv" > "$T/pgb.csv"
expect 0 "eval compare, a gate by faces at rest" -- "$AUGUR" eval compare "$T/pga.csv" "$T/pgb.csv"
grep_out "CK+ neutral with an AU: A 50.0%  B 0.0%" "compare: a gated AU within rest is not present"
grep_out "CK+ 16-AU F1:          A 0.050  B 0.050  B-A +0.000" "compare: a gated AU beyond rest stays present"
# the gate of the reading against the person's neutral (bit 2 of AUxx_rest_gate, RULE22): B gates it;
# b.png's AU12 is read against the neutral but not as a still, and has not moved beyond rest (held back:
# a miss); a.png's still reading shows it (kept); with b.png's measurement beyond rest it is kept
awk -F, -v OFS=, 'NR == 1 { print $0, "AU12_mm", "AU12_rest_mm", "AU12_mm_personal", "AU12_rest_mm_personal", "AU12_rest_gate"; next }
  { print $0, "3.0", "2.0", ($1 ~ /^b/ ? "1.0" : "3.0"), "2.0", 0 }' "$T/ppa.csv" > "$T/pva.csv"
sed 's/,0$/,2/' "$T/pva.csv" > "$T/pvb.csv"
expect 0 "eval compare, the personal gate" -- "$AUGUR" eval compare "$T/pva.csv" "$T/pvb.csv"
grep_out "CK+ 16-AU F1:        A 0.062  B 0.050  B-A -0.012" "compare: the personal gate holds back an AU that did not move"
sed 's/^\(b.png.*\),1.0,2.0,2$/\1,3.0,2.0,2/' "$T/pvb.csv" > "$T/pvc.csv"
expect 0 "eval compare, the personal gate, moved" -- "$AUGUR" eval compare "$T/pva.csv" "$T/pvc.csv"
grep_out "CK+ 16-AU F1:        A 0.062  B 0.062  B-A +0.000" "compare: the personal gate keeps an AU that moved beyond rest"
# the neutral gate (bit 4, RULE23, with AUxx_p_neutral: the person's neutral read still): a.png's still
# reading shows AU12 but so does its neutral (0.8), and it has not moved: held back, as b.png is
awk -F, -v OFS=, 'NR == 1 { print $0, "AU12_p_neutral"; next }
  $1 ~ /^"a/ { $(NF-2) = "1.0"; $NF = 4; print $0, "0.8"; next } { $NF = 4; print $0, "" }' "$T/pva.csv" > "$T/pvn.csv"
expect 0 "eval compare, the neutral gate" -- "$AUGUR" eval compare "$T/pva.csv" "$T/pvn.csv"
grep_out "CK+ 16-AU F1:        A 0.062  B 0.031  B-A -0.031" "compare: the neutral gate holds back an AU the neutral shows"
expect 0 "eval compare, a file with itself" -- "$AUGUR" eval compare "$T/pa.csv" "$T/pa.csv"
grep_out "B-A +0.000  \[+0.000, +0.000\]" "compare: a file against itself differs by nothing"
expect 2 "eval compare one file" -- "$AUGUR" eval compare "$T/pa.csv"; grep_out "two prediction files" "compare: one file"
expect 1 "eval compare missing file" -- "$AUGUR" eval compare "$T/pa.csv" "$T/nope.csv"; grep_out "nope.csv" "compare names the missing file"
head -5 "$T/pa.csv" > "$T/pshort.csv"
expect 1 "eval compare other rows" -- "$AUGUR" eval compare "$T/pa.csv" "$T/pshort.csv"; grep_out "not the same data and folds" "compare: other rows"
sed 's/^d.png,ckplus,1,1/d.png,ckplus,1,0/' "$T/pa.csv" > "$T/pfold.csv"
expect 1 "eval compare other folds" -- "$AUGUR" eval compare "$T/pa.csv" "$T/pfold.csv"; grep_out "row 5 differs" "compare: other folds"
echo "x,y" > "$T/pbad.csv"
expect 1 "eval compare not predictions" -- "$AUGUR" eval compare "$T/pbad.csv" "$T/pa.csv"; grep_out "not an .augur eval au --predictions. file" "compare: not a predictions file"
sed 's/^c.png,ckplus,1,1,anger,1,anger,0.1,0.5,0/c.png,ckplus,1,1,anger,1/' "$T/pa.csv" > "$T/pcut.csv"
expect 1 "eval compare short row" -- "$AUGUR" eval compare "$T/pcut.csv" "$T/pa.csv"; grep_out "pcut.csv:4: 6 fields" "compare: a short row named"
expect 2 "eval au bad --video-reading" -- "$AUGUR" eval au --data "$T" --video-reading sometimes
grep_out "auto or personal" "--video-reading message"
expect 2 "eval au bad --video-margin" -- "$AUGUR" eval au --data "$T" --video-reading auto --video-margin -1
grep_out "video-margin must be in" "--video-margin message"
# --mirrored-rows is an option of both commands: a missing folder is still named
expect 1 "train au --mirrored-rows missing data" -- "$AUGUR" train au --data "$T/nowhere" --mirrored-rows --out "$T/au.json" -q
grep_out "nowhere" "train au --mirrored-rows names the missing folder"
expect 1 "train au --ensemble without a hidden layer" -- "$AUGUR" train au --data "$T/nowhere" --hidden 0 --ensemble 2 --out "$T/m.json" -q
grep_out "needs a hidden layer" "--ensemble with --hidden 0 message"
expect 2 "train au without --out" -- "$AUGUR" train au --data "$T"
expect 1 "train au missing data" -- "$AUGUR" train au --data "$T/nowhere" --ferplus "$T/nowhere" --out "$T/au.json" -q; grep_out "nowhere" "train au names the missing folder"
[[ ! -e $T/au.json ]] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a failed train au wrote a model"; }

# ---- the CSV read as OpenFace 2.2's (tests/openface_csv.py, a real FeatureExtraction header) ----
"$AUGUR" analyze -q --csv -o "$T/of.csv" "$SRC/examples/astronaut.png" "$T/blank.png" 2>/dev/null
expect 0 "an OpenFace 2.2 script reads augur's image CSV" -- python3 "$SRC/tests/openface_csv.py" \
    "$SRC/tests/fixtures/openface22_header.csv" "$T/of.csv"
grep_out "in OpenFace's order" "OpenFace columns present, in OpenFace's order"
python3 -c '
import csv, math, sys
r = list(csv.DictReader(open(sys.argv[1])))
a, b = r
assert a["frame"] == "1" and b["frame"] == "2" and b["success"] == "0" and b["error"] == "no face", b["error"]
g = math.hypot(float(a["gaze_angle_x"]), float(a["gaze_angle_y"]))
assert g < 0.15, g                                       # the astronaut looks at the camera
assert float(a["AU12_p"]) > 0.9 and float(a["expr_happiness"]) > 0.8 and a["expression"] == "happiness"
assert 300 < float(a["Z_30"]) < 1500 and not any(k.startswith("p_") for k in r[0])
' "$T/of.csv" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: image CSV values (gaze, AUxx_p, expr_*, Z_*)"; }
expect 0 "--no-gaze" -- "$AUGUR" analyze --csv --no-gaze "$SRC/examples/astronaut.png"
python3 -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
assert r["gaze_angle_x"] == "" and r["gaze_0_z"] == "" and r["success"] == "1" and r["pose_Rx"] != "", r
' "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --no-gaze leaves the gaze columns empty"; }

# ---- CLI conventions (issue 15) ----
# "-": an image on standard input
expect 0 "analyze - (standard input)" -- sh -c '"$0" analyze - <"$1"' "$AUGUR" "$SRC/examples/astronaut.png"
grep_out "^-: 512x512, 1 face" "standard input analysed"
expect 1 "analyze - with nothing on standard input" -- sh -c '"$0" analyze - </dev/null' "$AUGUR"
# --recursive: a folder's sub-folders only when asked
mkdir -p "$T/tree/sub/deeper"; cp "$SRC/examples/astronaut.png" "$T/tree/sub/deeper/x.png"
expect 1 "folder without -r" -- "$AUGUR" analyze -q "$T/tree"; grep_out "no images" "sub-folders not searched by default"
expect 0 "folder with --recursive" -- "$AUGUR" analyze -q --recursive "$T/tree"; grep_out "x.png: 512x512, 1 face" "--recursive finds sub/deeper/x.png"
expect 0 "folder with -r" -- "$AUGUR" analyze -q -r --csv "$T/tree"; grep_out "deeper/x.png" "-r in the CSV"
# progress: drawn on a terminal only, never into a log
"$AUGUR" analyze "$SRC/examples/astronaut.png" "$T/dir/a.png" >/dev/null 2>"$T/err.log"
if ! grep -q $'\r' "$T/err.log" && ! grep -q '\[##' "$T/err.log" && grep -q "2 image(s)" "$T/err.log"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: progress bar written into a log (stderr not a terminal)"; fi
if command -v script >/dev/null 2>&1; then
    script -qec "'$AUGUR' analyze '$SRC/examples/astronaut.png' '$T/dir/a.png' >/dev/null" /dev/null >"$T/tty.log" 2>&1
    if grep -q '\[###' "$T/tty.log"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: no progress bar on a terminal"; sed 's/^/    /' "$T/tty.log" | head -3; fi
fi
# augur help CMD [SUB] prints what augur CMD [SUB] --help prints (kept in $T/help.<cmd>[_<sub>])
all_help=(analyze video verify eval train bench serve traces "eval au" "eval compare" "eval crossdomain" "eval evidence" "eval expr" "eval micro" "train au" "train expr")
for c in "${all_help[@]}"; do
    key=${c/ /_}
    # shellcheck disable=SC2086
    "$AUGUR" help $c >"$T/help.$key" 2>&1
    # shellcheck disable=SC2086
    if cmp -s "$T/help.$key" <("$AUGUR" $c --help 2>&1) && [[ -s $T/help.$key ]]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: 'augur help $c' differs from 'augur $c --help'"; fi
done
expect 2 "help of an unknown command" -- "$AUGUR" help frobnicate
# the man page and the bash completion (generated at build time from the help text) cover
# every command and every option each command's help lists
BUILD=$(dirname "$AUGUR")
man1=$BUILD/augur.1 comp=$BUILD/augur.bash-completion
if [[ -s $man1 && -s $comp ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $man1 or $comp missing"; fi
bash -n "$comp" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: the completion script is not valid bash"; }
sed 's/\\-/-/g; s/\\e/\\/g' "$man1" >"$T/man.txt"
missing=""
for c in analyze video verify eval train bench help version; do
    grep -q "^\.SS augur $c\|^  $c " "$T/man.txt" || missing+=" man:$c"
    grep -q "commands=\".*\b$c\b" "$comp" || missing+=" completion:$c"
done
for c in analyze video verify bench serve traces "eval au" "eval compare" "eval crossdomain" "eval evidence" "eval expr" "eval micro" "train au" "train expr"; do
    key=${c/ /_}
    for o in $(grep -oE '(^|[][ ,(|])(--[a-z][a-z0-9-]*|-[a-z])([] ,=)|.]|$)' "$T/help.$key" | grep -oE -- '--?[a-z][a-z0-9-]*' | sort -u); do
        grep -q -- "$o" "$T/man.txt" || missing+=" man:$c:$o"
        grep -q -- "^ *$key) opts=\".*$o\b" "$comp" || missing+=" completion:$c:$o"
    done
done
if [[ -z $missing ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: not in the man page / completion:$missing"; fi
# the completion completes: commands, options, option values
compl() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _augur; echo "${COMPREPLY[*]}"' _ "$comp" "$@"; }
[[ $(compl augur vi) == video && $(compl augur video --no-g) == --no-gaze && $(compl augur analyze --crop n) == never &&
   $(compl augur eval mi) == micro && $(compl augur eval micro --spl) == --split ]] && pass=$((pass + 1)) \
    || { fail=$((fail + 1)); echo "FAIL: completion: '$(compl augur vi)' '$(compl augur video --no-g)' '$(compl augur analyze --crop n)' '$(compl augur eval mi)'"; }
# help texts match the program: every option a command's source accepts is in its help
for c in analyze video verify bench serve traces; do
    for o in $(grep -oE '"(--[a-z][a-z0-9-]*|-[a-z])"' "$SRC/cli/cmd_$c.c" | tr -d '"' | sort -u); do
        [[ $o == --help || $o == -h ]] && continue
        grep -q -- "$o\b" "$T/help.$c" || missing+=" $c:$o"
    done
done
cat "$T"/help.eval_* "$T"/help.train_* >"$T/help.lab"
for o in $(cat "$SRC"/cli/cmd_eval.c "$SRC"/cli/cmd_train.c "$SRC"/cli/cmd_expr.c "$SRC"/cli/cmd_micro.c | grep -oE '"(--[a-z][a-z0-9-]*|-[a-z])"' | tr -d '"' | sort -u); do
    [[ $o == --help || $o == -h ]] && continue
    grep -q -- "$o\b" "$T/help.lab" || missing+=" eval/train:$o"
done
if [[ -z $missing ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: options the program takes but its help does not list:$missing"; fi
# docs/OUTPUT.md matches the program: its CSV column count and every column it names
python3 - "$SRC/docs/OUTPUT.md" "$T/of.csv" <<'PY' && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: docs/OUTPUT.md and the CSV disagree"; }
import csv, re, sys
doc = open(sys.argv[1]).read()
header = next(csv.reader(open(sys.argv[2])))
csv_part = doc[doc.index("## CSV"):doc.index("## Overlay PNG")]
n = int(re.search(r"\*\*(\d+) columns\*\*", csv_part).group(1))
assert n == len(header), f"OUTPUT.md says {n} columns, the CSV has {len(header)}"
table = [l for l in csv_part.splitlines() if l.startswith("| ") and re.match(r"\| \d", l)]
named = set()
for l in table:
    cell = l.split("|")[2]
    for name in re.findall(r"`([^`]+)`", cell):
        named.add(name)
bad = [c for c in named if c not in header and not re.search(r"xx|<class>", c)]
assert not bad, f"OUTPUT.md names columns the CSV lacks: {bad}"
# the table's positions: the first column named in each row is at that position
for l in table:
    pos = int(re.match(r"\| (\d+)", l).group(1))
    first = re.findall(r"`([^`]+)`", l.split("|")[2])[0]
    first = first.replace("AUxx", "AU01").replace("<class>", "neutral")
    assert header[pos] == first, f"OUTPUT.md puts {first} at {pos}, the CSV has {header[pos]}"
PY

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
