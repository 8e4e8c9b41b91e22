"""Data assembly: labelled items → what every member type trains and is tested on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ser.config import SERConfig
from ser.datasets import Item
from ser.emotions import INTENSITIES
from ser.extraction import dataset_inputs
from ser.registry import MemberType


@dataclass(frozen=True)
class TrainingData:
    """The inputs and labels of a dataset, one entry per file.

    Attributes:
        inputs: By member type name, per file, what the type stored for each version of the file
            (:meth:`ser.registry.MemberType.file_input`): the clean file first, then its
            augmented copies.
        y: Integer labels, ``(n,)``.
        speakers: Speaker ids, ``(n,)``.
        intensity: 1.0 for strong, 0.0 for normal, ``(n,)``; ``None`` unless every item has one.
        classes: The emotion each label stands for (``classes[y[i]]``); empty when not given.
    """

    inputs: dict[str, list[list[np.ndarray]]]
    y: np.ndarray
    speakers: np.ndarray
    intensity: np.ndarray | None = None
    classes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.y)

    @classmethod
    def from_items(
        cls,
        items: list[Item],
        config: SERConfig,
        classes: list[str],
        cache_dir: str | Path | None = None,
        jobs: int = 1,
        voices: list[np.ndarray] | None = None,
    ) -> TrainingData:
        """Extract (or read from the cache) every member type's inputs of ``items`` and of
        ``config.model.augment_copies`` augmented copies of each; ``voices``: per item, the
        indices of the items its copies may take babble from (:func:`ser.training.folds.fold_mates`)."""
        paths = [Path(it.path) for it in items]
        files = dataset_inputs(
            paths,
            config,
            config.model.augment_copies,
            config.model.seed,
            cache_dir,
            jobs,
            voices=None if voices is None else [[paths[j] for j in v] for v in voices],
        )
        index = {c: i for i, c in enumerate(classes)}
        known = all(it.intensity in INTENSITIES for it in items)
        return cls(
            {m: [f[m] for f in files] for m in config.members},
            np.array([index[it.label] for it in items]),
            np.array([it.speaker for it in items]),
            np.array([it.intensity == "strong" for it in items], dtype=np.float32) if known else None,
            tuple(classes),
        )

    def examples(self, member: MemberType, mask: np.ndarray, config: SERConfig) -> np.ndarray:
        """The clean files in ``mask`` as ``member``'s model takes them at inference (before any
        scaler), ``(n, *input_shape)``."""
        versions = self.inputs[member.name]
        return np.stack([member.example(versions[i][0], config) for i in np.flatnonzero(mask)])
