"""Honest training: speaker-disjoint cross-validation, then a final fit on every speaker.

Protocol (the only one whose numbers we report):
- folds are groups of speakers; no speaker is ever on both sides of a split;
- augmented copies exist only for training files; validation and test rows are clean;
- the scaler is fitted on the training rows of each fold only;
- early stopping watches speakers held out of the fold's training speakers (never the test
  fold); with ``refit`` the fold's model is then retrained on all its training speakers for
  that many epochs; the final model trains on every speaker for the median of the folds' best
  epochs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ser.bundle import Scaler, save_bundle
from ser.config import SERConfig
from ser.datasets import Item
from ser.extraction import dataset_features
from ser.features import feature_names
from ser.metrics import confusion, plot_confusion, report, scores, summarise_folds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureSet:
    """Vectors of a dataset: ``clean`` ``(n, F)``, ``augmented`` ``(n, copies, F)``, integer labels."""

    clean: np.ndarray
    augmented: np.ndarray
    y: np.ndarray
    speakers: np.ndarray

    @classmethod
    def from_items(
        cls,
        items: list[Item],
        config: SERConfig,
        classes: list[str],
        cache_dir: str | Path | None = None,
        jobs: int = 1,
    ) -> FeatureSet:
        rows = dataset_features(
            [it.path for it in items], config, config.model.augment_copies, config.model.seed, cache_dir, jobs
        )
        index = {c: i for i, c in enumerate(classes)}
        return cls(
            rows[:, 0],
            rows[:, 1:],
            np.array([index[it.label] for it in items]),
            np.array([it.speaker for it in items]),
        )

    def training_rows(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clean and augmented rows of the files in ``mask``, with their labels."""
        x = np.concatenate([self.clean[mask], self.augmented[mask].reshape(-1, self.clean.shape[1])])
        copies = self.augmented.shape[1]
        y = np.concatenate([self.y[mask], np.repeat(self.y[mask], copies)])
        return x, y


def speaker_folds(speakers: list[str], n_folds: int) -> list[list[str]]:
    """Split sorted unique speakers into ``n_folds`` contiguous groups.

    For RAVDESS actors 01–20 and 5 folds: 01–04, 05–08, …, each with two men and two women.
    """
    unique = sorted(set(speakers))
    if n_folds < 2 or n_folds > len(unique):
        raise ValueError(f"need 2 ≤ folds ≤ {len(unique)} speakers, got {n_folds}")
    return [list(group) for group in np.array_split(unique, n_folds)]


def validation_speakers(speakers: list[str], fraction: float = 0.125) -> list[str]:
    """Speakers held out of a training set for early stopping: the last ``fraction`` (≥ 1, ≥ 2
    when possible so that RAVDESS keeps one man and one woman)."""
    unique = sorted(set(speakers))
    n = max(1, min(len(unique) - 1, max(2, round(fraction * len(unique)))))
    return unique[-n:]


def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    config: SERConfig,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int | None = None,
) -> tuple[Any, int]:
    """Train ``config.model.ensemble`` MLPs (seeds ``seed``, ``seed + 1``, …) on standardised rows
    and average them into one model; returns it and the median best epoch (1-based).

    With ``validation``, early stopping restores each member's best weights on validation loss;
    without, every member trains for ``epochs``.
    """
    from ser.model import average_models

    members, best = [], []
    for i in range(config.model.ensemble):
        model, epoch = _fit_one(
            x, y, n_classes, config, config.model.seed + i, validation, epochs, name=f"ser_mlp_{i}"
        )
        members.append(model)
        best.append(epoch)
    return average_models(members), int(np.median(best))


def _fit_one(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    config: SERConfig,
    seed: int,
    validation: tuple[np.ndarray, np.ndarray] | None,
    epochs: int | None,
    name: str,
) -> tuple[Any, int]:
    import keras
    from sklearn.utils.class_weight import compute_class_weight

    from ser.model import build_mlp

    mc = config.model
    keras.utils.set_random_seed(seed)
    model = build_mlp(x.shape[1], n_classes, mc, name=name)
    present = np.unique(y)
    weights = compute_class_weight("balanced", classes=present, y=y)
    monitor = "val_loss" if validation else "loss"
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(3, mc.patience // 3), min_lr=1e-5
        )
    ]
    if validation is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=mc.patience, restore_best_weights=True)
        )
    history = model.fit(
        x,
        y,
        validation_data=validation,
        epochs=epochs or mc.epochs,
        batch_size=mc.batch_size,
        class_weight=dict(zip(present.tolist(), weights.tolist())),
        callbacks=callbacks,
        verbose=0,
        shuffle=True,
    )
    return model, int(np.argmin(history.history[monitor])) + 1


