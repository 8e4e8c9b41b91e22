"""Features: one STFT → per-frame tracks → one named, fixed-length vector per clip or window.

:func:`frame_tracks` computes every per-frame measure once (a single STFT feeds the spectral
shape, mel, MFCC, chroma, tonnetz and onset features; F0 comes from yin, ZCR from the waveform).
:func:`summarise` turns a range of frames into the feature vector whose order
:func:`feature_names` gives. :func:`extract` does both for one clip, :func:`analysis_windows`
cuts the timeline of a long recording from the same frames (each window's vector computed only
when a model reads it).

The input is expected to be what :func:`ser.audio.load_audio` produces: mono, at the model's
rate, band-limited and level-normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import librosa
import numpy as np

from ser.config import FeatureConfig

_EPS = 1e-10
#: Spectral features only look below this frequency (the input is low-passed at 8 kHz; the
#: filter's transition band is left out).
BAND_HZ = 7600.0
_CONTRAST_BANDS = 6  # 7 contrast rows: below 100 Hz, 5 octaves, and 6.4-7.6 kHz
_TEMPO_MIN_FRAMES = 32
#: Autocorrelation window of the tempo estimate (s): short, since clips are a few seconds.
_TEMPO_AC_S = 2.0
_PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_TONNETZ = ("fifth_x", "fifth_y", "minor_x", "minor_y", "major_x", "major_y")
_F0_STATS = ("mean", "std", "p10", "p90", "range", "slope_abs", "voiced_frac")


@dataclass(frozen=True)
class FrameTracks:
    """Per-frame measures of one signal; every array has ``n_frames`` columns.

    Attributes:
        zcr: Zero-crossing rate, shape ``(1, n)``.
        rms_db: Frame energy in dB, shape ``(1, n)``.
        shape: Spectral centroid, bandwidth, roll-off (kHz) and flatness, shape ``(4, n)``.
        contrast: Spectral contrast (dB), shape ``(7, n)``.
        log_mel: Log-mel power (dB), shape ``(n_mels, n)``.
        mfcc: MFCCs with Δ and ΔΔ stacked, shape ``(3 * n_mfcc, n)``.
        chroma: Chroma from the STFT, shape ``(12, n)``.
        tonnetz: Tonal centroids from that chroma, shape ``(6, n)``.
        onset: Onset strength (spectral flux of the log-mel), shape ``(n,)``.
        f0: F0 in semitones re 100 Hz, NaN where unvoiced, shape ``(n,)``.
        sample_rate: Rate of the analysed signal in Hz.
        hop_length: Hop between frames in samples.
    """

    zcr: np.ndarray
    rms_db: np.ndarray
    shape: np.ndarray
    contrast: np.ndarray
    log_mel: np.ndarray
    mfcc: np.ndarray
    chroma: np.ndarray
    tonnetz: np.ndarray
    onset: np.ndarray
    f0: np.ndarray
    sample_rate: int
    hop_length: int

    @property
    def n_frames(self) -> int:
        return self.onset.shape[0]

    def frame_of(self, seconds: float) -> int:
        """Index of the frame centred nearest ``seconds``."""
        return int(round(seconds * self.sample_rate / self.hop_length))


def feature_names(config: FeatureConfig | None = None) -> list[str]:
    """Names of the vector :func:`summarise` returns, in order."""
    config = config or FeatureConfig()
    names: list[str] = []

    def add(prefix: str, rows: list[str], stats: tuple[str, ...] = ("mean", "std")) -> None:
        names.extend(f"{prefix}{row}_{stat}" for row in rows for stat in stats)

    add("zcr", [""])
    add("rms_db", [""], ("mean", "std", "p10", "p90"))
    add("", ["centroid_khz", "bandwidth_khz", "rolloff_khz", "flatness"])
    add("contrast_band", [str(i) for i in range(_CONTRAST_BANDS + 1)])
    add("mfcc", [str(i) for i in range(config.n_mfcc)])
    add("mfcc_delta", [str(i) for i in range(config.n_mfcc)], ("std",))
    add("mfcc_delta2", [str(i) for i in range(config.n_mfcc)], ("std",))
    add("chroma_", list(_PITCH_CLASSES))
    add("tonnetz_", list(_TONNETZ))
    add("onset_strength", [""], ("mean", "std"))
    names += ["onset_rate_hz", "tempo_bpm"]
    add("f0_st", [""], _F0_STATS)
    add("logmel", [""], ("mean", "std"))
    add("logmel_group", [str(i) for i in range(config.n_mel_groups)], ("mean", "std"))
    return names


def frame_tracks(y: np.ndarray, sr: int, config: FeatureConfig | None = None) -> FrameTracks:
    """Compute every per-frame measure of mono ``y`` (float, at ``sr`` Hz) from one STFT.

    Signals shorter than one FFT plus a few hops are zero-padded at the end.
    """
    config = config or FeatureConfig()
    n_fft, hop = config.n_fft, config.hop_length
    min_len = n_fft + 8 * hop
    y = np.asarray(y, dtype=np.float32)
    if len(y) < min_len:
        y = np.pad(y, (0, min_len - len(y)))

    stft = librosa.stft(y, n_fft=n_fft, hop_length=hop)
    mag = np.abs(stft)
    rms = librosa.feature.rms(S=mag, frame_length=n_fft)  # the level: from the signal as it is
    power = mag**2
    if config.noise_subtraction:
        power = subtract_noise(power, config.noise_subtraction)
        mag = np.sqrt(power)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    band = freqs <= BAND_HZ
    mag_band, freqs_band = mag[band], freqs[band]

    centroid = librosa.feature.spectral_centroid(S=mag_band, freq=freqs_band)
    shape = np.vstack(
        [
            centroid / 1000,
            librosa.feature.spectral_bandwidth(S=mag_band, freq=freqs_band, centroid=centroid) / 1000,
            librosa.feature.spectral_rolloff(S=mag_band, freq=freqs_band) / 1000,
            librosa.feature.spectral_flatness(S=mag_band),
        ]
    )
    contrast = librosa.feature.spectral_contrast(
        S=mag_band, freq=freqs_band, sr=sr, n_bands=_CONTRAST_BANDS, fmin=100.0
    )
    mel = np.einsum("ft,mf->mt", power, _mel_basis(sr, n_fft, config.n_mels), optimize=True)
    log_mel = librosa.power_to_db(mel, ref=1.0, top_db=config.log_mel_range_db)
    mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=config.n_mfcc)
    width = min(9, mfcc.shape[1] - (1 - mfcc.shape[1] % 2))
    deltas = [librosa.feature.delta(mfcc, width=width, order=k, mode="nearest") for k in (1, 2)]
    chroma = librosa.util.normalize(
        np.einsum("cf,ft->ct", _chroma_basis(sr, n_fft), power, optimize=True), norm=np.inf, axis=0
    )
    onset = librosa.onset.onset_strength(S=log_mel, sr=sr, hop_length=hop)

    f0_hz = librosa.yin(
        y, fmin=config.fmin_f0, fmax=config.fmax_f0, sr=sr, frame_length=n_fft, hop_length=hop
    )
    rms_db = librosa.amplitude_to_db(rms, ref=1.0, top_db=None)
    voiced = (
        (rms_db[0] > rms_db.max() - 30.0) & (f0_hz > config.fmin_f0 * 1.05) & (f0_hz < config.fmax_f0 * 0.95)
    )
    f0 = np.where(voiced, 12 * np.log2(f0_hz / 100.0), np.nan)

    return FrameTracks(
        zcr=zero_crossing_rate(y, n_fft, hop),
        rms_db=rms_db,
        shape=shape,
        contrast=contrast,
        log_mel=log_mel,
        mfcc=np.vstack([mfcc, *deltas]),
        chroma=chroma,
        tonnetz=librosa.feature.tonnetz(chroma=chroma),
        onset=onset,
        f0=f0,
        sample_rate=sr,
        hop_length=hop,
    )


@lru_cache(maxsize=8)
def _mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa's mel filter bank up to :data:`BAND_HZ`, shape ``(n_mels, 1 + n_fft // 2)``, built
    once per setting (librosa builds it on every call, about 0.5 ms); read-only.
    ``einsum("ft,mf->mt", power, basis, optimize=True)`` is ``librosa.feature.melspectrogram``."""
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=BAND_HZ)
    basis.flags.writeable = False
    return basis


