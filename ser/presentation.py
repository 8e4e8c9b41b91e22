"""How emotions look: one emoji and one colour per emotion, and the headline text.

Used by the app, the figures (:mod:`ser.plots`) and the model card, so that an emotion looks the
same everywhere.
"""

from __future__ import annotations

from ser.emotions import EMOTIONS

#: One emoji per emotion, in :data:`ser.emotions.EMOTIONS` order.
EMOJI: dict[str, str] = dict(zip(EMOTIONS, ("😠", "😌", "🤢", "😨", "😄", "😐", "😢", "😲"), strict=True))
#: One colour per emotion, in :data:`ser.emotions.EMOTIONS` order.
COLORS: dict[str, str] = dict(
    zip(
        EMOTIONS,
        ("#e5484d", "#46a758", "#8e4ec6", "#f76b15", "#ffc53d", "#8b8d98", "#0090ff", "#e93d82"),
        strict=True,
    )
)
#: Emoji and colour of a label outside the 8 emotions (a model trained on other classes).
FALLBACK_EMOJI = "🎙️"
FALLBACK_COLOR = "#6e56cf"


def emoji(label: str) -> str:
    """The emoji of ``label``."""
    return EMOJI.get(label, FALLBACK_EMOJI)


def color(label: str) -> str:
    """The colour (``#rrggbb``) of ``label``."""
    return COLORS.get(label, FALLBACK_COLOR)


def headline(label: str, intensity: str | None = None, shares: dict[str, float] | None = None) -> str:
    """The label with its intensity when known, e.g. ``"angry — strong"``; with ``shares`` (a
    mixed recording), its three largest shares of the speech, e.g. ``"mixed: angry 60 %, sad 40 %"``."""
    if shares:
        top = list(shares.items())
        text = ", ".join(f"{k} {round(100 * v)} %" for k, v in top[:3])
        return f"mixed: {text}{', …' if len(top) > 3 else ''}"
    return f"{label} — {intensity}" if intensity else label
