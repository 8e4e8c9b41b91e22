"""``ser-evaluate``: predict emotions for files, folders or a CSV, and score them when the truth is known.

Examples:
    ser-evaluate --file clip.wav
    ser-evaluate --directory recordings/ --labels-from-filenames --json out.json
    ser-evaluate --manifest corpus.csv --jobs 2   # path,label[,speaker] (training's format)
    ser-evaluate --csv truth.csv                  # file_path,true_emotion
    ser-evaluate --directory s3://bucket/calls/ --engine ray --address head:6379 --output calls.parquet

Engines: ``local`` (default; features in --jobs processes, the model in this one) and ``ray``
(Ray Data on a local Ray with --jobs CPUs, or the cluster at --address; ``pip install 'ser[ray]'``).
Paths may be fsspec URLs when the filesystem's package is installed.

Exit status: 0 when every file was evaluated, 1 when any failed or on an error (no model, an
unreadable manifest, an unreachable cluster), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ser.batch import FileJob, collect_jobs, score_local
from ser.calibration import calibration_report
from ser.cli import add_model_arguments, add_verbose_argument, entry_point, setup_logging
from ser.emotions import is_strong
from ser.metrics import SUBSET_RULES, confusion, corpus_scores, report, scores
from ser.results import OUTPUT_FORMATS, ResultWriter, probability_column

logger = logging.getLogger("evaluate")

#: What a scored row keeps in memory for the summary when the rows go to --output (and the
#: probability of each class).
SUMMARY_KEYS = ("path", "true_label", "true_intensity", "label", "confidence", "p_strong")


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_model_arguments(p)
    p.add_argument("--file", action="append", default=[], help="an audio file or URL (repeatable)")
    p.add_argument(
        "--directory", action="append", default=[], help="a folder or URL, searched recursively (repeatable)"
    )
    p.add_argument(
        "--manifest",
        help="CSV with path,label[,speaker][,intensity], as training takes (paths relative to it)",
    )
    p.add_argument("--csv", help="CSV with file_path,true_emotion (paths relative to the CSV)")
    p.add_argument(
        "--labels-from-filenames", action="store_true", help="take the true emotion from RAVDESS file names"
    )
    p.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="where to run (default: local)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="feature processes (local) or the local Ray's CPUs (-1: all cores)",
    )
    p.add_argument("--address", help="Ray cluster to join, host:port or ray://host:port (--engine ray)")
    p.add_argument("--actors", type=int, default=1, help="model actors (--engine ray; default 1)")
    p.add_argument(
        "--output", help=f"write one row per file here as the run goes ({' or '.join(OUTPUT_FORMATS)})"
    )
    p.add_argument("--json", help="write the summary here (and the per-file rows unless --output)")
    p.add_argument("--quiet", action="store_true", help="no per-file table")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose, tensorflow=args.engine == "local")  # Ray's actors load the model
    if not (args.file or args.directory or args.manifest or args.csv):
        p.error("give --file, --directory, --manifest or --csv")
    if args.address and args.engine != "ray":
        p.error("--address needs --engine ray")

    jobs = collect_jobs(args.file, args.directory, args.manifest, args.csv, args.labels_from_filenames)
    if not jobs:
        print("no audio files found", file=sys.stderr)
        return 1
    labels, batches, model_name = _engine(args, jobs)

    from tqdm.auto import tqdm

    keep_all = not args.output  # with --output the rows live in the file, not in memory
    summary_keys = [*SUMMARY_KEYS, *(probability_column(c) for c in labels)]
    kept, failed, n_scored = [], [], 0
    start = time.perf_counter()
    writer = ResultWriter(args.output, labels) if args.output else None
    try:
        with tqdm(total=len(jobs), desc="evaluate", unit="file", mininterval=1.0, file=sys.stderr) as bar:
            for rows in batches:
                if writer:
                    writer.write(rows)
                for r in rows:
                    if r["error_type"]:
                        failed.append(r)
                        continue
                    n_scored += 1
                    if keep_all or r["true_label"]:
                        kept.append(r if keep_all else {k: r[k] for k in summary_keys})
                bar.update(len(rows))
    finally:
        if writer:
            writer.close()
    elapsed = time.perf_counter() - start

    if not args.quiet and keep_all:
        _print_table(kept)
    summary = _summarise(n_scored, kept, failed, labels)
    summary.update(engine=args.engine, seconds=round(elapsed, 2), files_per_s=round(len(jobs) / elapsed, 2))
    print(  # speed on stderr with the progress: stdout stays the same for the same answers
        f"{len(jobs)} file(s) in {elapsed:.1f} s: {len(jobs) / elapsed:.1f} files/s ({args.engine} engine)",
        file=sys.stderr,
    )
    if failed:
        print(f"\n{len(failed)} file(s) failed:")
        for f in failed[:50]:
            print(f"  {f['path']}: {f['error']}")
        if len(failed) > 50:
            print(f"  … and {len(failed) - 50} more (see --output)")
    if args.output:
        print(f"wrote {args.output}")
    if args.json:
        out = {"model": model_name, "summary": summary, "failed": failed}
        if keep_all:
            out["rows"] = kept
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


def _engine(args: argparse.Namespace, jobs: list[FileJob]) -> tuple[list[str], Iterator[list[dict]], str]:
    """The model's classes, the stream of result-row batches and the model's name for ``args.engine``."""
    if args.engine == "local":
        from ser.cli import load_predictor

        predictor = load_predictor(args)
        return predictor.labels, score_local(predictor, jobs, n_jobs=args.jobs), predictor.bundle.name

    import os

    from ser.bundle import read_bundle_config, read_labels
    from ser.hub import resolve_model
    from ser.raybatch import connect, score_with_ray

    model = args.model_dir or args.repo_id
    source = resolve_model(Path(model) if args.model_dir else model, args.revision)
    config, meta = read_bundle_config(source.path)
    connect(args.address, cpus=os.cpu_count() if args.jobs < 1 else args.jobs, verbose=args.verbose)
    stream = score_with_ray(
        jobs,
        config,
        model=source.path if args.model_dir else model,
        revision=args.revision,
        actors=args.actors,
    )
    return read_labels(source.path), stream, meta.get("name") or source.path.name


def _intensity_accuracy(rows: list[dict]) -> dict:
    """Accuracy of normal/strong where both the truth and the model's P(strong) are known."""
    known = [r for r in rows if r["true_intensity"] and r["p_strong"] is not None]
    if not known:
        return {}
    hits = [is_strong(r["p_strong"]) == (r["true_intensity"] == "strong") for r in known]
    accuracy = sum(hits) / len(hits)
    print(f"intensity (normal/strong): accuracy {accuracy:.1%} over {len(known)} file(s)")
    return {"intensity_accuracy": accuracy, "n_intensity": len(known)}


