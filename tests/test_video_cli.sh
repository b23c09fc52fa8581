#!/usr/bin/env bash
# tests/test_video_cli.sh — `augur video` as a user meets it: a clip made by
# augur itself (an image sequence of the astronaut, written as an annotated
# MJPEG AVI with --overlay), every output, the per-frame CSV (read as OpenFace
# 2.2's), several inputs and a folder of videos, and the failure
# paths: missing file, not a video, a still image, unwritable outputs, bad
# options, and a truncated video, which must be analysed up to the damage,
# keep every row written so far and a valid overlay, and exit 1 with the
# decoder's message. Closes with "N passed, N failed".
#   usage: test_video_cli.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_video_cli.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
T=$(mktemp -d /tmp/augur-vcli-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0

expect() {
    local want=$1 what=$2; shift 3
    "$@" >"$T/out" 2>&1
    local got=$?
    if [[ $got == "$want" ]]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what: exit $got, want $want"; sed 's/^/    /' "$T/out" | head -5; fi
}
grep_out() {
    if grep -q -- "$1" "$T/out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $2: output lacks '$1'"; sed 's/^/    /' "$T/out" | head -5; fi
}
ok() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

if [[ -n ${AUGUR_MODELS:-} && ! -e $AUGUR_MODELS/facemesh.json ]]; then
    echo "skipped: no face models in $AUGUR_MODELS"; exit 77
fi

expect 0 "video --help" -- "$AUGUR" video --help;   grep_out "--overlay" "help lists --overlay"
expect 0 "augur --help lists video" -- "$AUGUR" --help; grep_out "video" "video in the command list"
expect 2 "no input" -- "$AUGUR" video
expect 2 "--events with two inputs" -- "$AUGUR" video --events e.json a.mkv b.mkv; grep_out "events-dir" "points to --events-dir"
expect 2 "--csv and --csv-dir" -- "$AUGUR" video --csv a.csv --csv-dir . a.mkv
expect 2 "unknown option" -- "$AUGUR" video --frob x.mkv
expect 2 "bad --every" -- "$AUGUR" video --every 0 x.mkv
expect 2 "bad --start" -- "$AUGUR" video --start -1 x.mkv
expect 2 "--end before --start" -- "$AUGUR" video --start 2 --end 1 x.mkv

# a face 47 px wide in 3200x2400 frames (the astronaut halved): the whole frame shows the detector no face; auto
# searches the frame's tiles while nothing is tracked (at most every 5 s), --detector tiled at every
# re-detection; both track it. --detector full does not find it
mkdir "$T/small"
ffmpeg -v error -y -f lavfi -i color=c=0x5a6e82:s=3200x2400 -i "$SRC/examples/astronaut.png" \
    -filter_complex "[1]scale=256:256:flags=area[a];[0][a]overlay=2500:300" -frames:v 1 "$T/small/f0.png"
for i in 1 2 3; do ln -s "$T/small/f0.png" "$T/small/f$i.png"; done
for d in full auto tiled; do
    expect 0 "small face, video --detector $d" -- "$AUGUR" video -q --detector $d --csv "$T/small-$d.csv" "$T/small"
done
python3 -c 'import csv, sys
ok = lambda p: [r for r in csv.DictReader(open(p)) if r["success"] == "1"]
w, a, t = ok(sys.argv[1]), ok(sys.argv[2]), ok(sys.argv[3])
assert not w and all(len(x) == 4 and all(2500 < float(r["x_30"]) < 2756 and r["AU12_c"] == "1" for r in x)
                     for x in (a, t)), (len(w), len(a), len(t))' \
    "$T/small-full.csv" "$T/small-auto.csv" "$T/small-tiled.csv" && pass=$((pass + 1)) || {
    fail=$((fail + 1)); echo "FAIL: video: the small face with --detector full / auto / tiled"; }

