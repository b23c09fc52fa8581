"""augur.Detector: images and video to pandas DataFrames with OpenFace-compatible columns."""

import ctypes
import json
import math
import os
import warnings
from ctypes import byref, c_char_p, c_double, c_int, c_void_p, POINTER

import numpy as np
import pandas as pd

from . import _lib as L
from ._lib import AugurError

AU_IDS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 20, 23, 24, 25, 26, 27, 28, 43, 45)
EXPRESSIONS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")

GAZE_COLUMNS = ["gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z", "gaze_angle_x", "gaze_angle_y"]
POSE_COLUMNS = ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
LANDMARK_COLUMNS = [f"x_{i}" for i in range(L.LM68_POINTS)] + [f"y_{i}" for i in range(L.LM68_POINTS)]
LANDMARK3D_COLUMNS = [f"{c}_{i}" for c in "XYZ" for i in range(L.LM68_POINTS)]
AU_R_COLUMNS = [f"AU{a:02d}_r" for a in AU_IDS]
AU_C_COLUMNS = [f"AU{a:02d}_c" for a in AU_IDS]
AU_P_COLUMNS = [f"AU{a:02d}_p" for a in AU_IDS]
AU_MM_COLUMNS = [f"AU{a:02d}_mm" for a in AU_IDS]          # each AU's named measurement, mm
AU_BEYOND_COLUMNS = [f"AU{a:02d}_beyond" for a in AU_IDS]  # ... beyond what faces at rest show (0/1)
COVER_COLUMNS = ["cover_upper", "cover_lower"]   # each face area's cover score: over 1, covered and not read
AU_HELD_COLUMNS = [f"AU{a:02d}_held" for a in AU_IDS]      # why an AU read over its threshold is not present
EMOTION_COLUMNS = list(EXPRESSIONS)
EVIDENCE_COLUMNS = [f"evidence_{c}" for c in EXPRESSIONS]
BOX_COLUMNS = ["box_x1", "box_y1", "box_x2", "box_y2"]

# Numeric columns, in the order of the float matrix built per face.
_NUMERIC = (["timestamp", "confidence", "success"] + GAZE_COLUMNS + POSE_COLUMNS + LANDMARK_COLUMNS
            + LANDMARK3D_COLUMNS + AU_R_COLUMNS + AU_C_COLUMNS + AU_P_COLUMNS + EMOTION_COLUMNS + EVIDENCE_COLUMNS
            + ["weakly_grounded", "cam_cos", "detected", "per_person_neutral", "det_score", "mesh_score"]
            + BOX_COLUMNS + ["width", "height"] + AU_MM_COLUMNS + AU_BEYOND_COLUMNS + COVER_COLUMNS)
_IX = {c: i for i, c in enumerate(_NUMERIC)}

#: Every column of a result, in order: OpenFace 2's names first, augur's own after.
COLUMNS = (["input", "frame", "face_id", "timestamp", "confidence", "success"] + GAZE_COLUMNS + POSE_COLUMNS
           + LANDMARK_COLUMNS + LANDMARK3D_COLUMNS + AU_R_COLUMNS + AU_C_COLUMNS + AU_P_COLUMNS + ["expression"] + EMOTION_COLUMNS + EVIDENCE_COLUMNS
           + ["evidence_class", "weakly_grounded", "cam_cos", "detected", "per_person_neutral", "det_score",
              "mesh_score"] + BOX_COLUMNS + ["width", "height", "error"] + AU_MM_COLUMNS + AU_BEYOND_COLUMNS
           + COVER_COLUMNS + AU_HELD_COLUMNS)
_INT_COLUMNS = ["success"]           # always known
_NULLABLE_INT = ["face_id"] + AU_C_COLUMNS + ["weakly_grounded", "detected", "per_person_neutral"] + AU_BEYOND_COLUMNS

_DEG = math.pi / 180.0


