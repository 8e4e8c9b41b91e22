"""Shared fixtures: a tiny corpus of generated speech and a small model trained on it."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pytest
import soundfile as sf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# huggingface_hub reads these once, at import: set them before anything imports it. Xet uploads
# cannot be served offline (only the real Hub exercises them); no telemetry; a throw-away cache.
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="ser-tests-hf-")
os.environ.pop("HF_TOKEN", None)
os.environ.pop("SER_MODEL_REPO", None)

from tests.audio_fixtures import synth_speech  # noqa: E402

#: Generated "emotions": (f0 Hz, syllable rate Hz). Distinct enough for a model to learn.
TOY_CLASSES = {"calm": (125.0, 3.0), "angry": (200.0, 6.5), "sad": (80.0, 1.5)}


@pytest.fixture(scope="session")
def toy_corpus(tmp_path_factory) -> Path:
    """A CSV manifest (path,label,speaker) over 6 speakers × 3 classes × 3 clips of generated speech."""
    root = tmp_path_factory.mktemp("toy_corpus")
    rows = []
    for speaker in range(6):
        for label, (f0, rate) in TOY_CLASSES.items():
            for take in range(3):
                seed = 1000 * speaker + 10 * take + hash(label) % 7
                y = synth_speech(2.5, f0=f0 * (1 + 0.05 * (speaker - 3)), rate_hz=rate, seed=seed)
                path = root / f"spk{speaker}_{label}_{take}.wav"
                sf.write(path, y, 22050)
                rows.append({"path": path.name, "label": label, "speaker": f"spk{speaker}"})
    manifest = root / "manifest.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label", "speaker"])
        writer.writeheader()
        writer.writerows(rows)
    return manifest


@pytest.fixture(scope="session")
def toy_bundle(toy_corpus, tmp_path_factory) -> Path:
    """A bundle trained (3-fold speaker-disjoint CV + final fit) on :func:`toy_corpus`."""
    import dataclasses

    from ser.config import ModelConfig, SERConfig
    from ser.datasets import manifest_items
    from ser.train import train

    out = tmp_path_factory.mktemp("bundle") / "toy"
    config = SERConfig(
        model=dataclasses.replace(
            ModelConfig(), hidden=(32, 16), epochs=30, patience=10, augment_copies=1, ensemble=2
        )
    )
    train(manifest_items(toy_corpus), out, config, n_folds=3, jobs=1)
    return out
