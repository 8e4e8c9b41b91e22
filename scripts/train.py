#!/usr/bin/env python
"""``python scripts/train.py`` runs ``ser-train`` (:mod:`ser.cli.train`); ``--help`` says how."""

from ser.cli.train import main

if __name__ == "__main__":
    raise SystemExit(main())
