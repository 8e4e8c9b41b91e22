"""The log-mel CNN: a small 2-D CNN over a crop of the log-mel spectrogram of the speech."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ser.members.conv import ConvMember, heads
from ser.registry import register

if TYPE_CHECKING:
    import keras

    from ser.config import CNNConfig, SERConfig
    from ser.features import FrameTracks


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
    import keras

    from ser.config import CNNConfig

    config = config or CNNConfig()
    inputs = keras.Input(shape=(config.frames, n_mels), name=LogMelCNN.input_name)
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
    return heads(inputs, x, n_classes, steps, config, intensity, name)


class LogMelCNN(ConvMember):
    """2-D CNN over ``(frames, n_mels)`` log-mel crops; short speech is padded with its quietest
    value."""

    name = "cnn"
    input_name = "logmel"
    title = "log-mel CNN"
    description = "a small convolutional network over a 2 s log-mel spectrogram of the speech"
    settings_field = "cnn"

    def frame_matrix(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return tracks.log_mel

    def n_rows(self, config: SERConfig) -> int:
        return config.features.n_mels

    def build(self, *args: Any, **kwargs: Any) -> keras.Model:
        return build_cnn(*args, **kwargs)

    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        cc = self.settings(config)
        crop_s = cc.frames * config.features.hop_length / config.audio.sample_rate
        k = cc.kernel_size
        return (
            f"**Log-mel CNN:** a {cc.frames}-frame crop (≈ {crop_s:.1f} s) of the {config.features.n_mels}-band "
            "log-mel spectrogram\n  of the speech (padded when shorter, centred), standardised per band; "
            f"Conv {k}×{k} blocks with\n  {'-'.join(map(str, cc.channels))} filters (BatchNorm, ReLU, "
            "max-pool), mean over frequency, mean\n  and max over time, dropout "
            f"{cc.dropout}, then an emotion softmax and an intensity sigmoid.\n  "
            + self.training_recipe(config)
        )


LOGMEL_CNN = register(LogMelCNN())
