"""The emotions and how intensity is decided: the one list every other module reads."""

from __future__ import annotations

#: The 8 RAVDESS emotions in the model's output order.
EMOTIONS: tuple[str, ...] = (
    "angry",
    "calm",
    "disgust",
    "fearful",
    "happy",
    "neutral",
    "sad",
    "surprised",
)

#: The intensities RAVDESS actors were asked for.
INTENSITIES: tuple[str, ...] = ("normal", "strong")

#: P(strong) at or above which an answer's intensity is "strong".
STRONG_THRESHOLD = 0.5


def is_strong(p_strong: float) -> bool:
    """Whether P(strong) ``p_strong`` means "strong" (≥ :data:`STRONG_THRESHOLD`)."""
    return bool(p_strong >= STRONG_THRESHOLD)


def intensity_name(label: str, p_strong: float) -> str | None:
    """``"strong"`` or ``"normal"`` (see :func:`is_strong`); ``None`` for neutral (RAVDESS
    records neutral at normal intensity only, so "strong neutral" means nothing)."""
    if label == "neutral":
        return None
    return "strong" if is_strong(p_strong) else "normal"
