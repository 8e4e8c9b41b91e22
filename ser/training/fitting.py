"""Fitting the members of a model on one or more splits, one member at a time or several at once
in worker processes.

A convolutional member keeps only part of a 2-core CPU busy (its batches are drawn in Python
between steps), so two fits side by side finish sooner than one after the other (the CV's 10
fits on RAVDESS: 14.3 minutes instead of about 19.5 on 2 cores). Each worker process runs one
fit at a time, with TensorFlow's default threads, each fit seeded from the settings alone: the
models, and so every number, are the same whatever ``processes`` is (threads in one process
would share Keras' random state and make them depend on timing).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from ser.config import SERConfig
from ser.registry import FitRequest, FittedMember, member_type
from ser.training.data import TrainingData

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """The files one model is fitted on (see :class:`ser.registry.FitRequest`).

    Attributes:
        train: Boolean mask of the training files.
        validation: Boolean mask of held-out training speakers' files (early stopping), or ``None``.
        epochs: Fixed epochs by member name (the final fit), or ``None`` for each type's own choice.
    """

    train: np.ndarray
    validation: np.ndarray | None = None
    epochs: dict[str, int] | None = None

    def request(self, member: str, data: TrainingData, n_classes: int, config: SERConfig) -> FitRequest:
        """What member ``member`` is asked to train on."""
        epochs = (self.epochs or {}).get(member)
        return FitRequest(data, self.train, n_classes, config, self.validation, epochs)


def fit_splits(
    data: TrainingData,
    splits: Sequence[Split],
    n_classes: int,
    config: SERConfig,
    processes: int = 1,
) -> list[dict[str, FittedMember]]:
    """Fit every member type of ``config`` on each split.

    Args:
        processes: Fits at once, each in its own worker process (``1``: one after the other in
            this process), the costliest started first (:func:`costliest_first`). The results do
            not depend on it.

    Returns:
        Per split, in order, the fitted members by name.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    tasks = [(k, m) for k in range(len(splits)) for m in config.members]
    if processes > 1:
        tasks = costliest_first(tasks, splits, config)
    if processes == 1 or len(tasks) == 1:
        fitted = []
        for done, (k, m) in enumerate(tasks, 1):
            fitted.append(_fit(data, splits[k], m, n_classes, config))
            logger.info("fitted %s on split %d of %d (%d/%d fits)", m, k + 1, len(splits), done, len(tasks))
    else:
        context = multiprocessing.get_context("spawn")  # never fork a process that may hold TF threads
        with ProcessPoolExecutor(
            min(processes, len(tasks)),
            mp_context=context,
            initializer=_adopt,
            initargs=(data, logging.getLogger("ser").isEnabledFor(logging.DEBUG)),
        ) as pool:
            futures = [pool.submit(_fit_in_worker, splits[k], m, n_classes, config) for k, m in tasks]
            for done, future in enumerate(as_completed(futures), 1):
                k, m = tasks[futures.index(future)]
                logger.info(
                    "fitted %s on split %d of %d (%d/%d fits)", m, k + 1, len(splits), done, len(tasks)
                )
            fitted = [f.result() for f in futures]
    result: list[dict[str, FittedMember]] = [{} for _ in splits]
    for (k, m), f in zip(tasks, fitted):
        result[k][m] = f
    return result


def costliest_first(
    tasks: list[tuple[int, str]], splits: Sequence[Split], config: SERConfig
) -> list[tuple[int, str]]:
    """``(split index, member)`` fits ordered by what each costs, the costliest first: files it
    sees × the type's :attr:`~ser.registry.MemberType.relative_cost` × its epochs (the split's,
    else the type's preset ones, else 1). Started in this order, two workers finish at about the same time instead of one
    running the last long fit alone."""

    def cost(task: tuple[int, str]) -> float:
        split, kind = splits[task[0]], member_type(task[1])
        seen = split.train if split.validation is None else split.train | split.validation
        epochs = (split.epochs or {}).get(task[1]) or kind.preset_epochs(config) or 1
        return float(np.count_nonzero(seen)) * kind.relative_cost * epochs

    return sorted(tasks, key=cost, reverse=True)


def _fit(data: TrainingData, split: Split, member: str, n_classes: int, config: SERConfig) -> FittedMember:
    return member_type(member).fit(split.request(member, data, n_classes, config))


_WORKER_DATA: TrainingData | None = None


def _adopt(data: TrainingData, verbose: bool) -> None:
    """Worker initialiser: log as the command does, import TensorFlow quietly, keep the dataset
    (sent once per worker, not once per fit). Nothing this module imports loads TensorFlow."""
    from ser.cli import setup_logging

    global _WORKER_DATA
    setup_logging(verbose)
    _WORKER_DATA = data


def _fit_in_worker(split: Split, member: str, n_classes: int, config: SERConfig) -> FittedMember:
    assert _WORKER_DATA is not None, "worker started without its dataset"
    return _fit(_WORKER_DATA, split, member, n_classes, config)
