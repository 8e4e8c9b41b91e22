#!/usr/bin/env python
"""``python scripts/benchmark.py`` runs ``ser-benchmark`` (:mod:`ser.cli.benchmark`); ``--help`` says how."""

from ser.cli.benchmark import main

if __name__ == "__main__":
    raise SystemExit(main())
