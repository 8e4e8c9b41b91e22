"""ser.inference.Predictor and ser.bundle: validated bundles, ordered probabilities, timelines."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ser.audio import NoSpeechError, TooShortError
from ser.bundle import DEFAULT_BUNDLE_DIR, BundleError, load_bundle
from ser.calibration import confidence_level
from ser.emotions import EMOTIONS
from ser.inference import Prediction, Predictor
from tests.audio_fixtures import synth_speech, tone

SR = 22050


@pytest.fixture(scope="module")
def predictor(toy_bundle) -> Predictor:
    return Predictor(toy_bundle)


def test_prediction_has_ordered_probabilities_summing_to_one(predictor):
    result = predictor.predict((SR, synth_speech(2.5, f0=190, rate_hz=6)))
    assert isinstance(result, Prediction)
    assert list(result.probabilities) == predictor.labels
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert result.label == max(result.probabilities, key=result.probabilities.get)
    assert result.confidence == pytest.approx(result.probabilities[result.label])
    assert result.level == confidence_level(result.confidence)
    assert 0 < result.speech_ratio <= 1 and result.duration_s == pytest.approx(2.5)
    (window,) = result.timeline  # one window, spanning the speech
    assert (window.start, window.end) == pytest.approx(
        (result.speech_intervals[0][0], result.speech_intervals[-1][1]), abs=0.01
    )
    assert window.probabilities == pytest.approx(result.probabilities)
    assert 60 < result.acoustics["pitch_hz"] < 400 and result.acoustics["speaking_rate_per_s"] > 0
    assert result.audio.duration_s == pytest.approx(2.5)  # what the figures are drawn from
    assert "audio" not in result.to_dict()
    json.dumps(result.to_dict())  # JSON-ready


def test_confidence_levels_have_documented_thresholds():
    assert confidence_level(0.95) == "high" and confidence_level(0.60) == "high"
    assert confidence_level(0.59) == "medium" and confidence_level(0.35) == "medium"
    assert confidence_level(0.34) == "low" and confidence_level(0.125) == "low"


def test_same_speech_30db_quieter_gives_the_same_prediction(predictor):
    y = synth_speech(3.0, f0=110, rate_hz=2.5, seed=9)
    loud = predictor.predict((SR, y))
    quiet = predictor.predict((SR, (y * 10 ** (-30 / 20)).astype(np.float32)))
    assert quiet.label == loud.label
    for k in loud.probabilities:
        assert quiet.probabilities[k] == pytest.approx(loud.probabilities[k], abs=1e-3)


def test_long_recording_gets_a_timeline_covering_the_speech(predictor):
    y = np.concatenate(
        [
            synth_speech(3.0, f0=110, rate_hz=2.5, seed=1),
            synth_speech(3.0, f0=190, rate_hz=6.0, seed=2),
            synth_speech(3.0, f0=190, rate_hz=6.0, seed=3),
        ]
    )
    result = predictor.predict((SR, y))
    windows = result.timeline
    assert len(windows) >= 4
    first_speech, last_speech = result.speech_intervals[0][0], result.speech_intervals[-1][1]
    assert windows[0].start == pytest.approx(first_speech, abs=0.02)
    assert windows[-1].end == pytest.approx(last_speech, abs=0.02)
    for w in windows:
        assert sum(w.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    overall = np.mean([[w.probabilities[k] for k in predictor.labels] for w in windows], axis=0)
    np.testing.assert_allclose([result.probabilities[k] for k in predictor.labels], overall, atol=1e-6)


def test_silence_and_hum_get_errors_not_predictions(predictor):
    with pytest.raises(NoSpeechError):
        predictor.predict((SR, np.zeros(2 * SR, dtype=np.float32)))
    with pytest.raises(NoSpeechError):
        predictor.predict((SR, tone(2.0, SR, 60.0)))
    with pytest.raises(TooShortError):
        predictor.predict((SR, synth_speech(0.3, lead_silence=0.0)))


def test_predict_many_matches_predict_and_keeps_failures_in_place(predictor, tmp_path):
    import soundfile as sf

    good = tmp_path / "good.wav"
    sf.write(good, synth_speech(2.5, f0=90, rate_hz=2.0, seed=4), SR)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR * 2), SR)
    results = predictor.predict_many([str(good), str(silent), str(good)], jobs=1)
    assert isinstance(results[1], NoSpeechError)
    single = predictor.predict(str(good))
    for r in (results[0], results[2]):
        assert r.label == single.label
        assert r.confidence == pytest.approx(single.confidence, abs=1e-5)


def test_warmup_runs(predictor):
    predictor.warmup()


def test_bundle_validation_names_what_is_wrong(toy_bundle, tmp_path):
    broken = tmp_path / "b"
    shutil.copytree(toy_bundle, broken)
    (broken / "scaler.json").unlink()
    with pytest.raises(BundleError, match="missing scaler.json"):
        load_bundle(broken)

    shutil.copy(toy_bundle / "scaler.json", broken / "scaler.json")
    config = json.loads((broken / "config.json").read_text())
    config["feature_version"] = -1
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="feature version -1"):
        load_bundle(broken)

    shutil.copy(toy_bundle / "config.json", broken / "config.json")
    (broken / "labels.json").write_text(json.dumps({"classes": ["a", "b"]}))
    with pytest.raises(BundleError, match="3 outputs but labels.json 2 classes"):
        load_bundle(broken)

    shutil.copy(toy_bundle / "labels.json", broken / "labels.json")
    scaler = json.loads((broken / "scaler.json").read_text())
    scaler["feature_names"][0] = "something_else"
    (broken / "scaler.json").write_text(json.dumps(scaler))
    with pytest.raises(BundleError, match="feature names do not match"):
        load_bundle(broken)

    with pytest.raises(BundleError, match="not found"):
        load_bundle(tmp_path / "nowhere")


def test_the_default_bundle_is_shipped_and_predicts_8_emotions():
    assert DEFAULT_BUNDLE_DIR.is_dir(), "the repo must ship a trained default model"
    predictor = Predictor()
    assert predictor.labels == list(EMOTIONS)
    assert predictor.bundle.metrics["summary"]["uar"]["mean"] > 0.4
    result = predictor.predict((SR, synth_speech(3.0)))
    assert set(result.probabilities) == set(EMOTIONS)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