class Fex(pd.DataFrame):
    """The result of Detector.detect_image / detect_video: one row per face (per frame).

    A pandas DataFrame with OpenFace 2 column names (``frame``, ``face_id``, ``timestamp``,
    ``confidence``, ``success``, ``gaze_*``, ``pose_*``, ``x_*``/``y_*``, ``X_*``/``Y_*``/``Z_*``,
    ``AUxx_r``/``AUxx_c``) and augur's own
    (``AUxx_p``, the expression probabilities, evidence, ``cam_cos``, face box, ``error``), plus
    py-feat-style column subsets. ``events`` holds the video's events JSON (parsed), ``timeline`` its
    readable timeline, ``source_info`` what the video source said; all ``None`` for images.
    """

    _metadata = ["events", "timeline", "source_info"]
    events = None
    timeline = None
    source_info = None

    @property
    def _constructor(self):
        return Fex

    @property
    def aus(self):
        """AU intensities 0..5 (``AUxx_r``, OpenFace's scale)."""
        return pd.DataFrame(self[AU_R_COLUMNS])

    @property
    def au_presence(self):
        """AU presence 0/1 (``AUxx_c``)."""
        return pd.DataFrame(self[AU_C_COLUMNS])

    @property
    def au_probabilities(self):
        """AU probabilities 0..1 (``AUxx_p``)."""
        return pd.DataFrame(self[AU_P_COLUMNS])

    @property
    def au_held(self):
        """Why an AU read at or over its threshold is not present (``AUxx_held``): ``"rest"``, ``"still"``,
        ``"neutral"``, ``"covered"``, ``"unvalidated"`` or ``"alternative"`` (``augur_au_held_reason``); None
        where the AU is present, reads under its threshold or is not measured."""
        return pd.DataFrame(self[AU_HELD_COLUMNS])

    @property
    def emotions(self):
        """The 8 expression probabilities (FERPlus classes), py-feat style column names."""
        return pd.DataFrame(self[EMOTION_COLUMNS])

    @property
    def poses(self):
        """Head pose: ``pose_Tx/Ty/Tz`` (mm) and ``pose_Rx/Ry/Rz`` (radians, OpenFace convention)."""
        return pd.DataFrame(self[POSE_COLUMNS])

    @property
    def gaze(self):
        """Eye gaze: unit vectors ``gaze_0_*`` (the eye leftmost in the image), ``gaze_1_*`` (camera frame) and
        ``gaze_angle_x/y`` (radians, OpenFace's definition; 0 looking into the camera)."""
        return pd.DataFrame(self[GAZE_COLUMNS])

    @property
    def landmarks3d(self):
        """The 68 landmarks in 3D, ``X_0 … X_67, Y_0 … Y_67, Z_0 … Z_67`` (mm, camera frame)."""
        return pd.DataFrame(self[LANDMARK3D_COLUMNS])

    @property
    def landmarks(self):
        """The 68 landmarks, ``x_0 … x_67, y_0 … y_67`` (image px)."""
        return pd.DataFrame(self[LANDMARK_COLUMNS])

    @property
    def facebox(self):
        """Face box ``box_x1, box_y1, box_x2, box_y2`` (image px)."""
        return pd.DataFrame(self[BOX_COLUMNS])


def _nan_row():
    return np.full(len(_NUMERIC), np.nan)


def _face_values(face, row):
    """Fills row (float array over _NUMERIC) from a struct augur_face."""
    row[_IX["det_score"]] = face.det_score
    row[_IX["mesh_score"]] = face.mesh_score if face.has_mesh else np.nan
    i = _IX["box_x1"]
    row[i:i + 4] = np.ctypeslib.as_array(face.box)
    if face.has_mesh:
        i = _IX["pose_Tx"]
        row[i:i + 3] = np.ctypeslib.as_array(face.pose_T)
        row[i + 3:i + 6] = np.ctypeslib.as_array(face.pose_R) * _DEG
        lm = np.ctypeslib.as_array(face.lm68)
        i = _IX["x_0"]
        row[i:i + L.LM68_POINTS] = lm[:, 0]
        i = _IX["y_0"]
        row[i:i + L.LM68_POINTS] = lm[:, 1]
        i = _IX["X_0"]
        row[i:i + 3 * L.LM68_POINTS] = np.ctypeslib.as_array(face.lm68_3d).T.reshape(-1)
    if face.has_gaze:
        i = _IX["gaze_0_x"]
        row[i:i + 6] = np.ctypeslib.as_array(face.gaze).reshape(-1)
        row[i + 6:i + 8] = np.ctypeslib.as_array(face.gaze_angle)
    if face.n_aus:
        r0, c0, p0 = _IX[AU_R_COLUMNS[0]], _IX[AU_C_COLUMNS[0]], _IX[AU_P_COLUMNS[0]]
        m0, b0 = _IX[AU_MM_COLUMNS[0]], _IX[AU_BEYOND_COLUMNS[0]]
        for k in range(min(face.n_aus, L.AU_COUNT)):
            au = face.aus[k]
            if au.source == L.AU_SOURCE_NONE:
                continue
            try:
                j = AU_IDS.index(au.id)
            except ValueError:
                continue
            row[r0 + j] = au.intensity
            row[c0 + j] = 1.0 if au.present else 0.0
            row[p0 + j] = au.probability
            if au.measure >= 0 and not L.lib().augur_au_covered(ctypes.byref(face), ctypes.byref(au)):
                row[m0 + j] = au.measure_mm   # not where the area looks covered: the mesh there is a guess
                beyond = L.lib().augur_measure_beyond_rest(ctypes.byref(au))
                if beyond >= 0:
                    row[b0 + j] = float(beyond)
        i = _IX[EVIDENCE_COLUMNS[0]]
        row[i:i + L.EXPR_COUNT] = np.ctypeslib.as_array(face.evidence)
        i = _IX[COVER_COLUMNS[0]]
        row[i:i + 2] = np.ctypeslib.as_array(face.cover_score)
    if face.has_expression:
        i = _IX[EMOTION_COLUMNS[0]]
        row[i:i + L.EXPR_COUNT] = np.ctypeslib.as_array(face.expression)
        row[_IX["weakly_grounded"]] = 1.0 if face.weakly_grounded else 0.0
        row[_IX["cam_cos"]] = face.cam_cos if face.cam_cos >= -0.5 else np.nan  # -1: neutral, nothing compared


