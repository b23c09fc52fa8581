"""Traces, verify and the reward function on the astronaut."""
import numpy as np
import pytest

import augur

WRONG = ("Global analysis: the face looks downcast.\n"
         "Inspect brow region -> brow lowerer AU4 pulls the brows together -> <bbox>[180,40,270,80]</bbox>\n"
         "Inspect mouth region -> lip corner depressor AU15 -> <bbox>[190,140,260,170]</bbox>\n"
         "Final conclusion: Combined AU4 + AU15 indicate sadness\n<answer> sadness </answer>\n")


def test_trace(detector, astronaut):
    tag = augur.trace(astronaut, detector=detector)
    assert len(tag) == 1 and "<answer> happiness </answer>" in tag[0] and "AU12" in tag[0]
    text = augur.trace(astronaut, fmt="text", detector=detector)[0]
    assert "happiness" in text and "<answer>" not in text
    with pytest.raises(ValueError):
        augur.trace(astronaut, fmt="xml", detector=detector)


def test_verify_good_beats_wrong(detector, astronaut):
    good = augur.trace(astronaut, detector=detector)[0]
    g = augur.verify(astronaut, good, detector=detector)
    w = augur.verify(astronaut, WRONG, detector=detector)
    assert g["grounding"] >= 0.9 and g["answer"] == "happiness" and g["answer_agrees_with_evidence"]
    assert w["grounding"] <= 0.3 and w["answer"] == "sadness" and not w["answer_agrees_with_evidence"]
    assert {c["au"] for c in w["claims"]} == {4, 15} and not any(c["supported"] for c in w["claims"])
    js = '{"answer": "happiness", "claims": [{"au": 12}, {"au": "AU6"}, {"au": 4, "present": false}]}'
    assert augur.verify(astronaut, js, detector=detector)["grounding"] == 1.0


def test_verify_default_detector_and_errors(astronaut):
    assert augur.verify(astronaut, "lip corner puller AU12")["grounding"] == 1.0      # module default Detector
    with pytest.raises(augur.AugurError, match="no face"):
        augur.verify(np.zeros((64, 64, 3), np.uint8), "AU12")


def test_reward_fn(detector, astronaut):
    good = augur.trace(astronaut, detector=detector)[0]
    reward = augur.reward_fn(detector=detector)
    completions = [
        good,
        WRONG,
        [{"role": "assistant", "content": good}],                                   # chat format
        [{"role": "user", "content": "AU12"}, {"role": "assistant",
                                                 "content": [{"type": "text", "text": WRONG}]}],
        "I cannot tell.",                                                            # no claims
        12345,                                                                       # not text at all
    ]
    r = reward(completions, [astronaut] * len(completions))
    assert len(r) == 6 and all(isinstance(x, float) for x in r)
    assert r[0] >= 0.9 and r[2] == r[0] and r[1] <= 0.3 and r[3] == r[1] and r[4] == 0.0 and r[5] == 0.0
    assert r[0] > r[1]
    # TRL passes dataset columns as keyword arguments; an image without a face scores 0
    r2 = reward([good, good], image=[[augur.imread(astronaut)], np.zeros((64, 64, 3), np.uint8)])
    assert r2[0] >= 0.9 and r2[1] == 0.0
    mixed = augur.reward_fn(detector=detector, answer_weight=0.5)([WRONG], [astronaut])
    assert mixed[0] <= 0.15
    with pytest.raises(ValueError):
        reward([good], [astronaut, astronaut])
