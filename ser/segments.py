"""Emotion by utterance: long recordings cut at pauses into the pieces the model classifies.

Pure functions over the speech intervals that :func:`ser.audio.find_speech` returns: joined
into utterances across short gaps, utterances longer than the model's window split into equal
pieces, and the share of speech time each emotion holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Gaps shorter than this (seconds) are inside an utterance (a breath, a stop consonant).
MIN_PAUSE_S = 0.35
#: Utterances shorter than this (seconds) are joined to their nearer neighbour.
MIN_UTTERANCE_S = 0.5
#: An answer is "mixed" when the emotions other than the main one hold this share of the speech.
MIXED_SHARE = 0.2


def utterances(
    intervals: np.ndarray,
    sample_rate: int,
    min_pause_s: float = MIN_PAUSE_S,
    min_utterance_s: float = MIN_UTTERANCE_S,
) -> list[tuple[float, float]]:
    """Speech intervals → utterances.

    Args:
        intervals: Speech intervals in samples, shape ``(k, 2)`` (start, end), sorted.
        sample_rate: Rate of the samples (Hz).
        min_pause_s: Intervals closer than this are one utterance.
        min_utterance_s: A shorter utterance joins the neighbour across the shorter gap.

    Returns:
        ``[(start_s, end_s), …]`` in seconds, sorted, not overlapping.
    """
    spans = [[float(s) / sample_rate, float(e) / sample_rate] for s, e in np.asarray(intervals)]
    joined: list[list[float]] = []
    for start, end in spans:
        if joined and start - joined[-1][1] < min_pause_s:
            joined[-1][1] = end
        else:
            joined.append([start, end])
    while len(joined) > 1:
        lengths = [e - s for s, e in joined]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_utterance_s:
            break
        gap_before = joined[i][0] - joined[i - 1][1] if i > 0 else math.inf
        gap_after = joined[i + 1][0] - joined[i][1] if i + 1 < len(joined) else math.inf
        j = i - 1 if gap_before <= gap_after else i + 1
        lo, hi = min(i, j), max(i, j)
        joined[lo : hi + 1] = [[joined[lo][0], joined[hi][1]]]
    return [(round(s, 3), round(e, 3)) for s, e in joined]


def split_long(spans: Sequence[tuple[float, float]], max_s: float) -> list[tuple[float, float]]:
    """Each span longer than ``max_s`` seconds cut into the fewest equal pieces no longer than it."""
    pieces = []
    for start, end in spans:
        n = max(1, math.ceil((end - start) / max_s - 1e-9))
        edges = np.linspace(start, end, n + 1)
        pieces += [(round(float(a), 3), round(float(b), 3)) for a, b in zip(edges[:-1], edges[1:])]
    return pieces


def speech_shares(spans: Sequence[tuple[float, float]], labels: Sequence[str]) -> dict[str, float]:
    """Share of the speech time each label holds, largest first (the shares sum to 1)."""
    totals: dict[str, float] = {}
    for (start, end), label in zip(spans, labels, strict=True):
        totals[label] = totals.get(label, 0.0) + (end - start)
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def is_mixed(shares: dict[str, float], min_share: float = MIXED_SHARE) -> bool:
    """Whether the labels other than the main one hold at least ``min_share`` of the speech time."""
    return bool(shares) and 1.0 - max(shares.values()) >= min_share - 1e-9
