#!/usr/bin/env python
"""Measure a trained bundle on development corpora and store the scores in its metrics.json
(``cross_corpus``); ``ser-train --dev`` does the same right after training.

Example (the shipped model, on the two development sets):
    python scripts/cross_corpus.py --model-dir ser/default_model \\
        --dev ../shared/data/ased-dev/manifest.csv --dev ../shared/data/emotiontts-ko/manifest.csv
"""

from __future__ import annotations

import argparse

from ser.cli import entry_point, setup_logging
from ser.crosscorpus import add_to_bundle
from ser.metrics import SUBSET_RULES


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", required=True, help="bundle folder whose metrics.json gets the scores")
    p.add_argument("--dev", action="append", required=True, help="path,label[,speaker] manifest (repeatable)")
    p.add_argument("--jobs", type=int, default=1, help="feature-extraction processes (-1: all cores)")
    args = p.parse_args(argv)
    setup_logging()
    for name, result in add_to_bundle(args.model_dir, args.dev, jobs=args.jobs).items():
        line = ", ".join(f"{rule} UAR {result[rule]['uar']:.1%}" for rule in SUBSET_RULES if rule in result)
        print(f"{name} ({result['n']} clips, {len(result['classes'])} classes): {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
