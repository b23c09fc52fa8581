"""Detector.detect_image on real faces: columns, accessors, arrays, folders, failures."""
import math
import shutil

import numpy as np
import pandas as pd
import pytest

import augur


def test_astronaut(detector, astronaut):
    df = detector.detect_image(astronaut)
    assert isinstance(df, augur.Fex) and isinstance(df, pd.DataFrame)
    assert list(df.columns) == augur.COLUMNS
    assert list(df.columns[:6]) == ["input", "frame", "face_id", "timestamp", "confidence", "success"]
    assert len(df) == 1
    r = df.iloc[0]
    assert r.input == astronaut and r.frame == 1 and r.face_id == 0 and r.success == 1 and r.error == ""
    assert r.AU06_c == 1 and r.AU12_c == 1 and r.AU12_r > 3 and r.AU12_p > 0.9
    # the measurement behind each AU, as in augur's CSV: the smile's goes beyond what faces at rest show
    assert r.AU12_mm > 5 and r.AU12_beyond == 1 and r.AU06_beyond == 1
    # nothing covered: both face halves look like faces (a score over 1 would be a covered half)
    assert 0 < r.cover_upper < 1 and 0 < r.cover_lower < 1
    # every AU read over its threshold is present: none held back, and no reason given
    assert df.au_held.shape == (1, 22) and df.au_held.isna().all(axis=None)
    assert r.expression == "happiness" and r.happiness > 0.9 and r.evidence_class == "happiness"
    assert r.weakly_grounded == 0 and 0.5 < r.cam_cos <= 1
    assert abs(r.pose_Rx) < math.pi / 4 and abs(r.pose_Ry) < math.pi / 4      # radians, near frontal
    assert r.width == 512 and r.height == 512
    assert r.box_x1 < r.x_30 < r.box_x2 and r.box_y1 < r.y_30 < r.box_y2      # nose tip inside the box
    assert abs(r.gaze_angle_x) < 0.15 and abs(r.gaze_angle_y) < 0.15           # looking at the camera
    assert abs(math.hypot(r.gaze_0_x, r.gaze_0_y, r.gaze_0_z) - 1) < 1e-3 and r.gaze_0_z < -0.9
    assert 300 < r.Z_30 < 1500 and r.X_36 < r.X_45                            # mm, in front of the camera


def test_covered_mouth(detector, astronaut):
    """The astronaut with a gray box over her mouth: the lower face is found covered, its AUs are not read
    and carry no measurement; the cheeks (AU6, the middle of the face) are still read."""
    a = augur.imread(astronaut).copy()
    a[147:187, 170:280] = 128
    r = detector.detect_image(a).iloc[0]
    assert r.success == 1 and r.cover_lower > 1 and r.cover_upper < 1
    assert r.AU12_c == 0 and math.isnan(r.AU12_mm) and not math.isnan(r.AU06_mm)


def test_small_face_in_a_large_image(detector, astronaut):
    """The astronaut halved (a face ~47 px) in a 3200 x 2400 array: the whole image letterboxed to the detector's
    input shows no face; tiles of it do (the default "auto" where the whole image gives none, and "tiled")."""
    a = augur.imread(astronaut)
    half = a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2, 3).mean(axis=(1, 3)).round().astype(np.uint8)
    big = np.full((2400, 3200, 3), 110, np.uint8)
    big[300:300 + half.shape[0], 2500:2500 + half.shape[1]] = half
    r = detector.detect_image(big)
    found = r[r.success == 1]
    assert len(found) == 1 and 2500 < found.iloc[0].box_x1 < found.iloc[0].box_x2 < 2500 + half.shape[1]
    with augur.Detector(detector="full") as whole:
        assert (whole.detect_image(big).success == 1).sum() == 0
    with augur.Detector(detector="tiled") as tiled:
        assert (tiled.detect_image(big).success == 1).sum() == 1


