"""Batch scoring: which files to score (:class:`FileJob`, :func:`collect_jobs`), how one file is
read and analysed anywhere (:func:`analyse_file`), and the local engine (:func:`score_local`).

An engine takes jobs and yields lists of result rows (:func:`ser.results.result_row`) as it
goes, so that a caller can write them out while the run streams. The distributed engine is
:mod:`ser.raybatch`.

Paths may be local or any fsspec URL (``s3://…``, ``gs://…``, ``https://…``) whose filesystem
package is installed; :mod:`fsspec` itself comes with ``huggingface_hub``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from joblib import Parallel, delayed

from ser.audio import SUPPORTED_EXTENSIONS, AudioError, TooLongError, UnreadableAudioError
from ser.config import SERConfig
from ser.datasets import DatasetError, manifest_items, parse_ravdess_name
from ser.inference import Analysis, analyse
from ser.results import result_row

if TYPE_CHECKING:
    from ser.inference import Predictor

logger = logging.getLogger(__name__)

#: Files per model call in the local engine (and rows per write).
LOCAL_CHUNK = 256


@dataclass(frozen=True)
class FileJob:
    """One file to score.

    Attributes:
        path: A local path or an fsspec URL, as given.
        truth: Its true emotion when known.
        true_intensity: ``"normal"``/``"strong"`` when known.
    """

    path: str
    truth: str | None = None
    true_intensity: str | None = None


def is_url(path: str) -> bool:
    """Whether ``path`` names a file through an fsspec protocol (``file://`` included)."""
    return "://" in path


def _list_folder(folder: str) -> list[str]:
    """Every supported audio file under ``folder`` (a path or an fsspec URL), sorted."""
    if not is_url(folder):
        root = Path(folder)
        if not root.is_dir():
            raise DatasetError(f"not a folder: {root}")
        return [
            str(p)
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
        ]
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(folder)
        found = fs.find(root)
    except (ImportError, ValueError, OSError) as err:
        raise DatasetError(f"cannot list {folder}: {err}") from err
    if not found and not fs.isdir(root):
        raise DatasetError(f"not a folder: {folder}")
    return sorted(fs.unstrip_protocol(p) for p in found if Path(p).suffix.lower() in SUPPORTED_EXTENSIONS)


def collect_jobs(
    files: Sequence[str] = (),
    directories: Sequence[str] = (),
    manifest: str | None = None,
    truth_csv: str | None = None,
    labels_from_filenames: bool = False,
) -> list[FileJob]:
    """Every requested file with its truth, in a stable order, without repeats.

    Args:
        files: Files (paths or URLs).
        directories: Folders, searched recursively for supported audio.
        manifest: A training manifest, ``path,label[,speaker][,intensity]`` (paths relative to it).
        truth_csv: A ``file_path,true_emotion`` CSV (paths relative to it).
        labels_from_filenames: Take the truth from RAVDESS file names where none is given.

    Raises:
        DatasetError: A folder, manifest or CSV cannot be read.
    """
    jobs: dict[str, FileJob] = {}
    for f in files:
        jobs[f] = FileJob(f)
    for d in directories:
        for f in _list_folder(d):
            jobs.setdefault(f, FileJob(f))
    for item in manifest_items(manifest) if manifest else []:
        jobs[str(item.path)] = FileJob(str(item.path), item.label.lower(), item.intensity)
    for path, truth in _truth_csv(truth_csv) if truth_csv else []:
        jobs[path] = FileJob(path, truth)
    if labels_from_filenames:
        for path, job in jobs.items():
            try:
                meta = parse_ravdess_name(Path(path).name)
            except ValueError:
                if job.truth is None:
                    logger.warning("%s does not follow RAVDESS naming; no true label", Path(path).name)
                continue
            jobs[path] = FileJob(path, job.truth or meta["emotion"], job.true_intensity or meta["intensity"])
    return list(jobs.values())


def _truth_csv(csv_path: str) -> list[tuple[str, str]]:
    path = Path(csv_path)
    if not path.is_file():
        raise DatasetError(f"CSV not found: {path}")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not {"file_path", "true_emotion"} <= set(reader.fieldnames or []):
            raise DatasetError(
                f"{path} needs the columns file_path,true_emotion (or pass a path,label manifest with --manifest)"
            )
        rows = []
        for r in reader:
            f = r["file_path"]
            rows.append(
                (f if is_url(f) or Path(f).is_absolute() else str(path.parent / f), r["true_emotion"])
            )
    return [(f, t.strip().lower()) for f, t in rows]


def analyse_file(path: str, config: SERConfig) -> Analysis | Exception:
    """Read and analyse one file (:func:`ser.inference.analyse`) for a batch: a file that cannot
    be used returns its exception instead of raising, so that it becomes an error row.

    A URL is read through fsspec; its size is checked before it is downloaded.
    """
    try:
        return analyse(_read(path, config) if is_url(path) else path, config)
    except AudioError as err:
        return err
    except Exception as err:  # one file must never stop a batch: it becomes an error row
        logger.warning("%s failed unexpectedly: %r", path, err)
        return err


def _read(url: str, config: SERConfig) -> bytes:
    import fsspec

    try:
        fs, location = fsspec.core.url_to_fs(url)
        size = fs.size(location)
        if size is not None and size > config.audio.max_bytes:
            raise TooLongError(
                f"{url} is {size / 1e6:.0f} MB, above the {config.audio.max_bytes / 1e6:.0f} MB limit."
            )
        with fs.open(location, "rb") as f:
            return f.read()
    except (OSError, ImportError, ValueError) as err:
        raise UnreadableAudioError(f"Cannot read {url}: {err}") from err


def score_local(
    predictor: Predictor, jobs: Sequence[FileJob], n_jobs: int = 1, chunk_size: int = LOCAL_CHUNK
) -> Iterator[list[dict]]:
    """The local engine: features in ``n_jobs`` processes (joblib), the model in this process,
    ``chunk_size`` files at a time. Yields each chunk's result rows, in the order of ``jobs``."""
    for start in range(0, len(jobs), chunk_size):
        chunk = jobs[start : start + chunk_size]
        analyses = Parallel(n_jobs=n_jobs)(delayed(analyse_file)(j.path, predictor.config) for j in chunk)
        outcomes = predictor.predict_analyses(analyses)
        yield [job_row(j, o, predictor.labels) for j, o in zip(chunk, outcomes, strict=True)]


def job_row(job: FileJob, outcome: object, labels: Sequence[str]) -> dict:
    """The result row (:func:`ser.results.result_row`) of ``job``."""
    return result_row(job.path, outcome, labels, truth=job.truth, true_intensity=job.true_intensity)
