"""Loading libaugur and mirroring its public structs (include/augur.h) with ctypes.

The library is searched, in order:

1. ``$AUGUR_LIB`` (a file path, e.g. ``build/libaugur.so``);
2. the build tree of the source checkout this package lives in
   (``<repo>/build/libaugur.so``: the package used from ``python/`` or an editable install);
3. the system loader (``ctypes.util.find_library("augur")``, then ``libaugur.so.0``),
   which finds what ``make install`` installed.

At load every mirrored struct's ``ctypes.sizeof`` is checked against the
library's ``augur_struct_size``: a mismatch (a package and a library from
different versions) raises :class:`AugurError` instead of corrupting memory.
"""

import ctypes
import ctypes.util
import os
import threading
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int, c_longlong, c_size_t,
                    c_ubyte, c_void_p)
from pathlib import Path

# ---- constants of augur.h ----------------------------------------------------

AUGUR_OK = 0
ERROR_NAMES = {
    1: "AUGUR_EIO", 2: "AUGUR_EFORMAT", 3: "AUGUR_EUNSUPPORTED", 4: "AUGUR_ELIMIT",
    5: "AUGUR_ENOMEM", 6: "AUGUR_EARG", 7: "AUGUR_EBACKEND", 8: "AUGUR_EINTERNAL",
}
AUGUR_EARG = 6

MESH_POINTS = 468
EXPR_COUNT = 8
AU_COUNT = 22
LM68_POINTS = 68
BLENDSHAPES = 52
MAX_FACES = 64
CAM_SIDE = 6
MAX_CLAIMS = 64
MAX_TRACKS = 16

DETECTORS = {"auto": 0, "short": 1, "full": 2, "tiled": 3}
CROPS = {"auto": 0, "never": 1, "always": 2}
BACKENDS = {"fast": 0, "reference": 1}
TRACE_FORMATS = {"tag": 0, "text": 1}
AU_SOURCE_NONE = 0


class AugurError(Exception):
    """An error reported by libaugur (or by the binding around it).

    ``message`` is augur's message (``augur_errmsg``), ``code`` the ``AUGUR_E*``
    code (``None`` for errors found by the Python side), ``code_name`` its name.
    """

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def code_name(self):
        return ERROR_NAMES.get(self.code) if self.code is not None else None


# ---- structs (same order and types as include/augur.h) ------------------------
# Enums are int on the platforms augur supports (GCC/Clang, values < 2^31).

class augur_params(Structure):
    _fields_ = [
        ("model_dir", c_char_p),
        ("n_threads", c_int),
        ("backend", c_int),
        ("detector", c_int),
        ("crop", c_int),
        ("expr_model", c_char_p),
        ("au_model", c_char_p),
        ("expr_flip", c_int),
        ("gaze", c_int),
        ("blendshapes", c_int),
    ]


class augur_au(Structure):
    _fields_ = [
        ("id", c_int),
        ("probability", c_float),
        ("present", c_int),
        ("intensity", c_float),
        ("box", c_float * 4),
        ("source", c_int),
        ("measure", c_int),
        ("measure_mm", c_float),
        ("level", c_float),
        ("measure_rest_mm", c_float),
        ("held_at_rest", c_int),
        ("unvalidated", c_int),
        ("evidence_term", c_float * 8),
    ]


class augur_face(Structure):
    _fields_ = [
        ("id", c_int),
        ("det_score", c_float),
        ("det_box", c_float * 4),
        ("det_kp", (c_float * 2) * 6),
        ("box", c_float * 4),
        ("has_mesh", c_int),
        ("mesh_score", c_float),
        ("mesh", (c_float * 3) * MESH_POINTS),
        ("lm68", (c_float * 2) * LM68_POINTS),
        ("pose_R", c_float * 3),
        ("pose_T", c_float * 3),
        ("align", c_float * 6),
        ("align_inv", c_float * 6),
        ("success", c_int),
        ("n_aus", c_int),
        ("aus", augur_au * AU_COUNT),
        ("has_expression", c_int),
        ("expression", c_float * EXPR_COUNT),
        ("expression_class", c_int),
        ("evidence", c_float * EXPR_COUNT),
        ("evidence_class", c_int),
        ("weakly_grounded", c_int),
        ("cam_cos", c_float),
        ("cam", c_float * (CAM_SIDE * CAM_SIDE)),
        ("lm68_3d", (c_float * 3) * LM68_POINTS),
        ("has_gaze", c_int),
        ("gaze", (c_float * 3) * 2),
        ("gaze_angle", c_float * 2),
        ("iris", (c_float * 3) * 2),
        ("eyeball", (c_float * 3) * 2),
        ("has_blendshapes", c_int),
        ("blendshapes", c_float * BLENDSHAPES),
        ("covered", c_int),
        ("cover_score", c_float * 2),
    ]


