#!/usr/bin/env python3
"""tests/openface_csv.py HEADER.csv CSV... — augur's CSVs read as OpenFace 2.2 CSVs.

HEADER.csv is a real OpenFace 2.2 FeatureExtraction header (tests/fixtures/openface22_header.csv).
For each CSV (augur's, from `augur analyze --csv` or `augur video --csv`):

1. every OpenFace column augur claims to provide (all of OpenFace's but the eye landmarks
   eye_lmk_* and the PDM parameters p_*, which docs/OUTPUT.md says augur omits) is there,
   in OpenFace's relative order, and none of augur's other columns takes an OpenFace name;
2. `openface_script` — written as a user's script for OpenFace CSVs, selecting columns by
   name only (AUs, pose, gaze, 2D and 3D landmarks) — runs unchanged on it, exactly as it
   runs on a CSV with OpenFace's own header (a synthetic one is made from HEADER.csv and
   read first, to show the script is an OpenFace script).

Only the standard library (csv), so it runs wherever the tests run. Exit status 0 when all
checks pass; prints what failed otherwise.
"""
import csv
import math
import os
import sys
import tempfile

OMITTED_PREFIXES = ("eye_lmk_", "p_")   # documented in docs/OUTPUT.md


def read(path):
    # OpenFace 2.2 writes ", " between fields (its header included): skipinitialspace reads both
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, skipinitialspace=True))
        f.seek(0)
        header = [h.strip() for h in next(csv.reader(f, skipinitialspace=True))]
    return header, rows


def openface_script(path):
    """A typical analysis of an OpenFace 2.2 FeatureExtraction CSV, by column name."""
    _, rows = read(path)
    ok = [r for r in rows if r["success"].strip() == "1"]
    aus_r = ["AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU07_r", "AU09_r", "AU10_r", "AU12_r",
             "AU14_r", "AU15_r", "AU17_r", "AU20_r", "AU23_r", "AU25_r", "AU26_r", "AU45_r"]
    aus_c = [a[:-2] + "_c" for a in aus_r] + ["AU28_c"]
    out = {"frames": len({r["frame"] for r in rows}), "faces": len(ok)}
    for r in ok:
        frame, t, conf = int(r["frame"]), float(r["timestamp"]), float(r["confidence"])
        assert frame >= 1 and t >= 0 and 0 <= conf <= 1, (frame, t, conf)
        pose = [float(r[c]) for c in ("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz")]
        gaze = [float(r[c]) for c in ("gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
                                      "gaze_angle_x", "gaze_angle_y")]
        lm2 = [(float(r[f"x_{i}"]), float(r[f"y_{i}"])) for i in range(68)]
        lm3 = [(float(r[f"X_{i}"]), float(r[f"Y_{i}"]), float(r[f"Z_{i}"])) for i in range(68)]
        # AUs the model does not measure may be empty in augur's CSV (NaN here)
        au = {a: float(r[a]) if r[a].strip() else math.nan for a in aus_r + aus_c}
        assert all(math.isfinite(v) for v in pose + gaze), "pose/gaze not numbers"
        assert all(math.isfinite(v) for p in lm2 + lm3 for v in p), "landmarks not numbers"
        for e in (0, 3):
            n = math.sqrt(sum(v * v for v in gaze[e:e + 3]))
            assert abs(n - 1) < 1e-2 or n == 0, f"gaze vector of norm {n}"
        assert all(p[2] >= 0 for p in lm3), "3D landmarks behind the camera"
        out.setdefault("au12", []).append(au["AU12_r"])
        out.setdefault("gaze_x", []).append(gaze[6])
    return out


def synthetic_openface(header, path):
    """A two-frame CSV with OpenFace's header and separators (zeros, unit gaze along -z)."""
    with open(path, "w") as f:
        f.write(", ".join(header) + "\n")
        for fr in (1, 2):
            vals = []
            for c in header:
                v = {"frame": fr, "face_id": 0, "timestamp": 0.04 * (fr - 1), "confidence": 0.98, "success": 1,
                     "gaze_0_z": -1, "gaze_1_z": -1, "pose_Tz": 500}.get(c, 0)
                if c.startswith("Z_"):
                    v = 500
                vals.append(str(v))
            f.write(", ".join(vals) + "\n")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    of_header, _ = read(sys.argv[1])
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        syn = os.path.join(d, "openface.csv")
        synthetic_openface(of_header, syn)
        r = openface_script(syn)
        assert r["faces"] == 2, r
    claimed = [c for c in of_header if not c.startswith(OMITTED_PREFIXES)]
    print(f"OpenFace 2.2 header: {len(of_header)} columns; augur claims {len(claimed)} of them "
          f"(omits {len(of_header) - len(claimed)}: eye_lmk_*, p_*)")
    for path in sys.argv[2:]:
        header, _ = read(path)
        missing = [c for c in claimed if c not in header]
        pos = [header.index(c) for c in claimed if c in header]
        order = all(a < b for a, b in zip(pos, pos[1:]))
        foreign = [c for c in header if c in of_header and c not in claimed]
        if missing or not order or foreign:
            fails += 1
            print(f"FAIL {path}: missing {missing[:8]}{'…' if len(missing) > 8 else ''}, "
                  f"OpenFace order kept: {order}, omitted OpenFace columns present: {foreign[:8]}")
            continue
        try:
            r = openface_script(path)
        except (AssertionError, KeyError, ValueError) as e:
            fails += 1
            print(f"FAIL {path}: the OpenFace script failed: {e!r}")
            continue
        print(f"ok {path}: {len(header)} columns, the {len(claimed)} OpenFace ones in OpenFace's order; "
              f"the script read {r['frames']} frame(s), {r['faces']} face row(s); "
              f"AU12_r {r.get('au12', [])[:3]}, gaze_angle_x {r.get('gaze_x', [])[:3]}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
