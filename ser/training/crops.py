"""The crop-training recipe of the convolutional member types (:class:`ser.members.conv.ConvMember`).

Each epoch sees every training file once (or, with ``balance`` or ``strong_weight``, as many
files drawn with equal weight per emotion, or with strong takes likelier or rarer), as a random one of its clean and augmented versions (the clean one
``clean_weight`` times likelier),
randomly cropped or placed in the crop, optionally cut into pieces played in a new order,
masked (SpecAugment) and mixed up. Standardisation
statistics come from the clean training files only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from ser.augment import mixup, shuffle_pieces, spec_augment
from ser.features import frame_crop

if TYPE_CHECKING:
    from ser.config import CNNConfig
    from ser.members.conv import ConvMember
    from ser.registry import FitRequest
    from ser.training.data import TrainingData

logger = logging.getLogger(__name__)


def fit_crops(member: ConvMember, request: FitRequest, epochs: int) -> Any:
    """Train ``ensemble`` models of type ``member`` (seeds ``seed``, ``seed + 1``, …) on every file
    ``request`` lets them see for ``epochs`` epochs each, averaged into one model (with
    ``speaker_adversarial``, each trained with a speaker head that is then removed)."""
    from ser.fusion import average_models
    from ser.members.conv import without_speaker_head

    data, n_classes = request.data, request.n_classes
    cc = member.settings(request.config)
    files = np.flatnonzero(request.everything)
    matrices = data.inputs[member.name]
    if member.rewrites_matrix(request.config):  # the training files' versions as the model reads them
        matrices = {
            i: [member.clip_matrix(v, request.config).astype(v.dtype) for v in matrices[i]] for i in files
        }
    frames = np.concatenate([matrices[i][0] for i in files], axis=1).astype(np.float64)
    mean, variance = frames.mean(axis=1), frames.var(axis=1)
    steps = epochs * int(np.ceil(len(files) / cc.batch_size))
    fill = mean.astype(np.float32) if member.pads_with_training_mean else None
    models = []
    for m in range(cc.ensemble):
        seed = cc.seed + m
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        batches = CropEpochs(data, matrices, files, n_classes, cc, rng, fill)
        speakers = 0 if batches.speaker_targets is None else batches.speaker_targets.shape[1]
        model = member.build(
            frames.shape[0],
            n_classes,
            mean,
            variance,
            steps,
            cc,
            intensity=data.intensity is not None,
            name=f"ser_{member.name}_{m}",
            speakers=speakers,
        )
        history = model.fit(batches, epochs=epochs, verbose=0).history
        if speakers:  # near ln(speakers): the features hide who speaks
            logger.info(
                "%s: the speaker head's loss in the last epoch %.2f (guessing among %d speakers: %.2f)",
                member.name,
                history["speaker_loss"][-1],
                speakers,
                np.log(speakers),
            )
        models.append(without_speaker_head(model))
    return average_models(models, name=f"ser_{member.name}_ensemble")


class CropEpochs(keras.utils.PyDataset):
    """Batches of augmented training crops; a fresh draw of versions, crops, masks and mixup
    partners every epoch (one ``fit`` call for the whole training).

    Args:
        data: The training set (labels and intensity).
        matrices: By file index, the per-frame matrices of its versions, clean first (every
            training file's at least).
        files: Indices of the training files.
        n_classes: Number of emotions.
        cc: Crop length, batch size, masking and mixup settings.
        rng: Source of every random draw.
        fill: Padding of short crops and masks (one value per row), or ``None`` for the
            matrix's smallest value.
    """

    def __init__(
        self,
        data: TrainingData,
        matrices: Sequence[list[np.ndarray]] | Mapping[int, list[np.ndarray]],
        files: np.ndarray,
        n_classes: int,
        cc: CNNConfig,
        rng: np.random.Generator,
        fill: np.ndarray | None,
    ) -> None:
        super().__init__()
        self.data, self.matrices, self.files, self.n_classes = data, matrices, files, n_classes
        self.cc, self.rng, self.fill = cc, rng, fill
        #: By file index, a one-hot row over the training files' speakers (``speaker_adversarial``).
        self.speaker_targets = None
        if cc.speaker_adversarial > 0:
            known, index = np.unique(data.speakers[files], return_inverse=True)
            self.speaker_targets = np.zeros((len(data), len(known)), dtype=np.float32)
            self.speaker_targets[files, index] = 1.0
        self.on_epoch_end()

    def __len__(self) -> int:
        return int(np.ceil(len(self.files) / self.cc.batch_size))

    def __getitem__(self, i: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        batch = slice(i * self.cc.batch_size, (i + 1) * self.cc.batch_size)
        x, targets = self.epoch
        return x[batch], {k: v[batch] for k, v in targets.items()}

    def on_epoch_end(self) -> None:
        """Draw the next epoch: one augmented crop of every training file, in a new order."""
        cc, rng = self.cc, self.rng
        strong = cc.strong_weight != 1.0 and self.data.intensity is not None
        if cc.balance or strong:  # draw files with weights (with replacement)
            weight = np.ones(len(self.files))
            if cc.balance:  # each emotion equally often: weight 1 / (files of its emotion)
                labels = self.data.y[self.files]
                weight /= np.bincount(labels, minlength=self.n_classes)[labels]
            if strong:
                weight *= np.where(self.data.intensity[self.files] == 1.0, cc.strong_weight, 1.0)
            files = rng.choice(self.files, size=len(self.files), p=weight / weight.sum())
        else:
            files = rng.permutation(self.files)
        n_versions = len(self.matrices[files[0]])  # every file: its clean version and as many copies
        pick = np.r_[cc.clean_weight, np.ones(n_versions - 1)]  # the clean version (first) weighted
        crops = []
        for i in files:
            if cc.clean_weight == 1.0:
                k = rng.integers(n_versions)
            else:
                k = rng.choice(n_versions, p=pick / pick.sum())
            spec = self.matrices[i][k]  # as stored (float16): frame_crop makes the crop float32
            offset = int(rng.integers(abs(spec.shape[1] - cc.frames) + 1))
            crops.append(frame_crop(spec, cc.frames, offset, fill=self.fill))
        x = spec_augment(
            shuffle_pieces(np.stack(crops), rng, cc.shuffle_share, cc.shuffle_frames),
            rng,
            cc.freq_masks,
            cc.freq_mask_bands,
            cc.time_masks,
            cc.time_mask_frames,
            fill=self.fill,
        )
        targets = {
            "emotion": emotion_targets(self.data.y[files], self.n_classes, self.data.classes, cc.calm_neutral)
        }
        if self.data.intensity is not None:
            targets["intensity"] = self.data.intensity[files, None]
        if self.speaker_targets is not None:
            targets["speaker"] = self.speaker_targets[files]
        if cc.mixup_alpha > 0:
            x, mixed = mixup(x, list(targets.values()), rng, cc.mixup_alpha)
            targets = dict(zip(targets, mixed))
        self.epoch = x, targets


def emotion_targets(
    y: np.ndarray, n_classes: int, classes: Sequence[str] = (), calm_neutral: float = 0.0
) -> np.ndarray:
    """Training targets of integer labels ``y`` ``(n,)``: one-hot rows ``(n, n_classes)``, except
    that with ``calm_neutral`` a calm file's row gives that share to neutral and a neutral file's
    to calm (:attr:`ser.config.CNNConfig.calm_neutral`; only when ``classes`` names both)."""
    targets = np.eye(n_classes, dtype=np.float32)[y]
    if calm_neutral > 0 and {"calm", "neutral"} <= set(classes):
        calm, neutral = classes.index("calm"), classes.index("neutral")
        pair = np.isin(y, (calm, neutral))
        targets[pair, calm] = targets[pair, calm] * (1 - 2 * calm_neutral) + calm_neutral
        targets[pair, neutral] = 1.0 - targets[pair, calm]
    return targets