@lru_cache(maxsize=8)
def _chroma_basis(sr: int, n_fft: int) -> np.ndarray:
    """librosa's chroma filter bank (A440 tuning), shape ``(12, 1 + n_fft // 2)``, built once per
    setting (about 0.5 ms a call otherwise); read-only. ``einsum`` with it, then each frame
    normalised by its maximum, is ``librosa.feature.chroma_stft(..., tuning=0.0)``."""
    basis = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0)
    basis.flags.writeable = False
    return basis


def zero_crossing_rate(y: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """``librosa.feature.zero_crossing_rate(y, frame_length=, hop_length=)``, to the last bit, 3x
    faster: the crossings are found once over the signal instead of once in every (overlapping)
    frame. Shape ``(1, n_frames)``.

    As librosa does, the signal is centred by repeating its edge samples, and a frame counts the
    crossings between its own consecutive samples (not one at its first sample) over its length.
    """
    padded = np.pad(y, frame_length // 2, mode="edge")
    crossings = librosa.util.frame(
        librosa.zero_crossings(padded, pad=False), frame_length=frame_length, hop_length=hop_length
    )
    return (np.count_nonzero(crossings[1:], axis=0) / frame_length)[None]


def subtract_noise(
    power: np.ndarray, strength: float, quiet_share: float = 0.1, floor_db: float = -20.0
) -> np.ndarray:
    """A power spectrogram with a steady background taken out (power spectral subtraction).

    The background's spectrum is the mean of the ``quiet_share`` of frames with the least
    energy (the pauses; at least one frame). Each bin keeps ``1 - strength * noise / power`` of
    its power, and never less than ``floor_db``: a bin the background fills sinks to the floor,
    one far above it is barely touched. ``strength`` above 1 over-subtracts, as Berouti, Schwartz
    and Makhoul (1979) advise against the background's own fluctuation.

    Args:
        power: Power spectrogram, shape ``(n_bins, n_frames)``.
        strength: Over-subtraction factor (``FeatureConfig.noise_subtraction``), > 0.
        quiet_share: Share of the frames the background is estimated from.
        floor_db: Least gain, in dB.

    Returns:
        The cleaned power, same shape.
    """
    n_quiet = max(1, int(round(quiet_share * power.shape[1])))
    quiet = np.argpartition(power.sum(axis=0), n_quiet - 1)[:n_quiet]
    noise = power[:, quiet].mean(axis=1, keepdims=True)
    gain = np.maximum(1.0 - strength * noise / np.maximum(power, _EPS), 10 ** (floor_db / 10))
    return power * gain


def summarise(
    tracks: FrameTracks, start: int = 0, stop: int | None = None, config: FeatureConfig | None = None
) -> np.ndarray:
    """Summarise frames ``[start, stop)`` of ``tracks`` into one vector (order: :func:`feature_names`)."""
    config = config or FeatureConfig()
    stop = tracks.n_frames if stop is None else min(stop, tracks.n_frames)
    if stop - start < 1:
        raise ValueError(f"empty frame range [{start}, {stop})")
    sl = slice(start, stop)

    def mean_std(x: np.ndarray) -> np.ndarray:
        return np.stack([x.mean(axis=1), x.std(axis=1)], axis=1).ravel()

    n_mfcc = config.n_mfcc
    mfcc = tracks.mfcc[:, sl]
    rms = tracks.rms_db[0, sl]
    onset = tracks.onset[sl]
    log_mel = tracks.log_mel[:, sl]
    groups = np.stack([g.mean(axis=0) for g in np.array_split(log_mel, config.n_mel_groups)])
    if stop - start >= _TEMPO_MIN_FRAMES:
        tempo = float(
            librosa.feature.tempo(
                onset_envelope=onset,
                sr=tracks.sample_rate,
                hop_length=tracks.hop_length,
                ac_size=_TEMPO_AC_S,
            )[0]
        )
    else:
        tempo = 120.0  # librosa's prior, for windows too short to hold a beat period

    vector = np.concatenate(
        [
            mean_std(tracks.zcr[:, sl]),
            [rms.mean(), rms.std(), *np.percentile(rms, [10, 90])],
            mean_std(tracks.shape[:, sl]),
            mean_std(tracks.contrast[:, sl]),
            mean_std(mfcc[:n_mfcc]),
            mfcc[n_mfcc : 2 * n_mfcc].std(axis=1),
            mfcc[2 * n_mfcc :].std(axis=1),
            mean_std(tracks.chroma[:, sl]),
            mean_std(tracks.tonnetz[:, sl]),
            [onset.mean(), onset.std(), _onset_rate(onset, tracks), tempo],
            _f0_stats(tracks.f0[sl], tracks.hop_length / tracks.sample_rate),
            [log_mel.mean(), log_mel.std()],
            mean_std(groups),
        ]
    )
    return vector.astype(np.float32)


def extract(y: np.ndarray, sr: int, config: FeatureConfig | None = None) -> np.ndarray:
    """Feature vector of a whole clip, shape ``(n_features,)``."""
    config = config or FeatureConfig()
    return summarise(frame_tracks(y, sr, config), config=config)


def window_bounds(duration_s: float, config: FeatureConfig | None = None) -> list[tuple[float, float]]:
    """Start/end (s) of the analysis windows covering ``duration_s`` seconds.

    Windows are ``config.window_s`` long every ``config.hop_s``; the last one ends at the end of
    the signal (it may overlap its neighbour more). A signal shorter than one window gets one.
    """
    config = config or FeatureConfig()
    if duration_s <= config.window_s:
        return [(0.0, duration_s)]
    starts = list(np.arange(0.0, duration_s - config.window_s, config.hop_s))
    starts.append(duration_s - config.window_s)
    return [(float(s), float(s + config.window_s)) for s in starts]


def track_names(config: FeatureConfig | None = None) -> list[str]:
    """Names of the rows of :func:`track_matrix`, in order."""
    config = config or FeatureConfig()
    mfcc = [f"mfcc{d}{i}" for d in ("", "_delta", "_delta2") for i in range(config.n_mfcc)]
    return [
        "f0_st",
        "voiced",
        "rms_db_re_max",
        "zcr",
        "centroid_khz",
        "bandwidth_khz",
        "rolloff_khz",
        "flatness",
        *(f"contrast_band{i}" for i in range(_CONTRAST_BANDS + 1)),
        *mfcc,
        *(f"chroma_{c}" for c in _PITCH_CLASSES),
        *(f"tonnetz_{t}" for t in _TONNETZ),
        "onset_strength",
    ]


#: What each group of :func:`track_names`' rows measures, as a pattern of their names.
_TRACK_GROUPS = {
    "pitch": r"f0_st|voiced",
    "energy": r"rms_db.*",
    "zcr": r"zcr",
    "shape": r"centroid.*|bandwidth.*|rolloff.*|flatness",
    "contrast": r"contrast_band\d+",
    "mfcc": r"mfcc\d+",
    "mfcc_delta": r"mfcc_delta2?\d+",
    "chroma": r"chroma_.*|tonnetz_.*",
    "onset": r"onset_strength",
}


def track_groups(config: FeatureConfig | None = None) -> dict[str, list[int]]:
    """The rows of :func:`track_matrix` by what they measure: ``"pitch"`` (F0 and voicing),
    ``"energy"``, ``"zcr"``, ``"shape"`` (spectral centroid, bandwidth, roll-off, flatness),
    ``"contrast"``, ``"mfcc"``, ``"mfcc_delta"`` (Δ and ΔΔ), ``"chroma"`` (chroma and tonnetz)
    and ``"onset"``; every row is in exactly one group."""
    return {group: list(rows) for group, rows in _track_group_rows(config or FeatureConfig())}


@lru_cache(maxsize=8)
def _track_group_rows(config: FeatureConfig) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """:func:`track_groups`, matched once per feature configuration (a member that leaves rows
    out asks for every stored version and every window)."""
    names = track_names(config)
    return tuple(
        (group, tuple(row for row, name in enumerate(names) if re.fullmatch(pattern, name)))
        for group, pattern in _TRACK_GROUPS.items()
    )


def track_matrix(tracks: FrameTracks) -> np.ndarray:
    """The per-frame acoustic tracks stacked as rows (see :func:`track_names`), for the 1-D CNN.

    F0 is in semitones re 100 Hz and 0 where unvoiced (the ``voiced`` row says which); energy
    is in dB re the loudest frame, so the matrix does not depend on the recording level.

    Returns:
        float32 array of shape ``(n_tracks, n_frames)``.
    """
    voiced = np.isfinite(tracks.f0)
    return np.vstack(
        [
            np.where(voiced, tracks.f0, 0.0),
            voiced,
            tracks.rms_db - tracks.rms_db.max(),
            tracks.zcr,
            tracks.shape,
            tracks.contrast,
            tracks.mfcc,
            tracks.chroma,
            tracks.tonnetz,
            tracks.onset,
        ]
    ).astype(np.float32)


def centre_rows(
    matrix: np.ndarray, rows: np.ndarray | slice, weights: np.ndarray | None = None
) -> np.ndarray:
    """``matrix`` with the per-clip centre of ``rows`` subtracted: what a clip's values are
    relative to its own level (its speaker's pitch register, its microphone's colouring).

    Args:
        matrix: Per-frame values, shape ``(rows, n_frames)``.
        rows: The rows to centre (indices or a slice).
        weights: Per frame, whether it counts, shape ``(n_frames,)``; frames that do not count
            (unvoiced frames of a pitch track) keep their value. ``None``: every frame.

    Returns:
        A float32 copy; the centre is the median over the counted frames. A clip with no
        counted frame is returned unchanged.
    """
    out = np.array(matrix, dtype=np.float32)
    counted = np.ones(out.shape[1], dtype=bool) if weights is None else np.asarray(weights) > 0.5
    if counted.any():
        block = out[rows]
        centre = np.median(block[:, counted], axis=1, keepdims=True)
        out[rows] = np.where(counted, block - centre, block)
    return out


def pcen_from_db(log_mel: np.ndarray, sample_rate: int, hop_length: int) -> np.ndarray:
    """Per-channel energy normalisation (:func:`librosa.pcen`, the published constants) of a
    log-mel spectrogram in dB re full scale, as :func:`frame_tracks` stores it.

    Each band is divided by its own smoothed recent energy (0.4 s), then root-compressed: a
    steady background (hum, fan, white noise) is pushed towards zero while onsets and
    formants stand out, instead of filling the quiet parts of the spectrum as it does in dB.

    Args:
        log_mel: Log-mel power in dB re 1.0, shape ``(n_mels, n_frames)``.
        sample_rate: Rate the spectrogram was computed at (Hz).
        hop_length: Samples between frames.

    Returns:
        float32 array of the same shape.
    """
    # Magnitudes, scaled as if the samples were 32-bit integers (what the constants assume;
    # ours are floats in [-1, 1]), as librosa's documentation does.
    magnitude = 10.0 ** (np.asarray(log_mel, dtype=np.float64) / 20.0) * 2.0**31
    return librosa.pcen(magnitude, sr=sample_rate, hop_length=hop_length).astype(np.float32)


def frame_crop(
    matrix: np.ndarray, frames: int, offset: int | None = None, fill: float | np.ndarray | None = None
) -> np.ndarray:
    """A fixed-length piece of a ``(rows, n_frames)`` matrix (log-mel, tracks), as a CNN takes it.

    Args:
        matrix: Per-frame values, shape ``(rows, n_frames)``.
        frames: Length of the crop.
        offset: Longer input: the first frame kept. Shorter input: where it starts inside the
            crop. ``None`` centres it.
        fill: Padding of shorter input: a value, or one per row; ``None``: the matrix's
            smallest value (the quietest point of a log-mel spectrogram).

    Returns:
        float32 array of shape ``(frames, rows)`` (time first).
    """
    n = matrix.shape[1]
    spare = abs(n - frames)
    offset = spare // 2 if offset is None else offset
    if not 0 <= offset <= spare:
        raise ValueError(f"offset {offset} outside [0, {spare}]")
    if n >= frames:
        return np.ascontiguousarray(matrix[:, offset : offset + frames].T, dtype=np.float32)
    out = np.empty((frames, matrix.shape[0]), dtype=np.float32)
    out[:] = matrix.min() if fill is None else fill
    out[offset : offset + n] = matrix.T
    return out


@dataclass(frozen=True)
class Windows:
    """The analysis windows of a signal and the per-frame analysis they are cut from.

    Every model input is made from this one pass over the signal (see
    :meth:`ser.registry.MemberType.window_inputs`).

    Attributes:
        tracks: The per-frame measures of the whole signal.
        bounds: Each window's (start, end) in seconds from the start of the signal.
        ranges: Each window's frames ``[a, b)`` in ``tracks``.
        config: The feature settings ``tracks`` were computed with.
    """

    tracks: FrameTracks
    bounds: list[tuple[float, float]]
    ranges: list[tuple[int, int]]
    config: FeatureConfig

    @cached_property
    def vectors(self) -> np.ndarray:
        """Each window's feature vector (:func:`summarise`), shape ``(n_windows, n_features)``;
        computed on first use (only a model over summary features reads them)."""
        return np.stack([summarise(self.tracks, a, b, self.config) for a, b in self.ranges])


def cut_windows(
    tracks: FrameTracks, bounds: list[tuple[float, float]], config: FeatureConfig | None = None
) -> Windows:
    """The windows ``bounds`` (seconds from the start of the analysed signal) of ``tracks``."""
    ranges = [(tracks.frame_of(s), tracks.frame_of(e) + 1) for s, e in bounds]
    return Windows(tracks, list(bounds), ranges, config or FeatureConfig())


def analysis_windows(y: np.ndarray, sr: int, config: FeatureConfig | None = None) -> Windows:
    """Analyse a signal once and cut it into the windows of :func:`analysis_bounds`.

    Args:
        y: Mono float signal at ``sr`` Hz (as :func:`ser.audio.load_audio` prepares it).
        sr: Sample rate (Hz).
        config: Feature settings.
    """
    config = config or FeatureConfig()
    tracks = frame_tracks(y, sr, config)
    duration_s = len(y) / sr
    if duration_s <= config.window_s:  # the whole signal, every frame (padding included)
        return Windows(tracks, [(0.0, duration_s)], [(0, tracks.n_frames)], config)
    return cut_windows(tracks, window_bounds(duration_s, config), config)


def _f0_stats(f0: np.ndarray, frame_s: float) -> np.ndarray:
    """Pitch statistics over voiced frames (semitones re 100 Hz); zeros when none is voiced."""
    voiced = f0[np.isfinite(f0)]
    if len(voiced) < 2:
        return np.zeros(len(_F0_STATS), dtype=np.float32)
    p10, p90 = np.percentile(voiced, [10, 90])
    steps = np.abs(np.diff(f0))
    slope = np.nanmean(steps) / frame_s if np.any(np.isfinite(steps)) else 0.0
    return np.array(
        [voiced.mean(), voiced.std(), p10, p90, p90 - p10, slope, len(voiced) / len(f0)],
        dtype=np.float32,
    )


def _onset_rate(onset: np.ndarray, tracks: FrameTracks) -> float:
    """Onsets per second (roughly syllables) in the onset-strength envelope ``onset``."""
    onsets = librosa.onset.onset_detect(
        onset_envelope=onset, sr=tracks.sample_rate, hop_length=tracks.hop_length
    )
    return len(onsets) / (len(onset) * tracks.hop_length / tracks.sample_rate)


def acoustic_summary(tracks: FrameTracks) -> dict[str, float]:
    """A few measures a person can read from a recording's tracks: pitch (Hz, from the mean over
    voiced frames in semitones), pitch range (semitones), speaking rate (onsets per second, roughly
    syllables) and voiced fraction; the same values as the feature vector of all of ``tracks``
    holds (:func:`summarise`)."""
    f0 = dict(zip(_F0_STATS, _f0_stats(tracks.f0, tracks.hop_length / tracks.sample_rate), strict=True))
    voiced = float(f0["voiced_frac"])
    return {
        "pitch_hz": round(100 * 2 ** (float(f0["mean"]) / 12), 1) if voiced else 0.0,
        "pitch_range_semitones": round(float(f0["range"]), 1),
        "speaking_rate_per_s": round(_onset_rate(tracks.onset, tracks), 2),
        "voiced_fraction": round(voiced, 2),
    }
