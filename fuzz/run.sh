#!/usr/bin/env bash
# fuzz/run.sh — runs the libFuzzer targets built by `make fuzz` (build-fuzz/fuzz/).
#
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target; from the source root)
#
# Each target runs SECONDS on its seeds (fuzz/corpus/<target>, committed) plus
# a working corpus it grows (build-fuzz/corpus/<target>, not committed), with
# a 10 s per-input timeout and a 2 GB memory limit. A crash, hang or OOM
# leaves the input in build-fuzz/artifacts/<target>/ and fails the run: copy
# it to tests/fuzz-regressions/<target>/ once fixed, and `make test` replays
# it (tests/test_hostile.sh, through tools/fuzz_replay in the normal build).
# Prints one line per target: runs, seconds, coverage, corpus size.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
(( ${#targets[@]} )) || targets=(model image rationale expr video aumodel tflite labels)
B=${AUGUR_FUZZ_BUILD:-build-fuzz}
export AUGUR_SOURCE_DIR=$PWD
status=0
for t in "${targets[@]}"; do
    bin=$B/fuzz/fuzz_$t
    [[ -x $bin ]] || { echo "fuzz/run.sh: $bin not built (make fuzz)"; exit 2; }
    mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
    max_len=65536
    [[ $t == image || $t == video ]] && max_len=262144
    log=$B/artifacts/$t/last.log
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
        -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" \
        "$B/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    corpus=$(ls "$B/corpus/$t" | wc -l)
    printf '%-10s %s: %s runs in %s s, %s, corpus %s files\n' "$t" \
        "$([[ $rc == 0 ]] && echo ok || echo FAILED)" "${runs:-?}" "$secs" "${cov:-cov: ?}" "$corpus"
    if [[ $rc != 0 ]]; then
        status=1
        grep -m5 -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/    /'
    fi
done
exit $status
