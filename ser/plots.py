"""Figures for the app: waveform with speech shaded, mel spectrogram, probabilities, timeline.

Emotions have the colours of :mod:`ser.presentation`. Every function returns a new :class:`matplotlib.figure.Figure` (no pyplot state, safe to call
from concurrent requests).
"""

from __future__ import annotations

import librosa
import librosa.display
import numpy as np
from matplotlib.figure import Figure

from ser.audio import Audio
from ser.inference import Window
from ser.presentation import color

_MAX_POINTS = 4000  # waveform is drawn as a min/max envelope beyond this


def _figure(height: float = 2.4) -> tuple[Figure, object]:
    fig = Figure(figsize=(8, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def waveform_figure(audio: Audio) -> Figure:
    """Waveform (normalised level) over time, detected speech shaded."""
    fig, ax = _figure()
    y, sr = audio.signal, audio.sample_rate
    if len(y) > _MAX_POINTS:
        chunks = np.array_split(y, _MAX_POINTS // 2)
        t = np.linspace(0, len(y) / sr, len(chunks))
        ax.fill_between(t, [c.min() for c in chunks], [c.max() for c in chunks], color="#5b5bd6", lw=0)
    else:
        ax.plot(np.arange(len(y)) / sr, y, color="#5b5bd6", lw=0.8)
    for i, (s, e) in enumerate(audio.intervals / sr):
        ax.axvspan(s, e, color="#46a758", alpha=0.15, lw=0, label="speech" if i == 0 else None)
    ax.set_xlim(0, len(y) / sr)
    ax.set_xlabel("time (s)")
    ax.set_yticks([])
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(f"Waveform — {audio.speech_ratio:.0%} speech", loc="left", fontsize=10)
    return fig


def mel_figure(audio: Audio, n_mels: int = 80, fmax: float = 8000.0) -> Figure:
    """Log-mel spectrogram with time (s) and frequency (Hz) axes."""
    fig, ax = _figure(2.8)
    mel = librosa.feature.melspectrogram(
        y=audio.signal, sr=audio.sample_rate, n_fft=1024, hop_length=256, n_mels=n_mels, fmax=fmax
    )
    img = librosa.display.specshow(
        librosa.power_to_db(mel, ref=np.max, top_db=80),
        sr=audio.sample_rate,
        hop_length=256,
        x_axis="time",
        y_axis="mel",
        fmax=fmax,
        ax=ax,
        cmap="magma",
    )
    fig.colorbar(img, ax=ax, format="%+.0f dB", pad=0.01)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title("Mel spectrogram", loc="left", fontsize=10)
    return fig


def probability_figure(probabilities: dict[str, float]) -> Figure:
    """Horizontal bars, one fixed colour per emotion, sorted by probability."""
    fig, ax = _figure(2.8)
    items = sorted(probabilities.items(), key=lambda kv: kv[1])
    labels, values = zip(*items)
    bars = ax.barh(labels, values, color=[color(k) for k in labels])
    for bar, v in zip(bars, values):
        ax.text(
            bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, f"{v:.0%}", va="center", fontsize=9
        )
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("probability")
    ax.set_title("All emotions", loc="left", fontsize=10)
    return fig


def timeline_figure(
    windows: list[Window], duration_s: float | None = None, segments: list[Window] | None = None
) -> Figure:
    """Emotion over time: a band of ``segments`` coloured and named by their emotion (when
    given), above the probability of each emotion that leads a window or a segment, at the window
    centres (the others stay near zero and are left out)."""
    end = duration_s or max(w.end for w in [*windows, *(segments or [])])
    if segments:
        fig = Figure(figsize=(8, 3.2), dpi=100, layout="constrained")
        band, ax = fig.subplots(2, 1, sharex=True, height_ratios=(1, 3))
        for seg in segments:
            band.axvspan(seg.start, seg.end, color=color(seg.label), alpha=0.85, lw=0)
            if seg.end - seg.start >= 0.06 * end:
                band.text((seg.start + seg.end) / 2, 0.5, seg.label, ha="center", va="center", fontsize=8)
        band.set_yticks([])
        band.set_ylim(0, 1)
        for side in ("top", "right", "left"):
            band.spines[side].set_visible(False)
        band.set_title("Emotion by utterance", loc="left", fontsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    else:
        fig, ax = _figure(2.8)
        ax.set_title("Emotion over time", loc="left", fontsize=10, pad=28)
    leading = list(dict.fromkeys(w.label for w in [*(segments or []), *windows]))
    centres = np.array([(w.start + w.end) / 2 for w in windows])
    for label in leading:
        values = [w.probabilities.get(label, 0.0) for w in windows]
        ax.plot(centres, values, color=color(label), lw=2, marker="o", ms=3, label=label)
    if not segments:
        for w in windows:
            ax.axvspan(w.start, w.end, ymin=0, ymax=0.04, color=color(w.label), alpha=0.9, lw=0)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, end)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("probability")
    ax.legend(ncol=min(4, len(leading)), fontsize=8, frameon=False, loc="upper right")
    return fig
