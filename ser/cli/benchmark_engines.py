"""``ser-benchmark-engines``: batch-scoring throughput of the local and the Ray engine, same files, same run.

Each configuration (local engine with 1 and 2 jobs, Ray engine with 1 and 2 workers) runs
``ser-evaluate`` in a fresh process pinned to that many cores (CPU affinity, inherited by every
process it starts, Ray's included), so that "1 worker" really has one core. It runs twice per
repeat, on ``--clips`` files and on half of them; the difference gives the marginal rate
(clips/s once running: start-up, TensorFlow and Ray excluded) and the start-up cost. Both sets
must be large enough that the features outlast the start-up: Ray computes features while its
model actor loads TensorFlow (about 8 s), so a set done within that time hides its cost.
Medians over ``--repeats``. The peak memory (VmHWM) of every process of a run is sampled from
``/proc``; the table gives the largest per role.

Example (the README's numbers):
    ser-benchmark-engines --clips 2400 --repeats 2 --json engines.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ser.cli import add_verbose_argument, entry_point, setup_logging


@dataclass(frozen=True)
class Run:
    """One ``ser-evaluate`` run: wall seconds and peak memory per process role (MiB)."""

    seconds: float
    peak_mib: dict[str, float]


def write_clips(folder: Path, n: int, seconds: float = 3.0, sr: int = 16000) -> list[Path]:
    """``n`` generated utterances of ``seconds`` (varied pitch and rate) as WAV files."""
    import soundfile as sf

    from ser.synthetic import synth_speech

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"clip_{i:05d}.wav"
        if not path.exists():
            y = synth_speech(seconds, sr, f0=90 + (i * 37) % 150, rate_hz=2 + (i % 6), seed=i)
            sf.write(path, y, sr)
        paths.append(path)
    return paths


def _role(cmdline: str) -> str:
    if "MapWorker" in cmdline:
        return "model actor"
    if cmdline.startswith("ray::"):
        return "feature worker"
    if "loky" in cmdline:
        return "feature worker"
    if "ser-evaluate" in cmdline or "ser.cli.evaluate" in cmdline:
        return "driver"
    if "ray" in cmdline:
        return "ray system"
    return "other"


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(pid))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _sample_peaks(root: int, peaks: dict[int, tuple[str, float]], stop: threading.Event) -> None:
    """Keep each descendant's peak resident memory (VmHWM, MiB) and role until ``stop``."""
    while not stop.wait(0.3):
        for pid in _descendants(root):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                cmdline = (
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), None)
            if hwm:
                peaks[pid] = (_role(cmdline.strip()), int(hwm) / 1024)


def run_once(engine: str, cores: int, folder: Path, out: Path) -> Run:
    """``ser-evaluate`` on every file of ``folder`` with ``cores`` cores (affinity) and as many
    jobs (local) or Ray CPUs (ray)."""
    cmd = [
        sys.executable, "-m", "ser.cli.evaluate", "--directory", str(folder), "--engine", engine,
        "--jobs", str(cores), "--quiet", "--output", str(out),
    ]  # fmt: skip
    allowed = sorted(os.sched_getaffinity(0))[:cores]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, allowed),
    )
    peaks: dict[int, tuple[str, float]] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_peaks, args=(proc.pid, peaks, stop), daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stdout[-2000:]}\n{stderr[-2000:]}")
    by_role: dict[str, float] = {}
    for role, mib in peaks.values():
        by_role[role] = max(by_role.get(role, 0.0), mib)
    return Run(seconds, by_role)


def measure(
    engine: str, cores: int, small: Path, large: Path, n_small: int, n_large: int, repeats: int
) -> dict:
    """Median wall times on both sets, the marginal rate and the start-up cost."""
    smalls, larges, peaks = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            for folder, times in ((small, smalls), (large, larges)):
                run = run_once(engine, cores, folder, Path(tmp) / f"{r}.parquet")
                times.append(run.seconds)
                for role, mib in run.peak_mib.items():
                    peaks[role] = max(peaks.get(role, 0.0), mib)
    t_small, t_large = float(np.median(smalls)), float(np.median(larges))
    rate = (n_large - n_small) / (t_large - t_small)
    return {
        "engine": engine,
        "cores": cores,
        "clips_per_s": round(rate, 1),
        "startup_s": round(t_small - n_small / rate, 1),
        "end_to_end_clips_per_s": round(n_large / t_large, 1),
        "seconds": {"small": smalls, "large": larges},
        "peak_mib": {k: round(v) for k, v in sorted(peaks.items())},
    }


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-benchmark-engines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--clips", type=int, default=2400, help="files in the large set (the small: half)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of each generated clip")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cores", type=int, nargs="+", default=[1, 2], help="core counts to measure")
    p.add_argument("--engines", nargs="+", default=["local", "ray"], choices=("local", "ray"))
    p.add_argument("--workdir", help="where the generated clips go (default: a temporary folder)")
    p.add_argument("--json", help="write the results here")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    if not hasattr(os, "sched_setaffinity"):
        p.error("needs Linux (CPU affinity and /proc)")
    if max(args.cores) > len(os.sched_getaffinity(0)):
        p.error(f"this machine has {len(os.sched_getaffinity(0))} cores")

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ser-engines-"))
    clips = write_clips(workdir / "all", args.clips, args.seconds)
    n_small = max(1, args.clips // 2)
    small = workdir / "small"
    small.mkdir(exist_ok=True)
    for path in clips[:n_small]:
        if not (small / path.name).exists():
            (small / path.name).symlink_to(path)
    results = []
    for engine in args.engines:
        for cores in args.cores:
            res = measure(engine, cores, small, workdir / "all", n_small, args.clips, args.repeats)
            results.append(res)
            print(
                f"{engine:<6} {cores} core(s): {res['clips_per_s']:6.1f} clips/s once running, "
                f"start-up {res['startup_s']:5.1f} s, end to end {res['end_to_end_clips_per_s']:5.1f} clips/s; "
                f"peak MiB {res['peak_mib']}",
                flush=True,
            )
    print(f"\n{args.clips} clips of {args.seconds:g} s, median of {args.repeats}; marginal rate = "
          f"({args.clips} - {n_small}) / (t_{args.clips} - t_{n_small})")  # fmt: skip
    print(f"{'engine':<7}{'cores':>6}{'clips/s':>9}{'× 1 core':>10}{'start-up s':>12}")
    for res in results:
        base = next(r for r in results if r["engine"] == res["engine"] and r["cores"] == min(args.cores))
        res["speedup"] = round(res["clips_per_s"] / base["clips_per_s"], 2)
        print(
            f"{res['engine']:<7}{res['cores']:>6}{res['clips_per_s']:>9.1f}{res['speedup']:>10.2f}{res['startup_s']:>12.1f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"clips": args.clips, "results": results}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