class augur_image(Structure):
    _fields_ = [
        ("w", c_int),
        ("h", c_int),
        ("rgb", POINTER(c_ubyte)),
    ]


class augur_analysis(Structure):
    _fields_ = [
        ("path", c_char_p),
        ("width", c_int),
        ("height", c_int),
        ("faces", POINTER(augur_face)),
        ("n_faces", c_int),
        ("seconds", c_double),
    ]


class augur_claim(Structure):
    _fields_ = [
        ("au", c_int),
        ("absent", c_int),
        ("has_box", c_int),
        ("box", c_float * 4),
        ("known", c_int),
        ("supported", c_int),
        ("probability", c_float),
        ("iou", c_float),
        ("score", c_float),
        ("reason", c_char * 160),
    ]


class augur_attribution(Structure):
    _fields_ = [
        ("au", c_int),
        ("cls", c_int),
        ("over", c_int),
        ("supported", c_int),
        ("term", c_float),
        ("term_over", c_float),
    ]


class augur_verdict(Structure):
    _fields_ = [
        ("claims", augur_claim * MAX_CLAIMS),
        ("n_claims", c_int),
        ("answer", c_int),
        ("answer_agrees", c_int),
        ("grounding", c_float),
        ("notes", c_char * 512),
        ("attributions", augur_attribution * MAX_CLAIMS),
        ("n_attributions", c_int),
        ("attribution", c_float),
    ]


class augur_video_params(Structure):
    _fields_ = [
        ("start_s", c_double),
        ("end_s", c_double),
        ("fps", c_double),
        ("device_w", c_int),
        ("device_h", c_int),
        ("format", c_char_p),
    ]


class augur_video_info(Structure):
    _fields_ = [
        ("width", c_int),
        ("height", c_int),
        ("fps", c_double),
        ("duration_s", c_double),
        ("n_frames", c_longlong),
        ("frames_read", c_longlong),
        ("format", c_char_p),
        ("codec", c_char_p),
        ("is_live", c_int),
    ]


class augur_stream_params(Structure):
    _fields_ = [
        ("max_faces", c_int),
        ("redetect_every", c_int),
        ("smooth", c_int),
        ("baseline", c_int),
    ]


class augur_track(Structure):
    _fields_ = [
        ("face_id", c_int),
        ("success", c_int),
        ("confidence", c_float),
        ("detected", c_int),
        ("per_person_neutral", c_int),
        ("t", c_double),
        ("index", c_longlong),
        ("face", augur_face),
    ]


STRUCTS = {cls.__name__: cls for cls in (
    augur_params, augur_au, augur_face, augur_image, augur_analysis, augur_claim, augur_verdict,
    augur_video_params, augur_video_info, augur_stream_params, augur_track)}

# ---- function prototypes --------------------------------------------------------

_ctx = c_void_p
_P = POINTER
_PROTOS = {
    # name: (restype, argtypes)
    "augur_version": (c_char_p, []),
    "augur_strerror": (c_char_p, [c_int]),
    "augur_struct_size": (c_size_t, [c_char_p]),
    "augur_default_params": (augur_params, []),
    "augur_init": (c_int, [_P(_ctx), _P(augur_params)]),
    "augur_free": (None, [_ctx]),
    "augur_errmsg": (c_char_p, [_ctx]),
    "augur_load": (c_int, [_ctx]),
    "augur_model_dir": (c_char_p, [_ctx]),
    "augur_au_model_path": (c_char_p, [_ctx]),
    "augur_expr_model_path": (c_char_p, [_ctx]),
    "augur_au_name": (c_char_p, [c_int]),
    "augur_au_muscle": (c_char_p, [c_int]),
    "augur_au_region": (c_char_p, [c_int]),
    "augur_expression_name": (c_char_p, [c_int]),
    "augur_measure_name": (c_char_p, [c_int]),
    "augur_measure_beyond_rest": (c_int, [_P(augur_au)]),
    "augur_au_covered": (c_int, [_P(augur_face), _P(augur_au)]),
    "augur_au_held_reason": (c_char_p, [_P(augur_au)]),
    "augur_analyze_file": (c_int, [_ctx, c_char_p, _P(_P(augur_face)), _P(c_int)]),
    "augur_analyze_rgb": (c_int, [_ctx, c_void_p, c_int, c_int, _P(_P(augur_face)), _P(c_int)]),
    "augur_analyze_image": (c_int, [_ctx, _P(augur_image), _P(_P(augur_face)), _P(c_int)]),
    "augur_faces_free": (None, [_P(augur_face)]),
    "augur_image_load": (c_int, [_ctx, c_char_p, _P(augur_image)]),
    "augur_image_decode": (c_int, [_ctx, c_void_p, c_size_t, _P(augur_image)]),
    "augur_image_free": (None, [_P(augur_image)]),
    "augur_list_images": (c_int, [_ctx, c_char_p, c_int, _P(_P(c_char_p)), _P(c_int)]),
    "augur_paths_free": (None, [_P(c_char_p), c_int]),
    "augur_analysis_json": (c_void_p, [_P(augur_analysis), c_int]),
    "augur_string_free": (None, [c_void_p]),
    "augur_trace": (c_int, [_ctx, _P(augur_face), c_int, _P(c_void_p)]),
    "augur_aulist": (c_int, [_ctx, _P(augur_face), c_int, _P(c_void_p)]),
    "augur_verify": (c_int, [_ctx, _P(augur_face), c_char_p, c_size_t, _P(augur_verdict)]),
    "augur_verdict_json": (c_void_p, [_P(augur_verdict), c_char_p, c_char_p]),
    "augur_video_default_params": (augur_video_params, []),
    "augur_video_open": (c_int, [_ctx, c_char_p, _P(augur_video_params), _P(c_void_p)]),
    "augur_video_read": (c_int, [c_void_p, _P(augur_image), _P(c_double)]),
    "augur_video_info": (_P(augur_video_info), [c_void_p]),
    "augur_video_close": (None, [c_void_p]),
    "augur_stream_default_params": (augur_stream_params, []),
    "augur_stream_open": (c_int, [_ctx, _P(augur_stream_params), _P(c_void_p)]),
    "augur_stream_push": (c_int, [c_void_p, _P(augur_image), c_double, c_longlong, _P(augur_track), _P(c_int)]),
    "augur_stream_finish": (c_int, [c_void_p]),
    "augur_stream_events_json": (c_void_p, [c_void_p, c_int]),
    "augur_stream_write_timeline": (c_int, [c_void_p, c_void_p]),
    "augur_stream_tracks_started": (c_int, [c_void_p]),
    "augur_stream_free": (None, [c_void_p]),
}


