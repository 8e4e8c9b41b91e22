"""The model-type registry: adding a type is one class and its registration.

The toy type below is what the README's "Adding a model type" walks through: a logistic
regression over two numbers of the feature vector. Registered, it trains with speaker-disjoint
CV, is saved, loaded, served, described on the card and in the app, and fused with a built-in
type, without a change anywhere else.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import app
from ser import Predictor
from ser.bundle import BundleError, load_bundle
from ser.card import render_card
from ser.config import ModelConfig, SERConfig
from ser.datasets import manifest_items
from ser.features import feature_names, summarise
from ser.registry import FitRequest, FittedMember, MemberType, member_names, member_type, register, unregister
from ser.training import train
from tests.audio_fixtures import synth_speech
from tests.conftest import TOY_CLASSES

SR = 22050


class PitchAndRate(MemberType):
    """A logistic regression over the mean pitch and the speaking rate of a clip."""

    name = "pitchrate"
    input_name = "pitch_rate"
    title = "pitch-and-rate regression"
    description = "a logistic regression over mean pitch and speaking rate"
    features = ("f0_st_mean", "onset_rate_hz")

    def input_shape(self, config: SERConfig) -> tuple[int, ...]:
        return (len(self.features),)

    def _pick(self, vectors: np.ndarray, config: SERConfig) -> np.ndarray:
        names = feature_names(config.features)
        return vectors[..., [names.index(f) for f in self.features]]

    def file_input(self, tracks, config: SERConfig) -> np.ndarray:
        return self._pick(summarise(tracks, config=config.features), config)

    def example(self, stored: np.ndarray, config: SERConfig) -> np.ndarray:
        return stored

    def window_inputs(self, windows, config: SERConfig) -> np.ndarray:
        return self._pick(windows.vectors, config)

    def fit(self, request: FitRequest) -> FittedMember:
        import keras

        config = request.config
        x, y = request.data.examples(self, request.train, config), request.data.y[request.train]
        keras.utils.set_random_seed(0)
        inputs = keras.Input(self.input_shape(config), name=self.input_name)
        standardise = keras.layers.Normalization()
        standardise.adapt(x)
        probabilities = keras.layers.Dense(request.n_classes, activation="softmax", name="emotion")
        model = keras.Model(inputs, probabilities(standardise(inputs)), name=f"ser_{self.name}")
        model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
        epochs = request.epochs or 60
        model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
        return FittedMember(model, epochs)

    def protocol(self, config: SERConfig) -> str:
        return f"{self.title}: 60 epochs on all the fold's training speakers"

    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        return f"**{self.title}:** {self.description}, standardised inside the model."


#: A small MLP, to fuse the toy type with a built-in one in seconds.
SMALL_MLP = dataclasses.replace(ModelConfig(), hidden=(16,), epochs=10, ensemble=1, augment_copies=0)


@pytest.fixture
def pitch_and_rate():
    registered = register(PitchAndRate())
    yield registered
    unregister(registered.name)


def test_the_built_in_types_are_registered_with_their_inputs():
    assert set(member_names()) >= {"mlp", "cnn", "tracks"}
    assert {n: member_type(n).input_name for n in ("mlp", "cnn", "tracks")} == {
        "mlp": "features",
        "cnn": "logmel",
        "tracks": "tracks",
    }
    assert [member_type(n).uses_scaler for n in ("mlp", "cnn", "tracks")] == [True, False, False]


def test_names_are_unique_and_unknown_types_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="already registered"):
        register(member_type("cnn"))
    with pytest.raises(ValueError, match="model_type must be one of .*'tracks'"):
        SERConfig(model_type="transformer")
    with pytest.raises(KeyError, match="unknown model type 'transformer'"):
        member_type("transformer")


@pytest.mark.slow
def test_a_registered_type_trains_serves_and_is_described_everywhere(pitch_and_rate, toy_corpus, tmp_path):
    items = manifest_items(toy_corpus)
    config = SERConfig(model=SMALL_MLP, model_type="pitchrate")
    metrics = train(items, tmp_path / "toy", config, n_folds=3)
    assert metrics["summary"]["uar"]["mean"] > 0.6  # the toy classes differ in pitch and rhythm
    assert "pitch-and-rate regression: 60 epochs" in metrics["protocol"]
    assert metrics["final_fit"]["pitchrate_epochs"] == 60

    predictor = Predictor.from_pretrained(tmp_path / "toy")
    result = predictor.predict((SR, synth_speech(2.5, f0=200, rate_hz=6.5, seed=7)))
    assert result.label in TOY_CLASSES and sum(result.probabilities.values()) == pytest.approx(1.0)
    assert result.intensity is None  # the toy type has no intensity head
    assert "**pitch-and-rate regression:** a logistic regression" in str(
        render_card(predictor.bundle, "me/toy")
    )
    assert "A logistic regression over mean pitch and speaking rate (Keras)." in app.about_markdown(predictor)

    fused = SERConfig(model=SMALL_MLP, model_type="fusion", fusion_members=("pitchrate", "mlp"))
    metrics = train(items, tmp_path / "fused", fused, n_folds=3)
    assert set(metrics["models"]) == {"pitchrate", "mlp", "fusion"}
    bundle = load_bundle(tmp_path / "fused")
    assert set(bundle.config.inputs) == {"pitch_rate", "features"} and bundle.scaler is not None
    assert Predictor(bundle).predict((SR, synth_speech(2.5, f0=80, rate_hz=1.5, seed=8))).label in TOY_CLASSES

    unregister("pitchrate")  # a bundle of a type this code does not know is refused, not guessed at
    with pytest.raises(BundleError, match="model_type must be one of"):
        load_bundle(tmp_path / "toy")
