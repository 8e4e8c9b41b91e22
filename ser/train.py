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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ser.augment import mixup, spec_augment
from ser.bundle import Scaler, save_bundle
from ser.config import MEMBER_INPUTS, MEMBER_TITLES, CNNConfig, SERConfig
from ser.datasets import Item
from ser.extraction import dataset_inputs
from ser.features import feature_names, frame_crop
from ser.metrics import confusion, plot_confusion, report, scores, summarise_folds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureSet:
    """Model inputs of a dataset.

    Attributes:
        clean: Feature vectors of the files, ``(n, F)``.
        augmented: Vectors of their augmented copies, ``(n, copies, F)``.
        y: Integer labels, ``(n,)``.
        speakers: Speaker ids, ``(n,)``.
        logmels: Per file, the log-mel spectrograms ``(n_mels, T)`` of the clean file and of
            each augmented copy.
        intensity: 1.0 for strong, 0.0 for normal, ``(n,)``; ``None`` unless every item has one.
        tracks: Per file, the acoustic tracks ``(n_tracks, T)`` of the clean file and of each
            augmented copy.
    """

    clean: np.ndarray
    augmented: np.ndarray
    y: np.ndarray
    speakers: np.ndarray
    logmels: list[list[np.ndarray]] = field(default_factory=list)
    intensity: np.ndarray | None = None
    tracks: list[list[np.ndarray]] = field(default_factory=list)

    @classmethod
    def from_items(
        cls,
        items: list[Item],
        config: SERConfig,
        classes: list[str],
        cache_dir: str | Path | None = None,
        jobs: int = 1,
    ) -> FeatureSet:
        files = dataset_inputs(
            [it.path for it in items], config, config.model.augment_copies, config.model.seed, cache_dir, jobs
        )
        rows = np.stack([f.vectors for f in files])
        index = {c: i for i, c in enumerate(classes)}
        known = all(it.intensity in ("normal", "strong") for it in items)
        return cls(
            rows[:, 0],
            rows[:, 1:],
            np.array([index[it.label] for it in items]),
            np.array([it.speaker for it in items]),
            [f.logmels for f in files],
            np.array([it.intensity == "strong" for it in items], dtype=np.float32) if known else None,
            [f.tracks for f in files],
        )

    def training_rows(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clean and augmented rows of the files in ``mask``, with their labels."""
        x = np.concatenate([self.clean[mask], self.augmented[mask].reshape(-1, self.clean.shape[1])])
        copies = self.augmented.shape[1]
        y = np.concatenate([self.y[mask], np.repeat(self.y[mask], copies)])
        return x, y

    def matrices(self, member: str) -> list[list[np.ndarray]]:
        """Per file, the per-frame matrices conv model ``member`` reads (``"cnn"``: log-mel,
        ``"tracks"``: acoustic tracks), clean first."""
        return {"cnn": self.logmels, "tracks": self.tracks}[member]

    def crops(self, mask: np.ndarray, member: str, frames: int) -> np.ndarray:
        """Centred crops of the clean files in ``mask`` for conv model ``member``,
        ``(n, frames, rows)``, padded as at inference (:func:`ser.features.extract_inputs`)."""
        fill = np.nan if member == "tracks" else None
        matrices = self.matrices(member)
        return np.stack([frame_crop(matrices[i][0], frames, fill=fill) for i in np.flatnonzero(mask)])


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
    return average_models(members, name="ser_mlp_ensemble"), int(np.median(best))


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


def fit_cnn(
    data: FeatureSet, mask: np.ndarray, n_classes: int, config: SERConfig, member: str = "cnn"
) -> Any:
    """Train conv model ``member`` (``"cnn"``: 2-D over log-mel; ``"tracks"``: 1-D over the
    acoustic tracks) on the files in ``mask``: ``ensemble`` of them (seeds ``seed``, ``+ 1``, …)
    for ``epochs`` epochs each, averaged into one model.

    Each epoch sees every training file once, as a random one of its clean and augmented
    versions, randomly cropped or placed in the crop, masked (SpecAugment) and mixed up.
    Standardisation statistics come from the clean training files only.
    """
    from ser.model import average_models, build_cnn, build_track_cnn

    cc = config.conv(member)
    build = build_cnn if member == "cnn" else build_track_cnn
    files = np.flatnonzero(mask)
    matrices = data.matrices(member)
    frames = np.concatenate([matrices[i][0] for i in files], axis=1).astype(np.float64)
    mean, variance = frames.mean(axis=1), frames.var(axis=1)
    steps = cc.epochs * int(np.ceil(len(files) / cc.batch_size))
    # the 1-D CNN pads with the training mean (NaN at inference, which it reads as that mean)
    fill = mean.astype(np.float32) if member == "tracks" else None
    members = []
    for m in range(cc.ensemble):
        seed = cc.seed + m
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        model = build(
            frames.shape[0],
            n_classes,
            mean,
            variance,
            steps,
            cc,
            intensity=data.intensity is not None,
            name=f"ser_{member}_{m}",
        )
        model.fit(_CropEpochs(data, matrices, files, n_classes, cc, rng, fill), epochs=cc.epochs, verbose=0)
        members.append(model)
    return average_models(members, name=f"ser_{member}_ensemble")


class _CropEpochs(keras.utils.PyDataset):
    """Batches of augmented training crops; a fresh draw of versions, crops, masks and mixup
    partners every epoch (one ``fit`` call for the whole training)."""

    def __init__(
        self,
        data: FeatureSet,
        matrices: list[list[np.ndarray]],
        files: np.ndarray,
        n_classes: int,
        cc: CNNConfig,
        rng: np.random.Generator,
        fill: np.ndarray | None,
    ) -> None:
        super().__init__()
        self.data, self.matrices, self.files, self.n_classes = data, matrices, files, n_classes
        self.cc, self.rng, self.fill = cc, rng, fill
        self.on_epoch_end()

    def __len__(self) -> int:
        return int(np.ceil(len(self.files) / self.cc.batch_size))

    def __getitem__(self, i: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        batch = slice(i * self.cc.batch_size, (i + 1) * self.cc.batch_size)
        x, targets = self.epoch
        return x[batch], {k: v[batch] for k, v in targets.items()}

    def on_epoch_end(self) -> None:
        """Draw the next epoch: one augmented crop of every training file, in a new order."""
        cc, rng = self.cc, self.rng
        files = rng.permutation(self.files)
        crops = []
        for i in files:
            versions = self.matrices[i]
            spec = versions[rng.integers(len(versions))].astype(np.float32)
            offset = int(rng.integers(abs(spec.shape[1] - cc.frames) + 1))
            crops.append(frame_crop(spec, cc.frames, offset, fill=self.fill))
        x = spec_augment(
            np.stack(crops),
            rng,
            cc.freq_masks,
            cc.freq_mask_bands,
            cc.time_masks,
            cc.time_mask_frames,
            fill=self.fill,
        )
        targets = [np.eye(self.n_classes, dtype=np.float32)[self.data.y[files]]]
        if self.data.intensity is not None:
            targets.append(self.data.intensity[files, None])
        if cc.mixup_alpha > 0:
            x, targets = mixup(x, targets, rng, cc.mixup_alpha)
        self.epoch = x, dict(zip(("emotion", "intensity"), targets))


@dataclass
class FoldModels:
    """The models of one training set (by member name), and what they predict for a set of files."""

    members: dict[str, Any] = field(default_factory=dict)
    scaler: Scaler | None = None
    mlp_epochs: int = 0

    def predict(
        self, data: FeatureSet, mask: np.ndarray, config: SERConfig
    ) -> dict[str, dict[str, np.ndarray]]:
        """Outputs per member (``"mlp"``, ``"cnn"``, ``"tracks"``) and, for a fusion, of the
        ``"fusion"``: its members' emotion probabilities pooled by ``config.fusion``, and their
        mean P(strong), as :func:`ser.model.average_models` computes them."""
        from ser.model import outputs_of, pool_probabilities

        out = {}
        for name, model in self.members.items():
            x = (
                self.scaler.transform(data.clean[mask])
                if name == "mlp"
                else data.crops(mask, name, config.conv(name).frames)
            )
            out[name] = {k: np.asarray(v) for k, v in outputs_of(model.predict_on_batch(x)).items()}
        if config.model_type == "fusion":
            fused = {
                "emotion": pool_probabilities([out[m]["emotion"] for m in config.members], config.fusion)
            }
            strong = [out[m]["intensity"] for m in config.members if "intensity" in out[m]]
            if strong:
                fused["intensity"] = np.mean(strong, axis=0)
            out["fusion"] = {k: np.asarray(v) for k, v in fused.items()}
        return out


def fit_models(
    data: FeatureSet,
    train: np.ndarray,
    n_classes: int,
    config: SERConfig,
    validation: np.ndarray | None = None,
    mlp_epochs: int | None = None,
) -> FoldModels:
    """Fit every model ``config.members`` names on the files in ``train``.

    The MLP stops early on the ``validation`` files when given (and, with ``model.refit``,
    is then retrained on ``train | validation``), else trains ``mlp_epochs`` epochs; the conv
    models train on ``train | validation`` for their fixed epoch counts.
    """
    names = feature_names(config.features)
    everything = train if validation is None else train | validation
    models = FoldModels()
    for member in config.members:
        if member != "mlp":
            models.members[member] = fit_cnn(data, everything, n_classes, config, member)
            continue
        x, y = data.training_rows(train)
        models.scaler = Scaler.fit(x, names)
        held_out = (
            None
            if validation is None
            else (models.scaler.transform(data.clean[validation]), data.y[validation])
        )
        models.members["mlp"], models.mlp_epochs = fit_model(
            models.scaler.transform(x), y, n_classes, config, validation=held_out, epochs=mlp_epochs
        )
        if validation is not None and config.model.refit:
            x, y = data.training_rows(everything)
            models.scaler = Scaler.fit(x, names)
            models.members["mlp"], _ = fit_model(
                models.scaler.transform(x), y, n_classes, config, epochs=models.mlp_epochs
            )
    return models


def _fold_scores(
    data: FeatureSet, mask: np.ndarray, outputs: dict[str, np.ndarray], n_classes: int
) -> dict[str, float]:
    result = scores(data.y[mask], np.argmax(outputs["emotion"], axis=1), n_classes)
    if "intensity" in outputs and data.intensity is not None:
        truth = data.intensity[mask] > 0.5
        guess = outputs["intensity"][:, 0] > 0.5
        result["intensity_accuracy"] = float(np.mean(truth == guess))
    return result


def cross_validate(
    data: FeatureSet, classes: list[str], config: SERConfig, n_folds: int = 5
) -> dict[str, Any]:
    """Speaker-disjoint k-fold CV; returns per-fold scores, their summary and pooled report.

    ``folds``/``summary``/``report`` describe ``config.model_type``; for fusion, ``models``
    also holds each member's per-fold scores and summary on the same folds.
    """
    folds, y_true, y_pred = [], [], []
    members: dict[str, list[dict[str, float]]] = {}
    for k, test_speakers in enumerate(speaker_folds(data.speakers.tolist(), n_folds)):
        test = np.isin(data.speakers, test_speakers)
        val_speakers = validation_speakers(data.speakers[~test].tolist())
        val = np.isin(data.speakers, val_speakers)
        models = fit_models(data, ~test & ~val, len(classes), config, validation=val)
        outputs = models.predict(data, test, config)
        for name, out in outputs.items():
            members.setdefault(name, []).append(_fold_scores(data, test, out, len(classes)))
        shipped = outputs[config.model_type]
        pred = np.argmax(shipped["emotion"], axis=1)
        fold_scores = _fold_scores(data, test, shipped, len(classes))
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
                "best_epoch": models.mlp_epochs,
                **fold_scores,
            }
        )
        y_true.append(data.y[test])
        y_pred.append(pred)
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    metrics = {
        "protocol": _protocol(config, n_folds),
        "model_type": config.model_type,
        "classes": classes,
        "folds": folds,
        "summary": summarise_folds(folds),
        "report": report(y_true, y_pred, classes),
        "confusion_matrix": confusion(y_true, y_pred, len(classes)).tolist(),
    }
    if len(members) > 1:
        metrics["models"] = {
            name: {"folds": fold_list, "summary": summarise_folds(fold_list)}
            for name, fold_list in members.items()
        }
    return metrics


def _protocol(config: SERConfig, n_folds: int) -> str:
    parts = [
        f"speaker-disjoint {n_folds}-fold cross-validation",
        "augmentation on training files only",
    ]
    for member in config.members:
        if member == "mlp":
            parts.append(
                "MLP: scaler fitted per fold on training rows; early stopping on held-out training speakers"
            )
            if config.model.refit:
                parts.append("then refit on all the fold's training speakers for that many epochs")
        else:
            parts.append(
                f"{MEMBER_TITLES[member]}: {config.conv(member).epochs} epochs on all the fold's training "
                "speakers, standardised with their statistics; masking and mixup"
            )
    if config.model_type == "fusion":
        names = ", ".join(MEMBER_TITLES[m] for m in config.members)
        parts.append(f"fusion: the {config.fusion} mean of the probabilities of {names}")
    return "; ".join(parts)


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
    from ser.model import average_models

    started = time.perf_counter()
    config = config or SERConfig()
    classes = classes or sorted({it.label for it in items})  # all of RAVDESS: EMOTIONS' order
    data = FeatureSet.from_items(items, config, classes, cache_dir, jobs)
    metrics = cross_validate(data, classes, config, n_folds)
    everyone = np.ones(len(items), dtype=bool)
    epochs = max(1, int(np.median([f["best_epoch"] for f in metrics["folds"]])))
    final = fit_models(data, everyone, len(classes), config, mlp_epochs=epochs)
    model = average_models(
        [final.members[m] for m in config.members], name=f"ser_{config.model_type}", rule=config.fusion
    )
    metrics.update(
        {
            "final_fit": {
                **{
                    f"{m}_epochs": (epochs if m == "mlp" else config.conv(m).epochs)
                    if m in config.members
                    else None
                    for m in MEMBER_INPUTS
                },
                "n_files": len(items),
                "speakers": sorted(set(data.speakers.tolist())),
            },
            "n_items": len(items),
            "augment_copies": config.model.augment_copies,
            "intensity": data.intensity is not None,
            "training_minutes": round((time.perf_counter() - started) / 60, 1),
        }
    )
    out = save_bundle(out_dir, model, final.scaler, classes, config, metrics, name=name)
    plot_confusion(
        np.array(metrics["confusion_matrix"]),
        classes,
        out / "confusion_matrix.png",
        title=f"Speaker-disjoint {n_folds}-fold CV (UAR {metrics['summary']['uar']['mean']:.1%})",
    )
    return metrics
