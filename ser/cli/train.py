"""``ser-train``: train with speaker-disjoint cross-validation and write a model bundle.

Example (the shipped default: the fusion of a 1-D CNN over the acoustic tracks and a log-mel CNN):
    ser-train --data ../shared/data/ravdess --out models/default
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging

from ser.cli import (
    add_corpus_arguments,
    add_fit_processes_argument,
    add_verbose_argument,
    corpus_items,
    entry_point,
    setup_logging,
)
from ser.config import CENTRE_KINDS, CNNConfig, ModelConfig, SERConfig, with_overrides
from ser.datasets import manifest_items
from ser.degrade import CONDITIONS, degrade
from ser.metrics import format_table
from ser.registry import FUSION, member_names, member_type

logger = logging.getLogger("train")


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_arguments(p, actors="1-20")
    p.add_argument("--out", required=True, help="output bundle folder")
    p.add_argument(
        "--model-type",
        choices=(*member_names(), FUSION),
        default=FUSION,
        help="; ".join(f"{n}: {member_type(n).title}" for n in member_names())
        + f"; {FUSION}: several of them, combined (default)",
    )
    p.add_argument(
        "--fusion-members",
        default=",".join(SERConfig.fusion_members),
        help=f"models a fusion combines, comma-separated, from {', '.join(member_names())} "
        f"(default {','.join(SERConfig.fusion_members)})",
    )
    p.add_argument("--folds", type=int, default=5, help="speaker-disjoint CV folds (default 5)")
    p.add_argument("--jobs", type=int, default=-1, help="feature-extraction processes (-1: all cores)")
    add_fit_processes_argument(p)
    p.add_argument("--cache-dir", default=".cache/features", help="feature cache ('' to disable)")
    p.add_argument("--augment-copies", type=int, default=ModelConfig.augment_copies)
    p.add_argument("--epochs", type=int, default=ModelConfig.epochs, help="MLP: max epochs")
    p.add_argument(
        "--hidden", default=",".join(map(str, ModelConfig.hidden)), help="hidden layer sizes, comma-separated"
    )
    p.add_argument("--ensemble", type=int, default=ModelConfig.ensemble, help="MLPs averaged (seeds)")
    p.add_argument("--batch-size", type=int, default=ModelConfig.batch_size, help="MLP: rows per step")
    p.add_argument(
        "--input-noise",
        type=float,
        default=ModelConfig.input_noise,
        help="Gaussian noise on the standardised input during training",
    )
    p.add_argument("--cnn-epochs", type=int, default=CNNConfig.epochs, help="CNN: epochs")
    p.add_argument(
        "--cnn-channels",
        default=",".join(map(str, CNNConfig.channels)),
        help="CNN: filters per conv block, comma-separated",
    )
    p.add_argument("--cnn-ensemble", type=int, default=CNNConfig.ensemble, help="CNNs averaged (seeds)")
    tracks_defaults = SERConfig().tracks
    p.add_argument("--tracks-epochs", type=int, default=tracks_defaults.epochs, help="track CNN: epochs")
    p.add_argument(
        "--tracks-channels",
        default=",".join(map(str, tracks_defaults.channels)),
        help="track CNN: filters per conv block, comma-separated",
    )
    p.add_argument(
        "--augment",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="augmentation settings (ser.config.AugmentConfig), e.g. recipe=basic or speaker_p=0 "
        "snr_db=5,20 (ranges as low,high)",
    )
    p.add_argument(
        "--balance", action="store_true", help="CNNs: draw training files with equal weight per emotion"
    )
    p.add_argument(
        "--clean-weight",
        type=float,
        default=CNNConfig.clean_weight,
        help="CNNs: how much likelier an epoch takes a file's clean version than one augmented copy",
    )
    p.add_argument(
        "--label-smoothing",
        type=float,
        default=CNNConfig.label_smoothing,
        help="CNNs: label smoothing of the emotion loss",
    )
    for member, default in (("cnn", CNNConfig.centre), ("tracks", tracks_defaults.centre)):
        p.add_argument(
            f"--{member}-centre",
            default=",".join(default),
            help=f"{member}: what each clip is measured relative to itself, comma-separated from "
            f"{', '.join(CENTRE_KINDS)} ('' for nothing; see ser.config.CNNConfig.centre)",
        )
    p.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="any other setting of ser.config.SERConfig, applied last, as scripts/screen.py's variants "
        "name them, e.g. tracks.ensemble=2 cnn.dropout=0.4",
    )
    p.add_argument("--seed", type=int, default=ModelConfig.seed)
    p.add_argument("--name", help="model name recorded in config.json")
    p.add_argument(
        "--dev",
        action="append",
        default=[],
        help="a development corpus (path,label[,speaker] manifest) to measure the trained bundle on, "
        "never trained on; stored as cross_corpus in metrics.json (repeatable)",
    )
    p.add_argument(
        "--degraded",
        metavar="DIR",
        help="make degraded copies of every file here (ser-degrade's conditions, made once) and score "
        "each CV fold's model on its test files' copies; stored as degraded in metrics.json",
    )
    p.add_argument(
        "--degraded-conditions", nargs="+", choices=list(CONDITIONS), default=list(CONDITIONS), metavar="NAME"
    )
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    from ser.training import train  # after setup_logging: it imports TensorFlow

    model_cfg = dataclasses.replace(
        ModelConfig(),
        augment_copies=args.augment_copies,
        epochs=args.epochs,
        seed=args.seed,
        ensemble=args.ensemble,
        batch_size=args.batch_size,
        input_noise=args.input_noise,
        hidden=tuple(int(h) for h in args.hidden.split(",")),
    )
    recipe = {
        "clean_weight": args.clean_weight,
        "balance": args.balance,
        "label_smoothing": args.label_smoothing,
        "seed": args.seed,
    }
    cnn_cfg = dataclasses.replace(
        SERConfig().cnn,
        epochs=args.cnn_epochs,
        channels=tuple(int(c) for c in args.cnn_channels.split(",")),
        ensemble=args.cnn_ensemble,
        **recipe,
    )
    tracks_cfg = dataclasses.replace(
        tracks_defaults,
        epochs=args.tracks_epochs,
        channels=tuple(int(c) for c in args.tracks_channels.split(",")),
        **recipe,
    )
    try:
        config = SERConfig(
            model=model_cfg,
            cnn=cnn_cfg,
            tracks=tracks_cfg,
            model_type=args.model_type,
            fusion_members=tuple(args.fusion_members.split(",")),
        )
        config = with_overrides(
            config,
            [
                *(f"augment.{pair}" for pair in args.augment),
                f"cnn.centre={args.cnn_centre}",
                f"tracks.centre={args.tracks_centre}",
                *args.set,
            ],
        )
    except ValueError as err:
        p.error(str(err))
    items = corpus_items(args)
    logger.info("%d files from %d speakers", len(items), len({it.speaker for it in items}))
    degraded = None
    if args.degraded:
        manifests = degrade(
            items, args.degraded, args.degraded_conditions, config.audio.sample_rate, args.seed, args.jobs
        )
        degraded = {name: manifest_items(m) for name, m in manifests.items()}
    metrics = train(
        items,
        args.out,
        config,
        n_folds=args.folds,
        cache_dir=args.cache_dir or None,
        jobs=args.jobs,
        name=args.name,
        degraded=degraded,
        processes=args.fit_processes,
    )
    if args.dev:
        from ser.crosscorpus import add_to_bundle
        from ser.metrics import SUBSET_RULES

        for name, result in add_to_bundle(args.out, args.dev, jobs=args.jobs).items():
            rules = {k: v for k, v in result.items() if k in SUBSET_RULES}
            print(name, {k: f"UAR {v['uar']:.1%}" for k, v in rules.items()})
    for member, result in metrics.get("models", {}).items():
        print(f"\n{member}:\n{format_table(result['summary'])}")
    print(f"\nshipped ({config.model_type}):\n{format_table(metrics['summary'])}")
    for name, result in metrics.get("degraded", {}).items():
        uar = result["summary"]["uar"]
        print(f"degraded {name:<18} UAR {uar['mean']:.1%} ± {uar['std']:.1%}")
    print(json.dumps({k: round(v["mean"], 4) for k, v in metrics["summary"].items()}))
    print(f"bundle written to {args.out}")
    return 0