# a 24-frame sequence of the astronaut at 12 fps, turned into a video by augur itself
mkdir "$T/seq"
for i in $(seq -w 0 23); do ln -s "$(cd "$SRC" && pwd)/examples/astronaut.png" "$T/seq/f$i.png"; done
expect 0 "sequence -> overlay video" -- "$AUGUR" video -q --fps 12 --csv "$T/seq.csv" --overlay "$T/clip.avi" "$T/seq"
ok "[[ -s $T/clip.avi ]]" "overlay video written"
ok "[[ \$(wc -l <$T/seq.csv) == 25 ]]" "one CSV row per frame (+ header): $(wc -l <"$T/seq.csv" 2>/dev/null)"
ok "head -1 $T/seq.csv | grep -q '^frame,face_id,timestamp,confidence,success,gaze_0_x'" "CSV header starts like OpenFace 2.2's"
ok "cmp -s <(head -1 $T/seq.csv) <(\"$AUGUR\" analyze -q --csv \"$SRC/examples/astronaut.png\" | head -1)" "the same CSV header as augur analyze"
ok "awk -F, 'NR==2 && \$1 != 1 {exit 1} NR==25 && \$1 != 24 {exit 1}' $T/seq.csv" "frames numbered from 1, as OpenFace"
ok "[[ \$(cut -d, -f2,5 $T/seq.csv | sort -u | grep -c .) == 2 ]]" "one face id, success 1, in every row"
ok "awk -F, 'NR==3 && \$3 != \"0.0833\" {exit 1}' $T/seq.csv" "timestamps at 12 fps"

# the clip back: every output
expect 0 "all outputs" -- "$AUGUR" video -q --csv "$T/c.csv" --events "$T/e.json" --timeline "$T/t.txt" \
    --plot "$T/p.png" --overlay "$T/o.mp4" "$T/clip.avi"
ok "[[ \$(wc -l <$T/c.csv) == 25 ]]" "24 frames of CSV"
ok "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"schema\"]==\"augur.events\"' $T/e.json" "events JSON"
ok "[[ -s $T/t.txt && -s $T/p.png && -s $T/o.mp4 ]]" "timeline, plot and overlay written"
expect 0 "timeline on stdout" -- "$AUGUR" video -q "$T/clip.avi";  grep_out "Face 0" "timeline printed"
expect 0 "--every 4 --start 1" -- "$AUGUR" video -q --every 4 --start 1 --csv "$T/s.csv" "$T/clip.avi"
ok "[[ \$(wc -l <$T/s.csv) == 4 ]]" "frames 12..23, one in 4: 3 rows"
expect 0 "--expr-flip" -- "$AUGUR" video -q --expr-flip --every 6 --csv "$T/f.csv" "$T/clip.avi"
ok "python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); assert len(r)==4 and all(x[\"expression\"]==\"happiness\" for x in r)' $T/f.csv" "flip-averaged expression: happiness in every row"

# the CSV read as OpenFace 2.2's, by column name (tests/openface_csv.py)
expect 0 "an OpenFace 2.2 script reads augur's video CSV" -- python3 "$SRC/tests/openface_csv.py" \
    "$SRC/tests/fixtures/openface22_header.csv" "$T/c.csv"
grep_out "in OpenFace's order" "OpenFace columns present, in OpenFace's order"
ok "python3 -c 'import csv,sys,math; r=list(csv.DictReader(open(sys.argv[1]))); assert all(math.hypot(float(x[\"gaze_angle_x\"]), float(x[\"gaze_angle_y\"])) < 0.15 and x[\"file\"].endswith(\"clip.avi\") for x in r)' $T/c.csv" \
   "gaze near the camera and the video named in every row"

