"""Training copies: the world recipe makes the recordings users send and the voices we never
heard, reproducibly, from training speakers only."""

from __future__ import annotations

import dataclasses
import zlib

import librosa
import numpy as np
import pytest

from ser import channels
from ser.augment import augment
from ser.card import augmentation_text
from ser.cli.train import main as train_main
from ser.config import AugmentConfig, SERConfig
from ser.extraction import cache_key
from ser.training.folds import fold_mates, speaker_folds
from tests.audio_fixtures import synth_speech

SR = 22050
#: The world recipe with every step off: each test turns on the one it checks.
NOTHING = AugmentConfig(speaker_p=0.0, room_p=0.0, noise_p=0.0, channel_p=0.0)


def _median_f0(y: np.ndarray) -> float:
    f0, voiced, _ = librosa.pyin(y, fmin=60, fmax=500, sr=SR, frame_length=1024)
    return float(np.nanmedian(f0[voiced]))


def _band_energy_db(y: np.ndarray, low: float, high: float) -> float:
    """Energy between ``low`` and ``high`` Hz, in dB re the whole signal's."""
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / SR)
    return float(10 * np.log10(spectrum[(f >= low) & (f < high)].sum() / spectrum.sum()))


def test_a_seed_gives_the_same_copy_and_another_seed_another():
    y = synth_speech(2.0, seed=1)
    voices = [synth_speech(2.0, f0=200, seed=2)]
    recipe = dataclasses.replace(AugmentConfig(), room_p=0.5, room_bank=4)  # a small bank: fast
    first = augment(y, SR, 7, recipe, voices=())
    assert np.array_equal(first, augment(y, SR, 7, recipe, voices=()))
    assert not np.array_equal(first, augment(y, SR, 8, recipe, voices=()))
    assert np.isfinite(augment(y, SR, 9, recipe, voices=voices)).all()


def test_another_speaker_has_the_pitch_and_duration_asked_for():
    y = synth_speech(2.0, f0=140, seed=3)
    deeper = channels.change_speaker(
        y, SR, formant_ratio=0.9, pitch_factor=2 ** (-3 / 12), duration_factor=1.2
    )
    assert _median_f0(deeper) / _median_f0(y) == pytest.approx(2 ** (-3 / 12), rel=0.05)
    assert len(deeper) / len(y) == pytest.approx(1.2, rel=0.05)


def test_another_speaker_is_praats_change_gender_with_one_pitch_analysis():
    """Sharing the pitch analysis saves time and changes nothing: the copy is the one that
    Praat's Sound: Change gender makes from the same settings."""
    import parselmouth
    from parselmouth.praat import call

    y = synth_speech(1.5, f0=160, seed=6)
    ours = channels.change_speaker(y, SR, formant_ratio=1.1, pitch_factor=1.0, range_factor=1.2)
    sound = parselmouth.Sound(y.astype(np.float64), sampling_frequency=SR)
    pitch = sound.to_pitch_ac(time_step=0.8 / channels.PITCH_FLOOR_HZ, pitch_floor=75, pitch_ceiling=600)
    median = call(pitch, "Get quantile", 0, 0, 0.5, "Hertz")
    parselmouth.praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({zlib.crc32(y.tobytes())})")
    praats = call(sound, "Change gender", 75, 600, 1.1, median, 1.2, 1.0).values[0].astype(np.float32)
    np.testing.assert_array_equal(ours, praats)


def test_the_telephone_keeps_only_its_band():
    y = synth_speech(2.0, seed=4) + 0.01 * np.random.default_rng(0).normal(size=2 * SR).astype(np.float32)
    assert _band_energy_db(y, 4000, 8000) > -40
    phone = channels.telephone(y, SR, np.random.default_rng(0))
    assert len(phone) == pytest.approx(len(y), abs=8)
    assert _band_energy_db(phone, 4000, 8000) < -45
    assert _band_energy_db(phone, 0, 150) < -20


