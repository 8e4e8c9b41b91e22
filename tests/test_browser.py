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
    port = free_port()
    predictor = Predictor.from_pretrained()
    demo = app.build_demo(predictor)
    demo.queue(default_concurrency_limit=2)
    options = {**app.launch_options(predictor), "server_name": "127.0.0.1", "server_port": port}
    demo.launch(prevent_thread_lock=True, quiet=True, **options)
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
    long_mic = d / "long_mic.wav"  # longer than the live test, so that the loop never shows
    sf.write(
        long_mic,
        np.concatenate([synth_speech(3.0, sr=48000, f0=150 + 10 * s, rate_hz=4, seed=s) for s in range(6)]),
        48000,
        subtype="PCM_16",
    )
    return {"upload": upload, "mic": mic, "long_mic": long_mic}


def _browser(playwright, extra_flags: list[str] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*BASE_FLAGS, *extra_flags])


def _microphone_page(playwright, url: str, capture: Path):
    """A browser whose fake microphone plays ``capture`` (looped), and a page on ``url``."""
    flags = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={capture}",
    ]
    browser = _browser(playwright, flags)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, permissions=["microphone"])
    page = context.new_page()
    page.goto(url)
    return browser, page


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
    with sync_playwright() as p:
        browser, page = _microphone_page(p, url, speech_files["mic"])
        page.get_by_label("Record audio").click()
        page.locator("#audio-in button:has-text('Record')").first.click()
        page.wait_for_timeout(3500)
        page.locator("#audio-in button:has-text('Stop')").first.click()
        text = _answer(page)
        assert any(e in text.lower() for e in Predictor().labels)
        page.screenshot(path=str(ARTIFACTS / "microphone_result.png"), full_page=True)
        browser.close()


def test_live_tab_follows_the_wall_clock_and_answers_about_once_a_second(url, speech_files):
    """Chromium's fake microphone streams a known file for 12 s: the seconds the app says it has
    heard track the recording time (±20 %), and its answers come about once a second."""
    import time

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = _microphone_page(p, url, speech_files["long_mic"])
        page.get_by_role("tab", name="Live").click()
        page.locator("#live-in button:has-text('Record')").first.click()
        started, seen = time.monotonic(), []
        while time.monotonic() - started < 12.0:
            status = page.locator("#live-status [data-elapsed]").first
            seen.append(
                (time.monotonic() - started, float(status.get_attribute("data-elapsed")),
                 int(status.get_attribute("data-updates")))
            )  # fmt: skip
            page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / "live_result.png"), full_page=True)
        page.locator("#live-in button:has-text('Stop')").first.click()
        browser.close()
    wall, heard, updates = seen[-1]
    assert 0.8 * wall <= heard <= 1.2 * wall, seen
    first = next(t for t, _, n in seen if n > 0)
    rate = (updates - 1) / (wall - first)
    assert 0.6 <= rate <= 1.4, seen  # about once a second, no bursts, no long gaps


def test_an_example_shows_its_cached_answer(url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.get_by_text("training data", exact=False).first.wait_for(
            timeout=30_000
        )  # says where they come from
        page.get_by_text("angry", exact=True).first.click()
        text = _answer(page)
        assert "angry" in text.lower()
        page.wait_for_function("() => document.querySelectorAll('img').length >= 3", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "example_result.png"), full_page=True)
        browser.close()
