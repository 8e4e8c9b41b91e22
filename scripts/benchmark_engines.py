#!/usr/bin/env python
"""``python scripts/benchmark_engines.py`` runs ``ser-benchmark-engines`` (:mod:`ser.cli.benchmark_engines`)."""

from ser.cli.benchmark_engines import main

if __name__ == "__main__":
    raise SystemExit(main())
