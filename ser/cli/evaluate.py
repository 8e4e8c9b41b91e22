"""``ser-evaluate``: predict emotions for files, folders or a CSV, and score them when the truth is known.

Examples:
    ser-evaluate --file clip.wav
    ser-evaluate --directory recordings/ --labels-from-filenames --json out.json
    ser-evaluate --manifest corpus.csv --jobs 2   # path,label[,speaker] (training's format)
    ser-evaluate --csv truth.csv                  # file_path,true_emotion

Exit status: 0 when every file was evaluated, 1 when any failed or on an error (no model, an
unreadable manifest), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path

from ser.audio import SUPPORTED_EXTENSIONS, AudioError
from ser.cli import add_model_arguments, add_verbose_argument, entry_point, load_predictor, setup_logging
from ser.datasets import DatasetError, manifest_items, parse_ravdess_name
from ser.emotions import is_strong
from ser.inference import Prediction
from ser.metrics import confusion, report, scores, subset_scores

logger = logging.getLogger("evaluate")


def collect(args: argparse.Namespace) -> list[tuple[Path, str | None]]:
    """Every requested file with its true label (or None), in a stable order, without repeats."""
    rows: dict[Path, str | None] = {}
    for f in args.file or []:
        rows[Path(f)] = None
    for d in args.directory or []:
        root = Path(d)
        if not root.is_dir():
            raise DatasetError(f"not a folder: {root}")
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS:
                rows.setdefault(p, None)
    for item in manifest_items(args.manifest) if args.manifest else []:
        rows[item.path] = item.label.lower()
    if args.csv:
        csv_path = Path(args.csv)
        if not csv_path.is_file():
            raise DatasetError(f"CSV not found: {csv_path}")
        with csv_path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            if not {"file_path", "true_emotion"} <= set(reader.fieldnames or []):
                raise DatasetError(
                    f"{csv_path} needs the columns file_path,true_emotion (or pass a path,label "
                    "manifest with --manifest)"
                )
            for r in reader:
                p = Path(r["file_path"])
                rows[p if p.is_absolute() else csv_path.parent / p] = r["true_emotion"].strip().lower()
    if args.labels_from_filenames:
        for p, truth in rows.items():
            if truth is None:
                try:
                    rows[p] = parse_ravdess_name(p.name)["emotion"]
                except ValueError:
                    logger.warning("%s does not follow RAVDESS naming; no true label", p.name)
    return list(rows.items())


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_model_arguments(p)
    p.add_argument("--file", action="append", help="an audio file (repeatable)")
    p.add_argument("--directory", action="append", help="a folder, searched recursively (repeatable)")
    p.add_argument(
        "--manifest",
        help="CSV with path,label[,speaker][,intensity], as training takes (paths relative to it)",
    )
    p.add_argument("--csv", help="CSV with file_path,true_emotion (paths relative to the CSV)")
    p.add_argument(
        "--labels-from-filenames", action="store_true", help="take the true emotion from RAVDESS file names"
    )
    p.add_argument("--jobs", type=int, default=1, help="feature-extraction processes (-1: all cores)")
    p.add_argument("--json", help="write per-file rows and the summary here")
    p.add_argument("--quiet", action="store_true", help="no per-file table")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    if not (args.file or args.directory or args.manifest or args.csv):
        p.error("give --file, --directory, --manifest or --csv")

    files = collect(args)
    if not files:
        print("no audio files found", file=sys.stderr)
        return 1
    predictor = load_predictor(args)
    results = predictor.predict_many([str(f) for f, _ in files], jobs=args.jobs, progress=True)

    rows, failed = [], []
    for (path, truth), res in zip(files, results):
        if isinstance(res, AudioError):
            failed.append({"file": str(path), "error": str(res), "error_type": type(res).__name__})
            continue
        assert isinstance(res, Prediction)
        rows.append(
            {
                "file": str(path),
                "true": truth,
                "true_intensity": _ravdess_intensity(path) if args.labels_from_filenames else None,
                "predicted": res.label,
                "intensity": res.intensity,
                "intensity_strong": res.intensity_strong,
                "confidence": round(res.confidence, 4),
                "level": res.level,
                "correct": None if truth is None else truth == res.label,
                "probabilities": {k: round(v, 4) for k, v in res.probabilities.items()},
                "warnings": res.warnings,
            }
        )

    if not args.quiet:
        _print_table(rows)
    summary = _summarise(rows, failed, predictor.labels)
    if failed:
        print(f"\n{len(failed)} file(s) failed:")
        for f in failed:
            print(f"  {f['file']}: {f['error']}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"model": predictor.bundle.name, "summary": summary, "rows": rows, "failed": failed}, indent=2
            )
            + "\n"
        )
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


def _ravdess_intensity(path: Path) -> str | None:
    try:
        return parse_ravdess_name(path.name)["intensity"]
    except ValueError:
        return None


def _intensity_accuracy(rows: list[dict]) -> dict:
    """Accuracy of normal/strong where both the truth and the model's P(strong) are known."""
    known = [r for r in rows if r["true_intensity"] and r["intensity_strong"] is not None]
    if not known:
        return {}
    hits = [is_strong(r["intensity_strong"]) == (r["true_intensity"] == "strong") for r in known]
    accuracy = sum(hits) / len(hits)
    print(f"intensity (normal/strong): accuracy {accuracy:.1%} over {len(known)} file(s)")
    return {"intensity_accuracy": accuracy, "n_intensity": len(known)}


