"""ser.features: a fixed-length, named, finite vector that does not depend on level or resampler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from ser.audio import load_audio
from ser.config import FeatureConfig
from ser.features import (
    acoustic_summary,
    analysis_windows,
    extract,
    feature_names,
    frame_tracks,
    summarise,
    window_bounds,
)
from tests.audio_fixtures import RAVDESS, synth_speech

SR = 22050


def _vector(y: np.ndarray, sr: int = SR) -> np.ndarray:
    audio = load_audio((sr, y))
    return extract(audio.speech, audio.sample_rate)


def test_names_match_the_vector_and_cover_every_family():
    names = feature_names()
    vector = _vector(synth_speech(3.0))
    assert len(names) == len(vector) >= 200
    assert len(set(names)) == len(names)
    for family in (
        "zcr",
        "rms_db",
        "centroid",
        "bandwidth",
        "rolloff",
        "contrast",
        "flatness",
        "mfcc0_",
        "mfcc_delta0",
        "mfcc_delta20",
        "chroma_C",
        "tonnetz",
        "tempo",
        "f0_st",
        "logmel_mean",
        "logmel_group",
    ):
        assert any(n.startswith(family) for n in names), family


def test_vector_is_finite_and_no_feature_is_constant_across_voices():
    rows = np.stack(
        [
            _vector(synth_speech(3.0, f0=f0, rate_hz=rate, seed=seed))
            for seed, (f0, rate) in enumerate([(100, 3), (140, 4), (200, 5), (260, 6), (120, 5), (220, 3)])
        ]
    )
    assert np.all(np.isfinite(rows))
    names = np.array(feature_names())
    constant = names[rows.std(axis=0) < 1e-6]
    assert constant.size == 0, f"constant features: {constant.tolist()}"


@pytest.mark.skipif(not RAVDESS.is_dir(), reason=f"RAVDESS not found at {RAVDESS}")
def test_no_feature_is_constant_or_non_finite_on_real_speech():
    paths = sorted(RAVDESS.glob("Actor_0[1-2]/*.flac"))[::6]
    rows = np.stack([extract(a.speech, a.sample_rate) for a in map(load_audio, paths)])
    assert np.all(np.isfinite(rows))
    names = np.array(feature_names())
    assert names[rows.std(axis=0) < 1e-6].size == 0


@pytest.mark.parametrize("seconds", [0.01, 0.05, 0.2])
def test_clips_shorter_than_the_delta_window_work(seconds):
    y = synth_speech(1.0, lead_silence=0.0)[: int(seconds * SR)]
    vector = extract(y, SR)
    assert vector.shape == (len(feature_names()),)
    assert np.all(np.isfinite(vector))


def test_features_do_not_depend_on_recording_level():
    y = synth_speech(3.0, seed=3)
    np.testing.assert_allclose(_vector(y * 10 ** (-30 / 20)), _vector(y), rtol=1e-3, atol=1e-3)


def test_features_do_not_depend_on_the_resampler():
    """The same 48 kHz speech brought to 22.05 kHz by two resamplers gives nearly the same
    features: every feature within 0.5 of its spread across different voices."""
    y48 = synth_speech(3.0, sr=48000, seed=5)
    y_poly = sps.resample_poly(y48, 147, 320).astype(np.float32)  # 48000 * 147/320 = 22050
    via_soxr = _vector(y48, 48000)
    via_poly = _vector(y_poly, SR)
    spread = np.stack(
        [_vector(synth_speech(3.0, f0=f0, seed=s)) for s, f0 in enumerate([100, 130, 170, 210, 250])]
    ).std(axis=0)
    shift = np.abs(via_soxr - via_poly) / np.maximum(spread, 1e-3)  # a float32 rounding is no shift
    names = np.array(feature_names())
    assert names[shift > 0.5].size == 0, dict(zip(names[shift > 0.5], shift[shift > 0.5]))


def test_log_mel_uses_power_to_db():
    """A mel *power* spectrogram read with amplitude_to_db doubles its dB range; power_to_db keeps
    a 6 dB gain step a 6 dB step."""
    y = synth_speech(2.0, seed=2)
    quiet, loud = frame_tracks(y, SR), frame_tracks(2 * y, SR)
    assert np.median(loud.log_mel - quiet.log_mel) == pytest.approx(20 * np.log10(2), abs=0.2)


@pytest.mark.parametrize("seconds", [0.3, 2.0])
def test_tracks_equal_librosas_own_features_to_the_last_bit(seconds):
    """frame_tracks keeps librosa's filter banks and finds zero crossings once per signal (for
    speed); what it returns must still be librosa's features exactly, so that a bundle's numbers
    do not depend on which path computed them. Speech, and noise with digital silence in it."""
    import librosa

    from ser.features import BAND_HZ

    noise = np.random.default_rng(5).standard_normal(int(seconds * SR)).astype(np.float32)
    noise[: len(noise) // 3] = 0.0
    config = FeatureConfig(noise_subtraction=0.0, log_mel_range_db=80.0)
    for y in (synth_speech(seconds, seed=4), noise):
        tracks = frame_tracks(y, SR, config)
        power = np.abs(librosa.stft(y, n_fft=config.n_fft, hop_length=config.hop_length)) ** 2
        mel = librosa.feature.melspectrogram(S=power, sr=SR, n_mels=config.n_mels, fmax=BAND_HZ)
        np.testing.assert_array_equal(tracks.log_mel, librosa.power_to_db(mel, ref=1.0, top_db=80.0))
        chroma = librosa.feature.chroma_stft(S=power, sr=SR, n_fft=config.n_fft, tuning=0.0)
        np.testing.assert_array_equal(tracks.chroma, chroma)
        zcr = librosa.feature.zero_crossing_rate(y, frame_length=config.n_fft, hop_length=config.hop_length)
        np.testing.assert_array_equal(tracks.zcr, zcr)
        freqs = librosa.fft_frequencies(sr=SR, n_fft=config.n_fft)
        band = freqs <= BAND_HZ
        bandwidth = librosa.feature.spectral_bandwidth(S=np.sqrt(power)[band], freq=freqs[band])
        np.testing.assert_array_equal(tracks.shape[1:2], bandwidth / 1000)


def test_window_bounds_cover_the_signal():
    cfg = FeatureConfig(window_s=3.0, hop_s=1.5)
    assert window_bounds(2.0, cfg) == [(0.0, 2.0)]
    bounds = window_bounds(10.0, cfg)
    assert bounds[0] == (0.0, 3.0) and bounds[-1] == (7.0, 10.0)
    assert all(e - s == pytest.approx(3.0) for s, e in bounds)
    assert all(b[0] - a[0] <= 1.5 + 1e-9 for a, b in zip(bounds, bounds[1:]))


def test_windows_match_clip_features_for_a_single_window():
    y = synth_speech(2.5, seed=4)
    windows = analysis_windows(y, SR)
    vectors, bounds = windows.vectors, windows.bounds
    assert vectors.shape == (1, len(feature_names())) and bounds == [(0.0, 2.5)]
    np.testing.assert_allclose(vectors[0], extract(y, SR), rtol=1e-5, atol=1e-5)


def test_windowed_analysis_of_a_long_recording():
    y = np.concatenate([synth_speech(3.0, seed=s) for s in range(4)])  # 12 s
    windows = analysis_windows(y, SR)
    vectors, bounds = windows.vectors, windows.bounds
    assert len(bounds) == len(vectors) == 7
    assert np.all(np.isfinite(vectors))
    assert bounds[-1][1] == pytest.approx(12.0)


@pytest.mark.parametrize(("f0", "rate_hz"), [(110.0, 3.0), (220.0, 5.0)])
def test_acoustic_summary_reads_the_whole_recording_as_its_feature_vector_does(f0, rate_hz):
    y = synth_speech(2.5, f0=f0, rate_hz=rate_hz, seed=2)
    summary = acoustic_summary(frame_tracks(y, SR))
    vector = dict(zip(feature_names(), extract(y, SR), strict=True))
    assert summary["pitch_hz"] == pytest.approx(100 * 2 ** (vector["f0_st_mean"] / 12), abs=0.05)
    assert summary["pitch_range_semitones"] == pytest.approx(vector["f0_st_range"], abs=0.05)
    assert summary["speaking_rate_per_s"] == pytest.approx(vector["onset_rate_hz"], abs=0.005)
    assert summary["voiced_fraction"] == pytest.approx(vector["f0_st_voiced_frac"], abs=0.005)
    assert summary["pitch_hz"] == pytest.approx(f0, rel=0.15)  # the voice's own pitch


def test_window_vectors_are_computed_when_read_and_match_cutting_them_one_by_one():
    y = np.concatenate([synth_speech(3.0, seed=s) for s in range(2)])  # 6 s: 3 windows
    windows = analysis_windows(y, SR)
    assert "vectors" not in windows.__dict__  # a CNN-only model never pays for them
    tracks = frame_tracks(y, SR)
    expected = np.stack([summarise(tracks, a, b) for a, b in windows.ranges])
    np.testing.assert_array_equal(windows.vectors, expected)
    assert windows.vectors is windows.vectors


def _mfcc_gap(clean: np.ndarray, noisy: np.ndarray, config: FeatureConfig) -> float:
    """Mean absolute difference of the MFCCs (no deltas) of two versions of one clip."""
    a, b = (frame_tracks(y, SR, config).mfcc[: config.n_mfcc] for y in (clean, noisy))
    return float(np.mean(np.abs(a - b)))


def test_noise_subtraction_brings_noisy_speech_back_towards_clean_and_keeps_the_level():
    clean = synth_speech(3.0, seed=11, lead_silence=0.05)  # short pauses only: no long silence
    noise = np.random.default_rng(0).normal(size=len(clean)).astype(np.float32)
    noisy = clean + noise * np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10)  # 10 dB SNR
    plain = FeatureConfig(**FeatureConfig.LEGACY)  # the spectrum as it is
    subtracting = FeatureConfig(noise_subtraction=2.0, log_mel_range_db=80.0)
    robust = FeatureConfig()  # the default front end: subtraction × 2, 50 dB range
    gaps = {c: _mfcc_gap(clean, noisy, c) for c in (plain, subtracting, robust)}
    assert gaps[robust] < 0.5 * gaps[plain]
    shapes = [
        np.abs(np.diff([frame_tracks(y, SR, c).shape for y in (clean, noisy)], axis=0)).mean()
        for c in (plain, subtracting)
    ]
    assert shapes[1] < 0.7 * shapes[0]  # centroid, bandwidth, roll-off, flatness
    # a loud bin is barely touched, a bin the background fills sinks to the floor
    with_background = frame_tracks(noisy, SR, subtracting)
    np.testing.assert_array_equal(with_background.rms_db, frame_tracks(noisy, SR, plain).rms_db)
    clean_tracks = [frame_tracks(clean, SR, c) for c in (plain, subtracting)]
    loud = clean_tracks[0].log_mel > clean_tracks[0].log_mel.max() - 20
    assert np.abs(clean_tracks[1].log_mel - clean_tracks[0].log_mel)[loud].max() < 1.0


def test_the_front_end_is_on_by_default_saved_and_off_for_bundles_from_before_it():
    from ser.config import SERConfig
    from ser.extraction import cache_key

    config = SERConfig()
    assert (config.features.noise_subtraction, config.features.log_mel_range_db) == (2.0, 50.0)
    assert SERConfig.from_dict(config.to_dict()) == config
    earlier = SERConfig.from_dict({"features": {"n_fft": 1024}}).features  # saved before the fields
    assert (earlier.noise_subtraction, earlier.log_mel_range_db) == (0.0, 80.0)
    # a field at its legacy value keys a cache as before it existed; any other value is new features
    assert "noise_subtraction" not in earlier.key_fields() and "n_fft" in earlier.key_fields()
    legacy = SERConfig(features=earlier)
    assert cache_key(b"x", legacy, 0, 0) != cache_key(b"x", config, 0, 0)
    with pytest.raises(ValueError, match="noise_subtraction"):
        FeatureConfig(noise_subtraction=-1.0)
    with pytest.raises(ValueError, match="log_mel_range_db"):
        FeatureConfig(log_mel_range_db=0.0)
