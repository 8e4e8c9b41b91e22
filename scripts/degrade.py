#!/usr/bin/env python
"""``python scripts/degrade.py`` runs ``ser-degrade`` (:mod:`ser.cli.degrade`); ``--help`` says how."""

from ser.cli.degrade import main

if __name__ == "__main__":
    raise SystemExit(main())
