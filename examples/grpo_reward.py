"""augur's AU-grounding reward for GRPO-style trainers, through `augur serve`.

    from grpo_reward import augur_grounding_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[augur_grounding_reward, ...],
                          train_dataset=ds, ...)   # ds has an "image" (or "images") column

Each completion (a string, or TRL's conversational form [{"role": "assistant",
"content": ...}]) is scored by `augur verify`'s grounding score on the
largest face of its prompt's image: the mean over the completion's AU claims
of "augur measures that AU as present (and the cited <bbox> overlaps augur's
region)"; 0.0 for a completion that claims nothing or cannot be read
(docs/REASONING.md). Only the standard library is used.

Environment: AUGUR_URL (default http://127.0.0.1:8080), AUGUR_TOKEN (bearer
token, when the server has one), AUGUR_REWARD_TIMEOUT (seconds, default 120).
Each distinct image is sent and analysed once per call (one request per image,
sent concurrently so that every server worker is used). A server error raises
(a silent 0.0 would train the model on a broken reward); 503 (queue full) is
retried after the server's Retry-After.
"""
import base64
import hashlib
import io
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

AUGUR_URL = os.environ.get("AUGUR_URL", "http://127.0.0.1:8080").rstrip("/")
AUGUR_TOKEN = os.environ.get("AUGUR_TOKEN")
TIMEOUT = float(os.environ.get("AUGUR_REWARD_TIMEOUT", "120"))


def _image_key_and_bytes(img):
    """(a key identifying the image, a function returning its encoded bytes)."""
    if isinstance(img, (list, tuple)):          # an "images" column: one list of images per prompt
        if not img:
            raise ValueError("augur_grounding_reward: a prompt without an image")
        return _image_key_and_bytes(img[0])
    if isinstance(img, (bytes, bytearray)):     # encoded image bytes
        data = bytes(img)
        return hashlib.sha1(data).digest(), lambda: data
    if isinstance(img, (str, os.PathLike)):     # a file path
        path = os.fspath(img)
        return ("path", path), lambda: open(path, "rb").read()
    if isinstance(img, dict):                   # a datasets Image feature left undecoded
        if img.get("bytes"):
            return _image_key_and_bytes(img["bytes"])
        return _image_key_and_bytes(img["path"])
    if hasattr(img, "tobytes") and hasattr(img, "save"):   # a PIL image
        key = (img.mode, img.size, hashlib.sha1(img.tobytes()).digest())

        def png():
            buf = io.BytesIO()
            img.convert("RGB").save(buf, format="PNG")
            return buf.getvalue()
        return key, png
    raise TypeError(f"augur_grounding_reward: cannot send an image of type {type(img).__name__}")


def _post(path, payload):
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if AUGUR_TOKEN:
        headers["Authorization"] = "Bearer " + AUGUR_TOKEN
    for attempt in range(10):
        req = urllib.request.Request(AUGUR_URL + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            if e.code == 503 and attempt < 9:
                time.sleep(float(e.headers.get("Retry-After", "1")))
                continue
            detail = e.read().decode("utf-8", "replace").strip()
            raise RuntimeError(f"augur serve {path}: HTTP {e.code}: {detail}") from None


def augur_grounding_reward(prompts=None, completions=None, image=None, images=None, **kwargs):
    """TRL reward function: one float in [0, 1] per completion."""
    if completions is None:
        raise ValueError("augur_grounding_reward: no completions")
    if len(completions) == 0:
        return []
    imgs = image if image is not None else images
    if imgs is None:
        raise ValueError("augur_grounding_reward needs the dataset's 'image' (or 'images') column")
    if len(imgs) != len(completions):
        raise ValueError(f"augur_grounding_reward: {len(imgs)} images for {len(completions)} completions")
    groups = {}                                  # image key -> (bytes getter, [completion indices])
    for i, im in enumerate(imgs):
        key, data = _image_key_and_bytes(im)
        groups.setdefault(key, (data, []))[1].append(i)

    def score(group):
        data, idx = group
        out = _post("/v1/reward", {"image_b64": base64.b64encode(data()).decode("ascii"),
                                   "completions": [completions[i] for i in idx]})
        return idx, out["rewards"]

    rewards = [0.0] * len(completions)
    with ThreadPoolExecutor(max_workers=min(8, len(groups))) as pool:
        for idx, rs in pool.map(score, groups.values()):
            for i, r in zip(idx, rs):
                rewards[i] = float(r)
    return rewards
