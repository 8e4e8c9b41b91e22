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

import argparse
import logging
import os
import sys
import time
from typing import Any

import gradio as gr
import numpy as np

from ser import Predictor
from ser.audio import AudioError
from ser.cli import add_verbose_argument, setup_logging
from ser.config import SERConfig
from ser.errors import SERError
from ser.inference import Prediction, Window
from ser.live import LIVE_WINDOW_S, LiveSession
from ser.plots import mel_figure, probability_figure, timeline_figure, waveform_figure
from ser.presentation import color, emoji
from ser.registry import member_type

logger = logging.getLogger("app")

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
    }


def timeline_json(result: Prediction) -> dict[str, Any]:
    """The stable ``/timeline`` payload: every window and the overall result."""
    return {
        "duration_s": result.duration_s,
        "windows": [
            {
                "start": w.start,
                "end": w.end,
                "label": w.label,
                "intensity": w.intensity,
                "probabilities": {k: round(v, 4) for k, v in w.probabilities.items()},
            }
            for w in result.timeline
        ],
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
    ]
    return "\n".join(lines)


# --- the app ---------------------------------------------------------------------------------


def build_demo(predictor: Predictor) -> gr.Blocks:
    """The Blocks app around ``predictor`` (testable without launching a server)."""
    model = predictor.describe()

    def analyse(path: str | None) -> tuple:
        if not path:
            raise gr.Error("Upload a file or record something first.")
        try:
            result = predictor.predict(path)
        except AudioError as err:
            raise gr.Error(str(err), title="Can't analyse this audio") from None
        logger.info("predicted %s (%.2f) in %.0f ms", result.label, result.confidence, result.processing_ms)
        return (
            answer_html(result),
            result.probabilities,
            details_markdown(result, model),
            prediction_json(result),
            result,
        )

    def figures(result: Prediction | None) -> tuple:
        if result is None:
            return None, gr.update(visible=False), None, None
        audio = result.audio
        timeline = (
            gr.update(value=timeline_figure(result.timeline, result.duration_s), visible=True)
            if _spans_time(result.timeline, predictor.config.features.hop_s)
            else gr.update(value=None, visible=False)
        )
        return probability_figure(result.probabilities), timeline, waveform_figure(audio), mel_figure(audio)

    def api_predict(path: str | None) -> dict[str, Any]:
        return prediction_json(_predict_or_error(predictor, path))

    def api_timeline(path: str | None) -> dict[str, Any]:
        return timeline_json(_predict_or_error(predictor, path))

    def live(chunk: tuple[int, np.ndarray] | None, session: LiveSession | None) -> tuple:
        session = session or LiveSession(predictor)
        if chunk is None:
            return gr.update(), gr.update(), gr.update(), session
        result, message = session.push(*chunk)
        figure = timeline_figure(session.history, session.elapsed_s) if session.history else gr.update()
        if result is None:
            return f'<div class="ser-placeholder">🎧 {message}</div>', gr.update(), figure, session
        return answer_html(result), result.probabilities, figure, session

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
                        label = gr.Label(num_top_classes=8, label="Probabilities", elem_id="label")
                with gr.Row():
                    prob_plot = gr.Plot(label="All emotions", show_label=False)
                    timeline_plot = gr.Plot(label="Emotion over time", show_label=False, visible=False)
                wave_plot = gr.Plot(label="Waveform", show_label=False)
                mel_plot = gr.Plot(label="Mel spectrogram", show_label=False)
                with gr.Accordion("Details", open=False):
                    details = gr.Markdown()
                    as_json = gr.JSON(label="JSON (as returned by /predict)")
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
                    with gr.Column(scale=6):
                        live_answer = gr.HTML('<div class="ser-placeholder">Press record and speak.</div>')
                        live_label = gr.Label(num_top_classes=3, label="Now")
                live_plot = gr.Plot(label="Rolling timeline", show_label=False)
                live_state = gr.State(None)
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
            api_description="Audio file → label, confidence, level, probabilities",
        )
        api_timeline_btn.click(
            api_timeline,
            api_audio,
            api_timeline_out,
            api_name="timeline",
            concurrency_id="model",
            api_description="Audio file → windows (start, end, probabilities) and overall",
        )

        result_state = gr.State(None)
        gr.on(
            [audio_in.upload, audio_in.stop_recording, analyse_btn.click],
            analyse,
            audio_in,
            [answer, label, details, as_json, result_state],
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
            lambda: (PLACEHOLDER, None, "", None, None),
            None,
            [answer, label, details, as_json, result_state],
            api_visibility="private",
        )
        live_in.stream(
            live,
            [live_in, live_state],
            [live_answer, live_label, live_plot, live_state],
            stream_every=1.0,
            time_limit=LIVE_TIME_LIMIT_S,
            api_visibility="private",
            concurrency_limit=4,
        )
    return demo


def _spans_time(windows: list[Window], hop_s: float) -> bool:
    """Whether a timeline is worth drawing: windows whose starts are at least one hop apart."""
    return len(windows) > 1 and windows[-1].start - windows[0].start >= hop_s


def _predict_or_error(predictor: Predictor, path: str | None) -> Prediction:
    if not path:
        raise gr.Error("No audio file was sent.")
    try:
        return predictor.predict(path)
    except AudioError as err:
        raise gr.Error(str(err)) from None


def load_predictor() -> Predictor:
    """The model (``$SER_MODEL_DIR``, ``$SER_MODEL_REPO`` or the bundled one), loaded and warmed up."""
    start = time.perf_counter()
    predictor = Predictor.from_pretrained()
    predictor.warmup()
    logger.info("Serving %s; ready in %.1f s", predictor.describe(), time.perf_counter() - start)
    return predictor


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
    demo = build_demo(predictor)
    demo.queue(default_concurrency_limit=2, max_size=64)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        css=CSS,
        theme=THEME,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