def cross_validate(
    data: FeatureSet, classes: list[str], config: SERConfig, n_folds: int = 5
) -> dict[str, Any]:
    """Speaker-disjoint k-fold CV; returns per-fold scores, their summary and pooled report."""
    names = feature_names(config.features)
    folds, y_true, y_pred = [], [], []
    for k, test_speakers in enumerate(speaker_folds(data.speakers.tolist(), n_folds)):
        test = np.isin(data.speakers, test_speakers)
        val_speakers = validation_speakers(data.speakers[~test].tolist())
        val = np.isin(data.speakers, val_speakers)
        train = ~test & ~val
        x_train, y_train = data.training_rows(train)
        scaler = Scaler.fit(x_train, names)
        model, best_epoch = fit_model(
            scaler.transform(x_train),
            y_train,
            len(classes),
            config,
            validation=(scaler.transform(data.clean[val]), data.y[val]),
        )
        if config.model.refit:  # the validation actors chose the epoch count; now train on them too
            x_train, y_train = data.training_rows(~test)
            scaler = Scaler.fit(x_train, names)
            model, _ = fit_model(scaler.transform(x_train), y_train, len(classes), config, epochs=best_epoch)
        pred = np.argmax(model.predict_on_batch(scaler.transform(data.clean[test])), axis=1)
        fold_scores = scores(data.y[test], pred, len(classes))
        logger.info(
            "fold %d/%d test=%s: acc %.3f UAR %.3f F1 %.3f (best epoch %d)",
            k + 1,
            n_folds,
            ",".join(test_speakers),
            *fold_scores.values(),
            best_epoch,
        )
        folds.append(
            {
                "test_speakers": list(test_speakers),
                "validation_speakers": val_speakers,
                "n_train_rows": len(y_train),
                "n_test": int(test.sum()),
                "best_epoch": best_epoch,
                **fold_scores,
            }
        )
        y_true.append(data.y[test])
        y_pred.append(pred)
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    return {
        "protocol": f"speaker-disjoint {n_folds}-fold cross-validation; augmentation on training "
        "rows only; scaler fitted per fold on training rows; early stopping on "
        "held-out training speakers"
        + (
            "; then refit on all the fold's training speakers for that many epochs"
            if config.model.refit
            else ""
        ),
        "classes": classes,
        "folds": folds,
        "summary": summarise_folds(folds),
        "report": report(y_true, y_pred, classes),
        "confusion_matrix": confusion(y_true, y_pred, len(classes)).tolist(),
    }


def train(
    items: list[Item],
    out_dir: str | Path,
    config: SERConfig | None = None,
    n_folds: int = 5,
    classes: list[str] | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    name: str | None = None,
) -> dict[str, Any]:
    """Cross-validate, fit the final model on every item and write a bundle to ``out_dir``.

    Returns:
        The metrics written to ``metrics.json``.
    """
    config = config or SERConfig()
    classes = classes or sorted({it.label for it in items})  # all of RAVDESS: EMOTIONS' order
    data = FeatureSet.from_items(items, config, classes, cache_dir, jobs)
    metrics = cross_validate(data, classes, config, n_folds)
    epochs = max(1, int(np.median([f["best_epoch"] for f in metrics["folds"]])))
    names = feature_names(config.features)
    x_all, y_all = data.training_rows(np.ones(len(items), dtype=bool))
    scaler = Scaler.fit(x_all, names)
    model, _ = fit_model(scaler.transform(x_all), y_all, len(classes), config, epochs=epochs)
    metrics.update(
        {
            "final_fit": {
                "epochs": epochs,
                "n_rows": len(y_all),
                "speakers": sorted(set(data.speakers.tolist())),
            },
            "n_items": len(items),
            "augment_copies": config.model.augment_copies,
        }
    )
    out = save_bundle(out_dir, model, scaler, classes, config, metrics, name=name)
    plot_confusion(
        np.array(metrics["confusion_matrix"]),
        classes,
        out / "confusion_matrix.png",
        title=f"Speaker-disjoint {n_folds}-fold CV (UAR {metrics['summary']['uar']['mean']:.1%})",
    )
    return metrics
