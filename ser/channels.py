"""How recordings reach us: codecs, the telephone band, background noise and babble, rooms and
other voices. Pure functions over mono float32 arrays, made with well-kept libraries (PyAV's
encoders, audiomentations with pyroomacoustics, librosa, Praat through parselmouth).

:mod:`ser.degrade` writes test copies with them; :mod:`ser.augment` makes training copies with
them. Randomness always comes from the ``rng`` passed in.
"""

from __future__ import annotations

import functools
import io
import random
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ser.audio import decode, downmix, resample

#: The telephone band (Hz) of G.711 narrowband speech.
PHONE_BAND_HZ = (300.0, 3400.0)

#: The F0 range (Hz) :func:`change_speaker` analyses a voice in (Praat's defaults).
PITCH_FLOOR_HZ, PITCH_CEILING_HZ = 75.0, 600.0

#: Lossy codecs users' recordings come through: ``name -> (container, encoder, sample rate or None
#: for the input's)``.
CODECS: dict[str, tuple[str, str, int | None]] = {
    "mp3": ("mp3", "libmp3lame", None),
    "aac": ("ipod", "aac", None),
    "opus": ("webm", "libopus", 48_000),
}


def load_mono(path: str | Path, sample_rate: int) -> np.ndarray:
    """A file as mono float32 at ``sample_rate`` (soundfile; channels by :func:`ser.audio.downmix`,
    resampled only when its rate differs)."""
    import soundfile as sf

    y, sr = sf.read(path, dtype="float32", always_2d=True)
    return resample(downmix(y, sr), sr, sample_rate)


