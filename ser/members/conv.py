"""What the convolutional member types share: a fixed-length crop of a per-frame matrix as input,
the output heads, and the crop-training recipe (:func:`ser.training.crops.fit_crops`).

A :class:`ConvMember` subclass says which per-frame matrix it reads (:meth:`~ConvMember.frame_matrix`),
how many rows it has, how short speech is padded, and how its network body is built.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ser.features import centre_rows, frame_crop, pcen_from_db
from ser.registry import FitRequest, FittedMember, MemberType

if TYPE_CHECKING:
    import keras

    from ser.config import CNNConfig, SERConfig
    from ser.features import FrameTracks, Windows


#: Training steps per call into the compiled graph: the same weights as one step per call (the
#: same batches, in the same order), with less Python between steps (the track CNN's epoch
#: −18 % on 2 cores, the log-mel CNN's −9 %).
STEPS_PER_EXECUTION = 10
#: Name of the layer that standardises each row of the crop with the training frames' statistics
#: (a ``keras.layers.Normalization``: its ``mean`` and ``variance``).
STANDARDISE_LAYER = "standardise"


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

    #: The kinds of :attr:`ser.config.CNNConfig.centre` it can measure relative to the clip.
    centre_kinds: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def centred_rows(self, kind: str, config: SERConfig) -> tuple[slice, int | None]:
        """For one of :attr:`centre_kinds`, the rows of :meth:`frame_matrix` to centre and the
        row saying which frames count (``None``: every frame)."""

    #: The settings only a spectrogram reader can take, and what each does (for the error).
    SPECTROGRAM_SETTINGS: ClassVar[dict[str, str]] = {
        "pcen": "read its matrix through PCEN",
        "deltas": "read its rows' slopes over time",
        "keep_bands": "keep frequency bands apart",
    }
    #: Which of :attr:`SPECTROGRAM_SETTINGS` it can take (:class:`ser.config.CNNConfig`).
    spectrogram_settings: ClassVar[frozenset[str]] = frozenset()

    def row_groups(self, config: SERConfig) -> dict[str, list[int]]:
        """Groups of :meth:`frame_matrix`'s rows that :attr:`ser.config.CNNConfig.leave_out` can
        name (none unless a subclass has them)."""
        return {}

    def kept_rows(self, config: SERConfig) -> list[int] | None:
        """Rows of :meth:`frame_matrix` the model reads, or ``None`` for every row."""
        leave_out = self.settings(config).leave_out
        if not leave_out:
            return None
        groups = self.row_groups(config)
        dropped = {row for group in leave_out for row in groups[group]}
        return [row for row in range(self.n_rows(config)) if row not in dropped]

    def input_rows(self, config: SERConfig) -> int:
        """Rows of the model's input: :meth:`n_rows` less those left out."""
        kept = self.kept_rows(config)
        return self.n_rows(config) if kept is None else len(kept)

    def validate(self, config: SERConfig) -> None:
        settings = self.settings(config)
        unknown = set(settings.centre) - set(self.centre_kinds)
        if unknown:
            raise ValueError(f"the {self.title} cannot centre {sorted(unknown)} (only {self.centre_kinds})")
        for name, what in self.SPECTROGRAM_SETTINGS.items():
            if getattr(settings, name) and name not in self.spectrogram_settings:
                raise ValueError(f"the {self.title} cannot {what} ({name})")
        groups = self.row_groups(config)
        unknown = set(settings.leave_out) - set(groups)
        if unknown:
            raise ValueError(f"the {self.title} cannot leave out {sorted(unknown)} (only {sorted(groups)})")
        if settings.leave_out and not self.kept_rows(config):
            raise ValueError(f"the {self.title} cannot leave out every row")

    def rewrites_matrix(self, config: SERConfig) -> bool:
        """Whether :meth:`clip_matrix` changes what training stored."""
        settings = self.settings(config)
        return bool(settings.centre) or settings.pcen or bool(settings.leave_out)

    def clip_matrix(self, matrix: np.ndarray, config: SERConfig) -> np.ndarray:
        """A clip's (or window's) per-frame matrix as the model reads it: through PCEN when
        :attr:`ser.config.CNNConfig.pcen` says so, with the rows that
        :attr:`ser.config.CNNConfig.centre` names relative to the clip's own median, and
        without the groups of rows :attr:`ser.config.CNNConfig.leave_out` names."""
        settings = self.settings(config)
        if settings.pcen:
            matrix = pcen_from_db(matrix, config.audio.sample_rate, config.features.hop_length)
        for kind in settings.centre:
            rows, weights = self.centred_rows(kind, config)
            matrix = centre_rows(matrix, rows, None if weights is None else matrix[weights])
        kept = self.kept_rows(config)
        return matrix if kept is None else matrix[kept]

    @abc.abstractmethod
    def body(self, x: keras.KerasTensor, config: CNNConfig) -> keras.KerasTensor:
        """The network between the standardised crop ``(batch, frames, rows)`` and the heads;
        returns ``(batch, frames', filters)``."""

    def build(
        self,
        n_rows: int,
        n_classes: int,
        mean: np.ndarray,
        variance: np.ndarray,
        steps: int,
        config: CNNConfig,
        intensity: bool = True,
        name: str | None = None,
        speakers: int = 0,
    ) -> keras.Model:
        """A compiled model over crops of ``config.frames`` frames.

        The crop is standardised per row inside the model, then :meth:`body`, then
        :func:`heads`; AdamW on a warm-up + cosine schedule.

        Args:
            n_rows: Rows of the per-frame matrix (mel bands, tracks).
            n_classes: Number of emotions.
            mean: Per-row mean of the training frames, shape ``(n_rows,)``.
            variance: Per-row variance of the training frames, shape ``(n_rows,)``.
            steps: Optimiser steps of the whole training (length of the schedule).
            config: Architecture and training settings.
            intensity: Add the ``"intensity"`` head (sigmoid, P(strong)).
            name: The model's name (default ``ser_<type name>``).
            speakers: Training speakers for the adversarial ``"speaker"`` head (0: no head;
                see :func:`heads`).

        Returns:
            A model mapping ``(batch, frames, n_rows)`` to ``{"emotion": (batch, n_classes)[,
            "intensity": (batch, 1)][, "speaker": (batch, speakers)]}``.
        """
        import keras

        inputs = keras.Input(shape=(config.frames, n_rows), name=self.input_name)
        x = keras.layers.Normalization(axis=-1, mean=mean, variance=variance, name=STANDARDISE_LAYER)(inputs)
        return heads(
            inputs,
            self.body(x, config),
            n_classes,
            steps,
            config,
            intensity,
            name or f"ser_{self.name}",
            speakers,
        )

    @property
    def inference_fill(self) -> float | None:
        """Padding of crops at inference (see :attr:`pads_with_training_mean`)."""
        return np.nan if self.pads_with_training_mean else None

    def input_shape(self, config: SERConfig) -> tuple[int, ...]:
        return (self.settings(config).frames, self.input_rows(config))

    def file_input(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return self.frame_matrix(tracks, config).astype(np.float16)

    def example(self, stored: np.ndarray, config: SERConfig) -> np.ndarray:
        return frame_crop(
            self.clip_matrix(stored, config), self.settings(config).frames, fill=self.inference_fill
        )

    def window_inputs(self, windows: Windows, config: SERConfig) -> np.ndarray:
        matrix = self.frame_matrix(windows.tracks, config)
        return np.stack([self.example(matrix[:, a:b], config) for a, b in windows.ranges])

    def preset_epochs(self, config: SERConfig) -> int:
        """The settings' epochs: a fixed schedule, the same in every fold."""
        return self.settings(config).epochs

    def fit(self, request: FitRequest) -> FittedMember:
        """A fixed schedule (``epochs``, else the settings' epochs) on ``train | validation``:
        no early stopping, so the validation speakers train too."""
        from ser.training.crops import fit_crops

        epochs = request.epochs or self.settings(request.config).epochs
        return FittedMember(fit_crops(self, request, epochs), epochs)

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
            + (
                f" {cc.shuffle_share:.0%} of the crops are cut into pieces (about {cc.shuffle_frames} frames)"
                " played in a random order."
                if cc.shuffle_share > 0
                else ""
            )
            + (
                f" A speaker head behind a gradient reversal (weight {cc.speaker_adversarial:g}) taught"
                " it to hide who speaks."
                if cc.speaker_adversarial > 0
                else ""
            )
            + (" Reads its matrix through PCEN (per-channel energy normalisation)." if cc.pcen else "")
            + (" Reads each band's slope over time (Δ) beside its level." if cc.deltas else "")
            + (f" Reads {' and '.join(cc.centre)} relative to each clip's own median." if cc.centre else "")
            + (f" Leaves out the {', '.join(cc.leave_out)} rows." if cc.leave_out else "")
        )


