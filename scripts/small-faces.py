#!/usr/bin/env python3
"""scripts/small-faces.py — are faces a few percent of a large photo wide found, and at what cost in false faces?

A user's photo is often a 12-megapixel frame in which each face is 40-100 px wide (a group, a room, a street).
BlazeFace sees the whole image letterboxed to its 192 px input, where such a face is a few pixels. This builds
large canvases (WIDTH x HEIGHT) and runs `augur analyze --json` over them with each --detector given:
  * positives: one SFEW Train film face crop (a seeded sample; 143x181, the face filling most of it) scaled to
    W px wide for each W in --widths, pasted at a seeded place; found = a meshed face (`success`) whose box
    centre lies inside the pasted crop;
  * the background (--backgrounds): `plain`, a flat gray-blue, where only the face can be found; `mosaic`, 40 px
    blocks cut at random from other SFEW crops (skin, hair, eyes, mouths, film backgrounds: face parts, never a
    whole face), the hardest clutter at hand for a face detector; each background also makes N canvases with no
    face;
  * false faces: meshed faces anywhere else (per canvas, positives and negatives).
Nothing here is tuned; it measures what each detector mode does (docs/FACES.md "Small faces in large photos").

  usage: scripts/small-faces.py AUGUR SFEW_TRAIN_DIR [--n 40] [--seed 1] [--widths 40,60,90]
                                [--size 3000x2000] [--detectors full,auto,tiled] [--backgrounds plain,mosaic]
                                [--report PREFIX]
Prints a table; with --report writes PREFIX.md and PREFIX.json. Needs ffmpeg and numpy.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np

from augur_json import analyses

BLOCK = 40


def read_rgb(path):
    """An image file as an H x W x 3 uint8 array, decoded by ffmpeg."""
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                        "-of", "csv=p=0", path], capture_output=True, text=True, check=True)
    w, h = (int(v) for v in p.stdout.strip().split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def write_png(a, path):
    h, w, _ = a.shape
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-i", "-",
                    path], input=a.tobytes(), check=True)


def resize(a, w):
    """a scaled to w px wide (aspect kept), by ffmpeg's area/bicubic scaler."""
    h = max(1, round(a.shape[0] * w / a.shape[1]))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                          f"{a.shape[1]}x{a.shape[0]}", "-i", "-", "-vf", f"scale={w}:{h}:flags=area", "-f",
                          "rawvideo", "-pix_fmt", "rgb24", "-"], input=a.tobytes(), capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def mosaic(rng, pool, W, H):
    """W x H of BLOCK px blocks, each cut at a random place of a random image of pool."""
    out = np.empty((H, W, 3), np.uint8)
    for y in range(0, H, BLOCK):
        for x in range(0, W, BLOCK):
            src = pool[rng.randrange(len(pool))]
            sy, sx = rng.randrange(src.shape[0] - BLOCK), rng.randrange(src.shape[1] - BLOCK)
            bh, bw = min(BLOCK, H - y), min(BLOCK, W - x)
            out[y:y + bh, x:x + bw] = src[sy:sy + bh, sx:sx + bw]
    return out


