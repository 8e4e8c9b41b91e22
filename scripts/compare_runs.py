#!/usr/bin/env python
"""Compare training runs: one Markdown row per bundle (CV UAR, intensity, each development
corpus's UAR and "high" precision, UAR drops on the degraded copies, ECE).

Example:
    python scripts/compare_runs.py shipped=ser/default_model world=runs/world
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ser.bundle import METRICS_FILE
from ser.cli import entry_point
from ser.metrics import comparison_table


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "runs", nargs="+", metavar="NAME=BUNDLE", help="a name and a bundle folder (or its metrics.json)"
    )
    args = p.parse_args(argv)
    runs = {}
    for run in args.runs:
        name, sep, where = run.partition("=")
        path = Path(where if sep else name)
        path = path / METRICS_FILE if path.is_dir() else path
        if not path.is_file():
            p.error(f"no {METRICS_FILE} at {path}")
        runs[name if sep else path.parent.name] = json.loads(path.read_text())
    print(comparison_table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
