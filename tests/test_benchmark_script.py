"""scripts/benchmark.py runs end to end and reports every measure (no timing is asserted here)."""

from __future__ import annotations

import json

import pytest

from tests.util import run_script

MEASURES = {
    "features_ms",
    "features_straightforward_ms",
    "features_speedup",
    "model_predict_ms",
    "model_direct_call_ms",
    "model_predict_on_batch_ms",
    "predict_3s_ms",
    "predict_60s_timeline_ms",
}


@pytest.mark.slow
def test_benchmark_reports_medians_against_baselines(tmp_path):
    out = tmp_path / "bench.json"
    res = run_script("benchmark.py", "--repeats", 3, "--json", out, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    results = json.loads(out.read_text())
    assert set(results) >= MEASURES
    assert all(results[m] > 0 for m in MEASURES)
    for m in MEASURES:
        assert m in res.stdout


def test_training_speed_is_timed_for_convolutional_members_only():
    from ser.config import SERConfig
    from ser.training.speed import step_times

    with pytest.raises(ValueError, match="not a convolutional member"):
        step_times("mlp", SERConfig())
    with pytest.raises(ValueError, match="steps must be at least 1"):
        step_times("tracks", SERConfig(), steps=0)


@pytest.mark.parametrize("variant", ["cnn.nope=3", "dtype=float7"])
def test_training_benchmark_refuses_an_unknown_setting_before_timing_anything(variant):
    res = run_script("benchmark_training.py", "--variant", variant, timeout=300)
    assert res.returncode == 2
    assert "error:" in res.stderr and "ms/step" not in res.stdout


@pytest.mark.slow
def test_training_benchmark_times_each_variant_against_the_default(tmp_path):
    out = tmp_path / "steps.json"
    res = run_script(
        "benchmark_training.py",
        "--member",
        "tracks",
        "--steps",
        2,
        "--variant",
        "tracks.time_pool=2",
        "--variant",
        "tracks.channels=16,16",
        "dtype=mixed_bfloat16",
        "--json",
        out,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    medians = json.loads(out.read_text())["tracks"]
    assert set(medians) == {"default", "tracks.time_pool=2", "tracks.channels=16,16 dtype=mixed_bfloat16"}
    assert all(ms > 0 for ms in medians.values())
    assert "of the default" in res.stdout
