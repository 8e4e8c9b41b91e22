"""A live microphone stream: every chunk is kept, the latest window is classified about once a second.

The browser sends short chunks (Gradio: 0.1 s) and drops those that arrive while the server is
still busy with the previous one, so taking a chunk must be cheap: :meth:`LiveSession.append`
only stores it. :meth:`LiveSession.update`, called on a timer, classifies the last
``window_s`` seconds when at least ``every_s`` seconds of new audio have arrived. The time base
is the audio received, which follows the wall clock as long as no chunk is lost.
"""

from __future__ import annotations

import threading

import numpy as np

from ser.audio import AudioError, to_float
from ser.inference import Prediction, Predictor, Window

#: Seconds of audio classified each time (the model's analysis window).
LIVE_WINDOW_S = 3.0
#: Seconds of new audio between two classifications.
LIVE_EVERY_S = 1.0
#: Seconds of live history kept for the rolling timeline.
LIVE_HISTORY_S = 30.0


class LiveSession:
    """One person's live microphone stream. Safe to feed from one thread and update from another.

    Args:
        predictor: The model.
        window_s: Seconds of the most recent audio that are classified.
        every_s: Seconds of new audio between two classifications.
        history_s: Seconds of results kept for the rolling timeline.
    """

    def __init__(
        self,
        predictor: Predictor,
        window_s: float = LIVE_WINDOW_S,
        every_s: float = LIVE_EVERY_S,
        history_s: float = LIVE_HISTORY_S,
    ) -> None:
        self.predictor = predictor
        self.window_s = window_s
        self.every_s = every_s
        self.history_s = history_s
        self.sample_rate: int | None = None
        self.buffer = np.zeros(0, dtype=np.float32)
        self.received = 0  # samples since the start
        self.classified_at = 0  # ``received`` at the last classification
        self.history: list[Window] = []
        self.latest: Prediction | None = None
        self.message = "Listening…"
        self._lock = threading.Lock()

    @property
    def elapsed_s(self) -> float:
        """Seconds of audio received since the start."""
        return self.received / self.sample_rate if self.sample_rate else 0.0

    def append(self, sample_rate: int, samples: np.ndarray) -> None:
        """Store a chunk (Gradio's int16 or float, mono or multichannel); nothing else."""
        samples = to_float(np.asarray(samples))
        if samples.ndim == 2:
            samples = samples.mean(axis=1)
        with self._lock:
            if self.sample_rate not in (None, sample_rate):  # a new device: start over
                self.buffer, self.received, self.classified_at = np.zeros(0, np.float32), 0, 0
            self.sample_rate = sample_rate
            keep = int(self.window_s * sample_rate)
            self.buffer = np.concatenate([self.buffer, samples])[-keep:]
            self.received += len(samples)

    def due(self) -> bool:
        """Whether ``every_s`` seconds of new audio have arrived since the last classification."""
        return (
            self.sample_rate is not None
            and self.received - self.classified_at >= self.every_s * self.sample_rate
        )

    def update(self) -> bool:
        """Classify the last window if it is due; returns whether it did.

        The answer is :attr:`latest` (and a point of :attr:`history`), or, while there is no
        speech to classify, ``None`` with the reason in :attr:`message`.
        """
        with self._lock:
            if not self.due():
                return False
            sample_rate, window, received = self.sample_rate, self.buffer.copy(), self.received
            self.classified_at = received
        end = received / sample_rate
        try:
            result = self.predictor.predict((sample_rate, window))
        except AudioError as err:
            self.latest, self.message = None, f"Listening… {err}"
            return True
        start = max(0.0, end - len(window) / sample_rate)
        self.latest, self.message = result, ""
        self.history.append(
            Window(round(start, 2), round(end, 2), result.label, result.probabilities, result.intensity)
        )
        self.history = [w for w in self.history if w.end >= end - self.history_s]
        return True

    def push(self, sample_rate: int, samples: np.ndarray) -> tuple[Prediction | None, str]:
        """:meth:`append` a chunk and :meth:`update` at once (for code that feeds whole seconds);
        returns the latest answer, or ``None`` and why."""
        self.append(sample_rate, samples)
        self.update()
        return self.latest, self.message
