"""The Keras models: an MLP over the feature vector, a 2-D CNN over log-mel crops, a 1-D CNN
over crops of the acoustic tracks, and their combinations (seed ensembles, fusion).

Every model maps named inputs (``"features"``: ``(batch, n_features)``; ``"logmel"``:
``(batch, frames, n_mels)``; ``"tracks"``: ``(batch, frames, n_tracks)``) to an ``"emotion"``
softmax and, when trained with intensity labels, an ``"intensity"`` output: P(strong).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ser.config import FUSION_RULES, CNNConfig, ModelConfig  # noqa: E402


def build_mlp(
    n_features: int, n_classes: int, config: ModelConfig | None = None, name: str = "ser_mlp"
) -> keras.Model:
    """Dense blocks (Dense → BatchNorm → ReLU → Dropout, L2 on kernels) and a softmax.

    Args:
        n_features: Length of the (standardised) input vector.
        n_classes: Number of emotions.
        config: Layer sizes, dropout, L2 and learning rate.

    Returns:
        A compiled model mapping ``(batch, n_features)`` to ``(batch, n_classes)`` probabilities.
    """
    config = config or ModelConfig()
    reg = keras.regularizers.L2(config.l2)
    inputs = keras.Input(shape=(n_features,), name="features")
    x = (
        keras.layers.GaussianNoise(config.input_noise, name="input_noise")(inputs)
        if config.input_noise
        else inputs
    )
    for i, units in enumerate(config.hidden):
        x = keras.layers.Dense(units, kernel_regularizer=reg, name=f"dense_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i}")(x)
        x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="emotion")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_cnn(
    n_mels: int,
    n_classes: int,
    mean: np.ndarray,
    variance: np.ndarray,
    steps: int,
    config: CNNConfig | None = None,
    intensity: bool = True,
    name: str = "ser_cnn",
) -> keras.Model:
    """A small CNN over a log-mel crop, compiled with AdamW on a warm-up + cosine schedule.

    The input is standardised per mel band inside the model (``mean``/``variance`` from the
    training frames), then optionally average-pooled in time; Conv k×k → BatchNorm → ReLU →
    MaxPool 2×2 blocks follow; the frequency axis is averaged away and the time axis summarised
    by its mean and max.

    Args:
        n_mels: Mel bands of the input.
        n_classes: Number of emotions.
        mean: Per-band mean of the training frames, shape ``(n_mels,)``.
        variance: Per-band variance of the training frames, shape ``(n_mels,)``.
        steps: Optimiser steps of the whole training (length of the schedule).
        config: Architecture and training settings.
        intensity: Add the ``"intensity"`` head (sigmoid, P(strong)).

    Returns:
        A model mapping ``(batch, frames, n_mels)`` to ``{"emotion": (batch, n_classes)[,
        "intensity": (batch, 1)]}``.
    """
    config = config or CNNConfig()
    inputs = keras.Input(shape=(config.frames, n_mels), name="logmel")
    x = keras.layers.Normalization(axis=-1, mean=mean, variance=variance, name="standardise")(inputs)
    x = keras.layers.Reshape((config.frames, n_mels, 1))(x)
    if config.time_pool > 1:
        x = keras.layers.AveragePooling2D((config.time_pool, 1), name="time_pool")(x)
    for i, filters in enumerate(config.channels):
        x = keras.layers.Conv2D(
            filters, config.kernel_size, padding="same", use_bias=False, name=f"conv_{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    frames, bands, filters = x.shape[1:]
    x = keras.layers.AveragePooling2D((1, bands), name="freq_mean")(x)
    x = keras.layers.Reshape((frames, filters))(x)
    return _heads(inputs, x, n_classes, steps, config, intensity, name)


def build_track_cnn(
    n_tracks: int,
    n_classes: int,
    mean: np.ndarray,
    variance: np.ndarray,
    steps: int,
    config: CNNConfig | None = None,
    intensity: bool = True,
    name: str = "ser_tracks",
) -> keras.Model:
    """A 1-D CNN over a crop of the acoustic tracks, compiled like :func:`build_cnn`.

    The input is standardised per track inside the model (``mean``/``variance`` from the
    training frames); NaN (padding) then reads as 0, the training mean. Conv1D → BatchNorm →
    ReLU → MaxPool 2 blocks follow; the time axis is summarised by its mean and max.

    The arguments are those of :func:`build_cnn`, with ``n_tracks`` (the rows of
    :func:`ser.features.track_matrix`) in place of ``n_mels``; the model maps
    ``(batch, frames, n_tracks)`` to the same outputs.
    """
    config = config or CNNConfig()
    inputs = keras.Input(shape=(config.frames, n_tracks), name="tracks")
    x = keras.layers.Normalization(axis=-1, mean=mean, variance=variance, name="standardise")(inputs)
    x = FillMissing(name="fill_missing")(x)
    if config.time_pool > 1:
        x = keras.layers.AveragePooling1D(config.time_pool, name="time_pool")(x)
    for i, filters in enumerate(config.channels):
        x = keras.layers.Conv1D(
            filters, config.kernel_size, padding="same", use_bias=False, name=f"conv_{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
        x = keras.layers.MaxPooling1D(2, name=f"pool_{i}")(x)
    return _heads(inputs, x, n_classes, steps, config, intensity, name)


def _heads(
    inputs: keras.KerasTensor,
    x: keras.KerasTensor,
    n_classes: int,
    steps: int,
    config: CNNConfig,
    intensity: bool,
    name: str,
) -> keras.Model:
    """Mean + max over time of ``x`` ``(batch, frames, filters)``, dropout, the output heads, and
    AdamW on a warm-up + cosine schedule of ``steps`` steps."""
    x = keras.layers.Concatenate(name="time_stats")(
        [keras.layers.GlobalAveragePooling1D()(x), keras.layers.GlobalMaxPooling1D()(x)]
    )
    x = keras.layers.Dropout(config.dropout)(x)
    outputs = {"emotion": keras.layers.Dense(n_classes, activation="softmax", name="emotion")(x)}
    losses = {"emotion": "categorical_crossentropy"}
    weights = {"emotion": 1.0}
    if intensity:
        outputs["intensity"] = keras.layers.Dense(1, activation="sigmoid", name="intensity")(x)
        losses["intensity"] = "binary_crossentropy"
        weights["intensity"] = config.intensity_weight
    model = keras.Model(inputs, outputs, name=name)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate / 10,
        decay_steps=steps,
        warmup_target=config.learning_rate,
        warmup_steps=max(1, steps // 10),
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=losses,
        loss_weights=weights,
    )
    return model


@keras.saving.register_keras_serializable(package="ser")
class FillMissing(keras.layers.Layer):
    """Replaces NaN with 0 (saved in ``.keras`` files by name)."""

    def call(self, x: Any) -> Any:
        return keras.ops.where(keras.ops.isnan(x), keras.ops.zeros_like(x), x)


def outputs_of(result: object) -> dict[str, np.ndarray]:
    """A model's output as ``{"emotion": …[, "intensity": …]}`` (an MLP returns one array)."""
    return dict(result) if isinstance(result, dict) else {"emotion": result}


