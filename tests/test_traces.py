#!/usr/bin/env python3
"""tests/test_traces.py — `augur traces` (docs/TRACES.md) as a user meets it.

Without data (ctest `traces`): a class folder built here from
examples/astronaut.png — happiness/ three copies, sadness/ one copy (its trace
answers happiness) and a file that is not an image, neutral/ a blank picture
(no face) — then:
  * jsonl: every field; each <bbox> inside the image; every AU a trace cites is
    one augur finds present on that face; grounding 1; answer/label agreement;
  * --keep-matching --balance 2 --seed: two happiness records, the same ones
    whatever --threads and --format; llava (one JSON array for FILE.json) and
    sharegpt conversations with <image>; --keep-agreeing; --image-root;
  * the report: counts kept per class and each reason for dropping;
  * refusals: a bad --format (2), a missing folder (1), an output that is a
    device (1, before any work), an unwritable output (1, no file left behind).

With --data (ctest `traces_data`, label data): CK+ (684 faces with FACS AU
labels) with --keep-matching in jsonl and llava: the same records in both,
every <bbox> inside its 48x48 image, every cited AU present in augur's evidence
for that face, the report's columns adding up; and FERPlus test (first 300).

usage: test_traces.py PATH/TO/augur [--data]       (exit 77: models or data absent)
"""
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

AUGUR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/augur")
DATA_MODE = "--data" in sys.argv[2:]
SRC = os.environ.get("AUGUR_SOURCE_DIR", ".")
MODELS = os.environ.get("AUGUR_MODELS", "")
if not MODELS or not os.path.isfile(os.path.join(MODELS, "facemesh.json")):
    print(f"skipped: no models in '{MODELS}'")
    sys.exit(77)
ASTRONAUT = os.path.join(SRC, "examples", "astronaut.png")
BBOX = re.compile(r"<bbox>\[([^\]]*)\]</bbox>")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402  (tests/checks.py)


def run(*args, expect=0):
    r = subprocess.run([AUGUR, "traces", *args], capture_output=True, text=True, timeout=600)
    if expect is not None and r.returncode != expect:
        print(f"augur traces {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return r


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else (None, None)


def blank_png(path, w=128, h=128):
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\0" + b"\x80" * w for _ in range(h))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def boxes_inside(trace, w, h):
    """[] when every <bbox> of the trace lies in the image, else the boxes that do not."""
    out = []
    for m in BBOX.finditer(trace):
        b = [float(x) for x in m.group(1).split(",")]
        if not (len(b) == 4 and 0 <= b[0] <= b[2] <= w and 0 <= b[1] <= b[3] <= h):
            out.append(b)
    return out


def cited_aus(trace):
    """The AUs a trace cites on its verification steps (lines with a <bbox>)."""
    return {int(a) for line in trace.splitlines() if "<bbox>" in line for a in re.findall(r"\bAU(\d+)\b", line)}


def report_rows(md):
    """{class: [in set, kept, unreadable, no face, answer, evidence, grounding, cap]} from the report's table."""
    rows = {}
    for line in md.splitlines():
        m = re.match(r"^\| (\w+) \| (\d+) \| \*\*(\d+)\*\* \|((?: \d+ \|)+)$", line)
        if m:
            rows[m.group(1)] = [int(m.group(2)), int(m.group(3))] + [int(x) for x in m.group(4).split("|") if x.strip()]
    return rows


# the codebook (read from src/expr/classes.c) and the parser of a conclusion's citations: scripts/conclusion-audit.py's
_spec = importlib.util.spec_from_file_location("conclusion_audit", os.path.join(SRC, "scripts", "conclusion-audit.py"))
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)
BOOK = audit.codebook(SRC)


