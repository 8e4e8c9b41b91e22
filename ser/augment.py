"""Waveform augmentation for training rows only (never for validation or test files)."""

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
