"""augur: facial Action Units, expressions and grounded reasoning from Python.

A ctypes binding over libaugur's public C API (include/augur.h)::

    import augur
    det = augur.Detector()
    fex = det.detect_image("photo.jpg")          # pandas DataFrame, OpenFace column names
    fex.aus, fex.emotions, fex.poses, fex.landmarks
    vid = det.detect_video("clip.mp4")           # one row per tracked face per frame; vid.events
    augur.verify("photo.jpg", "lip corner puller AU12 ... <answer> happiness </answer>")

See python/README.md.
"""

from ._lib import AugurError, find_library
from ._detector import COLUMNS, AugurWarning, Detector, Fex, imread
from ._reasoning import default_detector, reward_fn, trace, verify

__version__ = "0.1.0"

__all__ = ["AugurError", "AugurWarning", "COLUMNS", "Detector", "Fex", "default_detector", "find_library",
           "imread", "library_version", "reward_fn", "trace", "verify", "__version__"]


def library_version():
    """The version of the loaded libaugur ("0.1.0") and its path."""
    from . import _lib
    lib = _lib.lib()
    return _lib.cstr(lib.augur_version()), lib._augur_path
