#!/usr/bin/env python3
"""bench/serve_load.py — load on a running `augur serve` (docs/SERVE.md).

    bench/serve_load.py --url http://127.0.0.1:8080 --image examples/astronaut.png \
        --concurrency 4 --duration 30 [--endpoint /v1/analyze] [--token T]

C client threads, each on its own keep-alive connection, POST the image (raw
body) to the endpoint again and again for D seconds, after a 2 s warm-up that
is not counted. Prints requests per second, latency p50/p95/p99 (client side:
request sent to answer read) and the count of failed requests (any status but
200, or a connection error). Standard library only.
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--image", default="examples/astronaut.png")
    ap.add_argument("--endpoint", default="/v1/analyze")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--token")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    body = open(a.image, "rb").read()
    headers = {"Content-Type": "application/octet-stream"}
    if a.token:
        headers["Authorization"] = "Bearer " + a.token
    t_start = time.monotonic()
    t_count = t_start + a.warmup
    t_end = t_count + a.duration
    lat, fails, lock = [], [0], threading.Lock()

    def client():
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            ok = False
            try:
                conn.request("POST", a.endpoint, body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)
            t1 = time.monotonic()
            if t0 >= t_count and t1 <= t_end:
                with lock:
                    if ok:
                        lat.append(t1 - t0)
                    else:
                        fails[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1e3 if lat else float("nan")
    print(json.dumps({"endpoint": a.endpoint, "concurrency": a.concurrency, "seconds": a.duration,
                      "requests": len(lat), "failed": fails[0], "rps": round(len(lat) / a.duration, 2),
                      "p50_ms": round(pct(50), 1), "p95_ms": round(pct(95), 1), "p99_ms": round(pct(99), 1)}))


if __name__ == "__main__":
    main()
