"""The Hub model card: the template ``ser/model_card.md`` rendered with a bundle's metrics.

Each member type writes its own paragraph (:meth:`ser.registry.MemberType.card_text`); emotions
carry the emoji of :mod:`ser.presentation`.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ser.bundle import Bundle, uses_scaler
from ser.config import FeatureConfig, SERConfig
from ser.metrics import format_models_table, format_table
from ser.presentation import emoji

#: The card template, shipped inside the package (``model_card.md`` at the top level links to it).
TEMPLATE = Path(__file__).resolve().parent / "model_card.md"
_METRICS = (
    ("accuracy", "accuracy", "Accuracy"),
    ("uar", "recall", "UAR (unweighted average recall)"),
    ("macro_f1", "f1", "Macro-F1"),
)


def card_data(bundle: Bundle, model_name: str) -> ModelCardData:
    """YAML metadata: library, task, licence, datasets, tags and a model-index of the CV metrics."""
    summary = bundle.metrics["summary"]
    folds = len(bundle.metrics.get("folds", []))
    results = [
        EvalResult(
            task_type="audio-classification",
            task_name="Speech Emotion Recognition",
            dataset_type="ravdess",
            dataset_name=f"RAVDESS speech, actors 01-20 (speaker-disjoint {folds}-fold CV)",
            dataset_split="cross-validation",
            metric_type=metric_type,
            metric_name=name,
            metric_value=round(summary[key]["mean"], 4),
            metric_config="macro" if key != "accuracy" else None,
        )
        for key, metric_type, name in _METRICS
    ]
    return ModelCardData(
        model_name=model_name,
        library_name="keras",
        pipeline_tag="audio-classification",
        license="cc-by-nc-sa-4.0",
        language="en",
        datasets=["ravdess"],
        metrics=["accuracy", "recall", "f1"],
        eval_results=results,
        tags=["speech-emotion-recognition", "audio", "audio-classification", "keras", "ravdess", "ser"],
    )


def render_card(bundle: Bundle, repo_id: str, template: Path = TEMPLATE) -> ModelCard:
    """The card for ``bundle`` as it will be published to ``repo_id``.

    Raises:
        ValueError: The bundle has no metrics (nothing honest to put on the card).
    """
    metrics = bundle.metrics
    if not metrics or "summary" not in metrics:
        raise ValueError(
            f"{bundle.path} has no metrics.json with a CV summary; train it with scripts/train.py"
        )
    model_name = repo_id.split("/")[-1]
    report = metrics.get("report", {})
    rows = ["| emotion | precision | recall | F1 | clips |", "|---|---|---|---|---|"]
    for label in bundle.labels:
        r = report.get(label)
        if r:
            rows.append(
                f"| {emoji(label)} {label} | {r['precision']:.2f} | {r['recall']:.2f} | "
                f"{r['f1-score']:.2f} | {int(r['support'])} |"
            )
    config = bundle.config
    summary = metrics["summary"]
    return ModelCard.from_template(
        card_data(bundle, model_name),
        template_path=str(template),
        model_name=model_name,
        repo_id=repo_id,
        classes=bundle.labels,
        model_type=config.model_type,
        members=config.members,
        member_summaries=[t.description for t in config.member_types],
        member_paragraphs=[t.card_text(config, metrics) for t in config.member_types],
        fusion=config.fusion,
        uses_scaler=uses_scaler(config),
        n_folds=len(metrics.get("folds", [])),
        cv_table=format_table(summary),
        models_table=format_models_table(metrics["models"]) if "models" in metrics else None,
        intensity=summary.get("intensity_accuracy"),
        training_minutes=metrics.get("training_minutes"),
        class_table="\n".join(rows),
        external=metrics.get("external_test"),
        cross_corpus=metrics.get("cross_corpus"),
        degraded=metrics.get("degraded"),
        calibration=metrics.get("calibration"),
        summary=metrics.get("summary"),
        sample_rate=config.audio.sample_rate,
        front_end=front_end_text(config.features),
        augmentation=augmentation_text(config),
    )


def front_end_text(features: FeatureConfig) -> str:
    """The card's sentence on the noise-robust front end (:class:`ser.config.FeatureConfig`), or
    ``""`` for a model whose features read the spectrum as it is."""
    parts = []
    if features.noise_subtraction:
        parts.append(
            "a steady background estimated from the recording's pauses is subtracted from its power "
            f"spectrum (over-subtraction × {features.noise_subtraction:g})"
        )
    if features.log_mel_range_db != FeatureConfig.LEGACY["log_mel_range_db"]:
        parts.append(
            f"the log-mel spectrogram (so the MFCCs) stops {features.log_mel_range_db:g} dB below the "
            "recording's loudest point, so that a faint background reads like silence"
        )
    if not parts:
        return ""
    return (
        "Before any spectral measure is read, "
        + ", and ".join(parts)
        + "; level and pitch read the recording as it is."
    )


def augmentation_text(config: SERConfig) -> str:
    """The card's sentence on how the training copies were made (:class:`ser.config.AugmentConfig`)."""
    a, copies = config.augment, config.model.augment_copies
    if a.recipe == "basic":
        return (
            f"{copies} augmented copies of each training file (never of a test file): Gaussian noise "
            "at 10–40 dB SNR, time stretch, ±2 semitones of pitch and a random low-pass."
        )
    steps = [
        f"another voice ({a.speaker_p:.0%}: Praat's PSOLA, formants × {a.formant_ratio[0]:g}–{a.formant_ratio[1]:g}, "
        f"median pitch ±{a.pitch_semitones:g} semitones, melody range × {a.pitch_range[0]:g}–{a.pitch_range[1]:g}, "
        f"tempo × {a.tempo[0]:g}–{a.tempo[1]:g})",
        f"a room ({a.room_p:.0%}: RT60 {a.rt60_s[0]:g}–{a.rt60_s[1]:g} s, "
        + (f"one of {a.room_bank} image-source rooms" if a.room_bank else "a new simulated room per copy")
        + ", pyroomacoustics)",
        f"background ({a.noise_p:.0%}: babble of other training speakers of the same fold ({a.babble_share:.0%} "
        f"of the time) or coloured noise, {a.snr_db[0]:g}–{a.snr_db[1]:g} dB SNR)",
        f"a channel ({a.channel_p:.0%}: the telephone band at 8 kHz μ-law ({a.phone_share:.0%} of the time), "
        "or MP3/AAC/Opus at 16–96 kbit/s)",
    ]
    clean = {c.clean_weight for c in (config.cnn, config.tracks)}
    weighting = (
        f"; each epoch takes a file's clean version {clean.pop():g}× as often as one copy"
        if clean != {1.0}
        else ""
    )
    return (
        f"{copies} augmented copies of each training file (never of a test file), each through "
        + ", then ".join(steps)
        + weighting
        + "."
    )
