#!/usr/bin/env python3
"""scripts/colour-shift.py — how far do the AU readings of colour faces move when the same image is grayscale?

Almost all of the AU model's training faces are grayscale (FERPlus, CK+); users' photos and films are in colour.
Each image of a folder of colour faces (class folders, e.g. ../shared/data/sfew/Train; a seeded sample of N) is
converted to its BT.601 luma (ffmpeg `format=gray,format=rgb24`, what augur's HOG reads of it anyway), and both
versions go through `augur analyze --json` (largest found face). Reported, over the faces both versions find:
faces whose set of present AUs differs, AU readings (face x AU) whose presence changes; and per version the faces
found and the faces whose AU evidence names their class folder. docs/AUS.md "Colour" (RULE35).

  usage: scripts/colour-shift.py AUGUR DIR [--n 400] [--seed 1]
Needs ffmpeg.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

from augur_json import largest_faces


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("augur")
    ap.add_argument("data", help="class folders of colour face images")
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    files = sorted(os.path.join(a.data, c, f) for c in sorted(os.listdir(a.data)) if os.path.isdir(os.path.join(a.data, c))
                   for f in os.listdir(os.path.join(a.data, c)) if f.lower().endswith((".png", ".jpg", ".jpeg")))
    if not files:
        sys.exit(f"no images in the class folders of {a.data}")
    random.Random(a.seed).shuffle(files)
    files = files[:a.n]
    with tempfile.TemporaryDirectory() as tmp:
        gray = {}
        for i, f in enumerate(files):
            out = os.path.join(tmp, f"{i:05d}.png")
            r = subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", f, "-vf", "format=gray,format=rgb24", out],
                               capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"ffmpeg failed on {f}: {r.stderr.strip()}")
            gray[f] = out
        col = largest_faces(a.augur, files)
        gry = largest_faces(a.augur, [gray[f] for f in files])
    label = {f: os.path.basename(os.path.dirname(f)) for f in files}

    def right(face, lab):
        return bool(face and face.get("expression") and face["expression"].get("evidence_class") == lab)

    both = changed_faces = changed = readings = 0
    for f in files:
        c, g = col[f], gry[gray[f]]
        if not (c and g and c.get("aus") and g.get("aus")):
            continue
        both += 1
        pc = {u["au"] for u in c["aus"] if u["present"]}
        pg = {u["au"] for u in g["aus"] if u["present"]}
        changed_faces += pc != pg
        changed += len(pc ^ pg)
        readings += len(c["aus"])
    print(f"{len(files)} faces of {a.data} (seed {a.seed})")
    for name, res, key in (("colour", col, lambda f: f), ("grayscale", gry, lambda f: gray[f])):
        found = sum(1 for f in files if res[key(f)])
        ev = sum(1 for f in files if right(res[key(f)], label[f]))
        print(f"  {name:9s}: faces found {found}, AU evidence names the class folder {ev} ({100 * ev / len(files):.1f}%)")
    if both:
        print(f"  found in both: {both}; a different set of present AUs on {changed_faces} ({100 * changed_faces / both:.1f}%); "
              f"AU readings that change {changed} of {readings} ({100 * changed / readings:.2f}%)")


if __name__ == "__main__":
    main()
