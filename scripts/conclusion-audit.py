#!/usr/bin/env python3
"""scripts/conclusion-audit.py — do the traces' conclusions cite AUs for the class the evidence map counts them for?

Reads the JSON Lines of `augur analyze --json` (docs/OUTPUT.md) and, for every face with an expression answer and
at least one active AU, takes the two classes a trace's conclusion weighs (src/explain/trace.c): the answer and the
AU evidence's runner-up, or, where the classifier's answer is not the evidence's first class, that first class and
the answer. Each active AU's `evidence_term` says which of the two it moves the evidence towards. Counted:

* conclusions with an active AU that the map counts for the other class by at least MIN (0.1 in logits, the
  trace's EX_TERM_MIN): what citing every active AU for the answer (the trace until 2026-12-07) got wrong;
* active AUs (citations) counted the other way, and those within MIN (cited neither way since 2026-12-07);
* conclusions that now say no active AU points to the class they name (the evidence rests on absent AUs);
* citations outside the FACS codebook (src/expr/classes.c, FACS.md): an active AU the conclusion cites for a class
  (its terms move the odds towards it by MIN or more and its own term for it is positive, as the trace cites) whose
  codebook does not list it, such as "AU2 indicates disgust" (RULE36);
* every AU the conclusion's text cites for or against a class ("AU6 + AU12 indicate happiness", "AU25 points to
  fear over surprise", "against sadness: AU15, AU1 inactive": an absence counted against a class cites the AU for
  it) outside that class's codebook, over all faces with a conclusion.

  usage: augur analyze --json DIR > faces.jsonl; scripts/conclusion-audit.py faces.jsonl [--min 0.1]
"""
import argparse
import json
import os
import re
import sys

CLASSES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]


def codebook(root=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")):
    """The FACS codebook as the product has it, read from its one definition (src/expr/classes.c expr_codebook):
    {class name: set of AU numbers}. tests/test_traces.py reads it through this function too."""
    src = open(os.path.join(root, "src", "expr", "classes.c")).read()
    book = {c: set() for c in CLASSES}
    for name, ids in re.findall(r"\[EXPR_(\w+)\] = \{([\d, ]*)\}", src):
        book[name.lower()] = {int(x) for x in ids.split(",") if x.strip() and int(x)}
    return book


def text_citations(conclusion):
    """(AU, class name) for every AU a conclusion's text cites for or against a class: "AU6 + AU12 indicate
    happiness", "AU20 + AU25 point to fear over happiness", "against sadness: AU15, AU1 inactive" (an absence
    counted against a class cites the AU for it too)."""
    out = []
    for clause in conclusion.split(";"):
        m = re.search(r"((?:AU\d+(?: \+ )?)+) (?:indicates?|points?) (?:to )?(\w+)", clause)
        if m and m.group(2) in CLASSES:
            out += [(int(u), m.group(2)) for u in re.findall(r"AU(\d+)", m.group(1))]
        m = re.search(r"against (\w+): ((?:AU\d+(?:, )?)+) inactive", clause)
        if m and m.group(1) in CLASSES:
            out += [(int(u), m.group(1)) for u in re.findall(r"AU(\d+)", m.group(2))]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("jsonl", help="augur analyze --json output, one image per line")
    ap.add_argument("--min", type=float, default=0.1, help="the least term difference counted (default 0.1)")
    a = ap.parse_args()
    book = codebook()
    faces = wrong = cites = other = small = none_for = 0
    cited = outside = faces_outside = 0
    concl = text_cites = text_outside = concl_outside = 0
    with open(a.jsonl) as f:
        for line in f:
            d = json.loads(line)
            for face in d.get("faces") or []:
                text = (face.get("reasoning") or {}).get("conclusion", "")
                if text:
                    concl += 1
                    pairs = text_citations(text)
                    out_t = sum(u not in book[c] for u, c in pairs)
                    text_cites += len(pairs)
                    text_outside += out_t
                    concl_outside += out_t > 0
                ex = face.get("expression")
                if not face.get("aus") or not ex:
                    continue
                ev = [ex["evidence"][c] for c in CLASSES]
                ans = CLASSES.index(ex["class"])
                best = max(range(8), key=lambda c: ev[c])
                second = max((c for c in range(8) if c != best), key=lambda c: ev[c])
                x, y = (ans, second) if ans == best else (best, ans)
                active = [u for u in face["aus"] if u.get("present") and "evidence_term" in u]
                if not active:
                    continue
                faces += 1
                bad = False
                out = False
                for u in active:
                    t = u["evidence_term"]
                    diff = t[x] - t[y]
                    for c, d in ((x, diff), (y, -diff)):
                        if d >= a.min and t[c] > 0:
                            cited += 1
                            if u["au"] not in book[CLASSES[c]]:
                                outside += 1
                                out = True
                    cites += 1
                    if diff <= -a.min:
                        other += 1
                        bad = True
                    if abs(diff) < a.min:
                        small += 1
                wrong += bad
                faces_outside += out
                c = face.get("reasoning", {}).get("conclusion", "")
                none_for += "No active action unit points" in c or "The action units that are absent" in c
    if not faces:
        sys.exit("no face with an expression answer, an active AU and evidence terms (an AU model with an evidence map)")
    print(f"faces with an expression answer and an active AU: {faces}")
    print(f"with an active AU the map counts for the other class by >= {a.min:g}: {wrong} ({100 * wrong / faces:.1f}%)")
    print(f"active AUs: {cites}; counted the other way by >= {a.min:g}: {other} ({100 * other / cites:.1f}%); "
          f"within {a.min:g}: {small} ({100 * small / cites:.1f}%)")
    print(f"AUs cited for a class: {cited}; outside its FACS codebook: {outside} ({100 * outside / max(cited, 1):.1f}%), "
          f"in {faces_outside} conclusions ({100 * faces_outside / faces:.1f}%)")
    print(f"every AU the conclusions' text cites for or against a class: {text_cites}; outside its FACS codebook: "
          f"{text_outside} ({100 * text_outside / max(text_cites, 1):.1f}%), in {concl_outside} of {concl} conclusions "
          f"({100 * concl_outside / max(concl, 1):.1f}%)")
    print(f"conclusions saying no active AU points to the class they name: {none_for} ({100 * none_for / faces:.1f}%)")


if __name__ == "__main__":
    main()
