"""The Ray engine: score any number of files on a Ray cluster with Ray Data batch inference.

The pipeline, streamed (files flow through while earlier ones are written):

1. the file list, as a Ray Dataset of ``(path, truth, true_intensity)`` rows;
2. decoding and features (:func:`ser.batch.analyse_file`) as Ray tasks, one CPU each, a batch of
   files per task: the costly part, spread over every CPU of the cluster;
3. the model in an actor pool: each actor loads a :class:`ser.inference.Predictor` once
   (TensorFlow with one thread) and answers a batch of analyses with one ``predict_on_batch``
   call; it costs about 1/10 of the features per file, so one actor serves many CPUs;
4. result rows (:mod:`ser.results`) back to the caller, batch by batch.

A file that cannot be used is an error row; Ray retries a task or restarts an actor whose process
died, so every input file comes out exactly once. Needs the ``ray`` extra: ``pip install 'ser[ray]'``.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ser.batch import FileJob, analyse_file, job_row
from ser.config import SERConfig
from ser.errors import SERError

logger = logging.getLogger(__name__)

#: Files per feature task (one task's work, and the unit Ray retries).
FEATURE_BATCH = 64
#: Analyses per model call in an actor.
MODEL_BATCH = 64
#: Ray's own loggers: errors only unless verbose.
RAY_LOGGERS = ("ray", "ray.data", "ray._private", "ray.util")


class ClusterError(SERError):
    """Ray is missing, or the cluster cannot be reached or started."""


def require_ray() -> Any:
    """The ``ray`` module, or a :class:`ClusterError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        raise ClusterError("the Ray engine needs Ray: pip install 'ser[ray]'") from err
    return ray


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast, with a clear message, when nothing listens at a ``host:port`` or
    ``ray://host:port`` cluster address (``"auto"`` and ``"local"`` are left to Ray).

    Raises:
        ClusterError: The address is malformed or refuses connections.
    """
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--address must be host:port or ray://host:port, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address} ({err.strerror or err}). Start one with "
            "`ray start --head`, check the address, or leave out --address to run locally."
        ) from err


def connect(address: str | None = None, cpus: int = 1, verbose: bool = False) -> None:
    """Join the cluster at ``address``, or start a local Ray with ``cpus`` CPUs; a Ray already
    initialised in this process is used as it is."""
    ray = require_ray()
    if not verbose:
        for name in RAY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        # Ray's C++ core logs notices at ERROR level to the terminal (e.g. that Ray Data keeps
        # actor arguments in the object store); they stay in the session's log files.
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    if ray.is_initialized():
        return
    options: dict[str, Any] = {
        "log_to_driver": verbose,
        "logging_level": logging.INFO if verbose else logging.ERROR,
    }
    if address:
        check_address(address)
        options["address"] = address
    else:
        options.update(num_cpus=cpus, include_dashboard=False)
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, TimeoutError) as err:
        raise ClusterError(f"cannot start Ray{' at ' + address if address else ''}: {err}") from err
    logger.info("Ray: %s", ray.cluster_resources())


def _features(batch: dict[str, Any], config: SERConfig) -> dict[str, Any]:
    """Ray task: analyse a batch of files. Each analysis (or the exception of a file that could
    not be used) travels pickled to the model actors; it is this run's own data."""
    import numpy as np

    analyses = [pickle.dumps(analyse_file(str(p), config)) for p in batch["path"]]
    return {**batch, "analysis": np.array(analyses, dtype=object)}


class ModelActor:
    """Ray Data actor: one :class:`ser.inference.Predictor`, loaded once, answers batches.

    Args:
        model: A bundle folder (reachable from every node), a Hub repo id, or ``None`` for
            ``$SER_MODEL_DIR``/``$SER_MODEL_REPO``/the bundled model, as :meth:`Predictor.from_pretrained`.
        revision: The Hub revision of ``model``.
    """

    def __init__(self, model: str | None, revision: str | None) -> None:
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
        from ser.cli import import_tensorflow_quietly
        from ser.inference import Predictor

        import_tensorflow_quietly()
        self.predictor = Predictor.from_pretrained(model, revision)

    def __call__(self, batch: dict[str, Any]) -> Any:
        import pandas as pd

        analyses = [pickle.loads(a) for a in batch["analysis"]]
        outcomes = self.predictor.predict_analyses(analyses)
        jobs = [
            FileJob(str(p), _text(t), _text(i))
            for p, t, i in zip(batch["path"], batch["truth"], batch["true_intensity"], strict=True)
        ]
        return pd.DataFrame(
            [job_row(j, o, self.predictor.labels) for j, o in zip(jobs, outcomes, strict=True)]
        )


def _text(value: Any) -> str | None:
    return None if value is None or value != value or value == "" else str(value)  # None, NaN, ""


def score_with_ray(
    jobs: Sequence[FileJob],
    config: SERConfig,
    model: str | Path | None = None,
    revision: str | None = None,
    actors: int = 1,
    feature_batch: int = FEATURE_BATCH,
    model_batch: int = MODEL_BATCH,
) -> Iterator[list[dict]]:
    """The Ray engine (call :func:`connect` first). Yields result rows batch by batch as the
    cluster produces them (in no particular order; each file exactly once).

    Args:
        jobs: The files.
        config: The model's settings (the features to compute; from its bundle's ``config.json``).
        model: What each actor loads (see :class:`ModelActor`).
        revision: Hub revision of ``model``.
        actors: Model actors (each holds one model; one serves the features of many CPUs).
        feature_batch: Files per feature task.
        model_batch: Analyses per model call.
    """
    ray = require_ray()
    from ray.data import ActorPoolStrategy, DataContext

    DataContext.get_current().enable_progress_bars = False
    items = [{"path": j.path, "truth": j.truth or "", "true_intensity": j.true_intensity or ""} for j in jobs]
    ds = ray.data.from_items(items, override_num_blocks=max(1, -(-len(items) // feature_batch)))
    ds = ds.map_batches(_features, batch_size=feature_batch, num_cpus=1, fn_kwargs={"config": config})
    ds = ds.map_batches(
        ModelActor,
        batch_size=model_batch,
        compute=ActorPoolStrategy(size=actors),
        num_cpus=0,  # the model's share of a CPU is small; the feature tasks hold the CPUs
        fn_constructor_kwargs={"model": None if model is None else str(model), "revision": revision},
    )
    for batch in ds.iter_batches(batch_size=None, batch_format="pandas"):
        yield [{k: _none_if_nan(v) for k, v in r.items()} for r in batch.to_dict("records")]


def _none_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value
