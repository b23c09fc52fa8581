#!/usr/bin/env python3
"""tests/test_serve.py — `augur serve` as a client meets it (docs/SERVE.md).

Starts the server on a free port (--port 0, the port read from its "listening
on" line), then: /healthz; the token (401); /v1/analyze on the astronaut (one
face, AU12 present; raw body, multipart and JSON); /v1/trace; /v1/verify with a
supported and an unsupported rationale (scores ordered); /v1/reward with two
completions, directly and through examples/grpo_reward.py; bad requests (413
by Content-Length and by a chunked body, 413 for a header claiming 100000x100000
pixels, 400 garbage, 400 bad JSON, 404, 405, 415); a full queue (503 with
Retry-After, --workers 1 --queue 1); /metrics; a second server with --timeout
0.1 (504); SIGTERM while a request is worked on and another waits (both
answered 200, exit 0, no new connections). Also: a non-loopback --host
without a token is refused, and a bad model fails at start.

usage: test_serve.py PATH/TO/augur        (exit 77: models not fetched)
"""
import atexit
import base64
import http.client
import importlib.util
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

AUGUR = sys.argv[1] if len(sys.argv) > 1 else "build/augur"
SRC = os.environ.get("AUGUR_SOURCE_DIR", ".")
MODELS = os.environ.get("AUGUR_MODELS", "")
if not MODELS or not os.path.isfile(os.path.join(MODELS, "facemesh.json")):
    print(f"skipped: no models in '{MODELS}'")
    sys.exit(77)

IMG_PATH = os.path.join(SRC, "examples", "astronaut.png")
IMG = open(IMG_PATH, "rb").read()
B64 = base64.b64encode(IMG).decode("ascii")
TOKEN = "test-token-1234"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402  (tests/checks.py)


SERVERS = []


@atexit.register
def _no_server_left():
    """A test that stops half-way (an exception) must not leave a server running."""
    for s in SERVERS:
        if s.p.poll() is None:
            s.p.kill()
            s.p.wait()


class Server:
    def __init__(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "AUGUR_TOKEN"}  # the token only where given
        self.p = subprocess.Popen([AUGUR, "serve", "--port", "0", *args], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, env=env)
        SERVERS.append(self)
        self.log = []
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.p.stderr:
                self.log.append(line.rstrip("\n"))
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()
        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(60) or self.port is None:
            raise RuntimeError("the server did not start:\n  " + "\n  ".join(self.log))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def request(url, path, body=None, ctype=None, token=TOKEN, method=None, headers=None):
    """(status, headers, body bytes)"""
    h = dict(headers or {})
    if ctype:
        h["Content-Type"] = ctype
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url + path, data=body, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jbody(b):
    try:
        return json.loads(b)
    except ValueError:
        return None


def post_json(url, path, obj, **kw):
    return request(url, path, json.dumps(obj).encode(), "application/json", **kw)


def multipart(fields):
    """fields: [(name, filename or None, bytes)] -> (body, content type)"""
    boundary = "augurtestboundary7d3e1f"
    out = b""
    for name, filename, data in fields:
        out += f"--{boundary}\r\n".encode()
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"Content-Disposition: {disp}\r\n\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def metric(text, name, labels=""):
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def slow_reward_body(n):
    """A reward request that analyses n images: the same picture in n base64
    spellings (line breaks in different places), each analysed on its own."""
    imgs = [B64[:1000 * (k + 1)] + "\n" + B64[1000 * (k + 1):] for k in range(n)]
    return {"images_b64": imgs, "completions": ["AU12 AU6 <answer> happiness </answer>"] * n}


def wait_metric(url, name, want, timeout=10):
    t_end = time.time() + timeout
    while time.time() < t_end:
        _, _, b = request(url, "/metrics")
        v = metric(b.decode(), name)
        if v is not None and v >= want:
            return True
        time.sleep(0.01)
    return False


