"""Shared fixtures: a tiny corpus of generated speech and a small model trained on it."""

from __future__ import annotations

import csv
import dataclasses
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

from ser.config import AugmentConfig, ModelConfig, SERConfig  # noqa: E402
from ser.datasets import manifest_items  # noqa: E402
from ser.degrade import degrade  # noqa: E402
from ser.training import train  # noqa: E402
from tests.audio_fixtures import synth_speech  # noqa: E402

#: Generated "emotions": (f0 Hz, syllable rate Hz). Distinct enough for a model to learn.
TOY_CLASSES = {"calm": (125.0, 3.0), "angry": (200.0, 6.5), "sad": (80.0, 1.5)}
#: The default world recipe with a bank of 4 rooms instead of 64: the same steps, but each new
#: process simulates its bank in about 3 s instead of 48 (`--augment room_bank=4` for scripts).
SMALL_ROOM_BANK = AugmentConfig(room_bank=4)
#: The shipped model type, a fusion, scaled down to train in seconds: the shipped members (the
#: track CNN and the log-mel CNN) and the MLP, so that one bundle exercises every kind of member.
TOY_CONFIG = SERConfig(
    model=dataclasses.replace(
        ModelConfig(), hidden=(32, 16), epochs=30, patience=10, augment_copies=1, ensemble=2
    ),
    cnn=dataclasses.replace(SERConfig().cnn, channels=(8, 16), epochs=6, batch_size=16),
    tracks=dataclasses.replace(SERConfig().tracks, channels=(8, 16), epochs=6, batch_size=16),
    augment=SMALL_ROOM_BANK,
    model_type="fusion",
    fusion_members=("mlp", "tracks", "cnn"),
)


#: Fixtures that train a model or start Ray: a test that uses one is slow (``-m "not slow"`` skips it).
SLOW_FIXTURES = {"toy_bundle", "ray_cluster"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that trains (through :data:`SLOW_FIXTURES`) as slow."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def toy_corpus(tmp_path_factory) -> Path:
    """A CSV manifest (path,label,speaker,intensity) over 6 speakers × 3 classes × 4 clips of
    generated speech; "strong" takes are higher and faster."""
    root = tmp_path_factory.mktemp("toy_corpus")
    rows = []
    for speaker in range(6):
        for k, (label, (f0, rate)) in enumerate(TOY_CLASSES.items()):
            for take in range(4):
                strong = take % 2 == 1
                seed = 1000 * speaker + 10 * take + k  # not hash(label): that changes per process
                y = synth_speech(
                    2.5,
                    f0=f0 * (1 + 0.05 * (speaker - 3)) * (1.2 if strong else 1.0),
                    rate_hz=rate * (1.3 if strong else 1.0),
                    seed=seed,
                )
                path = root / f"spk{speaker}_{label}_{take}.wav"
                sf.write(path, y, 22050)
                rows.append(
                    {
                        "path": path.name,
                        "label": label,
                        "speaker": f"spk{speaker}",
                        "intensity": "strong" if strong else "normal",
                    }
                )
    manifest = root / "manifest.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label", "speaker", "intensity"])
        writer.writeheader()
        writer.writerows(rows)
    return manifest


@pytest.fixture(scope="session")
def toy_bundle(toy_corpus, tmp_path_factory) -> Path:
    """A fusion bundle (MLP + track CNN + log-mel CNN, the CNNs with intensity heads) trained with 3-fold
    speaker-disjoint CV + final fit on :func:`toy_corpus`; the CV also scores phone-band and noisy
    copies of each test fold."""
    items = manifest_items(toy_corpus)
    out = tmp_path_factory.mktemp("bundle") / "toy"
    copies = degrade(items, out.parent / "degraded", ["phone_8k", "white_noise_10db"])
    degraded = {name: manifest_items(m) for name, m in copies.items()}
    train(items, out, TOY_CONFIG, n_folds=3, jobs=1, degraded=degraded)
    return out
