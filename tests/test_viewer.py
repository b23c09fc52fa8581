#!/usr/bin/env python3
"""tests/test_viewer.py — the viewer page of `augur serve` (GET /, serve/viewer.html)
in headless Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: no websocket library, Python's standard library only).

Starts `augur serve --token T` on a free loopback port, then:
  * GET / with Accept: text/html needs no token and is the page (with its
    Content-Security-Policy); GET / for a program still needs the token;
  * loads the page, gives examples/astronaut.png to its file input; the server
    answers 401, the page asks for the token, the test types it in;
  * the page then shows happiness, the AU12 row (present), the TAG trace with
    <bbox> and <answer> happiness, the consistency verdict, the overlay drawn
    on the canvas (coloured AU boxes: pixels that are not the image's);
  * "use augur's trace" + score: grounding 1.00; a half-hallucinated rationale
    (AU12 with its box, AU4): grounding 0.50;
  * no JavaScript exception and no console error (a CSP violation would be one);
  * saves a screenshot of the whole page (argument 2, default build/viewer.png);
  * the webcam button with Chromium's fake camera: a frame is captured and
    analysed (a test pattern: no face).

usage: test_viewer.py PATH/TO/augur [SCREENSHOT.png]
exit 77 (skipped) when Chromium is not installed (apt-get install chromium, or
`scripts/deps.sh scripts/debian-packages-viewer.txt`) or the models are absent.
"""
import atexit
import base64
import fcntl
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

AUGUR = sys.argv[1] if len(sys.argv) > 1 else "build/augur"
SHOT = sys.argv[2] if len(sys.argv) > 2 else "build/viewer.png"
SRC = os.environ.get("AUGUR_SOURCE_DIR", ".")
MODELS = os.environ.get("AUGUR_MODELS", "")
IMG_PATH = os.path.abspath(os.path.join(SRC, "examples", "astronaut.png"))
TOKEN = "viewer-test-token-5678"

chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") \
    or shutil.which("google-chrome")
if not chromium:
    print("skipped: Chromium is not installed (Debian: apt-get install chromium, or "
          "bash scripts/deps.sh scripts/debian-packages-viewer.txt)")
    sys.exit(77)
if not MODELS or not os.path.isfile(os.path.join(MODELS, "facemesh.json")):
    print(f"skipped: no models in '{MODELS}'")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402  (tests/checks.py)


PROCS = []


@atexit.register
def _cleanup():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()


