#!/usr/bin/env python
"""``python scripts/evaluate.py`` runs ``ser-evaluate`` (:mod:`ser.cli.evaluate`); ``--help`` says how."""

from ser.cli.evaluate import main

if __name__ == "__main__":
    raise SystemExit(main())
