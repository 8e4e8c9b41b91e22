"""One typed place for every setting a model depends on.

A :class:`FeatureConfig` is saved next to each trained model (``config.json``) so that a model
always knows the audio preprocessing and the features it was trained on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ser.registry import MemberType

#: Bump whenever :mod:`ser.features` changes what a feature vector means.
FEATURE_VERSION = 4


@dataclass(frozen=True)
class AudioConfig:
    """How raw audio becomes the model's input signal.

    Attributes:
        sample_rate: Rate (Hz) every input is resampled to.
        lowpass_hz: Audio above this frequency is removed so that features do not depend on
            what a resampler leaves near Nyquist.
        target_rms_dbfs: Level (dBFS RMS over the speech part) every clip is normalised to.
        silence_top_db: A frame is silence when it is this many dB below the loudest frame.
        silence_floor_dbfs: A clip whose peak is below this level is silence.
        quiet_dbfs: A clip whose peak is below this level is analysed with a "very quiet" warning.
        min_dynamic_range_db: Speech is modulated; a signal whose frame energies vary by less
            than this (10th to 95th percentile) is a steady tone or noise, not speech, unless
            :func:`ser.vad.sounds_voiced` hears a voice in it (speech over steady background).
        min_speech_s: Shortest amount of speech (seconds) a prediction is made on.
        max_duration_s: Longest input accepted (seconds).
        max_bytes: Largest encoded input accepted (bytes).
    """

    sample_rate: int = 22050
    lowpass_hz: float = 8000.0
    target_rms_dbfs: float = -20.0
    silence_top_db: float = 35.0
    silence_floor_dbfs: float = -80.0
    quiet_dbfs: float = -45.0
    min_dynamic_range_db: float = 8.0
    min_speech_s: float = 0.5
    max_duration_s: float = 600.0
    max_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters of the feature extractor (see :mod:`ser.features`).

    Attributes:
        n_fft: STFT size in samples.
        hop_length: STFT hop in samples.
        n_mels: Mel bands of the log-mel spectrogram.
        n_mel_groups: Mel bands are averaged into this many groups for the band-energy stats.
        n_mfcc: MFCCs (each with Δ and ΔΔ).
        fmin_f0: Lowest F0 searched (Hz).
        fmax_f0: Highest F0 searched (Hz).
        window_s: Length of one analysis window for the timeline (seconds).
        hop_s: Hop between analysis windows (seconds).
        noise_subtraction: Before any spectral measure is read, a steady background estimated
            from the clip's pauses is subtracted from the power spectrum with this
            over-subtraction factor (:func:`ser.features.subtract_noise`; 0: off). The level
            (energy) and pitch tracks always read the signal as it is.
        log_mel_range_db: The log-mel (and so the MFCCs and onset strength) reaches this many dB
            below the recording's loudest cell and no lower (``librosa.power_to_db``'s
            ``top_db``): what lies below, a quiet background or nothing, reads alike.

    The two front-end settings are on by default since 0.10 (× 2, 50 dB: the noise-robust front
    end); a bundle saved before a field existed means its :attr:`LEGACY` value.
    """

    #: What a field missing from a saved ``features`` section means: the extractor as it was
    #: before the field existed. A field at this value also leaves cache keys as they were.
    LEGACY: ClassVar[dict[str, float]] = {"noise_subtraction": 0.0, "log_mel_range_db": 80.0}

    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    n_mel_groups: int = 24
    n_mfcc: int = 20
    fmin_f0: float = 60.0
    fmax_f0: float = 500.0
    window_s: float = 3.0
    hop_s: float = 1.5
    noise_subtraction: float = 2.0
    log_mel_range_db: float = 50.0
    version: int = FEATURE_VERSION

    def __post_init__(self) -> None:
        if self.noise_subtraction < 0:
            raise ValueError(f"noise_subtraction must be ≥ 0 (0: off), got {self.noise_subtraction}")
        if self.log_mel_range_db <= 0:
            raise ValueError(f"log_mel_range_db must be > 0, got {self.log_mel_range_db}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        """From a saved ``features`` section; a missing field takes its :attr:`LEGACY` value."""
        return cls(**{**cls.LEGACY, **data})

    def key_fields(self) -> dict[str, Any]:
        """The settings as a cache key reads them: every field but those at their
        :attr:`LEGACY` value, so that a new field at that value keeps earlier caches valid."""
        return {k: v for k, v in dataclasses.asdict(self).items() if self.LEGACY.get(k, object()) != v}


@dataclass(frozen=True)
class ModelConfig:
    """The MLP and how it is trained (see :mod:`ser.model` and :mod:`ser.train`).

    Attributes:
        hidden: Units of the hidden Dense layers.
        dropout: Dropout after each hidden layer.
        input_noise: Std of Gaussian noise added to the standardised input in training (0: none).
        l2: L2 penalty on Dense kernels.
        learning_rate: Adam's initial rate (halved on plateaus).
        batch_size: Rows per step.
        epochs: Most epochs (early stopping usually ends sooner).
        patience: Epochs without a better validation loss before stopping.
        augment_copies: Augmented copies of each training file.
        ensemble: MLPs trained with different seeds and averaged into one model.
        refit: In cross-validation, retrain each fold on its validation speakers too, for the
            epoch count early stopping chose on them.
        seed: Seed of initialisation, shuffling and augmentation.
    """

    hidden: tuple[int, ...] = (512, 256, 128, 64)
    dropout: float = 0.5
    l2: float = 1e-3
    input_noise: float = 0.2
    learning_rate: float = 1e-3
    batch_size: int = 256
    epochs: int = 150
    patience: int = 20
    augment_copies: int = 8
    ensemble: int = 3
    refit: bool = True
    seed: int = 42


#: Augmentation recipes (:func:`ser.augment.augment`).
AUGMENT_RECIPES: tuple[str, ...] = ("basic", "world")


#: The widest F0-excursion factor of the "another speaker" step. Praat's Change gender never
#: returned (half an hour at 100 % of a core) on a RAVDESS recording from 1.32 with the formants × 0.85;
#: every factor up to 1.25 has been used on tens of thousands of copies.
MAX_PITCH_RANGE = 1.25


@dataclass(frozen=True)
class AugmentConfig:
    """How the augmented copies of training files are made (training files only; see
    :func:`ser.augment.augment`).

    ``"basic"`` (bundles before 0.5): Gaussian noise at 10–40 dB SNR, time stretch, ±2 semitones
    of pitch and a random low-pass, at the file's own rate. ``"world"``: at the model's rate, each
    copy passes through these steps in turn, each taken with its probability:

    1. another speaker (Praat's "Change gender"): formants × ``formant_ratio``, median F0 ×
       2^(±``pitch_semitones``/12), F0 excursions × ``pitch_range``, duration × ``tempo``;
    2. a reverberant room, RT60 in ``rt60_s`` (pyroomacoustics): with ``room_bank`` 0 a new
       hybrid-simulated room per copy, its late tail ray-traced with ``room_rays`` rays
       (:func:`ser.channels.room`; seeded since 0.9, so a run repeats); else one of a fixed bank
       of ``room_bank`` image-source rooms (:func:`ser.channels.room_responses`);
    3. background at an SNR drawn from ``snr_db``: babble of other training speakers (a share
       ``babble_share`` of the time) or coloured noise (white, pink, brown, blue, violet);
    4. a channel: the telephone (300–3400 Hz, 8 kHz μ-law; a share ``phone_share``) or a lossy
       codec (MP3, AAC or Opus at 16–96 kbit/s).

    Attributes:
        recipe: ``"basic"`` or ``"world"``; the other fields set the world recipe.
        speaker_p: Probability of step 1.
        formant_ratio: Range of the formant ratio.
        pitch_semitones: Largest median-F0 shift (semitones, either way).
        pitch_range: Range of the F0-excursion factor (its top at most :data:`MAX_PITCH_RANGE`).
        tempo: Range of the duration factor.
        room_p: Probability of step 2.
        rt60_s: Range of the reverberation time (s).
        room_bank: Rooms in the bank step 2 draws from (0: a new room per copy, the default
            before 0.12).
        room_rays: Rays of a new room's ray tracer (bundles before 0.9: 10,000, unseeded).
        noise_p: Probability of step 3.
        snr_db: Range of the background's SNR (dB).
        babble_share: Share of step 3 that is babble (when babble sources are given; 0.5 before 0.10).
        channel_p: Probability of step 4.
        phone_share: Share of step 4 that is the telephone (0.4 before 0.10).
    """

    #: What a field missing from a saved ``augment`` section means: the recipe as it was before
    #: the field existed (bundles before 0.9 cast 10,000 unseeded rays; bundles before the bank
    #: existed simulated a new room per copy).
    LEGACY: ClassVar[dict[str, Any]] = {"room_rays": 10_000, "room_bank": 0}

    recipe: str = "world"
    speaker_p: float = 0.7
    formant_ratio: tuple[float, float] = (0.87, 1.15)
    pitch_semitones: float = 3.0
    pitch_range: tuple[float, float] = (0.8, 1.25)
    tempo: tuple[float, float] = (0.85, 1.2)
    room_p: float = 0.3
    rt60_s: tuple[float, float] = (0.2, 0.9)
    room_bank: int = 64
    room_rays: int = 2000
    noise_p: float = 0.6
    snr_db: tuple[float, float] = (0.0, 20.0)
    babble_share: float = 0.7
    channel_p: float = 0.5
    phone_share: float = 0.7

    def __post_init__(self) -> None:
        if self.recipe not in AUGMENT_RECIPES:
            raise ValueError(f"recipe must be one of {AUGMENT_RECIPES}, got {self.recipe!r}")
        shares = (
            self.speaker_p,
            self.room_p,
            self.noise_p,
            self.babble_share,
            self.channel_p,
            self.phone_share,
        )
        if not all(0.0 <= p <= 1.0 for p in shares):
            raise ValueError("augmentation probabilities and shares must lie in [0, 1]")
        if self.pitch_range[1] > MAX_PITCH_RANGE:
            raise ValueError(
                f"pitch_range may reach at most {MAX_PITCH_RANGE} (got {self.pitch_range[1]}): wider, Praat's "
                "Change gender can stall on a recording when the formants are lowered too"
            )
        if self.room_bank < 0:
            raise ValueError(f"room_bank must be ≥ 0, got {self.room_bank}")
        if self.room_rays < 1:
            raise ValueError(f"room_rays must be ≥ 1, got {self.room_rays}")
        for name in ("formant_ratio", "pitch_range", "tempo", "rt60_s", "snr_db"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name} must be (low, high), got {(low, high)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AugmentConfig:
        """From JSON (ranges as lists); a missing field takes its :attr:`LEGACY` value."""
        data = {**cls.LEGACY, **data}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


#: What a convolutional model may measure relative to the clip itself (``CNNConfig.centre``).
CENTRE_KINDS: tuple[str, ...] = ("pitch", "spectrum")

#: How a fusion combines its members' emotion probabilities (:func:`ser.layers.pool_probabilities`).
FUSION_RULES: tuple[str, ...] = ("arithmetic", "geometric")


@dataclass(frozen=True)
class CNNConfig:
    """A convolutional model over a crop of frames and how it is trained (see :mod:`ser.model`
    and :mod:`ser.train`).

    Serves both conv models. ``SERConfig.cnn``: a 2-D CNN over the log-mel spectrogram
    (``FeatureConfig.n_mels`` bands). ``SERConfig.tracks``: a 1-D CNN over the per-frame
    acoustic tracks (:func:`ser.features.track_matrix`). Both have one frame per
    ``FeatureConfig.hop_length`` samples, from the same STFT.

    Attributes:
        frames: Crop length in frames (192 × 256 samples at 22.05 kHz ≈ 2.2 s, as long as three
            quarters of the RAVDESS utterances); shorter speech is padded (log-mel: with the
            clip's quietest value; tracks: with the training mean), longer speech cropped
            (randomly in training, centred at inference).
        time_pool: Frames averaged together before the first convolution (cost ÷ this).
        channels: Filters of the Conv → BatchNorm → ReLU → MaxPool blocks.
        kernel_size: Width of each convolution (3 × 3 in 2-D; ``kernel_size`` frames in 1-D).
        dropout: Dropout before the output layers.
        epochs: Training epochs (one random augmented version of every training file each).
        learning_rate: Peak rate of the warm-up + cosine schedule (AdamW).
        weight_decay: AdamW's decoupled weight decay.
        batch_size: Crops per step.
        mixup_alpha: Beta(α, α) parameter of mixup (0: none).
        freq_masks: SpecAugment masks over rows (mel bands, tracks) per crop, each up to
            ``freq_mask_bands`` wide.
        freq_mask_bands: Widest row mask.
        time_masks: SpecAugment time masks per crop, each up to ``time_mask_frames`` wide.
        time_mask_frames: Widest time mask (frames).
        shuffle_share: Share of crops cut into pieces played in a random order
            (:func:`ser.augment.shuffle_pieces`; 0: none).
        shuffle_frames: Mean piece length of those crops (frames).
        intensity_weight: Loss weight of the intensity head (normal/strong), when labels have it.
        clean_weight: How much likelier each epoch is to take a file's clean version than any one
            of its augmented copies (1: all versions alike, as bundles before 0.5 were trained; 4
            with 8 copies: the clean version a third of the time).
        balance: Draw each epoch's files with equal weight per emotion (RAVDESS has half as many
            neutral files as each other emotion) instead of each file once.
        label_smoothing: Label smoothing of the emotion loss (0: none).
        strong_weight: How much likelier each epoch is to draw a file acted at strong intensity
            than one at normal intensity (RAVDESS actors performed every emotion but neutral at
            both; other corpora's emotions are mostly milder). 1: every file once (with
            ``balance``: as balance draws them); ignored when the labels have no intensity.
        calm_neutral: Share of a calm file's target given to neutral and of a neutral file's to
            calm (a soft boundary between two classes RAVDESS actors barely tell apart and that
            no other corpus separates: most have neutral and no calm; 0: one-hot targets, 0.5:
            the two merged).
        speaker_adversarial: Weight of the reversed gradient from a head that tells the training
            speakers apart (:class:`ser.layers.ReverseGradient`; domain-adversarial training
            over speakers, so that the features hide who speaks). The head exists only during
            training; 0: none.
        centre: What each clip is measured relative to itself (per-clip normalisation; the
            median over the clip, or the window at inference, is subtracted): ``"pitch"`` (F0
            over voiced frames: the speaker's register; track CNN) and ``"spectrum"`` (MFCCs or
            log-mel bands: the microphone's and channel's colouring). Empty: absolute values.
        leave_out: Groups of rows the model does not read (track CNN: the groups of
            :func:`ser.features.track_groups`, e.g. ``("chroma",)``). Empty: every row.
        pcen: Read the log-mel spectrogram through per-channel energy normalisation
            (:func:`ser.features.pcen_from_db`) instead of in dB (log-mel CNN only).
        deltas: Give the first convolution each band's slope over time (Δ over 9 frames,
            :class:`ser.layers.TimeDelta`) as a second channel beside its level (log-mel CNN only).
        keep_bands: Keep apart the frequency bands the conv blocks leave (their filters side by
            side in each frame) instead of averaging them, so the heads know in which part of the
            spectrum a pattern lies (log-mel CNN only).
        ensemble: CNNs trained with different seeds and averaged.
        seed: Seed of initialisation, crops, masks and mixup.
    """

    frames: int = 192
    time_pool: int = 2
    channels: tuple[int, ...] = (16, 32, 64, 128)
    kernel_size: int = 3
    dropout: float = 0.3
    epochs: int = 60
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    batch_size: int = 32
    mixup_alpha: float = 0.2
    freq_masks: int = 2
    freq_mask_bands: int = 8
    time_masks: int = 2
    time_mask_frames: int = 24
    shuffle_share: float = 0.0
    shuffle_frames: int = 32
    intensity_weight: float = 0.5
    clean_weight: float = 4.0
    balance: bool = False
    label_smoothing: float = 0.0
    strong_weight: float = 1.0
    calm_neutral: float = 0.0
    speaker_adversarial: float = 0.0
    centre: tuple[str, ...] = ()
    leave_out: tuple[str, ...] = ()
    pcen: bool = False
    deltas: bool = False
    keep_bands: bool = False
    ensemble: int = 1
    seed: int = 42

    def __post_init__(self) -> None:
        if not set(self.centre) <= set(CENTRE_KINDS):
            raise ValueError(f"centre must hold some of {CENTRE_KINDS}, got {self.centre!r}")
        if not 0 <= self.shuffle_share <= 1 or self.shuffle_frames < 1:
            raise ValueError(
                "shuffle_share must lie in [0, 1] and shuffle_frames be at least 1, got "
                f"{self.shuffle_share!r} and {self.shuffle_frames!r}"
            )
        if self.speaker_adversarial < 0:
            raise ValueError(f"speaker_adversarial must be at least 0, got {self.speaker_adversarial!r}")
        if self.strong_weight <= 0:
            raise ValueError(f"strong_weight must be above 0, got {self.strong_weight!r}")
        if not 0 <= self.calm_neutral <= 0.5:
            raise ValueError(f"calm_neutral must lie in [0, 0.5], got {self.calm_neutral!r}")


def _log_mel_cnn_config() -> CNNConfig:
    return CNNConfig(deltas=True, keep_bands=True)


def _track_cnn_config() -> CNNConfig:
    return CNNConfig(time_pool=1, channels=(64, 128, 128), kernel_size=5)


@dataclass(frozen=True)
class SERConfig:
    """Everything a bundle needs to reproduce its preprocessing and training.

    Attributes:
        model: The MLP over the feature vector.
        cnn: The 2-D CNN over log-mel crops (since 0.11 it reads each band's Δ and keeps the
            bands apart; a bundle saved before those fields existed did neither).
        tracks: The 1-D CNN over crops of the per-frame acoustic tracks.
        augment: How training copies are made (``"basic"`` for bundles from before this field).
        model_type: A registered single-model type (:func:`ser.registry.member_names`: ``"mlp"``,
            ``"cnn"``, ``"tracks"``, …) or ``"fusion"``.
        fusion_members: The types a fusion pools (two or more different registered types).
        fusion: How a fusion pools its members' emotion probabilities: ``"geometric"`` (the
            normalised geometric mean) or ``"arithmetic"`` (the mean; bundles from before this
            field).
        temperature: Temperature scaling of the emotion probabilities at inference
            (:func:`ser.calibration.apply_temperature`), fitted by training on the CV's
            out-of-fold predictions; 1.0 (none) for bundles from before calibration.
    """

    audio: AudioConfig = field(default_factory=AudioConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    cnn: CNNConfig = field(default_factory=_log_mel_cnn_config)
    tracks: CNNConfig = field(default_factory=_track_cnn_config)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model_type: str = "mlp"
    fusion_members: tuple[str, ...] = ("tracks", "cnn")
    fusion: str = "geometric"
    temperature: float = 1.0

    def __post_init__(self) -> None:
        from ser.registry import FUSION, member_names

        known = member_names()
        if self.model_type not in (*known, FUSION):
            raise ValueError(f"model_type must be one of {(*known, FUSION)}, got {self.model_type!r}")
        if self.fusion not in FUSION_RULES:
            raise ValueError(f"fusion must be one of {FUSION_RULES}, got {self.fusion!r}")
        members = self.fusion_members
        if len(members) < 2 or len(set(members)) != len(members) or not set(members) <= set(known):
            raise ValueError(f"fusion_members must be two or more different ones of {known}, got {members!r}")
        for t in self.member_types:
            t.validate(self)

    @property
    def members(self) -> tuple[str, ...]:
        """The single models this model type trains: ``fusion_members`` for a fusion."""
        from ser.registry import FUSION

        return self.fusion_members if self.model_type == FUSION else (self.model_type,)

    @property
    def member_types(self) -> tuple[MemberType, ...]:
        """The registered types of :attr:`members` (:class:`ser.registry.MemberType`)."""
        from ser.registry import member_type

        return tuple(member_type(m) for m in self.members)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the model's inputs, in member order."""
        return tuple(t.input_name for t in self.member_types)

    def without_copies(self) -> SERConfig:
        """The same settings with no augmented copies: how test, degraded and development files
        are read."""
        return dataclasses.replace(self, model=dataclasses.replace(self.model, augment_copies=0))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SERConfig:
        """Inverse of :meth:`to_dict`; unknown keys are rejected."""
        model = dict(data.get("model", {}))
        if "hidden" in model:
            model["hidden"] = tuple(model["hidden"])
        convs = {}
        for key in ("cnn", "tracks"):
            # bundles from before these fields took every version alike
            conv = {"clean_weight": 1.0, **data.get(key, {})}
            for name in ("channels", "centre"):
                if name in conv:
                    conv[name] = tuple(conv[name])
            convs[key] = conv
        return cls(
            audio=AudioConfig(**data.get("audio", {})),
            features=FeatureConfig.from_dict(data.get("features", {})),
            model=ModelConfig(**model),
            cnn=CNNConfig(**convs["cnn"]),
            tracks=dataclasses.replace(_track_cnn_config(), **convs["tracks"]),
            augment=AugmentConfig.from_dict(data.get("augment", {"recipe": "basic"})),
            model_type=data.get("model_type", "mlp"),
            # bundles from before these fields fused the MLP and the CNN by the arithmetic mean
            fusion_members=tuple(data.get("fusion_members", ("mlp", "cnn"))),
            fusion=data.get("fusion", "arithmetic"),
            temperature=float(data.get("temperature", 1.0)),
        )