# ---- refused configurations: before any model loads ------------------------------------------
r = subprocess.run([AUGUR, "serve", "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=30,
                   env={k: v for k, v in os.environ.items() if k != "AUGUR_TOKEN"})
check(r.returncode == 2 and "without a token" in r.stderr, "0.0.0.0 without a token is refused",
      f"exit {r.returncode}: {r.stderr.strip()}")
r = subprocess.run([AUGUR, "serve", "--port", "0", "--au-model", "/nonexistent/au.json"], capture_output=True,
                   text=True, timeout=60)
check(r.returncode == 1 and "au.json" in r.stderr, "a missing model fails at start", f"exit {r.returncode}: {r.stderr.strip()}")
r = subprocess.run([AUGUR, "serve", "--workers", "0"], capture_output=True, text=True, timeout=30)
check(r.returncode == 2, "--workers 0 is a usage error")

# ---- the main server: one worker, a queue of one, a token -----------------------------------------
t0 = time.time()
srv = Server("--workers", "1", "--queue", "1", "--token", TOKEN)
U = srv.url

st, _, b = request(U, "/healthz", token=None)
check(st == 200 and (jbody(b) or {}).get("status") == "ok", "/healthz without a token", f"{st} {b[:200]!r}")
st, _, b = request(U, "/", token=None)
check(st == 401, "GET / without the token is 401", st)
st, _, b = request(U, "/")
check(st == 200 and b"/v1/reward" in b, "GET / lists the endpoints", st)

# the token
st, h, b = request(U, "/v1/analyze", IMG, "image/png", token=None)
check(st == 401 and "error" in (jbody(b) or {}) and "Bearer" in (h.get("WWW-Authenticate") or ""), "no token: 401",
      f"{st} {b[:200]!r}")
st, _, b = request(U, "/v1/analyze", IMG, "image/png", token="wrong-token-1234")
check(st == 401, "wrong token: 401", st)

# /v1/analyze: raw body, multipart, JSON
st, _, b = request(U, "/v1/analyze", IMG, "image/png")
d = jbody(b) or {}
faces = d.get("faces", [])
check(st == 200 and d.get("schema") == "augur.analyze" and len(faces) == 1, "analyze: one face", f"{st} {b[:200]!r}")
au12 = [a for a in (faces[0].get("aus", []) if faces else []) if a.get("au") == 12]
check(len(au12) == 1 and au12[0].get("present") is True, "analyze: AU12 present", au12)
cli = subprocess.run([AUGUR, "analyze", "--json", IMG_PATH], capture_output=True, text=True, timeout=60)
a, c = dict(d), jbody(cli.stdout) or {}
for x in (a, c):
    x.pop("seconds", None)
    x.pop("file", None)
check(a == c and a, "analyze: the same JSON as `augur analyze --json`")
body, ct = multipart([("image", "astronaut.png", IMG)])
st, _, b = request(U, "/v1/analyze", body, ct)
d = jbody(b) or {}
check(st == 200 and len(d.get("faces", [])) == 1 and d.get("file") == "astronaut.png", "analyze: multipart form",
      f"{st} {b[:200]!r}")
st, _, b = post_json(U, "/v1/analyze", {"image_b64": "data:image/png;base64," + B64})
check(st == 200 and len((jbody(b) or {}).get("faces", [])) == 1, "analyze: JSON image_b64 (data URL)", st)

# /v1/trace
st, _, b = request(U, "/v1/trace", IMG, "image/png")
d = jbody(b) or {}
tf = d.get("faces", [{}])
tag = tf[0].get("tag") or ""
check(st == 200 and len(tf) == 1 and "<answer>" in tag and "AU12" in tag and "<bbox>" in tag and tf[0].get("text"),
      "trace: TAG text and plain text", f"{st} {b[:300]!r}")

# /v1/verify: augur's own trace vs a hallucinated rationale
bad = "Brow lowerer AU4 <bbox>[180,60,270,90]</bbox>, lip corner depressor AU15. <answer> sadness </answer>"
st1, _, b1 = post_json(U, "/v1/verify", {"image_b64": B64, "rationale": tag})
body, ct = multipart([("image", "a.png", IMG), ("rationale", None, bad.encode())])
st2, _, b2 = request(U, "/v1/verify", body, ct)
g1, g2 = (jbody(b1) or {}).get("grounding"), (jbody(b2) or {}).get("grounding")
check(st1 == 200 and st2 == 200 and g1 is not None and g2 is not None and g1 > g2 and g1 >= 0.9 and g2 <= 0.1,
      "verify: supported > unsupported", f"{st1} {g1} / {st2} {g2}")
st, _, b = post_json(U, "/v1/verify", {"image_b64": B64, "rationale": {"answer": "happiness", "claims": [{"au": 12}]}})
check(st == 200 and (jbody(b) or {}).get("grounding") == 1, "verify: JSON claims", f"{st} {b[:200]!r}")
st, _, b = post_json(U, "/v1/verify", {"image_b64": B64})
check(st == 400, "verify without a rationale: 400", st)
st, _, b = post_json(U, "/v1/verify", {"image_b64": B64, "rationale": "AU12 " * 300000})
check(st == 413 and "error" in (jbody(b) or {}), "verify: a rationale over 1 MiB: 413", f"{st} {b[:200]!r}")

# /v1/reward
comps = [tag, bad]
st, _, b = post_json(U, "/v1/reward", {"image_b64": B64, "completions": comps})
rw = (jbody(b) or {}).get("rewards")
check(st == 200 and isinstance(rw, list) and len(rw) == 2 and rw[0] > rw[1], "reward: two completions, ordered",
      f"{st} {b[:200]!r}")
st, _, b = post_json(U, "/v1/reward", {"images_b64": [B64, B64, B64],
                                       "completions": [tag, 42, [{"role": "assistant", "content": tag}]]})
rw = (jbody(b) or {}).get("rewards")
check(st == 200 and rw and len(rw) == 3 and rw[1] == 0.0 and rw[0] == rw[2] and rw[0] > 0.9,
      "reward: per-completion images, unreadable = 0, chat messages", f"{st} {b[:200]!r}")
st, _, b = post_json(U, "/v1/reward", {"image_b64": B64, "images_b64": [B64], "completions": ["x"]})
check(st == 400, "reward: image_b64 and images_b64 together: 400", st)
st, _, b = request(U, "/v1/reward", IMG, "image/png")
check(st == 415, "reward: not JSON: 415", st)

# the trainer's reward function, as docs/SERVE.md gives it
os.environ["AUGUR_URL"], os.environ["AUGUR_TOKEN"] = U, TOKEN
spec = importlib.util.spec_from_file_location("grpo_reward", os.path.join(SRC, "examples", "grpo_reward.py"))
grpo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grpo)
try:
    rw = grpo.augur_grounding_reward(prompts=["Which expression?"] * 4, completions=[tag, bad, "no claims", tag],
                                     image=[IMG_PATH, IMG_PATH, IMG, IMG])
    check(len(rw) == 4 and rw[0] == rw[3] and rw[0] > rw[1] and rw[2] == 0.0, "examples/grpo_reward.py", rw)
