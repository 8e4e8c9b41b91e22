"""Feature extraction for many files: parallel, cached on disk, with augmented copies.

Kept free of TensorFlow so that worker processes start fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ser.audio import Audio, AudioError, decode, prepare
from ser.augment import augment, make_augmenter
from ser.config import SERConfig
from ser.features import extract

logger = logging.getLogger(__name__)


def clip_vector(audio: Audio, config: SERConfig) -> np.ndarray:
    """Feature vector of the speech part of a prepared recording."""
    return extract(audio.speech, audio.sample_rate, config.features)


def file_features(path: str | Path, config: SERConfig, copies: int = 0, seed: int = 0) -> np.ndarray:
    """Vectors of a file: row 0 clean, rows 1..``copies`` augmented, shape ``(1 + copies, F)``.

    Augmentation is applied to the decoded mono signal before :func:`ser.audio.prepare`, as a
    recording made under other conditions would arrive. Each copy's randomness is derived from
    the file's content and ``seed``, so results do not depend on order or parallelism.
    """
    return _features_of(Path(path).read_bytes(), config, copies, seed, name=str(path))


def cache_key(raw: bytes, config: SERConfig, copies: int, seed: int) -> str:
    """Key of a file's cached vectors: its content (``raw`` bytes), the audio/feature config, copies, seed."""
    h = hashlib.sha1(raw)
    settings = {
        "audio": config.to_dict()["audio"],
        "features": config.to_dict()["features"],
        "copies": copies,
        "seed": seed,
    }
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()


def _features_of(raw: bytes, config: SERConfig, copies: int, seed: int, name: str) -> np.ndarray:
    samples, sr, fmt = decode(raw, config.audio)
    mono = samples.mean(axis=1)
    rows = [clip_vector(prepare(mono, sr, config.audio, fmt=fmt), config)]
    augmenter = make_augmenter() if copies else None
    base = int.from_bytes(hashlib.sha1(raw).digest()[:4], "little") + 1_000_003 * seed
    for k in range(copies):
        y = augment(mono, sr, seed=base + k, augmenter=augmenter)
        try:
            rows.append(clip_vector(prepare(y, sr, config.audio, fmt=fmt), config))
        except AudioError as err:  # e.g. noise drowned the speech: keep the clean row instead
            logger.debug("augmented copy %d of %s rejected (%s)", k, name, err)
            rows.append(rows[0])
    return np.stack(rows)


def _cached_file_features(
    path: Path, config: SERConfig, copies: int, seed: int, cache_dir: Path | None
) -> np.ndarray:
    raw = path.read_bytes()  # read once: hashed for the cache key and decoded on a miss
    if cache_dir is None:
        return _features_of(raw, config, copies, seed, name=str(path))
    target = cache_dir / f"{cache_key(raw, config, copies, seed)}.npy"
    if target.is_file():
        return np.load(target)
    rows = _features_of(raw, config, copies, seed, name=str(path))
    tmp = target.with_suffix(f".{id(rows)}.tmp.npy")
    np.save(tmp, rows)
    tmp.replace(target)
    return rows


def dataset_features(
    paths: list[Path],
    config: SERConfig,
    copies: int = 0,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> np.ndarray:
    """Vectors of many files, shape ``(n_files, 1 + copies, F)``; see :func:`file_features`.

    Args:
        paths: Audio files.
        config: Preprocessing and feature settings.
        copies: Augmented copies per file (row 0 is always the clean file).
        seed: Augmentation seed.
        cache_dir: Where per-file results are cached (keyed by :func:`cache_key`); no cache if None.
        jobs: Worker processes (``-1``: all cores).
        progress: Show a progress bar.
    """
    cache = Path(cache_dir) if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    tasks = (delayed(_cached_file_features)(Path(p), config, copies, seed, cache) for p in paths)
    results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    rows = list(tqdm(results, total=len(paths), desc="features", unit="file", disable=not progress))
    return np.stack(rows)
