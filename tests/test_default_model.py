"""The bundled default model answers exactly as it did when it was trained and shipped: a change
of preprocessing, features or model plumbing that moves its probabilities shows here.

``tests/data/default_model_outputs.json`` holds its answers on generated clips. When the shipped
model is retrained on purpose, regenerate the file from the new model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ser import Predictor
from ser.synthetic import synth_speech

EXPECTED = json.loads((Path(__file__).parent / "data" / "default_model_outputs.json").read_text())
SR = 22050


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.from_pretrained()


@pytest.mark.parametrize("clip", EXPECTED["clips"], ids=lambda c: f"{c['seconds']}s")
def test_the_default_model_gives_the_probabilities_it_shipped_with(predictor, clip):
    y = synth_speech(clip["seconds"], SR, f0=clip["f0"], rate_hz=clip["rate_hz"], seed=clip["seed"])
    result = predictor.predict((SR, y))
    labels = list(clip["probabilities"])
    assert list(result.probabilities) == labels
    np.testing.assert_allclose(
        [result.probabilities[k] for k in labels], list(clip["probabilities"].values()), atol=1e-6
    )
    assert result.intensity_strong == pytest.approx(clip["intensity_strong"], abs=1e-4)  # rounded to 4
    assert len(result.timeline) == len(clip["windows"])
    for window, expected in zip(result.timeline, clip["windows"]):
        np.testing.assert_allclose(
            [window.probabilities[k] for k in labels], list(expected.values()), atol=1e-6
        )
