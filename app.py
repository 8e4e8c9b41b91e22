"""Speech Emotion Recognition — the Gradio Space.

A thin shell over :mod:`ser`: one :class:`ser.inference.Predictor` is loaded at start-up
(``Predictor.from_pretrained``: ``$SER_MODEL_DIR``, ``$SER_MODEL_REPO`` or the bundled default),
warmed up, and served.

    python app.py                       # the bundled model on http://127.0.0.1:7860
    SER_MODEL_REPO=user/ser-mlp python app.py
    python app.py --verbose             # debug logs, TensorFlow's own logs included

API (``gradio_client``): ``/predict`` and ``/timeline``, each taking an audio file.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import atexit  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

if __name__ == "__main__":  # the served app; never in a process that imports this module
    # librosa compiles its numba kernels when its modules are first imported: ~15 s on 2 cores,
    # on every start of a Space (a fresh container has no numba cache). On the short arrays of a
    # request the plain-Python versions are as fast and give the same numbers (measured: see the
    # README), so the app runs without the JIT unless NUMBA_DISABLE_JIT says otherwise. It must be
    # set before numba is imported: flipped later, numba fails to compile anything.
    os.environ.setdefault("NUMBA_DISABLE_JIT", "1")
    # Requests run side by side: one BLAS/OpenMP thread each, not threads fighting for 2 cores.
    for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_threads, "1")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from ser import Predictor  # noqa: E402
from ser.audio import AudioError  # noqa: E402
from ser.cli import add_verbose_argument, setup_logging  # noqa: E402
from ser.config import SERConfig  # noqa: E402
from ser.errors import SERError  # noqa: E402
from ser.inference import Prediction, Window  # noqa: E402
from ser.live import LIVE_EVERY_S, LIVE_HISTORY_S, LIVE_WINDOW_S, LiveSession  # noqa: E402
from ser.plots import mel_figure, probability_figure, timeline_figure, waveform_figure  # noqa: E402
from ser.presentation import color, emoji  # noqa: E402
from ser.registry import member_type  # noqa: E402
from ser.serving import PredictorPool  # noqa: E402

logger = logging.getLogger("app")

#: One clip per emotion, from the training data (see examples/ATTRIBUTION.md).
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
#: Uploads, recordings and live chunks are deleted from Gradio's upload folder once they are this
#: old (seconds), checked every :data:`SWEEP_EVERY_S`: nothing of a person's voice stays longer.
FORGET_AFTER_S = 60.0
SWEEP_EVERY_S = 15.0
#: Requests waiting at most; more get "busy, please try again".
QUEUE_SIZE = 64
#: Processes that decode and classify uploads (``$SER_WORKERS``; 0: in the server's own process).
WORKERS = int(os.environ.get("SER_WORKERS", "1"))

#: Longest a live session runs before the person has to press record again.
LIVE_TIME_LIMIT_S = 120

THEME = gr.themes.Soft(primary_hue="indigo")
CSS = """
#answer {min-height: 150px; display: flex; align-items: center;}
.ser-answer {display: flex; gap: 18px; align-items: center; padding: 10px 6px;}
.ser-emoji {font-size: 64px; line-height: 1;}
.ser-label {font-size: 30px; font-weight: 700; text-transform: capitalize;}
.ser-sub {font-size: 16px; opacity: .8; margin-top: 4px;}
.ser-chip {display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px;
           font-weight: 600; color: white; margin-left: 6px;}
