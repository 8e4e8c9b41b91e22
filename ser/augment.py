"""Augmentation for training rows only (never for validation or test files): waveforms (the
recipes of :class:`ser.config.AugmentConfig`, with :mod:`ser.channels`), and SpecAugment masks and
mixup for crops."""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ser import channels
from ser.config import AugmentConfig

#: Bit rates (bit/s) the world recipe's codecs are drawn from.
CODEC_BIT_RATES: dict[str, tuple[int, ...]] = {
    "mp3": (32_000, 48_000, 64_000, 96_000),
    "aac": (32_000, 64_000, 96_000),
    "opus": (16_000, 24_000, 32_000, 48_000),
}


def augment(
    y: np.ndarray,
    sr: int,
    seed: int,
    config: AugmentConfig | None = None,
    voices: Sequence[str | Path] = (),
) -> np.ndarray:
    """One augmented copy of mono ``y`` (float32 at ``sr`` Hz); the same ``seed`` gives the same copy
    (with ``room_bank`` 0, but for the late tail of a room: :func:`ser.channels.room`).

    Args:
        y: The clean recording.
        sr: Its rate (Hz).
        seed: Seed of every random choice.
        config: The recipe (default :class:`~ser.config.AugmentConfig`).
        voices: Recordings of *other training speakers* for babble (world recipe).

    Returns:
        The copy at ``sr`` Hz; its length may differ (tempo, codecs).
    """
    config = config or AugmentConfig()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if config.recipe == "basic":
        return _basic()(samples=y.astype(np.float32), sample_rate=sr)
    return _world(y.astype(np.float32), sr, np.random.default_rng(seed), config, voices)


def _basic():  # noqa: ANN202  (an audiomentations Compose)
    """Noise at random SNR, time stretch, pitch shift and a random low-pass (bundles before 0.5).

    Gain and time shift are left out on purpose: :func:`ser.audio.prepare` normalises level and
    trims leading/trailing silence, so they would change nothing the model sees.
    """
    from audiomentations import AddGaussianSNR, Compose, LowPassFilter, PitchShift, TimeStretch

    return Compose(
        [
            AddGaussianSNR(min_snr_db=10.0, max_snr_db=40.0, p=0.5),
            TimeStretch(min_rate=0.85, max_rate=1.15, leave_length_unchanged=False, p=0.5),
            PitchShift(min_semitones=-2.0, max_semitones=2.0, p=0.5),
            LowPassFilter(min_cutoff_freq=3500.0, max_cutoff_freq=7500.0, p=0.25),
        ]
    )


def _world(
    y: np.ndarray, sr: int, rng: np.random.Generator, c: AugmentConfig, voices: Sequence[str | Path]
) -> np.ndarray:
    """The world recipe's four steps (see :class:`~ser.config.AugmentConfig`).

    Level is left alone: :func:`ser.audio.prepare` normalises it, so a gain would change nothing
    the model sees (quiet copies are measured in :mod:`ser.degrade`: no loss).
    """
    from audiomentations import AddColorNoise

    if rng.random() < c.speaker_p:
        y = channels.change_speaker(
            y,
            sr,
            formant_ratio=rng.uniform(*c.formant_ratio),
            pitch_factor=2 ** (rng.uniform(-c.pitch_semitones, c.pitch_semitones) / 12),
            range_factor=rng.uniform(*c.pitch_range),
            duration_factor=rng.uniform(*c.tempo),
        )
    if rng.random() < c.room_p:
        if c.room_bank:
            rooms = channels.room_responses(sr, c.rt60_s, c.room_bank)
            y = channels.reverberate(y, rooms[int(rng.integers(len(rooms)))])
        else:
            y = channels.room(y, sr, rng, c.rt60_s, rays=c.room_rays)
    if rng.random() < c.noise_p:
        snr = float(rng.uniform(*c.snr_db))
        if voices and rng.random() < c.babble_share:
            picks = rng.choice(len(voices), size=min(int(rng.integers(3, 7)), len(voices)), replace=False)
            crowd = channels.babble([_voice(voices[i], sr) for i in picks], len(y), rng)
            y = channels.mix_at_snr(y, crowd, snr)
        else:
            noise = AddColorNoise(min_snr_db=snr, max_snr_db=snr, min_f_decay=-6.0, max_f_decay=6.0, p=1.0)
            y = channels.run_seeded(noise, y, sr, rng)
    if rng.random() < c.channel_p:
        if rng.random() < c.phone_share:
            low, high = channels.PHONE_BAND_HZ
            y = channels.telephone(y, sr, rng, (rng.uniform(0.7, 1.3) * low, rng.uniform(0.9, 1.05) * high))
        else:
            codec = str(rng.choice(list(CODEC_BIT_RATES)))
            y = channels.codec_roundtrip(y, sr, codec, int(rng.choice(CODEC_BIT_RATES[codec])))
    return y.astype(np.float32)


@functools.lru_cache(maxsize=256)
def _voice(path: str | Path, sr: int) -> np.ndarray:
    """A babble voice, decoded once per worker: a fold's few hundred files are drawn again and
    again by its other files' copies (read-only, ~0.3 MB each)."""
    y = channels.load_mono(path, sr)
    y.flags.writeable = False
    return y


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
        freq_masks: Masks over rows per crop, each 0 to ``freq_mask_bands`` wide (at most half
            the rows, so that a crop of few rows is never masked whole).
        time_masks: Masks over frames per crop, each 0 to ``time_mask_frames`` wide (at most
            half the frames).
        fill: What masked cells become, one value per row (e.g. the training mean); ``None``:
            the crop's mean.

    Returns:
        The masked copy, same shape.
    """
    out = crops.copy()
    n, frames, bands = out.shape
    freq_mask_bands, time_mask_frames = min(freq_mask_bands, bands // 2), min(time_mask_frames, frames // 2)
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


def shuffle_pieces(
    crops: np.ndarray, rng: np.random.Generator, share: float = 0.5, piece_frames: int = 32
) -> np.ndarray:
    """Cut a share of the crops into pieces and put each one's pieces in a random order.

    RAVDESS actors read two sentences, so a model can learn their words' order instead of how
    they are said. A shuffled crop keeps every frame (pitch, energy, voice quality, rhythm within
    a piece) and loses the sentence.

    Args:
        crops: Crops, shape ``(n, frames, ...)``; not modified.
        rng: Source of randomness (not drawn from when ``share`` is 0).
        share: Probability that a crop is shuffled.
        piece_frames: Mean piece length in frames (cut points drawn uniformly; 32 frames of 256
            samples at 22.05 kHz ≈ 0.37 s, a word or two).

    Returns:
        The shuffled copy, same shape; ``crops`` itself when ``share`` is 0 (no copy on the
        training path when the option is off).
    """
    if share <= 0:
        return crops
    out = crops.copy()
    n, frames = crops.shape[:2]
    n_pieces = max(2, round(frames / piece_frames))
    for i in np.flatnonzero(rng.random(n) < share):
        cuts = np.sort(rng.choice(np.arange(1, frames), size=n_pieces - 1, replace=False))
        pieces = np.split(crops[i], cuts)
        out[i] = np.concatenate([pieces[k] for k in rng.permutation(n_pieces)])
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
