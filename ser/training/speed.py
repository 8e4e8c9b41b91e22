"""How long one optimiser step of a convolutional member takes (training speed, not accuracy).

Times ``train_on_batch`` on random crops of the member's input shape, so that settings which
change the network's cost (``time_pool``, ``channels``, ``deltas``, …) or Keras' dtype policy can
be compared on a machine without any data. The numbers are the median over steps after a warm-up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ser.config import SERConfig
from ser.members.conv import ConvMember
from ser.registry import member_type


@contextmanager
def dtype_policy(name: str | None) -> Iterator[None]:
    """Build Keras layers under the dtype policy ``name`` (e.g. ``"mixed_bfloat16"``; ``None``:
    unchanged), restoring the previous policy afterwards."""
    import keras

    previous = keras.config.dtype_policy()
    if name:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def step_times(
    member: str,
    config: SERConfig,
    steps: int = 50,
    warmup: int = 5,
    policy: str | None = None,
    n_classes: int = 8,
    seed: int = 0,
) -> np.ndarray:
    """Seconds of each of ``steps`` training steps (after ``warmup`` untimed ones) of the
    convolutional member ``member`` built from ``config`` (one batch of
    ``settings.batch_size`` random crops, with the intensity head), under Keras dtype ``policy``.

    Raises:
        ValueError: ``member`` is not a convolutional member type, or ``steps`` < 1.
    """
    kind = member_type(member)
    if not isinstance(kind, ConvMember):
        raise ValueError(f"{member!r} is not a convolutional member type")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    import keras

    from ser.training.crops import emotion_targets

    settings = kind.settings(config)
    rows = kind.input_rows(config)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(settings.batch_size, settings.frames, rows)).astype(np.float32)
    targets = {
        "emotion": emotion_targets(rng.integers(n_classes, size=settings.batch_size), n_classes),
        "intensity": rng.integers(2, size=(settings.batch_size, 1)).astype(np.float32),
    }
    keras.utils.set_random_seed(seed)
    with dtype_policy(policy):
        model = kind.build(rows, n_classes, np.zeros(rows), np.ones(rows), warmup + steps, settings)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        model.train_on_batch(x, targets)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return np.array(times)
