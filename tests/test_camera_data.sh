#!/usr/bin/env bash
# tests/test_camera_data.sh — the AU readings under what cameras do to a face (label "data";
# docs/AUS.md "Under a camera"): scripts/camera-robustness.py on 150 FERPlus validation faces
# (seed 1) with the shipped models. Under every camera degradation (JPEG, blur, noise, a dim room,
# a small face, a colour cast) at most 3% of the AU readings may change presence against the clean
# version (measured 1.0-1.5% on 400 faces for docs/reports/camera.md; a mirrored image changes
# 1.73%), and at most 5 more faces of the 150 may be lost. Half-covered faces (mouth, eyes) are a
# known limit: their changed readings must not grow past 15% (measured 9.2-9.5%). ~2 min.
# Skips (77) without the data.
#   usage: test_camera_data.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_camera_data.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
DATA=${AUGUR_DATA:-$SRC/../shared/data}
if [[ ! -f $DATA/fer2013/fer2013new.csv ]]; then echo "skipped: data set not found ($DATA/fer2013; set AUGUR_DATA)"; exit 77; fi
T=$(mktemp -d /tmp/augur-camera-data-XXXXXX)
trap 'rm -rf "$T"' EXIT
if ! python3 "$SRC/scripts/camera-robustness.py" "$AUGUR" "$DATA/fer2013" --n 150 --report "$T/cam" >"$T/out" 2>&1; then
    echo "FAIL: scripts/camera-robustness.py failed"; tail -5 "$T/out"; exit 1
fi
cat "$T/out"
python3 - "$T/cam.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["conditions"]
clean = rows[0]
fail = 0
if clean["condition"] != "clean" or clean["found"] < 135:
    print("FAIL: the clean faces: %s, %d found of %d" % (clean["condition"], clean["found"], clean["faces"])); fail = 1
for r in rows[1:]:
    covered = r["condition"].endswith("covered")
    ceil = 0.15 if covered else 0.03
    if r["au_presence_changed"] > ceil:
        print("FAIL: %s changes %.2f%% of the AU readings (ceiling %g%%)" % (r["condition"], 100 * r["au_presence_changed"],
                                                                            100 * ceil))
        fail = 1
    if not covered and r["found"] < clean["found"] - 5:
        print("FAIL: %s finds %d faces, the clean images %d" % (r["condition"], r["found"], clean["found"])); fail = 1
print("camera: AU presence changed %s" % ", ".join("%s %.2f%%" % (r["condition"], 100 * r["au_presence_changed"])
                                                   for r in rows[1:]))
sys.exit(fail)
PY
