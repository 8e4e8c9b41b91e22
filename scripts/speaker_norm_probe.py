#!/usr/bin/env python
"""A bundle scored on development corpora with its inputs re-standardised per corpus or per speaker.

Cross-corpus studies often standardise each speaker's (or each corpus's) features by that
speaker's own statistics, so that a voice, a microphone or a language's register reads like the
training data's. This probe asks whether that reaches the errors our models make off RAVDESS,
with no retraining and no labels: every model input (the CNNs' per-frame rows, the MLP's
summary vector) is moved so that, over each group of clips, each row has the mean and standard
deviation the model was trained with (its ``standardise`` layer, or the bundle's scaler)::

    x' = (x - mean_group) / std_group * std_train + mean_train

Groups: ``none`` (the bundle as it is), ``corpus`` (all clips of a manifest), ``speaker`` (the
manifest's speaker column). Each clip is analysed once; each corpus is scored as ``ser-train
--dev`` scores it (strict, calm counted as neutral, closed set). The groups' statistics use the
clips themselves (transductive, as such studies do); the Space hears one clip of an unknown
speaker and could not do this.

Example (the shipped model):
    python scripts/speaker_norm_probe.py --model-dir ser/default_model --jobs 2 \\
        --dev ../shared/data/ased-dev/manifest.csv --dev ../shared/data/emotiontts-ko/manifest.csv
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict

import numpy as np

from ser.bundle import Bundle, load_bundle
from ser.cli import entry_point, setup_logging
from ser.crosscorpus import corpus_name, score_answers, uar_cells
from ser.datasets import manifest_items
from ser.fusion import members_of
from ser.inference import Analysis, Predictor, analyse_many
from ser.inputs import ModelInputs
from ser.members.conv import STANDARDISE_LAYER
from ser.metrics import SUBSET_RULES

GROUPINGS = ("none", "corpus", "speaker")

Stats = tuple[np.ndarray, np.ndarray]


def training_stats(bundle: Bundle) -> dict[str, Stats]:
    """Per-row mean and standard deviation each model input was standardised with in training,
    by input name: a member's ``standardise`` layer, or the bundle's scaler."""
    stats = {}
    for member in members_of(bundle.model):
        name = member.inputs[0].name
        layers = {layer.name: layer for layer in member.layers}
        if STANDARDISE_LAYER in layers:
            layer = layers[STANDARDISE_LAYER]
            stats[name] = (np.ravel(layer.mean), np.sqrt(np.ravel(layer.variance)))
        elif bundle.scaler is not None:
            stats[name] = (bundle.scaler.mean, bundle.scaler.scale)
    return stats


def row_stats(arrays: list[np.ndarray]) -> Stats:
    """Mean and standard deviation of each row (last axis) over every frame of ``arrays``,
    leaving out NaN (the track CNN's padding) and the log-mel crops' padding frames (every row at
    the crop's minimum); a row that does not move in the group gets a standard deviation of
    10⁻⁶, so that it is not blown up."""
    frames = []
    for a in arrays:
        a = a.astype(np.float64)
        if a.ndim == 3:
            floor = np.nanmin(a, axis=(1, 2), keepdims=True)
            a = a[~np.all(a == floor, axis=-1)]
        frames.append(a.reshape(-1, a.shape[-1]))
    x = np.concatenate(frames)
    return np.nanmean(x, axis=0), np.maximum(np.nanstd(x, axis=0), 1e-6)


def restandardise(inputs: ModelInputs, group: dict[str, Stats], reference: dict[str, Stats]) -> ModelInputs:
    """``inputs`` moved from their group's row statistics to the training's."""
    arrays = {}
    for name, x in inputs.arrays.items():
        if name in group:
            (mean, std), (mean_ref, std_ref) = group[name], reference[name]
            x = ((x - mean) / std * std_ref + mean_ref).astype(np.float32)
        arrays[name] = x
    return dataclasses.replace(inputs, arrays=arrays)


def adapt(analyses: list[Analysis | Exception], groups: list[str], reference: dict[str, Stats]) -> list:
    """Every analysis's inputs (windows and segments) re-standardised by its group's statistics."""
    members: dict[str, list[Analysis]] = defaultdict(list)
    for analysis, group in zip(analyses, groups, strict=True):
        if isinstance(analysis, Analysis):
            members[group].append(analysis)
    stats = {
        group: {name: row_stats([b.arrays[name] for a in found for b in a.batches]) for name in reference}
        for group, found in members.items()
    }
    adapted = []
    for analysis, group in zip(analyses, groups, strict=True):
        if isinstance(analysis, Analysis):
            segments = analysis.segment_inputs
            analysis = dataclasses.replace(
                analysis,
                inputs=restandardise(analysis.inputs, stats[group], reference),
                segment_inputs=None if segments is None else restandardise(segments, stats[group], reference),
            )
        adapted.append(analysis)
    return adapted


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", default=None, help="a bundle (default: the bundled model)")
    p.add_argument("--dev", action="append", required=True, help="path,label[,speaker] manifest (repeatable)")
    p.add_argument("--jobs", type=int, default=1, help="feature-extraction processes (-1: all cores)")
    args = p.parse_args(argv)
    setup_logging()
    bundle = load_bundle(args.model_dir)
    predictor = Predictor(bundle)
    reference = training_stats(bundle)
    print(f"UAR % of {bundle.path}, inputs re-standardised per group ({', '.join(reference)})\n")
    print(
        "| corpus | grouping | " + " | ".join(SUBSET_RULES) + " |\n" + "|---" * (len(SUBSET_RULES) + 2) + "|"
    )
    for manifest in args.dev:
        items = manifest_items(manifest)
        analyses = analyse_many([str(it.path) for it in items], bundle.config, args.jobs, progress=True)
        for grouping in GROUPINGS:
            groups = [it.speaker for it in items] if grouping == "speaker" else ["all"] * len(items)
            given = analyses if grouping == "none" else adapt(analyses, groups, reference)
            scores = score_answers(
                [it.label for it in items], predictor.predict_analyses(given), predictor.labels
            )
            print(
                f"| {corpus_name(manifest)} | {grouping} | " + " | ".join(uar_cells(scores)) + " |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
