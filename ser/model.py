"""The Keras MLP over the feature vector."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from ser.config import ModelConfig  # noqa: E402


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


def average_models(members: list[keras.Model]) -> keras.Model:
    """One model whose output is the mean of ``members``' probabilities (a seed ensemble).

    A single member is returned as it is.
    """
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(shape=members[0].input_shape[1:], name="features")
    outputs = keras.layers.Average(name="emotion")([m(inputs) for m in members])
    return keras.Model(inputs, outputs, name="ser_mlp_ensemble")