def run_seeded(transform: object, y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Run an audiomentations transform with its randomness (``random``, ``np.random``) seeded
    from ``rng``."""
    seed = int(rng.integers(2**31))
    random.seed(seed)
    np.random.seed(seed)
    return transform(samples=y.astype(np.float32), sample_rate=sr)


def encode_with_av(
    target: str | Path | BinaryIO, y: np.ndarray, sr: int, container: str, codec: str, bit_rate: int | None
) -> None:
    """Encode mono float audio with PyAV (FFmpeg's encoders, shipped in the wheel) to a path or a
    binary file object."""
    import av

    with av.open(target if not isinstance(target, Path) else str(target), mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=sr)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        for i in range(0, len(y), 1024):
            frame = av.AudioFrame.from_ndarray(
                y[None, i : i + 1024].astype(np.float32), format="flt", layout="mono"
            )
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def codec_roundtrip(y: np.ndarray, sr: int, codec: str, bit_rate: int) -> np.ndarray:
    """``y`` encoded with ``codec`` (a key of :data:`CODECS`) at ``bit_rate`` bit/s and decoded
    back (PyAV), mono at ``sr``; the length may differ by the codec's padding."""
    container, encoder, rate = CODECS[codec]
    buffer = io.BytesIO()
    encode_with_av(buffer, resample(y, sr, rate or sr), rate or sr, container, encoder, bit_rate)
    samples, decoded_sr, _ = decode(buffer.getvalue())
    return resample(downmix(samples, decoded_sr), decoded_sr, sr)


def phone_band(
    y: np.ndarray, sr: int, rng: np.random.Generator, edges_hz: tuple[float, float] = PHONE_BAND_HZ
) -> np.ndarray:
    """Band-limit ``y`` to ``edges_hz`` (24 dB/octave high- and low-pass, audiomentations)."""
    from audiomentations import Compose, HighPassFilter, LowPassFilter

    low, high = edges_hz
    band = Compose(
        [
            HighPassFilter(min_cutoff_freq=low, max_cutoff_freq=low, min_rolloff=24, max_rolloff=24, p=1.0),
            LowPassFilter(min_cutoff_freq=high, max_cutoff_freq=high, min_rolloff=24, max_rolloff=24, p=1.0),
        ]
    )
    return run_seeded(band, y, sr, rng)


def telephone(
    y: np.ndarray, sr: int, rng: np.random.Generator, edges_hz: tuple[float, float] = PHONE_BAND_HZ
) -> np.ndarray:
    """The telephone channel heard at ``sr``: the band, 8 kHz, 8-bit μ-law (G.711), and back."""
    import librosa

    narrow = resample(phone_band(y, sr, rng, edges_hz), sr, 8000)
    peak = float(np.max(np.abs(narrow))) + 1e-12
    coded = librosa.mu_expand(
        librosa.mu_compress(narrow / peak, mu=255, quantize=True), mu=255, quantize=True
    )
    return resample(coded.astype(np.float32) * peak, 8000, sr)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech`` plus ``noise`` (looped or cut to its length) scaled to ``snr_db`` (RMS over the
    whole clip, as audiomentations' AddBackgroundNoise measures it)."""
    noise = np.resize(noise, len(speech))
    rms = lambda x: float(np.sqrt(np.mean(np.square(x)))) + 1e-12  # noqa: E731
    return speech + noise * (rms(speech) / rms(noise)) / 10 ** (snr_db / 20)


def babble(voices: Sequence[np.ndarray], length: int, rng: np.random.Generator) -> np.ndarray:
    """Several people talking at once: ``voices`` at equal level, each looped to ``length``
    samples from a random starting point, summed."""
    if not voices:
        raise ValueError("babble needs recordings of other speakers")
    out = np.zeros(length, np.float32)
    for v in voices:
        v = np.roll(np.resize(v, length), int(rng.integers(length)))
        out += v / (np.sqrt(np.mean(np.square(v))) + 1e-12)
    return out


def room(
    y: np.ndarray, sr: int, rng: np.random.Generator, rt60_s: tuple[float, float], rays: int = 10_000
) -> np.ndarray:
    """``y`` played in a random shoebox room with a reverberation time drawn from ``rt60_s``
    (audiomentations' RoomSimulator, pyroomacoustics' hybrid image-source and ray-traced
    simulation), at the original peak level.

    ``rays``: rays the tracer casts (audiomentations' default, 10,000, costs about 180 ms a room;
    2,000 about 100 ms, with the same measured RT60). Every random draw, the ray tracer's
    included, is seeded from ``rng``: the same ``rng`` gives the same samples.
    """
    import pyroomacoustics as pra
    from audiomentations import RoomSimulator

    sim = RoomSimulator(
        calculation_mode="rt60",
        min_target_rt60=rt60_s[0],
        max_target_rt60=rt60_s[1],
        leave_length_unchanged=True,
        ray_tracing_options={"receiver_radius": 0.5, "n_rays": rays, "energy_thres": 1e-5},
        p=1.0,
    )
    numpy_seed, libroom_seed = (int(s) for s in rng.integers(2**31, size=2))
    pra.random.seed(numpy=numpy_seed, libroom=libroom_seed)
    return _at_peak_of(run_seeded(sim, y, sr, rng), y)


@functools.lru_cache(maxsize=4)
def room_responses(
    sr: int, rt60_s: tuple[float, float], n: int = 64, seed: int = 0
) -> tuple[np.ndarray, ...]:
    """A fixed bank of ``n`` room impulse responses at ``sr`` Hz, each starting at its direct
    sound and peak-normalised; computed once per process.

    Shoebox rooms of 3–10 × 3–8 × 2.4–4 m with a talker and a microphone at least 0.5 m from the
    walls, simulated with pyroomacoustics' image-source method (no ray tracing, so the bank is the
    same on every machine and run). A room is kept when its measured RT60 (Schroeder's backward
    integration) lies in ``rt60_s``.
    """
    import pyroomacoustics as pra

    rng = np.random.default_rng(seed)
    bank: list[np.ndarray] = []
    while len(bank) < n:
        size = rng.uniform([3.0, 3.0, 2.4], [10.0, 8.0, 4.0])
        talker, mic = rng.uniform(0.5, size - 0.5, size=(2, 3))
        try:
            absorption, order = pra.inverse_sabine(float(rng.uniform(*rt60_s)), size)
        except ValueError:  # too short a reverberation for so large a room
            continue
        shoebox = pra.ShoeBox(size, fs=sr, materials=pra.Material(absorption), max_order=order)
        shoebox.add_source(talker)
        shoebox.add_microphone(mic)
        shoebox.compute_rir()
        rir = np.asarray(shoebox.rir[0][0], dtype=np.float64)
        if not rt60_s[0] <= pra.experimental.measure_rt60(rir, fs=sr) <= rt60_s[1]:
            continue
        rir = rir[int(np.argmax(np.abs(rir))) :]
        bank.append((rir / np.max(np.abs(rir))).astype(np.float32))
    return tuple(bank)


def reverberate(y: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``y`` convolved with the room impulse response ``rir`` (aligned at its direct sound), same
    length, at the original peak level."""
    from scipy.signal import fftconvolve

    return _at_peak_of(fftconvolve(y, rir)[: len(y)].astype(np.float32), y)


def _at_peak_of(wet: np.ndarray, dry: np.ndarray) -> np.ndarray:
    """``wet`` scaled to the peak level of ``dry`` (a room must not make a recording louder)."""
    return wet * (np.max(np.abs(dry)) / (np.max(np.abs(wet)) + 1e-12))


def change_speaker(
    y: np.ndarray,
    sr: int,
    formant_ratio: float = 1.0,
    pitch_factor: float = 1.0,
    range_factor: float = 1.0,
    duration_factor: float = 1.0,
) -> np.ndarray:
    """Another voice saying the same thing: Praat's "Change gender" (PSOLA, through parselmouth).

    Args:
        y: Mono speech.
        sr: Its sample rate (Hz).
        formant_ratio: Formant frequencies × this (a shorter or longer vocal tract).
        pitch_factor: Median F0 × this (formants kept).
        range_factor: F0 excursions around the median × this (livelier or flatter melody).
        duration_factor: Duration × this (slower above 1), pitch kept.

    Returns:
        Mono float32 at ``sr``; ``y`` unchanged in pitch when Praat finds no voiced frame.
    """
    import parselmouth
    from parselmouth.praat import call, run

    # PSOLA draws random numbers in unvoiced stretches: seed Praat from the signal for repeatability
    run(f"random_initializeWithSeedUnsafelyButPredictably ({zlib.crc32(y.tobytes())})")
    sound = parselmouth.Sound(y.astype(np.float64), sampling_frequency=sr)
    # the pitch analysis Sound: Change gender makes itself (time step 0.8 / floor), made once and
    # shared: the same copy as Sound: Change gender gives, at half the cost of analysing twice
    pitch = sound.to_pitch_ac(
        time_step=0.8 / PITCH_FLOOR_HZ, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    median = call(pitch, "Get quantile", 0, 0, 0.5, "Hertz")
    new_median = median * pitch_factor if np.isfinite(median) else 0.0
    out = call([sound, pitch], "Change gender", formant_ratio, new_median, range_factor, duration_factor)
    return out.values[0].astype(np.float32)
