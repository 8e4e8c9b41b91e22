"""Speaker-disjoint cross-validation of a model type and each of its members, on the same folds.

Protocol (the only one whose numbers we report):
- folds are groups of speakers; no speaker is ever on both sides of a split;
- augmented copies exist only for training files; validation and test rows are clean;
- every standardisation (a scaler, a CNN's per-row statistics) is fitted on the fold's training
  files only;
- early stopping (where a member type uses it) watches speakers held out of the fold's training
  speakers, never the test fold.

A fusion is scored through the same Keras graph that is saved and served
(:func:`ser.fusion.average_models`), so CV scores the rule that ships.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ser.calibration import apply_temperature, cross_fitted_temperature, report_of
from ser.config import SERConfig
from ser.emotions import is_strong
from ser.fusion import average_models, predict_outputs
from ser.metrics import confusion, report, scores, summarise_folds
from ser.registry import FUSION, FittedMember
from ser.scaler import Scaler
from ser.training.data import TrainingData
from ser.training.fitting import Split, fit_splits
from ser.training.folds import speaker_folds, validation_speakers

logger = logging.getLogger(__name__)


def pooled_model(fitted: dict[str, FittedMember], config: SERConfig) -> Any:
    """The one Keras model of ``config.model_type``: the member itself, or the fusion of the
    members by ``config.fusion``."""
    return average_models(
        [fitted[m].model for m in config.members], name=f"ser_{config.model_type}", rule=config.fusion
    )


def bundle_scaler(fitted: dict[str, FittedMember]) -> Scaler | None:
    """The scaler that goes into the bundle: that of the member whose input it standardises."""
    return next((f.scaler for f in fitted.values() if f.scaler is not None), None)


def predict_members(
    fitted: dict[str, FittedMember], data: TrainingData, mask: np.ndarray, config: SERConfig
) -> dict[str, dict[str, np.ndarray]]:
    """Outputs on the clean files in ``mask``, by member name and, for a fusion, ``"fusion"``
    (see :func:`ser.fusion.predict_outputs`)."""
    x = {t.input_name: fitted[t.name].prepare(data.examples(t, mask, config)) for t in config.member_types}
    out = {t.name: predict_outputs(fitted[t.name].model, x[t.input_name]) for t in config.member_types}
    if config.model_type == FUSION:
        out[FUSION] = predict_outputs(pooled_model(fitted, config), x)
    return out


def fold_split(speakers: np.ndarray, test_speakers: list[str]) -> tuple[np.ndarray, list[str], Split]:
    """One CV fold: the mask of its test files, its early-stopping speakers (held out of the
    training side) and the split its models are fitted on."""
    test = np.isin(speakers, test_speakers)
    held = validation_speakers(speakers[~test].tolist())
    validation = np.isin(speakers, held)
    return test, held, Split(~test & ~validation, validation)


def fold_splits(speakers: np.ndarray, n_folds: int) -> list[Split]:
    """The splits the CV's models are fitted on, fold by fold (:func:`fold_split`)."""
    return [fold_split(speakers, test)[2] for test in speaker_folds(speakers.tolist(), n_folds)]


def fold_scores(
    data: TrainingData, mask: np.ndarray, outputs: dict[str, np.ndarray], n_classes: int
) -> dict[str, float]:
    """Accuracy, UAR and macro-F1 of ``outputs`` on the files in ``mask`` and, when both the
    outputs and the labels have it, ``intensity_accuracy``."""
    result = scores(data.y[mask], np.argmax(outputs["emotion"], axis=1), n_classes)
    if "intensity" in outputs and data.intensity is not None:
        truth = data.intensity[mask] > 0.5
        guess = np.array([is_strong(p) for p in outputs["intensity"]])
        result["intensity_accuracy"] = float(np.mean(truth == guess))
    return result


