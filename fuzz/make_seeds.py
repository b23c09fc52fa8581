#!/usr/bin/env python3
"""fuzz/make_seeds.py — writes the generated seeds of fuzz/corpus/{model,
rationale,expr}/ (the image and video seeds are 16x16 conversions of
examples/astronaut.png and of FFmpeg's testsrc, made once with ffmpeg).
Run from the source root; the output is committed.

Model seeds are model.json, a NUL byte, then the weight shard ("m.bin")."""
import json
import os
import struct

OUT = "fuzz/corpus"


def b64(s):
    import base64
    return base64.b64encode(s.encode()).decode()


def model(nodes, weights):
    """weights: list of (name, shape, dtype, values)."""
    manifest, shard = [], b""
    for name, shape, dtype, vals in weights:
        manifest.append({"name": name, "shape": shape, "dtype": dtype})
        shard += struct.pack("<%d%s" % (len(vals), "i" if dtype == "int32" else "f"), *vals)
    j = {"format": "graph-model", "modelTopology": {"node": nodes},
         "weightsManifest": [{"paths": ["m.bin"], "weights": manifest}]}
    return json.dumps(j, separators=(",", ":")).encode() + b"\0" + shard


def ph(name, dims):
    return {"name": name, "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [{"size": str(d)} for d in dims]}}}}


def c(name):
    return {"name": name, "op": "Const"}


ints = lambda *v: {"list": {"i": [str(x) for x in v]}}

# 1. conv + resize + reshape (the shape of a detector's head)
tiny = model(
    [ph("input", [-1, 8, 8, 3]), c("w"), c("b"), c("size"), c("shape"),
     {"name": "conv", "op": "_FusedConv2D", "input": ["input", "w", "b"],
      "attr": {"padding": {"s": b64("SAME")}, "strides": ints(1, 1, 1, 1), "fused_ops": {"list": {"s": [b64("BiasAdd"), b64("Relu")]}}}},
     {"name": "rs", "op": "ResizeBilinear", "input": ["conv", "size"],
      "attr": {"half_pixel_centers": {"b": True}, "align_corners": {"b": False}}},
     {"name": "Identity", "op": "Reshape", "input": ["rs", "shape"]}],
    [("w", [1, 1, 3, 4], "float32", [0.1] * 12), ("b", [4], "float32", [0.0] * 4),
     ("size", [2], "int32", [4, 4]), ("shape", [3], "int32", [1, 16, 4])])

# 2. most other ops: Pad, depthwise conv, AddV2, Relu, MaxPool, Prelu, Shape,
#    StridedSlice, Pack, Reshape, ConcatV2, Mean, Softmax, Sigmoid, DepthToSpace
ops = model(
    [ph("x", [1, 8, 8, 4]), c("pads"), c("dw"), c("bias"), c("alpha"), c("b0"), c("e0"), c("s0"), c("m1"),
     c("axes"), c("cax"), c("n16"),
     {"name": "pad", "op": "Pad", "input": ["x", "pads"]},
     {"name": "dwc", "op": "DepthwiseConv2dNative", "input": ["pad", "dw"],
      "attr": {"padding": {"s": b64("VALID")}, "strides": ints(1, 1, 1, 1)}},
     {"name": "add", "op": "AddV2", "input": ["dwc", "bias"]},
     {"name": "relu", "op": "Relu", "input": ["add"]},
     {"name": "pool", "op": "MaxPool", "input": ["relu"],
      "attr": {"padding": {"s": b64("SAME")}, "ksize": ints(1, 2, 2, 1), "strides": ints(1, 2, 2, 1)}},
     {"name": "prelu", "op": "Prelu", "input": ["pool", "alpha"]},
     {"name": "d2s", "op": "DepthToSpace", "input": ["prelu"], "attr": {"block_size": {"i": "2"}}},
     {"name": "shape", "op": "Shape", "input": ["prelu"]},
     {"name": "ss", "op": "StridedSlice", "input": ["shape", "b0", "e0", "s0"], "attr": {"shrink_axis_mask": {"i": "1"}}},
     {"name": "pack", "op": "Pack", "input": ["ss", "m1"]},
     {"name": "flat", "op": "Reshape", "input": ["prelu", "pack"]},
     {"name": "soft", "op": "Softmax", "input": ["flat"]},
     {"name": "mean", "op": "Mean", "input": ["prelu", "axes"]},
     {"name": "sig", "op": "Sigmoid", "input": ["mean"]},
     {"name": "cat", "op": "ConcatV2", "input": ["soft", "soft", "cax"]},
     {"name": "d2sflat", "op": "Reshape", "input": ["d2s", "n16"]},
     {"name": "id", "op": "Identity", "input": ["sig"]}],
    [("pads", [4, 2], "int32", [0, 0, 1, 1, 1, 1, 0, 0]), ("dw", [3, 3, 4, 1], "float32", [0.1] * 36),
     ("bias", [4], "float32", [0.5, -0.5, 0.1, 0.0]), ("alpha", [4], "float32", [0.2] * 4),
     ("b0", [1], "int32", [0]), ("e0", [1], "int32", [1]), ("s0", [1], "int32", [1]), ("m1", [], "int32", [-1]),
     ("axes", [2], "int32", [1, 2]), ("cax", [], "int32", [1]), ("n16", [2], "int32", [1, -1])])

os.makedirs(OUT + "/model", exist_ok=True)
open(OUT + "/model/tiny", "wb").write(tiny)
open(OUT + "/model/ops", "wb").write(ops)

r = OUT + "/rationale"
os.makedirs(r, exist_ok=True)
open(r + "/tag.txt", "w").write(
    "<think>\nStep 1: AU6 (cheek raiser) and AU12 (lip corner puller) are active <bbox>[150,200,300,330]</bbox>\n"
    "Step 2: against sadness: AU15 absent, AU1 absent\n</think>\n<answer>happiness</answer>\n")
open(r + "/claims.json", "w").write(json.dumps(
    {"answer": "happiness", "claims": [{"au": 12, "box": [150, 250, 300, 330]}, {"au": "AU6"},
                                       {"au": 15, "present": False}]}))
open(r + "/steps.json", "w").write(json.dumps({"steps": [{"aus": [6, 12], "box": [1, 2, 3, 4]}], "answer": "anger"}))

e = OUT + "/expr"
os.makedirs(e, exist_ok=True)
# raw: a header only (the sizes of the shipped network), and a float32 header
open(e + "/header", "wb").write(b"AUGEXPR2" + struct.pack("<QQ", 1174696, 1920))
open(e + "/header1", "wb").write(b"AUGEXPR1" + struct.pack("<QQ", 1174696, 1920))
# patches on models/expr-ferplus.bin: one variance to -1, one weight to NaN (half 0x7e00)
stats = 24 + 2 * 1174696
open(e + "/patch", "wb").write(b"\x01" + struct.pack("<If", stats + 4 * 40, -1.0)
                                + struct.pack("<IHH", 24 + 2 * 50, 0x7e00, 0x3c00))
open(e + "/patch_ok", "wb").write(b"\x01" + struct.pack("<If", stats + 4 * 40, 2.0))

# AU model JSON: a geometry-only model (165 features) with three AUs and the
# evidence map, short enough for the fuzzer's input size
a = OUT + "/aumodel"
os.makedirs(a, exist_ok=True)
NF = 165
CLASSES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]
aus = [{"au": au, "positives": 10, "threshold": 0.5, "intensity_ref": 4.0, "bias": -1.0,
        "weights": [round(((j * k) % 7 - 3) / 10, 1) for j in range(NF)]}
       for k, au in enumerate([6, 12, 4], start=1)]
