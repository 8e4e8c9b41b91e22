"""Generated audio for tests: speech-like signals, tones, noise, and files in every format."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import soundfile as sf

RAVDESS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ravdess"


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


def tone(seconds: float, sr: int = 22050, freq: float = 50.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_with_av(path: Path, y: np.ndarray, sr: int, container: str, codec: str) -> Path:
    """Encode mono float audio with PyAV (for AAC/M4A and WebM, which soundfile cannot write)."""
    with av.open(str(path), mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = "mono"
        frame_size = 1024
        for i in range(0, len(y), frame_size):
            chunk = y[i : i + frame_size].astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_format(directory: Path, fmt: str, y: np.ndarray, sr: int) -> Path:
    """Write ``y`` as ``fmt`` (wav, flac, ogg, opus, mp3, m4a, webm) and return the path."""
    path = directory / f"clip.{fmt}"
    if fmt in ("wav", "flac"):
        sf.write(path, y, sr)
    elif fmt == "ogg":
        sf.write(path, y, sr, format="OGG", subtype="VORBIS")
    elif fmt == "opus":
        sf.write(path, _resample(y, sr, 48000), 48000, format="OGG", subtype="OPUS")
    elif fmt == "mp3":
        sf.write(path, y, sr, format="MP3")
    elif fmt == "m4a":
        write_with_av(path, y, sr, "ipod", "aac")
    elif fmt == "webm":
        write_with_av(path, _resample(y, sr, 48000), 48000, "webm", "libopus")
    else:
        raise ValueError(fmt)
    return path


def _resample(y: np.ndarray, sr: int, target: int) -> np.ndarray:
    import librosa

    return librosa.resample(y, orig_sr=sr, target_sr=target).astype(np.float32)
