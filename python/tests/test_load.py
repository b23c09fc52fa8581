"""Loading libaugur: where it comes from, the struct layouts, errors."""
import ctypes
import os

import pytest

import augur
from augur import _lib


def test_versions_match():
    version, path = augur.library_version()
    assert version == augur.__version__ == "0.1.0"
    assert os.path.exists(path) or path.startswith("libaugur")


def test_installed_copy_is_tested():
    """Under ctest the package is the copy pip installed in the venv, not python/ of the source tree."""
    if os.environ.get("AUGUR_TEST_INSTALLED") == "1":
        assert "site-packages" in augur.__file__, augur.__file__


def test_every_struct_matches_the_library():
    lib = _lib.lib()
    for name, cls in _lib.STRUCTS.items():
        assert lib.augur_struct_size(name.encode()) == ctypes.sizeof(cls), name
    assert lib.augur_struct_size(b"augur_nothing") == 0
    _lib.check_struct_sizes(lib)          # what load() ran


def test_struct_size_mismatch_raises():
    fields = [f for f in _lib.augur_face._fields_ if f[0] != "cam"]          # one field short
    short_face = type("augur_face", (ctypes.Structure,), {"_fields_": fields})
    with pytest.raises(augur.AugurError, match=r"struct augur_face: the library says \d+ bytes.*mirror has"):
        _lib.check_struct_sizes(_lib.lib(), {"augur_face": short_face})
    unknown = type("augur_unknown", (ctypes.Structure,), {"_fields_": [("x", ctypes.c_int)]})
    with pytest.raises(augur.AugurError, match="unknown to the library"):
        _lib.check_struct_sizes(_lib.lib(), {"augur_unknown": unknown})


def test_find_library_order(monkeypatch, tmp_path):
    monkeypatch.setenv("AUGUR_LIB", "/some/where/libaugur.so")
    assert _lib.find_library() == ("/some/where/libaugur.so", "$AUGUR_LIB")
    monkeypatch.delenv("AUGUR_LIB")
    path, where = _lib.find_library()
    assert where in ("source tree build", "system loader")


def test_a_library_that_cannot_load():
    with pytest.raises(augur.AugurError, match="cannot load libaugur.*AUGUR_LIB"):
        _lib.load("/nonexistent/libaugur.so")


def test_bad_model_folder(tmp_path):
    with pytest.raises(augur.AugurError) as e:
        augur.Detector(models=str(tmp_path / "nowhere"))
    assert e.value.code in (1, 2) and "nowhere" in str(e.value)
    with pytest.raises(ValueError):
        augur.Detector(detector="huge")
