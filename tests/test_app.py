"""app.py: the Blocks app built without a server, then served on 127.0.0.1 and called with gradio_client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file

import app
from ser.inference import Predictor
from ser.live import LiveSession
from tests.audio_fixtures import synth_speech
from tests.util import free_port

SR = 22050


@pytest.fixture(scope="module")
def predictor(toy_bundle) -> Predictor:
    return Predictor(toy_bundle)


@pytest.fixture(scope="module")
def server(predictor):
    demo = app.build_demo(predictor)
    demo.queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=app.CSS)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server, verbose=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("clips")
    out = {}
    for name, (f0, rate, seconds) in {
        "calm": (110, 2.5, 2.5),
        "angry": (190, 6.0, 2.5),
        "sad": (90, 2.0, 2.5),
        "long": (150, 4.0, 12.0),
    }.items():
        path = d / f"{name}.wav"
        sf.write(path, synth_speech(seconds, f0=f0, rate_hz=rate, seed=len(name)), SR)
        out[name] = str(path)
    silent = d / "silent.wav"
    sf.write(silent, np.zeros(2 * SR), SR)
    out["silent"] = str(silent)
    garbage = d / "garbage.wav"
    garbage.write_bytes(np.random.default_rng(0).bytes(20_000))
    out["garbage"] = str(garbage)
    return out


def test_build_demo_without_a_server(predictor):
    demo = app.build_demo(predictor)
    api = demo.get_api_info()
    assert set(api["named_endpoints"]) == {"/predict", "/timeline"}  # plots and UI events are private


def test_predict_endpoint_json_shape(client, clips, predictor):
    out = client.predict(handle_file(clips["angry"]), api_name="/predict")
    assert set(out) == {"label", "confidence", "level", "intensity", "intensity_strong", "probabilities"}
    assert list(out["probabilities"]) == predictor.labels
    assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert out["label"] == max(out["probabilities"], key=out["probabilities"].get)
    assert out["level"] in {"high", "medium", "low"}
    direct = predictor.predict(clips["angry"])
    assert out["label"] == direct.label and out["confidence"] == pytest.approx(direct.confidence, abs=1e-3)
    assert out["intensity"] == direct.intensity in ("normal", "strong")  # the toy model has the head
    assert out["intensity_strong"] == pytest.approx(direct.intensity_strong, abs=1e-3)


def test_timeline_endpoint_covers_the_recording(client, clips):
    out = client.predict(handle_file(clips["long"]), api_name="/timeline")
    windows = out["windows"]
    assert len(windows) >= 5 and out["duration_s"] == pytest.approx(12.0, abs=0.01)
    assert windows[0]["start"] < 0.5 and windows[-1]["end"] > 11.5
    for w in windows:
        assert set(w) == {"start", "end", "label", "intensity", "probabilities"}
        assert sum(w["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert out["overall"]["label"] in out["overall"]["probabilities"]


def test_short_clip_timeline_has_one_window(client, clips):
    out = client.predict(handle_file(clips["calm"]), api_name="/timeline")
    assert len(out["windows"]) == 1


@pytest.mark.parametrize("name,message", [("silent", "silent"), ("garbage", "not an audio file")])
def test_bad_audio_gives_a_clear_error(client, clips, name, message):
    with pytest.raises(Exception) as e:
        client.predict(handle_file(clips[name]), api_name="/predict")
    assert message in str(e.value)
    assert "Traceback" not in str(e.value)


def test_many_requests_at_once_do_not_mix_up_results(server, clips, predictor):
    names = ["calm", "angry", "sad"] * 4
    expected = {n: predictor.predict(clips[n]).probabilities for n in set(names)}

    def call(name: str) -> tuple[str, dict]:
        c = Client(server, verbose=False)
        return name, c.predict(handle_file(clips[name]), api_name="/predict")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(call, names))
    for name, out in results:
        for k, v in expected[name].items():
            assert out["probabilities"][k] == pytest.approx(v, abs=1e-3), name


def test_about_reports_the_honest_cv_numbers(predictor):
    text = app.about_markdown(predictor)
    uar = predictor.bundle.metrics["summary"]["uar"]["mean"]
    assert f"UAR {uar:.1%}" in text and "Speaker-disjoint" in text and "CC BY-NC-SA" in text
    models = predictor.bundle.metrics["models"]  # the toy model is a fusion: its parts are reported too
    for member, title in (("mlp", "MLP"), ("tracks", "track CNN"), ("cnn", "log-mel CNN")):
        assert f"{title} UAR {models[member]['summary']['uar']['mean']:.1%}" in text
    assert "Three models, combined" in text and "1-D convolutional network" in text
    intensity = predictor.bundle.metrics["summary"]["intensity_accuracy"]["mean"]
    assert "Intensity (normal or strong" in text and f"{intensity:.1%}" in text


def test_answer_shows_emotion_with_its_intensity(predictor, clips):
    result = predictor.predict(clips["angry"])
    assert result.headline in app.answer_html(result)
    assert " — " in result.headline  # the toy model predicts intensity
    details = app.details_markdown(result, "toy")
    assert f"| **Intensity** | {result.intensity} (P(strong) = {result.intensity_strong:.2f}) |" in details


def test_live_session_classifies_the_rolling_window(predictor):
    session = LiveSession(predictor, window_s=3.0, history_s=5.0)
    speech = np.round(synth_speech(8.0, f0=150, rate_hz=4, seed=3, lead_silence=0.05) * 32767).astype(
        np.int16
    )
    result, message = session.push(SR, np.zeros(SR // 2, dtype=np.int16))  # silence first
    assert result is None and "Listening" in message and "silent" in message
    for i in range(8):
        result, message = session.push(SR, speech[i * SR : (i + 1) * SR])
    assert result is not None and message == ""
    assert len(session.buffer) == 3 * SR  # only the last window is classified
    assert session.elapsed_s == pytest.approx(8.5)
    assert session.history and all(w.end >= 8.5 - 5.0 for w in session.history)  # rolling
    assert session.history[-1].end == pytest.approx(8.5)
    stereo = np.stack([speech[:SR], speech[:SR]], axis=1)
    assert session.push(SR, stereo)[0] is not None


def test_timeline_is_drawn_only_when_windows_span_time():
    def w(start: float) -> app.Window:
        return app.Window(start, start + 3.0, "calm", {"calm": 1.0})

    assert not app._spans_time([w(0.0)], 1.5)
    assert not app._spans_time([w(0.0), w(0.1)], 1.5)  # 3.1 s of speech: two nearly equal windows
    assert app._spans_time([w(0.0), w(1.5), w(3.0)], 1.5)
