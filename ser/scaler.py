"""Standardisation of the feature vector, fitted on training rows and saved as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """``(x - mean) / scale`` per feature, fitted on training rows.

    Attributes:
        mean: Per-feature mean, shape ``(n_features,)``.
        scale: Per-feature standard deviation (1 for constant features), shape ``(n_features,)``.
        feature_names: The features, in column order.
    """

    mean: np.ndarray
    scale: np.ndarray
    feature_names: tuple[str, ...]

    @classmethod
    def fit(cls, x: np.ndarray, names: list[str]) -> Scaler:
        """Fit on ``x`` of shape ``(n_rows, n_features)``; constant columns get scale 1."""
        std = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(std > 1e-12, std, 1.0), tuple(names))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardised float32 rows of ``x`` ``(n_rows, n_features)``."""
        return ((x - self.mean) / self.scale).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scaler:
        """Inverse of :meth:`to_json`.

        Raises:
            ValueError: The lengths differ or a scale is not positive.
        """
        mean = np.asarray(data["mean"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        names = tuple(data["feature_names"])
        if not (len(mean) == len(scale) == len(names)) or np.any(scale <= 0):
            raise ValueError("lengths differ or a scale is ≤ 0")
        return cls(mean, scale, names)
