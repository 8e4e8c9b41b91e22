"""One error root: every problem ser reports on purpose is a SERError, and every entry point turns
it into ``error: <message>`` and exit status 1, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

import app
from ser.audio import AudioError, NoSpeechError
from ser.bundle import BundleError
from ser.cli import evaluate, publish, train
from ser.datasets import DatasetError
from ser.errors import SERError
from ser.hub import ModelSourceError, PublishError
from ser.synthetic import synth_speech


def test_every_error_ser_raises_on_purpose_is_a_ser_error():
    for error in (AudioError, NoSpeechError, BundleError, ModelSourceError, PublishError, DatasetError):
        assert issubclass(error, SERError), error
    assert issubclass(AudioError, ValueError)  # callers that caught ValueError still do


@pytest.mark.parametrize(
    ("command", "argv", "message"),
    [
        (evaluate, ["--manifest", "nowhere.csv"], "manifest not found: nowhere.csv"),
        (evaluate, ["--model-dir", "no/such/folder", "--file", "x.wav"], "No model folder at no/such/folder"),
        (
            evaluate,
            ["--repo-id", "not a repo", "--file", "x.wav"],
            "No model folder at not a repo, and it is not a Hub repo id",
        ),
        (train, ["--manifest", "nowhere.csv", "--out", "x"], "manifest not found"),
        (train, ["--data", "nowhere", "--out", "x"], "RAVDESS folder not found: nowhere"),
        (
            publish,
            ["--model-dir", "nowhere", "--repo-id", "me/x", "--dry-run"],
            "refusing to publish nowhere: model folder not found",
        ),
    ],
)
def test_commands_print_the_error_and_exit_with_status_1(
    command, argv, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert command.main(argv) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "Traceback" not in err


def test_the_app_refuses_a_bad_model_folder_with_a_message(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SER_MODEL_DIR", str(tmp_path / "missing"))
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert f"error: No model folder at {tmp_path / 'missing'}" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_command_starts_without_tensorflow_noise_unless_verbose(tmp_path):
    clip = tmp_path / "clip.wav"
    sf.write(clip, synth_speech(3.0, seed=1), 22050)
    command = [str(Path(sys.executable).parent / "ser-evaluate"), "--file", str(clip)]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    for noise in ("absl::InitializeLog", "oneDNN", "cpu_feature_guard", "TF_ENABLE_ONEDNN_OPTS"):
        assert noise not in quiet.stderr
    assert "clip.wav" in quiet.stdout
