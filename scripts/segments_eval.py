#!/usr/bin/env python
"""Emotion by utterance, measured: long recordings built from labelled clips with pauses between
them, and the share of their speech time that segments, and fixed windows, label correctly.

Each recording strings ``--clips`` clips of one speaker (random emotions, a 0.6–1.5 s pause
between clips). The truth of a moment is the emotion of the clip it belongs to, over that
clip's speech (``ser.audio.find_speech``). Segments label a moment by the segment that covers
it; fixed windows by the window whose centre is nearest. Use clips the model never trained on:
for RAVDESS, a CV test fold and a model trained without it.

Example (a model trained on actors 05–20, tested on actors 01–04):
    ser-train --data ../shared/data/ravdess --actors 5-20 --folds 2 --out models/fold1
    python scripts/segments_eval.py --model-dir models/fold1 --data ../shared/data/ravdess --actors 1-4
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from ser.audio import find_speech, load_audio
from ser.cli import add_model_arguments, load_predictor, parse_actors, setup_logging
from ser.datasets import ravdess_items

STEP_S = 0.01


def build(
    items: list, rng: np.random.Generator, n_clips: int, sr: int
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """One recording from ``n_clips`` random items, and its truth: (start, end, emotion) of each
    clip's speech, in seconds."""
    parts, truth, t = [], [], 0.0
    for item in rng.choice(items, size=n_clips, replace=False):
        audio = load_audio(str(item.path))
        y = audio.signal
        for s, e in find_speech(y) / audio.sample_rate:
            truth.append((t + s, t + e, item.label))
        pause = np.zeros(int(rng.uniform(0.6, 1.5) * sr), dtype=np.float32)
        parts += [y, pause]
        t += (len(y) + len(pause)) / sr
    return np.concatenate(parts), truth


def score(truth: list[tuple[float, float, str]], spans: list) -> float:
    """Share of the truth's speech time whose label the spans (windows with start, end, label)
    give, each moment taking the span whose centre is nearest among those covering it (or all)."""
    right = total = 0
    centres = np.array([(w.start + w.end) / 2 for w in spans])
    for start, end, label in truth:
        for t in np.arange(start, end, STEP_S):
            covering = [i for i, w in enumerate(spans) if w.start <= t < w.end] or list(range(len(spans)))
            best = min(covering, key=lambda i: abs(centres[i] - t))
            right += spans[best].label == label
            total += 1
    return right / max(total, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(p)
    p.add_argument("--data", required=True, help="RAVDESS folder")
    p.add_argument("--actors", default="1-4", help="the actors whose clips are strung together (unseen ones)")
    p.add_argument("--recordings", type=int, default=20, help="recordings per actor")
    p.add_argument("--clips", type=int, default=8, help="clips per recording")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the scores here")
    p.add_argument("--save-example", help="write the first recording here (WAV), to listen to")
    args = p.parse_args(argv)
    setup_logging()
    predictor = load_predictor(args)
    sr = predictor.config.audio.sample_rate
    rng = np.random.default_rng(args.seed)
    items = ravdess_items(args.data, parse_actors(args.actors))
    rows = []
    for actor in sorted({it.speaker for it in items}):
        own = [it for it in items if it.speaker == actor]
        for _ in range(args.recordings):
            y, truth = build(own, rng, args.clips, sr)
            if args.save_example and not rows:
                sf.write(args.save_example, y, sr)
            result = predictor.predict((sr, y))
            rows.append(
                {
                    "actor": actor,
                    "duration_s": round(len(y) / sr, 1),
                    "segments": score(truth, result.segments),
                    "windows": score(truth, result.timeline),
                    "n_segments": len(result.segments),
                    "mixed": result.mixed,
                }
            )
    summary = {
        "recordings": len(rows),
        "clips_per_recording": args.clips,
        "mean_duration_s": float(np.mean([r["duration_s"] for r in rows])),
        "segments": float(np.mean([r["segments"] for r in rows])),
        "windows": float(np.mean([r["windows"] for r in rows])),
        "mixed": float(np.mean([r["mixed"] for r in rows])),
    }
    print(
        f"{summary['recordings']} recordings of {args.clips} clips (≈ {summary['mean_duration_s']:.0f} s): "
        f"speech time labelled correctly by segments {summary['segments']:.1%}, by fixed windows "
        f"{summary['windows']:.1%}; headlined mixed {summary['mixed']:.0%}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
