"""ser is an installable package: one version, pinned dependencies, package data, commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import soundfile as sf

import ser
from ser.synthetic import synth_speech

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COMMANDS = {
    "ser-evaluate",
    "ser-train",
    "ser-publish",
    "ser-benchmark",
    "ser-benchmark-engines",
    "ser-degrade",
}


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([\w.]+)", line.split("#")[0].strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_the_space_requirements_pin_what_the_package_declares():
    project = PYPROJECT["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["app"])
    required = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert required == declared  # the same packages at the same versions
    assert not [d for d in project["dependencies"] if "==" not in d]  # every runtime dependency pinned


def test_one_version():
    assert metadata.version("ser") == ser.__version__
    assert PYPROJECT["project"]["dynamic"] == ["version"]


def test_scripts_are_thin_wrappers_that_never_edit_the_import_path_or_import_tests():
    for path in [*(ROOT / "scripts").glob("*.py"), *(ROOT / "ser").rglob("*.py"), ROOT / "app.py"]:
        text = path.read_text()
        assert "sys.path" not in text, path
        assert not re.search(r"^\s*(from|import) tests\b", text, re.M), path
    for name in ("evaluate", "train", "publish", "benchmark"):
        assert f"from ser.cli.{name} import main" in (ROOT / "scripts" / f"{name}.py").read_text()


@pytest.mark.slow
def test_a_built_wheel_carries_the_model_the_card_and_the_commands_and_runs_outside_the_repo(tmp_path):
    """What ``pip install <clone>`` installs: the wheel, put on the path of a process that runs in
    a folder with no repository around it (its dependencies come from this environment)."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("ser-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {"ser/default_model/model.keras", "ser/default_model/config.json", "ser/model_card.md"} <= names
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)
    assert {line.split(" = ")[0] for line in entry_points.splitlines() if " = " in line} == COMMANDS

    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    sf.write(outside / "clip.wav", synth_speech(3.0, seed=2), 22050)
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [str(target / "bin" / "ser-evaluate"), "--file", "clip.wav"],
        capture_output=True,
        text=True,
        cwd=outside,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "clip.wav" in run.stdout and str(target / "ser" / "default_model") in run.stderr
    imported = subprocess.run(
        [sys.executable, "-c", "from ser import Predictor; import ser; print(ser.__file__)"],
        capture_output=True,
        text=True,
        cwd=outside,
        env=env,
        timeout=120,
    )
    assert imported.returncode == 0 and imported.stdout.startswith(str(target)), imported.stderr[-2000:]
