"""Training, in the order data flows:

- :mod:`ser.training.data`      labelled items → :class:`~ser.training.data.TrainingData`
  (every member type's inputs of every file and augmented copy, cached)
- :mod:`ser.training.folds`     speaker-disjoint folds and early-stopping speakers
- :mod:`ser.training.crops`     the crop-training recipe the CNN member types share
- :mod:`ser.training.fitting`   fitting the members on splits, several at once in worker processes
- :mod:`ser.training.crossval`  cross-validation of the model and each member on the same folds
- :mod:`ser.training.pipeline`  :func:`train`: CV, final fit, bundle

Each member type's own recipe is its :meth:`ser.registry.MemberType.fit`.
"""

from typing import Any

__all__ = ["train"]


def __getattr__(name: str) -> Any:
    # Imported on first use: a fitting worker process imports this package before it may import
    # TensorFlow quietly (:mod:`ser.training.fitting`), and the pipeline imports TensorFlow.
    if name == "train":
        from ser.training.pipeline import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
