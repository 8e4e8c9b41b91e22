"""Degraded copies of a test set: the recordings users actually send, made with well-kept
libraries (PyAV's encoders, audiomentations with pyroomacoustics, soundfile's μ-law WAV).

Test side only: these copies are measured, never trained on. Each condition writes real files
(the codec's own bytes), so that decoding is exercised as in the app.

>>> from ser.degrade import CONDITIONS
>>> list(CONDITIONS)[:3]
['mp3_64k', 'm4a_aac', 'webm_opus_32k']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ser.audio import resample
from ser.channels import babble, encode_with_av, load_mono, mix_at_snr, phone_band, room, run_seeded
from ser.datasets import Item, write_manifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Condition:
    """One way a recording reaches us.

    Attributes:
        name: Short id (a folder name and a column of the report).
        description: What it is, for people.
        suffix: The file type written.
        make: ``(path, y, sr, rng, others) -> None`` writes the degraded copy of ``y`` (mono
            float32 at ``sr``) to ``path``; ``others`` are other speakers' waveforms (for babble).
    """

    name: str
    description: str
    suffix: str
    make: Callable[..., None]


def _write(path: Path, y: np.ndarray, sr: int, subtype: str = "PCM_16") -> None:
    import soundfile as sf

    sf.write(path, np.clip(y, -1.0, 1.0), sr, subtype=subtype)


def _mp3(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    encode_with_av(path, y, sr, "mp3", "libmp3lame", 64_000)


def _m4a(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    encode_with_av(path, y, sr, "ipod", "aac", 96_000)


def _webm(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    encode_with_av(path, resample(y, sr, 48_000), 48_000, "webm", "libopus", 32_000)


def _phone(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    """The telephone channel: 300–3400 Hz, 8 kHz, 8-bit μ-law (G.711)."""
    _write(path, resample(phone_band(y, sr, rng), sr, 8000), 8000, subtype="ULAW")


def _white_noise(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    from audiomentations import AddGaussianSNR

    _write(path, run_seeded(AddGaussianSNR(min_snr_db=10.0, max_snr_db=10.0, p=1.0), y, sr, rng), sr)


def _babble(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    """Four other speakers talking at once, 5 dB below the speech."""
    if not others:
        raise ValueError("babble needs recordings of other speakers")
    picks = rng.choice(len(others), size=min(4, len(others)), replace=False)
    _write(path, mix_at_snr(y, babble([others[i] for i in picks], len(y), rng), 5.0), sr)


def _reverb(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    """A reverberant room, RT60 ≈ 0.6 s (audiomentations' RoomSimulator, pyroomacoustics)."""
    _write(path, room(y, sr, rng, (0.6, 0.6)), sr)


def _quiet(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    from audiomentations import Gain

    _write(
        path, run_seeded(Gain(min_gain_db=-30.0, max_gain_db=-30.0, p=1.0), y, sr, rng), sr, subtype="FLOAT"
    )


def _stereo(path: Path, y: np.ndarray, sr: int, rng: np.random.Generator, others: list) -> None:
    """44.1 kHz stereo, the right channel 0.4 ms later (two microphones)."""
    hi = resample(y, sr, 44_100)
    delay = int(0.0004 * 44_100)
    right = np.concatenate([np.zeros(delay, np.float32), hi[:-delay]])
    _write(path, np.stack([hi, right], axis=1), 44_100)


#: Every condition, in report order.
CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("mp3_64k", "MP3 at 64 kbit/s", ".mp3", _mp3),
        Condition("m4a_aac", "M4A (AAC 96 kbit/s), as phones record", ".m4a", _m4a),
        Condition("webm_opus_32k", "Opus 32 kbit/s in WebM, as browsers record", ".webm", _webm),
        Condition("phone_8k", "telephone: 300–3400 Hz, 8 kHz, μ-law", ".wav", _phone),
        Condition("white_noise_10db", "white noise at 10 dB SNR", ".wav", _white_noise),
        Condition("babble_5db", "four other speakers at 5 dB SNR", ".wav", _babble),
        Condition("reverb_0.6s", "reverberant room, RT60 ≈ 0.6 s", ".wav", _reverb),
        Condition("quiet_-30db", "30 dB quieter", ".wav", _quiet),
        Condition("stereo_44k", "44.1 kHz stereo", ".wav", _stereo),
    )
}


def _degrade_one(
    index: int,
    item: Item,
    others: list[Path],
    out_dir: Path,
    conditions: Sequence[str],
    sample_rate: int,
    seed: int,
) -> None:
    """Write each condition's copy of one item (skipping copies already there)."""
    y = None
    for name in conditions:
        cond = CONDITIONS[name]
        target = copy_path(out_dir, name, item)
        if target.exists():
            continue
        y = load_mono(item.path, sample_rate) if y is None else y
        rng = np.random.default_rng([seed, index, list(CONDITIONS).index(name)])
        voices = []
        if name == "babble_5db":
            picks = rng.choice(len(others), size=min(8, len(others)), replace=False)
            voices = [load_mono(others[j], sample_rate) for j in picks]
        partial = target.with_name(f".{target.stem}.partial{target.suffix}")  # never a half-written copy
        cond.make(partial, y, sample_rate, rng, voices)
        partial.replace(target)


def copy_path(out_dir: Path, condition: str, item: Item) -> Path:
    """Where ``condition``'s copy of ``item`` goes."""
    return out_dir / condition / f"{Path(item.path).stem}{CONDITIONS[condition].suffix}"


def degrade(
    items: Sequence[Item],
    out_dir: str | Path,
    conditions: Sequence[str] = tuple(CONDITIONS),
    sample_rate: int = 22_050,
    seed: int = 0,
    jobs: int = 1,
) -> dict[str, Path]:
    """Write every condition's copy of every item, and a manifest per condition.

    Babble for an item comes from items of *other* speakers in ``items``. Copies already written
    are kept (the same seed makes the same copy), so a second call is cheap.

    Args:
        items: The test set (paths, labels, speakers).
        out_dir: Where ``<condition>/<name><suffix>`` and ``<condition>/manifest.csv`` go.
        conditions: Names from :data:`CONDITIONS`.
        sample_rate: Rate the originals are read at.
        seed: Seed of every random choice.
        jobs: Processes (``-1``: all cores).

    Returns:
        Each condition's manifest (``path,label,speaker,intensity``).
    """
    from joblib import Parallel, delayed

    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise ValueError(f"unknown condition(s) {sorted(unknown)}; known: {', '.join(CONDITIONS)}")
    out_dir = Path(out_dir)
    for name in conditions:
        (out_dir / name).mkdir(parents=True, exist_ok=True)
    Parallel(n_jobs=jobs)(
        delayed(_degrade_one)(
            i,
            item,
            [Path(o.path) for o in items if o.speaker != item.speaker],
            out_dir,
            conditions,
            sample_rate,
            seed,
        )
        for i, item in enumerate(items)
    )
    manifests = {}
    for name in conditions:
        copies = [
            Item(copy_path(out_dir, name, it), it.label, it.speaker, it.intensity, it.gender) for it in items
        ]
        manifests[name] = write_manifest(out_dir / name / "manifest.csv", copies)
        logger.info("%s: %d copies in %s", name, len(copies), out_dir / name)
    return manifests
