"""The model-type registry: one :class:`MemberType` object per kind of single model.

A member type is the one place that knows a kind of model:

- its name in configs and bundles (``"tracks"``), the name of its Keras input, a title and a
  one-line description for people (the app's About, the model card);
- where its settings live in :class:`ser.config.SERConfig`;
- how its input is made from the shared analysis of a recording (one STFT,
  :class:`ser.features.FrameTracks`): what training caches for every version of a file
  (:meth:`~MemberType.file_input`), one test example from that (:meth:`~MemberType.example`)
  and the inputs of the analysis windows at inference (:meth:`~MemberType.window_inputs`),
  padding included;
- its builder and training recipe (:meth:`~MemberType.fit`), and how the CV protocol and the
  model card describe it.

Training, inference, the bundle, the card and the app read this registry and never compare a
model type's name. Adding a type is one module that subclasses :class:`MemberType` and calls
:func:`register` (the built-in types are in :mod:`ser.members`).

This module imports neither TensorFlow nor librosa: feature worker processes read it too.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from ser.config import SERConfig
    from ser.features import FrameTracks, Windows
    from ser.scaler import Scaler
    from ser.training.data import TrainingData

#: The pooled model type: several members, combined (:mod:`ser.fusion`).
FUSION = "fusion"

_REGISTRY: dict[str, MemberType] = {}


@dataclass(frozen=True)
class FitRequest:
    """What a member type is asked to train on.

    Attributes:
        data: The dataset (every member type's inputs, labels, speakers, intensity).
        train: Boolean mask of the training files.
        n_classes: Number of emotions.
        config: The settings of the model being trained.
        validation: Boolean mask of held-out *training* speakers' files, which a type may use
            for early stopping (never test files); ``None`` in the final fit.
        epochs: Fixed length of training, or ``None`` for the type's own choice (the final fit
            passes the median of the folds' :attr:`FittedMember.epochs`).
    """

    data: TrainingData
    train: np.ndarray
    n_classes: int
    config: SERConfig
    validation: np.ndarray | None = None
    epochs: int | None = None

    @property
    def everything(self) -> np.ndarray:
        """``train | validation``: every file the request lets the model see."""
        return self.train if self.validation is None else self.train | self.validation


@dataclass(frozen=True)
class FittedMember:
    """A trained single model and what prediction needs besides it.

    Attributes:
        model: The Keras model (inputs named by its type's ``input_name``).
        epochs: Epochs it was trained for (chosen by early stopping, or fixed).
        scaler: Standardisation of its input, for types with ``uses_scaler``.
    """

    model: Any
    epochs: int
    scaler: Scaler | None = None

    def prepare(self, x: np.ndarray) -> np.ndarray:
        """The model's input from examples ``x`` (standardised when it has a scaler)."""
        return x if self.scaler is None else self.scaler.transform(x)


class MemberType(abc.ABC):
    """One kind of single model. Subclasses set the class attributes and implement the methods.

    Attributes:
        name: Its name in configs, bundles and metrics (``"mlp"``, ``"cnn"``, ``"tracks"``).
        input_name: Name of its Keras input (``"features"``, ``"logmel"``, ``"tracks"``).
        title: What people call it (``"log-mel CNN"``).
        description: One phrase on what it reads, for the app and the model card.
        settings_field: The :class:`~ser.config.SERConfig` attribute holding its settings
            (``None``: it has none).
        uses_scaler: Its input is standardised outside the model by the bundle's
            ``scaler.json`` (fitted on each training set).
        relative_cost: Roughly what fitting it on a file costs next to the other types (the
            track CNN's 1); fits are started costliest first so that workers finish together.
    """

    name: ClassVar[str]
    input_name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    settings_field: ClassVar[str | None] = None
    uses_scaler: ClassVar[bool] = False
    relative_cost: ClassVar[float] = 1.0

    def settings(self, config: SERConfig) -> Any:
        """This type's settings in ``config``."""
        return getattr(config, self.settings_field) if self.settings_field else None

    def preset_epochs(self, config: SERConfig) -> int | None:
        """The epochs it trains for whatever the data (``None``: the folds choose them, e.g. by
        early stopping). When every member's are preset, the final fit need not wait for the CV."""
        return None

    def validate(self, config: SERConfig) -> None:  # noqa: B027  (a hook: most types accept any settings)
        """Raise ValueError when ``config`` asks this type for something it cannot do."""

    @abc.abstractmethod
    def input_shape(self, config: SERConfig) -> tuple[int, ...]:
        """Shape of one example of the model's input (no batch axis)."""

    @abc.abstractmethod
    def file_input(self, tracks: FrameTracks, config: SERConfig) -> np.ndarray:
        """What training stores for one version (clean or augmented) of a file, from the
        per-frame analysis of its speech."""

    @abc.abstractmethod
    def example(self, stored: np.ndarray, config: SERConfig) -> np.ndarray:
        """The model input (before any scaler) of a whole file from what :meth:`file_input`
        stored, as inference would make it: how test files are fed in cross-validation."""

    @abc.abstractmethod
    def window_inputs(self, windows: Windows, config: SERConfig) -> np.ndarray:
        """The model inputs (before any scaler) of every analysis window, shape
        ``(n_windows, *input_shape)``."""

    @abc.abstractmethod
    def fit(self, request: FitRequest) -> FittedMember:
        """Train a model of this type as ``request`` asks (its builder and training recipe)."""

    @abc.abstractmethod
    def protocol(self, config: SERConfig) -> str:
        """How it is trained, in one clause of the CV protocol (``metrics.json``)."""

    @abc.abstractmethod
    def card_text(self, config: SERConfig, metrics: dict[str, Any]) -> str:
        """Its paragraph of the model card's "Training data and protocol" list (Markdown)."""


def register(member_type: MemberType) -> MemberType:
    """Add ``member_type`` to the registry (its ``name`` must be new) and return it."""
    if member_type.name in _REGISTRY or member_type.name == FUSION:
        raise ValueError(f"a model type named {member_type.name!r} is already registered")
    _REGISTRY[member_type.name] = member_type
    return member_type


def unregister(name: str) -> None:
    """Remove a registered type (for types registered by tests or plug-ins)."""
    _REGISTRY.pop(name, None)


def member_type(name: str) -> MemberType:
    """The registered type called ``name``.

    Raises:
        KeyError: No type has that name.
    """
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model type {name!r}; registered: {', '.join(_REGISTRY)}") from None


def member_names() -> tuple[str, ...]:
    """Names of every registered single-model type, in registration order."""
    _load_builtins()
    return tuple(_REGISTRY)


def _load_builtins() -> None:
    import ser.members  # noqa: F401  (registers the built-in types on first import)
