"""scripts/augur_json.py — shared by the measurement scripts (still-clips.py, camera-robustness.py, small-faces.py):
FERPlus's split folders, and `augur analyze --json` read back as the largest found face per image."""
import json
import subprocess

FOLDER = {"Training": "FER2013Train", "PublicTest": "FER2013Valid", "PrivateTest": "FER2013Test"}


def add_common_args(ap, n, min_votes):
    """The arguments both scripts take: AUGUR, the FERPlus folder, the split, the sample (N faces with at
    least MIN_VOTES of 10, SEED), the size faces are upscaled to, and the report prefix."""
    ap.add_argument("augur")
    ap.add_argument("data")
    ap.add_argument("--split", default="PublicTest", choices=sorted(FOLDER))
    ap.add_argument("--n", type=int, default=n)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--min-votes", type=int, default=min_votes)
    ap.add_argument("--report")


def analyses(augur, files, options=()):
    """The JSON document of each image of files, through `augur analyze --json OPTIONS FILES` (one run; its output
    is one document per image)."""
    p = subprocess.run([augur, "analyze", "--json", *options] + list(files), capture_output=True, text=True)
    dec, s, pos = json.JSONDecoder(), p.stdout, 0
    while pos < len(s):
        while pos < len(s) and s[pos].isspace():
            pos += 1
        if pos >= len(s):
            break
        d, pos = dec.raw_decode(s, pos)
        yield d


def largest_faces(augur, files, chunk=64):
    """{file: the JSON of its largest face that augur found (success), or None}, several images per run."""
    res = {f: None for f in files}
    for k in range(0, len(files), chunk):
        for d in analyses(augur, files[k:k + chunk]):
            faces = [f for f in d.get("faces", []) if f.get("success")]
            if faces:
                res[d["file"]] = max(faces, key=lambda f: f["box"][2] - f["box"][0])
    return res
