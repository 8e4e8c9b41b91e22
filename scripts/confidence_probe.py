#!/usr/bin/env python
"""Can the model tell when it is off its training distribution? For each labelled corpus, how
well three per-clip signals separate right answers from wrong ones (AUROC; 0.5 = not at all):

- ``confidence``: the answer's probability (what the app shows);
- ``members_agree``: minus the Jensen–Shannon divergence between the fusion members' answers
  (ensemble disagreement);
- ``typical``: minus the Mahalanobis distance (Ledoit–Wolf) of the clip's summary features from
  the training recordings' (distance to training).

Right and wrong count calm as neutral where the corpus has no calm. Also printed: how far the
corpus lies from the training recordings (share beyond the 95th percentile of unseen training
speakers' distances, from speaker-disjoint folds), and how often "high" answers are right among
all, members agreeing, and typical clips.

Example (the training recordings by --data or --manifest, the corpora to probe by --dev):
    python scripts/confidence_probe.py --data ../shared/data/ravdess \\
        --dev ../shared/data/ased-dev/manifest.csv --dev ../shared/data/emotiontts-ko/manifest.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

from ser.audio import AudioError, load_audio
from ser.calibration import HIGH_CONFIDENCE
from ser.cli import add_corpus_arguments, corpus_items, entry_point, setup_logging
from ser.config import SERConfig
from ser.crosscorpus import corpus_name
from ser.datasets import manifest_items
from ser.features import extract
from ser.fusion import predict_outputs
from ser.inference import Analysis, Predictor, analyse
from ser.inputs import concatenate
from ser.training.folds import speaker_folds


def _clip(path: Path, config: SERConfig) -> tuple[Analysis, np.ndarray] | AudioError:
    """A clip's analysis and the summary features of its speech (for the distance to training)."""
    try:
        audio = load_audio(path, config.audio)
    except AudioError as err:
        return err
    return analyse(audio, config), extract(audio.speech, audio.sample_rate, config.features)


def _analyse(predictor: Predictor, paths: list[Path], jobs: int) -> list:
    from joblib import Parallel, delayed

    return Parallel(n_jobs=jobs)(delayed(_clip)(p, predictor.config) for p in paths)


def _distance_model(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, LedoitWolf]:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    return mean, scale, LedoitWolf().fit((x - mean) / scale)


def _distance(model: tuple[np.ndarray, np.ndarray, LedoitWolf], x: np.ndarray) -> np.ndarray:
    mean, scale, lw = model
    return np.sqrt(lw.mahalanobis((x - mean) / scale))


def _js(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = (a + b) / 2
    kl = lambda p: np.sum(p * np.log((p + 1e-9) / (m + 1e-9)), axis=1)  # noqa: E731
    return (kl(a) + kl(b)) / 2


def _per_clip(probs: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Window rows → one row per clip (the mean of its windows)."""
    return np.array([c.mean(axis=0) for c in np.split(probs, cuts)])


def _auc(correct: np.ndarray, score: np.ndarray) -> float:
    return roc_auc_score(correct, score) if 0 < correct.mean() < 1 else float("nan")


def _rate(correct: np.ndarray, mask: np.ndarray) -> str:
    return f"{correct[mask].mean():.0%} of {mask.sum()}" if mask.any() else "–"


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", help="bundle folder (default: the bundled model)")
    add_corpus_arguments(p, actors="1-20")  # the training recordings: --data RAVDESS or --manifest
    p.add_argument("--dev", action="append", required=True, help="path,label[,speaker] manifest (repeatable)")
    p.add_argument("--jobs", type=int, default=1, help="feature-extraction processes")
    args = p.parse_args(argv)
    setup_logging()
    predictor = Predictor(args.model_dir)
    members = [layer for layer in predictor.bundle.model.layers if hasattr(layer, "layers")]
    training_items = corpus_items(args)
    train = _analyse(predictor, [it.path for it in training_items], args.jobs)
    speakers = np.array([it.speaker for it in training_items])
    x_train = np.array([vector for _, vector in train])
    held_out = np.zeros(len(x_train))
    for fold in speaker_folds(list(speakers), min(5, len(set(speakers)))):
        test = np.isin(speakers, fold)
        held_out[test] = _distance(_distance_model(x_train[~test]), x_train[test])
    reference = _distance_model(x_train)
    far = np.percentile(held_out, 95)
    print(
        "| corpus | accuracy | AUROC confidence | AUROC members agree | AUROC typical | beyond p95 | high right | high & agree | high & typical |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for manifest in args.dev:
        items = manifest_items(manifest)
        clips = [
            (it, c)
            for it, c in zip(items, _analyse(predictor, [it.path for it in items], args.jobs))
            if not isinstance(c, AudioError)
        ]
        pairs = [(it, a) for it, (a, _) in clips]
        analyses = [a for _, a in pairs]
        cuts = np.cumsum([len(a.inputs) for a in analyses])[:-1]
        x = concatenate([a.inputs for a in analyses])
        fused = _per_clip(predictor.outputs(x)["emotion"], cuts)
        given = predictor.model_input(x)
        parts = [
            _per_clip(
                predict_outputs(m, given[m.inputs[0].name] if len(m.inputs) == 1 else given)["emotion"], cuts
            )
            for m in members
        ]
        truth = {it.label for it, _ in pairs}
        said = [predictor.labels[i] for i in fused.argmax(axis=1)]
        said = ["neutral" if s == "calm" and "calm" not in truth else s for s in said]
        correct = np.array([it.label == s for (it, _), s in zip(pairs, said)])
        confidence = fused.max(axis=1)
        agree = -_js(parts[0], parts[1]) if len(parts) == 2 else np.zeros(len(fused))
        distance = _distance(reference, np.array([vector for _, (_, vector) in clips]))
        high = confidence >= HIGH_CONFIDENCE
        same = (
            parts[0].argmax(axis=1) == parts[1].argmax(axis=1)
            if len(parts) == 2
            else np.ones(len(fused), bool)
        )
        print(
            f"| {corpus_name(manifest)} | {correct.mean():.1%} | {_auc(correct, confidence):.2f} "
            f"| {_auc(correct, agree):.2f} | {_auc(correct, -distance):.2f} | {np.mean(distance > far):.0%} "
            f"| {_rate(correct, high)} | {_rate(correct, high & same)} | {_rate(correct, high & (distance <= far))} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
