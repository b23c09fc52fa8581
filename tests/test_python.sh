#!/usr/bin/env bash
# tests/test_python.sh LIBAUGUR WORKDIR — the Python package (python/) as a user installs it:
# a venv (--system-site-packages: Debian's numpy, pandas, pytest) in WORKDIR, `pip install`
# of a copy of python/ without network (--no-index --no-build-isolation), then pytest on
# python/tests against the installed copy, with AUGUR_LIB=LIBAUGUR (the libaugur.so just built).
# Exit 77 (skipped) when no python3 with venv, numpy, pandas, pytest and setuptools is found,
# or when LIBAUGUR is built with a sanitizer (Python cannot load it without preloading ASan).
set -euo pipefail

lib=${1:?usage: test_python.sh LIBAUGUR WORKDIR}
work=${2:?usage: test_python.sh LIBAUGUR WORKDIR}
src=${AUGUR_SOURCE_DIR:-$(pwd)}
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")

skip() { echo "SKIPPED: $*"; exit 77; }

if ldd "$lib" 2>/dev/null | grep 'lib[at]san\|libubsan' > /dev/null; then  # not grep -q: with pipefail, ldd's SIGPIPE would hide the match
    skip "$lib is built with a sanitizer; the Python tests run in the plain build (make test)"
fi

# A python3 with what the package and its tests need. pyenv/conda interpreters on PATH
# often lack Debian's modules, so Debian's own /usr/bin/python3 is tried too.
py=
for cand in ${AUGUR_PYTHON:-} python3 /usr/bin/python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import venv, numpy, pandas, pytest, setuptools, wheel' 2>/dev/null; then
        py=$(command -v "$cand")
        break
    fi
done
[[ -n $py ]] || skip "no python3 with venv, numpy, pandas, pytest, setuptools and wheel; on Debian:
  apt-get install python3-venv python3-numpy python3-pandas python3-pytest python3-setuptools python3-wheel python3-pip
  (scripts/deps.sh installs them), or name an interpreter in AUGUR_PYTHON"
echo "python: $py ($("$py" --version 2>&1))"

rm -rf "$work"
mkdir -p "$work"
venv=$work/venv
# Without its own pip when the interpreter has one (Debian's python3-pip): faster, no ensurepip.
if "$py" -c 'import pip' 2>/dev/null; then
    "$py" -m venv --system-site-packages --without-pip "$venv"
else
    "$py" -m venv --system-site-packages "$venv" ||
        skip "cannot create a venv with pip (Debian: apt-get install python3-venv python3-pip)"
fi

# Install from a copy, so that setuptools' in-place build/ and *.egg-info stay out of the source tree.
mkdir -p "$work/pkg"
(cd "$src/python" && tar cf - --exclude=build --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=.pytest_cache --exclude=tests .) | (cd "$work/pkg" && tar xf -)
"$venv/bin/python" -m pip install -q --no-index --no-build-isolation --disable-pip-version-check "$work/pkg"

# pytest from a neutral folder, on the source's tests, importing the installed package.
cd "$work"
export AUGUR_LIB=$lib AUGUR_SOURCE_DIR=$src AUGUR_TEST_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" -c 'import augur; print("augur", augur.__version__, "from", augur.__file__, "with", augur.library_version()[1])'
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$work/tmp" "$src/python/tests"
