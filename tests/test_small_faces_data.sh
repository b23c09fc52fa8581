#!/usr/bin/env bash
# tests/test_small_faces_data.sh — small faces in large photos (label "data"; docs/FACES.md "Small faces in
# large photos", RULE40): scripts/small-faces.py on 10 SFEW Train film faces (seed 1) pasted 60 and 90 px wide into
# 3000x2000 canvases, on a flat background and on a mosaic of SFEW face parts, with the whole image alone (`full`)
# and with its tiles (`tiled`). Floors below the measured shares of docs/reports/small-faces.md (tiles on the flat
# background 30 and 34 of 40, i.e. 80%; the whole image 1 of 80): the tiles find at least 12 of the 20 flat-background
# faces and at most 2 false faces in the 10 faceless mosaics, none on the flat background. ~1-2 min.
# Skips (77) without the data or without a python3 with numpy (Debian: python3-numpy).
#   usage: test_small_faces_data.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_small_faces_data.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
DATA=${AUGUR_DATA:-$SRC/../shared/data}
if [[ ! -d $DATA/sfew/Train ]]; then echo "skipped: data set not found ($DATA/sfew/Train; set AUGUR_DATA)"; exit 77; fi
py=
for cand in /usr/bin/python3 python3; do
    if "$cand" -c 'import numpy' 2>/dev/null; then py=$cand; break; fi
done
[[ -n $py ]] || { echo "skipped: no python3 with numpy (Debian: python3-numpy)"; exit 77; }
T=$(mktemp -d /tmp/augur-small-faces-data-XXXXXX)
trap 'rm -rf "$T"' EXIT
if ! "$py" "$SRC/scripts/small-faces.py" "$AUGUR" "$DATA/sfew/Train" --n 10 --seed 1 --widths 60,90 \
        --detectors full,tiled --report "$T/sf" >"$T/out" 2>&1; then
    echo "FAIL: scripts/small-faces.py failed"; tail -5 "$T/out"; exit 1
fi
cat "$T/out"
"$py" - "$T/sf.json" <<'PY'
import json, sys
rows = {(r["background"], r["detector"]): r for r in json.load(open(sys.argv[1]))["rows"]}
found = lambda r: sum(r["found"].values())
fail = 0
def check(ok, msg):
    global fail
    print(("" if ok else "FAIL: ") + msg)
    fail |= not ok
t, w = rows["plain", "tiled"], rows["plain", "full"]
check(found(t) >= 12, "tiles find %d of 20 faces 60-90 px wide in 3000x2000 (floor 12)" % found(t))
check(found(t) > found(w), "the whole image alone finds %d, the tiles %d" % (found(w), found(t)))
check(t["false_faces_positive"] + t["false_faces_negative"] == 0, "tiles, flat background: %d false faces" %
      (t["false_faces_positive"] + t["false_faces_negative"]))
m = rows["mosaic", "tiled"]
check(m["negatives_with_a_false_face"] <= 2, "tiles: %d of 10 faceless mosaics of face parts with a false face (ceiling 2)"
      % m["negatives_with_a_false_face"])
sys.exit(fail)
PY
