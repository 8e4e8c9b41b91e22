"""Scores for imbalanced multi-class SER: accuracy, UAR (macro recall) and macro-F1."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    recall_score,
)

METRICS = ("accuracy", "uar", "macro_f1")
#: Reported when the model predicts intensity (normal/strong) and the labels have it.
OPTIONAL_METRICS = ("intensity_accuracy",)


def scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """Accuracy, unweighted average recall and macro-F1 of integer labels."""
    labels = list(range(n_classes))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "uar": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
    }


def calm_is_neutral(classes: Sequence[str]) -> bool:
    """Whether a corpus of ``classes`` reads RAVDESS's calm as its neutral: it has neutral and no calm."""
    return "neutral" in classes and "calm" not in classes


def subset_scores(
    truth: Sequence[str],
    predicted: Sequence[str],
    calm_as_neutral: bool = False,
    confidence: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Accuracy, UAR and macro-F1 on the classes present in ``truth``, for a corpus with fewer
    classes than the model (another corpus, another language). Any answer outside those classes
    is wrong ("strict").

    With ``calm_as_neutral``, a "calm" answer counts as "neutral" when the truth has neutral and no
    calm: RAVDESS's calm is what other corpora call neutral speech.

    With each answer's ``confidence``, ``calibration`` adds the ECE and how often each confidence
    level is right under the same rule (:func:`ser.calibration.calibration_report`).
    """
    classes = sorted(set(truth))
    if calm_as_neutral and calm_is_neutral(classes):
        predicted = ["neutral" if p == "calm" else p for p in predicted]
    index = {c: i for i, c in enumerate(classes)}
    y_true = [index[t] for t in truth]
    y_pred = [index.get(p, len(classes)) for p in predicted]  # outside the truth's classes: wrong
    labels = list(range(len(classes)))
    out: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "uar": float(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
    }
    if confidence is not None:
        from ser.calibration import calibration_report

        out["calibration"] = calibration_report(np.asarray(confidence), np.equal(y_true, y_pred))
    return out


#: The readings of a corpus with fewer classes than the model (:func:`corpus_scores`): what each means.
SUBSET_RULES = {
    "strict": "any answer outside them is wrong",
    "calm_as_neutral": "calm counts as neutral",
    "closed_set": "the model chooses among them only",
}


def closed_set(probabilities: np.ndarray, labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """The model's probabilities restricted to ``classes`` and renormalised, shape ``(n, len(classes))``,
    as cross-corpus studies score a model on the classes two corpora share. A class the model lacks
    gets 0; calm's probability goes to neutral when ``classes`` has neutral and no calm.

    Args:
        probabilities: Rows over the model's classes ``labels``, shape ``(n, len(labels))``.
        labels: The model's classes, in column order.
        classes: The classes to choose among.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    column = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(p), len(classes)))
    for j, c in enumerate(classes):
        if c in column:
            out[:, j] = p[:, column[c]]
    if calm_is_neutral(classes) and "calm" in column:
        out[:, list(classes).index("neutral")] += p[:, column["calm"]]
    return out / np.maximum(out.sum(axis=1, keepdims=True), np.finfo(float).tiny)


