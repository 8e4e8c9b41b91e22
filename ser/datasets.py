"""Dataset readers: RAVDESS file names and generic CSV manifests → lists of :class:`Item`.

A problem with a corpus or a manifest raises :class:`DatasetError`, whose message names the file
and what is wrong.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ser.emotions import EMOTIONS, INTENSITIES
from ser.errors import SERError

#: RAVDESS emotion codes (third field of a file name).
RAVDESS_EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
RAVDESS_INTENSITY = dict(zip(("01", "02"), INTENSITIES, strict=True))
AUDIO_GLOBS = ("*.wav", "*.flac", "*.ogg", "*.mp3", "*.m4a", "*.webm", "*.opus")


class DatasetError(SERError, ValueError):
    """A corpus folder or manifest cannot be read, or its labels are not usable."""


@dataclass(frozen=True)
class Item:
    """One labelled recording.

    Attributes:
        path: Audio file.
        label: Emotion name (one of :data:`ser.emotions.EMOTIONS` for RAVDESS).
        speaker: Speaker id; splits never put one speaker on both sides.
        intensity: ``"normal"``/``"strong"`` where known.
        gender: ``"male"``/``"female"`` where known.
    """

    path: Path
    label: str
    speaker: str
    intensity: str | None = None
    gender: str | None = None


def parse_ravdess_name(name: str) -> dict[str, str]:
    """Parse ``03-01-EE-II-SS-RR-AA[.ext]`` into emotion, intensity, statement, repetition, actor.

    Raises:
        ValueError: The name does not follow the RAVDESS scheme.
    """
    parts = Path(name).stem.split("-")
    if len(parts) != 7 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"not a RAVDESS file name: {name!r}")
    if parts[2] not in RAVDESS_EMOTIONS or parts[3] not in RAVDESS_INTENSITY:
        raise ValueError(f"unknown emotion or intensity code in {name!r}")
    actor = int(parts[6])
    return {
        "emotion": RAVDESS_EMOTIONS[parts[2]],
        "intensity": RAVDESS_INTENSITY[parts[3]],
        "statement": parts[4],
        "repetition": parts[5],
        "actor": f"{actor:02d}",
        "gender": "male" if actor % 2 else "female",
    }


def ravdess_items(root: str | Path, actors: list[str] | None = None) -> list[Item]:
    """Every speech clip under ``root`` (recursively) whose name follows RAVDESS naming.

    Args:
        root: Folder holding ``Actor_XX`` folders (or the files themselves).
        actors: Keep only these actor ids (``"01"`` … ``"24"``); all when ``None``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"RAVDESS folder not found: {root}")
    items = []
    for path in sorted(p for pattern in AUDIO_GLOBS for p in root.rglob(pattern)):
        try:
            meta = parse_ravdess_name(path.name)
        except ValueError:
            continue
        if actors is not None and meta["actor"] not in actors:
            continue
        items.append(Item(path, meta["emotion"], meta["actor"], meta["intensity"], meta["gender"]))
    if not items:
        raise DatasetError(f"no RAVDESS-named audio files under {root}")
    return items


def manifest_items(csv_path: str | Path) -> list[Item]:
    """Read a ``path,label[,speaker][,intensity]`` CSV (header required); paths relative to the CSV.

    Without a speaker column every file is its own speaker, so splits are by file. An
    ``intensity`` column (``normal``/``strong``) lets the models learn intensity too.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"manifest not found: {csv_path}")
    with csv_path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"path", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{csv_path}: missing column(s) {sorted(missing)}")
        items = []
        for row in reader:
            path = Path(row["path"])
            if not path.is_absolute():
                path = csv_path.parent / path
            intensity = (row.get("intensity") or "").strip() or None
            if intensity not in (None, *INTENSITIES):
                raise DatasetError(f"{csv_path}: intensity must be normal or strong, got {intensity!r}")
            speaker = (row.get("speaker") or str(path)).strip()
            items.append(Item(path, row["label"].strip(), speaker, intensity))
    if not items:
        raise DatasetError(f"{csv_path}: no rows")
    return items


def write_manifest(csv_path: str | Path, items: list[Item]) -> Path:
    """Write ``items`` as a ``path,label,speaker,intensity`` manifest (:func:`manifest_items`
    reads it back); paths under the CSV's folder are written relative to it, others absolute."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "speaker", "intensity"])
        for it in items:
            path = Path(it.path).resolve()
            if path.is_relative_to(csv_path.parent.resolve()):
                path = path.relative_to(csv_path.parent.resolve())
            writer.writerow([str(path), it.label, it.speaker, it.intensity or ""])
    return csv_path


def check_labels(items: list[Item], labels: tuple[str, ...] = EMOTIONS) -> None:
    """Raise :class:`DatasetError` naming any label outside ``labels``."""
    unknown = sorted({it.label for it in items} - set(labels))
    if unknown:
        raise DatasetError(f"unknown label(s) {unknown}; expected {list(labels)}")
