"""The model bundle: a folder with everything a prediction needs, in safe formats.

``model.keras``   the Keras model (no pickles): one named input per member type
                  (:attr:`ser.registry.MemberType.input_name`: ``"features"``, ``"logmel"``,
                  ``"tracks"``), outputs ``"emotion"`` and, when trained with intensity labels,
                  ``"intensity"``
``scaler.json``   per-feature mean and scale, with the feature names they belong to (only for
                  member types that use a scaler; the CNNs standardise inside themselves)
``labels.json``   the label encoder: the ordered class names
``config.json``   :class:`ser.config.SERConfig` (with ``model_type``: mlp, cnn, tracks or fusion,
                  the fusion's members and the crop lengths), feature version, inputs and
                  outputs, library versions
``metrics.json``  cross-validation results (optional for loading, required to publish)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ser.config import FEATURE_VERSION, SERConfig
from ser.errors import SERError
from ser.features import feature_names
from ser.scaler import Scaler

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
SCALER_FILE = "scaler.json"
LABELS_FILE = "labels.json"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
REQUIRED_FILES = (MODEL_FILE, LABELS_FILE, CONFIG_FILE)
#: Every file a bundle may hold; the Hub download is restricted to these.
BUNDLE_FILES = (*REQUIRED_FILES, SCALER_FILE, METRICS_FILE, "confusion_matrix.png", "README.md")
#: The default model shipped inside the package.
DEFAULT_BUNDLE_DIR = Path(__file__).resolve().parent / "default_model"


class BundleError(SERError, RuntimeError):
    """A bundle is missing files or does not match this version of ``ser``."""


@dataclass
class Bundle:
    """A loaded, validated bundle."""

    model: Any
    scaler: Scaler | None
    labels: list[str]
    config: SERConfig
    path: Path
    metrics: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.info.get("name") or self.path.name

    @property
    def has_intensity(self) -> bool:
        """Whether the model also predicts intensity (normal/strong)."""
        return "intensity" in model_outputs(self.model)


def model_outputs(model: Any) -> dict[str, tuple]:
    """``{output name: shape}`` of a Keras model; a single unnamed output counts as ``"emotion"``."""
    if isinstance(model.output, dict):
        return {k: tuple(v.shape) for k, v in model.output.items()}
    return {"emotion": tuple(model.output.shape)}


def model_input_shapes(model: Any) -> dict[str, tuple]:
    """``{input name: shape}`` of a Keras model."""
    return {t.name: tuple(t.shape) for t in model.inputs}


def library_versions() -> dict[str, str]:
    """Versions of the libraries a bundle's numbers depend on."""
    out = {"python": platform.python_version()}
    for pkg in (
        "ser",
        "numpy",
        "librosa",
        "keras",
        "tensorflow-cpu",
        "tensorflow",
        "scikit-learn",
        "soundfile",
        "audiomentations",
    ):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def inference_copy(model: Any) -> Any:
    """The same network and weights without optimiser state, in nested members too (an
    ensemble's or a fusion's parts keep theirs otherwise): a third of the file size."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    _drop_training_state(copy)
    return copy


def _drop_training_state(model: Any) -> None:
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layer.optimizer = None
            layer.compiled = False
            _drop_training_state(layer)


def save_bundle(
    directory: str | Path,
    model: Any,
    scaler: Scaler | None,
    labels: list[str],
    config: SERConfig,
    metrics: dict[str, Any] | None = None,
    name: str | None = None,
) -> Path:
    """Write a bundle to ``directory`` (created if needed) and return its path.

    ``scaler`` is required when a member type uses one, and ignored otherwise.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    inference_copy(model).save(directory / MODEL_FILE)
    if uses_scaler(config):
        if scaler is None:
            raise ValueError(f"a {config.model_type} model needs its feature scaler")
        _write_json(directory / SCALER_FILE, scaler.to_json())
    else:
        (directory / SCALER_FILE).unlink(missing_ok=True)
    _write_json(directory / LABELS_FILE, {"classes": list(labels)})
    _write_json(
        directory / CONFIG_FILE,
        {
            "name": name or directory.name,
            "feature_version": config.features.version,
            "inputs": {k: list(v[1:]) for k, v in model_input_shapes(model).items()},
            "outputs": sorted(model_outputs(model)),
            **config.to_dict(),
            "library_versions": library_versions(),
        },
    )
    if metrics is not None:
        _write_json(directory / METRICS_FILE, metrics)
    logger.info("Saved bundle to %s", directory)
    return directory


