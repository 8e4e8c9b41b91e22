"""The built-in model types, registered on import (see :mod:`ser.registry`).

- :mod:`ser.members.mlp`     ``"mlp"``: an MLP over the summary-feature vector
- :mod:`ser.members.logmel`  ``"cnn"``: a 2-D CNN over a log-mel crop
- :mod:`ser.members.tracks`  ``"tracks"``: a 1-D CNN over a crop of the acoustic tracks
- :mod:`ser.members.conv`    what the two CNNs share

None of them imports TensorFlow until a model is built or trained.
"""

from ser.members.logmel import LOGMEL_CNN, LogMelCNN
from ser.members.mlp import MLP, MLP_TYPE, build_mlp
from ser.members.tracks import TRACK_CNN, TrackCNN

__all__ = ["LOGMEL_CNN", "MLP", "MLP_TYPE", "TRACK_CNN", "LogMelCNN", "TrackCNN", "build_mlp"]
