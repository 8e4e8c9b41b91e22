"""Screening: a quick look at a training variant on one fold of the cross-validation.

The variant's members are trained exactly as the CV trains them on that fold (same split, same
early-stopping speakers), then scored on the fold's test speakers (clean, and their degraded
copies) and on development corpora (each on its own classes, calm counted as neutral). One fold
takes a few minutes; it says which variants deserve a full ``ser-train`` run, nothing more: one
fold's UAR moves by a few points between variants that a full run finds equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ser.config import SERConfig
from ser.metrics import subset_scores
from ser.registry import FittedMember
from ser.training.crossval import fold_scores, fold_split, predict_members
from ser.training.data import TrainingData
from ser.training.fitting import fit_splits
from ser.training.folds import speaker_folds


@dataclass(frozen=True)
class DevCorpus:
    """A development corpus as screening scores it.

    Attributes:
        data: Its clean inputs (labels indexed by the model's classes).
        labels: Each file's emotion, by name.
    """

    data: TrainingData
    labels: list[str]


def fit_fold(
    data: TrainingData, n_classes: int, config: SERConfig, fold: int, n_folds: int = 5, processes: int = 1
) -> tuple[np.ndarray, dict[str, FittedMember]]:
    """Train every member of ``config`` as the CV trains fold ``fold`` (1-based): returns the
    mask of the fold's test files and the fitted members by name."""
    folds = speaker_folds(data.speakers.tolist(), n_folds)
    if not 1 <= fold <= len(folds):
        raise ValueError(f"fold must be 1 to {len(folds)}, got {fold}")
    test, _, split = fold_split(data.speakers, folds[fold - 1])
    return test, fit_splits(data, [split], n_classes, config, processes)[0]


def screen(
    data: TrainingData,
    classes: list[str],
    config: SERConfig,
    fold: int,
    n_folds: int = 5,
    degraded: dict[str, TrainingData] | None = None,
    dev: dict[str, DevCorpus] | None = None,
    processes: int = 1,
) -> dict[str, dict[str, float]]:
    """UAR (in %) of each member and of the model on fold ``fold`` (1-based) of the CV.

    Args:
        processes: Member fits at once, each in its own process (the results do not depend on it).

    Returns:
        ``{"clean": {member: UAR}, "intensity": {member: accuracy}, <condition>: {member: UAR},
        <dev corpus>: {member: UAR, calm counted as neutral}}``, every member's models trained
        once on the fold's training speakers.
    """
    test, fitted = fit_fold(data, len(classes), config, fold, n_folds, processes)

    def percent(value: float) -> float:
        return round(100 * value, 1)

    outputs = predict_members(fitted, data, test, config)
    clean = {m: fold_scores(data, test, o, len(classes)) for m, o in outputs.items()}
    result = {"clean": {m: percent(s["uar"]) for m, s in clean.items()}}
    intensity = {m: percent(s["intensity_accuracy"]) for m, s in clean.items() if "intensity_accuracy" in s}
    if intensity:
        result["intensity"] = intensity
    for name, copies in (degraded or {}).items():
        outputs = predict_members(fitted, copies, test, config)
        result[name] = {
            m: percent(fold_scores(copies, test, o, len(classes))["uar"]) for m, o in outputs.items()
        }
    for name, corpus in (dev or {}).items():
        outputs = predict_members(fitted, corpus.data, np.ones(len(corpus.data), dtype=bool), config)
        said = {m: [classes[i] for i in o["emotion"].argmax(axis=1)] for m, o in outputs.items()}
        result[name] = {
            m: percent(subset_scores(corpus.labels, s, calm_as_neutral=True)["uar"]) for m, s in said.items()
        }
    return result
