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