except Exception as e:  # noqa: BLE001
    check(False, "examples/grpo_reward.py", repr(e))

# bad requests
conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
conn.putrequest("POST", "/v1/analyze")
conn.putheader("Authorization", "Bearer " + TOKEN)
conn.putheader("Content-Length", str(50 * 1000 * 1000))
conn.endheaders()  # the body is never sent: the server answers from the header
resp = conn.getresponse()
check(resp.status == 413 and "error" in (jbody(resp.read()) or {}), "50 MB Content-Length: 413", resp.status)
conn.close()
conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
chunk = b"\0" * (1 << 20)
conn.request("POST", "/v1/analyze", body=iter([chunk] * 17), headers={"Authorization": "Bearer " + TOKEN},
             encode_chunked=True)
resp = conn.getresponse()
check(resp.status == 413, "17 MiB chunked body: 413", resp.status)
resp.read()
conn.close()
huge = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0) \
    + b"\0" * 100
st, _, b = request(U, "/v1/analyze", huge, "image/png")
check(st == 413 and b"100000x100000" in b, "an image claiming 100000x100000 pixels: 413", f"{st} {b[:200]!r}")
st, _, b = request(U, "/v1/analyze", os.urandom(5000), "application/octet-stream")
check(st == 400 and "error" in (jbody(b) or {}), "garbage body: 400 with a JSON error", f"{st} {b[:200]!r}")
st, _, b = request(U, "/v1/analyze", IMG[:len(IMG) // 3], "image/png")
check(st == 400, "truncated PNG: 400", f"{st} {b[:200]!r}")
st, _, b = request(U, "/v1/analyze", b"", "image/png")
check(st == 400, "empty body: 400", st)
st, _, b = request(U, "/v1/reward", b'{"completions": [', "application/json")
check(st == 400 and "JSON" in (jbody(b) or {}).get("error", ""), "bad JSON: 400", f"{st} {b[:200]!r}")
st, _, b = request(U, "/v1/nothing", b"x", "image/png")
check(st == 404, "unknown path: 404", st)
st, h, b = request(U, "/v1/analyze", method="GET")
check(st == 405 and "POST" in (h.get("Allow") or ""), "GET /v1/analyze: 405", st)
st, _, b = request(U, "/healthz", token=None)
check(st == 200, "still serving after the bad requests", st)

# a full queue: one request worked on, one waiting, the rest refused at once
results = []


def bg(path, obj=None, raw=None):
    def run():
        if raw is not None:
            results.append(request(U, path, raw, "image/png"))
        else:
            results.append(post_json(U, path, obj))
    t = threading.Thread(target=run)
    t.start()
    return t


slow = bg("/v1/reward", slow_reward_body(12))
check(wait_metric(U, "augur_in_flight", 1), "the slow request reaches the worker")
waiting = bg("/v1/analyze", raw=IMG)
check(wait_metric(U, "augur_queue_depth", 1), "the next request waits in the queue")
refused = [request(U, "/v1/analyze", IMG, "image/png") for _ in range(2)]
check(all(s == 503 and h.get("Retry-After") for s, h, _ in refused), "queue full: 503 with Retry-After",
      [s for s, _, _ in refused])
slow.join()
waiting.join()
check(sorted(s for s, _, _ in results) == [200, 200], "the running and the queued request are answered",
      [(s, b[:100]) for s, _, b in results])

# /metrics
st, h, b = request(U, "/metrics")
m = b.decode()
check(st == 200 and "text/plain" in (h.get("Content-Type") or ""), "/metrics is text", st)
n_ok = metric(m, "augur_requests_total", '{endpoint="/v1/analyze",code="200"}')
check(n_ok is not None and n_ok >= 4, "/metrics: analyze 200 counted", n_ok)
check(metric(m, "augur_requests_total", '{endpoint="/v1/analyze",code="401"}') == 2, "/metrics: 401 counted")
check(metric(m, "augur_requests_total", '{endpoint="/v1/analyze",code="503"}') == 2, "/metrics: 503 counted")
check((metric(m, "augur_rejected_total", '{reason="queue_full"}') or 0) >= 2, "/metrics: rejected queue_full")
check((metric(m, "augur_rejected_total", '{reason="too_large"}') or 0) >= 2, "/metrics: rejected too_large")
check(metric(m, "augur_request_duration_seconds_count", '{endpoint="/v1/verify"}') is not None
      and metric(m, "augur_request_duration_seconds_bucket", '{endpoint="/v1/reward",le="+Inf"}') is not None,
      "/metrics: latency histogram")
check(metric(m, "augur_queue_depth") == 0 and metric(m, "augur_in_flight") == 0, "/metrics: queue and in-flight gauges")

# SIGTERM while one request is worked on and one waits: both answered, then exit 0
results.clear()
slow = bg("/v1/reward", slow_reward_body(12))
wait_metric(U, "augur_in_flight", 1)
waiting = bg("/v1/analyze", raw=IMG)
wait_metric(U, "augur_queue_depth", 1)
srv.p.send_signal(signal.SIGTERM)
slow.join()
waiting.join()
try:
    rc = srv.p.wait(30)
except subprocess.TimeoutExpired:
    rc = srv.stop()
check(sorted(s for s, _, _ in results) == [200, 200], "SIGTERM: the requests in progress are answered",
      [(s, b[:100]) for s, _, b in results])
check(rc == 0, "SIGTERM: exit 0", f"exit {rc}; log: {srv.log[-3:]}")
try:
    urllib.request.urlopen(U + "/healthz", timeout=5)
    check(False, "no connections after the stop")
except (urllib.error.URLError, ConnectionError):
    check(True, "no connections after the stop")

# ---- timeouts: 504 for the request over --timeout and for the one that waited behind it ----------
# the timeout is sized from one analysis on this build and machine (a sanitizer build is ~10x
# slower): one image fits in it, the 12-image reward does not
probe = Server("--workers", "1")
one = 1e9
for _ in range(2):  # the faster of two: the first may carry one-time costs
    t1 = time.time()
    request(probe.url, "/v1/analyze", IMG, "image/png", token=None)
    one = min(one, time.time() - t1)
check(probe.stop() == 0, "probe server: exit 0")
tmo = max(0.1, 3 * one)
srv = Server("--workers", "1", "--queue", "4", "--timeout", f"{tmo:.2f}")
U = srv.url
results.clear()
slow = bg("/v1/reward", slow_reward_body(12))
wait_metric(U, "augur_in_flight", 1)
queued = bg("/v1/reward", slow_reward_body(12))
slow.join()
queued.join()
codes = sorted(s for s, _, _ in results)
check(codes == [504, 504] and all("error" in (jbody(b) or {}) for _, _, b in results), "--timeout: 504 with an error",
      [(s, b[:100]) for s, _, b in results])
# the worker stops the timed-out reward between images, then serves again (on a busy machine a
# request may itself need more than the timeout: a few tries)
for _ in range(20):
    time.sleep(0.3)
    st, _, b = request(U, "/v1/analyze", IMG, "image/png", token=None)
    if st == 200:
        break
check(st == 200, "serves again after the timeouts", st)
check(srv.stop() == 0, "second server: exit 0")

finish("serve: ", f" ({time.time() - t0:.1f} s)")
