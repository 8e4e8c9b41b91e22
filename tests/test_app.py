"""app.py: the Blocks app built without a server, then served on 127.0.0.1 and called with gradio_client."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio import utils as gr_utils
from gradio_client import Client, handle_file

import app
from ser.inference import Predictor
from ser.live import LiveSession
from tests.audio_fixtures import synth_speech
from tests.util import free_port, run_script

SR = 22050


@pytest.fixture(scope="module")
def predictor(toy_bundle) -> Predictor:
    return Predictor(toy_bundle)


@pytest.fixture(scope="module")
def server(predictor):
    demo = app.build_demo(predictor)
    demo.queue(default_concurrency_limit=2)
    port = free_port()
    options = {**app.launch_options(predictor), "server_port": port, "max_file_size": "1mb"}
    demo.launch(prevent_thread_lock=True, quiet=True, **options)
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
    pause = np.zeros(SR, dtype=np.float32)  # utterances of the three toy classes, 1 s apart
    parts = [
        synth_speech(2.5, f0=f0, rate_hz=rate, seed=9) for f0, rate in ((90, 2.0), (190, 6.0), (110, 2.5))
    ]
    sf.write(d / "mixed.wav", np.concatenate([parts[0], pause, parts[1], pause, parts[2]]), SR)
    out["mixed"] = str(d / "mixed.wav")
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
    assert set(out) == {
        "label", "confidence", "level", "intensity", "intensity_strong", "probabilities", "mixed", "shares"
    }  # fmt: skip
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
        assert set(w) == {"start", "end", "label", "confidence", "intensity", "probabilities"}
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


def test_live_session_keeps_every_chunk_and_classifies_the_last_window_once_a_second(predictor):
    session = LiveSession(predictor, window_s=3.0, every_s=1.0, history_s=5.0)
    speech = np.round(synth_speech(8.0, f0=150, rate_hz=4, seed=3, lead_silence=0.05) * 32767).astype(
        np.int16
    )
    session.append(SR, np.zeros(SR, dtype=np.int16))  # a second of silence first
    assert session.update() and session.latest is None and "silent" in session.message
    assert not session.update()  # nothing new: no second answer for the same audio
    chunk = SR // 10  # the browser sends 0.1 s chunks
    answers = 0
    for i in range(0, len(speech), chunk):
        session.append(SR, speech[i : i + chunk])
        answers += session.update()
    assert answers == 8  # once per second of audio, however the chunks come
    assert session.latest is not None and session.message == ""
    assert len(session.buffer) == 3 * SR  # only the last window is classified
    assert session.elapsed_s == pytest.approx(9.0)  # the time base: every sample received
    assert session.history and all(w.end >= 9.0 - 5.0 for w in session.history)  # rolling
    assert session.history[-1].end == pytest.approx(9.0)
    stereo = np.stack([speech[:SR], speech[:SR]], axis=1)
    assert session.push(SR, stereo)[0] is not None


def test_a_mixed_recording_gets_segments_and_says_so(client, clips, predictor):
    out = client.predict(handle_file(clips["mixed"]), api_name="/timeline")
    segments = out["segments"]
    assert len(segments) >= 2
    assert all(a["end"] <= b["start"] for a, b in zip(segments, segments[1:]))  # in order, no overlap
    for seg in segments:
        assert seg["end"] - seg["start"] <= predictor.config.features.window_s + 1e-6
        assert seg["confidence"] == pytest.approx(seg["probabilities"][seg["label"]], abs=1e-4)
    overall = out["overall"]
    assert sum(overall["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert overall["mixed"] == (1 - max(overall["shares"].values()) >= 0.2 - 1e-3)
    result = predictor.predict(clips["mixed"])
    if result.mixed:
        assert result.headline.startswith("mixed: ") and result.headline in app.answer_html(result)


def test_timeline_is_drawn_only_when_windows_span_time():
    def w(start: float) -> app.Window:
        return app.Window(start, start + 3.0, "calm", {"calm": 1.0})

    assert not app._spans_time([w(0.0)], 1.5)
    assert not app._spans_time([w(0.0), w(0.1)], 1.5)  # 3.1 s of speech: two nearly equal windows
    assert app._spans_time([w(0.0), w(1.5), w(3.0)], 1.5)


def test_uploads_over_the_limit_are_refused_before_they_are_stored(server, tmp_path):
    import httpx

    big = tmp_path / "big.wav"
    sf.write(big, np.zeros(2 * 22050 * 30, dtype=np.float32), 22050)  # 30 s of float32: 2.6 MB > 1 MB
    folder = Path(gr_utils.get_upload_folder())
    before = {p for p in folder.rglob("*") if p.is_file()}
    with pytest.raises(Exception, match="exceeds the maximum file size of 1048576 bytes"):
        Client(server, verbose=False).predict(handle_file(str(big)), api_name="/predict")
    with big.open("rb") as f:  # a client that does not check first: the server refuses it
        response = httpx.post(f"{server}gradio_api/upload", files={"files": ("big.wav", f)}, timeout=60)
    assert response.status_code == 413 and "File size exceeded maximum allowed size" in response.text
    assert {p for p in folder.rglob("*") if p.is_file()} == before  # nothing of it was kept


def test_a_full_queue_answers_busy_try_again(predictor, clips):
    demo = app.build_demo(predictor)
    demo.queue(default_concurrency_limit=1, max_size=1)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"

    def call(_: int) -> str:
        try:
            Client(url, verbose=False).predict(handle_file(clips["long"]), api_name="/timeline")
            return "ok"
        except Exception as err:  # the client raises QueueError for a full queue
            return str(err)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(call, range(8)))
    finally:
        demo.close()
    assert "ok" in answers
    assert any("Queue is full! Please try again" in a for a in answers)


def test_nothing_a_person_sent_stays_on_the_server(server, clips, predictor, tmp_path):
    """The janitor deletes uploads once they are old enough; the cached examples stay."""
    folder = Path(gr_utils.get_upload_folder())
    janitor = app.UploadJanitor(folder, age_s=0.0)
    janitor.protect_existing()
    kept = set(janitor.protected)
    client = Client(server, verbose=False)
    for name in ("calm", "angry", "sad", "long"):
        clip = tmp_path / f"{name}-copy.wav"  # a file of its own, as a person's upload would be
        y, sr = sf.read(clips[name])
        sf.write(clip, y * 0.9, sr)
        client.predict(handle_file(str(clip)), api_name="/predict")
    grown = {p for p in folder.rglob("*") if p.is_file()} - kept
    assert len(grown) >= 4  # the uploads arrived
    assert janitor.sweep() >= 4
    assert {p for p in folder.rglob("*") if p.is_file()} <= kept  # the folder did not grow
    assert all(p.is_file() for p in kept)
    assert "Your voice is not kept" in app.about_markdown(predictor)


@pytest.mark.slow
def test_a_pool_of_worker_processes_answers_as_the_predictor_does(predictor, clips):
    from ser.audio import NoSpeechError
    from ser.serving import PredictorPool

    pool = PredictorPool(predictor.bundle.path, workers=1)
    try:
        pool.wait_ready()
        for name in ("calm", "long"):
            direct, pooled = predictor.predict(clips[name]), pool.predict(clips[name])
            assert pooled.probabilities == pytest.approx(direct.probabilities, abs=1e-6)
            assert [w.label for w in pooled.segments] == [w.label for w in direct.segments]
        with pytest.raises(NoSpeechError, match="silent"):
            pool.predict(clips["silent"])  # the same errors, raised here
        server_demo = app.build_demo(predictor, pool)
        assert set(server_demo.get_api_info()["named_endpoints"]) == {"/predict", "/timeline"}
    finally:
        pool.close()


@pytest.mark.slow
def test_the_load_script_reports_throughput_latency_and_errors(server, tmp_path):
    out = tmp_path / "load.json"
    res = run_script(
        "load_test.py", "--url", server, "--users", 2, "--seconds", 3, "--processes", 1, "--json", out,
        timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["errors"] == 0 and result["answers"] > 0 and result["answers_per_s"] > 0
    assert result["p50_ms"] <= result["p95_ms"]
    assert "answers/s" in res.stdout


def test_the_live_band_covers_the_heard_audio_without_gaps():
    import re

    history = [
        app.Window(0.0, 1.0, "angry", {"angry": 1.0}),
        app.Window(0.0, 2.0, "sad", {"sad": 1.0}),
        app.Window(1.0, 4.1, "sad", {"sad": 1.0}),  # a slow second: 2.1 s arrived since the last answer
    ]
    html = app.live_band_html(history, elapsed_s=4.1, history_s=30.0)
    blocks = [(float(a), float(b)) for a, b in re.findall(r"left:([\d.]+)%;width:([\d.]+)%", html)]
    assert len(blocks) == 3
    for (left, width), (next_left, _) in zip(blocks, blocks[1:]):
        assert next_left == pytest.approx(left + width, abs=0.01)
    assert blocks[-1][0] + blocks[-1][1] == pytest.approx(100 * 4.1 / 30.0, abs=0.01)


@pytest.mark.slow
def test_the_examples_cache_of_a_run_is_removed_when_the_app_exits(toy_bundle, tmp_path):
    """Each start caches the examples for its own model in a fresh folder; restarts must not
    leave those folders behind in the temp dir."""
    import subprocess
    import sys

    code = (
        "import os, app\n"
        "from pathlib import Path\n"
        "from ser.inference import Predictor\n"
        f"demo = app.build_demo(Predictor({str(toy_bundle)!r}))\n"
        "demo.launch(prevent_thread_lock=True, quiet=True)\n"  # launch caches the examples
        "demo.close()\n"
        "cache = Path(os.environ['GRADIO_EXAMPLES_CACHE'])\n"
        "print(cache.parent, cache.is_dir(), sum(1 for p in cache.rglob('*') if p.is_file()))\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(app.__file__).parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    parent, existed, cached = done.stdout.splitlines()[-1].split()
    assert Path(parent) == tmp_path and existed == "True" and int(cached) > 0  # it was used
    assert not list(tmp_path.glob("ser-examples-*"))  # and is gone
