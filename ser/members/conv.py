"""What the convolutional member types share: a fixed-length crop of a per-frame matrix as input,
the output heads, and the crop-training recipe (:func:`ser.training.crops.fit_crops`).

A :class:`ConvMember` subclass says which per-frame matrix it reads (:meth:`~ConvMember.frame_matrix`),
how many rows it has, how short speech is padded, and how its network body is built.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ser.features import frame_crop
from ser.registry import FittedMember, MemberType

if TYPE_CHECKING:
    import keras

    from ser.config import CNNConfig, SERConfig
    from ser.features import FrameTracks, Windows
    from ser.training.data import TrainingData


class ConvMember(MemberType):
    """A CNN over a ``(frames, rows)`` crop of a per-frame matrix (time first).

    Attributes:
        pads_with_training_mean: How shorter speech is padded. ``False``: with the matrix's
            smallest value (the quietest point of a log-mel spectrogram), in training and at
            inference alike. ``True``: with the training mean of each row; inference pads with
            NaN, which the model reads as that mean (:class:`ser.layers.FillMissing`).
    """

    pads_with_training_mean: ClassVar[bool] = False

    @abc.abstractmethod
    def frame_matrix(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        """The per-frame matrix it reads, ``(rows, n_frames)``."""

    @abc.abstractmethod
    def n_rows(self, config: SERConfig) -> int:
        """Rows of :meth:`frame_matrix`."""

    @abc.abstractmethod
    def build(
        self,
        n_rows: int,
        n_classes: int,
        mean: np.ndarray,
        variance: np.ndarray,
        steps: int,
        config: CNNConfig,
        intensity: bool = True,
        name: str = "ser_conv",
    ) -> keras.Model:
        """A compiled model over ``(batch, config.frames, n_rows)`` crops, standardised inside with
        the training frames' per-row ``mean`` and ``variance``, trained for ``steps`` optimiser
        steps; outputs ``"emotion"`` and (``intensity``) ``"intensity"``."""

    @property
    def inference_fill(self) -> float | None:
        """Padding of crops at inference (see :attr:`pads_with_training_mean`)."""
        return np.nan if self.pads_with_training_mean else None

    def input_shape(self, config: SERConfig) -> tuple[int, ...]:
        return (self.settings(config).frames, self.n_rows(config))

    def file_input(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return self.frame_matrix(tracks, config).astype(np.float16)

    def example(self, stored: np.ndarray, config: SERConfig) -> np.ndarray:
        return frame_crop(stored, self.settings(config).frames, fill=self.inference_fill)

    def window_inputs(self, windows: Windows, config: SERConfig) -> np.ndarray:
        matrix = self.frame_matrix(windows.tracks, config)
        frames = self.settings(config).frames
        return np.stack(
            [frame_crop(matrix[:, a:b], frames, fill=self.inference_fill) for a, b in windows.ranges]
        )

    def fit(
        self,
        data: TrainingData,
        train: np.ndarray,
        n_classes: int,
        config: SERConfig,
        validation: np.ndarray | None = None,
        epochs: int | None = None,
    ) -> FittedMember:
        """A fixed schedule (``epochs``, else the settings' epochs) on ``train | validation``:
        no early stopping, so the validation speakers train too."""
        from ser.training.crops import fit_crops

        files = train if validation is None else train | validation
        settings = self.settings(config)
        epochs = epochs or settings.epochs
        return FittedMember(fit_crops(self, data, files, n_classes, config, epochs), epochs)

    def protocol(self, config: SERConfig) -> str:
        return (
            f"{self.title}: {self.settings(config).epochs} epochs on all the fold's training "
            "speakers, standardised with their statistics; masking and mixup"
        )

    def training_recipe(self, config: SERConfig) -> str:
        """The card's sentence on how it was trained."""
        cc = self.settings(config)
        return (
            f"Trained from scratch for {cc.epochs} epochs (AdamW, warm-up + cosine) on random\n  crops of "
            f"the clean and augmented versions, with {cc.freq_masks} row and {cc.time_masks} time masks "
            f"(SpecAugment)\n  and mixup (α {cc.mixup_alpha})."
        )


def heads(
    inputs: Any,
    x: Any,
    n_classes: int,
    steps: int,
    config: CNNConfig,
    intensity: bool,
    name: str,
) -> keras.Model:
    """Mean + max over time of ``x`` ``(batch, frames, filters)``, dropout, the output heads, and
    AdamW on a warm-up + cosine schedule of ``steps`` steps."""
    import keras

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
