"""scripts/evaluate.py: files, folders and CSVs in; a table, scores, JSON and an honest exit code out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_fixtures import synth_speech, write_format
from tests.util import run_script

SR = 22050


def run(*args: str):
    return run_script("evaluate.py", *args)


def test_directory_csv_and_failures(toy_bundle, tmp_path):
    clips = tmp_path / "clips"
    (clips / "sub").mkdir(parents=True)
    sf.write(clips / "calm_a.wav", synth_speech(2.5, f0=110, rate_hz=2.5, seed=11), SR)
    shutil.move(
        write_format(tmp_path, "flac", synth_speech(2.5, f0=190, rate_hz=6, seed=12), SR),
        clips / "sub" / "ANGRY_B.FLAC",
    )  # upper-case extension, nested folder
    sf.write(clips / "silence.wav", np.zeros(2 * SR), SR)
    (clips / "notes.txt").write_text("not audio, and not picked up")
    truth = tmp_path / "truth.csv"
    truth.write_text("file_path,true_emotion\nclips/calm_a.wav,calm\nclips/sub/ANGRY_B.FLAC,angry\n")
    out_json = tmp_path / "out.json"

    res = run(
        "--model-dir",
        str(toy_bundle),
        "--directory",
        str(clips),
        "--csv",
        str(truth),
        "--json",
        str(out_json),
    )
    assert res.returncode == 1, res.stderr[-2000:]  # the silent file failed
    assert "1 file(s) failed" in res.stdout and "silent" in res.stdout
    assert "ANGRY_B.FLAC" in res.stdout and "confusion matrix" in res.stdout
    report = json.loads(out_json.read_text())
    summary = report["summary"]
    assert summary["n"] == 2 and summary["failed"] == 1 and summary["n_scored"] == 2
    for key in ("accuracy", "uar", "macro_f1"):
        assert 0.0 <= summary[key] <= 1.0
    assert {Path(r["path"]).name for r in report["rows"]} == {"calm_a.wav", "ANGRY_B.FLAC"}
    assert report["failed"][0]["error_type"] == "NoSpeechError"
    levels = summary["calibration"]["levels"]  # how often each confidence level was right
    assert sum(v["share"] for v in levels.values()) == pytest.approx(1.0)
    assert "confidence (all classes): ECE" in res.stdout


def test_single_file_succeeds_with_exit_code_0(toy_bundle, tmp_path):
    f = tmp_path / "one.wav"
    sf.write(f, synth_speech(2.5, seed=3), SR)
    res = run("--model-dir", str(toy_bundle), "--file", str(f))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "one.wav" in res.stdout


def test_labels_from_ravdess_file_names(toy_bundle, tmp_path):
    f = tmp_path / "03-01-05-02-01-01-22.wav"  # angry
    sf.write(f, synth_speech(2.5, f0=190, rate_hz=6, seed=5), SR)
    out = tmp_path / "r.json"
    res = run("--model-dir", str(toy_bundle), "--file", str(f), "--labels-from-filenames", "--json", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    row = json.loads(out.read_text())["rows"][0]
    assert row["true_label"] == "angry" and row["true_intensity"] == "strong"


@pytest.mark.slow  # starts the command twice
def test_usage_errors(tmp_path):
    assert run().returncode == 2
    res = run("--model-dir", str(tmp_path / "missing"), "--file", "x.wav")
    assert res.returncode != 0 and "error:" in res.stderr


def test_a_corpus_with_fewer_classes_is_scored_on_its_own_strictly_and_with_calm_as_neutral():
    from ser.metrics import subset_scores

    truth = ["neutral", "neutral", "angry", "angry"]
    said = ["calm", "neutral", "angry", "surprised"]  # calm and surprised are not in the truth
    strict = subset_scores(truth, said)
    assert strict["accuracy"] == 0.5 and strict["uar"] == 0.5  # neutral 1/2, angry 1/2
    lenient = subset_scores(truth, said, calm_as_neutral=True)
    assert lenient["accuracy"] == 0.75 and lenient["uar"] == 0.75  # calm → neutral: neutral 2/2
    with_calm = subset_scores([*truth, "calm"], [*said, "neutral"], calm_as_neutral=True)
    assert with_calm == subset_scores([*truth, "calm"], [*said, "neutral"])  # the truth has calm: no mapping


def test_closed_set_lets_the_model_choose_among_the_corpus_classes_with_calm_given_to_neutral():
    from ser.metrics import closed_set, corpus_scores

    labels = ["angry", "calm", "neutral", "surprised"]
    truth = ["neutral", "angry", "angry", "neutral"]
    p = np.array(
        [
            [0.1, 0.5, 0.1, 0.3],  # says calm: wrong strictly, neutral (0.6) among the corpus's classes
            [0.3, 0.0, 0.1, 0.6],  # says surprised, a class the corpus lacks: angry among its own
            [0.2, 0.3, 0.1, 0.4],  # neutral (0.4) beats angry (0.2) among them: wrong either way
            [0.05, 0.05, 0.8, 0.1],  # right under every rule
        ]
    )
    chosen = closed_set(p, labels, ["angry", "neutral"])
    np.testing.assert_allclose(chosen[:2], [[0.1 / 0.7, 0.6 / 0.7], [0.75, 0.25]])
    np.testing.assert_allclose(chosen.sum(axis=1), 1.0)
    readings = corpus_scores(truth, p, labels)
    assert list(readings) == ["strict", "calm_as_neutral", "closed_set"]
    uar = {rule: readings[rule]["uar"] for rule in readings}
    assert uar == {"strict": 0.25, "calm_as_neutral": 0.5, "closed_set": 0.75}
    assert "calm_as_neutral" not in corpus_scores(["angry", "calm"], p[:2], labels)  # the truth has calm


def test_evaluate_takes_a_training_manifest_and_reports_the_subset_scores(toy_bundle, tmp_path):
    rows = ["path,label,speaker"]
    for i, (label, f0, rate) in enumerate([("angry", 200, 6.5), ("sad", 80, 1.5)] * 2):
        sf.write(tmp_path / f"{i}.wav", synth_speech(2.5, f0=f0, rate_hz=rate, seed=40 + i), SR)
        rows.append(f"{i}.wav,{label},s{i % 2}")
    (tmp_path / "corpus.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "r.json"
    res = run("--model-dir", str(toy_bundle), "--manifest", str(tmp_path / "corpus.csv"), "--json", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    subset = json.loads(out.read_text())["summary"]["subset"]
    assert subset["classes"] == ["angry", "sad"]
    assert set(subset["strict"]) == {"accuracy", "uar", "macro_f1", "calibration"}
    assert "calm_as_neutral" not in subset  # the truth has no neutral
    assert set(subset["closed_set"]) == {"accuracy", "uar", "macro_f1", "calibration"}
    assert subset["closed_set"]["uar"] >= subset["strict"]["uar"]  # choosing among fewer classes
    assert "on the truth's 2 classes (angry, sad)" in res.stdout
    assert "closed_set" in res.stdout and "the model chooses among them only" in res.stdout


def test_a_bundle_measured_on_another_corpus_carries_it_to_its_card_and_about(toy_bundle, tmp_path):
    import app
    from ser.bundle import load_bundle
    from ser.card import render_card
    from ser.crosscorpus import add_to_bundle
    from ser.inference import Predictor

    bundle = Path(shutil.copytree(toy_bundle, tmp_path / "bundle"))
    corpus = tmp_path / "other" / "manifest.csv"
    corpus.parent.mkdir()
    rows = ["path,label,speaker"]  # a corpus with neutral and no calm: calm answers may count as neutral
    for i, (label, f0, rate) in enumerate([("neutral", 125, 3.0), ("angry", 200, 6.5)] * 3):
        sf.write(corpus.parent / f"{i}.wav", synth_speech(2.5, f0=f0, rate_hz=rate, seed=60 + i), SR)
        rows.append(f"{i}.wav,{label},s{i}")
    corpus.write_text("\n".join(rows) + "\n")
    measured = add_to_bundle(bundle, [corpus])["other"]
    assert measured["n"] == 6 and measured["classes"] == ["angry", "neutral"]
    assert measured["calm_as_neutral"]["uar"] >= measured["strict"]["uar"]  # the toy model says "calm"
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["cross_corpus"]["other"] == measured and "summary" in metrics  # added, nothing lost
    card = str(render_card(load_bundle(bundle), "me/toy"))
    assert "| other | 6 | angry, neutral |" in card
    assert "| phone_8k |" in card and "Expected calibration error on the CV" in card  # from training
    about = app.about_markdown(Predictor(bundle))
    assert f"other UAR {measured['strict']['uar']:.1%}" in about
    closed = f"{100 * measured['closed_set']['uar']:.1f} %"
    assert f"{closed} | " in card.split("| other | 6 |")[1].split("\n")[0]  # the closed-set column
    assert f"{measured['closed_set']['uar']:.1%} choosing among its classes only" in about
    assert "over-subtraction × 2)" in card and "stops 50 dB below" in card  # the default front end
    config = json.loads((bundle / "config.json").read_text())
    for name in ("noise_subtraction", "log_mel_range_db"):
        del config["features"][name]  # a bundle from before the front end
    (bundle / "config.json").write_text(json.dumps(config))
    before = str(render_card(load_bundle(bundle), "me/toy"))
    assert "subtracted" not in before and "dB below" not in before  # named only where there is one
