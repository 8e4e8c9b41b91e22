#!/usr/bin/env python
"""Benchmark the app as a client sees it, against in-process baselines in the same run (medians).

- ``/predict`` through ``gradio_client`` on a 3 s clip  vs  ``Predictor.predict`` on the same file;
- ``/timeline`` on a 60 s recording                       vs  ``Predictor.predict`` on it;
- start to ready: ``python app.py`` until ``/predict`` answers  vs  importing its libraries only.

Example:
    python scripts/benchmark_app.py --repeats 20 --clip ../shared/data/ravdess/Actor_01
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import soundfile as sf

from ser.cli import setup_logging
from ser.cli.benchmark import benchmark_clip, median_ms

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_to_ready_s(clip: str, timeout_s: float = 120.0) -> float:
    """Seconds from launching ``python app.py`` until ``/predict`` answers."""
    from gradio_client import Client, handle_file

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - start < timeout_s:
            try:
                Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
                    handle_file(clip), api_name="/predict"
                )
                return time.perf_counter() - start
            except Exception:  # not up yet
                time.sleep(0.2)
        raise TimeoutError("app did not become ready")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def import_only_s() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import gradio, keras, librosa, tensorflow"],
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return time.perf_counter() - start


def _import_app() -> ModuleType:
    """``app.py`` of this repository, imported by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("app", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--skip-startup", action="store_true")
    p.add_argument(
        "--clip", help="audio file, or a folder (its middle file), to time (default: synthetic speech)"
    )
    args = p.parse_args(argv)
    setup_logging()

    from gradio_client import Client, handle_file

    from ser import Predictor

    app = _import_app()

    tmp = Path(tempfile.mkdtemp())
    y3, sr, source = benchmark_clip(3.0, args.clip)
    y60, _, _ = benchmark_clip(60.0, args.clip)
    clip3, clip60 = tmp / "clip3.wav", tmp / "clip60.wav"
    sf.write(clip3, y3, sr)
    sf.write(clip60, y60, sr)

    predictor = Predictor.from_pretrained()
    predictor.warmup()
    demo = app.build_demo(predictor)
    demo.queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)

    r: dict[str, float] = {}
    r["direct_predict_3s_ms"] = median_ms(lambda: predictor.predict(str(clip3)), args.repeats)
    r["api_predict_3s_ms"] = median_ms(
        lambda: client.predict(handle_file(str(clip3)), api_name="/predict"), args.repeats
    )
    r["direct_predict_60s_ms"] = median_ms(lambda: predictor.predict(str(clip60)), max(3, args.repeats // 4))
    r["api_timeline_60s_ms"] = median_ms(
        lambda: client.predict(handle_file(str(clip60)), api_name="/timeline"), max(3, args.repeats // 4)
    )
    demo.close()
    if not args.skip_startup:
        r["import_only_s"] = float(np.median([import_only_s() for _ in range(2)]))
        r["start_to_ready_s"] = float(np.median([start_to_ready_s(str(clip3)) for _ in range(2)]))

    print(f"clip: {source}; medians\n")
    for name, value in r.items():
        print(f"{name:<26} {value:>9.1f} {'s' if name.endswith('_s') else 'ms'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