def _frame(records):
    """records: list of (input, frame, face_id, expression, evidence_class, error, numeric row, held) -> Fex."""
    n = len(records)
    mat = np.vstack([r[6] for r in records]) if n else np.empty((0, len(_NUMERIC)))
    cols = {c: mat[:, i] for i, c in enumerate(_NUMERIC)}
    cols["input"] = pd.Series([r[0] for r in records], dtype=object)
    cols["frame"] = np.array([r[1] for r in records], dtype=np.int64)
    cols["face_id"] = pd.array([r[2] for r in records], dtype="Int64")
    cols["expression"] = pd.Series([r[3] for r in records], dtype=object)
    cols["evidence_class"] = pd.Series([r[4] for r in records], dtype=object)
    cols["error"] = pd.Series([r[5] for r in records], dtype=object)
    for j, c in enumerate(AU_HELD_COLUMNS):
        cols[c] = pd.Series([r[7][j] for r in records], dtype=object)
    for c in _INT_COLUMNS:
        cols[c] = cols[c].astype(np.int64)
    for c in _NULLABLE_INT:
        if c != "face_id":
            cols[c] = pd.array([None if math.isnan(v) else int(v) for v in cols[c]], dtype="Int64")
    df = Fex({c: (cols[c].to_numpy() if isinstance(cols[c], pd.Series) else cols[c]) for c in COLUMNS},
             columns=COLUMNS)
    return df


def _record(input_name, frame, face_id, face, row, width=None, height=None, error=None):
    expr = evid = None
    held = [None] * len(AU_IDS)
    if face is not None:
        _face_values(face, row)
        for k in range(min(face.n_aus, L.AU_COUNT)):
            au = face.aus[k]
            why = L.lib().augur_au_held_reason(ctypes.byref(au)) if au.id in AU_IDS else None
            if why:
                held[AU_IDS.index(au.id)] = why.decode()
        if face.has_expression and 0 <= face.expression_class < L.EXPR_COUNT:
            expr = EXPRESSIONS[face.expression_class]
        if face.n_aus and 0 <= face.evidence_class < L.EXPR_COUNT:
            evid = EXPRESSIONS[face.evidence_class]
    if width is not None:
        row[_IX["width"]] = width
        row[_IX["height"]] = height
    return (input_name, frame, face_id, expr, evid, error, row, held)


def _as_rgb(a):
    """A numpy image (H x W x 3 RGB, H x W x 4 RGBA, H x W gray; uint8) as a C-contiguous H x W x 3 array."""
    a = np.asarray(a)
    if a.dtype != np.uint8:
        raise TypeError(f"image arrays must be uint8 (got {a.dtype}); convert with (x * 255).clip(0, 255)"
                        ".astype(np.uint8) or x.astype(np.uint8)")
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    elif not (a.ndim == 3 and a.shape[2] == 3):
        raise ValueError(f"image arrays must be H x W x 3 (RGB), H x W x 4 (RGBA) or H x W (gray); got shape "
                         f"{a.shape}")
    return np.ascontiguousarray(a)


