"""Augmentation for training rows only (never for validation or test files): waveforms
(audiomentations), and SpecAugment masks and mixup for log-mel crops."""

from __future__ import annotations

import random

import numpy as np
from audiomentations import AddGaussianSNR, Compose, LowPassFilter, PitchShift, TimeStretch


def make_augmenter() -> Compose:
    """Noise at random SNR, time stretch, pitch shift and a random low-pass (phone-like audio).

    Gain and time shift are left out on purpose: :func:`ser.audio.prepare` normalises level and
    trims leading/trailing silence, so they would change nothing the model sees.
    """
    return Compose(
        [
            AddGaussianSNR(min_snr_db=10.0, max_snr_db=40.0, p=0.5),
            TimeStretch(min_rate=0.85, max_rate=1.15, leave_length_unchanged=False, p=0.5),
            PitchShift(min_semitones=-2.0, max_semitones=2.0, p=0.5),
            LowPassFilter(min_cutoff_freq=3500.0, max_cutoff_freq=7500.0, p=0.25),
        ]
    )


def augment(y: np.ndarray, sr: int, seed: int, augmenter: Compose | None = None) -> np.ndarray:
    """One augmented copy of mono ``y``; the same ``seed`` gives the same copy."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    augmenter = augmenter or make_augmenter()
    return augmenter(samples=y.astype(np.float32), sample_rate=sr)


def spec_augment(
    crops: np.ndarray,
    rng: np.random.Generator,
    freq_masks: int = 2,
    freq_mask_bands: int = 8,
    time_masks: int = 2,
    time_mask_frames: int = 24,
    fill: np.ndarray | None = None,
) -> np.ndarray:
    """SpecAugment: mask random rows (mel bands, tracks) and frame ranges of each crop.

    Args:
        crops: Crops, shape ``(n, frames, rows)``; not modified.
        rng: Source of randomness.
        freq_masks: Masks over rows per crop, each 0 to ``freq_mask_bands`` wide.
        time_masks: Masks over frames per crop, each 0 to ``time_mask_frames`` wide.
        fill: What masked cells become, one value per row (e.g. the training mean); ``None``:
            the crop's mean.

    Returns:
        The masked copy, same shape.
    """
    out = crops.copy()
    n, frames, bands = out.shape
    for x in out:
        value = np.full(bands, x.mean(), dtype=out.dtype) if fill is None else fill
        for _ in range(freq_masks):
            width = rng.integers(0, freq_mask_bands + 1)
            start = rng.integers(0, bands - width + 1)
            x[:, start : start + width] = value[start : start + width]
        for _ in range(time_masks):
            width = rng.integers(0, time_mask_frames + 1)
            start = rng.integers(0, frames - width + 1)
            x[start : start + width] = value
    return out


def mixup(
    x: np.ndarray, targets: list[np.ndarray], rng: np.random.Generator, alpha: float = 0.2
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Mixup: blend each row with a random other row of the batch, inputs and targets alike.

    The weight λ ~ Beta(α, α) is folded to ≥ 0.5, so each row stays mostly itself.

    Args:
        x: Inputs, shape ``(n, ...)``.
        targets: Soft targets, each of shape ``(n, k)`` (one-hot classes, probabilities).
        rng: Source of randomness.
        alpha: Beta parameter; small values mix little.
    """
    lam = rng.beta(alpha, alpha, size=len(x)).astype(np.float32)
    lam = np.maximum(lam, 1 - lam)
    perm = rng.permutation(len(x))
    lx = lam.reshape(-1, *([1] * (x.ndim - 1)))
    mixed = [lam[:, None] * t + (1 - lam[:, None]) * t[perm] for t in targets]
    return lx * x + (1 - lx) * x[perm], mixed
