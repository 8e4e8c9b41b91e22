"""Speech-like test signals, made from nothing: for warming a model up, benchmarks and tests.

They are not speech (no words, no real voice), but they have what :func:`ser.audio.find_speech`
and the features look for: voiced syllables with harmonics shaped by formant-like resonances,
a moving pitch, a syllable rhythm and pauses.
"""

from __future__ import annotations

import numpy as np


def synth_speech(
    seconds: float = 3.0,
    sr: int = 22050,
    f0: float = 140.0,
    rate_hz: float = 4.0,
    seed: int = 0,
    lead_silence: float = 0.3,
) -> np.ndarray:
    """Speech-like float32 audio: voiced syllables (harmonics through formant-like resonances,
    a moving F0, a syllable envelope) separated by short pauses, with silence before and after."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = np.zeros(n, dtype=np.float64)
    t0 = lead_silence
    formants = np.array([700.0, 1200.0, 2600.0])
    while t0 < seconds - lead_silence - 0.12:
        dur = min(rng.uniform(0.12, 1.6 / rate_hz), seconds - lead_silence - t0)
        m = int(dur * sr)
        t = np.arange(m) / sr
        pitch = f0 * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
        phase = 2 * np.pi * np.cumsum(pitch) / sr
        seg = np.zeros(m)
        for h in range(1, 30):
            freq = h * pitch
            gain = (
                np.sum(1.0 / (1 + ((freq[:, None] - formants * rng.uniform(0.8, 1.2)) / 150) ** 2), axis=1)
                / h
            )
            seg += gain * np.sin(h * phase) * (freq < sr / 2 - 500)
        seg *= np.hanning(m) * rng.uniform(0.4, 1.0)
        start = int(t0 * sr)
        y[start : start + m] += seg
        t0 += dur + rng.uniform(0.04, 0.12)
    y += rng.normal(0, 1e-4, n)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)
