"""Speaker-disjoint splits: the folds of cross-validation and the early-stopping speakers."""

from __future__ import annotations

import numpy as np


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
