"""ser.hub and scripts/publish.py end to end, with the real huggingface_hub client against a
Hub-compatible server on 127.0.0.1 (tests/hub_server.py)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import soundfile as sf
import yaml

from ser.hub import ModelSourceError, PublishError, download_bundle, publish_bundle, resolve_model
from ser.inference import Predictor
from tests.audio_fixtures import synth_speech
from tests.hub_server import FakeHub
from tests.util import run_script

REPO = "tester/ser-toy"


@pytest.fixture()
def hub(monkeypatch):
    with FakeHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        monkeypatch.setenv("HF_TOKEN", server.token)
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hubclip") / "clip.wav"
    sf.write(path, synth_speech(2.5, f0=150, rate_hz=4, seed=7), 22050)
    return path


def test_publish_download_and_predict_round_trip(hub, toy_bundle, clip, tmp_path):
    result = publish_bundle(toy_bundle, REPO, token=hub.token)
    assert result.created_commit and result.commit_url.startswith(f"{hub.endpoint}/{REPO}/commit/")
    source = download_bundle(REPO, cache_dir=tmp_path / "cache")  # empty cache
    assert source.origin == "hub" and source.commit == result.commit
    assert sorted(p.name for p in source.path.iterdir()) == sorted(result.files)
    from_hub = Predictor(source.path).predict(str(clip))
    local = Predictor(toy_bundle).predict(str(clip))
    for k, v in local.probabilities.items():
        assert from_hub.probabilities[k] == pytest.approx(v, abs=1e-6)
    # the model file went through LFS to the storage host, which never saw the token
    assert hub.lfs and hub.storage_requests
    assert all("authorization" not in h for h in hub.storage_requests)


def test_from_pretrained_takes_a_repo_id_a_folder_or_nothing(hub, toy_bundle, clip, monkeypatch, tmp_path):
    publish_bundle(toy_bundle, REPO, token=hub.token)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    from_hub = Predictor.from_pretrained(REPO)
    assert from_hub.source.origin == "hub" and REPO in from_hub.describe()
    from_folder = Predictor.from_pretrained(toy_bundle)
    assert from_folder.source.origin == "local"
    assert from_hub.predict(str(clip)).probabilities == pytest.approx(
        from_folder.predict(str(clip)).probabilities, abs=1e-6
    )
    assert Predictor.from_pretrained().source.origin == "default"
    monkeypatch.setenv("SER_MODEL_REPO", REPO)
    assert Predictor.from_pretrained().source.origin == "hub"
    monkeypatch.setenv("SER_MODEL_DIR", str(toy_bundle))  # a folder wins over a repo
    assert Predictor.from_pretrained().source.origin == "local"


def test_republishing_unchanged_files_makes_no_commit(hub, toy_bundle):
    first = publish_bundle(toy_bundle, REPO, token=hub.token)
    commits = len(hub.repos[REPO].commits)
    again = publish_bundle(toy_bundle, REPO, token=hub.token)
    assert not again.created_commit and again.commit == first.commit
    assert len(hub.repos[REPO].commits) == commits


def test_pinning_the_first_revision_after_a_second_publish(hub, toy_bundle, tmp_path):
    first = publish_bundle(toy_bundle, REPO, token=hub.token)
    changed = tmp_path / "changed"
    shutil.copytree(toy_bundle, changed)
    metrics = json.loads((changed / "metrics.json").read_text())
    metrics["note"] = "second training run"
    (changed / "metrics.json").write_text(json.dumps(metrics))
    second = publish_bundle(changed, REPO, token=hub.token, message="second")
    assert second.created_commit and second.commit != first.commit
    pinned = download_bundle(REPO, revision=first.commit, cache_dir=tmp_path / "c")
    latest = download_bundle(REPO, cache_dir=tmp_path / "c")
    assert pinned.commit == first.commit and latest.commit == second.commit
    assert "note" not in json.loads((pinned.path / "metrics.json").read_text())
    assert json.loads((latest.path / "metrics.json").read_text())["note"] == "second training run"


def test_publish_to_a_branch(hub, toy_bundle, tmp_path):
    result = publish_bundle(toy_bundle, REPO, revision="experiment", token=hub.token)
    assert result.revision == "experiment" and "experiment" in hub.repos[REPO].branches
    assert download_bundle(REPO, revision="experiment", cache_dir=tmp_path / "c").commit == result.commit


def test_unreachable_hub_uses_the_cache_and_says_so(hub, toy_bundle, tmp_path, monkeypatch):
    publish_bundle(toy_bundle, REPO, token=hub.token)
    cache = tmp_path / "cache"
    online = download_bundle(REPO, cache_dir=cache)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    offline = download_bundle(REPO, cache_dir=cache)
    assert offline.origin == "hub-cache" and offline.commit == online.commit
    assert "Hub unreachable" in offline.describe()
    with pytest.raises(ModelSourceError) as e:
        download_bundle(REPO, cache_dir=tmp_path / "empty")
    assert REPO in str(e.value) and "no copy is cached" in str(e.value)


def test_offline_mode_reloads_from_the_cache(hub, toy_bundle, clip, tmp_path):
    """HF_HUB_OFFLINE=1 in a fresh process (the library reads it at import): the CLI still works."""
    publish_bundle(toy_bundle, REPO, token=hub.token)
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "cache")}
    args = ("--repo-id", REPO, "--file", clip)
    online = run_script("evaluate.py", *args, env=env)
    assert online.returncode == 0, online.stderr[-2000:]
    offline = run_script("evaluate.py", *args, env={**env, "HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 0, offline.stderr[-2000:]
    assert "cached copy" in offline.stderr
    assert online.stdout.splitlines()[-1] == offline.stdout.splitlines()[-1]  # same prediction row


def test_unknown_repo_revision_and_file_give_clear_errors(hub, toy_bundle, tmp_path):
    with pytest.raises(ModelSourceError, match="'tester/nope' was not found.*HF_TOKEN"):
        download_bundle("tester/nope", cache_dir=tmp_path)
    publish_bundle(toy_bundle, REPO, token=hub.token)
    with pytest.raises(ModelSourceError, match="no revision 'v9'"):
        download_bundle(REPO, revision="v9", cache_dir=tmp_path)
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "missing.json", cache_dir=tmp_path, endpoint=hub.endpoint)


def test_a_private_repo_needs_the_token(hub, toy_bundle, tmp_path, monkeypatch):
    publish_bundle(toy_bundle, "tester/private-ser", private=True, token=hub.token)
    assert download_bundle("tester/private-ser", cache_dir=tmp_path / "a").origin == "hub"
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(ModelSourceError, match="not found"):
        download_bundle("tester/private-ser", cache_dir=tmp_path / "b", token=False)


def test_the_card_yaml_parses_and_carries_the_metrics(hub, toy_bundle):
    publish_bundle(toy_bundle, REPO, token=hub.token)
    repo = hub.repos[REPO]
    readme = repo.commits[repo.branches["main"]].files["README.md"].content.decode()
    front = yaml.safe_load(readme.split("---")[1])
    assert front["library_name"] == "keras" and front["pipeline_tag"] == "audio-classification"
    assert front["license"] == "cc-by-nc-sa-4.0"
    metrics = json.loads((toy_bundle / "metrics.json").read_text())["summary"]
    results = front["model-index"][0]["results"][0]["metrics"]
    by_type = {m["type"]: m["value"] for m in results}
    assert by_type["recall"] == pytest.approx(round(metrics["uar"]["mean"], 4))
    assert by_type["accuracy"] == pytest.approx(round(metrics["accuracy"]["mean"], 4))
    assert by_type["f1"] == pytest.approx(round(metrics["macro_f1"]["mean"], 4))
    assert "Livingstone" in readme and "speaker-disjoint" in readme and "![Confusion matrix" in readme


def test_publish_refuses_a_bundle_without_metrics(hub, toy_bundle, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(toy_bundle, bare)
    (bare / "metrics.json").unlink()
    with pytest.raises(PublishError, match="no metrics.json"):
        publish_bundle(bare, REPO, token=hub.token)
    (bare / "model.keras").unlink()
    with pytest.raises(PublishError, match="missing model.keras"):
        publish_bundle(bare, REPO, token=hub.token)
    assert REPO not in hub.repos


def test_publishing_to_an_unreachable_hub_is_a_clear_error(toy_bundle, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(PublishError, match=f"could not publish to {REPO}@main on http://127.0.0.1:9"):
        publish_bundle(toy_bundle, REPO, token="hf_x")


def test_publish_dry_run_touches_nothing(hub, toy_bundle):
    res = run_script("publish.py", "--model-dir", toy_bundle, "--repo-id", REPO, "--dry-run")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "model.keras" in res.stdout and "pipeline_tag: audio-classification" in res.stdout
    assert "nothing was sent" in res.stdout
    assert hub.api_requests == [] and REPO not in hub.repos


def test_publish_script_prints_the_commit_url(hub, toy_bundle):
    res = run_script("publish.py", "--model-dir", toy_bundle, "--repo-id", REPO)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{hub.endpoint}/{REPO}/commit/" in res.stdout


def test_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("SER_MODEL_REPO", raising=False)
    assert resolve_model().origin == "default"
    assert resolve_model(tmp_path).origin == "local"
    monkeypatch.setenv("SER_MODEL_REPO", "tester/x")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(ModelSourceError, match="'tester/x' at revision 'main'"):
        resolve_model()
    assert resolve_model(tmp_path).origin == "local"  # an explicit folder wins


def test_no_pickles_in_a_published_bundle(toy_bundle):
    """Only .keras (loaded with safe_mode) and JSON/PNG: nothing that would be unpickled."""
    for f in toy_bundle.iterdir():
        assert f.suffix in {".keras", ".json", ".png"}, f
