"""Audio in: decode anything a person may upload or record, validate it and find the speech.

Every input goes through :func:`load_audio`, which returns an :class:`Audio` whose ``signal`` is
mono float32 at the model's rate, band-limited, and level-normalised over its speech part, so
that the features do not depend on recording level, channel count or resampler.

Bad input raises a subclass of :class:`AudioError` with a message a person understands.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av
import librosa
import numpy as np
import soundfile as sf
from scipy import signal as sps

from ser.config import AudioConfig
from ser.errors import SERError
from ser.vad import sounds_voiced

logger = logging.getLogger(__name__)

#: File extensions accepted from paths (lower case).
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".mp4", ".webm", ".aiff", ".aif"}
)

#: The sample rate below which audio is treated as narrow-band telephone speech.
NARROWBAND_HZ = 16000
#: Audio sampled below this rate cannot carry intelligible speech.
MIN_SAMPLE_RATE = 8000

#: What :func:`load_audio` accepts: a path, encoded bytes, or Gradio's ``(sample_rate, array)``.
AudioSource = str | os.PathLike | bytes | tuple


class AudioError(SERError, ValueError):
    """Base class of every problem with an input recording. ``str(err)`` is user-facing."""


class UnreadableAudioError(AudioError):
    """The input is not audio, or it is corrupt."""


class UnsupportedFormatError(AudioError):
    """The input is in a format (or sample rate) that is not supported."""


class EmptyAudioError(AudioError):
    """The input decodes to zero samples."""


class NonFiniteAudioError(AudioError):
    """The input contains NaN or infinite samples."""


class TooLongError(AudioError):
    """The input is longer (or larger) than the configured limit."""


class NoSpeechError(AudioError):
    """The input holds silence, a steady tone or noise: nothing to classify."""


class TooShortError(AudioError):
    """The input holds less speech than a prediction needs."""


@dataclass(frozen=True)
class Audio:
    """A validated recording, ready for feature extraction.

    Attributes:
        signal: Mono float32 samples at ``sample_rate``, shape ``(n,)``, level-normalised.
        sample_rate: Rate of ``signal`` in Hz.
        intervals: Speech intervals in samples of ``signal``, shape ``(k, 2)``, start/end.
        original_sample_rate: Rate of the input in Hz.
        channels: Channel count of the input.
        format: Container/codec name of the input (``"array"`` for arrays).
        level_dbfs: RMS level of the speech as recorded, before normalisation (dBFS).
        warnings: Things a person should know about the result (e.g. narrow-band audio).
    """

    signal: np.ndarray
    sample_rate: int
    intervals: np.ndarray
    original_sample_rate: int
    channels: int
    format: str
    level_dbfs: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the whole recording in seconds."""
        return len(self.signal) / self.sample_rate

    @property
    def speech_s(self) -> float:
        """Seconds of detected speech."""
        return float(np.sum(self.intervals[:, 1] - self.intervals[:, 0])) / self.sample_rate

    @property
    def speech_ratio(self) -> float:
        """Fraction of the recording that is speech, in [0, 1]."""
        return self.speech_s / self.duration_s

    @property
    def speech(self) -> np.ndarray:
        """The recording trimmed to its speech: first speech onset to last speech offset."""
        return self.signal[self.intervals[0, 0] : self.intervals[-1, 1]]

    @property
    def speech_offset_s(self) -> float:
        """Where :attr:`speech` starts in the recording, in seconds."""
        return float(self.intervals[0, 0]) / self.sample_rate


def load_audio(source: AudioSource, config: AudioConfig | None = None) -> Audio:
    """Decode, validate and prepare a recording.

    Args:
        source: A file path, the encoded bytes of a file, or a ``(sample_rate, samples)`` pair as
            Gradio hands it (int or float samples, shape ``(n,)`` or ``(n, channels)``).
        config: Limits and preprocessing; defaults to :class:`ser.config.AudioConfig`.

    Returns:
        The prepared :class:`Audio`.

    Raises:
        AudioError: A subclass saying what is wrong with the input.
    """
    config = config or AudioConfig()
    samples, sample_rate, fmt = decode(source, config)
    return prepare(samples, sample_rate, config, fmt=fmt)


