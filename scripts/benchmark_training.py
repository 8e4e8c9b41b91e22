#!/usr/bin/env python
"""Training speed of the convolutional members: the median time of one optimiser step (one batch
of random crops) for the default settings and for each variant, in the same run.

A variant is ``SECTION.FIELD=VALUE`` overrides of the settings (``ser.config.with_overrides``),
and ``dtype=POLICY`` builds it under that Keras dtype policy (e.g. ``mixed_bfloat16``). No data
is read; this measures what a setting costs, not what it learns (``scripts/screen.py`` does that).

Example:
    python scripts/benchmark_training.py --member cnn --variant cnn.time_pool=3 --variant dtype=mixed_bfloat16
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ser.cli import add_variant_argument, add_verbose_argument, entry_point, setup_logging
from ser.config import SERConfig, with_overrides
from ser.members.conv import ConvMember
from ser.registry import member_names, member_type


@entry_point
def main(argv: list[str] | None = None) -> int:
    conv = [m for m in member_names() if isinstance(member_type(m), ConvMember)]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--member", choices=conv, action="append", help="member type(s) to time (default: all)")
    add_variant_argument(p, "one variant: overrides and/or dtype=POLICY (repeatable)")
    p.add_argument("--steps", type=int, default=50, help="timed steps per model (after 5 untimed)")
    p.add_argument("--json", type=Path, help="write the medians (ms) here")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    from ser.training.speed import step_times

    base = SERConfig(model_type="fusion")
    variants = {}  # name → (settings, Keras dtype policy); every one checked before any is timed
    try:
        for variant in [[], *args.variant]:
            policy = next((v.partition("=")[2] for v in variant if v.startswith("dtype=")), None)
            config = with_overrides(base, [v for v in variant if not v.startswith("dtype=")])
            if policy:
                import keras

                keras.DTypePolicy(policy)  # raises ValueError for an unknown policy
            variants[" ".join(variant) or "default"] = config, policy
    except ValueError as err:
        p.error(str(err))
    results: dict[str, dict[str, float]] = {}
    for member in args.member or conv:
        baseline = None
        for name, (config, policy) in variants.items():
            median_ms = float(1000 * np.median(step_times(member, config, args.steps, policy=policy)))
            baseline = baseline or median_ms
            results.setdefault(member, {})[name] = round(median_ms, 2)
            print(
                f"{member:8s} {name:50s} {median_ms:8.1f} ms/step  × {median_ms / baseline:.2f} of the default"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
