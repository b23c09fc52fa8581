#!/usr/bin/env python3
"""tests/hostile_models.py — damaged copies of the fetched TF.js models, for
tests/test_hostile.sh (and as seeds for fuzz/).

    hostile_models.py SRC_MODEL_DIR OUT_DIR

makes OUT_DIR/<case>/ for every case below: a model folder like SRC (the
shards and untouched JSON files are symbolic links to SRC) in which one file
is damaged the way the case says. Each case is one defect of issue 17 that a
model file could trigger; test_hostile.sh runs `augur analyze --models
OUT_DIR/<case>` and checks the one-line error.
"""
import copy
import json
import os
import struct
import sys

SRC, OUT = sys.argv[1], sys.argv[2]
DET = "facemesh-detection-short"
MESH = "facemesh"


def load(name):
    with open(os.path.join(SRC, name + ".json")) as f:
        return json.load(f)


def nodes(model, op):
    return [n for n in model["modelTopology"]["node"] if n["op"] == op]


def weight_offsets(model):
    """name -> (byte offset in the group's concatenated shards, dtype, count)."""
    out = {}
    for g in model["weightsManifest"]:
        off = 0
        for w in g["weights"]:
            count = 1
            for d in w["shape"]:
                count *= int(d)
            q = w.get("quantization", {}).get("dtype")
            elem = {"float16": 2, "uint16": 2, "uint8": 1}.get(q, 4)
            out[w["name"]] = (off, w["dtype"], count)
            off += count * elem
    return out


def make_case(case, files):
    """files: {name: JSON object or bytes}; everything else links to SRC."""
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(SRC):
        p = os.path.join(d, f)
        if os.path.lexists(p):
            os.remove(p)
        if f not in files:
            os.symlink(os.path.join(os.path.abspath(SRC), f), p)
    for f, data in files.items():
        with open(os.path.join(d, f), "wb") as fh:
            fh.write(data if isinstance(data, bytes) else json.dumps(data).encode())


def tiny(name, in_shape, out_rows, out_cols, extra_outputs=(), bias=None):
    """A minimal valid graph: input -> 1x1 Conv2D -> ResizeBilinear -> Reshape
    to [1, out_rows, out_cols] named 'Identity', plus named copies. Returns
    (model.json, shard bytes)."""
    c = in_shape[3]
    hw = {896: (28, 32), 1: (1, 1)}.get(out_rows, (out_rows, 1))
    w = [0.01] * (c * out_cols) + (bias or [0.0] * out_cols)
    weights = [
        {"name": "w", "shape": [1, 1, c, out_cols], "dtype": "float32"},
        {"name": "b", "shape": [out_cols], "dtype": "float32"},
        {"name": "size", "shape": [2], "dtype": "int32"},
        {"name": "shape", "shape": [3], "dtype": "int32"},
    ]
    shard = struct.pack("<%df" % len(w), *w) + struct.pack("<2i", *hw) + struct.pack("<3i", 1, out_rows, out_cols)
    i = lambda v: {"i": str(v)}
    ns = [
        {"name": "input", "op": "Placeholder",
         "attr": {"shape": {"shape": {"dim": [{"size": str(v)} for v in in_shape]}}}},
        {"name": "w", "op": "Const"}, {"name": "b", "op": "Const"},
        {"name": "size", "op": "Const"}, {"name": "shape", "op": "Const"},
        {"name": "conv", "op": "_FusedConv2D", "input": ["input", "w", "b"],
         "attr": {"padding": {"s": "VkFMSUQ="}, "strides": {"list": {"i": ["1", "1", "1", "1"]}},
                  "fused_ops": {"list": {"s": ["Qmlhc0FkZA=="]}}}},
        {"name": "rs", "op": "ResizeBilinear", "input": ["conv", "size"],
         "attr": {"half_pixel_centers": {"b": True}, "align_corners": {"b": False}}},
        {"name": "Identity", "op": "Reshape", "input": ["rs", "shape"]},
    ]
    for e in extra_outputs:
        ns.append({"name": e, "op": "Sigmoid", "input": ["Identity"]})
    model = {"format": "graph-model", "modelTopology": {"node": ns},
             "weightsManifest": [{"paths": [name + ".bin"], "weights": weights}]}
    return model, shard


