"""The root of every error ``ser`` raises on purpose.

Each error's ``str()`` is a message for a person: what is wrong and what to do. Entry points
(the app, the ``ser-*`` commands) print it and exit with status 1, never with a traceback.

Subclasses, one per concern, live next to the code that raises them:
:class:`ser.audio.AudioError` (a recording cannot be used), :class:`ser.bundle.BundleError` (a
model folder is incomplete or does not fit this code), :class:`ser.hub.ModelSourceError` (the
model cannot be obtained), :class:`ser.hub.PublishError` (a bundle cannot be published) and
:class:`ser.datasets.DatasetError` (a corpus or manifest cannot be read).
"""

from __future__ import annotations


class SERError(Exception):
    """Base class of every error ``ser`` raises on purpose; ``str(err)`` is user-facing."""