@pytest.mark.parametrize("codec", list(channels.CODECS))
def test_a_codec_round_trip_comes_back_at_the_same_rate_and_length(codec):
    y = synth_speech(2.0, seed=5)
    coded = channels.codec_roundtrip(y, SR, codec, 32_000)
    assert abs(len(coded) - len(y)) < 0.1 * SR and np.isfinite(coded).all()
    spectrum = lambda x: np.log(np.abs(librosa.stft(x)).mean(axis=1)[:200] + 1e-6)  # noqa: E731  (to 4.3 kHz)
    assert np.corrcoef(spectrum(coded), spectrum(y))[0, 1] > 0.9  # the same sound, encoder delay aside


def test_a_simulated_room_repeats_from_its_seed_and_fewer_rays_keep_its_reverberation():
    import pyroomacoustics as pra

    y = synth_speech(1.5, seed=8)
    first = channels.room(y, SR, np.random.default_rng(3), (0.5, 0.5), rays=500)
    assert np.array_equal(first, channels.room(y, SR, np.random.default_rng(3), (0.5, 0.5), rays=500))
    assert not np.array_equal(first, channels.room(y, SR, np.random.default_rng(4), (0.5, 0.5), rays=500))
    assert np.max(np.abs(first)) == pytest.approx(np.max(np.abs(y)), rel=1e-4)  # not louder

    impulse = np.zeros(SR, dtype=np.float32)
    impulse[100] = 1.0
    rt60 = {
        rays: pra.experimental.measure_rt60(
            channels.room(impulse, SR, np.random.default_rng(5), (0.5, 0.5), rays), fs=SR
        )
        for rays in (500, 10_000)
    }
    assert rt60[500] == pytest.approx(rt60[10_000], abs=0.05)
    assert rt60[500] == pytest.approx(0.5, abs=0.15)


def test_the_room_bank_is_the_same_every_time_and_reverberates_as_long_as_asked():
    import pyroomacoustics as pra

    bank = channels.room_responses(SR, (0.3, 0.5), n=3)
    channels.room_responses.cache_clear()
    again = channels.room_responses(SR, (0.3, 0.5), n=3)
    assert len(bank) == 3 and all(np.array_equal(a, b) for a, b in zip(bank, again))  # no unseeded draw
    for rir in bank:
        assert 0.3 <= pra.experimental.measure_rt60(rir.astype(np.float64), fs=SR) <= 0.5
        assert np.argmax(np.abs(rir)) == 0 and np.max(np.abs(rir)) == 1.0  # starts at the direct sound
    y = synth_speech(2.0, seed=8)
    wet = channels.reverberate(y, bank[0])
    assert len(wet) == len(y) and np.max(np.abs(wet)) == pytest.approx(np.max(np.abs(y)), rel=1e-5)
    assert not np.allclose(wet, y, atol=1e-2)


def test_babble_is_mixed_at_the_snr_drawn():
    y = synth_speech(2.0, seed=6)
    voices = [synth_speech(1.3, f0=f0, seed=s) for s, f0 in enumerate((100, 180, 240))]
    crowd = channels.babble(voices, len(y), np.random.default_rng(0))
    mixed = channels.mix_at_snr(y, crowd, 5.0)
    snr = 10 * np.log10(np.mean(y**2) / np.mean((mixed - y) ** 2))
    assert snr == pytest.approx(5.0, abs=0.01)
    with pytest.raises(ValueError, match="other speakers"):
        channels.babble([], len(y), np.random.default_rng(0))


@pytest.mark.parametrize(
    "step",
    [
        {"speaker_p": 1.0},
        {"room_p": 1.0, "room_bank": 2},
        {"noise_p": 1.0, "babble_share": 0.0},
        {"channel_p": 1.0, "phone_share": 1.0},
        {"channel_p": 1.0, "phone_share": 0.0},
    ],
    ids=["speaker", "room", "noise", "telephone", "codec"],
)
def test_each_world_step_changes_the_copy_and_alone_changes_nothing_else(step):
    y = synth_speech(2.0, seed=7)
    assert np.array_equal(augment(y, SR, 1, NOTHING), y)
    copy = augment(y, SR, 1, dataclasses.replace(NOTHING, **step))
    assert np.isfinite(copy).all() and len(copy) > SR
    assert len(copy) != len(y) or not np.allclose(copy, y, atol=1e-3)


