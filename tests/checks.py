"""tests/checks.py — the pass/fail count the Python test scripts share
(test_serve.py, test_traces.py, test_viewer.py): check() records one check
and prints a failure at once; finish() prints the count and exits 1 on any
failure."""
import sys

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}" + (f": {detail}" if detail else ""), flush=True)


def finish(prefix="", suffix=""):
    print(f"{prefix}{passed} passed, {failed} failed{suffix}")
    sys.exit(1 if failed else 0)
