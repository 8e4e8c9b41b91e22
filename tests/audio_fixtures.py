"""Generated audio for tests: speech-like signals, tones, noise, and files in every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from ser.audio import resample
from ser.channels import encode_with_av
from ser.channels import mix_at_snr as mix  # noqa: F401  (speech over a background)
from ser.synthetic import synth_speech  # noqa: F401  (the tests' speech)

RAVDESS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"


def tone(seconds: float, sr: int = 22050, freq: float = 50.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_format(directory: Path, fmt: str, y: np.ndarray, sr: int) -> Path:
    """Write ``y`` as ``fmt`` (wav, flac, ogg, opus, mp3, m4a, webm) and return the path."""
    path = directory / f"clip.{fmt}"
    if fmt in ("wav", "flac"):
        sf.write(path, y, sr)
    elif fmt == "ogg":
        sf.write(path, y, sr, format="OGG", subtype="VORBIS")
    elif fmt == "opus":
        sf.write(path, resample(y, sr, 48000), 48000, format="OGG", subtype="OPUS")
    elif fmt == "mp3":
        sf.write(path, y, sr, format="MP3")
    elif fmt == "m4a":
        encode_with_av(path, y, sr, "ipod", "aac", None)
    elif fmt == "webm":
        encode_with_av(path, resample(y, sr, 48000), 48000, "webm", "libopus", None)
    else:
        raise ValueError(fmt)
    return path


def coloured_noise(seconds: float, sr: int = 22050, exponent: float = 1.0, seed: int = 0) -> np.ndarray:
    """Noise whose power falls as 1/f^exponent: 0 white, 1 pink, 2 brown; peak 0.5."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    spectrum = np.fft.rfft(rng.normal(size=n))
    f = np.arange(len(spectrum))
    spectrum[1:] /= f[1:] ** (exponent / 2)
    y = np.fft.irfft(spectrum, n)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def music(seconds: float, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A music bed: major triads of harmonic tones, a new chord every half second; peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for k in range(int(np.ceil(seconds * 2))):
        part = (t >= k / 2) & (t < (k + 1) / 2)
        root = rng.choice([196.0, 220.0, 247.0, 262.0, 294.0, 330.0])
        for ratio in (1.0, 1.25, 1.5):
            for h in range(1, 6):
                y[part] += np.sin(2 * np.pi * root * ratio * h * t[part]) / h
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def babble(seconds: float, sr: int = 22050, voices: int = 4, seed: int = 0) -> np.ndarray:
    """Several generated talkers at once, no pauses; peak 0.5."""
    y = sum(
        synth_speech(seconds, sr, f0=100 + 40 * i, rate_hz=3 + i, seed=seed + i, lead_silence=0.0)
        for i in range(voices)
    )
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)