def decode(source: AudioSource, config: AudioConfig | None = None) -> tuple[np.ndarray, int, str]:
    """Decode ``source`` into float32 samples of shape ``(n, channels)``, its rate and format."""
    config = config or AudioConfig()
    if isinstance(source, tuple):
        return _from_array(source) + ("array",)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > config.max_bytes:
            raise TooLongError(_too_large_message(len(data), config))
        if not data:
            raise EmptyAudioError("The file is empty (0 bytes).")
        return _decode_encoded(lambda: io.BytesIO(data), config, name="the uploaded data")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise UnreadableAudioError(f"No such file: {path}")
        suffix = path.suffix.lower()
        if suffix and suffix not in SUPPORTED_EXTENSIONS:
            raise UnsupportedFormatError(
                f"'{path.name}' is a {suffix} file, which is not a supported audio format. "
                f"Use one of: {', '.join(sorted(SUPPORTED_EXTENSIONS))}."
            )
        size = path.stat().st_size
        if size == 0:
            raise EmptyAudioError(f"'{path.name}' is empty (0 bytes).")
        if size > config.max_bytes:
            raise TooLongError(_too_large_message(size, config))
        return _decode_encoded(lambda: str(path), config, name=f"'{path.name}'")
    raise UnreadableAudioError(
        f"Cannot read audio from a {type(source).__name__}; "
        "pass a file path, the file's bytes, or a (sample_rate, samples) pair."
    )


def prepare(
    samples: np.ndarray, sample_rate: int, config: AudioConfig | None = None, *, fmt: str = "array"
) -> Audio:
    """Validate decoded samples, make them mono at the model's rate, and find the speech.

    Args:
        samples: Float samples, shape ``(n,)`` or ``(n, channels)``.
        sample_rate: Their rate in Hz.
        config: Limits and preprocessing.
        fmt: Name of the input format, kept for display.
    """
    config = config or AudioConfig()
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    channels = samples.shape[1]
    if samples.shape[0] == 0:
        raise EmptyAudioError("The recording contains no audio samples.")
    if not np.all(np.isfinite(samples)):
        raise NonFiniteAudioError(
            "The recording contains invalid samples (NaN or infinity); it is probably corrupt."
        )
    if sample_rate < MIN_SAMPLE_RATE:
        raise UnsupportedFormatError(
            f"The sample rate is {sample_rate} Hz; speech needs at least {MIN_SAMPLE_RATE} Hz."
        )
    _check_duration(samples.shape[0] / sample_rate, config)
    mono = downmix(samples, sample_rate)
    warnings: list[str] = []
    if sample_rate < NARROWBAND_HZ:
        warnings.append(
            f"Narrow-band audio ({sample_rate} Hz, e.g. a phone line): the model was trained on "
            "full-band studio speech, so expect lower accuracy."
        )
    y = resample(mono, sample_rate, config.sample_rate)
    y = _lowpass(y, config.sample_rate, config.lowpass_hz)
    intervals = find_speech(y, config)
    peak_dbfs = 20 * np.log10(max(float(np.max(np.abs(y))), 1e-12))
    if peak_dbfs < config.quiet_dbfs:
        warnings.append(
            f"Very quiet recording (peak {peak_dbfs:.0f} dBFS): it was amplified to a normal level, "
            "and any hiss with it, so expect lower accuracy. Record closer to the microphone."
        )
    speech_rms = np.sqrt(np.mean(np.concatenate([y[s:e] for s, e in intervals]) ** 2))
    gain = 10 ** (config.target_rms_dbfs / 20) / max(float(speech_rms), 1e-9)
    return Audio(
        signal=(y * gain).astype(np.float32),
        sample_rate=config.sample_rate,
        intervals=intervals,
        original_sample_rate=int(sample_rate),
        channels=int(channels),
        format=fmt,
        level_dbfs=round(20 * float(np.log10(max(float(speech_rms), 1e-9))), 1),
        warnings=tuple(warnings),
    )