def corpus_scores(truth: Sequence[str], probabilities: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Scores of a corpus on its own classes under each rule of :data:`SUBSET_RULES` that applies
    (:func:`subset_scores`, with calibration): the model's answer (its most probable class) read
    strictly and with calm as neutral, and its choice among the corpus's classes
    (:func:`closed_set`).

    Args:
        truth: Each clip's true class.
        probabilities: Each clip's probabilities over ``labels``, shape ``(n, len(labels))``.
        labels: The model's classes, in column order.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    classes = sorted(set(truth))
    said, sure = [labels[i] for i in p.argmax(axis=1)], p.max(axis=1)
    out = {"strict": subset_scores(truth, said, confidence=sure)}
    if calm_is_neutral(classes) and "calm" in labels:
        out["calm_as_neutral"] = subset_scores(truth, said, calm_as_neutral=True, confidence=sure)
    chosen = closed_set(p, labels, classes)
    out["closed_set"] = subset_scores(
        truth, [classes[i] for i in chosen.argmax(axis=1)], confidence=chosen.max(axis=1)
    )
    return out


def summarise_folds(fold_scores: list[dict[str, float]]) -> dict[str, dict[str, float | list]]:
    """``{metric: {"mean", "std", "folds"}}`` over per-fold score dicts (accuracy, UAR,
    macro-F1, and intensity accuracy when every fold has it)."""
    out = {}
    optional = [m for m in OPTIONAL_METRICS if all(m in s for s in fold_scores)]
    for name in (*METRICS, *optional):
        values = np.array([s[name] for s in fold_scores])
        out[name] = {"mean": float(values.mean()), "std": float(values.std()), "folds": values.tolist()}
    return out


def report(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """Per-class precision/recall/F1/support (sklearn's report as a dict)."""
    return classification_report(
        y_true,
        y_pred,
        labels=list(range(len(classes))),
        target_names=classes,
        output_dict=True,
        zero_division=0,
    )


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix, rows = truth, columns = prediction."""
    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))


def plot_confusion(cm: np.ndarray, classes: list[str], path: str | Path, title: str = "") -> None:
    """Save a row-normalised confusion matrix (counts annotated) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.0%}\n({cm[i, j]})",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set_title(title or "Confusion matrix (row-normalised)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def format_table(summary: dict[str, dict]) -> str:
    """Markdown table of a :func:`summarise_folds` result, one column per fold."""
    n = len(next(iter(summary.values()))["folds"])
    head = "| metric | mean ± std | " + " | ".join(f"fold {i + 1}" for i in range(n)) + " |"
    rows = [head, "|" + "---|" * (n + 2)]
    for name, s in summary.items():
        folds = " | ".join(f"{v:.1%}" for v in s["folds"])
        rows.append(f"| {name} | {s['mean']:.1%} ± {s['std']:.1%} | {folds} |")
    return "\n".join(rows)


def format_models_table(models: dict[str, dict]) -> str:
    """Markdown table comparing models evaluated on the same folds: one row per model with
    accuracy, UAR and macro-F1 (mean ± std) and the UAR of each fold.

    Args:
        models: ``{name: {"summary": summarise_folds(...)}}``, as ``metrics["models"]`` holds.
    """
    n = len(next(iter(models.values()))["summary"]["uar"]["folds"])
    head = "| model | accuracy | UAR | macro-F1 | " + " | ".join(f"UAR fold {i + 1}" for i in range(n)) + " |"
    rows = [head, "|" + "---|" * (n + 4)]
    for name, result in models.items():
        s = result["summary"]
        cells = [f"{s[m]['mean']:.1%} ± {s[m]['std']:.1%}" for m in METRICS]
        folds = [f"{v:.1%}" for v in s["uar"]["folds"]]
        rows.append(f"| {name} | " + " | ".join(cells + folds) + " |")
    return "\n".join(rows)


def run_summary(metrics: dict[str, Any]) -> dict[str, float | None]:
    """One training run's headline numbers from its ``metrics.json``: CV UAR and intensity
    accuracy, each development corpus's UAR (calm counted as neutral where that rule applies)
    and "high" precision, the mean and worst UAR drop over the degraded conditions, and the CV's
    ECE (after the shipped temperature)."""
    uar = metrics["summary"]["uar"]["mean"]
    row: dict[str, float | None] = {
        "cv_uar": uar,
        "intensity": metrics["summary"].get("intensity_accuracy", {}).get("mean"),
        "cv_ece": metrics.get("calibration", {}).get("after", {}).get("ece"),
    }
    for name, result in metrics.get("cross_corpus", {}).items():
        scored = result.get("calm_as_neutral", result["strict"])
        row[f"{name}_uar"] = scored["uar"]
        high = scored.get("calibration", {}).get("levels", {}).get("high", {})
        row[f"{name}_high_precision"] = high.get("precision")
    drops = {n: uar - d["summary"]["uar"]["mean"] for n, d in metrics.get("degraded", {}).items()}
    if drops:
        row["degraded_mean_drop"] = float(np.mean(list(drops.values())))
        row["degraded_worst_drop"] = max(drops.values())
        row.update({f"drop_{n}": v for n, v in drops.items()})
    return row


def comparison_table(runs: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of :func:`run_summary` for each named run's metrics, one row per run,
    percentages for scores and drops (points), plain numbers for the ECE."""
    rows = {name: run_summary(m) for name, m in runs.items()}
    columns = list(dict.fromkeys(k for r in rows.values() for k in r))

    def cell(key: str, value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value:.3f}" if key.endswith("ece") else f"{100 * value:.1f}"

    lines = ["| run | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [
        f"| {name} | " + " | ".join(cell(k, r.get(k)) for k in columns) + " |" for name, r in rows.items()
    ]
    return "\n".join(lines)
