#!/usr/bin/env python3
"""scripts/camera-robustness.py — do the AU readings hold under what cameras do to a face?

N FERPlus faces with a clear label (at least MIN_VOTES of 10 annotators agree; a seeded sample of
a split the AU model never trained on: PublicTest by default) are upscaled to SIZE px, as a face
in a webcam frame, and each is also degraded the way cameras and rooms degrade faces (ffmpeg
filters, fixed seeds): JPEG at low quality, Gaussian blur, sensor noise, a dim room (darker,
lower contrast, noisier), a face few pixels wide, a colour cast; and half covered, as hands, masks
and sunglasses cover faces (the lower face from the nose down in gray, a flat skin tone or a striped
cloth; a black bar over the eyes; one side of the mouth, one eye), each cover placed on the face by its
landmarks in the clean image.
Every version goes through `augur analyze
--json` (largest found face). Reported per condition, against the clean version of the same faces:
  * faces found;
  * AU readings (face x AU) whose presence changes, over all AUs and separately over the upper
    face's (AU1, 2, 4, 5, 7, 43, 45) and the lower face's (AU10-AU28): a cover over the mouth
    should leave the brows' readings as they were, and one over the eyes the mouth's; which way
    they changed (lost or gained), and how far each half's landmarks moved from the clean reading;
  * strongly neutral faces (>= 8 of 10 votes) with any AU present;
  * the class the AU evidence alone ranks first (evidence_class), and the classifier's class,
    against the label (a face not found counts as wrong);
  * the faces whose upper or lower face augur takes as covered (JSON `cover`; docs/AUS.md).
Nothing here is tuned: it measures what a user's camera does to the readings.

  usage: scripts/camera-robustness.py AUGUR FERPLUS_DIR [--split PublicTest] [--n 400] [--seed 1]
                                      [--size 192] [--min-votes 6] [--report PREFIX]
    AUGUR        the augur binary (AUGUR_AU_MODEL etc. apply as usual)
    FERPLUS_DIR  ../shared/data/fer2013 (fer2013new.csv and the FER2013Valid/Test/Train folders)
Prints a table; with --report writes PREFIX.md and PREFIX.json. Needs ffmpeg.
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

CLASSES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]

# name, what it stands for, the ffmpeg filter after the upscaling (None: the clean reference),
# the output extension (JPEG conditions are written lossy) and its encoder options
CONDITIONS = [
    ("clean", "upscaled only (the reference)", None, "png", []),
    ("jpeg", "JPEG at quality ~25 (a compressed upload or video frame)", None, "jpg", ["-q:v", "14"]),
    ("blur", "Gaussian blur, sigma 1.5 px (focus, motion)", "gblur=sigma=1.5", "png", []),
    ("noise", "sensor noise, uniform +-15 of 255", "noise=alls=15:allf=u:all_seed=1", "png", []),
    ("dim", "a dim room: intensities x0.45, gamma 0.8, noise +-10",
     "lutrgb=r='pow(val/255\\,1.25)*255*0.45':g='pow(val/255\\,1.25)*255*0.45':b='pow(val/255\\,1.25)*255*0.45',"
     "noise=alls=10:allf=u:all_seed=2", "png", []),
    ("small", "a face 56 px wide, scaled back up (a far or low-resolution camera)", "scale=56:56:flags=area,"
     "scale=%(size)d:%(size)d:flags=bicubic", "png", []),
    ("warm", "a warm colour cast (tungsten light): red x1.15, blue x0.7",
     "lutrgb=r='min(255\\,val*1.15)':b='val*0.7'", "png", []),
    # the covers are placed on each face by its landmarks in the clean image (RULE25): the mouth covers from
    # the nose's base (landmark 33) down, the eyes cover a bar centred on the eyes (landmarks 36-47), 18% of
    # the face box's height; a face not found clean keeps a fixed placement (62% / 30-47% of the height)
    ("mouth covered", "from the nose's base down covered in mid-gray (a hand, a mask)",
     "drawbox=x=0:y=%(nose)d:w=iw:h=ih:color=0x808080@1:t=fill", "png", []),
    ("eyes covered", "a black bar over the eyes, 18% of the face's height (sunglasses)",
     "drawbox=x=0:y=%(eye0)d:w=iw:h=%(eyeh)d:color=black@1:t=fill", "png", []),
    # two more covers added with RULE24 (a face half covered), reported without a bar
    ("mouth covered, skin", "from the nose's base down covered in a flat skin tone (a hand's colour, not its texture)",
     "drawbox=x=0:y=%(nose)d:w=iw:h=ih:color=0xC89678@1:t=fill", "png", []),
    ("mouth covered, cloth", "from the nose's base down covered by a cloth of diagonal stripes, 6 px dark / 6 px light",
     "geq=r='if(gte(Y\\,%(nose)d)\\,if(lt(mod(X+Y\\,12)\\,6)\\,40\\,215)\\,r(X\\,Y))':"
     "g='if(gte(Y\\,%(nose)d)\\,if(lt(mod(X+Y\\,12)\\,6)\\,50\\,215)\\,g(X\\,Y))':"
     "b='if(gte(Y\\,%(nose)d)\\,if(lt(mod(X+Y\\,12)\\,6)\\,90\\,220)\\,b(X\\,Y))'", "png", []),
    # and covers of one side only (a hand on one cheek, an eye patch), placed on the face's own axes (RULE30;
    # until then the image's left half, which on a face off the centre or rolled covered a corner): the face's
    # midline runs through landmarks 27 (the top of the nose) and 8 (the chin); everything on the image's
    # left of it is covered, from the nose's base (landmark 33) down, or in a band 18% of the face's height
    # tall across the image-left eye (landmarks 36-41) -- the subject's right side either way
    ("mouth covered, one side", "the image's left of the face's midline (landmarks 27-8), from the nose's base "
     "down along the face, in mid-gray (a hand on one cheek)",
     "geq=r='%(side_mouth_r)s':g='%(side_mouth_g)s':b='%(side_mouth_b)s'", "png", []),
    ("one eye covered", "a black band over the image-left eye (landmarks 36-41; 18% of the face's height, along the "
     "face), up to the face's midline (an eye patch, a hand)",
     "geq=r='%(side_eye_r)s':g='%(side_eye_g)s':b='%(side_eye_b)s'", "png", []),
]
UPPER = {1, 2, 4, 5, 7, 43, 45}
LOWER = {10, 12, 14, 15, 16, 17, 20, 23, 24, 25, 26, 27, 28}
# the 68 landmarks of each face half: brows and eyes; the jaw below the ears, the lips
UPPER_POINTS = list(range(17, 27)) + list(range(36, 48))
LOWER_POINTS = list(range(5, 12)) + list(range(48, 68))


def moved(r, c, points):
    """How far the points of one face half moved between the clean reading c and r: their mean distance over
    the clean face box's height."""
    d = [((r[5][k][0] - c[5][k][0]) ** 2 + (r[5][k][1] - c[5][k][1]) ** 2) ** 0.5 for k in points]
    return sum(d) / len(d) / max(c[6], 1e-6)


