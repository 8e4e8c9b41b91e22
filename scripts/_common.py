"""Helpers shared by the command-line scripts (logging, import path)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("numba", "matplotlib", "h5py", "absl", "httpx", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def parse_actors(spec: str | None) -> list[str] | None:
    """``"01-20"`` or ``"1,2,5-8"`` → zero-padded actor ids."""
    if not spec:
        return None
    out: list[str] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += [f"{a:02d}" for a in range(int(lo), int(hi or lo) + 1)]
    return out


def add_model_arguments(parser) -> None:
    """``--model-dir`` or ``--repo [--revision]`` (default: $SER_MODEL_REPO, else the bundled model)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model-dir", help="local model bundle folder (default: the bundled model)")
    group.add_argument("--repo", help="Hugging Face Hub model repo id (default: $SER_MODEL_REPO)")
    parser.add_argument("--revision", help="branch, tag or commit of --repo")


def predictor_from_args(args):
    """A :class:`ser.inference.Predictor` for the model the arguments name; exits with a clear
    message when it cannot be obtained."""
    from ser.bundle import BundleError
    from ser.hub import ModelSourceError, resolve_model
    from ser.inference import Predictor

    try:
        source = resolve_model(args.model_dir, args.repo, args.revision)
        logging.getLogger("ser").info("Model: %s", source.describe())
        return Predictor(source.path)
    except (ModelSourceError, BundleError) as err:
        raise SystemExit(f"error: {err}") from err
