#!/usr/bin/env python3
"""tools/tflite_oracle.py — the reference outputs of tests/fixtures/blendshapes.*.bin.

Runs a .tflite model with NumPy, written from the TFLite schema and operator
definitions independently of augur's reader (nn/tflite.c), on the operators
MediaPipe's blendshapes network uses, and writes the input and output as an
AUGT fixture (tests/fixtures/README.md; here the input is float32). TFLite's
own runtime is in neither Debian nor npm for this use, hence a second,
independent implementation as the oracle; docs/AUS.md also compares the
network's behaviour with MediaPipe's published measurements.

    /usr/bin/python3 tools/tflite_oracle.py models/face_blendshapes.tflite \\
        tests/fixtures/blendshapes.random.bin
"""
import struct
import sys

import numpy as np


class FB:
    """Minimal FlatBuffer table access (trusted file: the shipped model)."""

    def __init__(self, b):
        self.b = b

    def u32(self, o): return struct.unpack_from("<I", self.b, o)[0]
    def i32(self, o): return struct.unpack_from("<i", self.b, o)[0]

    def table(self, o):
        vt = o - self.i32(o)
        vl = struct.unpack_from("<H", self.b, vt)[0]

        def field(i):
            if 4 + 2 * i >= vl:
                return None
            off = struct.unpack_from("<H", self.b, vt + 4 + 2 * i)[0]
            return None if off == 0 else o + off
        return field

    def ref(self, o): return o + self.u32(o)

    def vec(self, o):
        p = self.ref(o)
        return p + 4, self.u32(p)

    def ints(self, o):
        if o is None:
            return []
        p, n = self.vec(o)
        return [self.i32(p + 4 * k) for k in range(n)]

    def tables(self, o):
        p, n = self.vec(o)
        return [self.table(self.ref(p + 4 * k)) for k in range(n)]


def run(path, x):
    fb = FB(open(path, "rb").read())
    b = fb.b
    root = fb.table(fb.u32(0))
    codes = []
    for t in fb.tables(root(1)):
        dep = struct.unpack_from("<b", b, t(0))[0] if t(0) else 0
        codes.append(max(fb.i32(t(3)) if t(3) else 0, dep))
    bufs = []
    for t in fb.tables(root(4)):
        if t(0):
            p, n = fb.vec(t(0))
            bufs.append(b[p:p + n])
        else:
            bufs.append(b"")
    sg = fb.tables(root(2))[0]
    tensors, shapes = [], []
    for t in fb.tables(sg(0)):
        shape = fb.ints(t(0))
        typ = b[t(1)] if t(1) else 0
        data = bufs[fb.u32(t(2)) if t(2) else 0]
        dt = {0: np.float32, 1: np.float16, 2: np.int32}[typ]
        tensors.append(np.frombuffer(data, dt).reshape(shape) if data else None)
        shapes.append(shape)
    tensors[fb.ints(sg(1))[0]] = x.astype(np.float64)

    def opt(op, i, fmt, d):
        if op(4) is None:
            return d
        f = fb.table(fb.ref(op(4)))(i)
        return d if f is None else struct.unpack_from(fmt, b, f)[0]

    def act(v, a):
        return np.maximum(v, 0) if a == 1 else v

    for op in fb.tables(sg(3)):
        c = codes[fb.u32(op(0)) if op(0) else 0]
        ins, outs = fb.ints(op(1)), fb.ints(op(2))
        a = [tensors[i].astype(np.float64) if i >= 0 and tensors[i].dtype != np.int32 else
             (tensors[i] if i >= 0 else None) for i in ins]
        if c == 6:                                   # DEQUANTIZE
            r = a[0]
        elif c in (0, 41, 18, 42):                   # ADD SUB MUL DIV
            f = {0: np.add, 41: np.subtract, 18: np.multiply, 42: np.divide}[c]
            r = act(f(a[0], a[1]), opt(op, 0, "<b", 0))
        elif c == 99:                                # SQUARED_DIFFERENCE
            r = (a[0] - a[1]) ** 2
        elif c == 59:                                # NEG
            r = -a[0]
        elif c == 76:                                # RSQRT
            r = 1 / np.sqrt(a[0])
        elif c == 75:                                # SQRT
            r = np.sqrt(a[0])
        elif c == 14:                                # LOGISTIC
            r = 1 / (1 + np.exp(-a[0]))
        elif c in (40, 74):                          # MEAN SUM
            axes = tuple(int(v) for v in np.atleast_1d(a[1]))
            r = (np.mean if c == 40 else np.sum)(a[0], axis=axes, keepdims=bool(opt(op, 0, "<b", 0)))
        elif c == 39:                                # TRANSPOSE
            r = np.transpose(a[0], a[1])
        elif c == 22:                                # RESHAPE
            r = a[0].reshape(shapes[outs[0]])
        elif c == 45:                                # STRIDED_SLICE
            bm, em, sm = opt(op, 0, "<i", 0), opt(op, 1, "<i", 0), opt(op, 4, "<i", 0)
            sl = []
            for d in range(a[0].ndim):
                if sm >> d & 1:
                    sl.append(int(a[1][d]))
                else:
                    sl.append(slice(None if bm >> d & 1 else int(a[1][d]),
                                    None if em >> d & 1 else int(a[2][d]), int(a[3][d])))
            r = a[0][tuple(sl)]
        elif c == 2:                                 # CONCATENATION
            r = np.concatenate(a, axis=opt(op, 0, "<i", 0))
        elif c == 3:                                 # CONV_2D, 1x1 only (all this network has)
            w = a[1]
            assert w.shape[1] == 1 and w.shape[2] == 1 and opt(op, 1, "<i", 1) == 1 and opt(op, 2, "<i", 1) == 1
            r = act(np.einsum("nhwc,oc->nhwo", a[0], w[:, 0, 0, :]) + a[2], opt(op, 3, "<b", 0))
        else:
            raise SystemExit("operator %d is not in this oracle" % c)
        assert list(r.shape) == shapes[outs[0]], (c, r.shape, shapes[outs[0]])
        tensors[outs[0]] = r
    return tensors[fb.ints(sg(2))[0]]


def tensor(name, a):
    a = np.ascontiguousarray(a, np.float32)
    nm = name.encode()
    return (struct.pack("<I", len(nm)) + nm + struct.pack("<Iff", 0, 1.0, 0.0) +
            struct.pack("<I", a.ndim) + struct.pack("<%dI" % a.ndim, *a.shape) + a.tobytes())


if __name__ == "__main__":
    rs = np.random.RandomState(1)
    x = (rs.rand(1, 146, 2) * 200 + 100).astype(np.float32)  # points in a 200-px box
    y = run(sys.argv[1], x)
    with open(sys.argv[2], "wb") as f:
        f.write(b"AUGT" + struct.pack("<II", 1, 2) + tensor("input", x) + tensor("output", y))