am = {"format": "augur.au_model", "version": 2, "source": "fuzz seed", "n_features": NF,
      "use_appearance": 0, "n_train": 1, "mean": [0] * NF, "scale": [1] * NF,
      "neutral_mean": [0] * NF, "aus": aus,
      "evidence": [{"class": c, "bias": 0.1 * i, "weights": {"AU6": 0.5, "AU12": -0.5, "AU4": 0.2}}
                   for i, c in enumerate(CLASSES)]}
open(a + "/geometry", "w").write(json.dumps(am, separators=(",", ":")))
del am["evidence"]
open(a + "/no_evidence", "w").write(json.dumps(am, separators=(",", ":")))
# the same with a shared hidden layer of 2 units (train au --hidden): the AUs read the layer
hm = dict(am, hidden=2, hidden_weights=[[round(((j * u) % 5 - 2) / 10, 1) for j in range(NF)] for u in (1, 2)],
          hidden_bias=[0.1, -0.1], aus=[dict(x, weights=[0.5, -0.5]) for x in aus])
open(a + "/hidden", "w").write(json.dumps(hm, separators=(",", ":")))
# the same layer as train au writes it since 2026-12-07: each unit's weights as base64 of float32
import base64
hb = dict(hm, hidden_encoding="float32le-base64",
          hidden_weights=[base64.b64encode(struct.pack("<%df" % NF, *w)).decode() for w in hm["hidden_weights"]])
