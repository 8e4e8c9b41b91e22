"""The log-mel CNN: a small 2-D CNN over a crop of the log-mel spectrogram of the speech.

The crop is standardised per mel band inside the model, given each band's slope over time as a
second channel (optional), then average-pooled in time (optional); Conv k×k → BatchNorm → ReLU →
MaxPool 2×2 blocks follow; the frequency axis is averaged away (or its bands kept side by side)
and the time axis summarised by its mean and max (:func:`ser.members.conv.heads`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ser.members.conv import ConvMember, conv_blocks
from ser.registry import register

if TYPE_CHECKING:
    import keras

    from ser.config import CNNConfig, SERConfig
    from ser.features import FrameTracks


class LogMelCNN(ConvMember):
    """2-D CNN over ``(frames, n_mels)`` log-mel crops; short speech is padded with its quietest
    value."""

    name = "cnn"
    input_name = "logmel"
    title = "log-mel CNN"
    description = "a small convolutional network over a 2 s log-mel spectrogram of the speech"
    settings_field = "cnn"
    relative_cost = 3.0  # a step takes about 3 × the track CNN's (scripts/benchmark_training.py)

    def frame_matrix(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return tracks.log_mel

    def n_rows(self, config: SERConfig) -> int:
        return config.features.n_mels

    centre_kinds = ("spectrum",)
    spectrogram_settings = frozenset({"pcen", "deltas", "keep_bands"})

    def centred_rows(self, kind: str, config: SERConfig) -> tuple[slice, int | None]:
        """``"spectrum"``: every mel band."""
        return slice(None), None

    def body(self, x: keras.KerasTensor, config: CNNConfig) -> keras.KerasTensor:
        """Optional Δ channel and average pooling in time, Conv k×k → BatchNorm → ReLU → MaxPool
        2×2 blocks, then the mean over frequency (or, with ``keep_bands``, the bands side by side)."""
        import keras

        from ser.layers import TimeDelta

        frames, n_mels = x.shape[1:]
        x = keras.layers.Reshape((frames, n_mels, 1))(x)
        if config.deltas:
            x = keras.layers.Concatenate(name="level_and_delta")([x, TimeDelta(name="delta")(x)])
        if config.time_pool > 1:
            x = keras.layers.AveragePooling2D((config.time_pool, 1), name="time_pool")(x)
        x = conv_blocks(x, config, keras.layers.Conv2D, keras.layers.MaxPooling2D)
        frames, bands, filters = x.shape[1:]
        if not config.keep_bands:
            x = keras.layers.AveragePooling2D((1, bands), name="freq_mean")(x)
            bands = 1
        return keras.layers.Reshape((frames, bands * filters))(x)

    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        cc = self.settings(config)
        crop_s = cc.frames * config.features.hop_length / config.audio.sample_rate
        k = cc.kernel_size
        return (
            f"**Log-mel CNN:** a {cc.frames}-frame crop (≈ {crop_s:.1f} s) of the {config.features.n_mels}-band "
            "log-mel spectrogram\n  of the speech (padded when shorter, centred), standardised per band; "
            f"Conv {k}×{k} blocks with\n  {'-'.join(map(str, cc.channels))} filters (BatchNorm, ReLU, "
            "max-pool), "
            + ("the bands side by side" if cc.keep_bands else "mean over frequency")
            + ", mean\n  and max over time, dropout "
            f"{cc.dropout}, then an emotion softmax and an intensity sigmoid.\n  "
            + self.training_recipe(config)
        )


LOGMEL_CNN = register(LogMelCNN())
