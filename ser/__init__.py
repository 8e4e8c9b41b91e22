"""ser — speech emotion recognition: audio in, 8 emotions out, trained and evaluated honestly.

>>> from ser import Predictor
>>> predictor = Predictor.from_pretrained()  # bundled model; or a folder, or a Hub repo id

Data flows one way: audio → features → model inputs → model → result. Modules, one concern each:

- :mod:`ser.audio`         decode, validate, resample, find speech, normalise level
- :mod:`ser.vad`           voicing: is a voice there under steady noise, babble or music
- :mod:`ser.features`      one STFT → per-frame tracks, feature vectors, analysis windows, crops
- :mod:`ser.registry`      the model-type registry: one :class:`~ser.registry.MemberType` per kind
                           of model (its input, padding, builder, training recipe, descriptions)
- :mod:`ser.members`       the built-in types: ``mlp``, ``cnn`` (log-mel), ``tracks``
- :mod:`ser.inputs`        every input a model takes, per analysis window, from one STFT
- :mod:`ser.layers`        custom Keras layers (saved by name) · :mod:`ser.fusion` pooling models
- :mod:`ser.extraction`    training inputs of many files: parallel, cached, augmented copies
- :mod:`ser.augment`       training copies (basic and world recipes), SpecAugment and mixup
- :mod:`ser.channels`      how recordings reach us: codecs, telephone, noise, babble, rooms, voices
- :mod:`ser.datasets`      RAVDESS names and CSV manifests
- :mod:`ser.training`      data assembly, folds, crop training, cross-validation, the pipeline
- :mod:`ser.calibration`   confidence levels, temperature scaling, ECE, each level's precision
- :mod:`ser.degrade`       degraded copies of a test set (codecs, phone, noise, babble, room, …)
- :mod:`ser.metrics`       accuracy, UAR, macro-F1, confusion matrices, scores on a corpus's own classes
- :mod:`ser.crosscorpus`   a bundle measured on other corpora (``cross_corpus`` in ``metrics.json``)
- :mod:`ser.scaler` · :mod:`ser.bundle`  the model bundle on disk (``.keras`` + JSON), validated
- :mod:`ser.hub`           model from a folder, the Hub or the bundled default; publishing
- :mod:`ser.inference`     :class:`~ser.inference.Predictor`, the one door into a model
- :mod:`ser.batch`         batch scoring: the file list (paths, fsspec URLs), the local engine
- :mod:`ser.raybatch`      the Ray Data engine (feature tasks, model actors); the ``ray`` extra
- :mod:`ser.results`       one row per scored file, streamed to Parquet or CSV
- :mod:`ser.segments`      emotion by utterance: utterances, pieces, shares of speech, "mixed"
- :mod:`ser.live`          a live microphone stream
- :mod:`ser.serving`       predictions in worker processes, for a server
- :mod:`ser.emotions` · :mod:`ser.presentation`  the emotions; their emoji, colours, headline
- :mod:`ser.card` · :mod:`ser.plots`  the Hub model card; figures for the app
- :mod:`ser.errors`        :class:`~ser.errors.SERError`, the root of every error ser raises
- :mod:`ser.cli`           the ``ser-evaluate``, ``ser-train``, ``ser-publish``, ``ser-benchmark``,
                           ``ser-benchmark-engines``, ``ser-degrade`` commands
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# TensorFlow's C++ and absl logs are noise for the people using ser; `--verbose` brings them back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.13.0"
__all__ = ["Predictor", "SERError", "__version__"]

if TYPE_CHECKING:
    from ser.errors import SERError
    from ser.inference import Predictor


def __getattr__(name: str) -> Any:
    """``Predictor`` and ``SERError`` on first use, so that ``import ser.audio`` stays light."""
    if name == "Predictor":
        from ser.inference import Predictor

        return Predictor
    if name == "SERError":
        from ser.errors import SERError

        return SERError
    raise AttributeError(f"module 'ser' has no attribute {name!r}")
