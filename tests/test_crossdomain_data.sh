#!/usr/bin/env bash
# tests/test_crossdomain_data.sh — issue 13's cross-domain report (label "data"): `augur eval
# crossdomain` through the user path (augur_analyze_file, the largest face, no face = wrong) on the
# FULL sets — FERPlus test (3,137), FER2013 PrivateTest (3,573), CK+ ckplus48 (684), SFEW Train
# (860) — with the shipped default models; each set's accuracy, for the classifier and for the AU
# evidence, must stay above its floor: the value measured for docs/EXPRESSION.md ("Cross-domain")
# minus 2 points. The default classifier (models/expr-crossdomain.bin) was fine-tuned on CK+ and
# SFEW Train, so its CK+ and SFEW rows here are in-sample (the out-of-fold ones need its 3 fold
# models: docs/reports/crossdomain-crossdomain.md). The AU evidence on CK+ and SFEW is the shipped AU model's (--no-au-cv: in-sample, as the
# AU model was trained on those faces; the out-of-fold numbers need ~20 min of AU training and are
# in the docs, not here). Records are cached in a temporary folder only (FER2013 PrivateTest
# reuses the FERPlus test images' analysis). ~2-3 min on 2 cores. Skips (77) without the data.
#   usage: test_crossdomain_data.sh PATH/TO/augur
set -u
AUGUR=${1:?usage: test_crossdomain_data.sh PATH/TO/augur}
SRC=${AUGUR_SOURCE_DIR:-.}
DATA=${AUGUR_DATA:-$SRC/../shared/data}
for d in fer2013 ckplus48 sfew/Train; do
    if [[ ! -d $DATA/$d ]]; then echo "skipped: data set not found ($DATA/$d; set AUGUR_DATA)"; exit 77; fi
done
T=$(mktemp -d /tmp/augur-crossdomain-data-XXXXXX)
trap 'rm -rf "$T"' EXIT
FUSION=()
[[ -f $SRC/models/expr-fusion.json ]] && FUSION=(--fusion "$SRC/models/expr-fusion.json")
if ! "$AUGUR" eval crossdomain -q --data "$DATA" --model "$SRC/models/expr-crossdomain.bin" --au-model "$SRC/models/au.json" \
        --no-au-cv --no-fusion "${FUSION[@]}" --cache "$T/cache" --report "$T/report" >"$T/out" 2>&1; then
    echo "FAIL: augur eval crossdomain failed"; tail -5 "$T/out"; exit 1
fi
cat "$T/out"
# floors: measured (docs/EXPRESSION.md, Cross-domain) - 0.02
python3 - "$T/report.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
floors = {  # set: (classifier, evidence, fused-file or None)
    "ferplus": (0.8562 - 0.02, 0.7357 - 0.02, None),
    "fer2013": (0.5964 - 0.02, 0.5108 - 0.02, None),
    "ckplus":  (0.9912 - 0.02, 0.9313 - 0.02, None),  # classifier in-sample (fine-tuned on these faces)
    "sfew":    (0.6779 - 0.02, 0.4965 - 0.02, None),  # classifier in-sample
}
fail = 0
for name, (fc, fe, ff) in floors.items():
    s = d["sets"][name]
    for rule, floor in (("classifier", fc), ("evidence", fe), ("fused-file", ff)):
        if floor is None or rule not in s["decisions"]:
            continue
        acc = s["decisions"][rule]["accuracy"]
        ok = acc >= floor
        fail += not ok
        print("%s %-8s %-10s accuracy %.4f, floor %.4f" % ("ok  " if ok else "FAIL", name, rule, acc, floor))
    assert s["images"] > 0
print("%d below their floors" % fail)
sys.exit(1 if fail else 0)
EOF
