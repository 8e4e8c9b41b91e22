"""Confidence that means what it says: temperature scaling, ECE, and how often each level is right."""

from __future__ import annotations

import numpy as np
import pytest

from ser.calibration import (
    apply_temperature,
    calibration_report,
    cross_fitted_temperature,
    expected_calibration_error,
    fit_temperature,
    level_precision,
)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def overconfident(n: int = 4000, sharpen: float = 3.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from softmax(z), and a model that says softmax(sharpen · z): too sure."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=1.2, size=(n, 8))
    y = np.array([rng.choice(8, p=p) for p in softmax(z)])
    return softmax(sharpen * z), y


def test_temperature_keeps_the_answer_and_changes_only_how_sure_it_is():
    probs, _ = overconfident(200)
    softer = apply_temperature(probs, 2.0)
    assert np.array_equal(softer.argmax(axis=1), probs.argmax(axis=1))
    assert np.allclose(softer.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(softer.max(axis=1) <= probs.max(axis=1) + 1e-9)
    assert apply_temperature(probs, 1.0) is probs


def test_a_fitted_temperature_undoes_overconfidence():
    probs, y = overconfident(sharpen=3.0)
    assert fit_temperature(probs, y) == pytest.approx(3.0, rel=0.15)
    before = expected_calibration_error(probs.max(axis=1), probs.argmax(axis=1) == y)
    fixed = apply_temperature(probs, fit_temperature(probs, y))
    after = expected_calibration_error(fixed.max(axis=1), fixed.argmax(axis=1) == y)
    assert before > 0.15 and after < 0.03


def test_cross_fitted_temperature_never_calibrates_a_fold_on_itself_and_lowers_ece():
    probs, y = overconfident(sharpen=2.5, seed=1)
    folds = np.array_split(np.arange(len(y)), 5)
    result = cross_fitted_temperature([probs[f] for f in folds], [y[f] for f in folds])
    assert result["temperature"] == pytest.approx(2.5, rel=0.2)
    assert result["after"]["ece"] < result["before"]["ece"] / 3


def test_level_precision_says_how_often_each_level_is_right():
    confidence = np.array([0.9, 0.8, 0.7, 0.5, 0.4, 0.2])
    correct = np.array([True, True, False, True, False, False])
    levels = level_precision(confidence, correct)
    assert levels["high"] == {"share": 0.5, "precision": pytest.approx(2 / 3)}
    assert levels["medium"] == {"share": pytest.approx(1 / 3), "precision": 0.5}
    assert levels["low"] == {"share": pytest.approx(1 / 6), "precision": 0.0}
    none_low = calibration_report(np.array([0.9]), np.array([True]))["levels"]["low"]
    assert none_low == {"share": 0.0, "precision": None}


def test_perfectly_calibrated_answers_have_small_ece():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.2, 1.0, size=20000)
    correct = rng.uniform(size=confidence.size) < confidence  # right exactly as often as it says
    assert expected_calibration_error(confidence, correct) < 0.02


def test_runs_compare_on_cv_dev_corpora_and_degraded_copies():
    from ser.metrics import comparison_table, run_summary

    def metrics(uar: float, dev: float, noisy: float) -> dict:
        return {
            "summary": {"uar": {"mean": uar}, "intensity_accuracy": {"mean": 0.76}},
            "calibration": {"after": {"ece": 0.04}},
            "cross_corpus": {
                "ased-dev": {
                    "strict": {"uar": dev - 0.05},
                    "calm_as_neutral": {"uar": dev, "calibration": {"levels": {"high": {"precision": 0.5}}}},
                }
            },
            "degraded": {
                "noise": {"summary": {"uar": {"mean": noisy}}},
                "mp3": {"summary": {"uar": {"mean": uar}}},
            },
        }

    row = run_summary(metrics(0.68, 0.40, 0.58))
    assert row["ased-dev_uar"] == 0.40 and row["ased-dev_high_precision"] == 0.5
    assert row["degraded_worst_drop"] == pytest.approx(0.10) and row["degraded_mean_drop"] == pytest.approx(
        0.05
    )
    table = comparison_table({"before": metrics(0.68, 0.36, 0.57), "after": metrics(0.67, 0.45, 0.64)})
    header, _, before, after = table.splitlines()
    assert header.startswith("| run | cv_uar | intensity | cv_ece | ased-dev_uar")
    assert before.startswith("| before | 68.0 | 76.0 | 0.040 | 36.0 | 50.0") and "| 11.0 |" in before
    assert after.startswith("| after | 67.0 |") and "| 3.0 |" in after


def test_the_confidence_probe_scores_each_signal_on_a_labelled_corpus(toy_bundle, toy_corpus):
    from tests.util import run_script

    done = run_script(
        "confidence_probe.py", "--model-dir", toy_bundle, "--manifest", toy_corpus, "--dev", toy_corpus
    )
    assert done.returncode == 0, done.stderr
    header, rule, row = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert "AUROC confidence" in header and "AUROC members agree" in header and "AUROC typical" in header
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == toy_corpus.parent.name
    assert 0.0 <= float(cells[2]) <= 1.0 and 0.0 <= float(cells[4]) <= 1.0  # AUROCs
