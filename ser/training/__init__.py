"""Training, in the order data flows:

- :mod:`ser.training.data`      labelled items → :class:`~ser.training.data.TrainingData`
  (every member type's inputs of every file and augmented copy, cached)
- :mod:`ser.training.folds`     speaker-disjoint folds and early-stopping speakers
- :mod:`ser.training.crops`     the crop-training recipe the CNN member types share
- :mod:`ser.training.crossval`  cross-validation of the model and each member on the same folds
- :mod:`ser.training.pipeline`  :func:`train`: CV, final fit, bundle

Each member type's own recipe is its :meth:`ser.registry.MemberType.fit`.
"""

from ser.training.pipeline import train

__all__ = ["train"]
