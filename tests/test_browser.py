"""The Space in a real browser: Playwright driving Debian's Chromium (installed by .ci/run).

Screenshots of the result pages are saved under ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import app
from ser.inference import Predictor
from tests.audio_fixtures import synth_speech
from tests.util import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BASE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,  # a real browser against a served app
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (bash .ci/run installs it)"
    ),
]


@pytest.fixture(scope="module")
def url():
    demo = app.build_demo(Predictor())
    demo.queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        css=app.CSS,
        theme=app.THEME,
    )
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def speech_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("browser")
    upload = d / "speech.wav"
    sf.write(upload, np.concatenate([synth_speech(3.0, f0=170, rate_hz=5, seed=s) for s in range(3)]), 22050)
    mic = d / "mic.wav"  # Chromium's fake capture loops this file; 16-bit PCM WAV
    sf.write(
        mic,
        np.concatenate([synth_speech(3.0, sr=48000, f0=190, rate_hz=6, seed=s) for s in range(3)]),
        48000,
        subtype="PCM_16",
    )
    return {"upload": upload, "mic": mic}


def _browser(playwright, extra_flags: list[str] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*BASE_FLAGS, *extra_flags])


def _answer(page) -> str:
    page.wait_for_function(
        "() => { const e = document.querySelector('#answer'); return e && /confident/.test(e.innerText); }",
        timeout=30_000,
    )
    return page.locator("#answer").inner_text()


def test_upload_shows_the_emotion_and_plots(url, speech_files):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.locator("#audio-in input[type=file]").set_input_files(str(speech_files["upload"]))
        text = _answer(page)
        assert any(e in text.lower() for e in Predictor().labels)
        assert "%" in text
        # plots follow in a chained event: bars, timeline (9 s > one window), waveform, spectrogram
        page.wait_for_function("() => document.querySelectorAll('img').length >= 4", timeout=30_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "upload_result.png"), full_page=True)
        browser.close()


def test_microphone_recording_shows_the_emotion(url, speech_files):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    flags = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech_files['mic']}",
    ]
    with sync_playwright() as p:
        browser = _browser(p, flags)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, permissions=["microphone"])
        page = context.new_page()
        page.goto(url)
        page.get_by_label("Record audio").click()
        page.locator("#audio-in button:has-text('Record')").first.click()
        page.wait_for_timeout(3500)
        page.locator("#audio-in button:has-text('Stop')").first.click()
        text = _answer(page)
        assert any(e in text.lower() for e in Predictor().labels)
        page.screenshot(path=str(ARTIFACTS / "microphone_result.png"), full_page=True)
        browser.close()