# ---- the server ---------------------------------------------------------------------------------
env = {k: v for k, v in os.environ.items() if k != "AUGUR_TOKEN"}
srv = subprocess.Popen([AUGUR, "serve", "--port", "0", "--workers", "1", "--token", TOKEN],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
PROCS.append(srv)
port = None
log = []
ready = threading.Event()


def read_server():
    global port
    for line in srv.stderr:
        log.append(line.rstrip("\n"))
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            ready.set()
    ready.set()


threading.Thread(target=read_server, daemon=True).start()
if not ready.wait(60) or port is None:
    print("FAIL: the server did not start:\n  " + "\n  ".join(log))
    sys.exit(1)
URL = f"http://127.0.0.1:{port}"


def get(path, headers):
    req = urllib.request.Request(URL + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


st, h, b = get("/", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
check(st == 200 and (h.get("Content-Type") or "").startswith("text/html") and b"<canvas" in b,
      "GET / for a browser: the page, without a token", f"{st} {h.get('Content-Type')}")
csp = h.get("Content-Security-Policy") or ""
check("default-src 'none'" in csp and "connect-src 'self'" in csp, "the page has a restrictive CSP", csp)
check(not re.search(rb"""(src|href)=["']https?:""", b), "the page loads nothing from elsewhere")
st, _, b = get("/", {})
check(st == 401, "GET / for a program still needs the token", st)
st, _, b = get("/", {"Authorization": "Bearer " + TOKEN})
check(st == 200 and b"/v1/reward" in b, "GET / with the token: the text list", st)


# ---- Chromium over the DevTools pipe ---------------------------------------------------------------
class Browser:
    """Chromium with --remote-debugging-pipe: it reads commands on fd 3 and
    writes answers and events on fd 4, each a JSON message ended by NUL."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="augur-viewer-")
        to_r, to_w = os.pipe()      # we write, Chromium reads (its fd 3)
        from_r, from_w = os.pipe()  # Chromium writes (its fd 4), we read
        # the child's ends, away from 3 and 4 (close-on-exec: only the copies on 3 and 4 reach Chromium)
        hi_r = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_r)
        os.close(from_w)
        to_r, from_w = hi_r, hi_w

        def child_fds():  # in the child, before exec: inheritable copies on 3 and 4
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile, "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--disable-component-update", "--mute-audio", "--hide-scrollbars",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                "--window-size=1360,1000", "about:blank"]
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, close_fds=False, preexec_fn=child_fds)
        PROCS.append(self.p)
        os.close(to_r)
        os.close(from_w)
        self.w = os.fdopen(to_w, "wb", buffering=0)
        self.r = os.fdopen(from_r, "rb", buffering=0)
        self.q = queue.Queue()
        self.events = []
        self.next_id = 0
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._stderr, daemon=True).start()

    def _stderr(self):
        for line in self.p.stderr:
            self.err.append(line.decode("utf-8", "replace").rstrip())

    def _read(self):
        buf = b""
        while True:
            chunk = self.r.read(65536)
            if not chunk:
                self.q.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.q.put(json.loads(msg))

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        mid = self.next_id
        m = {"id": mid, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        self.w.write(json.dumps(m).encode() + b"\0")
        t_end = time.time() + timeout
        while time.time() < t_end:
            try:
                msg = self.q.get(timeout=max(0.01, t_end - time.time()))
            except queue.Empty:
                break
            if msg is None:
                raise RuntimeError("Chromium closed the pipe:\n  " + "\n  ".join(self.err[-20:]))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise RuntimeError(f"{method}: no answer in {timeout} s")

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


t0 = time.time()
br = Browser()
ver = br.send("Browser.getVersion")
print(f"browser: {ver.get('product')}")
targets = br.send("Target.getTargets")["targetInfos"]
page = next((t for t in targets if t["type"] == "page"), None)
tid = page["targetId"] if page else br.send("Target.createTarget", {"url": "about:blank"})["targetId"]
S = br.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
for dom in ("Page.enable", "Runtime.enable", "Log.enable"):
    br.send(dom, session=S)
br.send("Emulation.setDeviceMetricsOverride", {"width": 1360, "height": 1000, "deviceScaleFactor": 1,
                                               "mobile": False}, session=S)


def js(expr, timeout=30):
    r = br.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True},
                session=S, timeout=timeout)
    if "exceptionDetails" in r:
        raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
    return r["result"].get("value")


def wait_state(states, timeout=60):
    t_end = time.time() + timeout
    s = None
    while time.time() < t_end:
        s = js("document.body.dataset.state")
        if s in states:
            return s
        time.sleep(0.1)
    return s


def text(sel):
    return js(f"(document.querySelector({json.dumps(sel)}) || {{}}).innerText || ''")


br.send("Page.navigate", {"url": URL + "/"}, session=S)
t_end = time.time() + 30
while time.time() < t_end and js("document.readyState") != "complete":
    time.sleep(0.05)
check(js("document.title").startswith("augur"), "the page loads", js("document.title"))

# the image into the file input: the server wants a token, the page asks for it
root = br.send("DOM.getDocument", session=S)["root"]["nodeId"]
node = br.send("DOM.querySelector", {"nodeId": root, "selector": "#file"}, session=S)["nodeId"]
br.send("DOM.setFileInputFiles", {"files": [IMG_PATH], "nodeId": node}, session=S)
s = wait_state({"token", "done", "error"})
check(s == "token", "without a token the page asks for one", f"state {s}, status {text('#status')!r}")
check(js("getComputedStyle(document.getElementById('token-panel')).display") != "none", "the token panel shows")
js(f"document.getElementById('token').value = {json.dumps(TOKEN)}; document.getElementById('token-save').click(); 1")
s = wait_state({"done", "error", "token"})
check(s == "done", "with the token the image is analysed", f"state {s}, status {text('#status')!r}")

expr = text("#expression")
check("happiness" in expr, "the page shows happiness", expr)
aus = text("#aus")
check("AU12" in aus and "lip corner puller" in aus, "the AU table lists AU12", aus[:300])
au12_present = js("(() => { const r = document.querySelector('#aus tr[data-au=\"12\"]'); "
                  "return !!r && !r.classList.contains('absent'); })()")
check(au12_present, "AU12 is shown present")
trace = text("#trace")
check("<bbox>[" in trace and "<answer> happiness </answer>" in trace and "AU12" in trace,
      "the trace shows <bbox> steps citing AU12 and the answer", trace[:400])
cons = text("#consistency")
check("consistent" in cons, "the consistency verdict shows", cons)
check("1 face" in text("#status"), "the status says one face", text("#status"))
# the overlay: coloured AU boxes drawn over the image (pixels the image does not have there)
drawn = js("""(() => {
  const c = document.getElementById('canvas'), g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;  // the AU colours: saturated yellow..red, and the landmark green
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i], gg = d[i + 1], b = d[i + 2];
    if ((r > 200 && b < 90 && gg > 60) || (gg > 200 && r < 90 && b > 110 && b < 170)) n++;
  }
  return [c.width, c.height, n];
})()""")
check(drawn[0] >= 700 and drawn[2] > 500, "the canvas shows the image with the overlay", drawn)
check("512×512" in text("#status"), "the status gives the image size", text("#status"))

# score augur's own trace, then a half-hallucinated rationale
js("document.getElementById('use-trace').click(); document.getElementById('verify').click(); 1")
s = wait_state({"verified", "error"})
g = text("#grounding")
check(s == "verified" and "1.00" in g, "augur's own trace scores 1.00", f"{s} {g!r} {text('#status')!r}")
half = "Inspect mouth region -> lip corner puller (AU12) -> <bbox>[195,135,253,153]</bbox>\n" \
       "Inspect brow region -> brow lowerer (AU4) -> <bbox>[180,80,270,100]</bbox>\n<answer> happiness </answer>"
js(f"document.body.dataset.state = 'done'; document.getElementById('rationale').value = {json.dumps(half)}; "
   "document.getElementById('verify').click(); 1")
s = wait_state({"verified", "error"})
g = text("#grounding")
claims = text("#claims")
check(s == "verified" and "0.50" in g and "AU4" in claims, "AU12 + a made-up AU4 scores 0.50", f"{g!r} {claims[:300]!r}")

# no JavaScript exception, no console error (a CSP violation is one)
problems = [e for e in br.events if e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"
                and "status of 401" not in e["params"]["entry"].get("text", ""))  # the token flow's 401
            or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")]
check(not problems, "no JavaScript error or console error", json.dumps(problems)[:600])

# a screenshot of the whole page
m = br.send("Page.getLayoutMetrics", session=S)
h = int(m.get("cssContentSize", m.get("contentSize"))["height"])
br.send("Emulation.setDeviceMetricsOverride", {"width": 1360, "height": min(max(h, 600), 4000),
                                               "deviceScaleFactor": 1, "mobile": False}, session=S)
time.sleep(0.3)
png = base64.b64decode(br.send("Page.captureScreenshot", {"format": "png"}, session=S)["data"])
os.makedirs(os.path.dirname(os.path.abspath(SHOT)), exist_ok=True)
with open(SHOT, "wb") as f:
    f.write(png)
check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000, "a screenshot was taken", len(png))
print(f"screenshot: {SHOT} ({len(png)} bytes)")

# the webcam (Chromium's fake camera: a test pattern, no face): capture a frame, analyse it
js("document.body.dataset.state = 'idle'; document.getElementById('webcam').click(); 1")
t_end = time.time() + 20
while time.time() < t_end and not js("document.getElementById('video').videoWidth"):
    time.sleep(0.1)
js("document.getElementById('capture').click(); 1")
s = wait_state({"done", "error"})
check(s == "done" and "webcam.jpg" in text("#status") and "no face" in text("#status"),
      "the webcam: a captured frame is analysed", f"{s} {text('#status')!r}")
br.close()

srv.send_signal(signal.SIGTERM)
try:
    rc = srv.wait(30)
except subprocess.TimeoutExpired:
    rc = None
check(rc == 0, "the server stops cleanly", rc)

finish("", f" ({time.time() - t0:.1f} s in the browser)")