def check_records(recs, label_sizes, what):
    """Every jsonl record: <bbox> in the image, cited AUs present, fields consistent."""
    bad_box, bad_cite, bad_fields = [], [], []
    for r in recs:
        w, h = r["width"], r["height"]
        out = boxes_inside(r["trace"], w, h)
        if out:
            bad_box.append((r["id"], out))
        cited = cited_aus(r["trace"])
        if not cited <= set(r["aus_present"]) or set(r["cited_aus"]) != cited:
            bad_cite.append((r["id"], sorted(cited), r["aus_present"], r["cited_aus"]))
        m = re.search(r"<answer>\s*(\w+)\s*</answer>\s*$", r["trace"])
        if not m or m.group(1) != r["answer"] or (r["answer"] == r["label"]) != r["answer_matches_label"] \
                or not r["question"] or not r["aulist"] or (r["claims"] and r["grounding"] < 0.5):
            bad_fields.append(r["id"])
        if label_sizes is not None and (w, h) != label_sizes(r):
            bad_fields.append((r["id"], "size"))
    check(not bad_box, f"{what}: every <bbox> lies in its image", bad_box[:5])
    check(not bad_cite, f"{what}: every cited AU is present in augur's evidence for the face", bad_cite[:5])
    check(not bad_fields, f"{what}: fields consistent (answer, label, question, grounding)", bad_fields[:5])
    # augur's own conclusions cite each AU for the class the evidence map counts it for: every attribution holds
    bad_attr = [(r["id"], r["attribution"]) for r in recs
                if r["attributions"] and r["attribution"] != 1 or not r["attributions"] and r["attribution"] is not None]
    check(not bad_attr, f"{what}: every attribution of the conclusions supported by the evidence map", bad_attr[:5])
    # the shipped map counts no AU for a class its FACS codebook does not list (RULE37), so no conclusion cites one
    pairs = [(r["id"], a, c) for r in recs for a, c in audit.text_citations(r["trace"].split("Final conclusion:")[-1])]
    outside = [p for p in pairs if p[1] not in BOOK.get(p[2], {p[1]})]
    check(len(BOOK["happiness"]) == 3 and pairs and not outside,
          f"{what}: every AU a conclusion cites for or against a class is in that class's FACS codebook "
          f"({len(pairs)} citations)", outside[:5])
    return sum(r["attributions"] for r in recs)


