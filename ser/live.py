"""A live microphone stream: a rolling buffer of the latest audio, classified as chunks arrive."""

from __future__ import annotations

import numpy as np

from ser.audio import AudioError, to_float
from ser.inference import Prediction, Predictor, Window

#: Seconds of audio classified each time (the model's analysis window).
LIVE_WINDOW_S = 3.0
#: Seconds of live history kept for the rolling timeline.
LIVE_HISTORY_S = 30.0


class LiveSession:
    """One person's live microphone stream: a rolling buffer, classified each time a chunk arrives.

    Args:
        predictor: The model.
        window_s: Seconds of the most recent audio that are classified.
        history_s: Seconds of results kept for the rolling timeline.
    """

    def __init__(
        self, predictor: Predictor, window_s: float = LIVE_WINDOW_S, history_s: float = LIVE_HISTORY_S
    ) -> None:
        self.predictor = predictor
        self.window_s = window_s
        self.history_s = history_s
        self.buffer = np.zeros(0, dtype=np.float32)
        self.elapsed_s = 0.0
        self.history: list[Window] = []

    def push(self, sample_rate: int, samples: np.ndarray) -> tuple[Prediction | None, str]:
        """Add a chunk (Gradio's int16 or float, mono or multichannel) and classify the last window.

        Returns:
            ``(result, "")``, or ``(None, why)`` while there is no speech to classify.
        """
        samples = to_float(samples)
        if samples.ndim == 2:
            samples = samples.mean(axis=1)
        self.buffer = np.concatenate([self.buffer, samples])[-int(self.window_s * sample_rate) :]
        self.elapsed_s += len(samples) / sample_rate
        try:
            result = self.predictor.predict((sample_rate, self.buffer))
        except AudioError as err:
            return None, f"Listening… {err}"
        start = max(0.0, self.elapsed_s - len(self.buffer) / sample_rate)
        self.history.append(
            Window(
                round(start, 2),
                round(self.elapsed_s, 2),
                result.label,
                result.probabilities,
                result.intensity,
            )
        )
        self.history = [w for w in self.history if w.end >= self.elapsed_s - self.history_s]
        return result, ""