def downmix(samples: np.ndarray, sample_rate: int, max_lag_s: float = 0.002) -> np.ndarray:
    """Mono from ``(n, channels)`` float samples.

    Each further channel is first moved onto the first one by the lag (within ±``max_lag_s``;
    2 ms is 69 cm of path difference) and the polarity that correlate them best (over the first
    10 s), then the channels are averaged. Two microphones a few centimetres apart then add up
    instead of making a comb filter (a plain mean of channels 0.4 ms apart notches 1.25 kHz,
    3.75 kHz, …). Identical channels give the plain mean.
    """
    if samples.ndim == 1 or samples.shape[1] == 1:
        return samples.reshape(len(samples), -1)[:, 0]
    reference = samples[:, 0]
    n, max_lag = min(len(reference), 10 * sample_rate), int(max_lag_s * sample_rate)
    aligned = [reference]
    for channel in samples.T[1:]:
        corr = sps.correlate(reference[:n], channel[:n], mode="full", method="fft")
        lags = sps.correlation_lags(n, n, mode="full")
        near = np.abs(lags) <= max_lag
        best = int(np.argmax(np.abs(corr[near])))
        sign = 1.0 if corr[near][best] >= 0 else -1.0
        aligned.append(sign * np.roll(channel, int(lags[near][best])))
    return np.mean(aligned, axis=0).astype(np.float32)


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample mono ``y`` with soxr (high quality); a no-op when the rates match."""
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    return librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")


def find_speech(y: np.ndarray, config: AudioConfig | None = None) -> np.ndarray:
    """Locate speech in mono ``y`` (at ``config.sample_rate``).

    Returns:
        Speech intervals in samples, shape ``(k, 2)``.

    Raises:
        NoSpeechError: Silence, or a steady signal (tone, hum, noise) with no speech modulation.
        TooShortError: Less than ``config.min_speech_s`` seconds of speech.
    """
    config = config or AudioConfig()
    sr = config.sample_rate
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak <= 10 ** (config.silence_floor_dbfs / 20):
        raise NoSpeechError("The recording is silent: no speech was found.")
    # Every measure below is relative to the loudest point, but librosa's floors (``amin``) are
    # absolute: below about -60 dBFS they would swallow the pauses. Read it at full scale.
    y = y / peak
    frame, hop = 1024, 256
    if len(y) >= frame:
        rms_db = librosa.amplitude_to_db(
            librosa.feature.rms(y=y, frame_length=frame, hop_length=hop)[0], ref=np.max
        )
        p10, p95 = np.percentile(rms_db, [10, 95])
        # Loudness that barely moves is a tone, hum or noise, unless a voice with moving pitch is
        # there: speech over steady noise, babble or music.
        if p95 - p10 < config.min_dynamic_range_db and not sounds_voiced(y, sr, config.min_speech_s):
            raise NoSpeechError("No speech was found: the recording sounds like a steady tone, hum or noise.")
    intervals = librosa.effects.split(y, top_db=config.silence_top_db, frame_length=frame, hop_length=hop)
    speech_s = float(np.sum(intervals[:, 1] - intervals[:, 0])) / sr if len(intervals) else 0.0
    if speech_s < config.min_speech_s:
        raise TooShortError(
            f"Too little speech: {speech_s:.2f} s found in {len(y) / sr:.2f} s of audio; "
            f"at least {config.min_speech_s:.1f} s of speech is needed."
        )
    return intervals


#: Added before the low-pass and removed after it (see :func:`_lowpass`).
_SUBNORMAL_GUARD = 1e-15


def _lowpass(y: np.ndarray, sr: int, cutoff_hz: float) -> np.ndarray:
    """Zero-phase low-pass, so that features do not see what a resampler leaves near Nyquist.

    The filter runs on ``y`` plus a tiny constant, removed afterwards: fed digital silence (runs
    of exact zeros, as in many recordings), a recursive filter's state decays into subnormal
    numbers, which the CPU computes many times slower (a burst then 3.5 s of zeros: 28 ms instead
    of 2.7). The filter passes a constant unchanged, so the output moves by less than 1e-20."""
    if cutoff_hz >= sr / 2:
        return y
    sos = _lowpass_sos(sr, cutoff_hz).copy()  # scipy's filter wants a writable array
    padlen = min(len(y) - 1, 3 * (2 * len(sos) + 1))
    guarded = np.asarray(y, dtype=np.float64) + _SUBNORMAL_GUARD
    return (sps.sosfiltfilt(sos, guarded, padlen=padlen) - _SUBNORMAL_GUARD).astype(np.float32)


@lru_cache(maxsize=8)
def _lowpass_sos(sr: int, cutoff_hz: float) -> np.ndarray:
    """The 8th-order Butterworth of :func:`_lowpass` as second-order sections, designed once per
    rate and cut-off (the design took about 2 ms, a tenth of a 3 s clip's analysis); read-only."""
    sos = sps.butter(8, cutoff_hz, btype="low", fs=sr, output="sos")
    sos.flags.writeable = False
    return sos


def _from_array(pair: tuple) -> tuple[np.ndarray, int]:
    """Gradio's ``(sample_rate, samples)`` → float32 ``(n, channels)`` in [-1, 1]."""
    if len(pair) != 2:
        raise UnreadableAudioError("Expected a (sample_rate, samples) pair.")
    sample_rate, samples = pair
    if isinstance(samples, (int, float)) and not isinstance(sample_rate, (int, float)):
        samples, sample_rate = sample_rate, samples  # accept (samples, sample_rate) too
    try:
        sample_rate = int(sample_rate)
    except (TypeError, ValueError) as err:
        raise UnreadableAudioError(f"Invalid sample rate: {sample_rate!r}.") from err
    samples = np.asarray(samples)
    if samples.ndim > 2 or (samples.ndim == 2 and min(samples.shape) > 16):
        raise UnreadableAudioError(f"Expected samples of shape (n,) or (n, channels), got {samples.shape}.")
    if samples.ndim == 2 and samples.shape[0] < samples.shape[1]:
        samples = samples.T  # (channels, n) → (n, channels)
    return to_float(samples), sample_rate


def to_float(samples: np.ndarray) -> np.ndarray:
    """PCM samples (signed or unsigned int, or float) → float32 in [-1, 1], same shape.

    Raises:
        UnreadableAudioError: The samples are not numbers.
    """
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        info = np.iinfo(samples.dtype)
        scale = float(max(abs(info.min), info.max))
        offset = 0.0 if info.min < 0 else (info.max + 1) / 2  # unsigned PCM is centred
        return ((samples.astype(np.float64) - offset) / scale).astype(np.float32)
    if not np.issubdtype(samples.dtype, np.floating):
        raise UnreadableAudioError(f"Samples must be numbers, got dtype {samples.dtype}.")
    return samples.astype(np.float32)


def _decode_encoded(open_source, config: AudioConfig, name: str) -> tuple[np.ndarray, int, str]:
    """Decode a file (path or file-like, from ``open_source()``) with soundfile, else PyAV."""
    try:
        with sf.SoundFile(open_source()) as f:
            _check_duration(f.frames / f.samplerate, config)
            data = f.read(dtype="float32", always_2d=True)
            return data, int(f.samplerate), f"{f.format}/{f.subtype}".lower()
    except sf.LibsndfileError as err:
        logger.debug("soundfile cannot decode %s (%s); trying PyAV", name, err)
    return _decode_with_av(open_source(), config, name)


def _decode_with_av(file, config: AudioConfig, name: str) -> tuple[np.ndarray, int, str]:
    """Decode the first audio stream of any container FFmpeg (through PyAV) reads."""
    try:
        container = av.open(file, mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as err:
        raise UnreadableAudioError(
            f"Could not read {name}: it is not an audio file or it is corrupt."
        ) from err
    with container:
        if not container.streams.audio:
            raise UnreadableAudioError(f"{name} contains no audio track.")
        stream = container.streams.audio[0]
        if container.duration is not None:
            _check_duration(container.duration / 1e6, config)
        rate = stream.codec_context.sample_rate or stream.rate
        resampler = av.AudioResampler(format="fltp")
        chunks, total = [], 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    chunks.append(arr)
                    total += arr.shape[1]
                    _check_duration(total / rate, config)
        except av.error.FFmpegError as err:
            if not chunks:
                raise UnreadableAudioError(f"Could not decode {name}: the audio data is corrupt.") from err
            logger.warning("Decoding %s stopped early (%s); using what was decoded", name, err)
        fmt = f"{container.format.name.split(',')[0]}/{stream.codec_context.name}"
    if not chunks:
        raise EmptyAudioError(f"{name} contains no audio samples.")
    return np.concatenate(chunks, axis=1).T.astype(np.float32), int(rate), fmt


def _check_duration(seconds: float, config: AudioConfig) -> None:
    if seconds > config.max_duration_s:
        raise TooLongError(
            f"The recording is {seconds / 60:.1f} min long; the limit is "
            f"{config.max_duration_s / 60:.1f} min. Trim it or split it into parts."
        )


def _too_large_message(size: int, config: AudioConfig) -> str:
    return (
        f"The file is {size / 2**20:.0f} MB; the limit is {config.max_bytes / 2**20:.0f} MB. "
        "Upload a shorter or compressed recording."
    )
