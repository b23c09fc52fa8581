"""Grounded reasoning from Python: traces, the rationale verifier, and a reward function for RL trainers."""

import hashlib
import os
import threading
from collections import OrderedDict

import numpy as np

from ._detector import Detector, _is_path
from ._lib import AugurError

_default = None
_default_lock = threading.RLock()


def default_detector():
    """The Detector that verify/trace/reward_fn use when given none (created on first use, default options)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Detector()
        return _default


def _with(detector, fn):
    if detector is not None:
        return fn(detector)
    with _default_lock:           # one thread at a time on the shared context
        return fn(default_detector())


def verify(image, rationale, detector=None):
    """Scores a rationale's AU claims against augur's evidence on the largest face of ``image``.

    ``image`` is a path or a numpy uint8 array; ``rationale`` TAG-format text (``AU12`` mentions,
    ``<bbox>[x1,y1,x2,y2]</bbox>``, ``<answer> … </answer>``) or JSON (``{"answer": …, "claims":
    [{"au": 12, "box": […]}]}``), as ``augur verify`` reads them (docs/REASONING.md).

    Returns a dict: ``grounding`` (0..1, the mean claim score), ``answer`` (class name or None),
    ``answer_agrees_with_evidence``, ``claims`` (per claim: ``au``, ``claimed_present``, ``supported``,
    ``probability``, ``iou``, ``score``, ``reason``), ``notes`` and ``face_box``. Raises
    :class:`AugurError` when the image cannot be read or has no face with AU readings.
    """
    return _with(detector, lambda d: d.verify(image, rationale))


def trace(image, fmt="tag", detector=None):
    """The grounded reasoning trace of each face of ``image`` (path or array), in face order: TAG's format
    (``fmt="tag"``) or plain text (``"text"``); None for a face without AU readings."""
    return _with(detector, lambda d: d.trace(image, fmt))


def _completion_text(c):
    """A completion as text: a string, a chat message list ([{"role", "content"}…], the last assistant
    message; content as a string or a list of {"type": "text", "text"} parts) or a single message."""
    if isinstance(c, str):
        return c
    if isinstance(c, dict):
        c = [c]
    if isinstance(c, (list, tuple)):
        msgs = [m for m in c if isinstance(m, dict)]
        if not msgs:
            return None
        asst = [m for m in msgs if m.get("role") == "assistant"]
        content = (asst or msgs)[-1].get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, (list, tuple)):
            parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type", "text") == "text"]
            parts += [p for p in content if isinstance(p, str)]
            return "\n".join(x for x in parts if x)
    return None


def _image_item(img):
    """A dataset's image field as a path or an RGB array: a path, an array, a PIL image, or a list of them
    (the first)."""
    if isinstance(img, (list, tuple)) and img and not isinstance(img[0], (int, float)):
        img = img[0]
    if img is None or _is_path(img) or isinstance(img, np.ndarray):
        return img
    if hasattr(img, "convert"):                 # PIL.Image
        return np.asarray(img.convert("RGB"))
    if isinstance(img, dict):                   # datasets' {"path": ..., "bytes": ...}
        if img.get("path") and os.path.exists(img["path"]):
            return img["path"]
    return np.asarray(img)


def _key(item):
    if _is_path(item):
        p = os.fsdecode(item)
        try:
            st = os.stat(p)
            return ("path", p, st.st_mtime_ns, st.st_size)
        except OSError:
            return ("path", p)
    a = np.ascontiguousarray(item)
    return ("array", a.shape, str(a.dtype), hashlib.blake2b(a.tobytes(), digest_size=16).digest())


def reward_fn(detector=None, answer_weight=0.0, cache_size=256):
    """A reward function for GRPO-style trainers (TRL's ``GRPOTrainer(reward_funcs=[...])`` and the like).

    Returns ``reward(completions, images=None, **kw) -> list[float]``: for each completion (a string or a
    chat-format list of {"role", "content"} dicts) and its image (a path, a numpy array, a PIL image, or a
    list of them: the first; taken from ``images`` or else ``image`` in ``kw``), augur's grounding score
    of the completion's AU claims on the image's largest face, in [0, 1]. With ``answer_weight`` w > 0 the
    reward is (1 - w) · grounding + w · [the answer agrees with the AU evidence]. A completion that cannot
    be parsed or claims nothing, and an image without a readable face, score 0.0. Faces are analysed once
    per image (an LRU cache of ``cache_size`` images), as a trainer scores several completions per prompt.
    """
    if not 0.0 <= answer_weight <= 1.0:
        raise ValueError("answer_weight must be in [0, 1]")
    cache = OrderedDict()
    lock = threading.Lock()

    def face_of(d, item):
        k = _key(item)
        with lock:
            if k in cache:
                cache.move_to_end(k)
                return cache[k]
        try:
            f = d._largest_face(item)
        except AugurError:
            f = None
        with lock:
            cache[k] = f
            while len(cache) > cache_size:
                cache.popitem(last=False)
        return f

    def score(d, text, item):
        if text is None or item is None:
            return 0.0
        f = face_of(d, item)
        if f is None:
            return 0.0
        try:
            v = d.verify_face(f, text)
        except AugurError:
            return 0.0
        g = float(v.get("grounding") or 0.0)
        if answer_weight:
            g = (1.0 - answer_weight) * g + answer_weight * (1.0 if v.get("answer_agrees_with_evidence") else 0.0)
        return g

    def reward(completions, images=None, **kw):
        if images is None:
            images = kw.get("image")
        if images is None:
            raise ValueError("reward: no images (pass images=..., or a dataset column 'images' or 'image')")
        images = list(images)
        if len(images) != len(completions):
            raise ValueError(f"reward: {len(completions)} completions but {len(images)} images")

        def run(d):
            return [score(d, _completion_text(c), _image_item(im)) for c, im in zip(completions, images)]
        return _with(detector, run)

    reward.__name__ = "augur_grounding"
    return reward