open(a + "/hidden_base64", "w").write(json.dumps(hb, separators=(",", ":")))
# and with the range of faces at rest of the 25 named measurements (still and personal)
rm = dict(hm, measure_rest_mm={"low": [-1.5] * 25, "high": [1.5] * 25},
          measure_rest_personal_mm={"low": [-0.5] * 25, "high": [0.5] * 25})
open(a + "/rest", "w").write(json.dumps(rm, separators=(",", ":")))
# and with AU12 scored present only beyond faces at rest (train au --rest-gate)
gm = dict(rm, aus=[dict(x, rest_gate=1) if x["au"] == 12 else x for x in rm["aus"]])
open(a + "/rest_gate", "w").write(json.dumps(gm, separators=(",", ":")))
# and read against the person's neutral with every feature shifted (train au --personal-shift all)
pm = dict(rm, personal_shift="all")
open(a + "/personal_shift", "w").write(json.dumps(pm, separators=(",", ":")))
# and with the reading against the person's neutral gated by the still reading or a movement (--personal-gate moved)
qm = dict(rm, personal_gate="moved")
open(a + "/personal_gate", "w").write(json.dumps(qm, separators=(",", ":")))
# ... the still reading counting only where the person's neutral does not show the AU (--personal-gate neutral)
nm = dict(rm, personal_gate="neutral")
open(a + "/personal_gate_neutral", "w").write(json.dumps(nm, separators=(",", ":")))
# ... with a margin by which the face's still reading may exceed the neutral's (--personal-gate-margin; RULE38)
open(a + "/personal_gate_margin", "w").write(json.dumps(dict(nm, personal_gate_margin=2), separators=(",", ":")))
# ... and a rise of the still reading over the neutral's that counts, over its threshold or not (--personal-gate-rise; RULE39)
open(a + "/personal_gate_rise", "w").write(json.dumps(dict(nm, personal_gate_rise=3), separators=(",", ":")))
# an evidence map whose weights keep the codebook's signs, and says so (train au --evidence-signs facs-for; RULE37):
# AU4 is not listed for happiness, neutral or surprise, AU6 not for surprise, anger, disgust, fear, contempt ...
BOOK = {"neutral": (), "happiness": (6, 12, 25), "surprise": (1, 2, 5, 26, 27), "sadness": (1, 4, 6, 15, 17),
        "anger": (4, 5, 7, 10, 17, 23, 24, 25, 26), "disgust": (9, 10, 16, 17, 25, 26),
        "fear": (1, 2, 4, 5, 20, 25, 26, 27), "contempt": (12, 14)}  # src/expr/classes.c expr_codebook
sm = dict(rm, evidence_signs="facs-for",
          evidence=[{"class": c, "bias": 0.1 * i,
                     "weights": {"AU%d" % u: (0.5 if u in BOOK[c] else -0.25) for u in (6, 12, 4)}}
                    for i, c in enumerate(CLASSES)])
open(a + "/evidence_signs", "w").write(json.dumps(sm, separators=(",", ":")))
# with each AU's inner-fold AUC and a bar that leaves AU6 unvalidated (train au --min-auc; RULE34)
vm = dict(rm, min_auc=0.6, aus=[dict(x, oof_auc=0.55 if x["au"] == 6 else 0.9) for x in rm["aus"]])
open(a + "/min_auc", "w").write(json.dumps(vm, separators=(",", ":")))
# a covered-area test (train au's "cover"; au/cover.h) is refused without the HOG it describes: a short one
# here, so the fuzzer reaches the cover parser (a real one is 44,000 numbers, past the input size)
cm = dict(rm, cover={"components": 24, "encoding": "float32le-base64",
                    "areas": [{"area": "upper face", "edge": 1.5, "mean": "zczMPc3MzD0=", "basis": "AAAAPwAAAD8="}]})
open(a + "/cover_without_hog", "w").write(json.dumps(cm, separators=(",", ":")))

# TFLite (nn/tflite.c): patches on models/face_blendshapes.tflite, and a raw
# truncated head of it
t = OUT + "/tflite"
os.makedirs(t, exist_ok=True)
tfl = open("models/face_blendshapes.tflite", "rb").read()
open(t + "/patch_ok", "wb").write(b"\x01" + struct.pack("<I", 0) + tfl[0:4])       # unchanged: loads and runs
open(t + "/patch_ident", "wb").write(b"\x01" + struct.pack("<I", 4) + b"TFL2")     # wrong file identifier
open(t + "/patch_nan", "wb").write(b"\x01" + struct.pack("<IHH", 400000, 0x7e00, 0x7e00))  # NaN weights
open(t + "/patch_root", "wb").write(b"\x01" + struct.pack("<II", 0, 0x7ffffff0))   # root offset past the end
open(t + "/head", "wb").write(tfl[:4096])