def test_accessors(detector, astronaut):
    df = detector.detect_image(astronaut)
    assert df.aus.shape == (1, 22) and list(df.aus.columns[:2]) == ["AU01_r", "AU02_r"]
    assert df.au_presence.shape == (1, 22) and df.au_probabilities.shape == (1, 22)
    assert list(df.emotions.columns) == ["neutral", "happiness", "surprise", "sadness", "anger", "disgust",
                                         "fear", "contempt"]
    assert df.emotions.idxmax(axis=1).iloc[0] == "happiness"
    assert abs(df.emotions.sum(axis=1).iloc[0] - 1) < 1e-3
    assert list(df.poses.columns) == ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    assert df.landmarks.shape == (1, 136) and df.facebox.shape == (1, 4)
    assert df.landmarks3d.shape == (1, 204) and list(df.gaze.columns[-2:]) == ["gaze_angle_x", "gaze_angle_y"]
    assert isinstance(df[df.success == 1], augur.Fex)


def test_array_equals_file(detector, astronaut):
    a = augur.imread(astronaut)
    assert a.shape == (512, 512, 3) and a.dtype == np.uint8
    f = detector.detect_image(astronaut)
    x = detector.detect_image(a)
    assert x.input.iloc[0] == "array[0]"
    cols = [c for c in augur.COLUMNS if c != "input"]
    pd.testing.assert_frame_equal(pd.DataFrame(f[cols]), pd.DataFrame(x[cols]))
    gray = detector.detect_image(a.mean(axis=2).astype(np.uint8))       # H x W
    assert gray.success.iloc[0] == 1 and gray.AU12_c.iloc[0] == 1
    both = detector.detect_image([a, astronaut, np.ascontiguousarray(a[:, ::-1])])
    assert list(both.frame) == [1, 2, 3] and list(both.input) == ["array[0]", astronaut, "array[1]"]
    with pytest.raises(TypeError):
        detector.detect_image(a.astype(np.float32))
    with pytest.raises(ValueError):
        detector.detect_image(np.zeros((8, 8, 2), np.uint8))


def test_no_face(detector):
    df = detector.detect_image(np.full((200, 300, 3), 128, np.uint8))
    assert len(df) == 1 and df.success.iloc[0] == 0 and pd.isna(df.face_id.iloc[0]) and df.error.iloc[0] == ""
    assert df.width.iloc[0] == 300 and pd.isna(df.AU12_r.iloc[0])


def test_folder_and_broken_file(detector, astronaut, tmp_path):
    shutil.copy(astronaut, tmp_path / "a.png")
    shutil.copy(astronaut, tmp_path / "c.png")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a PNG")
    (tmp_path / "notes.txt").write_text("not an image")
    df = detector.detect_image(tmp_path)
    assert [p.rsplit("/", 1)[1] for p in df.input] == ["a.png", "b.png", "c.png"]
    assert list(df.frame) == [1, 2, 3] and list(df.success) == [1, 0, 1]
    bad = df.iloc[1]
    assert "b.png" in bad.error and pd.isna(bad.face_id) and bad.confidence == 0 and pd.isna(bad.AU12_r)
    assert list(df.error) [0::2] == ["", ""]
    with pytest.raises(augur.AugurError) as e:
        detector.detect_image(tmp_path / "b.png", errors="raise")
    assert e.value.code == 2 and e.value.code_name == "AUGUR_EFORMAT" and "b.png" in str(e.value)


def test_every_input_failing_still_gives_rows(detector, tmp_path):
    df = detector.detect_image([str(tmp_path / "missing.jpg"), str(tmp_path / "also-missing.png")])
    assert list(df.success) == [0, 0]
    assert all("No such file" in m for m in df.error)


def test_analysis_json(detector, astronaut):
    j = detector.analysis(astronaut)
    assert j["schema"] == "augur.analyze" and j["file"] == astronaut and j["width"] == 512
    assert len(j["faces"]) == 1
    f = j["faces"][0]
    assert f["success"] and f["expression"]["class"] == "happiness" and len(f["landmarks68"]) == 68
    assert {a["au"] for a in f["aus"] if a["present"]} >= {6, 12}
    # the smile's measurements go beyond what faces at rest show (the shipped AU model has the ranges)
    au12 = next(a for a in f["aus"] if a["au"] == 12)
    assert au12["measure"]["beyond_rest"] and au12["measure"]["delta_mm"] > au12["measure"]["rest_mm"] > 0
    assert detector.analysis(augur.imread(astronaut))["faces"][0]["aus"] == f["aus"]
