"""ser.audio: every format a person may upload, and a clear error for every bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ser.audio import (
    AudioError,
    EmptyAudioError,
    NonFiniteAudioError,
    NoSpeechError,
    TooLongError,
    TooShortError,
    UnreadableAudioError,
    UnsupportedFormatError,
    downmix,
    load_audio,
    prepare,
)
from ser.config import AudioConfig
from tests.audio_fixtures import synth_speech, tone, write_format

SR = 22050


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return synth_speech(3.0, SR)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "mp3", "m4a", "webm"])
def test_every_supported_format_decodes_to_the_same_speech(tmp_path, speech, fmt):
    path = write_format(tmp_path, fmt, speech, SR)
    audio = load_audio(path)
    assert audio.sample_rate == SR
    assert audio.signal.dtype == np.float32 and audio.signal.ndim == 1
    assert audio.duration_s == pytest.approx(3.0, abs=0.1)  # codecs add a little padding
    assert 0.4 < audio.speech_ratio < 0.9
    reference = load_audio((SR, speech))
    assert audio.speech_s == pytest.approx(reference.speech_s, abs=0.15)


def test_bytes_and_path_give_the_same_audio(tmp_path, speech):
    path = write_format(tmp_path, "flac", speech, SR)
    from_path = load_audio(path)
    from_bytes = load_audio(path.read_bytes())
    np.testing.assert_allclose(from_path.signal, from_bytes.signal)


def test_gradio_int16_tuple_matches_float(speech):
    pcm = np.round(speech * 32767).astype(np.int16)
    a = load_audio((SR, pcm))
    b = load_audio((SR, speech))
    np.testing.assert_allclose(a.signal, b.signal, atol=2e-3)


def test_stereo_is_downmixed_and_reported(speech):
    stereo = np.stack([speech, 0.5 * speech], axis=1)
    audio = load_audio((SR, stereo))
    assert audio.channels == 2
    assert audio.signal.ndim == 1
    assert audio.speech_s == pytest.approx(load_audio((SR, speech)).speech_s, abs=0.05)


def test_48k_input_is_resampled_to_the_model_rate(speech):
    import librosa

    y48 = librosa.resample(speech, orig_sr=SR, target_sr=48000)
    audio = load_audio((48000, y48))
    assert audio.sample_rate == SR and audio.original_sample_rate == 48000
    assert audio.duration_s == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize("peak_dbfs", [-40, -70])
def test_quiet_speech_is_cut_from_its_pauses_as_at_a_normal_level(speech, peak_dbfs):
    loud = load_audio((SR, speech))
    quiet = load_audio((SR, (speech / np.max(np.abs(speech)) * 10 ** (peak_dbfs / 20)).astype(np.float32)))
    assert loud.speech_s < loud.duration_s - 0.2  # there are pauses to find
    np.testing.assert_array_equal(quiet.intervals, loud.intervals)


def test_level_is_normalised_over_the_speech(speech):
    loud = load_audio((SR, speech))
    quiet = load_audio((SR, speech * 10 ** (-30 / 20)))
    np.testing.assert_allclose(quiet.signal, loud.signal, rtol=1e-3, atol=1e-5)
    speech_rms = np.sqrt(np.mean(np.concatenate([loud.signal[s:e] for s, e in loud.intervals]) ** 2))
    assert 20 * np.log10(speech_rms) == pytest.approx(AudioConfig().target_rms_dbfs, abs=0.1)


def test_the_anti_alias_low_pass_is_the_plain_filter_and_keeps_digital_silence_silent(speech):
    from scipy import signal as sps

    from ser.audio import _lowpass

    y = np.concatenate([speech, np.zeros(2 * SR, dtype=np.float32), speech])  # a run of exact zeros
    filtered = _lowpass(y, SR, 8000.0)  # through a tiny offset, so that no state goes subnormal
    plain = sps.sosfiltfilt(sps.butter(8, 8000.0, fs=SR, output="sos"), y.astype(np.float64), padlen=27)
    assert filtered.dtype == np.float32
    np.testing.assert_allclose(filtered, plain, rtol=1e-6, atol=1e-12)  # float32 rounding
    silence = filtered[len(speech) + SR // 2 : len(speech) + 3 * SR // 2]  # away from the speech's tails
    assert np.abs(silence).max() < 1e-18  # the offset is gone again


def test_leading_and_trailing_silence_is_trimmed():
    y = synth_speech(3.0, SR, lead_silence=0.8)
    audio = load_audio((SR, y))
    assert audio.speech_offset_s == pytest.approx(0.8, abs=0.1)
    assert len(audio.speech) / SR < 3.0 - 1.4


def test_phone_audio_at_8khz_is_accepted_with_a_warning(speech):
    import librosa

    y8 = librosa.resample(speech, orig_sr=SR, target_sr=8000)
    audio = load_audio((8000, y8))
    assert audio.original_sample_rate == 8000
    assert any("Narrow-band" in w for w in audio.warnings)


# --- bad input: a typed error with a message a person understands --------------------------


def _message(exc_info) -> str:
    msg = str(exc_info.value)
    assert msg and "Traceback" not in msg and len(msg) < 300
    return msg


def test_digital_silence_is_no_speech():
    with pytest.raises(NoSpeechError) as e:
        load_audio((SR, np.zeros(3 * SR, dtype=np.float32)))
    assert "silent" in _message(e)


def test_near_silence_is_no_speech():
    noise = np.random.default_rng(0).normal(0, 1e-5, 3 * SR).astype(np.float32)
    with pytest.raises(NoSpeechError):
        load_audio((SR, noise))


@pytest.mark.parametrize("freq", [50.0, 440.0])
def test_steady_hum_or_tone_is_no_speech(freq):
    with pytest.raises(NoSpeechError) as e:
        load_audio((SR, tone(3.0, SR, freq)))
    assert "steady" in _message(e)


def test_steady_noise_is_no_speech():
    noise = np.random.default_rng(1).normal(0, 0.1, 3 * SR).astype(np.float32)
    with pytest.raises(NoSpeechError):
        load_audio((SR, noise))


def test_too_little_speech_is_rejected():
    y = np.zeros(2 * SR, dtype=np.float32)
    burst = synth_speech(0.6, SR, lead_silence=0.05, rate_hz=8)[: int(0.3 * SR)]
    y[SR : SR + len(burst)] = burst
    with pytest.raises(TooShortError) as e:
        load_audio((SR, y))
    assert "at least 0.5 s" in _message(e)


def test_a_clip_shorter_than_a_frame_is_too_short():
    with pytest.raises(TooShortError):
        load_audio((SR, synth_speech(0.03, SR, lead_silence=0.0)))


def test_empty_array_and_empty_file(tmp_path):
    with pytest.raises(EmptyAudioError):
        load_audio((SR, np.zeros(0, dtype=np.float32)))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(EmptyAudioError) as e:
        load_audio(empty)
    assert "empty" in _message(e)


def test_nan_samples_are_rejected(speech):
    y = speech.copy()
    y[1000] = np.nan
    with pytest.raises(NonFiniteAudioError) as e:
        load_audio((SR, y))
    assert "NaN" in _message(e)


def test_nan_in_a_float_wav_file_is_rejected(tmp_path, speech):
    y = speech.copy()
    y[5:10] = np.inf
    path = tmp_path / "bad.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    with pytest.raises(NonFiniteAudioError):
        load_audio(path)


def test_garbage_bytes_are_unreadable(tmp_path):
    path = tmp_path / "garbage.wav"
    path.write_bytes(np.random.default_rng(0).bytes(50_000))
    with pytest.raises(UnreadableAudioError) as e:
        load_audio(path)
    assert "not an audio file or it is corrupt" in _message(e)
    with pytest.raises(UnreadableAudioError):
        load_audio(np.random.default_rng(1).bytes(4096))


def test_truncated_file_is_unreadable_or_short(tmp_path, speech):
    path = write_format(tmp_path, "flac", speech, SR)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(path.read_bytes()[:60])
    with pytest.raises(AudioError):
        load_audio(cut)


def test_text_file_with_audio_extension_is_unreadable(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("these are not the samples you are looking for\n" * 50)
    with pytest.raises(UnreadableAudioError):
        load_audio(path)


def test_unsupported_extension_names_the_supported_ones(tmp_path):
    path = tmp_path / "song.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06")
    with pytest.raises(UnsupportedFormatError) as e:
        load_audio(path)
    assert ".wav" in _message(e) and ".mid" in str(e.value)


def test_sample_rate_too_low_for_speech(speech):
    with pytest.raises(UnsupportedFormatError) as e:
        load_audio((4000, speech[:8000]))
    assert "4000 Hz" in _message(e)


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableAudioError) as e:
        load_audio(tmp_path / "nope.wav")
    assert "No such file" in _message(e)


def test_too_long_recording_is_rejected_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000 * 601, dtype=np.int16), 8000)  # 10 min 1 s, 9.6 MB
    with pytest.raises(TooLongError) as e:
        load_audio(path)
    assert "limit is 10.0 min" in _message(e)


def test_duration_and_size_limits_are_configurable(tmp_path, speech):
    with pytest.raises(TooLongError):
        load_audio((SR, speech), AudioConfig(max_duration_s=2.0))
    path = write_format(tmp_path, "m4a", speech, SR)  # decoded by PyAV
    with pytest.raises(TooLongError):
        load_audio(path, AudioConfig(max_duration_s=2.0))
    with pytest.raises(TooLongError) as e:
        load_audio(path, AudioConfig(max_bytes=1000))
    assert "MB" in _message(e)


def test_every_error_is_a_value_error_subclass():
    assert issubclass(AudioError, ValueError)
    for cls in (
        EmptyAudioError,
        NonFiniteAudioError,
        NoSpeechError,
        TooLongError,
        TooShortError,
        UnreadableAudioError,
        UnsupportedFormatError,
    ):
        assert issubclass(cls, AudioError)


@pytest.mark.parametrize("delay_samples", [0, 18, -7])
def test_two_microphones_apart_add_up_instead_of_making_a_comb_filter(delay_samples):
    sr = 44100
    y = synth_speech(2.0, sr)
    stereo = np.stack([y, np.roll(y, delay_samples)], axis=1)  # 18 samples: 0.4 ms, ~14 cm
    assert np.corrcoef(downmix(stereo, sr), y)[0, 1] > 0.999
    if delay_samples:
        assert np.corrcoef(stereo.mean(axis=1), y)[0, 1] < 0.95  # what a plain mean did
    prepared = prepare(stereo, sr).signal
    assert np.corrcoef(prepared, prepare(y, sr).signal)[0, 1] > 0.999


def test_a_channel_with_inverted_polarity_does_not_cancel_the_other():
    y = synth_speech(1.0)
    assert np.allclose(downmix(np.stack([y, -y], axis=1), 22050), y, atol=1e-5)
