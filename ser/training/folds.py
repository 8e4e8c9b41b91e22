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


def fold_mates(speakers: list[str], n_folds: int) -> list[np.ndarray]:
    """Per file, the indices of the files of the *other speakers of its own fold*
    (:func:`speaker_folds`).

    Training copies take background babble from these: whenever a file trains, its whole fold
    trains, so babble never carries a voice of the fold's test or early-stopping speakers.
    """
    speakers_arr = np.asarray(speakers)
    group = {s: k for k, fold in enumerate(speaker_folds(speakers, n_folds)) for s in fold}
    fold_of = np.array([group[s] for s in speakers])
    return [np.flatnonzero((fold_of == fold_of[i]) & (speakers_arr != s)) for i, s in enumerate(speakers)]
