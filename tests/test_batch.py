"""Batch scoring: the file list, one row per file (errors included), results streamed to Parquet or
CSV, and the Ray engine agreeing with the local one, surviving a killed actor."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ser.batch import FileJob, collect_jobs, score_local
from ser.inference import Predictor
from ser.results import ResultWriter, columns, read_results, result_row
from tests.audio_fixtures import synth_speech
from tests.util import run_script

SR = 22050


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor()  # the bundled model: what a user's batch run gets


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Six generated utterances, a silent file and a corrupt one."""
    root = tmp_path_factory.mktemp("batch")
    for i in range(6):
        sf.write(root / f"speech_{i}.wav", synth_speech(2.0, f0=100 + 25 * i, rate_hz=2 + i, seed=i), SR)
    sf.write(root / "silent.wav", np.zeros(SR * 2), SR)
    (root / "corrupt.wav").write_bytes(b"RIFF" + os.urandom(500))
    return root


def by_path(rows: list[dict]) -> dict[str, dict]:
    return {r["path"]: r for r in rows}


def test_collect_jobs_reads_folders_urls_and_truth_without_repeats(clips, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,label,speaker,intensity\n{clips / 'speech_0.wav'},Angry,a,strong\n")
    url = f"file://{clips}"
    jobs = collect_jobs(files=[str(clips / "speech_0.wav")], directories=[url], manifest=str(manifest))
    paths = [j.path for j in jobs]
    assert len(paths) == len(set(paths))
    assert {Path(p.removeprefix("file://")).name for p in paths} >= {"speech_1.wav", "silent.wav"}
    local = next(j for j in jobs if j.path == str(clips / "speech_0.wav"))
    assert local == FileJob(str(clips / "speech_0.wav"), "angry", "strong")


def test_a_missing_folder_or_url_is_a_clear_error(tmp_path):
    from ser.datasets import DatasetError

    with pytest.raises(DatasetError, match="not a folder"):
        collect_jobs(directories=[str(tmp_path / "nope")])
    with pytest.raises(DatasetError, match="not a folder"):
        collect_jobs(directories=[f"file://{tmp_path}/nope"])


def test_local_engine_gives_one_row_per_file_with_error_rows_in_place(predictor, clips):
    jobs = [FileJob(str(p)) for p in sorted(clips.iterdir())]
    jobs.append(FileJob(f"file://{clips}/speech_3.wav"))  # the same audio through fsspec
    jobs.append(FileJob(f"file://{clips}/missing.wav"))
    rows = [r for batch in score_local(predictor, jobs, chunk_size=3) for r in batch]
    assert [r["path"] for r in rows] == [j.path for j in jobs]  # in order, chunks and all
    got = by_path(rows)
    assert got[str(clips / "silent.wav")]["error_type"] == "NoSpeechError"
    assert got[str(clips / "corrupt.wav")]["error_type"] == "UnreadableAudioError"
    assert "missing.wav" in got[f"file://{clips}/missing.wav"]["error"]
    for name in ("silent.wav", "corrupt.wav"):
        assert got[str(clips / name)]["label"] is None and got[str(clips / name)]["p_angry"] is None
    speech = got[str(clips / "speech_3.wav")]
    assert speech["error_type"] is None and speech["label"] in predictor.labels
    assert sum(speech[f"p_{c}"] for c in predictor.labels) == pytest.approx(1.0, abs=1e-5)
    assert got[f"file://{clips}/speech_3.wav"]["p_sad"] == pytest.approx(speech["p_sad"], abs=1e-6)
    single = predictor.predict(str(clips / "speech_3.wav"))
    assert speech["confidence"] == pytest.approx(single.confidence, abs=1e-5)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_results_are_written_as_they_come_and_read_back(predictor, clips, tmp_path, suffix):
    rows = [
        result_row(
            str(clips / "speech_0.wav"), predictor.predict(str(clips / "speech_0.wav")), predictor.labels
        ),
        result_row("x.wav", ValueError("broken"), predictor.labels, truth="sad"),
    ]
    out = tmp_path / f"results{suffix}"
    with ResultWriter(out, predictor.labels) as writer:
        writer.write(rows[:1])
        assert out.stat().st_size > 0  # on disk before the run ends
        writer.write(rows[1:])
    back = read_results(out)
    assert [list(r) for r in back] == [columns(predictor.labels)] * 2
    assert (
        back[1]["error_type"] == "ValueError" and back[1]["true_label"] == "sad" and back[1]["label"] is None
    )
    assert float(back[0]["p_angry"]) == pytest.approx(rows[0]["p_angry"])


def test_an_unknown_output_format_is_refused(tmp_path):
    from ser.results import OutputError

    with pytest.raises(OutputError, match=r"\.parquet or \.csv"):
        ResultWriter(tmp_path / "out.xlsx", ["angry"])


def test_an_unreachable_cluster_is_one_clear_line(clips):
    res = run_script(
        "evaluate.py", "--engine", "ray", "--address", "127.0.0.1:9", "--file", str(clips / "speech_0.wav")
    )
    assert res.returncode == 1
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in res.stderr and "Traceback" not in res.stderr


# --- the Ray engine: one local Ray (2 CPUs) for the whole test session ---


@pytest.fixture(scope="session")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the Ray engine's extra is not installed")
    from ser.raybatch import connect

    connect(cpus=2)
    yield ray
    ray.shutdown()


def test_ray_engine_matches_the_local_engine(ray_cluster, predictor, clips):
    from ser.raybatch import score_with_ray

    jobs = [FileJob(str(p), truth="sad" if "speech_1" in p.name else None) for p in sorted(clips.iterdir())]
    local = by_path([r for b in score_local(predictor, jobs) for r in b])
    remote_rows = [
        r for b in score_with_ray(jobs, predictor.config, feature_batch=3, model_batch=4) for r in b
    ]
    remote = by_path(remote_rows)
    assert len(remote_rows) == len(jobs) and set(remote) == set(local)
    for path, want in local.items():
        got = remote[path]
        assert got["error_type"] == want["error_type"] and got["label"] == want["label"], path
        assert got["true_label"] == want["true_label"]
        for c in predictor.labels:
            if want["error_type"] is None:
                assert got[f"p_{c}"] == pytest.approx(want[f"p_{c}"], abs=1e-5)
            else:
                assert got[f"p_{c}"] is None


def _model_actor_pids() -> set[int]:
    """Processes of the Ray Data model actors (their title names the class)."""
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "MapWorker(MapBatches(ModelActor))" in title:
            pids.add(int(pid))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the actor's process through /proc")
def test_ray_engine_survives_a_killed_model_actor_with_no_file_lost_or_duplicated(
    ray_cluster, predictor, clips, tmp_path
):
    from ser.raybatch import score_with_ray

    speech = sorted(clips.glob("speech_*.wav"))
    jobs = []
    for i in range(90):  # distinct paths, so that a lost or repeated file shows
        link = tmp_path / f"clip_{i:03d}.wav"
        link.symlink_to(speech[i % len(speech)])
        jobs.append(FileJob(str(link)))
    seen: list[str] = []
    killed, restarted = None, False
    for batch in score_with_ray(jobs, predictor.config, feature_batch=4, model_batch=2):
        seen += [r["path"] for r in batch]
        if killed is None:
            assert len(seen) < len(jobs)  # mid-run
            (killed,) = _model_actor_pids()
            os.kill(killed, signal.SIGKILL)
            time.sleep(0.5)
        restarted = restarted or bool(_model_actor_pids() - {killed})
    assert killed is not None and restarted  # Ray started a new actor in the killed one's place
    assert sorted(seen) == sorted(j.path for j in jobs)  # every file exactly once