def _summarise(n: int, rows: list[dict], failed: list[dict], labels: list[str]) -> dict:
    """Counts, and scores over the ``rows`` whose truth is known; ``n`` files were scored."""
    summary: dict = {"n": n, "failed": len(failed)}
    scored = [r for r in rows if r["true_label"] is not None]
    unknown = sorted({r["true_label"] for r in scored} - set(labels))
    if unknown:
        logger.warning("true labels %s are not among the model's classes; not scored", unknown)
    scored = [r for r in scored if r["true_label"] in labels]
    if not scored:
        return summary
    index = {c: i for i, c in enumerate(labels)}
    y_true = [index[r["true_label"]] for r in scored]
    y_pred = [index[r["label"]] for r in scored]
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
    summary["calibration"] = calibration_report(
        np.array([r["confidence"] for r in scored]), np.equal(y_true, y_pred)
    )
    _print_calibration(summary["calibration"], "all classes")
    present = sorted({r["true_label"] for r in scored})
    if len(present) < len(labels):  # another corpus: score on its own classes too
        probabilities = np.array([[r[probability_column(c)] for c in labels] for r in scored])
        readings = corpus_scores([r["true_label"] for r in scored], probabilities, labels)
        summary["subset"] = {"classes": present, **readings}
        print(f"\non the truth's {len(present)} classes ({', '.join(present)}):")
        for key, s in readings.items():
            rule = SUBSET_RULES[key]
            print(
                f"  {key:<16} accuracy {s['accuracy']:.1%}  UAR {s['uar']:.1%}  macro-F1 {s['macro_f1']:.1%}"
                f"  ({rule})"
            )
            _print_calibration(s["calibration"], key)
    return summary


def _print_calibration(calibration: dict, rule: str) -> None:
    """ECE and how often each confidence level is right, in one line."""
    levels = "  ".join(
        f"{level} {v['share']:.0%} of answers, right {v['precision']:.0%}"
        for level, v in calibration["levels"].items()
        if v["precision"] is not None
    )
    print(f"  confidence ({rule}): ECE {calibration['ece']:.3f}; {levels}")


def _print_table(rows: list[dict]) -> None:
    if not rows:
        return
    width = min(60, max(len(Path(r["path"]).name) for r in rows))
    print(f"\n{'file':<{width}}  {'true':<9} {'predicted':<9} {'intensity':<9} {'conf':>5}  level")
    for r in rows:
        mark = "" if r["true_label"] is None else ("✓" if r["true_label"] == r["label"] else "✗")
        print(
            f"{Path(r['path']).name[:width]:<{width}}  {r['true_label'] or '-':<9} {r['label']:<9} "
            f"{r['intensity'] or '-':<9} {r['confidence']:>5.0%}  {r['level']:<6} {mark}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