def _check_rule(rule: str) -> None:
    if rule not in FUSION_RULES:
        raise ValueError(f"rule must be one of {FUSION_RULES}, got {rule!r}")


def pool_probabilities(parts: list[Any], rule: str = "arithmetic") -> Any:
    """Combine class-probability arrays ``parts`` (each ``(batch, n_classes)``) into one.

    ``"arithmetic"``: their mean. ``"geometric"``: the normalised geometric mean, i.e. the
    softmax of the mean log-probability (a logarithmic opinion pool: a class wins only if no
    member rules it out). Works on numpy arrays and Keras tensors alike.
    """
    _check_rule(rule)
    stacked = keras.ops.stack(parts, axis=0)
    if rule == "arithmetic":
        return keras.ops.mean(stacked, axis=0)
    log_mean = keras.ops.mean(keras.ops.log(keras.ops.clip(stacked, 1e-7, 1.0)), axis=0)
    return keras.ops.softmax(log_mean, axis=-1)


@keras.saving.register_keras_serializable(package="ser")
class PoolProbabilities(keras.layers.Layer):
    """Layer form of :func:`pool_probabilities` (saved in ``.keras`` files by name)."""

    def __init__(self, rule: str = "arithmetic", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_rule(rule)
        self.rule = rule

    def call(self, parts: list[Any]) -> Any:
        return pool_probabilities(parts, self.rule)

    def compute_output_shape(self, input_shape: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rule": self.rule}


def average_models(
    members: list[keras.Model], name: str = "ser_ensemble", rule: str = "arithmetic"
) -> keras.Model:
    """One model whose outputs pool ``members``' outputs.

    Serves seed ensembles and fusion alike: the inputs are the union of the members' named
    inputs; ``"emotion"`` pools all members by ``rule`` (:func:`pool_probabilities`; the
    arithmetic mean is a plain ``Average`` layer), ``"intensity"`` is the mean over those that
    have it. A single member is returned as it is.
    """
    if len(members) == 1:
        return members[0]
    inputs: dict[str, keras.KerasTensor] = {}
    for member in members:
        for tensor in member.inputs:
            inputs.setdefault(tensor.name, keras.Input(shape=tensor.shape[1:], name=tensor.name))
    results = []
    for member in members:
        own = [inputs[t.name] for t in member.inputs]
        results.append(
            outputs_of(member(own[0] if len(own) == 1 else {t.name: inputs[t.name] for t in member.inputs}))
        )
    outputs = {}
    for key in ("emotion", "intensity"):
        parts = [r[key] for r in results if key in r]
        if parts:
            if len(parts) == 1:
                outputs[key] = parts[0]
            elif key == "emotion" and rule == "geometric":
                outputs[key] = PoolProbabilities(rule, name=key)(parts)
            else:
                outputs[key] = keras.layers.Average(name=key)(parts)
    if set(outputs) == {"emotion"} and len(inputs) == 1:
        return keras.Model(next(iter(inputs.values())), outputs["emotion"], name=name)
    return keras.Model(inputs, outputs, name=name)
