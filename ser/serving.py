"""Predictions in worker processes, for a server: the answers of a :class:`~ser.inference.Predictor`
without holding the server's interpreter lock.

Decoding and features are Python-heavy (librosa), so one process serves about one core's worth
of requests however many threads it has. :class:`PredictorPool` runs the same bundle in
``workers`` spawned processes, leaving the server's own process to the web traffic.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from ser.audio import AudioSource
from ser.inference import Prediction, Predictor

logger = logging.getLogger(__name__)

_WORKER: Predictor | None = None


def _start_worker(bundle_dir: str) -> None:
    global _WORKER
    from ser.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    _WORKER = Predictor(bundle_dir)
    _WORKER.warmup()


def _predict_in_worker(source: AudioSource) -> Prediction:
    return _WORKER.predict(source)


class PredictorPool:
    """``workers`` processes, each with its own :class:`~ser.inference.Predictor` of one bundle.

    Args:
        bundle_dir: A local bundle folder (e.g. ``predictor.bundle.path``: the Hub copy that
            :meth:`~ser.inference.Predictor.from_pretrained` resolved), loaded by every worker.
        workers: Processes (each holds TensorFlow and the model: ~0.5 GB).

    :meth:`predict` behaves as :meth:`ser.inference.Predictor.predict`: same result, same
    :class:`ser.audio.AudioError` for input that cannot be used.
    """

    def __init__(self, bundle_dir: str | Path, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be ≥ 1, got {workers}")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("spawn"),  # never fork a process that runs TensorFlow
            initializer=_start_worker,
            initargs=(str(bundle_dir),),
        )
        # start every worker now (loading and warming up in parallel), not at the first request
        self._ready = [self._executor.submit(_worker_ready) for _ in range(workers)]

    def wait_ready(self) -> None:
        """Block until every worker has loaded and warmed up its model."""
        for future in self._ready:
            future.result()

    def submit(self, source: AudioSource) -> Future:
        """A future :class:`~ser.inference.Prediction` of ``source``."""
        return self._executor.submit(_predict_in_worker, source)

    def predict(self, source: AudioSource) -> Prediction:
        """The prediction of ``source``, computed in a worker process."""
        return self.submit(source).result()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _worker_ready() -> bool:
    return _WORKER is not None
