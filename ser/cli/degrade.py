"""``ser-degrade``: degraded copies of a test set (codecs, phone band, noise, babble, a room,
quiet, stereo), and, given a model, its scores on each next to the clean originals.

Test side only: measure a model on the copies, never train on them. Measure a model on files
it was not trained on: a CV fold's model on that fold's actors, or the shipped model on
actors it never saw.

Examples:
    ser-degrade --data ../shared/data/ravdess --actors 1-4 --out runs/degraded
    ser-degrade --data ../shared/data/ravdess --actors 1-4 --out runs/degraded --model-dir models/fold1 --json d.json
    ser-degrade --manifest corpus.csv --out runs/degraded --conditions phone_8k babble_5db
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ser.cli import (
    add_corpus_arguments,
    add_model_arguments,
    add_verbose_argument,
    corpus_items,
    entry_point,
    load_predictor,
    setup_logging,
)
from ser.degrade import CONDITIONS, degrade


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-degrade", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_arguments(p)
    p.add_argument("--out", required=True, help="folder for <condition>/ copies and manifests")
    p.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes making the copies and, when measuring, reading them (-1: all cores)",
    )
    p.add_argument("--json", help="write the scores here (with a model)")
    p.add_argument("--measure", action="store_true", help="score the model (given or default) on each copy")
    add_model_arguments(p)
    add_verbose_argument(p)
    args = p.parse_args(argv)
    measuring = args.measure or args.model_dir or args.repo_id
    setup_logging(args.verbose, tensorflow=bool(measuring))

    items = corpus_items(args)
    manifests = degrade(items, args.out, args.conditions, seed=args.seed, jobs=args.jobs)
    print(f"{len(items)} file(s) × {len(manifests)} condition(s) in {args.out}")
    if not measuring:
        return 0

    from ser.crosscorpus import measure
    from ser.datasets import write_manifest

    predictor = load_predictor(args)
    clean = Path(args.out) / "clean.csv"
    write_manifest(clean, items)
    scores = {"clean": measure(predictor, clean, args.jobs)}
    for name, manifest in manifests.items():
        scores[name] = measure(predictor, manifest, args.jobs)
    base = scores["clean"]["strict"]["uar"]
    print(f"\n{'condition':<18}{'n':>5}{'failed':>8}{'accuracy':>10}{'UAR':>8}{'Δ UAR':>8}  description")
    for name, s in scores.items():
        st = s["strict"]
        desc = CONDITIONS[name].description if name in CONDITIONS else "the originals"
        print(
            f"{name:<18}{s['n']:>5}{s['failed']:>8}{st['accuracy']:>10.1%}{st['uar']:>8.1%}"
            f"{(st['uar'] - base) * 100:>+7.1f}  {desc}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"model": predictor.describe(), "scores": scores}, indent=2) + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