def cross_validate(
    data: TrainingData,
    classes: list[str],
    config: SERConfig,
    n_folds: int = 5,
    degraded: dict[str, TrainingData] | None = None,
    processes: int = 1,
    fitted: Sequence[dict[str, FittedMember]] | None = None,
) -> dict[str, Any]:
    """Speaker-disjoint k-fold CV; returns per-fold scores, their summary and pooled report.

    ``folds``/``summary``/``report`` describe ``config.model_type``; for a fusion, ``models``
    also holds each member's per-fold scores and summary on the same folds. Each fold records
    the epochs every member trained for (``epochs``), from which the final fit takes its own.

    ``calibration`` holds the temperature fitted on the out-of-fold predictions and the ECE and
    confidence levels' precision before and after it (each fold scaled by a temperature fitted
    on the other folds: :func:`ser.calibration.cross_fitted_temperature`).

    Args:
        degraded: By condition (:mod:`ser.degrade`), the degraded copies of every file, in the
            order of ``data``: each fold's model is also scored on its test files' copies
            (test side only; never fitted on), reported under ``degraded`` with the ECE and
            each confidence level's precision at the fitted temperature (``calibration``).
        processes: Member fits at once, in worker processes (:func:`ser.training.fitting.fit_splits`;
            the results do not depend on it).
        fitted: The folds' models, when the caller has fitted them already on
            :func:`fold_splits` (with other fits, in one pool); else they are fitted here.
    """
    degraded = degraded or {}
    for name, copies in degraded.items():
        if len(copies) != len(data) or not np.array_equal(copies.y, data.y):
            raise ValueError(f"the {name} copies do not line up with the training files")
    folds, y_true, y_pred, oof = [], [], [], []
    degraded_folds: dict[str, list[dict[str, float]]] = {name: [] for name in degraded}
    degraded_probs: dict[str, list[np.ndarray]] = {name: [] for name in degraded}
    members: dict[str, list[dict[str, float]]] = {}
    test_folds = speaker_folds(data.speakers.tolist(), n_folds)
    fold_sides = [fold_split(data.speakers, speakers) for speakers in test_folds]
    if fitted is None:
        fitted = fit_splits(data, [split for _, _, split in fold_sides], len(classes), config, processes)
    if len(fitted) != n_folds:
        raise ValueError(f"expected the models of {n_folds} folds, got {len(fitted)}")
    for k, (test_speakers, (test, val_speakers, _), fold_models) in enumerate(
        zip(test_folds, fold_sides, fitted)
    ):
        outputs = predict_members(fold_models, data, test, config)
        for name, out in outputs.items():
            members.setdefault(name, []).append(fold_scores(data, test, out, len(classes)))
        shipped = outputs[config.model_type]
        for name, copies in degraded.items():
            out = predict_members(fold_models, copies, test, config)[config.model_type]
            degraded_folds[name].append(fold_scores(copies, test, out, len(classes)))
            degraded_probs[name].append(out["emotion"])
            logger.info("fold %d %s: UAR %.3f", k + 1, name, degraded_folds[name][-1]["uar"])
        logger.info(
            "fold %d/%d test=%s: %s",
            k + 1,
            n_folds,
            ",".join(test_speakers),
            "; ".join(
                f"{name} acc {s['accuracy']:.3f} UAR {s['uar']:.3f} F1 {s['macro_f1']:.3f}"
                for name, s in ((n, v[-1]) for n, v in members.items())
            ),
        )
        folds.append(
            {
                "test_speakers": list(test_speakers),
                "validation_speakers": val_speakers,
                "n_test": int(test.sum()),
                "epochs": {name: f.epochs for name, f in fold_models.items()},
                **members[config.model_type][-1],
            }
        )
        y_true.append(data.y[test])
        y_pred.append(np.argmax(shipped["emotion"], axis=1))
        oof.append(shipped["emotion"])
    calibration = cross_fitted_temperature(oof, y_true)
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    metrics = {
        "protocol": protocol(config, n_folds),
        "model_type": config.model_type,
        "classes": classes,
        "folds": folds,
        "summary": summarise_folds(folds),
        "report": report(y_true, y_pred, classes),
        "confusion_matrix": confusion(y_true, y_pred, len(classes)).tolist(),
        "calibration": calibration,
    }
    if degraded:
        t = calibration["temperature"]
        metrics["degraded"] = {
            name: {
                "folds": fold_list,
                "summary": summarise_folds(fold_list),
                "calibration": report_of(apply_temperature(np.concatenate(degraded_probs[name]), t), y_true),
            }
            for name, fold_list in degraded_folds.items()
        }
    if len(members) > 1:
        metrics["models"] = {
            name: {"folds": fold_list, "summary": summarise_folds(fold_list)}
            for name, fold_list in members.items()
        }
    return metrics


def protocol(config: SERConfig, n_folds: int) -> str:
    """The protocol in one line, as ``metrics.json`` and the card state it."""
    parts = [
        f"speaker-disjoint {n_folds}-fold cross-validation",
        "augmentation on training files only",
        *(t.protocol(config) for t in config.member_types),
    ]
    if config.model_type == FUSION:
        names = ", ".join(t.title for t in config.member_types)
        parts.append(f"fusion: the {config.fusion} mean of the probabilities of {names}")
    return "; ".join(parts)