def test_babble_voices_are_other_speakers_of_the_same_fold():
    speakers = [f"{a:02d}" for a in range(1, 21) for _ in range(3)]
    folds = speaker_folds(speakers, 5)
    for i, mates in enumerate(fold_mates(speakers, 5)):
        fold = next(f for f in folds if speakers[i] in f)
        assert len(mates) == 9  # 3 other speakers of the fold, 3 files each
        assert all(speakers[j] in fold and speakers[j] != speakers[i] for j in mates)


def test_augmentation_settings_travel_with_the_model_and_old_bundles_read_as_basic():
    config = SERConfig(augment=AugmentConfig(speaker_p=0.2, snr_db=(5.0, 15.0)))
    assert SERConfig.from_dict(config.to_dict()) == config
    old = SERConfig.from_dict({})  # a bundle from before these settings
    assert old.augment.recipe == "basic" and old.cnn.clean_weight == old.tracks.clean_weight == 1.0
    old_world = SERConfig.from_dict({"augment": {"recipe": "world"}})
    assert old_world.augment.room_bank == 0  # 0.5.0 bundles: a new room per copy
    assert old_world.augment.room_rays == 10_000  # … ray-traced as audiomentations does by default
    assert AugmentConfig().room_rays == 2000
    assert AugmentConfig().room_bank == 64  # since 0.12: rooms from the bank
    with pytest.raises(ValueError, match="room_rays"):
        AugmentConfig(room_rays=0)
    banked = SERConfig(augment=AugmentConfig(room_bank=64))
    assert "one of 64 image-source rooms" in augmentation_text(banked)  # the card says which rooms
    assert "a new simulated room per copy" in augmentation_text(old_world)
    assert SERConfig.from_dict(banked.to_dict()) == banked
    with pytest.raises(ValueError, match="recipe"):
        AugmentConfig(recipe="studio")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        AugmentConfig(noise_p=1.5)
    with pytest.raises(ValueError, match="snr_db"):
        AugmentConfig(snr_db=(20.0, 0.0))
    # a livelier melody than Praat's Change gender finishes on every recording is refused up front
    with pytest.raises(ValueError, match="pitch_range may reach at most 1.25"):
        AugmentConfig(pitch_range=(0.6, 1.5))
    assert AugmentConfig(pitch_range=(0.6, 1.25)).pitch_range == (0.6, 1.25)


def test_cached_copies_are_keyed_by_the_recipe_and_voices_but_clean_inputs_are_not():
    raw, base = b"audio bytes", SERConfig()
    other = SERConfig(augment=AugmentConfig(speaker_p=0.1))
    assert cache_key(raw, base, 8, 0) != cache_key(raw, other, 8, 0)
    assert cache_key(raw, base, 8, 0, ["a.wav"]) != cache_key(raw, base, 8, 0, ["b.wav"])
    assert cache_key(raw, base, 0, 0) == cache_key(raw, other, 0, 0, ["a.wav"])


def test_train_rejects_an_unknown_augmentation_setting_before_reading_data(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_main(["--data", "/nonexistent", "--out", "/tmp/x", "--augment", "colour=pink"])
    assert exit_info.value.code == 2
    assert "augment has no setting 'colour' (known: recipe, speaker_p" in capsys.readouterr().err


def test_train_applies_any_setting_by_section_and_field_and_rejects_unknown_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_main(
            ["--data", "/nonexistent", "--out", "/tmp/x", "--set", "tracks.ensemble=2", "tracks.ensembel=2"]
        )
    assert exit_info.value.code == 2
    assert "tracks has no setting 'ensembel'" in capsys.readouterr().err
