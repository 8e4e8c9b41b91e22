"""The custom Keras layers a bundle may name, registered for ``.keras`` loading (no pickles).

Importing this module registers them; :func:`ser.bundle.load_bundle` does so before loading.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from ser.config import FUSION_RULES


def check_rule(rule: str) -> None:
    """Raise ``ValueError`` unless ``rule`` is one of :data:`FUSION_RULES`."""
    if rule not in FUSION_RULES:
        raise ValueError(f"rule must be one of {FUSION_RULES}, got {rule!r}")


def pool_probabilities(
    parts: list[Any], rule: str = "arithmetic", weights: Sequence[float] | None = None
) -> Any:
    """Combine class-probability arrays ``parts`` (each ``(batch, n_classes)``) into one.

    ``"arithmetic"``: their mean. ``"geometric"``: the normalised geometric mean, i.e. the
    softmax of the mean log-probability (a logarithmic opinion pool: a class wins only if no
    member rules it out). ``weights`` (one per part, normalised to sum to 1; default: equal)
    make either mean a weighted one. Works on numpy arrays and Keras tensors alike.
    """
    check_rule(rule)
    stacked = keras.ops.stack(parts, axis=0)
    if rule == "geometric":
        stacked = keras.ops.log(keras.ops.clip(stacked, 1e-7, 1.0))
    if weights is None:
        pooled = keras.ops.mean(stacked, axis=0)
    else:
        if len(weights) != len(parts) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"weights must be {len(parts)} non-negative numbers, not all 0, got {weights!r}")
        w = keras.ops.convert_to_tensor([x / sum(weights) for x in weights], dtype=stacked.dtype)
        pooled = keras.ops.sum(keras.ops.reshape(w, (-1, 1, 1)) * stacked, axis=0)
    return pooled if rule == "arithmetic" else keras.ops.softmax(pooled, axis=-1)


@keras.saving.register_keras_serializable(package="ser")
class PoolProbabilities(keras.layers.Layer):
    """Layer form of :func:`pool_probabilities` (saved in ``.keras`` files by name)."""

    def __init__(
        self, rule: str = "arithmetic", weights: Sequence[float] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        check_rule(rule)
        self.rule = rule
        self.pool_weights = None if weights is None else [float(w) for w in weights]

    def call(self, parts: list[Any]) -> Any:
        return pool_probabilities(parts, self.rule, self.pool_weights)

    def compute_output_shape(self, input_shape: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rule": self.rule, "weights": self.pool_weights}


@keras.saving.register_keras_serializable(package="ser")
class FillMissing(keras.layers.Layer):
    """Replaces NaN with 0 (saved in ``.keras`` files by name)."""

    def call(self, x: Any) -> Any:
        return keras.ops.where(keras.ops.isnan(x), keras.ops.zeros_like(x), x)


@keras.saving.register_keras_serializable(package="ser")
class ReverseGradient(keras.layers.Layer):
    """Identity on the way forward; multiplies the gradient by ``-weight`` on the way back.

    The gradient reversal of domain-adversarial training (Ganin and Lempitsky, 2015): a head
    behind it learns to tell a nuisance (here, the speaker) from the features, while the layers
    in front of it learn to hide it. Written as ``stop_gradient((1 + w) x) - w x``, whose value
    is ``x`` and whose gradient is ``-w``, so it needs no backend-specific custom gradient.
    """

    def __init__(self, weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.weight = float(weight)

    def call(self, x: Any) -> Any:
        return keras.ops.stop_gradient((1.0 + self.weight) * x) - self.weight * x

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="ser")
class TimeDelta(keras.layers.Layer):
    """The local slope over time (axis 1) of ``(batch, frames, ...)``: ``librosa.feature.delta``'s
    regression over ``width`` frames (edges repeated), so a row's Δ at frame t is
    ``Σₙ n (x[t+n] − x[t−n]) / (2 Σₙ n²)`` for n = 1 … width // 2 (saved in ``.keras`` files)."""

    def __init__(self, width: int = 9, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if width < 3 or width % 2 == 0:
            raise ValueError(f"width must be an odd number ≥ 3, got {width}")
        self.width = int(width)

    def call(self, x: Any) -> Any:
        half = self.width // 2
        frames = keras.ops.shape(x)[1]
        first = keras.ops.repeat(x[:, :1], half, axis=1)
        last = keras.ops.repeat(x[:, -1:], half, axis=1)
        padded = keras.ops.concatenate([first, x, last], axis=1)
        total = 0.0
        for n in range(1, half + 1):
            ahead = padded[:, half + n : half + n + frames]
            behind = padded[:, half - n : half - n + frames]
            total = total + n * (ahead - behind)
        return total / (2.0 * sum(n * n for n in range(1, half + 1)))

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "width": self.width}
