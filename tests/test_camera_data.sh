#!/usr/bin/env bash
# tests/test_camera_data.sh — the AU readings under what cameras do to a face (label "data";
# docs/AUS.md "Under a camera"): scripts/camera-robustness.py on 150 FERPlus validation faces
# (seed 1) with the shipped models. Under every camera degradation (JPEG, blur, noise, a dim room,
# a small face, a colour cast) at most 3% of the AU readings may change presence against the clean
# version (measured 1.0-1.5% on 400 faces for docs/reports/camera.md; a mirrored image changes
# 1.73%), and at most 5 more faces of the 150 may be lost. Half-covered faces (docs/AUS.md "A face half
# covered", RULE25): the covered area is found (the mouth covers: the lower face on >= 90% of the faces
# found, measured 97-99%; the eyes cover: the upper face on >= 80%, measured 91% on PrivateTest), clean
# and camera-degraded faces are seldom called covered (<= 5% clean, <= 6% each condition; measured
# 1.0-2.5% on 400 PrivateTest faces, 2.1-3.5% on these 150), the visible half's changed readings stay under 10% (measured 5.7-7.1%, 7.5-8.7% without the
# test) and all changed readings under 15%. Covers of one side only (placed on the face's axes since RULE30)
# are a known weak spot: their changed readings are held under 15%, how often they are found is only
# reported (measured on these 150: one side of the mouth 32.4%, one eye 9.4%; docs/AUS.md "Each side on
# its own"). ~3.5 min.
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
if clean["covered_any"] > 0.05:
    print("FAIL: %.1f%% of the clean faces called covered (ceiling 5%%)" % (100 * clean["covered_any"])); fail = 1
for r in rows[1:]:
    covered = "covered" in r["condition"]
    ceil = 0.15 if covered else 0.03
    if not covered and r["covered_any"] > 0.06:
        print("FAIL: %s: %.1f%% of the faces called covered (ceiling 6%%)" % (r["condition"], 100 * r["covered_any"]))
        fail = 1
    halves = ("mouth covered", "mouth covered, skin", "mouth covered, cloth", "eyes covered")
    if covered and r["condition"] not in halves and r["condition"] not in ("mouth covered, one side", "one eye covered"):
        print("FAIL: a cover this test does not know: %s" % r["condition"]); fail = 1
    if covered and r["condition"] in halves:  # one-sided covers are reported, not held (docs/AUS.md, Limits)
        mouth = r["condition"].startswith("mouth")
        found, floor = (r["covered_lower"], 0.90) if mouth else (r["covered_upper"], 0.80)
        other = r["upper_face_changed"] if mouth else r["lower_face_changed"]
        if found < floor:
            print("FAIL: %s: the %s face called covered on %.1f%% (floor %g%%)" % (
                r["condition"], "lower" if mouth else "upper", 100 * found, 100 * floor)); fail = 1
        if other > 0.10:
            print("FAIL: %s: the visible half changes %.2f%% of its readings (ceiling 10%%)" % (r["condition"], 100 * other))
            fail = 1
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
