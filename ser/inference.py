"""Prediction: any audio in → ordered emotion probabilities, confidence, timeline.

:class:`Predictor` is the one door into a model, for the app, the scripts and code alike:

>>> from ser import Predictor
>>> predictor = Predictor.from_pretrained()  # the bundled default model (or a folder, or a repo id)
>>> result = predictor.predict("clip.wav")  # doctest: +SKIP
>>> result.label, result.confidence, result.level  # doctest: +SKIP
('angry', 0.81, 'high')
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from joblib import Parallel, delayed

from ser.audio import Audio, AudioError, AudioSource, load_audio
from ser.bundle import Bundle, load_bundle
from ser.calibration import apply_temperature, confidence_level
from ser.config import SERConfig
from ser.emotions import intensity_name
from ser.features import acoustic_summary, analysis_windows, cut_windows
from ser.inputs import ModelInputs, concatenate, inputs_of
from ser.presentation import emoji, headline
from ser.segments import is_mixed, speech_shares, split_long, utterances
from ser.synthetic import synth_speech

if TYPE_CHECKING:
    from ser.hub import ModelSource

logger = logging.getLogger(__name__)

#: An exception that stopped one recording of a batch.
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class Window:
    """The model's output for one stretch of the recording: an analysis window of the timeline or
    a segment (an utterance, or a piece of a long one). Times in seconds from the recording's start."""

    start: float
    end: float
    label: str
    probabilities: dict[str, float]
    intensity: str | None = None

    @property
    def confidence(self) -> float:
        """The probability of :attr:`label`."""
        return self.probabilities[self.label]


