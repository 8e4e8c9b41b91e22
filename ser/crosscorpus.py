"""Cross-corpus measures: a model scored on other corpora (other languages, speakers, rooms),
each on its own classes (:func:`ser.metrics.corpus_scores`: strict, calm counted as neutral, and
the model choosing among the corpus's classes only).

The corpora are development sets: measured, never trained on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ser.audio import AudioError
from ser.bundle import METRICS_FILE
from ser.datasets import manifest_items
from ser.inference import Prediction, Predictor
from ser.metrics import SUBSET_RULES, corpus_scores

logger = logging.getLogger(__name__)


def corpus_name(manifest: str | Path) -> str:
    """How results name the corpus of a manifest: its folder's name (``ased-dev/manifest.csv`` →
    ``"ased-dev"``)."""
    return Path(manifest).resolve().parent.name


def measure(predictor: Predictor, manifest: str | Path, jobs: int = 1) -> dict[str, Any]:
    """Scores of ``predictor`` on the corpus of a ``path,label[,speaker]`` manifest.

    Returns:
        ``{"n", "failed", "classes", "strict": {accuracy, uar, macro_f1, calibration}[, "calm_as_neutral": …],
        "closed_set": …}`` (:func:`ser.metrics.corpus_scores`); clips the model cannot use (no
        speech, …) are counted in ``failed`` and left out.
    """
    items = manifest_items(manifest)
    results = predictor.predict_many([str(it.path) for it in items], jobs=jobs)
    return score_answers([it.label for it in items], results, predictor.labels)


def score_answers(
    truth: list[str], results: list[Prediction | AudioError], labels: list[str]
) -> dict[str, Any]:
    """:func:`measure`'s scores of a model's ``results`` (a prediction, or the error that stopped
    it, per clip) against each clip's emotion ``truth``; ``labels``: the model's classes."""
    scored = [(t, r) for t, r in zip(truth, results, strict=True) if not isinstance(r, AudioError)]
    kept = [t for t, _ in scored]
    probabilities = np.array([[r.probabilities[c] for c in labels] for _, r in scored])
    out: dict[str, Any] = {"n": len(scored), "failed": len(truth) - len(scored), "classes": sorted(set(kept))}
    return out | corpus_scores(kept, probabilities, labels)


def uar_cells(scores: dict[str, Any]) -> list[str]:
    """Table cells of :func:`score_answers`'s ``scores``: each rule's UAR in % with one decimal, in
    the order of :data:`ser.metrics.SUBSET_RULES` (``""`` where a rule does not apply)."""
    return [f"{100 * scores[rule]['uar']:.1f}" if rule in scores else "" for rule in SUBSET_RULES]


def add_to_bundle(bundle_dir: str | Path, manifests: list[str | Path], jobs: int = 1) -> dict[str, Any]:
    """Measure the bundle in ``bundle_dir`` on each corpus and store the scores in its
    ``metrics.json`` as ``cross_corpus``, by corpus (the manifest's folder name)."""
    predictor = Predictor(bundle_dir)
    measured = {}
    for manifest in manifests:
        name = corpus_name(manifest)
        measured[name] = measure(predictor, manifest, jobs)
        logger.info("%s: %s", name, {k: v for k, v in measured[name].items() if k != "classes"})
    path = Path(bundle_dir) / METRICS_FILE
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics["cross_corpus"] = measured
    path.write_text(json.dumps(metrics, indent=2) + "\n")
    return measured