def sample(data, split, n, seed, min_votes):
    out = []
    rows = list(csv.DictReader(open(os.path.join(data, "fer2013new.csv"))))
    random.seed(seed)
    random.shuffle(rows)
    for r in rows:
        if r["Usage"] != split:
            continue
        votes = [int(r[c]) for c in CLASSES]
        top = max(votes)
        if top < min_votes or votes.count(top) != 1:
            continue
        p = os.path.join(data, FOLDER[split], r["Image name"])
        if os.path.exists(p):
            out.append((p, CLASSES[votes.index(top)], int(r["neutral"]) >= 8))
        if len(out) == n:
            break
    return out


def side_cover(cond, value, channel):
    """An ffmpeg geq expression for one colour channel (r, g, b): value where cond holds, the image elsewhere."""
    return "if(%s\\,%d\\,%s(X\\,Y))" % (cond, value, channel)


def placement(face, size):
    """Where the covers go on a face (px of the upscaled image): from its clean reading's landmarks, or the
    fixed fractions of the image when the clean image gave no face."""
    if face is None:
        nose, eye, h = (0.5 * size, 0.62 * size), (0.3 * size, 0.385 * size), 0.17 * size
        top, chin = (0.5 * size, 0.3 * size), (0.5 * size, size)
        place = {"size": size, "nose": int(0.62 * size), "eye0": int(0.30 * size), "eyeh": int(0.17 * size)}
    else:
        lm, box = face["landmarks68"], face["box"]
        ey = sum(p[1] for p in lm[36:48]) / 12.0
        h = 0.18 * (box[3] - box[1])
        place = {"size": size, "nose": int(round(lm[33][1])), "eye0": int(round(ey - h / 2)), "eyeh": int(round(h))}
        nose, top, chin = lm[33], lm[27], lm[8]
        eye = (sum(p[0] for p in lm[36:42]) / 6.0, sum(p[1] for p in lm[36:42]) / 6.0)
    # the face's axes: u down its midline (27 -> 8), v across it towards the image's right
    ux, uy = chin[0] - top[0], chin[1] - top[1]
    n = (ux * ux + uy * uy) ** 0.5 or 1.0
    ux, uy = ux / n, uy / n
    vx, vy = uy, -ux
    left = "lt((X-%.3f)*%.5f+(Y-%.3f)*%.5f\\,0)" % (top[0], vx, top[1], vy)
    below = "gte((X-%.3f)*%.5f+(Y-%.3f)*%.5f\\,0)" % (nose[0], ux, nose[1], uy)
    band = "lte(abs((X-%.3f)*%.5f+(Y-%.3f)*%.5f)\\,%.3f)" % (eye[0], ux, eye[1], uy, h / 2)
    for key, cond, value in (("side_mouth", below + "*" + left, 128), ("side_eye", band + "*" + left, 0)):
        for ch in "rgb":
            place["%s_%s" % (key, ch)] = side_cover(cond, value, ch)
    return place


