"""ser — speech emotion recognition: audio in, 8 emotions out, trained and evaluated honestly.

Modules, one concern each:

- :mod:`ser.audio`      decode, validate, resample, find speech, normalise level
- :mod:`ser.features`   one STFT → a named feature vector and a log-mel crop per clip or window
- :mod:`ser.extraction` model inputs of many files: parallel, cached, with augmented copies
- :mod:`ser.augment`    waveform augmentation, SpecAugment and mixup for training rows
- :mod:`ser.datasets`   RAVDESS names and CSV manifests
- :mod:`ser.model`      the Keras MLP and CNN, seed ensembles and their fusion
- :mod:`ser.train`      speaker-disjoint cross-validation and the final fit
- :mod:`ser.metrics`    accuracy, UAR, macro-F1, confusion matrices
- :mod:`ser.bundle`     the model bundle on disk (``.keras`` + JSON), validated on load
- :mod:`ser.inference`  :class:`~ser.inference.Predictor`
- :mod:`ser.hub`        model from a folder, the Hub or the bundled default; publishing
- :mod:`ser.card`       the Hub model card
- :mod:`ser.plots`      figures for the app
"""

__version__ = "0.2.0"