def _summarise(rows: list[dict], failed: list[dict], labels: list[str]) -> dict:
    summary: dict = {"n": len(rows), "failed": len(failed)}
    scored = [r for r in rows if r["true"] is not None]
    unknown = sorted({r["true"] for r in scored} - set(labels))
    if unknown:
        logger.warning("true labels %s are not among the model's classes; not scored", unknown)
    scored = [r for r in scored if r["true"] in labels]
    if not scored:
        return summary
    index = {c: i for i, c in enumerate(labels)}
    y_true = [index[r["true"]] for r in scored]
    y_pred = [index[r["predicted"]] for r in scored]
    summary.update(
        {
            "n_scored": len(scored),
            **scores(y_true, y_pred, len(labels)),
            "report": report(y_true, y_pred, labels),
            "confusion_matrix": confusion(y_true, y_pred, len(labels)).tolist(),
            "classes": labels,
        }
    )
    print(
        f"\nscored {len(scored)} file(s): accuracy {summary['accuracy']:.1%}  "
        f"UAR {summary['uar']:.1%}  macro-F1 {summary['macro_f1']:.1%}\n"
    )
    print(f"{'class':<10} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}")
    for c in labels:
        r = summary["report"][c]
        print(
            f"{c:<10} {r['precision']:>9.2f} {r['recall']:>7.2f} {r['f1-score']:>6.2f} {int(r['support']):>5}"
        )
    print("\nconfusion matrix (rows: true, columns: predicted)")
    print(" " * 10 + "".join(f"{c[:5]:>6}" for c in labels))
    for c, line in zip(labels, summary["confusion_matrix"]):
        print(f"{c:<10}" + "".join(f"{v:>6}" for v in line))
    summary.update(_intensity_accuracy(scored))
    present = sorted({r["true"] for r in scored})
    if len(present) < len(labels):  # another corpus: score on its own classes too
        truth, predicted = [r["true"] for r in scored], [r["predicted"] for r in scored]
        summary["subset"] = {"classes": present, "strict": subset_scores(truth, predicted)}
        rules = [("strict", "any answer outside them is wrong")]
        if "neutral" in present and "calm" not in present and "calm" in labels:
            summary["subset"]["calm_as_neutral"] = subset_scores(truth, predicted, calm_as_neutral=True)
            rules.append(("calm_as_neutral", "calm counts as neutral"))
        print(f"\non the truth's {len(present)} classes ({', '.join(present)}):")
        for key, rule in rules:
            s = summary["subset"][key]
            print(
                f"  {key:<16} accuracy {s['accuracy']:.1%}  UAR {s['uar']:.1%}  macro-F1 {s['macro_f1']:.1%}"
                f"  ({rule})"
            )
    return summary


def _print_table(rows: list[dict]) -> None:
    if not rows:
        return
    width = min(60, max(len(Path(r["file"]).name) for r in rows))
    print(f"\n{'file':<{width}}  {'true':<9} {'predicted':<9} {'intensity':<9} {'conf':>5}  level")
    for r in rows:
        mark = "" if r["correct"] is None else ("✓" if r["correct"] else "✗")
        print(
            f"{Path(r['file']).name[:width]:<{width}}  {r['true'] or '-':<9} {r['predicted']:<9} "
            f"{r['intensity'] or '-':<9} {r['confidence']:>5.0%}  {r['level']:<6} {mark}"
        )
