#!/usr/bin/env python
"""``python scripts/publish.py`` runs ``ser-publish`` (:mod:`ser.cli.publish`); ``--help`` says how."""

from ser.cli.publish import main

if __name__ == "__main__":
    raise SystemExit(main())
