#!/usr/bin/env bash
# scripts/fer2013-select.sh — the FER2013 protocol's model selection, written down so that
# it cannot drift: every candidate (each MODEL, with and without test-time flip averaging)
# is scored on PublicTest (`--split valid`) only; the best one (ties: the earlier candidate,
# single pass before flip) is then evaluated on PrivateTest exactly once.
#
#   usage: scripts/fer2013-select.sh [--single] [--bar ACC] AUGUR DATA PREFIX MODEL [MODEL ...]
#     AUGUR   the augur binary          DATA    the fer2013 folder (../shared/data/fer2013)
#     PREFIX  report prefix: PREFIX-selection.md (the PublicTest table) and
#             PREFIX.{md,json} (the PrivateTest report of the selected candidate)
#     --single   score single passes only (the 1 ms budget: flip averaging is two passes)
#     --bar ACC  evaluate the best on PrivateTest only if its PublicTest accuracy (a fraction)
#                is at least ACC; otherwise nothing is evaluated on PrivateTest
# Prints the selected model and flag on the last line ("selected: MODEL flip|single"), or
# "selected: none (below the bar)".
set -euo pipefail
modes="single flip" bar=""
while [[ ${1:-} == --* ]]; do
    case $1 in
    --single) modes="single"; shift ;;
    --bar) bar=${2:?fer2013-select.sh: --bar needs an accuracy}; shift 2
        python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 < v <= 1 else 1)" "$bar" 2>/dev/null ||
            { echo "fer2013-select.sh: --bar '$bar' is not an accuracy in (0, 1]" >&2; exit 2; } ;;
    *) echo "fer2013-select.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
AUGUR=${1:?usage: fer2013-select.sh AUGUR DATA PREFIX MODEL...}
DATA=${2:?usage: fer2013-select.sh AUGUR DATA PREFIX MODEL...}
PREFIX=${3:?usage: fer2013-select.sh AUGUR DATA PREFIX MODEL...}
shift 3
(($# > 0)) || { echo "fer2013-select.sh: no MODEL given" >&2; exit 2; }
for m in "$@"; do [[ -r $m ]] || { echo "fer2013-select.sh: cannot read model '$m'" >&2; exit 1; }; done
T=$(mktemp -d /tmp/augur-select-XXXXXX)
trap 'rm -rf "$T"' EXIT

best_acc=-1 best_model="" best_flip=""
table="| model | test-time flip | PublicTest accuracy | macro-F1 |"$'\n'"|---|---|---:|---:|"$'\n'
i=0
for m in "$@"; do
    for flip in $modes; do
        i=$((i + 1))
        args=(eval expr --protocol fer2013 --data "$DATA" --model "$m" --split valid --report "$T/c$i")
        [[ $flip == flip ]] && args+=(--flip)
        "$AUGUR" "${args[@]}" >"$T/c$i.out" 2>&1 || { cat "$T/c$i.out" >&2; exit 1; }
        read -r acc f1 < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["split"]=="valid"; print(d["accuracy"], d["macro_f1"])' "$T/c$i.json")
        printf '%s %-6s PublicTest accuracy %.4f macro-F1 %.4f\n' "$m" "$flip" "$acc" "$f1"
        table+="| \`$(basename "$m")\` | $flip | $(printf '%.2f%%' "$(python3 -c "print(100*$acc)")") | $(printf '%.3f' "$f1") |"$'\n'
        if python3 -c "import sys; sys.exit(0 if $acc > $best_acc else 1)"; then
            best_acc=$acc best_model=$m best_flip=$flip
        fi
    done
done

{
    echo "# FER2013 model selection on PublicTest"
    echo
    echo "Candidates scored on PublicTest only (\`augur eval expr --protocol fer2013 --split valid [--flip]\`,"
    echo "default inference mode); the best is evaluated once on PrivateTest (\`$(basename "$PREFIX").md\`)."
    echo
    printf '%s' "$table"
    echo
    if [[ -n $bar ]] && ! python3 -c "import sys; sys.exit(0 if $best_acc >= $bar else 1)"; then
        echo "Best: \`$(basename "$best_model")\`, $best_flip, under the bar of $bar: nothing is evaluated on PrivateTest."
    else
        echo "Selected: \`$(basename "$best_model")\`, $best_flip."
    fi
} >"$PREFIX-selection.md"
if [[ -n $bar ]] && ! python3 -c "import sys; sys.exit(0 if $best_acc >= $bar else 1)"; then
    echo "selected: none (below the bar)"
    exit 0
fi

args=(eval expr --protocol fer2013 --data "$DATA" --model "$best_model" --report "$PREFIX")
[[ $best_flip == flip ]] && args+=(--flip)
"$AUGUR" "${args[@]}"
echo "selected: $best_model $best_flip"