def analyze(augur, detector, files):
    """{file: [faces of its JSON that were meshed]}, through `augur analyze --json --detector D`."""
    res, t0 = {}, time.time()
    for d in analyses(augur, files, ("--detector", detector)):
        res[d["file"]] = [f for f in d.get("faces", []) if f.get("success")]
    return res, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("augur")
    ap.add_argument("sfew")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--widths", default="40,60,90")
    ap.add_argument("--size", default="3000x2000")
    ap.add_argument("--detectors", default="full,auto,tiled")
    ap.add_argument("--backgrounds", default="plain,mosaic")
    ap.add_argument("--report")
    a = ap.parse_args()
    W, H = (int(v) for v in a.size.split("x"))
    widths = [int(v) for v in a.widths.split(",")]
    dets = a.detectors.split(",")
    rng = random.Random(a.seed)
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(a.sfew) for f in fs if f.endswith(".png"))
    if len(files) < 2 * a.n:
        sys.exit(f"{a.sfew}: {len(files)} images, need {2 * a.n}")
    rng.shuffle(files)
    faces, clutter = files[:a.n], [read_rgb(f) for f in files[a.n:a.n + 200]]
    tmp = tempfile.mkdtemp(prefix="augur-small-faces-")
    result = {"canvas": [W, H], "n": a.n, "seed": a.seed, "widths": widths, "rows": []}
    print(f"{a.n} SFEW Train faces pasted at {widths} px wide into {W}x{H} canvases, and {a.n} canvases with no face")
    for bg in a.backgrounds.split(","):
        canvases = []  # (path, width or None, rect or None)
        for i, f in enumerate(faces):
            crop = read_rgb(f)
            for w in widths + [None]:
                c = mosaic(rng, clutter, W, H) if bg == "mosaic" else np.tile(np.array([90, 110, 130], np.uint8), (H, W, 1))
                r = None
                if w:
                    s = resize(crop, w)
                    x, y = rng.randrange(W - s.shape[1]), rng.randrange(H - s.shape[0])
                    c[y:y + s.shape[0], x:x + s.shape[1]] = s
                    r = (x, y, x + s.shape[1], y + s.shape[0])
                p = os.path.join(tmp, f"{bg}-{i:03d}-{w or 'none'}.png")
                write_png(c, p)
                canvases.append((p, w, r))
        for d in dets:
            got, secs = analyze(a.augur, d, [c[0] for c in canvases])
            row = {"background": bg, "detector": d, "seconds_per_canvas": secs / len(canvases), "found": {},
                   "false_faces_positive": 0, "false_faces_negative": 0, "negatives_with_a_false_face": 0,
                   "scores_found": [], "scores_false": []}  # (detector score, mesh presence) of each
            for p, w, r in canvases:
                hit = 0
                for f in got.get(p, []):
                    cx, cy = 0.5 * (f["box"][0] + f["box"][2]), 0.5 * (f["box"][1] + f["box"][3])
                    sc = [round(f["detector"]["score"], 3) if isinstance(f.get("detector"), dict) else 0,
                          round(f["mesh"]["score"], 3)]
                    if r and not hit and r[0] <= cx <= r[2] and r[1] <= cy <= r[3]:
                        hit = 1
                        row["scores_found"].append(sc)
                        continue
                    row["scores_false"].append(sc)
                    if r:
                        row["false_faces_positive"] += 1
                    else:
                        row["false_faces_negative"] += 1
                if r:
                    row["found"][str(w)] = row["found"].get(str(w), 0) + hit
                else:
                    row["negatives_with_a_false_face"] += bool(got.get(p))
            result["rows"].append(row)
            print(f"  {bg:6s} --detector {d:6s} found " +
                  ", ".join(f"{row['found'].get(str(w), 0)}/{a.n} at {w} px" for w in widths) +
                  f"; false faces: {row['false_faces_positive']} in the {a.n * len(widths)} canvases with a face, "
                  f"{row['false_faces_negative']} in the {a.n} without; {row['seconds_per_canvas']:.2f} s per canvas")
        for p, _, _ in canvases:
            os.remove(p)
    os.rmdir(tmp)
    if a.report:
        json.dump(result, open(a.report + ".json", "w"), indent=1)
        with open(a.report + ".md", "w") as f:
            f.write("# Small faces in large photos\n\n")
            f.write(f"{a.n} SFEW Train film faces (seed {a.seed}), each pasted {', '.join(map(str, widths))} px wide "
                    f"into a {W}x{H} canvas, and {a.n} canvases with no face, on each background: `plain` a flat "
                    f"gray-blue, `mosaic` 40 px blocks cut from other SFEW faces (face parts, never a whole face); "
                    f"`augur analyze --json --detector D`. Found: a meshed face whose box centre lies in the pasted "
                    f"crop. False faces: any other meshed face.\n\n")
            f.write("| background | --detector | " + " | ".join(f"found at {w} px" for w in widths) +
                    " | false faces, canvases with a face | false faces, canvases without | s per canvas |\n")
            f.write("|---|---|" + "---:|" * (len(widths) + 3) + "\n")
            for row in result["rows"]:
                f.write(f"| {row['background']} | {row['detector']} | " +
                        " | ".join(f"{row['found'].get(str(w), 0)} of {a.n}" for w in widths) +
                        f" | {row['false_faces_positive']} in {a.n * len(widths)} | {row['false_faces_negative']} in "
                        f"{a.n} | {row['seconds_per_canvas']:.2f} |\n")
            f.write(f"\nCommand: `scripts/small-faces.py AUGUR ../shared/data/sfew/Train --n {a.n} --seed {a.seed} "
                    f"--widths {a.widths} --size {a.size} --detectors {a.detectors} --backgrounds {a.backgrounds}`.\n")


if __name__ == "__main__":
    main()
