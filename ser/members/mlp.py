"""The MLP: a Keras MLP over the named summary-feature vector of each clip or window.

Its input (``"features"``) is standardised outside the model by the bundle's ``scaler.json``,
fitted on each training set's clean and augmented rows. Training: an ensemble of seeds, early
stopping on held-out *training* speakers, then (``refit``) retraining on all training speakers
for the epoch count early stopping chose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ser.features import feature_names, summarise
from ser.registry import FitRequest, FittedMember, MemberType, register
from ser.scaler import Scaler

if TYPE_CHECKING:
    import keras

    from ser.config import ModelConfig, SERConfig
    from ser.features import FrameTracks, Windows
    from ser.training.data import TrainingData


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
    import keras

    from ser.config import ModelConfig

    config = config or ModelConfig()
    reg = keras.regularizers.L2(config.l2)
    inputs = keras.Input(shape=(n_features,), name=MLP.input_name)
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


class MLP(MemberType):
    """The MLP over the feature vector (:func:`ser.features.feature_names`)."""

    name = "mlp"
    input_name = "features"
    title = "MLP"
    description = (
        "an MLP over summary statistics of one STFT (MFCCs with deltas, log-mel bands, spectral "
        "shape and contrast, chroma, pitch, rhythm)"
    )
    settings_field = "model"
    relative_cost = 0.5
    uses_scaler = True

    def input_shape(self, config: SERConfig) -> tuple[int, ...]:
        return (len(feature_names(config.features)),)

    def file_input(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        return summarise(tracks, config=config.features)

    def example(self, stored: np.ndarray, config: SERConfig) -> np.ndarray:
        return stored

    def window_inputs(self, windows: Windows, config: SERConfig) -> np.ndarray:
        return windows.vectors

    def training_rows(self, data: TrainingData, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every version of the files in ``mask``, ``(n_rows, F)`` (the clean rows first, then the
        augmented ones), with their labels ``(n_rows,)``."""
        versions = data.inputs[self.name]
        files = np.flatnonzero(mask)
        copies = [versions[i][1:] for i in files]
        x = np.stack([versions[i][0] for i in files] + [v for c in copies for v in c])
        y = np.concatenate([data.y[files], np.repeat(data.y[files], [len(c) for c in copies])])
        return x, y

    def fit(self, request: FitRequest) -> FittedMember:
        """Early stopping on the ``validation`` files when given (then, with ``refit``,
        retraining on ``train | validation`` for that many epochs), else ``epochs`` epochs."""
        data, config, validation, n_classes = (
            request.data,
            request.config,
            request.validation,
            request.n_classes,
        )
        names = feature_names(config.features)
        x, y = self.training_rows(data, request.train)
        scaler = Scaler.fit(x, names)
        held_out = (
            None
            if validation is None
            else (scaler.transform(data.examples(self, validation, config)), data.y[validation])
        )
        model, best = _fit_ensemble(scaler.transform(x), y, n_classes, config, held_out, request.epochs)
        if validation is not None and config.model.refit:
            x, y = self.training_rows(data, request.everything)
            scaler = Scaler.fit(x, names)
            model, _ = _fit_ensemble(scaler.transform(x), y, n_classes, config, None, best)
        return FittedMember(model, best, scaler)

    def protocol(self, config: SERConfig) -> str:
        text = "MLP: scaler fitted per fold on training rows; early stopping on held-out training speakers"
        if config.model.refit:
            text += "; then refit on all the fold's training speakers for that many epochs"
        return text

    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        mc = config.model
        n_classes = len(metrics.get("classes", [])) or "every class"
        final_epochs = metrics.get("final_fit", {}).get("mlp_epochs", "?")
        return (
            f"**Features:** {len(feature_names(config.features))} named features, feature version "
            f"{config.features.version}: ZCR, RMS,\n  spectral centroid/bandwidth/roll-off/flatness/"
            "contrast, 20 MFCCs with Δ and ΔΔ, chroma,\n  tonnetz, onset rate and tempo, F0 statistics "
            "(yin), log-mel statistics and band energies.\n"
            f"- **MLP:** Dense {'-'.join(map(str, mc.hidden))} (BatchNorm, ReLU, dropout {mc.dropout}, "
            f"L2 {mc.l2}), softmax\n  over {n_classes}; {mc.ensemble} seed(s) averaged. Adam, "
            "ReduceLROnPlateau, early\n  stopping on held-out *training* actors, class weights; "
            f"{mc.augment_copies} augmented copies\n  of each training file (see Augmentation). The final model is trained\n  on all the training actors for "
            f"{final_epochs} epochs (the median best epoch of the folds)."
        )


def _fit_ensemble(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    config: SERConfig,
    validation: tuple[np.ndarray, np.ndarray] | None,
    epochs: int | None,
) -> tuple[Any, int]:
    """Train ``config.model.ensemble`` MLPs (seeds ``seed``, ``seed + 1``, …) on standardised rows
    and average them into one model; returns it and the median best epoch (1-based)."""
    from ser.fusion import average_models

    members, best = [], []
    for i in range(config.model.ensemble):
        model, epoch = _fit_one(
            x, y, n_classes, config, config.model.seed + i, validation, epochs, f"ser_mlp_{i}"
        )
        members.append(model)
        best.append(epoch)
    return average_models(members, name="ser_mlp_ensemble"), int(np.median(best))


def _fit_one(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    config: SERConfig,
    seed: int,
    validation: tuple[np.ndarray, np.ndarray] | None,
    epochs: int | None,
    name: str,
) -> tuple[Any, int]:
    import keras
    from sklearn.utils.class_weight import compute_class_weight

    mc = config.model
    keras.utils.set_random_seed(seed)
    model = build_mlp(x.shape[1], n_classes, mc, name=name)
    present = np.unique(y)
    weights = compute_class_weight("balanced", classes=present, y=y)
    monitor = "val_loss" if validation else "loss"
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(3, mc.patience // 3), min_lr=1e-5
        )
    ]
    if validation is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=mc.patience, restore_best_weights=True)
        )
    history = model.fit(
        x,
        y,
        validation_data=validation,
        epochs=epochs or mc.epochs,
        batch_size=mc.batch_size,
        class_weight=dict(zip(present.tolist(), weights.tolist())),
        callbacks=callbacks,
        verbose=0,
        shuffle=True,
    )
    return model, int(np.argmin(history.history[monitor])) + 1


MLP_TYPE = register(MLP())
