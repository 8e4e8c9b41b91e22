"""Degraded copies of a test set: each condition is the recording a user would send, and ser reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ser.audio import decode
from ser.channels import mix_at_snr
from ser.datasets import Item, manifest_items
from ser.degrade import CONDITIONS, degrade
from tests.audio_fixtures import synth_speech

SR = 22050


@pytest.fixture(scope="module")
def degraded(tmp_path_factory) -> tuple[list[Item], dict[str, Path]]:
    root = tmp_path_factory.mktemp("degrade")
    items = []
    for i, (label, speaker) in enumerate([("angry", "a"), ("sad", "b"), ("calm", "c")]):
        path = root / f"{label}.wav"
        sf.write(path, 0.5 * synth_speech(2.0, f0=100 + 40 * i, seed=i), SR)
        items.append(Item(path, label, speaker, "normal"))
    return items, degrade(items, root / "out")


def test_every_condition_writes_a_readable_copy_of_every_file_and_a_manifest(degraded):
    items, manifests = degraded
    assert list(manifests) == list(CONDITIONS)
    for name, manifest in manifests.items():
        copies = manifest_items(manifest)
        assert [(c.label, c.speaker) for c in copies] == [(i.label, i.speaker) for i in items], name
        for c in copies:
            assert c.path.suffix == CONDITIONS[name].suffix and c.path.stat().st_size > 0
            samples, _, _ = decode(c.path)
            assert np.isfinite(samples).all() and len(samples) > 0


@pytest.mark.parametrize(
    ("condition", "rate", "channels", "fmt"),
    [
        ("mp3_64k", SR, 1, "mp3"),
        ("m4a_aac", SR, 1, "aac"),
        ("webm_opus_32k", 48000, 1, "opus"),
        ("phone_8k", 8000, 1, "wav"),
        ("stereo_44k", 44100, 2, "wav"),
    ],
)
def test_codec_and_channel_conditions_are_what_they_say(degraded, condition, rate, channels, fmt):
    _, manifests = degraded
    copy = manifest_items(manifests[condition])[0].path
    samples, sr, got_fmt = decode(copy)
    assert (sr, samples.shape[1]) == (rate, channels)
    assert fmt in got_fmt.lower()
    if condition == "phone_8k":
        assert sf.info(copy).subtype == "ULAW"


def test_phone_band_removes_what_a_telephone_cannot_carry(degraded):
    items, manifests = degraded
    y, sr = sf.read(manifest_items(manifests["phone_8k"])[0].path)
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    assert spectrum[freqs < 150].sum() < 0.01 * spectrum[(freqs > 300) & (freqs < 3400)].sum()


def test_quiet_is_30_db_down(degraded):
    items, manifests = degraded
    clean, _ = sf.read(items[0].path)
    quiet, _ = sf.read(manifest_items(manifests["quiet_-30db"])[0].path)
    ratio_db = 20 * np.log10(np.max(np.abs(quiet)) / np.max(np.abs(clean)))
    assert ratio_db == pytest.approx(-30, abs=0.5)


def test_noise_is_mixed_at_the_asked_snr():
    rng = np.random.default_rng(0)
    speech, noise = rng.normal(size=SR), rng.normal(size=SR // 3)  # noise shorter: looped
    mixed = mix_at_snr(speech, noise, 5.0)
    added = mixed - speech
    assert 10 * np.log10(np.mean(speech**2) / np.mean(added**2)) == pytest.approx(5.0, abs=1e-6)


def test_copies_are_made_once_and_unknown_conditions_are_refused(degraded, tmp_path):
    items, manifests = degraded
    copy = manifest_items(manifests["white_noise_10db"])[0].path
    before = copy.stat().st_mtime_ns
    degrade(items, copy.parent.parent, ["white_noise_10db"])
    assert copy.stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="unknown condition"):
        degrade(items, tmp_path, ["underwater"])