def _is_path(x):
    return isinstance(x, (str, bytes, os.PathLike))


class Detector:
    """One augur context: the models, loaded once, and the analyses over them.

    Arguments mirror ``struct augur_params`` (and the CLI options): ``models`` the folder of the
    pretrained face networks (default: ``$AUGUR_MODELS``, else the one compiled in), ``au_model`` and
    ``expr_model`` model files (default: the shipped ones), ``threads`` worker threads inside one
    inference, ``detector`` ``"auto"``/``"short"``/``"full"``/``"tiled"``, ``crop`` ``"auto"``/``"never"``/``"always"``,
    ``expr_flip`` average the expression over the face and its mirror image, ``gaze`` estimate eye
    gaze (MediaPipe Iris, two small network runs per face), ``backend`` ``"fast"`` (XNNPACK) or
    ``"reference"``.

    Every model is loaded here, so a missing or damaged model raises :class:`AugurError` now. A
    Detector is used by one thread at a time; use one per thread to work in parallel.
    """

    def __init__(self, models=None, au_model=None, expr_model=None, threads=1, detector="auto", crop="auto",
                 expr_flip=False, backend="fast", gaze=True):
        self._lib = L.lib()
        self._ctx = c_void_p()
        for name, val, table in (("detector", detector, L.DETECTORS), ("crop", crop, L.CROPS),
                                 ("backend", backend, L.BACKENDS)):
            if val not in table:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, table))}, not {val!r}")
        p = self._lib.augur_default_params()
        # keep the bytes alive as long as the context might read them
        self._keep = [os.fsencode(x) if x is not None else None for x in (models, au_model, expr_model)]
        p.model_dir, p.au_model, p.expr_model = self._keep
        p.n_threads = int(threads)
        p.detector = L.DETECTORS[detector]
        p.crop = L.CROPS[crop]
        p.backend = L.BACKENDS[backend]
        p.expr_flip = 1 if expr_flip else 0
        p.gaze = 1 if gaze else 0
        rc = self._lib.augur_init(byref(self._ctx), byref(p))
        if rc:
            msg = self._errmsg(rc)
            self.close()
            raise AugurError(msg, rc)
        self._check(self._lib.augur_load(self._ctx))

    # ---- plumbing ----

    def close(self):
        """Frees the context (also done when the Detector is garbage collected)."""
        if getattr(self, "_ctx", None) and self._ctx.value:
            self._lib.augur_free(self._ctx)
            self._ctx = c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _errmsg(self, rc):
        m = L.cstr(self._lib.augur_errmsg(self._ctx))
        return m or L.cstr(self._lib.augur_strerror(rc)) or f"error {rc}"

    def _check(self, rc):
        if rc:
            raise AugurError(self._errmsg(rc), rc)

    def _live(self):
        if not self._ctx.value:
            raise AugurError("this Detector is closed", L.AUGUR_EARG)

    @property
    def model_dir(self):
        return L.cstr(self._lib.augur_model_dir(self._ctx))

    @property
    def au_model(self):
        return L.cstr(self._lib.augur_au_model_path(self._ctx))

    @property
    def expr_model(self):
        return L.cstr(self._lib.augur_expr_model_path(self._ctx)) or None

    def __repr__(self):
        return f"augur.Detector(models={self.model_dir!r}, expr_model={self.expr_model!r})"

    # ---- faces ----

    def _faces_of(self, image):
        """(faces, width, height) for a path or an array: faces as Python-owned struct augur_face copies."""
        self._live()
        fp = POINTER(L.augur_face)()
        n = c_int(0)
        if _is_path(image):
            img = L.augur_image()
            self._check(self._lib.augur_image_load(self._ctx, os.fsencode(image), byref(img)))
            try:
                w, h = img.w, img.h
                rc = self._lib.augur_analyze_image(self._ctx, byref(img), byref(fp), byref(n))
            finally:
                self._lib.augur_image_free(byref(img))
        else:
            a = _as_rgb(image)
            h, w = a.shape[:2]
            rc = self._lib.augur_analyze_rgb(self._ctx, a.ctypes.data_as(c_void_p), w, h, byref(fp), byref(n))
        self._check(rc)
        try:
            faces = []
            for i in range(n.value):
                f = L.augur_face()
                ctypes.memmove(byref(f), ctypes.byref(fp[i]), ctypes.sizeof(L.augur_face))
                faces.append(f)
        finally:
            self._lib.augur_faces_free(fp)
        return faces, w, h

    def faces(self, image):
        """The faces of one image (path or array) as ctypes ``struct augur_face`` records (raises on error)."""
        return self._faces_of(image)[0]

    def analysis(self, image):
        """The analysis of one image (path or array) as augur's JSON (schema ``augur.analyze`` version 1,
        docs/OUTPUT.md: detector, mesh, 68 landmarks, pose, AUs, expression, reasoning), parsed. Raises
        AugurError."""
        import time
        t0 = time.perf_counter()
        faces, w, h = self._faces_of(image)
        seconds = time.perf_counter() - t0
        arr = (L.augur_face * max(1, len(faces)))(*faces)
        a = L.augur_analysis(os.fsencode(image) if _is_path(image) else b"", w, h,
                             ctypes.cast(arr, POINTER(L.augur_face)), len(faces), seconds)
        s = L.take_string(self._lib.augur_analysis_json(byref(a), 0))
        if s is None:
            raise AugurError("out of memory", 5)
        return json.loads(s)

    def _expand(self, inputs, recursive):
        """Input list -> [(name, path-or-array)]; folders and @lists through augur_list_images."""
        if _is_path(inputs) or isinstance(inputs, np.ndarray) and inputs.ndim in (2, 3) and inputs.dtype != object:
            inputs = [inputs]
        out = []
        n_arrays = 0
        for x in inputs:
            if _is_path(x):
                s = os.fsdecode(x)
                if os.path.isdir(s) or s.startswith("@"):
                    paths = POINTER(c_char_p)()
                    n = c_int(0)
                    rc = self._lib.augur_list_images(self._ctx, os.fsencode(s), 1 if recursive else 0,
                                                     byref(paths), byref(n))
                    if rc:
                        out.append((s, AugurError(self._errmsg(rc), rc)))
                        continue
                    try:
                        out.extend((os.fsdecode(paths[i]), os.fsdecode(paths[i])) for i in range(n.value))
                    finally:
                        self._lib.augur_paths_free(paths, n)
                else:
                    out.append((s, s))
            else:
                out.append((f"array[{n_arrays}]", x))
                n_arrays += 1
        return out

    def detect_image(self, inputs, recursive=False, errors="row"):
        """Analyses images: a path, a folder (its images sorted by name; ``recursive`` for subfolders), an
        ``@list.txt``, a numpy uint8 array (H x W x 3 RGB or H x W gray), or a list of any of these.

        Returns a :class:`Fex` (pandas DataFrame) with one row per face; an image without a face gets one
        row with ``success`` 0 and no ``face_id``. An input that cannot be read or analysed gets one row
        with ``success`` 0 and augur's message in ``error`` (``errors="raise"``: raise
        :class:`AugurError` instead), even when every input fails. ``frame`` is the input's position
        (from 1), ``timestamp`` 0.
        """
        if errors not in ("row", "raise"):
            raise ValueError("errors must be 'row' or 'raise'")
        self._live()
        records = []
        for pos, (name, item) in enumerate(self._expand(inputs, recursive), start=1):
            if isinstance(item, AugurError):
                faces, err = None, item
            else:
                try:
                    faces, w, h = self._faces_of(item)
                    err = None
                except AugurError as e:
                    faces, err = None, e
            if err is not None:
                if errors == "raise":
                    raise AugurError(f"{name}: {err.message}", err.code)
                row = _nan_row()
                row[_IX["timestamp"]] = 0.0
                row[_IX["confidence"]] = 0.0
                row[_IX["success"]] = 0
                records.append(_record(name, pos, None, None, row, error=err.message))
                continue
            if not faces:
                row = _nan_row()
                row[_IX["timestamp"]] = 0.0
                row[_IX["confidence"]] = 0.0
                row[_IX["success"]] = 0
                records.append(_record(name, pos, None, None, row, w, h, error=""))
            for f in faces:
                row = _nan_row()
                row[_IX["timestamp"]] = 0.0
                row[_IX["confidence"]] = f.mesh_score if f.has_mesh else f.det_score
                row[_IX["success"]] = 1 if f.success else 0
                row[_IX["detected"]] = 1 if f.det_score > 0 else 0
                row[_IX["per_person_neutral"]] = 0
                records.append(_record(name, pos, f.id, f, row, w, h, error=""))
        return _frame(records)

    # ---- video ----

    def detect_video(self, path, every=1, max_faces=4, smooth=True, baseline=True, redetect=30, start=0.0,
                     end=0.0, fps=0.0, fmt=None):
        """Analyses every ``every``-th frame of a video file, image sequence (``frames/%05d.png``, a folder,
        ``@list.txt``) or capture device, tracking up to ``max_faces`` faces with stable ids.

        Returns a :class:`Fex` with one row per tracked face per frame (``frame`` counted from 1 as
        OpenFace does, ``timestamp`` in seconds from the container; a frame without faces gets one row
        with ``success`` 0); ``.events`` holds the temporal analysis (AU events, micro-expressions,
        segments: schema ``augur.events``, docs/MICRO.md) and ``.timeline`` its readable form (None when
        not available). ``smooth``: One-Euro smoothing; ``baseline``: AUs against the person's own
        neutral (docs/VIDEO.md). ``start``/``end`` (seconds) cut a window; ``fps`` is the rate of image
        sequences. A video that cannot be opened raises :class:`AugurError`; one damaged part-way is
        analysed up to the damage, with an :class:`AugurWarning` and the message in
        ``source_info["error"]``.
        """
        self._live()
        if every < 1 or not (1 <= max_faces <= L.MAX_TRACKS):
            raise ValueError(f"every must be >= 1 and max_faces in 1..{L.MAX_TRACKS}")
        lib = self._lib
        vp = lib.augur_video_default_params()
        vp.start_s, vp.end_s = float(start or 0.0), float(end or 0.0)
        if fps:
            vp.fps = float(fps)
        fmt_b = fmt.encode() if fmt else None
        vp.format = fmt_b
        video = c_void_p()
        self._check(lib.augur_video_open(self._ctx, os.fsencode(path), byref(vp), byref(video)))
        stream = c_void_p()
        frame = L.augur_image()
        records = []
        info = {"input": os.fsdecode(path)}
        try:
            sp = lib.augur_stream_default_params()
            sp.max_faces, sp.redetect_every = int(max_faces), int(redetect)
            sp.smooth, sp.baseline = int(bool(smooth)), int(bool(baseline))
            self._check(lib.augur_stream_open(self._ctx, byref(sp), byref(stream)))
            tracks = (L.augur_track * L.MAX_TRACKS)()
            n = c_int(0)
            t = c_double(0.0)
            index = 0
            name = os.fsdecode(path)
            while True:
                rc = lib.augur_video_read(video, byref(frame), byref(t))
                if rc <= 0:
                    break
                idx = index
                index += 1
                if idx % every:
                    continue
                self._check(lib.augur_stream_push(stream, byref(frame), t.value, idx, tracks, byref(n)))
                if n.value == 0:
                    row = _nan_row()
                    row[_IX["timestamp"]] = t.value
                    row[_IX["confidence"]] = 0.0
                    row[_IX["success"]] = 0
                    records.append(_record(name, idx + 1, None, None, row, frame.w, frame.h, error=""))
                for k in range(n.value):
                    tr = tracks[k]
                    row = _nan_row()
                    row[_IX["timestamp"]] = t.value
                    row[_IX["confidence"]] = tr.confidence
                    row[_IX["success"]] = 1 if tr.success else 0
                    row[_IX["detected"]] = tr.detected
                    row[_IX["per_person_neutral"]] = tr.per_person_neutral
                    face = tr.face if tr.success else None
                    records.append(_record(name, idx + 1, tr.face_id, face, row, frame.w, frame.h, error=""))
            if rc < 0:
                msg = self._errmsg(-rc)
                if index == 0:
                    raise AugurError(msg, -rc)
                info["error"] = msg
                warnings.warn(f"{name}: {msg} (analysed up to there)", AugurWarning, stacklevel=2)
            vi = lib.augur_video_info(video)
            if vi:
                v = vi.contents
                info.update(width=v.width, height=v.height, fps=v.fps,
                            duration_s=v.duration_s if v.duration_s >= 0 else None,
                            frames_read=v.frames_read, format=L.cstr(v.format), codec=L.cstr(v.codec))
            self._check(lib.augur_stream_finish(stream))
            ev = L.take_string(lib.augur_stream_events_json(stream, 0))
            events = json.loads(ev) if ev else None
            timeline = self._timeline(stream)
            info["tracks"] = lib.augur_stream_tracks_started(stream)
        finally:
            lib.augur_image_free(byref(frame))
            if stream.value:
                lib.augur_stream_free(stream)
            lib.augur_video_close(video)
        df = _frame(records)
        df.events = events
        df.timeline = timeline
        df.source_info = info
        return df

    def _timeline(self, stream):
        """The stream's readable timeline (augur_stream_write_timeline writes to a FILE *: a temporary file)."""
        import tempfile
        libc = L.libc()
        fd, tmp = tempfile.mkstemp(prefix="augur-timeline-", suffix=".txt")
        os.close(fd)
        try:
            fp = libc.fopen(os.fsencode(tmp), b"w")
            if not fp:
                return None
            rc = self._lib.augur_stream_write_timeline(stream, fp)
            if libc.fclose(fp) or rc:
                return None
            with open(tmp, encoding="utf-8", errors="replace") as f:
                return f.read()
        finally:
            os.unlink(tmp)

    # ---- reasoning ----

    def _largest_face(self, image):
        faces = [f for f in self._faces_of(image)[0] if f.n_aus]
        if not faces:
            raise AugurError(f"no face with AU readings in {_describe(image)}", None)
        return max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))

    def trace_face(self, face, fmt="tag"):
        """The grounded reasoning trace of one struct augur_face (``fmt`` ``"tag"`` or ``"text"``)."""
        if fmt not in L.TRACE_FORMATS:
            raise ValueError("fmt must be 'tag' or 'text'")
        out = c_void_p()
        self._check(self._lib.augur_trace(self._ctx, byref(face), L.TRACE_FORMATS[fmt], byref(out)))
        return L.take_string(out.value)

    def trace(self, image, fmt="tag"):
        """The reasoning trace of every face of an image, in face order (None for a face without AU
        readings)."""
        return [self.trace_face(f, fmt) if f.n_aus else None for f in self.faces(image)]

    def verify_face(self, face, rationale):
        """Scores a rationale (TAG text or JSON) against one face: the verdict as a dict."""
        if isinstance(rationale, str):
            rationale = rationale.encode("utf-8", "surrogateescape")
        v = L.augur_verdict()
        self._check(self._lib.augur_verify(self._ctx, byref(face), rationale, len(rationale), byref(v)))
        s = L.take_string(self._lib.augur_verdict_json(byref(v), None, None))
        if s is None:
            raise AugurError("out of memory", 5)
        d = json.loads(s)
        d["grounding"] = round(float(d["grounding"]), 4)
        for c in d.get("claims", []):
            for k in ("probability", "iou", "score"):
                if c.get(k) is not None:
                    c[k] = round(float(c[k]), 4)
        d.setdefault("answer_agrees_with_evidence", False)
        d["face_box"] = [round(float(x), 2) for x in face.box]
        return d

    def verify(self, image, rationale):
        """Scores a rationale against the largest face of an image (see :func:`augur.verify`)."""
        return self.verify_face(self._largest_face(image), rationale)


def imread(path):
    """Decodes an image file (PNG, JPEG with its EXIF orientation, TIFF, WebP, BMP, PGM/PPM…) with augur's
    decoder: an H x W x 3 uint8 RGB array, as detect_image sees it. Raises AugurError."""
    lib = L.lib()
    ctx = c_void_p()
    p = lib.augur_default_params()
    try:
        rc = lib.augur_init(byref(ctx), byref(p))        # loads no model
        img = L.augur_image()
        if not rc:
            rc = lib.augur_image_load(ctx, os.fsencode(path), byref(img))
        if rc:
            msg = L.cstr(lib.augur_errmsg(ctx)) or L.cstr(lib.augur_strerror(rc))
            raise AugurError(msg, rc)
        try:
            n = img.w * img.h * 3
            return np.ctypeslib.as_array(img.rgb, shape=(n,)).copy().reshape(img.h, img.w, 3)
        finally:
            lib.augur_image_free(byref(img))
    finally:
        lib.augur_free(ctx)


class AugurWarning(UserWarning):
    """A problem augur worked around (a video damaged part-way)."""


def _describe(image):
    if _is_path(image):
        return os.fsdecode(image)
    a = np.asarray(image)
    return f"the {a.shape} array"
