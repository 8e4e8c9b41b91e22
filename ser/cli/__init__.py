"""The command-line entry points (``ser-evaluate``, ``ser-train``, ``ser-publish``,
``ser-benchmark``) and what they share: logging, model arguments, and turning a
:class:`ser.errors.SERError` into a clear message and exit status 1.

``scripts/*.py`` are thin wrappers over these, so that the repository's commands work too.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ser.errors import SERError

if TYPE_CHECKING:
    from ser.inference import Predictor

#: Libraries whose INFO logs are noise for people running the commands.
NOISY_LOGGERS = (
    "numba",
    "matplotlib",
    "h5py",
    "absl",
    "httpx",
    "httpx2",
    "urllib3",
    "filelock",
    "tensorflow",
)


def setup_logging(verbose: bool = False, tensorflow: bool = True) -> None:
    """INFO logs of ``ser`` to stderr (DEBUG with ``verbose``), other libraries at WARNING.

    When this process will use ``tensorflow``, it is imported now with its C++ and absl start-up
    logs kept off the screen unless ``verbose`` (call this before anything imports TensorFlow).
    """
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    elif tensorflow:
        import_tensorflow_quietly()
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with the process's stderr (file descriptor 2) sent to
    ``/dev/null``: absl writes its start-up lines ("All log messages before
    absl::InitializeLog()…", oneDNN notices) from C++ before any log level applies."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logs, TensorFlow's own logs and tracebacks"
    )


def add_variant_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """``--variant SECTION.FIELD=VALUE …`` (repeatable): one variant's settings overrides per use
    (:func:`ser.config.with_overrides`), as ``args.variant``, a list of lists."""
    parser.add_argument(
        "--variant", nargs="+", action="append", default=[], metavar="SECTION.FIELD=VALUE", help=help
    )


def add_fit_processes_argument(parser: argparse.ArgumentParser) -> None:
    """``--fit-processes``: member fits at once, each in its own process (default 2)."""
    parser.add_argument(
        "--fit-processes",
        type=int,
        default=2,
        help="member models trained at once, each in its own process (default 2; 1: one after the "
        "other in this process); the models and numbers are the same for any value",
    )


def add_fold_arguments(parser: argparse.ArgumentParser, base_help: str) -> None:
    """What a one-fold study (``scripts/screen.py``, ``scripts/noise_probe.py``) needs: RAVDESS
    (actors 1-20) or a manifest, ``--fold``/``--folds``, ``--base`` (a bundle whose settings it
    trains), the feature cache, ``--jobs`` and ``--fit-processes``."""
    from ser.bundle import DEFAULT_BUNDLE_DIR

    add_corpus_arguments(parser, actors="1-20")
    parser.add_argument("--fold", type=int, required=True, help="the CV fold to test on (1-based)")
    parser.add_argument("--folds", type=int, default=5, help="speaker-disjoint CV folds (default 5)")
    parser.add_argument("--base", default=str(DEFAULT_BUNDLE_DIR), help=base_help)
    parser.add_argument("--cache-dir", default=".cache/features", help="feature cache ('' to disable)")
    parser.add_argument("--jobs", type=int, default=1, help="feature-extraction processes")
    add_fit_processes_argument(parser)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model-dir`` or ``--repo-id [--revision]`` (default: ``$SER_MODEL_DIR``, else
    ``$SER_MODEL_REPO``, else the bundled model)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model-dir", help="local model bundle folder (default: the bundled model)")
    group.add_argument("--repo-id", help="Hugging Face Hub model repo, user/name (default: $SER_MODEL_REPO)")
    parser.add_argument("--revision", help="branch, tag or commit of --repo-id")


def add_corpus_arguments(parser: argparse.ArgumentParser, actors: str | None = None) -> None:
    """``--data`` (a RAVDESS folder) with ``--actors``, or ``--manifest`` (see :func:`corpus_items`)."""
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="RAVDESS folder (Actor_XX/…, RAVDESS file names)")
    src.add_argument(
        "--manifest", help="CSV with path,label[,speaker][,intensity] (paths relative to the CSV)"
    )
    parser.add_argument(
        "--actors",
        default=actors,
        help=f"RAVDESS actors, e.g. 1-4 or 1,3,5-8 (default {actors or 'all'}; 21-24 are the withheld "
        "external test)",
    )


def parse_actors(spec: str | None) -> list[str] | None:
    """``"01-20"`` or ``"1,2,5-8"`` → zero-padded actor ids."""
    if not spec:
        return None
    out: list[str] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += [f"{a:02d}" for a in range(int(lo), int(hi or lo) + 1)]
    return out


def corpus_items(args: argparse.Namespace) -> list:
    """The labelled items :func:`add_corpus_arguments` names (RAVDESS labels are checked)."""
    from ser.datasets import check_labels, manifest_items, ravdess_items

    if args.data:
        items = ravdess_items(args.data, parse_actors(args.actors))
        check_labels(items)
        return items
    return manifest_items(args.manifest)


def load_predictor(args: argparse.Namespace) -> Predictor:
    """The :class:`ser.inference.Predictor` the model arguments name (see :func:`add_model_arguments`)."""
    from pathlib import Path

    from ser.inference import Predictor

    return Predictor.from_pretrained(Path(args.model_dir) if args.model_dir else args.repo_id, args.revision)


def entry_point(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Wrap a command's ``main``: a :class:`SERError` becomes ``error: <message>`` on stderr and
    exit status 1 (with ``--verbose`` in the arguments, its traceback too); Ctrl-C exits with 130."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        args = sys.argv[1:] if argv is None else argv
        try:
            return main(argv)
        except SERError as err:
            if "-v" in args or "--verbose" in args:
                logging.getLogger("ser").exception("failed")
            print(f"error: {err}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return run
