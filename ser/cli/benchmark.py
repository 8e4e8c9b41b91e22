"""``ser-benchmark``: feature extraction and prediction latency, medians, against baselines in the same run.

- features: ``ser.features.extract`` vs a straightforward per-feature librosa implementation of
  the same feature list (pyin over six octaves, CQT tonnetz, one STFT per feature);
- model call: ``model.predict`` vs a direct call vs ``predict_on_batch`` on one row;
- end to end: ``Predictor.predict`` on a 3 s clip and on a 60 s recording with its timeline.

Example (the README's numbers: a RAVDESS clip, the middle one of actor 01):
    ser-benchmark --repeats 30 --clip ../shared/data/ravdess/Actor_01 --json benchmark.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ser.audio import SUPPORTED_EXTENSIONS
from ser.cli import add_model_arguments, add_verbose_argument, entry_point, load_predictor, setup_logging
from ser.datasets import DatasetError
from ser.synthetic import synth_speech


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1000)


def straightforward_features(y: np.ndarray, sr: int) -> np.ndarray:
    """The same feature families, computed the obvious way: each librosa call on the waveform."""
    import librosa

    def ms(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x.mean(axis=-1), x.std(axis=-1)])

    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    f0, _, _ = librosa.pyin(y, fmin=librosa.note_to_hz("C2"), fmax=librosa.note_to_hz("C7"), sr=sr)
    f0 = f0[np.isfinite(f0)] if np.any(np.isfinite(f0)) else np.zeros(1)
    onset = librosa.onset.onset_strength(y=y, sr=sr)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=64))
    return np.concatenate(
        [
            ms(librosa.feature.zero_crossing_rate(y)),
            ms(librosa.feature.rms(y=y)),
            ms(librosa.feature.spectral_centroid(y=y, sr=sr)),
            ms(librosa.feature.spectral_bandwidth(y=y, sr=sr)),
            ms(librosa.feature.spectral_rolloff(y=y, sr=sr)),
            ms(librosa.feature.spectral_flatness(y=y)),
            ms(librosa.feature.spectral_contrast(y=y, sr=sr)),
            ms(mfcc),
            librosa.feature.delta(mfcc).std(axis=1),
            librosa.feature.delta(mfcc, order=2).std(axis=1),
            ms(librosa.feature.chroma_stft(y=y, sr=sr)),
            ms(librosa.feature.tonnetz(y=y, sr=sr)),
            [onset.mean(), onset.std(), float(librosa.feature.tempo(y=y, sr=sr)[0])],
            [f0.mean(), f0.std()],
            ms(mel),
        ]
    )


def benchmark_clip(seconds: float, clip: str | Path | None = None) -> tuple[np.ndarray, int, str]:
    """``clip`` (a file, or the middle audio file of a folder) looped to ``seconds``, or
    synthetic speech when ``clip`` is ``None``: ``(samples, sample_rate, what it is)``."""
    import soundfile as sf

    if clip is None:
        y, sr, source = synth_speech(4.0), 22050, "synthetic speech"
    else:
        path = Path(clip)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
            if not files:
                raise DatasetError(f"no audio files in {path}")
            path = files[len(files) // 2]
        y, sr = sf.read(path, dtype="float32", always_2d=True)
        y, source = y.mean(axis=1), path.name
    reps = int(np.ceil(seconds * sr / len(y)))
    return np.tile(y, reps)[: int(seconds * sr)], sr, source


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-benchmark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_model_arguments(p)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument(
        "--clip", help="audio file, or a folder (its middle file), to time (default: synthetic speech)"
    )
    p.add_argument("--json", help="write the medians here")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)

    import librosa

    from ser.audio import load_audio
    from ser.features import BAND_HZ, extract, frame_crop
    from ser.inputs import model_inputs

    y3, sr, source = benchmark_clip(3.0, args.clip)
    audio = load_audio((sr, y3))
    speech = audio.signal  # the whole 3 s, prepared as the model sees it
    results: dict[str, float] = {}
    results["features_ms"] = median_ms(lambda: extract(speech, audio.sample_rate), args.repeats)
    results["features_straightforward_ms"] = median_ms(
        lambda: straightforward_features(speech, audio.sample_rate), max(3, args.repeats // 6), warmup=1
    )
    results["features_speedup"] = results["features_straightforward_ms"] / results["features_ms"]

    predictor = load_predictor(args)
    predictor.warmup()
    config = predictor.config
    # the same pass, also cutting every input the model takes
    results["features_and_inputs_ms"] = median_ms(
        lambda: model_inputs(speech, audio.sample_rate, config), args.repeats
    )
    inputs = model_inputs(speech, audio.sample_rate, config)
    row = predictor.model_input(inputs.by_name())
    model = predictor.bundle.model
    results["model_predict_ms"] = median_ms(lambda: model.predict(row, verbose=0), args.repeats)
    results["model_direct_call_ms"] = median_ms(lambda: model(row, training=False), args.repeats)
    results["model_predict_on_batch_ms"] = median_ms(lambda: model.predict_on_batch(row), args.repeats)
    cnn = next((m for m in [model, *model.layers] if m.name.startswith("ser_cnn")), None)
    if cnn is not None:  # the CNN alone, from the waveform: its own mel spectrogram + the network

        def cnn_alone() -> None:
            power = (
                np.abs(
                    librosa.stft(speech, n_fft=config.features.n_fft, hop_length=config.features.hop_length)
                )
                ** 2
            )
            mel = librosa.feature.melspectrogram(
                S=power, sr=audio.sample_rate, n_mels=config.features.n_mels, fmax=BAND_HZ
            )
            crop = frame_crop(librosa.power_to_db(mel, ref=1.0, top_db=80.0), config.cnn.frames)
            cnn.predict_on_batch(crop[None])

        results["cnn_alone_with_spectrogram_ms"] = median_ms(cnn_alone, args.repeats)
    results["predict_3s_ms"] = median_ms(lambda: predictor.predict((sr, y3)), args.repeats)
    y60, _, _ = benchmark_clip(60.0, args.clip)
    results["predict_60s_timeline_ms"] = median_ms(
        lambda: predictor.predict((sr, y60)), max(3, args.repeats // 5)
    )

    print(f"clip: {source} ({sr} Hz); medians over {args.repeats} runs (fewer for the slow ones)\n")
    print(f"{'measure':<34} {'median':>10}")
    for name, value in results.items():
        unit = "×" if name.endswith("speedup") else " ms"
        print(f"{name:<34} {value:>9.1f}{unit}")
    if args.json:
        Path(args.json).write_text(json.dumps({"clip": source, **results}, indent=2) + "\n")
    return 0