def _repo_build_candidates():
    """libaugur in the build tree of the checkout holding this file (python/augur/_lib.py)."""
    here = Path(__file__).resolve().parent          # .../python/augur
    repo = here.parent.parent                       # .../
    if not (repo / "include" / "augur.h").is_file():
        return []
    return [repo / "build" / "libaugur.so"]


def find_library():
    """The path (or loader name) of the libaugur this package will load, and where it came from."""
    env = os.environ.get("AUGUR_LIB")
    if env:
        return env, "$AUGUR_LIB"
    for p in _repo_build_candidates():
        if p.is_file():
            return str(p), "source tree build"
    name = ctypes.util.find_library("augur")
    if name:
        return name, "system loader"
    return "libaugur.so.0", "system loader"


def check_struct_sizes(lib, structs=None):
    """Raises AugurError unless every mirrored struct has the library's size."""
    structs = STRUCTS if structs is None else structs
    bad = []
    for name, cls in structs.items():
        want = lib.augur_struct_size(name.encode())
        have = ctypes.sizeof(cls)
        if want != have:
            bad.append(f"struct {name}: the library says {want} bytes, the package's mirror has {have}"
                       + (" (unknown to the library)" if want == 0 else ""))
    if bad:
        raise AugurError("the augur Python package does not match the libaugur it loaded ("
                         + getattr(lib, "_augur_path", "?") + "): " + "; ".join(bad)
                         + ". Install the package and the library from the same augur version, or point "
                           "AUGUR_LIB at the matching libaugur.so.")


def load(path=None):
    """Loads libaugur (found by find_library when path is None), declares the prototypes, checks the structs."""
    where = "argument"
    if path is None:
        path, where = find_library()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise AugurError(
            f"cannot load libaugur ({path}, from {where}): {e}. Build augur (make build), "
            "install it (make install), or set AUGUR_LIB to the path of libaugur.so") from None
    lib._augur_path = str(path)
    missing = []
    for name, (res, args) in _PROTOS.items():
        try:
            f = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        f.restype = res
        f.argtypes = args
    if missing:
        raise AugurError(f"the libaugur at {path} ({where}) lacks {', '.join(missing)}: it is older than this "
                         "Python package; install both from the same augur version")
    check_struct_sizes(lib)
    return lib


_lib = None
_lock = threading.Lock()


def lib():
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = load()
    return _lib


_libc = None


def libc():
    """The C library (fopen/fclose for the writers that take a FILE *)."""
    global _libc
    if _libc is None:
        c = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        c.fopen.restype = c_void_p
        c.fopen.argtypes = [c_char_p, c_char_p]
        c.fclose.restype = c_int
        c.fclose.argtypes = [c_void_p]
        _libc = c
    return _libc


def take_string(ptr):
    """A malloc'ed char * from libaugur as str (freed)."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib().augur_string_free(ptr)


def cstr(b):
    return b.decode("utf-8", "replace") if b is not None else None
