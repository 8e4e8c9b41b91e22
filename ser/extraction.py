"""Training inputs of many files (what each member type stores, :meth:`ser.registry.MemberType.file_input`):
parallel, cached on disk, with augmented copies.

Kept free of TensorFlow so that worker processes start fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ser.audio import Audio, AudioError, decode, downmix, prepare, resample
from ser.augment import augment
from ser.config import SERConfig
from ser.datasets import DatasetError
from ser.features import frame_tracks

logger = logging.getLogger(__name__)


#: What training stores for one file: by member type name, the input of each version (the
#: clean file first, then its augmented copies; :meth:`ser.registry.MemberType.file_input`).
FileInputs = dict[str, list[np.ndarray]]

#: Bump when what a cache file holds changes (2: acoustic tracks added; 3: one array per member
#: type and version; 4: channels aligned before the downmix, :func:`ser.audio.downmix`; 5: the pauses
#: of very quiet recordings found, :func:`ser.audio.find_speech`; 6: another speaker's median F0 read
#: from the pitch analysis Change gender uses, :func:`ser.channels.change_speaker`).
CACHE_FORMAT = 6


def clip_inputs(audio: Audio, config: SERConfig) -> dict[str, np.ndarray]:
    """What each member type of ``config`` stores for a prepared recording's speech, by type name."""
    tracks = frame_tracks(audio.speech, audio.sample_rate, config.features)
    return {t.name: t.file_input(tracks, config) for t in config.member_types}


def file_inputs(
    path: str | Path, config: SERConfig, copies: int = 0, seed: int = 0, voices: Sequence[Path] = ()
) -> FileInputs:
    """Inputs of a file and of ``copies`` augmented versions of it (``config.augment``).

    Augmentation is applied to the decoded mono signal before :func:`ser.audio.prepare`, as a
    recording made under other conditions would arrive (the world recipe first resamples to the
    model's rate). Each copy's randomness is derived from the file's content and ``seed``, so
    results do not depend on order or parallelism. ``voices``: other training speakers' files
    for babble.
    """
    return _inputs_of(Path(path).read_bytes(), config, copies, seed, str(path), voices)


def cache_key(raw: bytes, config: SERConfig, copies: int, seed: int, voices: Sequence[Path] = ()) -> str:
    """Key of a file's cached inputs: its content (``raw`` bytes), the audio/feature config (feature
    settings at their legacy value left out: :meth:`ser.config.FeatureConfig.key_fields`), the
    member types, copies and seed, and (for augmented copies other than the basic recipe's) the
    augmentation settings and the babble voices' file names."""
    h = hashlib.sha1(raw)
    full = config.to_dict()
    settings = {
        "audio": full["audio"],
        "features": config.features.key_fields(),
        "members": sorted(config.members),
        "copies": copies,
        "seed": seed,
        "format": CACHE_FORMAT,
    }
    if copies and config.augment.recipe != "basic":
        settings["augment"] = full["augment"]
        settings["voices"] = sorted(Path(v).name for v in voices)
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()


def _inputs_of(
    raw: bytes, config: SERConfig, copies: int, seed: int, name: str, voices: Sequence[Path] = ()
) -> FileInputs:
    try:
        samples, sr, fmt = decode(raw, config.audio)
        mono = downmix(samples, sr)
        rows = [clip_inputs(prepare(mono, sr, config.audio, fmt=fmt), config)]
    except AudioError as err:  # a training or test file must be usable: say which one is not
        raise DatasetError(f"{name}: {err}") from err
    if copies and config.augment.recipe != "basic":
        mono, sr = resample(mono, sr, config.audio.sample_rate), config.audio.sample_rate
    base = int.from_bytes(hashlib.sha1(raw).digest()[:4], "little") + 1_000_003 * seed
    for k in range(copies):
        y = augment(mono, sr, seed=base + k, config=config.augment, voices=voices)
        try:
            rows.append(clip_inputs(prepare(y, sr, config.audio, fmt=fmt), config))
        except AudioError as err:  # e.g. noise drowned the speech: keep the clean row instead
            logger.debug("augmented copy %d of %s rejected (%s)", k, name, err)
            rows.append(rows[0])
    return {member: [row[member] for row in rows] for member in config.members}


def _cached_file_inputs(
    path: Path, config: SERConfig, copies: int, seed: int, cache_dir: Path | None, voices: Sequence[Path]
) -> FileInputs:
    raw = path.read_bytes()  # read once: hashed for the cache key and decoded on a miss
    if cache_dir is None:
        return _inputs_of(raw, config, copies, seed, str(path), voices)
    target = cache_dir / f"{cache_key(raw, config, copies, seed, voices)}.npz"
    if target.is_file():
        with np.load(target) as stored:
            return {m: [stored[f"{m}__{k}"] for k in range(1 + copies)] for m in config.members}
    inputs = _inputs_of(raw, config, copies, seed, str(path), voices)
    tmp = target.with_suffix(f".{id(inputs)}.tmp.npz")
    np.savez(tmp, **{f"{m}__{k}": v for m, versions in inputs.items() for k, v in enumerate(versions)})
    tmp.replace(target)
    return inputs


def dataset_inputs(
    paths: list[Path],
    config: SERConfig,
    copies: int = 0,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    progress: bool = True,
    voices: Sequence[Sequence[Path]] | None = None,
) -> list[FileInputs]:
    """Inputs of many files for the member types of ``config``, in order; see :func:`file_inputs`.

    Args:
        paths: Audio files.
        config: Preprocessing and feature settings.
        copies: Augmented copies per file (item 0 is always the clean file).
        seed: Augmentation seed.
        cache_dir: Where per-file results are cached (keyed by :func:`cache_key`); no cache if None.
        jobs: Worker processes (``-1``: all cores).
        progress: Show a progress bar.
        voices: Per file, other training speakers' files its copies may take babble from.
    """
    cache = Path(cache_dir) if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    voices = voices or [()] * len(paths)
    tasks = (
        delayed(_cached_file_inputs)(Path(p), config, copies, seed, cache, v) for p, v in zip(paths, voices)
    )
    results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    return list(tqdm(results, total=len(paths), desc="features", unit="file", disable=not progress))