@dataclass(frozen=True)
class Prediction:
    """The result of one recording.

    Attributes:
        label: The most probable emotion.
        confidence: Its probability.
        level: ``"high"``/``"medium"``/``"low"`` (see :func:`ser.calibration.confidence_level`).
        probabilities: Every emotion's probability, in the model's class order; sums to 1.
        timeline: One :class:`Window` per analysis window (one window spanning the speech when
            it fits in one), every ``hop_s`` seconds.
        segments: One :class:`Window` per utterance (speech between pauses), long utterances
            cut into pieces no longer than the analysis window (:mod:`ser.segments`).
        shares: Share of the speech time each emotion holds over :attr:`segments`, largest first.
        mixed: Whether a recording longer than one analysis window has segments that disagree:
            emotions other than the main one hold 20 % of the speech or more
            (:func:`ser.segments.is_mixed`).
        duration_s: Length of the recording.
        speech_ratio: Fraction of the recording that is speech.
        speech_intervals: Detected speech, ``[(start_s, end_s), …]``.
        sample_rate: Original sample rate (Hz).
        channels: Original channel count.
        format: Input format.
        level_dbfs: Speech level as recorded (dBFS RMS).
        acoustics: Pitch, pitch range, speaking rate, voiced fraction (see
            :func:`ser.features.acoustic_summary`).
        intensity: ``"normal"`` or ``"strong"`` when the model predicts intensity, else ``None``.
            Always ``None`` for neutral, which RAVDESS records at normal intensity only.
        intensity_strong: The model's P(strong) (``None`` when it has no intensity output).
        warnings: Things to know about this result.
        processing_ms: Time from input to result.
        audio: The prepared recording the answer was computed from (for figures); ``None`` from
            :meth:`Predictor.predict_many`, which does not keep audio. Not part of :meth:`to_dict`.
    """

    label: str
    confidence: float
    level: str
    probabilities: dict[str, float]
    timeline: list[Window]
    duration_s: float
    speech_ratio: float
    speech_intervals: list[tuple[float, float]]
    sample_rate: int
    channels: int
    format: str
    level_dbfs: float
    acoustics: dict[str, float]
    intensity: str | None = None
    intensity_strong: float | None = None
    warnings: list[str] = field(default_factory=list)
    processing_ms: float = 0.0
    segments: list[Window] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)
    mixed: bool = False
    audio: Audio | None = field(default=None, repr=False, compare=False)

    @property
    def emoji(self) -> str:
        return emoji(self.label)

    @property
    def headline(self) -> str:
        """The label with its intensity when known, e.g. ``"angry — strong"``; for a mixed
        recording, the emotions and their shares of the speech (``"mixed: angry 60 %, sad 40 %"``)."""
        return headline(self.label, self.intensity, self.shares if self.mixed else None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (everything but the audio)."""
        return {k: v for k, v in asdict(replace(self, audio=None)).items() if k != "audio"}


@dataclass(frozen=True)
class Analysis:
    """Everything about a recording except the model's answer (computed without TensorFlow).

    Attributes:
        inputs: The model inputs: one row (clip) or one per window (:func:`ser.inputs.model_inputs`;
            its bounds count from the speech's start).
        bounds: Each row's (start, end) in seconds from the recording's start.
        audio_info: Duration, speech ratio and intervals, original rate, channels, format, warnings.
        elapsed_ms: Time spent on decoding and features.
        audio: The prepared recording (``None`` when not kept).
        segment_bounds: Each segment's (start, end) in seconds from the recording's start.
        segment_inputs: The segments' model inputs; ``None`` when they are the windows' (speech
            that is one utterance within one window).
    """

    inputs: ModelInputs
    bounds: list[tuple[float, float]]
    audio_info: dict[str, Any]
    elapsed_ms: float
    audio: Audio | None = None
    segment_bounds: list[tuple[float, float]] = field(default_factory=list)
    segment_inputs: ModelInputs | None = None

    @property
    def batches(self) -> list[ModelInputs]:
        """The model inputs to run: the windows, then the segments unless they are the windows."""
        return [self.inputs] if self.segment_inputs is None else [self.inputs, self.segment_inputs]

    def __len__(self) -> int:
        return sum(len(b) for b in self.batches)


def analyse(source: AudioSource | Audio, config: SERConfig, keep_audio: bool = False) -> Analysis:
    """Decode, validate and featurise a recording: one set of model inputs when its speech
    fits in one analysis window, else one per window (the timeline).

    Args:
        source: A path, encoded bytes, ``(sample_rate, samples)``, or an already prepared :class:`Audio`.
        config: The model's settings.
        keep_audio: Keep the prepared audio in the result (for figures).

    Raises:
        ser.audio.AudioError: The input cannot be used.
    """
    start = time.perf_counter()
    audio = source if isinstance(source, Audio) else load_audio(source, config.audio)
    sr = audio.sample_rate
    offset = audio.speech_offset_s
    windows = analysis_windows(audio.speech, sr, config.features)
    inputs = inputs_of(windows, config)
    bounds = [(round(s + offset, 3), round(e + offset, 3)) for s, e in inputs.bounds]
    segment_bounds = split_long(utterances(audio.intervals, sr), config.features.window_s)
    segment_inputs = None
    if len(segment_bounds) > 1 or len(bounds) > 1:
        local = [(s - offset, e - offset) for s, e in segment_bounds]
        segment_inputs = inputs_of(cut_windows(windows.tracks, local, config.features), config)
    info = {
        "duration_s": round(audio.duration_s, 3),
        "speech_ratio": round(audio.speech_ratio, 3),
        "speech_intervals": [(round(s / sr, 3), round(e / sr, 3)) for s, e in audio.intervals.tolist()],
        "sample_rate": audio.original_sample_rate,
        "channels": audio.channels,
        "format": audio.format,
        "level_dbfs": audio.level_dbfs,
        "acoustics": acoustic_summary(windows.tracks),
        "warnings": list(audio.warnings),
    }
    elapsed_ms = (time.perf_counter() - start) * 1000
    return Analysis(
        inputs, bounds, info, elapsed_ms, audio if keep_audio else None, segment_bounds, segment_inputs
    )


def analyse_many(
    sources: list[AudioSource], config: SERConfig, jobs: int = 1, progress: bool = False
) -> list[Analysis | AudioError]:
    """:func:`analyse` each of ``sources`` in ``jobs`` processes; a source that cannot be used
    yields its :class:`ser.audio.AudioError` in its place."""
    from tqdm.auto import tqdm

    tasks = (delayed(_safe_analyse)(s, config) for s in sources)
    return list(
        tqdm(
            Parallel(n_jobs=jobs, return_as="generator")(tasks),
            total=len(sources),
            desc="analyse",
            unit="file",
            disable=not progress,
            mininterval=1.0,
        )
    )


def _safe_analyse(source: AudioSource, config: SERConfig) -> Analysis | AudioError:
    try:
        return analyse(source, config)
    except AudioError as err:
        return err


class Predictor:
    """Loads a model bundle once and predicts emotions from audio.

    Args:
        bundle: A loaded :class:`ser.bundle.Bundle`, a bundle folder, or ``None`` for the
            bundled default model. To load from the Hub too, use :meth:`from_pretrained`.
        source: Where the bundle came from (shown to people); set by :meth:`from_pretrained`.
    """

    def __init__(self, bundle: Bundle | str | Path | None = None, source: ModelSource | None = None) -> None:
        self.bundle = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
        self.source = source
        self.config = self.bundle.config
        self.labels = self.bundle.labels
        logger.info(
            "Loaded model %s from %s (%d classes)", self.bundle.name, self.bundle.path, len(self.labels)
        )

    @classmethod
    def from_pretrained(
        cls, path_or_repo_id: str | Path | None = None, revision: str | None = None, token: str | None = None
    ) -> Predictor:
        """A predictor for a bundle folder, a Hub repo id (``"user/name"``, downloaded with
        ``huggingface_hub`` and validated) or, with ``None``, ``$SER_MODEL_DIR``, else
        ``$SER_MODEL_REPO``, else the bundled default (see :func:`ser.hub.resolve_model`).

        Raises:
            ser.hub.ModelSourceError: The model cannot be obtained.
            ser.bundle.BundleError: What arrived is not a valid bundle.
        """
        from ser.hub import resolve_model

        source = resolve_model(path_or_repo_id, revision, token)
        logger.info("Model: %s", source.describe())
        return cls(source.path, source)

    def describe(self) -> str:
        """Which model this is and where it came from, in one line."""
        origin = self.source.describe() if self.source else str(self.bundle.path)
        return f"{self.bundle.name} — {origin}"

    def warmup(self) -> None:
        """Run one prediction on synthetic speech so that numba and TensorFlow compile now."""
        sr = self.config.audio.sample_rate
        self.predict((sr, synth_speech(1.5, sr)))

    def model_input(self, given: dict[str, np.ndarray]) -> Any:
        """What the Keras model takes from ``given`` inputs by name (:meth:`ser.inputs.ModelInputs.by_name`):
        each member's input, standardised when its type uses the bundle's scaler (a dict when the
        model takes several)."""
        x = {}
        for member in self.config.member_types:
            name = member.input_name
            if given.get(name) is None:
                raise ValueError(f"this {self.config.model_type} model needs {name} inputs")
            x[name] = np.asarray(given[name], dtype=np.float32)
            if member.uses_scaler:
                x[name] = self.bundle.scaler.transform(np.atleast_2d(x[name]))
        return x if len(x) > 1 else next(iter(x.values()))

    def outputs(self, given: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Model outputs for ``n`` windows: ``"emotion"`` probabilities ``(n, n_classes)`` and, when
        the model has it, ``"intensity"`` P(strong) ``(n,)`` (:func:`ser.fusion.predict_outputs`).

        Args:
            given: Inputs by name (:meth:`ser.inputs.ModelInputs.by_name`), each with ``n`` rows.
        """
        from ser.fusion import predict_outputs

        outputs = predict_outputs(self.bundle.model, self.model_input(given))
        outputs["emotion"] = apply_temperature(outputs["emotion"], self.config.temperature)
        return outputs

    def predict(self, source: AudioSource | Audio) -> Prediction:
        """Predict the emotion of one recording (see :func:`ser.audio.load_audio` for inputs).

        For speech longer than one analysis window, ``timeline`` holds every window and the
        overall probabilities are their mean.

        Raises:
            ser.audio.AudioError: The input cannot be used (with a user-facing message).
        """
        start = time.perf_counter()
        analysis = analyse(source, self.config, keep_audio=True)
        outputs = self.outputs(concatenate(analysis.batches))
        return self._decide(analysis, outputs, time.perf_counter() - start)

    def predict_many(
        self, sources: list[AudioSource], jobs: int = 1, progress: bool = False
    ) -> list[Prediction | AudioError]:
        """Predict many recordings: features in ``jobs`` processes, one batched model call.

        A source that cannot be used yields its :class:`AudioError` in its place.
        """
        return self.predict_analyses(analyse_many(sources, self.config, jobs, progress))

    def predict_analyses(self, analyses: list[Analysis | E]) -> list[Prediction | E]:
        """Answer recordings already analysed (:func:`analyse`) with one batched model call.

        Args:
            analyses: Each an :class:`Analysis`, or the exception that stopped its recording
                (kept in its place in the result).
        """
        good = [a for a in analyses if isinstance(a, Analysis)]
        model_start = time.perf_counter()
        answers = iter([])
        if good:
            outputs = self.outputs(concatenate([b for a in good for b in a.batches]))
            cuts = np.cumsum([len(a) for a in good])[:-1]
            split = {k: np.split(v, cuts) for k, v in outputs.items()}
            answers = iter([{k: v[i] for k, v in split.items()} for i in range(len(good))])
        model_share_s = (time.perf_counter() - model_start) / max(len(good), 1)
        return [
            self._decide(a, next(answers), a.elapsed_ms / 1000 + model_share_s)
            if isinstance(a, Analysis)
            else a
            for a in analyses
        ]

    def _decide(self, analysis: Analysis, outputs: dict[str, np.ndarray], elapsed_s: float) -> Prediction:
        """Combine the outputs of :attr:`Analysis.batches` (windows, then segments; see
        :meth:`outputs`) into the result; ``elapsed_s`` is reported.

        The overall probabilities and P(strong) are the means over the windows.
        """
        n = len(analysis.inputs)
        window_out = {k: v[:n] for k, v in outputs.items()}
        segment_out = (
            window_out if analysis.segment_inputs is None else {k: v[n:] for k, v in outputs.items()}
        )
        probs = window_out["emotion"]
        strong = window_out.get("intensity")
        probabilities = self._as_dict(probs.mean(axis=0))
        label = max(probabilities, key=probabilities.get)
        timeline = self._windows(analysis.bounds, window_out)
        segments = self._windows(analysis.segment_bounds, segment_out)
        shares = speech_shares(analysis.segment_bounds, [w.label for w in segments])
        p_strong = None if strong is None else float(strong.mean())
        return Prediction(
            segments=segments,
            shares=shares,
            mixed=len(timeline) > 1 and is_mixed(shares),
            label=label,
            confidence=probabilities[label],
            level=confidence_level(probabilities[label]),
            probabilities=probabilities,
            timeline=timeline,
            intensity=None if p_strong is None else intensity_name(label, p_strong),
            intensity_strong=None if p_strong is None else round(p_strong, 4),
            processing_ms=round(elapsed_s * 1000, 1),
            audio=analysis.audio,
            **analysis.audio_info,
        )

    def _windows(self, bounds: list[tuple[float, float]], outputs: dict[str, np.ndarray]) -> list[Window]:
        """One :class:`Window` per (start, end) in ``bounds`` from its row of ``outputs``."""
        strong = outputs.get("intensity")
        windows = []
        for i, ((s, e), p) in enumerate(zip(bounds, outputs["emotion"], strict=True)):
            label = self.labels[int(np.argmax(p))]
            intensity = None if strong is None else intensity_name(label, strong[i])
            windows.append(Window(s, e, label, self._as_dict(p), intensity))
        return windows

    def _as_dict(self, p: np.ndarray) -> dict[str, float]:
        p = p / p.sum()
        return {label: float(v) for label, v in zip(self.labels, p)}