def with_overrides(config: SERConfig, pairs: list[str]) -> SERConfig:
    """``config`` with ``SECTION.FIELD=VALUE`` (or top-level ``FIELD=VALUE``) overrides, each value
    read as the field's current value is typed: ``true``/``false`` for flags, comma-separated for
    tuples (``tracks.centre=pitch``, ``augment.snr_db=5,20``).

    Raises:
        ValueError: An unknown field, a value of the wrong type, or settings the config rejects.
    """
    for pair in pairs:
        key, sep, text = pair.partition("=")
        section, _, name = key.rpartition(".")
        owner = getattr(config, section, None) if section else config
        if not sep or not dataclasses.is_dataclass(owner):
            raise ValueError(f"expected SECTION.FIELD=VALUE naming a setting of SERConfig, got {pair!r}")
        known = [f.name for f in dataclasses.fields(owner)]
        if name not in known:
            raise ValueError(f"{section or 'SERConfig'} has no setting {name!r} (known: {', '.join(known)})")
        value = _typed(getattr(owner, name), text)
        owner = dataclasses.replace(owner, **{name: value})
        config = owner if not section else dataclasses.replace(config, **{section: owner})
    return config


def _typed(current: Any, text: str) -> Any:
    """``text`` as a value of ``current``'s type."""
    if isinstance(current, bool):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"expected true or false, got {text!r}")
        return text.lower() in ("true", "1")
    if isinstance(current, tuple):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        kind = type(current[0]) if current else str
        return tuple(kind(p) for p in parts)
    return type(current)(text)
