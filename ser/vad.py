"""Voicing: is there a voice in a recording whose loudness barely moves (speech over steady
noise, babble or music), or only a tone, a hum or noise?

Speech is voiced in stretches (the vocal folds vibrate at 70–400 Hz) and its pitch moves; a
tone or a hum is periodic at one unchanging pitch, and noise is not periodic at all. Per frame,
the normalised autocorrelation of the signal's voice band (80–1000 Hz, at 8 kHz) gives the
periodicity and the pitch (the shortest lag whose local peak is nearly the highest within the
voice's range). Numpy and scipy over librosa's framing.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
from scipy import signal as sps

#: The voice's pitch range (Hz).
F0_MIN_HZ = 70.0
F0_MAX_HZ = 400.0
#: Rate (Hz) the voicing is analysed at, and the band kept (Hz): the voice's low harmonics.
ANALYSIS_SR = 8000
_VOICE_BAND = sps.butter(4, (80.0, 1000.0), btype="bandpass", fs=ANALYSIS_SR, output="sos")
#: A frame whose normalised autocorrelation peak reaches this is voiced. At 0 dB SNR (white
#: noise) a vowel keeps about half its periodicity; noise alone stays well under.
VOICED_PERIODICITY = 0.45
#: Largest pitch change between consecutive voiced frames 10 ms apart (octaves, ~1.2 semitones).
MAX_PITCH_STEP_OCT = 0.1
#: Voiced frames whose pitch spreads less than this (std of log2 F0, octaves) are a tone or a
#: hum: speech intonation moves by several semitones.
MIN_PITCH_SPREAD_OCT = 0.05


@dataclass(frozen=True)
class Voicing:
    """Per-frame voicing of a signal.

    Attributes:
        periodicity: Normalised autocorrelation peak in the voice's lag range, ``(n_frames,)``,
            0 (no periodicity) to 1.
        f0: The pitch of that peak in Hz, ``(n_frames,)``; NaN where no peak was found.
        hop_s: Seconds between frames.
    """

    periodicity: np.ndarray
    f0: np.ndarray
    hop_s: float

    @property
    def voiced(self) -> np.ndarray:
        """Frames at or above :data:`VOICED_PERIODICITY` whose pitch continues from the frame
        before (within :data:`MAX_PITCH_STEP_OCT`): a voice glides, noise jumps. ``(n_frames,)`` bool."""
        periodic = self.periodicity >= VOICED_PERIODICITY
        with np.errstate(invalid="ignore"):
            step = np.abs(np.diff(np.log2(self.f0)))
        glides = np.concatenate([[False], periodic[1:] & periodic[:-1] & (step < MAX_PITCH_STEP_OCT)])
        return glides | np.concatenate([glides[1:], [False]])

    @property
    def voiced_s(self) -> float:
        """Seconds of voiced frames."""
        return float(self.voiced.sum()) * self.hop_s

    @property
    def pitch_spread_oct(self) -> float:
        """Standard deviation of log2 F0 over the voiced frames (octaves); 0 with fewer than two."""
        f0 = self.f0[self.voiced & np.isfinite(self.f0)]
        return float(np.std(np.log2(f0))) if len(f0) > 1 else 0.0


def voicing(y: np.ndarray, sr: int, frame_s: float = 0.04, hop_s: float = 0.01) -> Voicing:
    """Periodicity and pitch of each ``frame_s`` frame of mono ``y``, every ``hop_s`` seconds."""
    x = librosa.resample(
        np.asarray(y, dtype=np.float32), orig_sr=sr, target_sr=ANALYSIS_SR, res_type="soxr_lq"
    )
    x = sps.sosfiltfilt(_VOICE_BAND, librosa.effects.preemphasis(x, coef=0.9))  # flattens rumble
    sr = ANALYSIS_SR
    frame, hop = int(frame_s * sr), int(hop_s * sr)
    if len(x) < frame:
        return Voicing(np.zeros(0), np.zeros(0), hop_s)
    frames = librosa.util.frame(x, frame_length=frame, hop_length=hop, axis=0).astype(np.float64)
    frames = frames - frames.mean(axis=1, keepdims=True)
    n_fft = 1 << (2 * frame - 1).bit_length()
    acf = np.fft.irfft(np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2, axis=1)[:, :frame]
    energy = acf[:, :1]
    lags = np.arange(frame)
    acf = acf / np.maximum(energy, 1e-12) * frame / np.maximum(frame - lags, 1)  # unbiased, r[0] = 1
    lo, hi = int(sr / F0_MAX_HZ), min(int(sr / F0_MIN_HZ), frame - 2)
    window = acf[:, lo - 1 : hi + 2]
    inner = window[:, 1:-1]
    is_peak = (inner > window[:, :-2]) & (inner >= window[:, 2:])  # a local maximum, not the range's edge
    candidates = np.where(is_peak, inner, -np.inf)
    top = candidates.max(axis=1, keepdims=True)
    # the shortest lag whose peak is nearly the highest: the period, not a multiple of it
    best = np.argmax(candidates >= 0.9 * top, axis=1)
    periodicity = np.take_along_axis(candidates, best[:, None], axis=1)[:, 0]
    silent = energy[:, 0] <= 1e-12
    found = np.isfinite(periodicity) & ~silent
    f0 = np.where(found, sr / (lo + best), np.nan)
    return Voicing(np.where(found, np.clip(periodicity, 0.0, 1.0), 0.0), f0, hop_s)


def sounds_voiced(y: np.ndarray, sr: int, min_voiced_s: float) -> bool:
    """Whether mono ``y`` holds at least ``min_voiced_s`` seconds of voice with moving pitch:
    speech (also under steady noise, babble or music), not a tone, a hum or noise."""
    v = voicing(y, sr)
    return v.voiced_s >= min_voiced_s and v.pitch_spread_oct >= MIN_PITCH_SPREAD_OCT
