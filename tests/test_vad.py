"""Speech detection that hears speech: a voice over steady noise, babble or music is analysed;
noise, tones and hum alone are not; quiet speech is analysed with a warning."""

from __future__ import annotations

import numpy as np
import pytest

from ser.audio import NoSpeechError, load_audio
from ser.vad import sounds_voiced, voicing
from tests.audio_fixtures import babble, coloured_noise, mix, music, synth_speech, tone

SR = 22050


@pytest.fixture(scope="module")
def talk() -> np.ndarray:
    """Six seconds of continuous speech: three talkers one after the other, no silence around."""
    parts = [synth_speech(2.0, SR, f0=f0, seed=i, lead_silence=0.0) for i, f0 in enumerate((120, 180, 140))]
    return np.concatenate(parts)


BACKGROUNDS = {
    "white noise": lambda: coloured_noise(6.0, SR, 0.0, seed=1),
    "pink noise": lambda: coloured_noise(6.0, SR, 1.0, seed=2),
    "babble": lambda: babble(6.0, SR, seed=20),
    "music": lambda: music(6.0, SR, seed=3),
}


@pytest.mark.parametrize("snr_db", [0, 5, 10])
@pytest.mark.parametrize("background", list(BACKGROUNDS))
def test_continuous_speech_over_a_steady_background_is_analysed(talk, background, snr_db):
    audio = load_audio((SR, mix(talk, BACKGROUNDS[background](), snr_db)))
    assert audio.speech_s > 3.0


@pytest.mark.parametrize("exponent", [0.0, 1.0], ids=["white", "pink"])
def test_steady_noise_alone_is_no_speech(exponent):
    noise = coloured_noise(6.0, SR, exponent, seed=7)
    with pytest.raises(NoSpeechError, match="steady tone, hum or noise"):
        load_audio((SR, noise))


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0], ids=["white", "pink", "brown"])
def test_no_voice_is_heard_in_noise(exponent):
    assert not sounds_voiced(coloured_noise(6.0, SR, exponent, seed=7), SR, 0.5)


@pytest.mark.parametrize("freq", [50.0, 120.0, 440.0])
def test_a_tone_or_a_hum_with_harmonics_is_no_speech(freq):
    hum = sum(tone(4.0, SR, freq * h, amp=0.3 / h) for h in range(1, 5))
    assert not sounds_voiced(hum, SR, 0.5)
    with pytest.raises(NoSpeechError, match="steady"):
        load_audio((SR, hum))


def test_the_pitch_of_a_voice_is_found(talk):
    v = voicing(synth_speech(3.0, SR, f0=150, seed=4), SR)
    f0 = v.f0[v.voiced]
    assert v.voiced_s > 1.0 and 120 < np.median(f0) < 190  # the voice moves ±15 % around 150 Hz
    assert voicing(np.zeros(100, np.float32), SR).voiced_s == 0.0  # shorter than a frame


@pytest.mark.parametrize("peak_dbfs", [-50, -70])
def test_quiet_speech_is_analysed_with_a_warning(talk, peak_dbfs):
    quiet = talk / np.max(np.abs(talk)) * 10 ** (peak_dbfs / 20)
    audio = load_audio((SR, quiet.astype(np.float32)))
    assert audio.speech_s > 3.0
    assert any("Very quiet recording" in w for w in audio.warnings)
    loud = load_audio((SR, talk))
    assert not any("quiet" in w for w in loud.warnings)


def test_below_the_floor_is_silence(talk):
    with pytest.raises(NoSpeechError, match="silent"):
        load_audio((SR, (talk / np.max(np.abs(talk)) * 10 ** (-85 / 20)).astype(np.float32)))
