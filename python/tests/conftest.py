"""Fixtures of the augur Python tests: the source tree, one Detector for the session, a short clip."""
import os
import shutil
import subprocess
from pathlib import Path

import sys

import pytest

try:
    import augur
except ImportError:               # run from the source tree without installing: use python/augur
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import augur

REPO = Path(os.environ.get("AUGUR_SOURCE_DIR") or Path(__file__).resolve().parents[2])
ASTRONAUT = REPO / "examples" / "astronaut.png"


@pytest.fixture(scope="session")
def astronaut():
    assert ASTRONAUT.is_file(), ASTRONAUT
    return str(ASTRONAUT)


@pytest.fixture(scope="session")
def detector():
    with augur.Detector() as d:
        yield d


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """1.2 s, 15 fps, 400x300: the astronaut panned slowly (ffmpeg), as tests/test_video_pipeline.c does with
    augur's own writer."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        pytest.skip("ffmpeg not found (Debian: apt-get install ffmpeg)")
    out = tmp_path_factory.mktemp("clip") / "astronaut-pan.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-loop", "1", "-framerate", "15", "-i", str(ASTRONAUT),
                    "-vf", "scale=480:480,crop=400:300:40+20*t:60,format=yuv420p", "-t", "1.2",
                    "-c:v", "mpeg4", "-q:v", "3", str(out)], check=True)
    return str(out)
