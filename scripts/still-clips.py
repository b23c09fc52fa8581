#!/usr/bin/env python3
"""scripts/still-clips.py — a face held still must not read AUs against itself (RULE20).

Each of N faces that at least MIN_VOTES of FERPlus's 10 annotators call neutral (a seeded
sample of a FERPlus split) is upscaled to SIZE px and repeated for FRAMES frames as an image
sequence; `augur video` reads it. Nothing moves, so an AU present in the clip's last frame
(read against the person's neutral, which is the face itself) is a false one. For comparison
the same images through `augur analyze` (a still image against the population neutral).

  usage: scripts/still-clips.py AUGUR FERPLUS_DIR [--split PublicTest] [--n 120] [--seed 1]
                                [--size 192] [--frames 40] [--min-votes 8] [--report PREFIX]
    AUGUR        the augur binary (AUGUR_AU_MODEL etc. apply as usual)
    FERPLUS_DIR  ../shared/data/fer2013 (fer2013new.csv and the FER2013Valid/Test/Train folders)
Prints the rates; with --report writes PREFIX.md and PREFIX.json. Needs ffmpeg (the upscaling).
"""
import argparse
import collections
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

from augur_json import FOLDER, add_common_args, largest_faces

AUS = ["01", "02", "04", "05", "06", "07", "09", "10", "12", "14", "15", "17", "20", "23", "24", "25", "26", "27"]


def sample(data, split, n, seed, min_votes):
    rows = [r for r in csv.DictReader(open(os.path.join(data, "fer2013new.csv")))
            if r["Usage"] == split and int(r["neutral"]) >= min_votes]
    random.seed(seed)
    random.shuffle(rows)
    out = []
    for r in rows[:n]:
        p = os.path.join(data, FOLDER[split], r["Image name"])
        if os.path.exists(p):
            out.append(p)
    return out


def present(row):
    return [au for au in AUS if row.get("AU%s_c" % au) == "1"]


def analyze(augur, files):
    """The largest found face's present AUs per image (images with no face left out)."""
    return {p: ["%02d" % a["au"] for a in f["aus"] if a.get("present")]
            for p, f in largest_faces(augur, files).items() if f is not None}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, n=120, min_votes=8)
    ap.add_argument("--frames", type=int, default=40)
    a = ap.parse_args()
    files = sample(a.data, a.split, a.n, a.seed, a.min_votes)
    if not files:
        sys.exit("still-clips.py: no faces found in %s" % a.data)
    first = collections.Counter()
    last = collections.Counter()
    n = n_first = n_last = 0
    with tempfile.TemporaryDirectory(prefix="augur-still-") as tmp:
        ups = []
        for p in files:
            up = os.path.join(tmp, os.path.basename(p))
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", p, "-vf",
                            "scale=%d:%d:flags=bicubic" % (a.size, a.size), up], check=True)
            ups.append(up)
        for up in ups:
            lst, out = up + ".txt", up + ".csv"
            with open(lst, "w") as f:
                f.write((up + "\n") * a.frames)
            r = subprocess.run([a.augur, "video", "@" + lst, "--csv", out], capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit("still-clips.py: augur video failed on %s: %s" % (up, r.stderr.strip()))
            rows = [x for x in csv.DictReader(open(out)) if x["success"] == "1"]
            if not rows:
                continue
            n += 1
            f0, f1 = present(rows[0]), present(rows[-1])
            n_first += bool(f0)
            n_last += bool(f1)
            first.update(f0)
            last.update(f1)
        still = analyze(a.augur, ups)
    n_still = sum(bool(v) for v in still.values())
    still_aus = collections.Counter(au for v in still.values() for au in v)
    res = {
        "split": a.split, "faces_sampled": len(files), "faces_found_in_video": n,
        "any_au_first_frame": n_first / n if n else 0, "any_au_last_frame": n_last / n if n else 0,
        "faces_found_still": len(still), "any_au_still": n_still / len(still) if still else 0,
        "last_frame_aus": dict(last.most_common()), "still_aus": dict(still_aus.most_common()),
        "command": "scripts/still-clips.py AUGUR %s --split %s --n %d --seed %d --size %d --frames %d --min-votes %d"
                   % (a.data, a.split, a.n, a.seed, a.size, a.frames, a.min_votes),
    }
    print("%d faces held still (%s, >= %d of 10 votes neutral, %d px, %d frames): any AU present in the first "
          "frame %.1f%%, in the last %.1f%%; the same images as still photos (augur analyze) %.1f%%"
          % (n, a.split, a.min_votes, a.size, a.frames, 100 * res["any_au_first_frame"],
             100 * res["any_au_last_frame"], 100 * res["any_au_still"]))
    print("last frame, by AU:", ", ".join("AU%s %d" % kv for kv in last.most_common()))
    if a.report:
        json.dump(res, open(a.report + ".json", "w"), indent=1)
        with open(a.report + ".md", "w") as f:
            f.write("# Faces held still, read against themselves\n\n")
            f.write("%d strongly neutral FERPlus %s faces (at least %d of 10 votes; seed %d), each upscaled to %d px "
                    "and repeated for %d frames as an image sequence through `augur video`. Nothing moves, so any AU "
                    "present is false.\n\n" % (n, a.split, a.min_votes, a.seed, a.size, a.frames))
            f.write("| reading | faces with any AU present |\n|---|---:|\n")
            f.write("| video, first frame | %.1f%% |\n| video, last frame (against the person's neutral) | **%.1f%%** |\n"
                    "| the same images as still photos (`augur analyze`) | %.1f%% |\n\n"
                    % (100 * res["any_au_first_frame"], 100 * res["any_au_last_frame"], 100 * res["any_au_still"]))
            f.write("Last frame, by AU: %s.\n\n" % (", ".join("AU%s %d" % kv for kv in last.most_common()) or "none"))
            f.write("Command: `%s`.\n" % res["command"])


if __name__ == "__main__":
    main()
