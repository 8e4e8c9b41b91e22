"""The track CNN: a 1-D CNN over a crop of the per-frame acoustic tracks
(:func:`ser.features.track_matrix`: F0, voicing, energy, spectral shape, MFCCs, chroma, …).

The crop is standardised per track inside the model; NaN (padding) then reads as 0, the training
mean. Conv1D → BatchNorm → ReLU → MaxPool 2 blocks follow; the time axis is summarised by its
mean and max (:func:`ser.members.conv.heads`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ser.features import track_groups, track_matrix, track_names
from ser.members.conv import ConvMember, conv_blocks
from ser.registry import register

if TYPE_CHECKING:
    import keras

    from ser.config import CNNConfig, SERConfig
    from ser.features import FrameTracks


class TrackCNN(ConvMember):
    """1-D CNN over ``(frames, n_tracks)`` crops of the acoustic tracks; short speech is padded
    with the training mean."""

    name = "tracks"
    input_name = "tracks"
    title = "track CNN"
    description = (
        "a 1-D convolutional network over how pitch, energy, MFCCs, spectral shape and chroma "
        "move through 2 s of the speech"
    )
    settings_field = "tracks"
    pads_with_training_mean = True

    def frame_matrix(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return track_matrix(tracks)

    def n_rows(self, config: SERConfig) -> int:
        return len(track_names(config.features))

    def row_groups(self, config: SERConfig) -> dict[str, list[int]]:
        return track_groups(config.features)

    centre_kinds = ("pitch", "spectrum")

    def centred_rows(self, kind: str, config: SERConfig) -> tuple[slice, int | None]:
        """``"pitch"``: F0 over the voiced frames; ``"spectrum"``: the MFCCs (not their deltas)."""
        names = track_names(config.features)
        if kind == "pitch":
            f0 = names.index("f0_st")
            return slice(f0, f0 + 1), names.index("voiced")
        first = names.index("mfcc0")
        return slice(first, first + config.features.n_mfcc), None

    def body(self, x: keras.KerasTensor, config: CNNConfig) -> keras.KerasTensor:
        """NaN (padding) → 0, the training mean; optional average pooling in time; Conv1D →
        BatchNorm → ReLU → MaxPool 2 blocks."""
        import keras

        from ser.layers import FillMissing

        x = FillMissing(name="fill_missing")(x)
        if config.time_pool > 1:
            x = keras.layers.AveragePooling1D(config.time_pool, name="time_pool")(x)
        return conv_blocks(x, config, keras.layers.Conv1D, keras.layers.MaxPooling1D)

    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        tc = self.settings(config)
        crop_s = tc.frames * config.features.hop_length / config.audio.sample_rate
        return (
            f"**Track CNN:** a {tc.frames}-frame crop of {self.input_rows(config)} tracks (≈ {crop_s:.1f} s "
            "of speech, padded when shorter,\n  centred): F0 (yin, in semitones) and a voicing flag, "
            "energy in dB re the loudest frame, ZCR,\n  spectral shape and contrast, 20 MFCCs with Δ "
            "and ΔΔ, chroma, tonnetz and onset strength, one\n  value per frame; standardised per track "
            "inside the model (padding reads as the training\n  mean). Conv1D blocks (kernel "
            f"{tc.kernel_size}) with {'-'.join(map(str, tc.channels))} filters (BatchNorm, ReLU,\n  "
            f"max-pool), mean and max over time, dropout {tc.dropout}, then an emotion softmax and an\n  "
            "intensity sigmoid. " + self.training_recipe(config)
        )


TRACK_CNN = register(TrackCNN())
