"""Model inputs of a recording: every input a model takes, for each analysis window, from one
pass over the signal (:func:`ser.features.analysis_windows`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ser.config import SERConfig
from ser.features import Windows, analysis_windows


@dataclass(frozen=True)
class ModelInputs:
    """What a model takes for each analysis window of a recording.

    Attributes:
        bounds: Each window's (start, end) in seconds from the start of the signal.
        arrays: The model's inputs by input name (:attr:`ser.registry.MemberType.input_name`),
            each ``(n_windows, *input_shape)``, before any scaler.
    """

    bounds: list[tuple[float, float]]
    arrays: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.bounds)

    def by_name(self) -> dict[str, np.ndarray]:
        """The arrays by model input name."""
        return dict(self.arrays)


def model_inputs(y: np.ndarray, sr: int, config: SERConfig) -> ModelInputs:
    """The inputs of every member of ``config``'s model for mono ``y`` at ``sr`` Hz (as
    :func:`ser.audio.load_audio` prepares it): one window when it fits in
    ``config.features.window_s``, else one per window of :func:`ser.features.window_bounds`."""
    return inputs_of(analysis_windows(y, sr, config.features), config)


def inputs_of(windows: Windows, config: SERConfig) -> ModelInputs:
    """The inputs of every member of ``config``'s model for each of ``windows``."""
    arrays = {t.input_name: t.window_inputs(windows, config) for t in config.member_types}
    return ModelInputs(windows.bounds, arrays)


def concatenate(inputs: list[ModelInputs]) -> dict[str, np.ndarray]:
    """The arrays of several recordings stacked into one batch, by input name."""
    return {name: np.concatenate([i.arrays[name] for i in inputs]) for name in inputs[0].arrays}
