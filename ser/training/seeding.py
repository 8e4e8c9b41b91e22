"""The process-wide random state that model initialisation draws from, shared safely by member
types trained in parallel threads (:func:`ser.training.crossval.fit_members`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_LOCK = threading.Lock()


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and the Keras backend with ``seed`` and keep other threads from drawing
    from (or reseeding) that state until the block ends.

    Build a model inside the block: its initial weights and its layers' own seed generators
    (dropout) are then fixed by ``seed`` alone, whatever other threads do. Training that draws
    from the global state while it runs (shuffling arrays) must stay inside the block too.
    """
    import keras

    with _LOCK:
        keras.utils.set_random_seed(seed)
        yield
