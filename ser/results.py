"""Batch results: one flat row per scored file, and a writer that streams rows to Parquet or CSV.

Every engine (:mod:`ser.batch`'s local one, :mod:`ser.raybatch`) yields these rows, so that the
output format is decided here only. A file that could not be scored is a row too, with its
``error_type`` and ``error`` set and no answer.

Columns, in order: :data:`BASE_COLUMNS`, then ``p_<emotion>`` for each of the model's classes.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from ser.errors import SERError

logger = logging.getLogger(__name__)

#: Columns every row has, before the class probabilities.
BASE_COLUMNS = (
    "path",  # the file as given (a local path or an fsspec URL)
    "true_label",  # the truth when known (manifest, CSV or file name)
    "true_intensity",  # normal / strong when known
    "label",  # the answer
    "confidence",  # its probability
    "level",  # high / medium / low
    "intensity",  # normal / strong (None for neutral or a model without intensity)
    "p_strong",  # the model's P(strong)
    "duration_s",  # length of the recording
    "speech_ratio",  # share of it that is speech
    "warnings",  # things to know, joined with " | "
    "error_type",  # why the file was not scored (an AudioError subclass name), else None
    "error",  # the message a person reads
)
_FLOATS = {"confidence", "p_strong", "duration_s", "speech_ratio"}
#: Extensions :class:`ResultWriter` writes.
OUTPUT_FORMATS = (".parquet", ".csv")


def probability_column(label: str) -> str:
    """The column of ``label``'s probability, e.g. ``"p_angry"``."""
    return f"p_{label}"


def columns(labels: Sequence[str]) -> list[str]:
    """Every column of a result row for a model with classes ``labels``."""
    return [*BASE_COLUMNS, *(probability_column(c) for c in labels)]


def result_row(
    path: str,
    outcome: Any,
    labels: Sequence[str],
    truth: str | None = None,
    true_intensity: str | None = None,
) -> dict[str, Any]:
    """The row of one file.

    Args:
        path: The file as given.
        outcome: A :class:`ser.inference.Prediction`, or the exception that stopped the file
            (an :class:`ser.audio.AudioError` for bad input; anything else is reported by its
            class name too, so that one file never stops a batch).
        labels: The model's classes.
        truth: Its true label, when known.
        true_intensity: Its true intensity, when known.
    """
    row: dict[str, Any] = dict.fromkeys(columns(labels))
    row.update(path=path, true_label=truth, true_intensity=true_intensity)
    if isinstance(outcome, BaseException):
        row.update(error_type=type(outcome).__name__, error=str(outcome))
        return row
    row.update(
        label=outcome.label,
        confidence=outcome.confidence,
        level=outcome.level,
        intensity=outcome.intensity,
        p_strong=outcome.intensity_strong,
        duration_s=outcome.duration_s,
        speech_ratio=outcome.speech_ratio,
        warnings=" | ".join(outcome.warnings) or None,
    )
    row.update({probability_column(c): outcome.probabilities[c] for c in labels})
    return row


class OutputError(SERError):
    """The results cannot be written where asked."""


class ResultWriter:
    """Append result rows to a ``.parquet`` or ``.csv`` file as they come, holding none in memory
    beyond the rows of one :meth:`write` call.

    Parquet needs ``pyarrow`` (``pip install 'ser[ray]'``); each :meth:`write` is one row group.

    Args:
        path: Where to write; the extension picks the format. Its folder is created.
        labels: The model's classes (the probability columns).

    Raises:
        OutputError: An unknown extension, or Parquet without ``pyarrow``.
    """

    def __init__(self, path: str | Path, labels: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = columns(labels)
        self.rows_written = 0
        suffix = self.path.suffix.lower()
        if suffix not in OUTPUT_FORMATS:
            raise OutputError(
                f"cannot write results to {self.path.name}: use a {' or '.join(OUTPUT_FORMATS)} file"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._parquet = None
        self._csv_file = None
        if suffix == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as err:
                raise OutputError(
                    "writing Parquet needs pyarrow: pip install 'ser[ray]' (or write a .csv)"
                ) from err
            self._schema = pa.schema(
                [
                    (c, pa.float64() if c in _FLOATS or c.startswith("p_") else pa.string())
                    for c in self.columns
                ]
            )
            self._parquet = pq.ParquetWriter(self.path, self._schema)
        else:
            self._csv_file = self.path.open("w", newline="")
            self._csv = csv.DictWriter(self._csv_file, fieldnames=self.columns)
            self._csv.writeheader()

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append ``rows`` (dicts with :func:`columns`' keys) and flush them to disk."""
        rows = list(rows)
        if not rows:
            return
        if self._parquet is not None:
            import pyarrow as pa

            self._parquet.write_table(pa.Table.from_pylist(rows, schema=self._schema))
        else:
            self._csv.writerows(rows)
            self._csv_file.flush()
        self.rows_written += len(rows)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv_file is not None:
            self._csv_file.close()
        logger.info("wrote %d row(s) to %s", self.rows_written, self.path)

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a results file written by :class:`ResultWriter` (CSV values are strings;
    empty cells are ``None``)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    with path.open(newline="") as f:
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(f)]