.ser-level-high {background: #2f8f46;} .ser-level-medium {background: #c27c0e;}
.ser-level-low {background: #8b8d98;}
.ser-warn {margin-top: 6px; font-size: 13px; color: #b45309;}
.ser-placeholder {opacity: .6; font-size: 16px;}
footer {display: none !important;}
"""


# --- JSON for the API ------------------------------------------------------------------------


def prediction_json(result: Prediction) -> dict[str, Any]:
    """The stable ``/predict`` payload."""
    return {
        "label": result.label,
        "confidence": round(result.confidence, 4),
        "level": result.level,
        "intensity": result.intensity,
        "intensity_strong": result.intensity_strong,
        "probabilities": {k: round(v, 4) for k, v in result.probabilities.items()},
        "mixed": result.mixed,
        "shares": {k: round(v, 4) for k, v in result.shares.items()},
    }


def _window_json(window: Window) -> dict[str, Any]:
    return {
        "start": window.start,
        "end": window.end,
        "label": window.label,
        "confidence": round(window.confidence, 4),
        "intensity": window.intensity,
        "probabilities": {k: round(v, 4) for k, v in window.probabilities.items()},
    }


def timeline_json(result: Prediction) -> dict[str, Any]:
    """The stable ``/timeline`` payload: every window of the timeline, every segment (utterance,
    or piece of a long one) and the overall result."""
    return {
        "duration_s": result.duration_s,
        "windows": [_window_json(w) for w in result.timeline],
        "segments": [_window_json(w) for w in result.segments],
        "overall": prediction_json(result),
    }


# --- what a person sees ----------------------------------------------------------------------


def answer_html(result: Prediction) -> str:
    warnings = "".join(f'<div class="ser-warn">⚠️ {w}</div>' for w in result.warnings)
    return (
        f'<div class="ser-answer"><div class="ser-emoji">{result.emoji}</div><div>'
        f'<div class="ser-label" style="color:{color(result.label)}">'
        f"{result.headline}</div>"
        f'<div class="ser-sub">{result.confidence:.0%} confident'
        f'<span class="ser-chip ser-level-{result.level}">{result.level}</span></div>'
        f"{warnings}</div></div>"
    )


def model_description(config: SERConfig, intensity: bool) -> str:
    """One sentence on what the model is, from its config (``intensity``: it also predicts it)."""
    parts = [t.description for t in config.member_types]
    count = {2: "two", 3: "three"}.get(len(parts), str(len(parts)))
    text = parts[0] if len(parts) == 1 else f"{count} models, combined: " + "; and ".join(parts)
    text += " (Keras)"
    if intensity:
        text += ", with a second output for intensity (normal/strong)"
    return text[0].upper() + text[1:] + "."


PLACEHOLDER = '<div class="ser-placeholder">Upload or record speech to see its emotion.</div>'


def details_markdown(result: Prediction, model: str) -> str:
    a = result.acoustics
    pitch = (
        f"{a['pitch_hz']:.0f} Hz (range {a['pitch_range_semitones']:.1f} semitones)" if a["pitch_hz"] else "—"
    )
    rows = [
        ("Duration", f"{result.duration_s:.2f} s"),
        ("Original audio", f"{result.sample_rate} Hz, {result.channels} channel(s), {result.format}"),
        ("Speech", f"{result.speech_ratio:.0%} of the recording, {len(result.speech_intervals)} segment(s)"),
        ("Level as recorded", f"{result.level_dbfs:.1f} dBFS (normalised before analysis)"),
        ("Pitch", pitch),
        ("Speaking rate", f"{a['speaking_rate_per_s']:.1f} onsets/s (≈ syllables)"),
        ("Intensity", _intensity_text(result)),
        ("Analysis windows", str(len(result.timeline))),
        ("Model", model),
        ("Processing time", f"{result.processing_ms:.0f} ms"),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| **{k}** | {v} |" for k, v in rows)


def _intensity_text(result: Prediction) -> str:
    if result.intensity_strong is None:
        return "— (this model does not predict intensity)"
    said = result.intensity or "not given for neutral"
    return f"{said} (P(strong) = {result.intensity_strong:.2f})"


def about_markdown(predictor: Predictor) -> str:
    metrics = predictor.bundle.metrics or {}
    lines = [
        "**What it does.** Classifies the emotion in speech into 8 classes: "
        + ", ".join(f"{emoji(e)} {e}" for e in predictor.labels)
        + ".",
        "",
        "**Training data.** RAVDESS (Livingstone & Russo, 2018): acted North-American English, "
        "2 fixed sentences, 20 professional actors (actors 21–24 withheld as an external test). "
        "Licence CC BY-NC-SA 4.0 — non-commercial use only.",
        "",
        "**Model.** " + model_description(predictor.config, predictor.bundle.has_intensity),
    ]
    summary = metrics.get("summary")
    if summary:

        def fmt(name: str) -> str:
            return f"{summary[name]['mean']:.1%} ± {summary[name]['std']:.1%}"

        lines += [
            "",
            f"**Honest accuracy.** Speaker-disjoint {len(metrics.get('folds', []))}-fold "
            f"cross-validation (no actor in both training and test): UAR {fmt('uar')}, "
            f"accuracy {fmt('accuracy')}, macro-F1 {fmt('macro_f1')}. Chance is 12.5 %.",
        ]
        models = metrics.get("models", {})
        if len(models) > 1:
            lines += [
                "On the same folds, each part alone: "
                + ", ".join(
                    f"{member_type(name).title} UAR {m['summary']['uar']['mean']:.1%}"
                    for name, m in models.items()
                    if name != predictor.config.model_type
                )
                + "."
            ]
        if "intensity_accuracy" in summary:
            lines += [
                f"Intensity (normal or strong, as the actors were asked to speak): accuracy "
                f"{fmt('intensity_accuracy')} on the same unseen actors (chance ≈ 53 %)."
            ]
    cross_corpus = metrics.get("cross_corpus")
    if cross_corpus:
        lines += [
            "On other corpora, never trained on, each scored on its own classes: "
            + "; ".join(
                f"{name} UAR {r['strict']['uar']:.1%}"
                + (
                    f" ({r['calm_as_neutral']['uar']:.1%} counting calm as neutral)"
                    if "calm_as_neutral" in r
                    else ""
                )
                + (
                    f", {r['closed_set']['uar']:.1%} choosing among its classes only"
                    if "closed_set" in r
                    else ""
                )
                for name, r in cross_corpus.items()
            )
            + ". Chance is 1 in the number of classes; this is where the model is weakest."
        ]
    external = metrics.get("external_test")
    if external:
        lines += [
            f"On the withheld actors {', '.join(external.get('speakers', []))}: "
            f"UAR {external['uar']:.1%}, accuracy {external['accuracy']:.1%}."
        ]
    lines += [
        "",
        "**Limits.** Acted, studio-quality English speech; real conversations, other "
        "languages, noisy or phone audio and children's voices will be less accurate. Emotion "
        "is subjective — treat the output as a hint, not a verdict. Low confidence means the "
        "model is unsure.",
        "",
        f"**Your voice is not kept.** Uploads, recordings and live audio are deleted from the server "
        f"within {FORGET_AFTER_S + SWEEP_EVERY_S:.0f} seconds; nothing of "
        "what you said, or of the answer, is logged or stored. The examples come from the training "
        "data (RAVDESS, CC BY-NC-SA 4.0; see examples/ATTRIBUTION.md).",
    ]
    return "\n".join(lines)


# --- the app ---------------------------------------------------------------------------------


def build_demo(predictor: Predictor, pool: PredictorPool | None = None) -> gr.Blocks:
    """The Blocks app around ``predictor`` (testable without launching a server).

    With a ``pool`` (of the same bundle), uploads are decoded and classified in its worker
    processes, so that the server's own process is free for the web traffic; the live tab
    always classifies in the server's process.
    """
    model = predictor.describe()
    backend = pool or predictor

    def analyse(path: str | None) -> tuple:
        if not path:
            raise gr.Error("Upload a file or record something first.")
        try:
            result = backend.predict(path)
        except AudioError as err:
            raise gr.Error(str(err), title="Can't analyse this audio") from None
        logger.info("answered in %.0f ms", result.processing_ms)  # nothing of what was said
        return answer_html(result), details_markdown(result, model), prediction_json(result), result

    def figures(result: Prediction | None) -> tuple:
        if result is None:
            return None, gr.update(visible=False), None, None
        audio = result.audio
        if len(result.segments) > 1 or _spans_time(result.timeline, predictor.config.features.hop_s):
            figure = timeline_figure(result.timeline, result.duration_s, result.segments)
            timeline = gr.update(value=figure, visible=True)
        else:
            timeline = gr.update(value=None, visible=False)
        return probability_figure(result.probabilities), timeline, waveform_figure(audio), mel_figure(audio)

    def example(path: str) -> tuple:
        """Everything an example shows, computed once at start-up (Gradio caches it)."""
        *shown, result = analyse(path)
        return (*shown, *figures(result))

    def api_predict(path: str | None) -> dict[str, Any]:
        return prediction_json(_predict_or_error(backend, path))

    def api_timeline(path: str | None) -> dict[str, Any]:
        return timeline_json(_predict_or_error(backend, path))

    def live_start() -> tuple:
        return LiveSession(predictor), gr.Timer(active=True), _live_status(0.0, 0), LIVE_PLACEHOLDER

    def live_chunk(chunk: tuple[int, np.ndarray] | None, session: LiveSession | None) -> LiveSession:
        session = session or LiveSession(predictor)
        if chunk is not None:
            session.append(*chunk)
        return session

    def live_tick(session: LiveSession | None) -> tuple:
        if session is None or not session.update():
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        status = _live_status(session.elapsed_s, len(session.history))
        band = live_band_html(session.history, session.elapsed_s, session.history_s)
        if session.latest is None:
            return f'<div class="ser-placeholder">🎧 {session.message}</div>', gr.skip(), band, status
        return answer_html(session.latest), session.latest.probabilities, band, status

    def live_stop(session: LiveSession | None) -> tuple:
        return (gr.Timer(active=False), *live_tick(session))

    with gr.Blocks(title="Speech Emotion Recognition") as demo:
        gr.Markdown(
            "# 🎙️ Speech Emotion Recognition\n"
            "Upload or record speech: see which of **8 emotions** it carries, how sure the model is, "
            "and how the emotion moves over time. Runs on CPU in milliseconds."
        )
        with gr.Tabs():
            with gr.Tab("Analyse", id="analyse"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5):
                        audio_in = gr.Audio(
                            sources=["upload", "microphone"],
                            type="filepath",
                            label="Speech (upload or record)",
                            elem_id="audio-in",
                        )
                        analyse_btn = gr.Button("Analyse", variant="primary", elem_id="analyse-btn")
                    with gr.Column(scale=5):
                        answer = gr.HTML(PLACEHOLDER, elem_id="answer")
                        prob_plot = gr.Plot(label="All emotions", show_label=False, elem_id="probabilities")
                timeline_plot = gr.Plot(label="Emotion over time", show_label=False, visible=False)
                wave_plot = gr.Plot(label="Waveform", show_label=False)
                mel_plot = gr.Plot(label="Mel spectrogram", show_label=False)
                with gr.Accordion("Details", open=False):
                    details = gr.Markdown()
                    as_json = gr.JSON(label="JSON (as returned by /predict)")
                if EXAMPLES_DIR.is_dir():
                    # cached at launch, for this model: never answers of an earlier run's model;
                    # removed at exit, so that restarts do not pile up folders in the temp dir
                    examples_cache = tempfile.mkdtemp(prefix="ser-examples-")
                    atexit.register(shutil.rmtree, examples_cache, ignore_errors=True)
                    os.environ["GRADIO_EXAMPLES_CACHE"] = examples_cache
                    gr.Examples(
                        examples=[[str(p)] for p in sorted(EXAMPLES_DIR.glob("*.mp3"))],
                        inputs=audio_in,
                        outputs=[answer, details, as_json, prob_plot, timeline_plot, wave_plot, mel_plot],
                        fn=example,
                        cache_examples=True,
                        cache_mode="eager",
                        preload=False,
                        label="Examples: one RAVDESS clip per emotion, from the model's training data "
                        "(so the model has heard these actors; your own voice is the real test)",
                        example_labels=[p.stem for p in sorted(EXAMPLES_DIR.glob("*.mp3"))],
                    )
            with gr.Tab("Live", id="live"):
                gr.Markdown(
                    "Speak into your microphone: the emotion of the last "
                    f"{LIVE_WINDOW_S:.0f} s updates about once a second."
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4):
                        live_in = gr.Audio(
                            sources=["microphone"],
                            streaming=True,
                            type="numpy",
                            label="Microphone",
                            elem_id="live-in",
                        )
                        live_status = gr.HTML(_live_status(0.0, 0), elem_id="live-status")
                    with gr.Column(scale=6):
                        live_answer = gr.HTML(LIVE_PLACEHOLDER, elem_id="live-answer")
                        live_label = gr.Label(num_top_classes=3, label="Now")
                live_band = gr.HTML(live_band_html([], 0.0, LIVE_HISTORY_S), elem_id="live-band")
                live_state = gr.State(None, time_to_live=LIVE_TIME_LIMIT_S + 60)
                # ticks 4× a second: the answer follows each second of audio within 0.25 s, and a tick
                # with less than a second of new audio returns at once (update() is not due)
                live_timer = gr.Timer(LIVE_EVERY_S / 4, active=False)
        with gr.Accordion("About this model", open=False):
            gr.Markdown(about_markdown(predictor))

        # The API: stable JSON, on components of their own (hidden), so plots never reach it.
        with gr.Row(visible=False):
            api_audio = gr.Audio(type="filepath", label="audio")
            api_predict_out = gr.JSON()
            api_timeline_out = gr.JSON()
            api_predict_btn = gr.Button()
            api_timeline_btn = gr.Button()
        api_predict_btn.click(
            api_predict,
            api_audio,
            api_predict_out,
            api_name="predict",
            concurrency_id="model",
            api_description="Audio file → label, confidence, level, intensity, probabilities, mixed, shares",
        )
        api_timeline_btn.click(
            api_timeline,
            api_audio,
            api_timeline_out,
            api_name="timeline",
            concurrency_id="model",
            api_description="Audio file → windows and segments (start, end, label, probabilities) and overall",
        )

        result_state = gr.State(None)
        gr.on(
            [audio_in.upload, audio_in.stop_recording, analyse_btn.click],
            analyse,
            audio_in,
            [answer, details, as_json, result_state],
            api_visibility="private",
            concurrency_id="model",
        ).success(
            figures,
            result_state,
            [prob_plot, timeline_plot, wave_plot, mel_plot],
            api_visibility="private",
            concurrency_id="plots",
        )
        audio_in.clear(
            lambda: (PLACEHOLDER, "", None, None),
            None,
            [answer, details, as_json, result_state],
            api_visibility="private",
        )
        live_outputs = [live_answer, live_label, live_band, live_status]
        live_in.start_recording(
            live_start, None, [live_state, live_timer, live_status, live_answer], api_visibility="private"
        )
        live_in.stream(  # cheap: only stores the chunk, so that the browser sends every one
            live_chunk,
            [live_in, live_state],
            live_state,
            stream_every=0.1,
            time_limit=LIVE_TIME_LIMIT_S,
            api_visibility="private",
            concurrency_limit=None,
            show_progress="hidden",
        )
        live_timer.tick(
            live_tick,
            live_state,
            live_outputs,
            api_visibility="private",
            concurrency_limit=4,
            show_progress="hidden",
        )
        live_in.stop_recording(live_stop, live_state, [live_timer, *live_outputs], api_visibility="private")
    return demo


class UploadJanitor:
    """Deletes what people sent (uploads, recordings, live chunks) from Gradio's upload folder.

    A file goes once it is ``age_s`` seconds old (by modification time: Gradio stores identical
    uploads under one path and rewrites it on every upload, so a file in use is always young).
    Files that were there when :meth:`protect_existing` ran (the cached examples) stay.

    Args:
        folder: Gradio's upload folder (``gradio.utils.get_upload_folder()``).
        age_s: Age at which a file is deleted.
    """

    def __init__(self, folder: str | Path, age_s: float = FORGET_AFTER_S) -> None:
        self.folder = Path(folder)
        self.age_s = age_s
        self.protected: set[Path] = set()

    def files(self) -> list[Path]:
        return [p for p in self.folder.rglob("*") if p.is_file()] if self.folder.is_dir() else []

    def protect_existing(self) -> None:
        self.protected = set(self.files())

    def sweep(self) -> int:
        """Delete the unprotected files older than ``age_s`` (and emptied folders); returns how many."""
        now, deleted = time.time(), 0
        for path in self.files():
            try:
                if path not in self.protected and now - path.stat().st_mtime >= self.age_s:
                    path.unlink()
                    deleted += 1
                    if not any(path.parent.iterdir()):
                        path.parent.rmdir()
            except OSError:  # gone already, or in use: the next sweep sees it again
                continue
        return deleted

    def start(self, every_s: float = SWEEP_EVERY_S) -> threading.Thread:
        """Sweep every ``every_s`` seconds in a daemon thread."""

        def loop() -> None:
            while True:
                time.sleep(every_s)
                self.sweep()

        thread = threading.Thread(target=loop, name="upload-janitor", daemon=True)
        thread.start()
        return thread


LIVE_PLACEHOLDER = '<div class="ser-placeholder">Press record and speak.</div>'


def live_band_html(history: list[Window], elapsed_s: float, history_s: float) -> str:
    """The rolling emotion band of the live tab: the last ``history_s`` seconds, one coloured
    block per answer (over the audio that arrived since the answer before), newest on the right.
    HTML, so that it costs the server nothing to draw once a second."""
    first = max(0.0, elapsed_s - history_s)
    blocks, previous_end = [], None
    for w in history:  # each answer covers the audio that arrived since the one before
        since = w.end - LIVE_EVERY_S if previous_end is None else previous_end
        previous_end = w.end
        left = max(0.0, (since - first) / history_s)
        width = max(0.0, min((w.end - first) / history_s, 1.0) - left)
        blocks.append(
            f'<div title="{w.start:.1f}–{w.end:.1f} s: {w.label}" style="{_BLOCK_STYLE}'
            f'left:{100 * left:.2f}%;width:{100 * width:.2f}%;background:{color(w.label)}">{emoji(w.label)}</div>'
        )
    return (
        f'<div class="ser-band" style="{_BAND_STYLE}">{"".join(blocks)}</div>'
        f'<div style="display:flex;justify-content:space-between;font-size:12px;opacity:.7">'
        f"<span>{first:.0f} s</span><span>{max(elapsed_s, history_s):.0f} s</span></div>"
    )


_BAND_STYLE = "position:relative;height:38px;border-radius:6px;background:#f1f1f4;overflow:hidden;"
_BLOCK_STYLE = (
    "position:absolute;top:0;bottom:0;display:flex;align-items:center;justify-content:center;"
    "font-size:18px;border-right:1px solid white;"
)


def _live_status(elapsed_s: float, updates: int) -> str:
    """What the live tab says of the stream: seconds heard, and how many answers so far."""
    return (
        f'<div class="ser-sub" data-elapsed="{elapsed_s:.2f}" data-updates="{updates}">'
        f"🎙️ {elapsed_s:.1f} s heard · {updates} update{'s' if updates != 1 else ''}</div>"
    )


def _spans_time(windows: list[Window], hop_s: float) -> bool:
    """Whether a timeline is worth drawing: windows whose starts are at least one hop apart."""
    return len(windows) > 1 and windows[-1].start - windows[0].start >= hop_s


def _predict_or_error(predictor: Predictor | PredictorPool, path: str | None) -> Prediction:
    if not path:
        raise gr.Error("No audio file was sent.")
    try:
        return predictor.predict(path)
    except AudioError as err:
        raise gr.Error(str(err)) from None


def load_predictor() -> Predictor:
    """The model (``$SER_MODEL_DIR``, ``$SER_MODEL_REPO`` or the bundled one), loaded and warmed up."""
    predictor = Predictor.from_pretrained()
    predictor.warmup()
    return predictor


def launch_options(predictor: Predictor) -> dict[str, Any]:
    """How the app is served: address, the upload limit (refused by Gradio before it is stored),
    styling."""
    return {
        "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        "server_port": int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        "max_file_size": predictor.config.audio.max_bytes,
        "css": CSS,
        "theme": THEME,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Speech Emotion Recognition app.")
    add_verbose_argument(parser)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        predictor = load_predictor()
    except SERError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    pool = PredictorPool(predictor.bundle.path, WORKERS) if WORKERS else None
    demo = build_demo(predictor, pool)
    demo.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE)
    demo.launch(prevent_thread_lock=True, **launch_options(predictor))
    janitor = UploadJanitor(gr.utils.get_upload_folder())
    janitor.protect_existing()  # the examples, cached at launch
    janitor.start()
    if pool is not None:
        pool.wait_ready()
    logger.info("Serving %s; ready in %.1f s from start", predictor.describe(), time.perf_counter() - STARTED)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
