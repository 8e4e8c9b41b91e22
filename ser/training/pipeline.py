"""Honest training, end to end: assemble the data, cross-validate, fit the final model on every
speaker and write the bundle."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from ser.bundle import save_bundle
from ser.config import SERConfig
from ser.datasets import Item
from ser.metrics import plot_confusion
from ser.training.crossval import bundle_scaler, cross_validate, fold_splits, pooled_model
from ser.training.data import TrainingData
from ser.training.fitting import Split, fit_splits
from ser.training.folds import fold_mates

logger = logging.getLogger(__name__)


def train(
    items: list[Item],
    out_dir: str | Path,
    config: SERConfig | None = None,
    n_folds: int = 5,
    classes: list[str] | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    name: str | None = None,
    degraded: dict[str, list[Item]] | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """Cross-validate, fit the final model on every item and write a bundle to ``out_dir``.

    The final fit trains each member for the median of the epochs it trained in the folds. When
    every member's epochs are preset (:meth:`ser.registry.MemberType.preset_epochs`: the CNNs'
    fixed schedules), that median is known before the CV, and the final fit shares the folds'
    pool of workers: no worker waits for the last fold to end before the final fit starts.

    Args:
        degraded: By condition, a degraded copy of each item, in the order of ``items``
            (:func:`ser.degrade.degrade`): the CV also scores each fold's model on its test
            files' copies.
        jobs: Feature-extraction processes.
        processes: Member fits at once, each in its own process
            (:func:`ser.training.fitting.fit_splits`; the results do not depend on it).

    Returns:
        The metrics written to ``metrics.json``.
    """
    started = time.perf_counter()
    config = config or SERConfig()
    classes = classes or sorted({it.label for it in items})  # all of RAVDESS: EMOTIONS' order
    speakers = [it.speaker for it in items]
    data = TrainingData.from_items(items, config, classes, cache_dir, jobs, fold_mates(speakers, n_folds))
    clean_only = config.without_copies()
    copies = {
        name: TrainingData.from_items(copy_items, clean_only, classes, cache_dir, jobs)
        for name, copy_items in (degraded or {}).items()
    }
    preset = {t.name: t.preset_epochs(config) for t in config.member_types}
    everything = np.ones(len(items), dtype=bool)
    if None in preset.values():  # the final fit trains for the folds' median epochs: after the CV
        metrics = cross_validate(data, classes, config, n_folds, degraded=copies, processes=processes)
        final = None
    else:  # every member's epochs are known: fold models and final model in one pool of workers
        splits = [*fold_splits(data.speakers, n_folds), Split(everything, epochs=preset)]
        *folds, final = fit_splits(data, splits, len(classes), config, processes)
        metrics = cross_validate(
            data, classes, config, n_folds, degraded=copies, processes=processes, fitted=folds
        )
    config = dataclasses.replace(config, temperature=round(metrics["calibration"]["temperature"], 4))
    logger.info(
        "temperature %.3f: ECE %.3f → %.3f on the CV's out-of-fold predictions",
        config.temperature,
        metrics["calibration"]["before"]["ece"],
        metrics["calibration"]["after"]["ece"],
    )
    epochs = {m: max(1, int(np.median([f["epochs"][m] for f in metrics["folds"]]))) for m in config.members}
    if final is None:
        logger.info("final fit on all %d files (epochs: %s)", len(items), epochs)
        final = fit_splits(data, [Split(everything, epochs=epochs)], len(classes), config, processes)[0]
    metrics.update(
        {
            "final_fit": {
                **{f"{m}_epochs": n for m, n in epochs.items()},
                "n_files": len(items),
                "speakers": sorted(set(data.speakers.tolist())),
            },
            "n_items": len(items),
            "augment_copies": config.model.augment_copies,
            "intensity": data.intensity is not None,
            "training_minutes": round((time.perf_counter() - started) / 60, 1),
        }
    )
    out = save_bundle(
        out_dir, pooled_model(final, config), bundle_scaler(final), classes, config, metrics, name=name
    )
    plot_confusion(
        np.array(metrics["confusion_matrix"]),
        classes,
        out / "confusion_matrix.png",
        title=f"Speaker-disjoint {n_folds}-fold CV (UAR {metrics['summary']['uar']['mean']:.1%})",
    )
    return metrics
