"""Detector.detect_video on a clip made from the astronaut."""
import numpy as np
import pytest

import augur


def test_one_face_through_the_clip(detector, clip):
    df = detector.detect_video(clip)
    assert isinstance(df, augur.Fex) and list(df.columns) == augur.COLUMNS
    assert len(df) == 18
    assert list(df.frame) == list(range(1, 19))                      # from 1, as OpenFace
    assert df.face_id.nunique() == 1 and df.face_id.iloc[0] == 0
    assert (df.success == 1).all() and (df.AU12_c == 1).all() and (df.AU06_c == 1).all()
    assert (df.expression == "happiness").all()
    t = df.timestamp.to_numpy()
    assert t[0] == 0 and np.all(np.diff(t) > 0) and abs(t[1] - 1 / 15) < 1e-3
    assert df.detected.iloc[0] == 1
    assert df.events["schema"] == "augur.events" and df.events["faces"][0]["face_id"] == 0
    assert df.events["faces"][0]["frames"] == 18
    assert "happiness" in df.timeline
    assert df.source_info["tracks"] == 1 and df.source_info["width"] == 400
    sub = df[df.success == 1]
    assert isinstance(sub, augur.Fex) and sub.events is df.events


def test_every_other_frame(detector, clip):
    df = detector.detect_video(clip, every=2, smooth=False, baseline=False)
    assert list(df.frame) == list(range(1, 19, 2))
    assert (df.per_person_neutral == 0).all()


def test_missing_video(detector, tmp_path):
    with pytest.raises(augur.AugurError) as e:
        detector.detect_video(tmp_path / "none.mp4")
    assert "none.mp4" in str(e.value) and e.value.code is not None
