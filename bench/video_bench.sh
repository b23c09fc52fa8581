#!/usr/bin/env bash
# bench/video_bench.sh — end-to-end `augur video` speed, single thread, on a
# 640x480 H.264 clip (the astronaut, panned: made here with ffmpeg), beside
# TensorFlow.js wasm running detector + mesh + expression per frame
# (bench/tfjs_video_bench.mjs) in the same script. Also reports augur's peak
# RSS. Nothing here is a test assertion. docs/PERFORMANCE.md has the results.
#
#   usage: bench/video_bench.sh [AUGUR] [SECONDS] [augur video options...]
#          (default ./build/augur, 10 s = 300 frames; e.g. --redetect 1: the detector on every frame)
#
# augur's figure: frames / wall time of the frame loop as augur reports it
# (decoding, tracking, FaceMesh, AUs, expression and CSV writing; model
# loading excluded) — and the whole process' wall time beside it. The
# expression model is $AUGUR_EXPR_MODEL or models/expr-ferplus.bin; the
# script says whether one ran. tfjs: frames pre-decoded to raw RGB (not
# timed), a fixed face box (anchor decoding not timed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AUGUR=${1:-./build/augur}
SECS=${2:-10}
shift $(( $# < 2 ? $# : 2 ))
command -v ffmpeg >/dev/null || { echo "video_bench: needs the ffmpeg command" >&2; exit 1; }
T=$(mktemp -d /tmp/augur-vbench-XXXXXX)
trap 'rm -rf "$T"' EXIT

ffmpeg -v error -y -loop 1 -i examples/astronaut.png \
    -vf "scale=1280:1280,crop=640:480:'320+100*sin(t/3)':'100+40*sin(t/5)',format=yuv420p" \
    -r 30 -t "$SECS" -c:v libx264 -crf 18 "$T/clip.mp4"

/usr/bin/time -f "%e %M" -o "$T/time" "$AUGUR" video --threads 1 "$@" --csv "$T/a.csv" "$T/clip.mp4" 2>"$T/log" >/dev/null
line=$(tr '\r' '\n' <"$T/log" | grep "^augur video:" | tail -1)
frames=$(sed -E 's/^augur video: ([0-9]+) frames analysed.*/\1/' <<<"$line")
loop_s=$(sed -E 's/.*, ([0-9.]+) s$/\1/' <<<"$line")
read -r wall rss <"$T/time"
expr_ran=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="expression") c=i} NR==2{print ($c!="" ? "yes" : "no")}' "$T/a.csv")
box=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="box_x1") c=i} NR==2{print $c","$(c+1)","$(c+2)","$(c+3)}' "$T/a.csv")

ffmpeg -v error -i "$T/clip.mp4" -f rawvideo -pix_fmt rgb24 "$T/clip.rgb"
tfjs=$(node bench/tfjs_video_bench.mjs --frames "$T/clip.rgb" --width 640 --height 480 --box "$box")
tf_fps=$(sed -E 's/.*"fps":([0-9.]+).*/\1/' <<<"$tfjs")

awk -v o="${*:+ $*}" -v f="$frames" -v l="$loop_s" -v w="$wall" -v r="$rss" -v t="$tf_fps" -v e="$expr_ran" 'BEGIN {
    a = f / l
    printf "clip: 640x480 H.264, %d frames at 30 fps\n", f
    printf "augur video%s (1 thread; decode + track + mesh + AUs + expression %s + CSV): %.1f frames/s (%.2f ms/frame); process wall %.2f s, peak RSS %.1f MiB\n", o, e, a, 1000 / a, w, r / 1024
    printf "tfjs-wasm (1 thread; detector + mesh + emotion per frame, pre-decoded): %.1f frames/s (%.2f ms/frame)\n", t, 1000 / t
    printf "ratio augur / tfjs: %.2fx\n", a / t
}'
