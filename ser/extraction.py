"""Model inputs of many files (feature vectors, log-mel spectrograms, acoustic tracks):
parallel, cached on disk, with augmented copies.

Kept free of TensorFlow so that worker processes start fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ser.audio import Audio, AudioError, decode, prepare
from ser.augment import augment, make_augmenter
from ser.config import SERConfig
from ser.features import frame_tracks, summarise, track_matrix

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileInputs:
    """Model inputs of one file: row/item 0 clean, 1..``copies`` augmented.

    Attributes:
        vectors: Feature vectors of the speech part, shape ``(1 + copies, F)``.
        logmels: Log-mel spectrograms of the speech part, each ``(n_mels, n_frames)`` float16.
        tracks: Acoustic tracks of the speech part (:func:`ser.features.track_matrix`), each
            ``(n_tracks, n_frames)`` float16.
    """

    vectors: np.ndarray
    logmels: list[np.ndarray]
    tracks: list[np.ndarray]


#: Bump when what a cache file holds changes (2: acoustic tracks added).
CACHE_FORMAT = 2


def clip_inputs(audio: Audio, config: SERConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature vector, whole log-mel spectrogram and acoustic tracks (both float16) of a
    prepared recording's speech."""
    tracks = frame_tracks(audio.speech, audio.sample_rate, config.features)
    return (
        summarise(tracks, config=config.features),
        tracks.log_mel.astype(np.float16),
        track_matrix(tracks).astype(np.float16),
    )


def file_inputs(path: str | Path, config: SERConfig, copies: int = 0, seed: int = 0) -> FileInputs:
    """Inputs of a file and of ``copies`` augmented versions of it.

    Augmentation is applied to the decoded mono signal before :func:`ser.audio.prepare`, as a
    recording made under other conditions would arrive. Each copy's randomness is derived from
    the file's content and ``seed``, so results do not depend on order or parallelism.
    """
    return _inputs_of(Path(path).read_bytes(), config, copies, seed, name=str(path))


def cache_key(raw: bytes, config: SERConfig, copies: int, seed: int) -> str:
    """Key of a file's cached inputs: its content (``raw`` bytes), the audio/feature config, copies, seed."""
    h = hashlib.sha1(raw)
    settings = {
        "audio": config.to_dict()["audio"],
        "features": config.to_dict()["features"],
        "copies": copies,
        "seed": seed,
        "format": CACHE_FORMAT,
    }
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()


def _inputs_of(raw: bytes, config: SERConfig, copies: int, seed: int, name: str) -> FileInputs:
    samples, sr, fmt = decode(raw, config.audio)
    mono = samples.mean(axis=1)
    rows = [clip_inputs(prepare(mono, sr, config.audio, fmt=fmt), config)]
    augmenter = make_augmenter() if copies else None
    base = int.from_bytes(hashlib.sha1(raw).digest()[:4], "little") + 1_000_003 * seed
    for k in range(copies):
        y = augment(mono, sr, seed=base + k, augmenter=augmenter)
        try:
            rows.append(clip_inputs(prepare(y, sr, config.audio, fmt=fmt), config))
        except AudioError as err:  # e.g. noise drowned the speech: keep the clean row instead
            logger.debug("augmented copy %d of %s rejected (%s)", k, name, err)
            rows.append(rows[0])
    vectors, logmels, tracks = zip(*rows)
    return FileInputs(np.stack(vectors), list(logmels), list(tracks))


def _cached_file_inputs(
    path: Path, config: SERConfig, copies: int, seed: int, cache_dir: Path | None
) -> FileInputs:
    raw = path.read_bytes()  # read once: hashed for the cache key and decoded on a miss
    if cache_dir is None:
        return _inputs_of(raw, config, copies, seed, name=str(path))
    target = cache_dir / f"{cache_key(raw, config, copies, seed)}.npz"
    if target.is_file():
        with np.load(target) as stored:
            bounds = np.cumsum(stored["lengths"])[:-1]
            return FileInputs(
                stored["vectors"],
                np.split(stored["logmel"], bounds, axis=1),
                np.split(stored["tracks"], bounds, axis=1),
            )
    inputs = _inputs_of(raw, config, copies, seed, name=str(path))
    tmp = target.with_suffix(f".{id(inputs)}.tmp.npz")
    np.savez(
        tmp,
        vectors=inputs.vectors,
        logmel=np.concatenate(inputs.logmels, axis=1),
        tracks=np.concatenate(inputs.tracks, axis=1),
        lengths=np.array([m.shape[1] for m in inputs.logmels]),
    )
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
) -> list[FileInputs]:
    """Inputs of many files, in order; see :func:`file_inputs`.

    Args:
        paths: Audio files.
        config: Preprocessing and feature settings.
        copies: Augmented copies per file (item 0 is always the clean file).
        seed: Augmentation seed.
        cache_dir: Where per-file results are cached (keyed by :func:`cache_key`); no cache if None.
        jobs: Worker processes (``-1``: all cores).
        progress: Show a progress bar.
    """
    cache = Path(cache_dir) if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    tasks = (delayed(_cached_file_inputs)(Path(p), config, copies, seed, cache) for p in paths)
    results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    return list(tqdm(results, total=len(paths), desc="features", unit="file", disable=not progress))