def conv_blocks(x: keras.KerasTensor, config: CNNConfig, conv: type, pool: type) -> keras.KerasTensor:
    """``config.channels`` blocks of ``conv`` (kernel ``config.kernel_size``, "same" padding, no
    bias) → BatchNorm → ReLU → ``pool`` by 2; ``conv``/``pool`` are Keras layer classes of one
    dimensionality (``Conv2D``/``MaxPooling2D`` or ``Conv1D``/``MaxPooling1D``)."""
    import keras

    for i, filters in enumerate(config.channels):
        x = conv(filters, config.kernel_size, padding="same", use_bias=False, name=f"conv_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
        x = pool(2, name=f"pool_{i}")(x)
    return x


def heads(
    inputs: Any,
    x: Any,
    n_classes: int,
    steps: int,
    config: CNNConfig,
    intensity: bool,
    name: str,
    speakers: int = 0,
) -> keras.Model:
    """Mean + max over time of ``x`` ``(batch, frames, filters)``, dropout, the output heads, and
    AdamW on a warm-up + cosine schedule of ``steps`` steps.

    With ``speakers``, a ``"speaker"`` head (a hidden layer of 64, softmax over the training
    speakers) reads the pooled features through :class:`ser.layers.ReverseGradient` of weight
    ``config.speaker_adversarial``: it learns who speaks while the layers below learn to hide it.
    It is for training only: :func:`without_speaker_head` removes it.
    """
    import keras

    from ser.layers import ReverseGradient

    pooled = keras.layers.Concatenate(name="time_stats")(
        [keras.layers.GlobalAveragePooling1D()(x), keras.layers.GlobalMaxPooling1D()(x)]
    )
    x = keras.layers.Dropout(config.dropout)(pooled)
    outputs = {"emotion": keras.layers.Dense(n_classes, activation="softmax", name="emotion")(x)}
    losses = {"emotion": keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)}
    weights = {"emotion": 1.0}
    if intensity:
        outputs["intensity"] = keras.layers.Dense(1, activation="sigmoid", name="intensity")(x)
        losses["intensity"] = "binary_crossentropy"
        weights["intensity"] = config.intensity_weight
    if speakers:
        s = ReverseGradient(config.speaker_adversarial, name="reverse_gradient")(pooled)
        s = keras.layers.Dense(64, activation="relu", name="speaker_hidden")(s)
        outputs["speaker"] = keras.layers.Dense(speakers, activation="softmax", name="speaker")(s)
        losses["speaker"] = "categorical_crossentropy"
        weights["speaker"] = 1.0
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
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return model


def without_speaker_head(model: keras.Model) -> keras.Model:
    """``model`` with only its ``"emotion"`` and ``"intensity"`` outputs (the same layers and
    weights); ``model`` itself when it has no ``"speaker"`` head."""
    import keras

    if "speaker" not in model.output_names:
        return model
    names = [n for n in ("emotion", "intensity") if n in model.output_names]
    return keras.Model(model.input, {n: model.get_layer(n).output for n in names}, name=model.name)
