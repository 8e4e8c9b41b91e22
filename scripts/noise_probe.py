#!/usr/bin/env python
"""Which inputs carry the loss under noise? One fold of the speaker-disjoint CV, trained as the
CV trains it, scored on its test speakers' speech clean and with white noise at ``--snr`` dB,
and with one group of the track CNN's rows swapped between the two.

The noise goes onto the prepared speech (SNR over the speech), so the clean and the noisy
matrices have the same frames and rows can be swapped one group at a time. Prints UAR %: each
member and the model on clean and on noisy speech; then, per group of tracks, the track CNN on
noisy speech with that group clean (the loss it alone repairs) and on clean speech with that
group noisy (the loss it alone causes).

Example (fold 5 = actors 17-20):
    python scripts/noise_probe.py --data ../shared/data/ravdess --fold 5 --snr 10 --jobs 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from ser.cli import (
    add_fold_arguments,
    add_verbose_argument,
    corpus_items,
    entry_point,
    setup_logging,
)
from ser.config import SERConfig
from ser.emotions import EMOTIONS


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fold_arguments(p, base_help="bundle whose settings are trained")
    p.add_argument("--snr", type=float, default=10.0, help="white noise, dB below the speech (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    from ser.audio import load_audio
    from ser.extraction import clip_inputs
    from ser.features import track_groups
    from ser.training.crossval import fold_scores, predict_members
    from ser.training.data import TrainingData
    from ser.training.folds import fold_mates
    from ser.training.screen import fit_fold

    config = SERConfig.from_dict(json.loads((Path(args.base) / "config.json").read_text()))
    if "tracks" not in config.members:
        p.error(f"the {config.model_type} model of {args.base} has no track CNN to probe")
    items = corpus_items(args)
    classes = list(EMOTIONS) if args.data else sorted({it.label for it in items})
    mates = fold_mates([it.speaker for it in items], args.folds)
    data = TrainingData.from_items(items, config, classes, args.cache_dir or None, args.jobs, mates)
    try:
        test, fitted = fit_fold(data, len(classes), config, args.fold, args.folds, args.fit_processes)
    except ValueError as err:
        p.error(str(err))

    clean, noisy = [], []
    for i in np.flatnonzero(test):
        audio = load_audio(items[i].path, config.audio)
        noise = np.random.default_rng([args.seed, i]).standard_normal(len(audio.signal))
        noise *= np.sqrt(np.mean(audio.speech.astype(np.float64) ** 2) / 10 ** (args.snr / 10))
        clean.append(clip_inputs(audio, config))
        # the same speech interval of the noisy signal: the frames line up with the clean ones
        noisy.append(
            clip_inputs(dataclasses.replace(audio, signal=(audio.signal + noise).astype(np.float32)), config)
        )

    def uar(inputs: list[dict[str, np.ndarray]], scored: SERConfig = config) -> dict[str, float]:
        """UAR % of each member of ``scored`` (and of its model) on the test files read as ``inputs``."""
        subset = TrainingData(
            {m: [[x[m]] for x in inputs] for m in scored.members}, data.y[test], data.speakers[test]
        )
        everything = np.ones(len(inputs), dtype=bool)
        outputs = predict_members(fitted, subset, everything, scored)
        return {
            m: round(100 * fold_scores(subset, everything, o, len(classes))["uar"], 1)
            for m, o in outputs.items()
        }

    print(f"fold {args.fold} of {args.folds}, white noise at {args.snr:g} dB SNR over the speech: UAR %\n")
    scored = {"clean": uar(clean), "noisy": uar(noisy)}
    print("| speech | " + " | ".join(scored["clean"]) + " |\n" + "|---" * (len(scored["clean"]) + 1) + "|")
    for name, by_model in scored.items():
        print(f"| {name} | " + " | ".join(f"{v:g}" for v in by_model.values()) + " |")
    tracks_only = dataclasses.replace(config, model_type="tracks")  # the swaps touch no other member
    print(
        "\n| track CNN: group of rows (ser.features.track_groups) | noisy, this group clean | clean, this group noisy |\n|---|---|---|"
    )
    for group, rows in track_groups(config.features).items():
        mended = [swap(n, c, rows) for c, n in zip(clean, noisy)]
        broken = [swap(c, n, rows) for c, n in zip(clean, noisy)]
        print(
            f"| {group} | {uar(mended, tracks_only)['tracks']:g} | {uar(broken, tracks_only)['tracks']:g} |"
        )
    return 0


def swap(
    into: dict[str, np.ndarray], source: dict[str, np.ndarray], rows: list[int]
) -> dict[str, np.ndarray]:
    """``into`` with ``rows`` of its track matrix taken from ``source``."""
    tracks = into["tracks"].copy()
    tracks[rows] = source["tracks"][rows]
    return {**into, "tracks": tracks}


if __name__ == "__main__":
    raise SystemExit(main())