tmp = tempfile.mkdtemp(prefix="augur-traces-")
try:
    if not DATA_MODE:
        d = os.path.join(tmp, "set")
        for c in ("happiness", "sadness", "neutral"):
            os.makedirs(os.path.join(d, c))
        for k in (1, 2, 3):
            shutil.copy(ASTRONAUT, os.path.join(d, "happiness", f"a{k}.png"))
        shutil.copy(ASTRONAUT, os.path.join(d, "sadness", "s1.png"))
        with open(os.path.join(d, "sadness", "broken.png"), "w") as f:
            f.write("not an image\n")
        blank_png(os.path.join(d, "neutral", "blank.png"))

        # 1. jsonl, no filter, standard output
        rep1 = os.path.join(tmp, "r1.md")
        r = run("--protocol", "folders", "--data", d, "--report", rep1, "-q")
        recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        ids = sorted(x["id"] for x in recs)
        check(r.returncode == 0 and ids == ["happiness/a1.png", "happiness/a2.png", "happiness/a3.png",
                                            "sadness/s1.png"], "jsonl: one record per face found", ids)
        check_records(recs, lambda rr: png_size(rr["image"]), "astronaut")
        s1 = next((x for x in recs if x["id"] == "sadness/s1.png"), {})
        a1 = next((x for x in recs if x["id"] == "happiness/a1.png"), {})
        check(a1.get("answer") == "happiness" and a1.get("answer_matches_label") is True
              and a1.get("evidence_agrees_with_label") is True and a1.get("grounding") == 1
              and 12 in a1.get("cited_aus", []) and "AU12" in a1.get("aulist", ""),
              "happiness/a1: answer, agreement, grounding 1, AU12 cited", {k: a1.get(k) for k in
                                                                           ("answer", "grounding", "cited_aus")})
        check(s1.get("label") == "sadness" and s1.get("answer_matches_label") is False
              and s1.get("evidence_agrees_with_label") is False, "sadness/s1: answer and evidence disagree with the label")
        check(a1.get("trace", "").startswith("Global analysis:") and "Verification loop:" in a1.get("trace", "")
              and "Consistency check:" in a1.get("trace", "") and "Final conclusion:" in a1.get("trace", ""),
              "the trace has TAG's parts")
        check(a1.get("classifier", {}).get("class") == "happiness" and abs(sum(a1.get("evidence", {}).values()) - 1) < 0.01,
              "classifier and evidence fields")
        md = open(rep1).read()
        rows = report_rows(md)
        check(rows.get("happiness", [])[:2] == [3, 3] and rows.get("sadness", [])[:3] == [2, 1, 1]
              and rows.get("neutral", [])[:4] == [1, 0, 0, 1], "report: kept, unreadable, no face per class", rows)
        check("An unreadable image:" in md and "broken.png" in md, "report names an unreadable image")

        # 2. filters and balance, llava as one JSON array
        out2, rep2 = os.path.join(tmp, "t.json"), os.path.join(tmp, "r2.md")
        r = run("--protocol", "folders", "--data", d, "--keep-matching", "--balance", "2", "--seed", "5",
                "--format", "llava", "-o", out2, "--report", rep2, "--threads", "2")
        arr = json.load(open(out2)) if r.returncode == 0 else []
        check(isinstance(arr, list) and len(arr) == 2 and all(x["id"].startswith("happiness/") for x in arr),
              "llava .json: an array of the two happiness records the cap keeps", [x.get("id") for x in arr])
        conv_ok = all(set(x) == {"id", "image", "conversations"} and x["conversations"][0]["from"] == "human"
                      and x["conversations"][0]["value"].startswith("<image>\n") and x["conversations"][1]["from"] == "gpt"
                      and x["conversations"][1]["value"].endswith("<answer> happiness </answer>")
                      and os.path.isfile(x["image"]) for x in arr)
        check(conv_ok, "llava records: id, image, human <image> question, gpt trace")
        check(all(not boxes_inside(x["conversations"][1]["value"], *png_size(x["image"])) for x in arr),
              "llava: every <bbox> lies in the image")
        rows = report_rows(open(rep2).read())
        check(rows.get("happiness") == [3, 2, 0, 0, 0, 0, 0, 1] and rows.get("sadness") == [2, 0, 1, 0, 1, 0, 0, 0]
              and rows.get("neutral") == [1, 0, 0, 1, 0, 0, 0, 0], "report: answer ≠ label and the cap counted", rows)
        check("kept 2 of 6" in r.stderr and "over the class cap: 1" in r.stderr, "summary on stderr", r.stderr)

        # 3. the same selection whatever the threads and the format; sharegpt
        out3 = os.path.join(tmp, "t.jsonl")
        r = run("--protocol", "folders", "--data", d, "--keep-matching", "--balance", "2", "--seed", "5",
                "--format", "sharegpt", "-o", out3, "--threads", "1", "-q")
        sg = jsonl(out3) if r.returncode == 0 else []
        check(sorted(x["id"] for x in sg) == sorted(x["id"] for x in arr), "same records with --threads 1",
              ([x["id"] for x in sg], [x["id"] for x in arr]))
        check(all(x["messages"][0]["role"] == "user" and x["messages"][0]["content"].startswith("<image>")
                  and x["messages"][1]["role"] == "assistant" and x["images"] == [x["images"][0]]
                  and os.path.isfile(x["images"][0]) for x in sg) and len(sg) == 2, "sharegpt records")
        picks = set()
        for seed in range(1, 9):
            r = run("--protocol", "folders", "--data", d, "--balance", "1", "--seed", str(seed), "--keep-matching", "-q")
            picks.add(tuple(sorted(json.loads(x)["id"] for x in r.stdout.splitlines())))
        check(len(picks) > 1 and all(len(p) == 1 for p in picks), "--seed changes which image the cap keeps", picks)

        # 4. --keep-agreeing, --image-root, --prompt
        r = run("--protocol", "folders", "--data", d, "--keep-agreeing", "--image-root", d, "--prompt", "Which one?", "-q")
        recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        check(len(recs) == 3 and all(x["image"] == x["id"] and x["question"] == "Which one?" for x in recs),
              "--keep-agreeing drops sadness/s1; --image-root and --prompt", [(x["image"], x["question"]) for x in recs])

        # 5. refusals
        r = run("--protocol", "folders", "--data", d, "--format", "yaml", expect=2)
        check(r.returncode == 2 and "--format" in r.stderr, "a bad --format is a usage error", r.stderr)
        r = run("--protocol", "folders", "--data", os.path.join(tmp, "nowhere"), "-q", expect=1)
        check(r.returncode == 1 and "nowhere" in r.stderr, "a missing folder fails", r.stderr)
        r = run("--protocol", "folders", "--data", d, "-o", "/dev/null", "-q", expect=1)
        check(r.returncode == 1 and "/dev/null" in r.stderr, "an output that is a device is refused", r.stderr)
        bad_out = os.path.join(tmp, "no-such-dir", "t.jsonl")
        r = run("--protocol", "folders", "--data", d, "-o", bad_out, "-q", expect=1)
        check(r.returncode == 1 and not os.path.exists(os.path.dirname(bad_out)), "an unwritable output fails", r.stderr)
        check(not [f for f in os.listdir(tmp) if f.endswith(".part")], "no .part file left behind", os.listdir(tmp))
    else:
        data = os.environ.get("AUGUR_DATA", os.path.join(SRC, "..", "shared", "data"))
        ck = os.path.join(data, "ckplus48")
        fer = os.path.join(data, "fer2013")
        if not os.path.isfile(os.path.join(ck, "au_labels.csv")) or not os.path.isdir(os.path.join(fer, "FER2013Test")):
            print(f"skipped: no ckplus48 / fer2013 in '{data}'")
            sys.exit(77)
        # CK+: jsonl and llava of the same run options
        outj, outl, rep = (os.path.join(tmp, n) for n in ("ck.jsonl", "ck-llava.jsonl", "ck.md"))
        r = run("--protocol", "ckplus", "--data", ck, "--keep-matching", "-o", outj, "--report", rep, "-q")
        recs = jsonl(outj) if r.returncode == 0 else []
        check(len(recs) > 100, "CK+: records kept", len(recs))
        check_records(recs, lambda rr: png_size(rr["image"]), "CK+")
        check(all(r_["answer_matches_label"] for r_ in recs) and all("facs_aus" in r_ for r_ in recs),
              "CK+: --keep-matching, FACS labels in the records")
        r = run("--protocol", "ckplus", "--data", ck, "--keep-matching", "--format", "llava", "-o", outl, "-q")
        ll = jsonl(outl) if r.returncode == 0 else []
        by_id = {x["id"]: x for x in recs}
        same = [x["id"] for x in ll if x["id"] in by_id and x["conversations"][1]["value"] == by_id[x["id"]]["trace"]]
        check(len(ll) == len(recs) and len(same) == len(ll), "CK+: llava holds the same traces", (len(ll), len(recs)))
        bad = [x["id"] for x in ll if boxes_inside(x["conversations"][1]["value"], *png_size(x["image"]))
               or not cited_aus(x["conversations"][1]["value"]) <= set(by_id.get(x["id"], {}).get("aus_present", []))]
        check(not bad, "CK+ llava: every <bbox> in the image, every cited AU present", bad[:5])
        md = open(rep).read()
        rows = report_rows(md)
        total = rows.pop("total", None)
        check(total is not None and total[0] == 684 and sum(v[0] for v in rows.values()) == 684 and all(v[0] == sum(v[1:]) for v in rows.values())
              and sum(v[1] for v in rows.values()) == len(recs), "CK+ report: 684 faces, the columns add up", rows)
        m = re.search(r"coded present", md)
        check(m is not None, "CK+ report: cited AUs against the FACS labels")
        # FERPlus test, the first 300 faces
        outf = os.path.join(tmp, "fer.jsonl")
        r = run("--protocol", "ferplus", "--data", fer, "--split", "test", "--limit", "300", "--keep-agreeing",
                "-o", outf, "-q")
        recs = jsonl(outf) if r.returncode == 0 else []
        check(len(recs) > 150 and all(x["evidence_agrees_with_label"] for x in recs), "FERPlus: --keep-agreeing", len(recs))
        n_attr = check_records(recs, lambda rr: (48, 48), "FERPlus")
        check(n_attr > 100, "FERPlus: the kept conclusions make attributions", n_attr)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

finish()
