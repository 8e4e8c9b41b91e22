"""Cross-corpus measures: a model scored on other corpora (other languages, speakers, rooms),
each on its own classes (:func:`ser.metrics.subset_scores`: strict, and calm counted as neutral).

The corpora are development sets: measured, never trained on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ser.audio import AudioError
from ser.bundle import METRICS_FILE
from ser.datasets import manifest_items
from ser.inference import Predictor
from ser.metrics import subset_scores

logger = logging.getLogger(__name__)


def measure(predictor: Predictor, manifest: str | Path, jobs: int = 1) -> dict[str, Any]:
    """Scores of ``predictor`` on the corpus of a ``path,label[,speaker]`` manifest.

    Returns:
        ``{"n", "failed", "classes", "strict": {accuracy, uar, macro_f1, calibration}[, "calm_as_neutral": …]}``;
        clips the model cannot use (no speech, …) are counted in ``failed`` and left out.
    """
    items = manifest_items(manifest)
    results = predictor.predict_many([str(it.path) for it in items], jobs=jobs)
    scored = [(it.label, r) for it, r in zip(items, results) if not isinstance(r, AudioError)]
    truth, said = [t for t, _ in scored], [r.label for _, r in scored]
    sure = [r.confidence for _, r in scored]
    classes = sorted(set(truth))
    out = {"n": len(scored), "failed": len(items) - len(scored), "classes": classes}
    out["strict"] = subset_scores(truth, said, confidence=sure)
    if "neutral" in classes and "calm" not in classes and "calm" in predictor.labels:
        out["calm_as_neutral"] = subset_scores(truth, said, calm_as_neutral=True, confidence=sure)
    return out


def add_to_bundle(bundle_dir: str | Path, manifests: list[str | Path], jobs: int = 1) -> dict[str, Any]:
    """Measure the bundle in ``bundle_dir`` on each corpus and store the scores in its
    ``metrics.json`` as ``cross_corpus``, by corpus (the manifest's folder name)."""
    predictor = Predictor(bundle_dir)
    measured = {}
    for manifest in manifests:
        name = Path(manifest).resolve().parent.name
        measured[name] = measure(predictor, manifest, jobs)
        logger.info("%s: %s", name, {k: v for k, v in measured[name].items() if k != "classes"})
    path = Path(bundle_dir) / METRICS_FILE
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics["cross_corpus"] = measured
    path.write_text(json.dumps(metrics, indent=2) + "\n")
    return measured
