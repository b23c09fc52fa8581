#!/usr/bin/env python3
"""tests/fuzz-regressions/make_issue17.py — the reproducers of issue 17 in the
fuzz targets' input formats (fuzz/targets.c), written once and committed:
tests/test_hostile.sh replays every file under tests/fuzz-regressions/<target>/
through tools/fuzz_replay in `make test` (and `make asan`). Before the fixes
each one crashed (SIGSEGV, stack or heap overflow) or hung. Run from the
source root."""
import json
import os
import struct

D = "tests/fuzz-regressions"


def model(nodes, weights):
    manifest, shard = [], b""
    for name, shape, dtype, vals in weights:
        manifest.append({"name": name, "shape": shape, "dtype": dtype})
        shard += struct.pack("<%d%s" % (len(vals), "i" if dtype == "int32" else "f"), *vals)
    j = {"modelTopology": {"node": nodes}, "weightsManifest": [{"paths": ["m.bin"], "weights": manifest}]}
    return json.dumps(j, separators=(",", ":")).encode() + b"\0" + shard


def ph(dims):
    return {"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [{"size": str(d)} for d in dims]}}}}


ints = lambda *v: {"list": {"i": [str(x) for x in v]}}
out = {}
# defect 1: ops with fewer inputs than they read (NULL name to strcmp)
for op in ["AddV2", "Prelu", "Pad", "Mean", "ResizeBilinear", "Reshape", "Shape", "Identity"]:
    out["model/arity_%s" % op] = model([ph([1, 4, 4, 2]), {"name": "y", "op": op, "input": [] if op in ("Shape", "Identity") else ["x"]}], [])
out["model/arity_conv"] = model([ph([1, 4, 4, 2]), {"name": "y", "op": "_FusedConv2D", "input": ["x"],
                                 "attr": {"fused_ops": {"list": {"s": ["Qmlhc0FkZA=="]}}}}], [])
out["model/arity_slice"] = model([ph([1, 4, 4, 2]), {"name": "s", "op": "Shape", "input": ["x"]},
                                  {"name": "y", "op": "StridedSlice", "input": ["s"]}], [])
# defect 2: Pack of 9 inputs (stack write past int32_t v[8])
out["model/pack9"] = model([{"name": "k", "op": "Const"}, {"name": "y", "op": "Pack", "input": ["k"] * 9}],
                           [("k", [], "int32", [7])])
# defect 4: element count that wraps to 0
out["model/wrap"] = model([ph([1, 65536, 65536, 65536, 65536]), {"name": "y", "op": "Relu", "input": ["x"]}], [])
# defect 8: MaxPool window 2^30 (run by the reference backend), StridedSlice of 2^32 steps
out["model/maxpool_huge"] = model([ph([1, 4, 4, 2]), {"name": "y", "op": "MaxPool", "input": ["x"], "attr": {
    "padding": {"s": "U0FNRQ=="}, "ksize": ints(1, 2 ** 30, 2 ** 30, 1), "strides": ints(1, 1, 1, 1)}}], [])
out["model/slice_2e32"] = model([ph([1, 4, 4, 2]), {"name": "s", "op": "Shape", "input": ["x"]},
                                 {"name": "b", "op": "Const"}, {"name": "e", "op": "Const"}, {"name": "st", "op": "Const"},
                                 {"name": "y", "op": "StridedSlice", "input": ["s", "b", "e", "st"]},
                                 {"name": "z", "op": "Relu", "input": ["x"]}],
                                [("b", [1], "int32", [-2 ** 31]), ("e", [1], "int32", [2 ** 31 - 1]), ("st", [1], "int32", [1])])
# a huge number where an int is expected ((long)1e300 is undefined behaviour)
out["model/huge_number"] = model([{"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [
    {"size": 1e300}, {"size": 4}]}}}}], [])
# defect 15: AU4294967308 scored as AU12
out["rationale/au_2e32"] = b"AU4294967308 <bbox>[100,100,200,200]</bbox>\n"
out["rationale/json_au_2e32"] = b'{"claims":[{"au":4294967308},{"au":"AU4294967308"},{"au":1e300}]}'
# defect 14: negative and NaN batch-norm variances (patches on models/expr-ferplus.bin)
stats = 24 + 2 * 1174696
out["expr/negvar"] = b"\x01" + struct.pack("<If", stats + 4 * 32, -1.0)
out["expr/nanvar"] = b"\x01" + struct.pack("<II", stats + 4 * 33, 0x7fc00000)
for name, data in out.items():
    os.makedirs(os.path.dirname(os.path.join(D, name)), exist_ok=True)
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)
