#!/usr/bin/env python
"""Screen training variants on one fold of the speaker-disjoint CV (``ser.training.screen``).

Each variant is a bundle's training settings (default: the bundled model's) with
``SECTION.FIELD=VALUE`` overrides (``ser.config.with_overrides``); the base settings run first.
Prints one Markdown row per variant: the model's UAR on the fold's test speakers (each member's in
brackets), intensity accuracy, and UAR on the test speakers' degraded copies and on development
corpora (calm counted as neutral). One fold, a few minutes a variant: a screen, not a result.

Example (fold 5 = actors 17-20):
    python scripts/screen.py --data ../shared/data/ravdess --fold 5 --jobs 2 \\
        --dev ../shared/data/ased-dev/manifest.csv --degraded runs/degraded \\
        --variant tracks.centre=pitch --variant cnn.clean_weight=2 tracks.clean_weight=2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ser.cli import (
    add_fold_arguments,
    add_variant_argument,
    add_verbose_argument,
    corpus_items,
    entry_point,
    setup_logging,
)
from ser.config import SERConfig, with_overrides
from ser.crosscorpus import corpus_name
from ser.datasets import manifest_items
from ser.degrade import CONDITIONS, degrade
from ser.emotions import EMOTIONS


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fold_arguments(p, base_help="bundle whose settings variants change")
    add_variant_argument(p, "one variant's overrides, e.g. tracks.centre=pitch (repeatable)")
    p.add_argument("--dev", action="append", default=[], help="a development corpus manifest (repeatable)")
    p.add_argument(
        "--degraded", metavar="DIR", help="make (once) and score degraded copies of the test files"
    )
    p.add_argument(
        "--degraded-conditions",
        nargs="+",
        choices=list(CONDITIONS),
        default=["phone_8k", "white_noise_10db", "babble_5db", "reverb_0.6s"],
        metavar="NAME",
    )
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    from ser.training.data import TrainingData
    from ser.training.folds import fold_mates
    from ser.training.screen import screen

    base = SERConfig.from_dict(json.loads((Path(args.base) / "config.json").read_text()))
    try:
        variants = {"base": base} | {" ".join(v): with_overrides(base, v) for v in args.variant}
    except ValueError as err:
        p.error(str(err))
    items = corpus_items(args)
    classes = list(EMOTIONS) if args.data else sorted({it.label for it in items})
    cache = args.cache_dir or None
    manifests = {}
    if args.degraded:
        manifests = degrade(
            items, args.degraded, args.degraded_conditions, base.audio.sample_rate, jobs=args.jobs
        )
    test_sets: dict[tuple, tuple[dict, dict]] = {}  # by audio and feature settings
    mates = fold_mates([it.speaker for it in items], args.folds)
    columns: list[str] = []
    members = f", {' / '.join(base.members)} in brackets" if len(base.members) > 1 else ""
    print(
        f"fold {args.fold} of {args.folds}: UAR % of the {base.model_type}{members}; dev corpora: calm as neutral\n"
    )
    for name, config in variants.items():
        data = TrainingData.from_items(items, config, classes, cache, args.jobs, mates)
        key = (config.audio, config.features)
        if key not in test_sets:
            test_sets[key] = _test_sets(config, manifests, args.dev, classes, cache, args.jobs)
        degraded, dev = test_sets[key]
        result = screen(data, classes, config, args.fold, args.folds, degraded, dev, args.fit_processes)
        if not columns:
            columns = list(result)
            print("| variant | " + " | ".join(columns) + " |")
            print("|---" * (len(columns) + 1) + "|")
        print(
            f"| {name} | " + " | ".join(_cell(result[c], config.model_type) for c in columns) + " |",
            flush=True,
        )
    return 0


def _test_sets(
    config: SERConfig,
    manifests: dict[str, Path],
    dev_manifests: list[str],
    classes: list[str],
    cache: str | None,
    jobs: int,
) -> tuple[dict, dict]:
    """The degraded copies (by condition) and the development corpora (by folder name), read as
    ``config`` reads audio: a variant that changes the features is scored on its own features."""
    from ser.training.data import TrainingData
    from ser.training.screen import DevCorpus

    clean = config.without_copies()
    degraded = {
        name: TrainingData.from_items(manifest_items(m), clean, classes, cache, jobs)
        for name, m in manifests.items()
    }
    dev = {}
    for manifest in dev_manifests:
        dev_items = manifest_items(manifest)
        data = TrainingData.from_items(dev_items, clean, classes, cache, jobs)
        dev[corpus_name(manifest)] = DevCorpus(data, [it.label for it in dev_items])
    return degraded, dev


def _cell(by_model: dict[str, float], shipped: str) -> str:
    """``"66.0 (64.1 / 57.4)"``: the shipped model's score, then each member's."""
    members = [f"{v:g}" for m, v in by_model.items() if m != shipped]
    main = f"{by_model[shipped]:g}" if shipped in by_model else "–"
    return main + (f" ({' / '.join(members)})" if members and shipped in by_model else "")


if __name__ == "__main__":
    raise SystemExit(main())