def analyze(augur, files, keep=False):
    """Per image: ((present AUs, AUs read, evidence_class, classifier class, face areas taken as covered), its
    JSON if keep) of the largest found face, or None."""
    res = {}
    for p, f in largest_faces(augur, files).items():
        e = f.get("expression", {}) if f else {}
        res[p] = None if f is None else ((frozenset(a["au"] for a in f["aus"] if a.get("present")),
                                          frozenset(a["au"] for a in f["aus"]), e.get("evidence_class"), e.get("class"),
                                          frozenset(k for k, v in (f.get("cover") or {}).items() if v.get("covered")),
                                          f["landmarks68"], f["box"][3] - f["box"][1]),
                                         f if keep else None)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, n=400, min_votes=6)
    a = ap.parse_args()
    faces = sample(a.data, a.split, a.n, a.seed, a.min_votes)
    if not faces:
        sys.exit("camera-robustness.py: no faces found in %s" % a.data)
    results, place = {}, None
    with tempfile.TemporaryDirectory(prefix="augur-camera-") as tmp:
        for name, _, filt, ext, enc in CONDITIONS:  # "clean" first: the covers are placed on its landmarks
            files = []
            for i, (p, _, _) in enumerate(faces):
                out = os.path.join(tmp, "%s_%04d.%s" % (name, i, ext))
                vf = "scale=%d:%d:flags=bicubic,format=rgb24" % (a.size, a.size)
                if filt:
                    vf += "," + filt % (place[i] if place else {"size": a.size})
                r = subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", p, "-vf", vf] + enc + [out],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit("camera-robustness.py: ffmpeg failed on %s (%s): %s" % (p, name, r.stderr.strip()))
                files.append(out)
            got = analyze(a.augur, files, keep=name == "clean")
            results[name] = [got[f][0] if got[f] else None for f in files]
            if name == "clean":
                place = [placement(got[f][1] if got[f] else None, a.size) for f in files]
    clean = results["clean"]
    rows = []
    for name, what, _, _, _ in CONDITIONS:
        res = results[name]
        found = sum(r is not None for r in res)
        changed = compared = 0
        part = {"upper": [0, 0], "lower": [0, 0]}
        way = {"upper": [0, 0], "lower": [0, 0]}  # readings lost (present clean, not here) and gained
        shift = {"upper": [], "lower": []}
        for r, c in zip(res, clean):
            if r is None or c is None:
                continue
            both = r[1] & c[1]
            compared += len(both)
            changed += len((r[0] ^ c[0]) & both)
            for half, aus, points in (("upper", UPPER, UPPER_POINTS), ("lower", LOWER, LOWER_POINTS)):
                part[half][0] += len((r[0] ^ c[0]) & both & aus)
                part[half][1] += len(both & aus)
                way[half][0] += len((c[0] - r[0]) & both & aus)
                way[half][1] += len((r[0] - c[0]) & both & aus)
                shift[half].append(moved(r, c, points))
        med = {h: sorted(v)[len(v) // 2] if v else 0 for h, v in shift.items()}
        neu = [(r, f) for r, f in zip(res, faces) if f[2]]
        neu_any = sum(1 for r, _ in neu if r is not None and r[0])
        ev = sum(1 for r, f in zip(res, faces) if r is not None and r[2] == f[1])
        cl = sum(1 for r, f in zip(res, faces) if r is not None and r[3] == f[1])
        aus = collections.Counter(au for r, _ in neu if r is not None for au in r[0])
        cov = {k: sum(1 for r in res if r is not None and k in r[4]) / found if found else 0
               for k in ("upper face", "lower face")}
        cov_any = sum(1 for r in res if r is not None and r[4]) / found if found else 0
        rows.append({"condition": name, "what": what, "faces": len(faces), "found": found,
                     "au_readings_compared": compared, "au_presence_changed": changed / compared if compared else 0,
                     "upper_face_changed": part["upper"][0] / part["upper"][1] if part["upper"][1] else 0,
                     "lower_face_changed": part["lower"][0] / part["lower"][1] if part["lower"][1] else 0,
                     "upper_face_lost": way["upper"][0], "upper_face_gained": way["upper"][1],
                     "lower_face_lost": way["lower"][0], "lower_face_gained": way["lower"][1],
                     "upper_landmarks_moved": med["upper"], "lower_landmarks_moved": med["lower"],
                     "strong_neutral": len(neu), "strong_neutral_any_au": neu_any / len(neu) if neu else 0,
                     "strong_neutral_aus": {"AU%d" % k: v for k, v in aus.most_common()},
                     "evidence_class_accuracy": ev / len(faces), "classifier_accuracy": cl / len(faces),
                     "covered_upper": cov["upper face"], "covered_lower": cov["lower face"], "covered_any": cov_any})
    cmd = ("scripts/camera-robustness.py AUGUR %s --split %s --n %d --seed %d --size %d --min-votes %d"
           % (a.data, a.split, a.n, a.seed, a.size, a.min_votes))
    head = ("| condition | found | AU presence changed vs clean | upper face / lower face | strongly neutral with an AU "
            "| evidence_class | classifier | taken as covered: upper / lower face (any) |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        clean_row = r["condition"] == "clean"
        lines.append("| %s | %d of %d | %s | %s | %.1f%% of %d | %.1f%% | %.1f%% | %.1f%% / %.1f%% (%.1f%%) |"
                     % (r["condition"], r["found"], r["faces"],
                        "–" if clean_row else "%.2f%% of %d" % (100 * r["au_presence_changed"], r["au_readings_compared"]),
                        "–" if clean_row else "%.2f%% / %.2f%%" % (100 * r["upper_face_changed"],
                                                                   100 * r["lower_face_changed"]),
                        100 * r["strong_neutral_any_au"], r["strong_neutral"], 100 * r["evidence_class_accuracy"],
                        100 * r["classifier_accuracy"], 100 * r["covered_upper"], 100 * r["covered_lower"],
                        100 * r["covered_any"]))
    # which way the changed readings went, and how far each half's landmarks moved (the mesh under a cover)
    lines2 = ["| condition | upper face readings: lost / gained | lower face: lost / gained | landmarks moved, median "
              "share of the face's height: upper / lower half |", "|---|---:|---:|---:|"]
    for r in rows[1:]:
        lines2.append("| %s | %d / %d | %d / %d | %.3f / %.3f |" % (
            r["condition"], r["upper_face_lost"], r["upper_face_gained"], r["lower_face_lost"], r["lower_face_gained"],
            r["upper_landmarks_moved"], r["lower_landmarks_moved"]))
    print("\n".join(lines))
    print("\n".join(lines2))
    if a.report:
        json.dump({"split": a.split, "command": cmd, "conditions": rows}, open(a.report + ".json", "w"), indent=1)
        with open(a.report + ".md", "w") as f:
            f.write("# The AU readings under what cameras do to a face\n\n")
            f.write("%d FERPlus %s faces with a clear label (at least %d of 10 votes; seed %d), upscaled to %d px, "
                    "each read clean and degraded (`augur analyze`, largest face; a face not found counts as wrong). "
                    "AU presence changes are counted over the AU readings of faces found in both versions.\n\n"
                    % (len(faces), a.split, a.min_votes, a.seed, a.size))
            f.write("\n".join(lines) + "\n\n")
            f.write("Which way the changed AU readings went (lost: present in the clean image, not here; gained: the "
                    "other way), and how far each face half's 68-point landmarks moved from the clean reading (their "
                    "mean distance over the face box's height, the median over the faces):\n\n")
            f.write("\n".join(lines2) + "\n\n")
            for r in rows:
                f.write("* **%s**: %s. Strongly neutral faces' AUs: %s.\n" % (
                    r["condition"], r["what"],
                    ", ".join("%s %d" % kv for kv in r["strong_neutral_aus"].items()) or "none"))
            f.write("\nCommand: `%s`.\n" % cmd)


if __name__ == "__main__":
    main()
