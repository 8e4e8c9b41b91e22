"""How sure the model is, and whether that means what it says: confidence levels, temperature
scaling fitted on out-of-fold predictions, expected calibration error, and how often each
level is right.

Pure functions over probability arrays ``(n, n_classes)`` (rows sum to 1) and integer labels ``(n,)``.
"""

from __future__ import annotations

import numpy as np

#: Top-class probability at or above which confidence is "high".
HIGH_CONFIDENCE = 0.60
#: Top-class probability at or above which confidence is "medium" (below: "low").
#: With 8 classes, chance is 0.125.
MEDIUM_CONFIDENCE = 0.35
LEVELS = ("high", "medium", "low")


def confidence_level(p: float) -> str:
    """``"high"`` (p ≥ 0.60), ``"medium"`` (p ≥ 0.35) or ``"low"``."""
    if p >= HIGH_CONFIDENCE:
        return "high"
    return "medium" if p >= MEDIUM_CONFIDENCE else "low"


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Soften (``temperature`` > 1) or sharpen (< 1) probabilities: ``p_i^(1/T) / Σ_j p_j^(1/T)``,
    which is temperature scaling of the logits ``log p``. ``temperature == 1`` returns ``probs``."""
    if temperature == 1.0:
        return probs
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=-1, keepdims=True)).astype(probs.dtype)


def fit_temperature(probs: np.ndarray, y: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature minimising the negative log-likelihood of ``y`` under
    :func:`apply_temperature` (Guo et al., 2017). Fit it on out-of-fold predictions only."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        p = apply_temperature(probs.astype(np.float64), t)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))))

    return float(minimize_scalar(nll, bounds=bounds, method="bounded").x)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE: over ``bins`` equal-width bins of the answers' confidence (top-class probability),
    the mean |accuracy − confidence| weighted by each bin's share of answers.

    Args:
        confidence: Each answer's probability, ``(n,)``.
        correct: Whether each answer was right, ``(n,)``.
    """
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def level_precision(confidence: np.ndarray, correct: np.ndarray) -> dict[str, dict[str, float | None]]:
    """For each confidence level: its share of answers and how often those answers are right
    (``precision`` is ``None`` for a level never given)."""
    levels = np.array([confidence_level(p) for p in confidence])
    correct = np.asarray(correct, dtype=bool)
    return {
        level: {
            "share": float(np.mean(levels == level)),
            "precision": float(correct[levels == level].mean()) if np.any(levels == level) else None,
        }
        for level in LEVELS
    }


def calibration_report(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """ECE and each level's share and precision, from each answer's confidence and correctness."""
    return {
        "ece": expected_calibration_error(confidence, correct),
        "levels": level_precision(confidence, correct),
    }


def report_of(probs: np.ndarray, y: np.ndarray) -> dict:
    """:func:`calibration_report` of probabilities ``(n, n_classes)`` against labels ``(n,)``."""
    return calibration_report(probs.max(axis=1), probs.argmax(axis=1) == y)


def cross_fitted_temperature(fold_probs: list[np.ndarray], fold_y: list[np.ndarray]) -> dict:
    """Temperature scaling measured honestly over CV folds: each fold's predictions are scaled by a
    temperature fitted on the *other* folds (so no fold is calibrated on itself); the shipped
    temperature is fitted on all of them.

    Returns:
        ``{"temperature", "before": calibration_report, "after": calibration_report}``.
    """
    scaled = []
    for k in range(len(fold_probs)):
        others = [i for i in range(len(fold_probs)) if i != k]
        t = fit_temperature(
            np.concatenate([fold_probs[i] for i in others]), np.concatenate([fold_y[i] for i in others])
        )
        scaled.append(apply_temperature(fold_probs[k], t))
    probs, y = np.concatenate(fold_probs), np.concatenate(fold_y)
    return {
        "temperature": fit_temperature(probs, y),
        "before": report_of(probs, y),
        "after": report_of(np.concatenate(scaled), y),
    }