def uses_scaler(config: SERConfig) -> bool:
    """Whether a model of ``config`` comes with ``scaler.json`` (a member type standardises its
    input outside the model)."""
    return any(t.uses_scaler for t in config.member_types)


def read_bundle_config(directory: str | Path) -> tuple[SERConfig, dict[str, Any]]:
    """Read and check ``config.json``: the config and the bundle's other info."""
    path = Path(directory) / CONFIG_FILE
    data = _read_json(path)
    version = data.get("feature_version")
    if version != FEATURE_VERSION:
        raise BundleError(
            f"{path}: the model was trained on feature version {version}, this code computes "
            f"version {FEATURE_VERSION}; retrain it or use a matching version of ser."
        )
    known = {f.name for f in dataclasses.fields(SERConfig)}
    try:
        config = SERConfig.from_dict({k: data[k] for k in known if k in data})
    except (TypeError, ValueError) as err:
        raise BundleError(f"{path}: unknown setting ({err})") from err
    return config, {k: v for k, v in data.items() if k not in known}


def read_labels(directory: str | Path) -> list[str]:
    """The bundle's classes, in the model's output order (``labels.json``), without loading the model."""
    path = Path(directory) / LABELS_FILE
    labels = _read_json(path).get("classes")
    if not labels or len(set(labels)) != len(labels):
        raise BundleError(f"{path}: 'classes' must be a list of unique names")
    return list(labels)


def check_bundle_files(directory: str | Path) -> Path:
    """Raise :class:`BundleError` unless every required file is in ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BundleError(f"model folder not found: {directory}")
    missing = [f for f in REQUIRED_FILES if not (directory / f).is_file()]
    if missing:
        raise BundleError(f"{directory} is not a complete model bundle: missing {', '.join(missing)}")
    return directory


def load_bundle(directory: str | Path | None = None) -> Bundle:
    """Load and validate a bundle (the shipped default when ``directory`` is ``None``).

    Raises:
        BundleError: Missing files, or features, labels and model that do not fit together.
    """
    import keras

    import ser.layers  # noqa: F401  (registers the layers a bundle may name: PoolProbabilities, …)

    directory = check_bundle_files(Path(directory) if directory else DEFAULT_BUNDLE_DIR)
    config, info = read_bundle_config(directory)
    expected = feature_names(config.features)
    scaler = None
    if uses_scaler(config):
        if not (directory / SCALER_FILE).is_file():
            raise BundleError(f"{directory} is not a complete model bundle: missing {SCALER_FILE}")
        try:
            scaler = Scaler.from_json(_read_json(directory / SCALER_FILE))
        except (KeyError, TypeError, ValueError) as err:
            raise BundleError(f"{directory}/{SCALER_FILE} is inconsistent ({err})") from err
        if list(scaler.feature_names) != expected:
            raise BundleError(
                f"{directory}: the scaler's {len(scaler.feature_names)} feature names do not match the "
                f"{len(expected)} features this code computes."
            )
    labels = read_labels(directory)
    try:
        model = keras.saving.load_model(directory / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as err:  # keras raises many types for a broken archive
        raise BundleError(f"{directory}/{MODEL_FILE} could not be loaded: {err}") from err
    inputs = model_input_shapes(model)
    wanted = {t.input_name: (None, *t.input_shape(config)) for t in config.member_types}
    if inputs != wanted:
        raise BundleError(
            f"{directory}: the model takes {inputs}, but a {config.model_type} model with this "
            f"config takes {wanted}"
        )
    n_out = model_outputs(model)["emotion"][-1]
    if n_out != len(labels):
        raise BundleError(f"{directory}: the model has {n_out} outputs but labels.json {len(labels)} classes")
    metrics_path = directory / METRICS_FILE
    metrics = _read_json(metrics_path) if metrics_path.is_file() else None
    return Bundle(model, scaler, list(labels), config, directory, metrics, info)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise BundleError(f"cannot read {path}: {err}") from err