def main():
    det, mesh = load(DET), load(MESH)

    # 1. a node with fewer inputs than its op reads (NULL to strcmp before)
    m = copy.deepcopy(det)
    nodes(m, "AddV2")[0]["input"] = nodes(m, "AddV2")[0]["input"][:1]
    make_case("arity_add", {DET + ".json": m})
    m = copy.deepcopy(det)
    nodes(m, "_FusedConv2D")[0]["input"] = nodes(m, "_FusedConv2D")[0]["input"][:1]
    make_case("arity_conv", {DET + ".json": m})
    m = copy.deepcopy(det)
    nodes(m, "Shape")[0]["input"] = []
    make_case("arity_shape", {DET + ".json": m})
    m = copy.deepcopy(det)
    nodes(m, "StridedSlice")[0]["input"] = nodes(m, "StridedSlice")[0]["input"][:2]
    make_case("arity_slice", {DET + ".json": m})

    # 2. a Pack node with 9 inputs (stack write past int32_t v[8] before)
    m = copy.deepcopy(det)
    p = nodes(m, "Pack")[0]
    p["input"] = (p["input"] * 9)[:9]
    make_case("pack9", {DET + ".json": m})

    # 3. detector / FaceMesh input with 1 channel (heap overflow in the warp before)
    mj, shard = tiny(DET, [1, 128, 128, 1], 896, 17)
    make_case("det_1ch", {DET + ".json": mj, DET + ".bin": shard})
    mj, shard = tiny(MESH, [1, 192, 192, 1], 468, 3, extra_outputs=("Identity_1", "Identity_2"))
    make_case("mesh_1ch", {MESH + ".json": mj, MESH + ".bin": shard})
    mj, shard = tiny(DET, [1, 128, 128, 3], 896, 17)   # the same, 3 channels: must load and run
    make_case("det_tiny_ok", {DET + ".json": mj, DET + ".bin": shard})
    # 16. a detector whose every anchor is a confident face 1e11 px away
    mj, shard = tiny(DET, [1, 128, 128, 3], 896, 17, bias=[10.0, 1e11, 1e11, 50.0, 50.0] + [0.0] * 12)
    make_case("det_far", {DET + ".json": mj, DET + ".bin": shard})

    # 4. an input whose element count wraps to 0 in 64 bits
    m = copy.deepcopy(det)
    ph = nodes(m, "Placeholder")[0]
    ph["attr"]["shape"]["shape"]["dim"] = [{"size": "1"}] + [{"size": "65536"}] * 4
    make_case("wrap", {DET + ".json": m})

    # 8. CPU burn: a MaxPool window of 2^30, a StridedSlice of 2^32 steps, a huge graph
    m = copy.deepcopy(det)
    nodes(m, "MaxPool")[0]["attr"]["ksize"] = {"list": {"i": ["1", "1073741824", "1073741824", "1"]}}
    make_case("maxpool_huge", {DET + ".json": m})

    with open(os.path.join(SRC, DET + ".bin"), "rb") as f:
        shard = bytearray(f.read())
    offs = weight_offsets(det)
    ss = nodes(det, "StridedSlice")[0]
    b_off = offs[ss["input"][1].split(":")[0]][0]
    e_off = offs[ss["input"][2].split(":")[0]][0]
    struct.pack_into("<i", shard, b_off, -2 ** 31)
    struct.pack_into("<i", shard, e_off, 2 ** 31 - 1)
    m = copy.deepcopy(det)
    nodes(m, "StridedSlice")[0]["attr"].pop("shrink_axis_mask", None)
    make_case("slice_2e32", {DET + ".json": m, DET + ".bin": bytes(shard)})

    n_big = int(os.environ.get("HOSTILE_BIG_NODES", "32000"))
    ns = [{"name": "input", "op": "Placeholder",
           "attr": {"shape": {"shape": {"dim": [{"size": "1"}, {"size": "128"}, {"size": "128"}, {"size": "3"}]}}}}]
    prev = "input"
    for k in range(n_big):
        ns.append({"name": "r%d" % k, "op": "Relu", "input": [prev]})
        prev = "r%d" % k
    big = {"format": "graph-model", "modelTopology": {"node": ns}, "weightsManifest": []}
    make_case("graph_big", {DET + ".json": big})

    # NaN and infinite weights (a bit-flipped shard)
    with open(os.path.join(SRC, DET + ".bin"), "rb") as f:
        shard = bytearray(f.read())
    struct.pack_into("<I", shard, 0, 0x7fc00000)
    make_case("weight_nan", {DET + ".bin": bytes(shard)})


main()