# several inputs: one CSV for all (file column), or one per input; a folder of videos
cp "$T/clip.avi" "$T/clip2.avi"
expect 1 "several inputs, one missing" -- "$AUGUR" video -q --every 6 --csv "$T/all.csv" "$T/clip.avi" "$T/nope.mkv" "$T/clip2.avi"
grep_out "nope.mkv" "the missing input named"
ok "python3 -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
files = [x[\"file\"].rsplit(\"/\", 1)[1] for x in r]
assert files == [\"clip.avi\"] * 4 + [\"nope.mkv\"] + [\"clip2.avi\"] * 4, files
bad = r[4]
assert bad[\"success\"] == \"0\" and bad[\"frame\"] == \"\" and \"nope.mkv\" in bad[\"error\"], bad[\"error\"]
assert [x[\"frame\"] for x in r[5:]] == [\"1\", \"7\", \"13\", \"19\"]
' $T/all.csv" "one CSV: every input's rows, the failed one with its error, frames counted per video"
mkdir "$T/vids" "$T/per"
cp "$T/clip.avi" "$T/vids/a.avi"; cp "$T/clip.avi" "$T/vids/b.avi"; echo "notes" >"$T/vids/readme.txt"
expect 0 "a folder of videos, one CSV and events per video" -- "$AUGUR" video -q --every 6 --csv-dir "$T/per" --events-dir "$T/per" "$T/vids"
ok "[[ \$(wc -l <$T/per/a.csv) == 5 && \$(wc -l <$T/per/b.csv) == 5 && -s $T/per/a.events.json && -s $T/per/b.events.json ]]" \
   "per-video outputs: a.csv, b.csv (4 rows each), a.events.json, b.events.json"
expect 2 "two inputs of one name into one folder" -- "$AUGUR" video -q --csv-dir "$T/per" "$T/clip.avi" "$T/vids/../clip.avi"
expect 1 "--csv-dir not a folder" -- "$AUGUR" video -q --csv-dir "$T/nowhere" "$T/clip.avi"
expect 0 "several inputs, timelines on standard output" -- "$AUGUR" video -q --every 6 "$T/vids/a.avi" "$T/vids/b.avi"
grep_out "== .*b.avi ==" "each timeline headed by its input"

# failure paths
expect 1 "missing file" -- "$AUGUR" video -q "$T/nope.mkv";          grep_out "nope.mkv" "missing file named"
echo "hello" >"$T/text.mp4"
expect 1 "not a video" -- "$AUGUR" video -q "$T/text.mp4"
expect 1 "still image" -- "$AUGUR" video -q "$SRC/examples/astronaut.png"; grep_out "image" "still image explained"
expect 1 "unwritable CSV" -- "$AUGUR" video -q --csv "$T/no/dir/x.csv" "$T/clip.avi"; grep_out "cannot write" "CSV message"
expect 1 "unwritable events" -- "$AUGUR" video -q --events "$T/no/dir/e.json" "$T/clip.avi"; grep_out "cannot write" "events message"

# a truncated video: the frames before the damage are analysed and written, exit 1
size=$(stat -c %s "$T/clip.avi")
head -c $((size * 6 / 10)) "$T/clip.avi" >"$T/trunc.avi"
expect 1 "truncated video" -- "$AUGUR" video -q --csv "$T/tr.csv" --overlay "$T/tr.mkv" --events "$T/tr.json" "$T/trunc.avi"
grep_out "truncated or corrupt" "damage message"
rows=$(($(wc -l <"$T/tr.csv") - 1))
ok "(( rows >= 5 && rows < 24 ))" "rows before the damage kept: $rows"
ok "[[ \$(tail -c 1 $T/tr.csv | od -An -c | tr -d ' ') == '\\n' ]]" "the CSV ends with a whole row"
ok "[[ -s $T/tr.json ]]" "events written for the frames read"
expect 0 "the overlay of a damaged input is a valid video" -- "$AUGUR" video -q --csv "$T/tr2.csv" "$T/tr.mkv"
ok "[[ \$(wc -l <$T/tr2.csv) == \$(wc -l <$T/tr.csv) ]]" "overlay holds every analysed frame"
ok "paste -d, <(cut -d, -f3 $T/tr.csv) <(cut -d, -f3 $T/tr2.csv) | awk -F, 'NR>1 && (\$1-\$2>0.0011 || \$2-\$1>0.0011) {exit 1}'" \
   "overlay keeps the source timestamps (to the container's 1 ms)"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
