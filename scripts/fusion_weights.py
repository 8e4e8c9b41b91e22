#!/usr/bin/env python
"""A fusion bundle's members weighted otherwise, scored on development corpora.

The bundle's members (e.g. the track CNN and the log-mel CNN) are pooled again by the bundle's
rule with the first member weighted w and the others sharing 1 - w equally (w = 1/2 of two
members: the bundle itself; 1: the first member alone, 0: the others without it), and each
pooled model is scored on every corpus as ``ser-train --dev``
scores it (strict, calm counted as neutral, closed set: ``ser.crosscorpus.score_answers``).
Every clip is analysed once; only the model call is repeated. Which weight transfers best is
something to read, not to choose here: these corpora are development sets.

Example (the shipped model):
    python scripts/fusion_weights.py --model-dir ser/default_model --jobs 2 \\
        --dev ../shared/data/ased-dev/manifest.csv --dev ../shared/data/emotiontts-ko/manifest.csv
"""

from __future__ import annotations

import argparse
import dataclasses

from ser.bundle import load_bundle
from ser.cli import entry_point, setup_logging
from ser.crosscorpus import corpus_name, score_answers, uar_cells
from ser.datasets import manifest_items
from ser.fusion import average_models, members_of
from ser.inference import Predictor, analyse_many
from ser.metrics import SUBSET_RULES


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", default=None, help="a fusion bundle (default: the bundled model)")
    p.add_argument("--dev", action="append", required=True, help="path,label[,speaker] manifest (repeatable)")
    p.add_argument(
        "--weights",
        type=lambda text: [float(w) for w in text.split(",")],
        default=[0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0],
        help="weights of the first member, comma-separated (default 0,0.25,0.4,0.5,0.6,0.75,1)",
    )
    p.add_argument("--jobs", type=int, default=1, help="feature-extraction processes (-1: all cores)")
    args = p.parse_args(argv)
    setup_logging()
    bundle = load_bundle(args.model_dir)
    by_input = {member.inputs[0].name: member for member in members_of(bundle.model)}
    members = [by_input[t.input_name] for t in bundle.config.member_types if t.input_name in by_input]
    if len(members) < 2 or len(members) != len(bundle.config.members):
        p.error(f"{bundle.path} is not a fusion ({bundle.config.model_type})")
    first, *others = bundle.config.members
    corpora = {}
    for manifest in args.dev:
        items = manifest_items(manifest)
        analyses = analyse_many([str(it.path) for it in items], bundle.config, args.jobs, progress=True)
        corpora[corpus_name(manifest)] = ([it.label for it in items], analyses)
    header = [f"{name}: {rule}" for name in corpora for rule in SUBSET_RULES]
    print(
        f"UAR % with the {first} weighted w and the {' and '.join(others)} 1 - w ({bundle.config.fusion} pool)\n"
    )
    print(f"| w ({first}) | " + " | ".join(header) + " |\n" + "|---" * (len(header) + 1) + "|")
    for w in args.weights:
        model = average_models(
            members,
            name="ser_fusion",
            rule=bundle.config.fusion,
            weights=[w] + [(1 - w) / len(others)] * len(others),
        )
        predictor = Predictor(dataclasses.replace(bundle, model=model))
        cells = []
        for truth, analyses in corpora.values():
            scores = score_answers(truth, predictor.predict_analyses(analyses), predictor.labels)
            cells += uar_cells(scores)
        print(f"| {w:g} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
