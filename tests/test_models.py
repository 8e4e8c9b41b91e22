"""The log-mel CNN, the track CNN, fusion and intensity: inputs, augmentation, bundles of every
model type."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from ser.augment import mixup, shuffle_pieces, spec_augment
from ser.bundle import SCALER_FILE, BundleError, load_bundle
from ser.calibration import apply_temperature
from ser.config import CNNConfig, SERConfig
from ser.emotions import intensity_name
from ser.features import (
    analysis_windows,
    centre_rows,
    frame_crop,
    frame_tracks,
    pcen_from_db,
    track_groups,
    track_matrix,
    track_names,
)
from ser.inference import Predictor
from ser.inputs import model_inputs
from ser.layers import pool_probabilities
from ser.members import TRACK_CNN
from tests.audio_fixtures import synth_speech
from tests.conftest import TOY_CLASSES
from tests.util import load_script, run_script

SR = 22050


def test_frame_crop_centres_short_input_in_padding_and_long_input_in_the_crop():
    spec = np.arange(2 * 10, dtype=np.float32).reshape(2, 10)  # 2 bands, 10 frames
    short = frame_crop(spec, 16)
    assert short.shape == (16, 2)  # time first
    np.testing.assert_array_equal(short[3:13], spec.T)  # 6 spare frames: 3 before, 3 after
    assert np.all(short[:3] == spec.min()) and np.all(short[13:] == spec.min())
    np.testing.assert_array_equal(frame_crop(spec, 4), spec[:, 3:7].T)
    np.testing.assert_array_equal(frame_crop(spec, 4, offset=0), spec[:, :4].T)
    with pytest.raises(ValueError, match="offset"):
        frame_crop(spec, 4, offset=7)
    per_row = frame_crop(spec, 12, offset=0, fill=np.array([-1.0, -2.0]))
    np.testing.assert_array_equal(per_row[10:], [[-1.0, -2.0]] * 2)  # padding: one value per row


def test_model_inputs_hold_one_crop_per_window():
    y = np.concatenate([synth_speech(3.0, seed=s) for s in range(3)])  # 9 s → 5 windows
    config = SERConfig(model_type="fusion", cnn=CNNConfig(frames=256))
    inputs = model_inputs(y, SR, config)
    logmels, tracks = inputs.arrays["logmel"], inputs.arrays["tracks"]
    assert logmels.shape == (len(inputs.bounds), 256, 64) == (5, 256, 64)
    assert tracks.shape == (5, 192, len(track_names())) == (5, 192, 94)
    assert len(inputs) == 5 and np.all(np.isfinite(logmels))
    assert np.all(np.isfinite(tracks))  # 3 s windows fill the 2.2 s crop: no padding
    assert "features" not in inputs.arrays  # summary vectors only for a model that takes them
    only_mlp = model_inputs(y, SR, SERConfig(model_type="mlp"))
    assert set(only_mlp.arrays) == {"features"}  # crops are only cut when a model takes them
    np.testing.assert_array_equal(only_mlp.arrays["features"], analysis_windows(y, SR).vectors)


def test_short_speech_pads_the_track_crop_with_nan_which_the_track_cnn_reads_as_its_training_mean():
    tracks = model_inputs(synth_speech(1.0, seed=4), SR, SERConfig(model_type="tracks")).arrays["tracks"][0]
    padded = np.isnan(tracks).all(axis=1)
    assert 0 < padded.sum() < 192 and not np.isnan(tracks[~padded]).any()  # whole frames only
    mean = np.nanmean(tracks, axis=0) + 1.0
    model = TRACK_CNN.build(94, 3, mean, np.ones(94), steps=1, config=SERConfig().tracks, intensity=False)
    filled = np.where(np.isnan(tracks), mean, tracks)
    np.testing.assert_allclose(
        model.predict_on_batch(tracks[None])["emotion"],
        model.predict_on_batch(filled[None])["emotion"],
        atol=1e-6,
    )


def test_track_matrix_rows_are_named_and_carry_pitch_in_semitones():
    sr = SR
    t = np.arange(int(1.5 * sr)) / sr
    tone = (0.5 * np.sin(2 * np.pi * 200.0 * t)).astype(np.float32)  # 200 Hz: 12 semitones re 100 Hz
    matrix = track_matrix(frame_tracks(tone, sr))
    names = track_names()
    assert matrix.shape[0] == len(names) == len(set(names))
    f0, voiced = matrix[names.index("f0_st")], matrix[names.index("voiced")]
    assert set(np.unique(voiced)) <= {0.0, 1.0} and voiced.mean() > 0.8
    assert np.median(f0[voiced == 1]) == pytest.approx(12.0, abs=0.2)
    assert np.all(f0[voiced == 0] == 0.0)
    assert matrix[names.index("rms_db_re_max")].max() == 0.0  # energy re the loudest frame


def test_centring_subtracts_each_rows_median_over_the_frames_that_count():
    matrix = np.array([[10.0, 12.0, 0.0, 14.0], [1.0, 1.0, 0.0, 1.0], [5.0, 6.0, 7.0, 8.0]])
    pitch = centre_rows(matrix, slice(0, 1), weights=matrix[1])
    np.testing.assert_array_equal(pitch[0], [-2.0, 0.0, 0.0, 2.0])  # unvoiced frame left at 0
    np.testing.assert_array_equal(pitch[1:], matrix[1:])  # other rows untouched
    np.testing.assert_array_equal(centre_rows(matrix, slice(2, 3))[2], [-1.5, -0.5, 0.5, 1.5])
    unvoiced = centre_rows(matrix, slice(0, 1), weights=np.zeros(4))
    np.testing.assert_array_equal(unvoiced, matrix)  # nothing counts: nothing to centre on


def test_a_centred_track_cnn_hears_the_melody_not_the_speakers_register():
    from ser import channels

    y = synth_speech(2.5, f0=130, seed=5)
    higher = channels.change_speaker(y, SR, pitch_factor=2 ** (4 / 12))  # 4 semitones up
    names = track_names()
    config = SERConfig(model_type="tracks", tracks=dataclasses.replace(SERConfig().tracks, centre=("pitch",)))

    def voiced_pitch(signal: np.ndarray, config: SERConfig) -> np.ndarray:
        crop = model_inputs(signal, SR, config).arrays["tracks"][0]
        crop = crop[np.isfinite(crop).all(axis=1)]
        return crop[crop[:, names.index("voiced")] == 1, names.index("f0_st")]

    absolute = SERConfig(model_type="tracks")
    assert np.median(voiced_pitch(higher, absolute)) - np.median(voiced_pitch(y, absolute)) == pytest.approx(
        4, abs=0.5
    )
    assert np.median(voiced_pitch(y, config)) == pytest.approx(0, abs=0.1)
    assert np.median(voiced_pitch(higher, config)) == pytest.approx(0, abs=0.1)
    assert SERConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="cannot centre"):
        SERConfig(model_type="cnn", cnn=CNNConfig(centre=("pitch",)))


def test_a_track_cnn_can_leave_out_groups_of_tracks_and_reads_the_others_unchanged():
    groups = track_groups()
    rows = sorted(row for group in groups.values() for row in group)
    assert rows == list(range(len(track_names())))  # every track in exactly one group
    assert [track_names()[r] for r in groups["pitch"]] == ["f0_st", "voiced"]
    assert len(groups["mfcc_delta"]) == 2 * len(groups["mfcc"]) == 40 and len(groups["chroma"]) == 12 + 6

    y = synth_speech(2.5, f0=130, seed=5)
    full = SERConfig(model_type="tracks")
    config = SERConfig(
        model_type="tracks", tracks=dataclasses.replace(full.tracks, leave_out=("chroma", "mfcc_delta"))
    )
    kept = [r for r in range(len(track_names())) if r not in groups["chroma"] + groups["mfcc_delta"]]
    crop = model_inputs(y, SR, config).arrays["tracks"][0]
    assert crop.shape == TRACK_CNN.input_shape(config) == (config.tracks.frames, len(kept)) == (192, 36)
    np.testing.assert_array_equal(crop, model_inputs(y, SR, full).arrays["tracks"][0][:, kept])
    assert SERConfig.from_dict(config.to_dict()) == config
    assert "a 192-frame crop of 36 tracks" in TRACK_CNN.card_text(config, {})  # the model card says so
    assert "Leaves out the chroma, mfcc_delta rows." in TRACK_CNN.training_recipe(config)
    assert "Leaves out" not in TRACK_CNN.training_recipe(full)
    with pytest.raises(ValueError, match=r"cannot leave out \['vowels'\]"):
        SERConfig(model_type="tracks", tracks=dataclasses.replace(full.tracks, leave_out=("vowels",)))
    with pytest.raises(ValueError, match="cannot leave out every row"):
        SERConfig(model_type="tracks", tracks=dataclasses.replace(full.tracks, leave_out=tuple(groups)))
    with pytest.raises(ValueError, match="log-mel CNN cannot leave out"):
        SERConfig(model_type="cnn", cnn=CNNConfig(leave_out=("chroma",)))


def test_pcen_reads_a_steady_background_alike_at_any_level_and_lets_a_burst_over_it_stand_out():
    rng = np.random.default_rng(0)
    noise = 0.01 * rng.standard_normal(3 * SR).astype(np.float32)
    burst = noise.copy()
    n = int(0.3 * SR)
    burst[2 * SR : 2 * SR + n] += 0.2 * np.sin(2 * np.pi * 440 * np.arange(n) / SR)

    def pcen(y: np.ndarray) -> np.ndarray:
        return pcen_from_db(frame_tracks(y, SR).log_mel, SR, 256)

    steady = slice(int(1.0 * SR / 256), int(1.9 * SR / 256))  # after the 0.4 s adaptation
    during = slice(int(2.05 * SR / 256), int(2.25 * SR / 256))
    quiet, loud = pcen(noise)[:, steady], pcen(10 * noise)[:, steady]  # 20 dB apart
    assert np.abs(loud - quiet).mean() < 0.1 * quiet.mean()
    out = pcen(burst)
    assert out[:, during].max(axis=1).max() > 3 * out[:, steady].mean(axis=1).max()


def test_the_log_mel_cnn_can_read_pcen_and_the_track_cnn_cannot():
    from ser.audio import load_audio
    from ser.extraction import clip_inputs
    from ser.members import LOGMEL_CNN

    y = synth_speech(2.5, f0=130, seed=5)
    config = SERConfig(model_type="cnn", cnn=CNNConfig(pcen=True))
    speech = load_audio((SR, y), config.audio).speech
    stored = clip_inputs(load_audio((SR, y), config.audio), config)["cnn"]  # in dB, as training stores it
    read = pcen_from_db(stored, SR, config.features.hop_length)
    expected = frame_crop(read, config.cnn.frames)
    np.testing.assert_allclose(LOGMEL_CNN.example(stored, config), expected, atol=1e-3)  # the CV's view
    np.testing.assert_allclose(
        model_inputs(speech, SR, config).arrays["logmel"][0], expected, rtol=1e-2
    )  # inference (stored: float16)
    assert SERConfig.from_dict(config.to_dict()) == config
    assert "through PCEN" in LOGMEL_CNN.training_recipe(config)  # the model card says so
    assert "PCEN" not in LOGMEL_CNN.training_recipe(SERConfig(model_type="cnn"))
    with pytest.raises(ValueError, match="cannot read its matrix through PCEN"):
        SERConfig(model_type="tracks", tracks=dataclasses.replace(SERConfig().tracks, pcen=True))


def test_time_delta_is_librosas_delta_over_nine_frames_edges_repeated():
    import librosa

    from ser.layers import TimeDelta

    x = np.random.default_rng(0).normal(size=(2, 40, 5)).astype(np.float32)  # (batch, frames, rows)
    expected = np.stack([librosa.feature.delta(row.T, width=9, mode="nearest").T for row in x])
    np.testing.assert_allclose(np.asarray(TimeDelta()(x)), expected, atol=1e-5)
    ramp = np.tile(np.arange(40, dtype=np.float32)[None, :, None], (1, 1, 3)) * 0.5
    np.testing.assert_allclose(np.asarray(TimeDelta()(ramp))[0, 4:-4], 0.5, atol=1e-6)  # its slope
    with pytest.raises(ValueError, match="odd"):
        TimeDelta(width=4)


def test_the_log_mel_cnn_can_read_deltas_and_keep_bands_apart_and_the_track_cnn_cannot(tmp_path):
    import keras

    from ser.members import LOGMEL_CNN

    config = CNNConfig(channels=(4, 8), deltas=True, keep_bands=True)
    model = LOGMEL_CNN.build(64, 8, np.zeros(64), np.ones(64), steps=10, config=config)
    assert model.get_layer("level_and_delta").output.shape[1:] == (192, 64, 2)  # level and Δ
    # two 2×2 max-pools leave 16 of the 64 bands, each with 8 filters, side by side
    assert model.get_layer("time_stats").output.shape[-1] == 2 * 16 * 8
    plain = LOGMEL_CNN.build(64, 8, np.zeros(64), np.ones(64), steps=10, config=CNNConfig(channels=(4, 8)))
    assert plain.get_layer("time_stats").output.shape[-1] == 2 * 8  # bands averaged away
    x = np.random.default_rng(1).normal(size=(3, 192, 64)).astype(np.float32)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False, safe_mode=True)  # as bundles load
    np.testing.assert_allclose(
        loaded.predict_on_batch(x)["emotion"], model.predict_on_batch(x)["emotion"], atol=1e-6
    )
    assert "slope over time" in LOGMEL_CNN.training_recipe(SERConfig(model_type="cnn", cnn=config))
    for name in ("deltas", "keep_bands"):
        with pytest.raises(ValueError, match=f"the track CNN cannot .*\\({name}\\)"):
            SERConfig(model_type="tracks", tracks=dataclasses.replace(SERConfig().tracks, **{name: True}))


def test_the_default_log_mel_cnn_reads_deltas_and_keeps_bands_and_older_bundles_read_as_saved():
    assert SERConfig().cnn.deltas and SERConfig().cnn.keep_bands  # the recipe since 0.11
    assert not SERConfig().tracks.deltas and not SERConfig().tracks.keep_bands
    saved = SERConfig().to_dict()
    for name in ("deltas", "keep_bands"):
        del saved["cnn"][name]  # a bundle saved before the fields existed
    before = SERConfig.from_dict(saved).cnn
    assert not before.deltas and not before.keep_bands
    assert SERConfig.from_dict(SERConfig().to_dict()) == SERConfig()


def test_spec_augment_masks_bands_and_frames_of_a_copy():
    rng = np.random.default_rng(0)
    crops = np.random.default_rng(1).normal(size=(4, 64, 32)).astype(np.float32)
    before = crops.copy()
    masked = spec_augment(crops, rng, freq_masks=1, freq_mask_bands=8, time_masks=1, time_mask_frames=10)
    np.testing.assert_array_equal(crops, before)
    assert masked.shape == crops.shape
    for x, original in zip(masked, crops):
        changed = x != original
        rows, cols = changed.all(axis=1), changed.all(axis=0)  # whole frames, whole mel bands
        assert np.array_equal(changed, rows[:, None] | cols[None, :])
        assert rows.sum() <= 10 and cols.sum() <= 8
        assert np.allclose(x[changed], original.mean())  # filled with the crop's mean
    assert (masked != crops).any()
    fill = np.arange(32, dtype=np.float32) - 100.0  # one value per row (the track CNN: training means)
    masked = spec_augment(
        crops, rng, freq_masks=1, freq_mask_bands=8, time_masks=1, time_mask_frames=10, fill=fill
    )
    changed = masked != crops
    assert changed.any()
    np.testing.assert_array_equal(masked[changed], np.broadcast_to(fill, crops.shape)[changed])
    few = np.random.default_rng(2).normal(size=(200, 16, 5)).astype(np.float32)  # 5 tracks, 16 frames
    masked = spec_augment(few, rng, freq_masks=1, freq_mask_bands=8, time_masks=1, time_mask_frames=24)
    changed = masked != few
    assert changed.all(axis=1).sum(axis=1).max() == 5 // 2  # a mask covers at most half the rows
    assert changed.all(axis=2).sum(axis=1).max() == 16 // 2  # and at most half the frames


def test_shuffle_pieces_reorders_whole_frames_of_a_share_of_the_crops():
    crops = np.arange(20 * 96 * 3, dtype=np.float32).reshape(20, 96, 3)  # every frame unique
    before = crops.copy()
    out = shuffle_pieces(crops, np.random.default_rng(0), share=0.5, piece_frames=16)
    np.testing.assert_array_equal(crops, before)
    moved = [i for i in range(20) if not np.array_equal(out[i], crops[i])]
    assert 4 <= len(moved) <= 16  # about half
    for i in moved:  # the same frames, whole, in another order, in runs (the pieces)
        order = out[i][:, 0] // 3 - 96 * i
        assert sorted(order) == list(range(96))
        np.testing.assert_array_equal(out[i], crops[i][order.astype(int)])
        assert 2 <= 1 + np.count_nonzero(np.diff(order) != 1) <= 6
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    np.testing.assert_array_equal(shuffle_pieces(crops, rng, share=0.0), crops)
    assert rng.bit_generator.state == state  # off: no draw, so earlier recipes repeat exactly
    with pytest.raises(ValueError, match="shuffle_share must lie in"):
        CNNConfig(shuffle_share=1.5)


def test_mixup_blends_inputs_and_targets_alike_and_keeps_each_row_mostly_itself():
    rng = np.random.default_rng(0)
    x = np.eye(6, dtype=np.float32)[:, :, None] * np.ones((6, 6, 3), np.float32)
    y = np.eye(6, dtype=np.float32)
    mixed_x, (mixed_y,) = mixup(x, [y], rng, alpha=0.4)
    np.testing.assert_allclose(mixed_y.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(np.argmax(mixed_y, axis=1) == np.arange(6))  # λ ≥ 0.5: the own label dominates
    np.testing.assert_allclose(mixed_x[:, :, 0], mixed_y, rtol=1e-6)  # the same λ and partner


def test_intensity_is_not_given_for_neutral():
    assert intensity_name("angry", 0.8) == "strong" and intensity_name("sad", 0.2) == "normal"
    assert intensity_name("neutral", 0.9) is None


def test_fusion_bundle_declares_inputs_and_reports_every_member(toy_bundle):
    config = json.loads((toy_bundle / "config.json").read_text())
    assert config["model_type"] == "fusion"
    assert config["fusion_members"] == ["mlp", "tracks", "cnn"]
    assert config["fusion"] == load_bundle(toy_bundle).config.fusion == "geometric"
    assert config["inputs"] == {
        "features": [len(load_bundle(toy_bundle).scaler.feature_names)],
        "logmel": [CNNConfig.frames, 64],
        "tracks": [SERConfig().tracks.frames, len(track_names())],
    }
    assert config["outputs"] == ["emotion", "intensity"]
    metrics = json.loads((toy_bundle / "metrics.json").read_text())
    assert set(metrics["models"]) == {"mlp", "tracks", "cnn", "fusion"}
    for member in metrics["models"].values():
        assert len(member["folds"]) == 3 and {"uar", "accuracy", "macro_f1"} <= set(member["summary"])
    assert metrics["summary"] == metrics["models"]["fusion"]["summary"]
    assert 0 <= metrics["summary"]["intensity_accuracy"]["mean"] <= 1


def test_fusion_output_is_the_normalised_geometric_mean_of_its_members(toy_bundle):
    predictor = Predictor(toy_bundle)
    config = predictor.config
    y = synth_speech(2.5, f0=200, rate_hz=6.5, seed=3)
    inputs = model_inputs(y, SR, config)
    fused = predictor.outputs(inputs.by_name())
    model = predictor.bundle.model

    def member(prefix: str) -> object:
        return next(m for m in model.layers if m.name.startswith(prefix))

    p_mlp = np.asarray(
        member("ser_mlp").predict_on_batch(predictor.bundle.scaler.transform(inputs.arrays["features"]))
    )
    p_cnn = member("ser_cnn").predict_on_batch(inputs.arrays["logmel"])
    p_tracks = member("ser_tracks").predict_on_batch(inputs.arrays["tracks"])
    geometric = np.cbrt(p_mlp * np.asarray(p_cnn["emotion"]) * np.asarray(p_tracks["emotion"]))
    pooled = geometric / geometric.sum(axis=1, keepdims=True)
    # then the bundle's temperature, fitted on the CV's out-of-fold predictions
    assert config.temperature != 1.0
    np.testing.assert_allclose(fused["emotion"], apply_temperature(pooled, config.temperature), atol=1e-5)
    both = (np.asarray(p_cnn["intensity"]) + np.asarray(p_tracks["intensity"])).ravel() / 2
    np.testing.assert_allclose(fused["intensity"], both, atol=1e-5)  # the members that have it


def test_geometric_pool_lets_any_member_veto_a_class_and_arithmetic_does_not():
    confident = np.array([[0.50, 0.50, 0.00]])  # rules class 2 out
    unsure = np.array([[0.10, 0.15, 0.75]])
    geometric = np.asarray(pool_probabilities([confident, unsure], "geometric"))
    arithmetic = np.asarray(pool_probabilities([confident, unsure], "arithmetic"))
    assert geometric.argmax() == 1 and arithmetic.argmax() == 2
    np.testing.assert_allclose(geometric.sum(), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="rule"):
        pool_probabilities([confident, unsure], "median")


def test_weighted_pools_lean_on_the_heavier_member_and_equal_weights_are_the_plain_pool(tmp_path):
    import keras

    from ser.fusion import average_models, members_of

    a, b = np.array([[0.7, 0.2, 0.1]]), np.array([[0.1, 0.3, 0.6]])
    for rule in ("geometric", "arithmetic"):
        plain = np.asarray(pool_probabilities([a, b], rule))
        np.testing.assert_allclose(np.asarray(pool_probabilities([a, b], rule, [2.0, 2.0])), plain, atol=1e-7)
        np.testing.assert_allclose(np.asarray(pool_probabilities([a, b], rule, [1.0, 0.0])), a, atol=1e-6)
        leaning = np.asarray(pool_probabilities([a, b], rule, [0.8, 0.2]))
        assert plain[0, 0] < leaning[0, 0] < a[0, 0] and leaning.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(
        np.asarray(pool_probabilities([a, b], "arithmetic", [3, 1])), [[0.55, 0.225, 0.225]]
    )
    for bad in ([1.0], [-1.0, 2.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match="weights"):
            pool_probabilities([a, b], "geometric", bad)

    # a weighted pool of Keras models saves its weights in the .keras file
    members = []
    for name, logits in (("first", [2.0, 0.0, -1.0]), ("second", [-1.0, 0.0, 2.0])):
        x = keras.Input((1,), name=f"in_{name}")
        dense = keras.layers.Dense(
            3,
            activation="softmax",
            kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(logits),
        )
        members.append(keras.Model(x, dense(x), name=name))
    pooled = average_models(members, name="pooled", rule="geometric", weights=[0.9, 0.1])
    assert [m.name for m in members_of(pooled)] == ["first", "second"] and members_of(members[0]) == [
        members[0]
    ]
    pooled.save(tmp_path / "pooled.keras")
    loaded = keras.saving.load_model(tmp_path / "pooled.keras")
    given = {"in_first": np.zeros((1, 1)), "in_second": np.zeros((1, 1))}
    expected = pool_probabilities(
        [m.predict_on_batch(np.zeros((1, 1))) for m in members], "geometric", [0.9, 0.1]
    )
    np.testing.assert_allclose(loaded.predict_on_batch(given)["emotion"], np.asarray(expected), atol=1e-6)


def test_the_fusion_weights_script_scores_the_bundle_itself_and_each_member_alone(toy_bundle, toy_corpus):
    from ser.crosscorpus import measure

    done = run_script(
        "fusion_weights.py", "--model-dir", toy_bundle, "--dev", toy_corpus, "--weights", f"1,{1 / 3},0"
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert rows[0].startswith("| w (mlp) | toy_corpus") and "strict" in rows[0]
    cells = {
        row.split("|")[1].strip(): [c.strip() for c in row.strip("|").split("|")[1:]] for row in rows[2:]
    }
    assert list(cells) == ["1", "0.333333", "0"]
    # equal weights are the bundle itself, as ser-train --dev measures it
    itself = measure(Predictor(toy_bundle), toy_corpus)
    assert cells["0.333333"][0] == f"{100 * itself['strict']['uar']:.1f}"
    assert cells["1"] != cells["0"] or cells["1"] != cells["0.333333"]


def test_bundles_from_before_the_fusion_fields_read_as_the_arithmetic_mean_of_mlp_and_cnn():
    old = SERConfig.from_dict({"model_type": "fusion"})
    assert old.fusion == "arithmetic" and old.inputs == ("features", "logmel")
    assert SERConfig().fusion == "geometric" and SERConfig().fusion_members == ("tracks", "cnn")
    with pytest.raises(ValueError, match="fusion"):
        SERConfig(fusion="median")
    for members in (("cnn",), ("cnn", "cnn"), ("cnn", "transformer")):
        with pytest.raises(ValueError, match="fusion_members"):
            SERConfig(fusion_members=members)


def test_prediction_carries_intensity(toy_bundle):
    result = Predictor(toy_bundle).predict((SR, synth_speech(2.5, f0=240, rate_hz=8.5, seed=5)))
    assert result.label in TOY_CLASSES
    assert result.intensity in ("normal", "strong") and 0 <= result.intensity_strong <= 1
    assert result.headline == f"{result.label} — {result.intensity}"
    assert result.timeline[0].intensity == result.intensity


@pytest.mark.slow
@pytest.mark.parametrize("model_type", ["mlp", "cnn", "tracks"])
def test_every_model_type_trains_loads_and_predicts(model_type, toy_corpus, tmp_path):
    out = tmp_path / model_type
    result = run_script(
        "train.py",
        "--manifest", toy_corpus,
        "--model-type", model_type,
        "--folds", 2,
        "--epochs", 8,
        "--hidden", 16,
        "--ensemble", 1,
        "--cnn-epochs", 2,
        "--cnn-channels", "4,8",
        "--tracks-epochs", 2,
        "--tracks-channels", "4,8",
        "--augment-copies", 1,
        "--augment", "room_bank=4",
        "--jobs", 1,
        "--cache-dir", tmp_path / "cache",
        "--out", out,
        *(["--set", "tracks.leave_out=chroma"] if model_type == "tracks" else []),  # 76 of the 94 tracks
        *(["--set", "cnn.deltas=true", "cnn.keep_bands=true"] if model_type == "cnn" else []),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / SCALER_FILE).is_file() == (model_type == "mlp")  # the CNNs standardise inside themselves
    assert json.loads((out / "config.json").read_text())["model_type"] == model_type
    clip = tmp_path / "clip.wav"
    sf.write(clip, synth_speech(2.5, seed=1), SR)
    prediction = Predictor(out).predict(clip)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    assert (prediction.intensity_strong is not None) == (model_type != "mlp")  # the MLP has no head
    evaluated = run_script("evaluate.py", "--model-dir", out, "--file", clip, "--json", tmp_path / "e.json")
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    # the command line gives the same answer as the package for the same file
    row = json.loads((tmp_path / "e.json").read_text())["rows"][0]
    assert row["label"] == prediction.label
    assert row["confidence"] == pytest.approx(prediction.confidence, abs=1e-3)
    card = run_script("publish.py", "--model-dir", out, "--repo-id", "me/toy", "--dry-run")
    assert card.returncode == 0, card.stderr[-2000:]
    # the card describes the model it publishes
    assert (f"**Log-mel CNN:** a {CNNConfig.frames}-frame crop" in card.stdout) == (model_type == "cnn")
    assert ("**Track CNN:** a 192-frame crop of 76 tracks" in card.stdout) == (model_type == "tracks")
    assert ("Leaves out the chroma rows." in card.stdout) == (model_type == "tracks")
    assert ("slope over time (Δ)" in card.stdout) == (model_type == "cnn")
    assert ("**MLP:** Dense 16" in card.stdout) == (model_type == "mlp")


@pytest.mark.parametrize("member", ["cnn", "tracks"])
def test_bundle_whose_crop_does_not_fit_its_model_is_refused(member, toy_bundle, tmp_path):
    broken = shutil.copytree(toy_bundle, tmp_path / "broken")
    config = json.loads((broken / "config.json").read_text())
    config[member]["frames"] = 128
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="takes"):
        load_bundle(broken)


def test_fusion_bundle_without_its_scaler_is_refused(toy_bundle, tmp_path):
    broken = shutil.copytree(toy_bundle, tmp_path / "noscaler")
    (broken / SCALER_FILE).unlink()
    with pytest.raises(BundleError, match="scaler.json"):
        load_bundle(broken)


def test_balanced_epochs_draw_every_emotion_equally_often_and_label_smoothing_softens_the_loss():
    import keras

    from ser.training.crops import CropEpochs
    from ser.training.data import TrainingData

    y = np.array([0] * 10 + [1] * 20 + [2] * 20)  # class 0 (like neutral) has half the files
    tracks = [[np.zeros((16, 50), np.float16)] for _ in y]
    data = TrainingData({"tracks": tracks}, y, np.array(["a"] * len(y)))
    plain = CNNConfig(frames=32, batch_size=50, mixup_alpha=0.0)
    counts = {}
    for balance in (False, True):
        cc = CNNConfig(frames=32, batch_size=50, mixup_alpha=0.0, balance=balance)
        epochs = CropEpochs(data, tracks, np.arange(len(y)), 3, cc, np.random.default_rng(0), None)
        drawn = []
        for _ in range(40):
            drawn.append(epochs[0][1]["emotion"].argmax(axis=1))
            epochs.on_epoch_end()
        counts[balance] = np.bincount(np.concatenate(drawn), minlength=3) / (40 * len(y))
    assert counts[False] == pytest.approx([0.2, 0.4, 0.4])
    assert counts[True] == pytest.approx([1 / 3] * 3, abs=0.03)

    model = TRACK_CNN.build(4, 3, np.zeros(4), np.ones(4), 10, plain, intensity=False)
    smoothed = TRACK_CNN.build(
        4, 3, np.zeros(4), np.ones(4), 10, CNNConfig(frames=32, label_smoothing=0.2), intensity=False
    )
    truth, answer = np.array([[1.0, 0.0, 0.0]]), np.array([[0.999, 0.0005, 0.0005]])
    assert float(keras.ops.convert_to_numpy(model.loss["emotion"](truth, answer))) < 0.01
    assert float(keras.ops.convert_to_numpy(smoothed.loss["emotion"](truth, answer))) > 0.5


def test_strong_weight_makes_epochs_draw_strong_takes_that_much_more_or_less_often():
    from ser.training.crops import CropEpochs
    from ser.training.data import TrainingData

    y = np.array([0, 1] * 20)
    strong = np.array([1.0, 0.0, 0.0, 1.0] * 10, dtype=np.float32)  # half the files of each emotion
    tracks = [[np.zeros((16, 50), np.float16)] for _ in y]
    shares = {}
    for weight in (1.0, 0.5, 3.0):
        data = TrainingData({"tracks": tracks}, y, np.array(["a"] * len(y)), strong)
        cc = CNNConfig(frames=32, batch_size=40, mixup_alpha=0.0, strong_weight=weight)
        epochs = CropEpochs(data, tracks, np.arange(len(y)), 2, cc, np.random.default_rng(0), None)
        drawn = []
        for _ in range(50):
            drawn.append(epochs[0][1]["intensity"].ravel())
            epochs.on_epoch_end()
        shares[weight] = float(np.mean(np.concatenate(drawn)))
    assert shares[1.0] == 0.5  # every file once
    assert shares[0.5] == pytest.approx(1 / 3, abs=0.03) and shares[3.0] == pytest.approx(0.75, abs=0.03)
    # without intensity labels it does nothing: every file once per epoch
    unlabelled = TrainingData({"tracks": tracks}, np.arange(len(y)), np.array(["a"] * len(y)))
    cc = CNNConfig(frames=32, batch_size=40, mixup_alpha=0.0, strong_weight=0.5)
    epochs = CropEpochs(unlabelled, tracks, np.arange(len(y)), len(y), cc, np.random.default_rng(0), None)
    assert sorted(epochs[0][1]["emotion"].argmax(axis=1)) == list(range(len(y)))
    with pytest.raises(ValueError, match="strong_weight"):
        CNNConfig(strong_weight=0.0)


def test_a_soft_calm_neutral_boundary_shares_those_two_targets_and_leaves_every_other_one_hot():
    from ser.emotions import EMOTIONS
    from ser.training.crops import CropEpochs, emotion_targets
    from ser.training.data import TrainingData

    calm, neutral, sad = (EMOTIONS.index(e) for e in ("calm", "neutral", "sad"))
    y = np.array([calm, neutral, sad])
    soft = emotion_targets(y, len(EMOTIONS), EMOTIONS, calm_neutral=0.25)
    assert soft[0, [calm, neutral]] == pytest.approx([0.75, 0.25])
    assert soft[1, [calm, neutral]] == pytest.approx([0.25, 0.75])
    np.testing.assert_array_equal(soft[2], np.eye(len(EMOTIONS))[sad])
    assert soft.sum(axis=1) == pytest.approx([1, 1, 1])
    merged = emotion_targets(y, len(EMOTIONS), EMOTIONS, calm_neutral=0.5)
    assert merged[0] == pytest.approx(merged[1])
    np.testing.assert_array_equal(emotion_targets(y, len(EMOTIONS), EMOTIONS), np.eye(len(EMOTIONS))[y])
    # classes without calm and neutral (or not given) keep one-hot targets
    np.testing.assert_array_equal(emotion_targets(np.array([0, 1]), 2, ("a", "b"), 0.25), np.eye(2))
    with pytest.raises(ValueError, match="calm_neutral"):
        CNNConfig(calm_neutral=0.6)

    # the epochs a crop model trains on carry them (the dataset knows its classes)
    tracks = [[np.zeros((16, 50), np.float16)] for _ in y]
    data = TrainingData({"tracks": tracks}, y, np.array(["a"] * 3), classes=EMOTIONS)
    cc = CNNConfig(frames=32, batch_size=3, mixup_alpha=0.0, calm_neutral=0.25)
    _, targets = CropEpochs(data, tracks, np.arange(3), len(EMOTIONS), cc, np.random.default_rng(0), None)[0]
    assert sorted(map(tuple, targets["emotion"].round(2))) == sorted(map(tuple, soft.round(2)))


def test_clean_weight_makes_epochs_take_the_clean_version_that_much_more_often():
    from ser.training.crops import CropEpochs
    from ser.training.data import TrainingData

    y = np.arange(40) % 2
    # version k of every file is filled with k: a crop's value says which version it came from
    versions = [[np.full((16, 40), k, np.float16) for k in range(9)] for _ in y]
    data = TrainingData({"tracks": versions}, y, np.array(["a"] * len(y)))
    shares = {}
    for clean_weight in (1.0, 4.0):
        cc = CNNConfig(
            frames=32, batch_size=40, mixup_alpha=0.0, freq_masks=0, time_masks=0, clean_weight=clean_weight
        )
        epochs = CropEpochs(data, versions, np.arange(len(y)), 2, cc, np.random.default_rng(0), None)
        taken = []
        for _ in range(100):
            taken.append(epochs[0][0][:, 0, 0])
            epochs.on_epoch_end()
        shares[clean_weight] = float(np.mean(np.concatenate(taken) == 0))
    assert shares[1.0] == pytest.approx(1 / 9, abs=0.02)
    assert shares[4.0] == pytest.approx(4 / 12, abs=0.03)


def test_speaker_adversarial_training_reverses_the_speaker_heads_gradient_and_ships_without_the_head(caplog):
    import keras
    import tensorflow as tf

    from ser.layers import ReverseGradient
    from ser.registry import FitRequest
    from ser.training.crops import CropEpochs, fit_crops
    from ser.training.data import TrainingData

    x = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ReverseGradient(0.3)(x)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(y.numpy(), x.numpy())  # forward: the identity
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[-0.3, -0.6, -0.9]], rtol=1e-6)

    y = np.arange(24) % 2
    speakers = np.repeat(["01", "02", "03", "04"], 6)
    tracks = [[np.random.default_rng(i).normal(size=(16, 40)).astype(np.float16)] for i in range(24)]
    data = TrainingData(
        {"tracks": tracks}, y, speakers, intensity=(np.arange(24) % 3 == 0).astype(np.float32)
    )
    train = speakers != "04"  # the test speaker is no class of the speaker head
    cc = CNNConfig(frames=32, batch_size=8, epochs=2, speaker_adversarial=0.5)
    batches = CropEpochs(data, tracks, np.flatnonzero(train), 2, cc, np.random.default_rng(0), None)
    x_batch, targets = batches[0]
    assert set(targets) == {"emotion", "intensity", "speaker"} and targets["speaker"].shape == (8, 3)
    np.testing.assert_allclose(
        targets["speaker"].sum(axis=1), 1.0, rtol=1e-6
    )  # mixed up, still a distribution
    plain = CropEpochs(
        data,
        tracks,
        np.flatnonzero(train),
        2,
        dataclasses.replace(cc, speaker_adversarial=0.0),
        np.random.default_rng(0),
        None,
    )
    np.testing.assert_array_equal(plain[0][0], x_batch)  # the same draws: an off switch changes nothing else
    assert "speaker" not in plain[0][1]

    model = TRACK_CNN.build(16, 2, np.zeros(16), np.ones(16), 10, cc, speakers=3)
    assert set(model.output_names) == {"emotion", "intensity", "speaker"}
    assert "reverse_gradient" in [layer.name for layer in model.layers]

    config = SERConfig(tracks=cc)
    with caplog.at_level("INFO", logger="ser.training.crops"):
        fitted = fit_crops(TRACK_CNN, FitRequest(data, train, 2, config), epochs=2)
    assert (
        "the speaker head's loss in the last epoch" in caplog.text and "among 3 speakers: 1.10" in caplog.text
    )
    assert set(fitted.output_names) == {"emotion", "intensity"}  # the head trained, and stays behind
    assert "reverse_gradient" not in [layer.name for layer in fitted.layers]
    probabilities = keras.ops.convert_to_numpy(fitted(x_batch)["emotion"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="speaker_adversarial must be at least 0"):
        CNNConfig(speaker_adversarial=-0.1)


def test_speaker_norm_probe_gives_each_speakers_inputs_the_training_statistics(toy_bundle, toy_corpus):
    from ser.datasets import manifest_items
    from ser.inference import analyse_many

    probe = load_script("speaker_norm_probe")
    bundle = load_bundle(toy_bundle)
    reference = probe.training_stats(bundle)
    assert set(reference) == {"features", "tracks", "logmel"}  # the scaler's and both CNNs' layers
    items = manifest_items(toy_corpus)
    analyses = analyse_many([str(it.path) for it in items], bundle.config)
    speakers = [it.speaker for it in items]
    adapted = probe.adapt(analyses, speakers, reference)
    for speaker in sorted(set(speakers)):
        before, after = (
            [a for a, s in zip(given, speakers, strict=True) if s == speaker] for given in (analyses, adapted)
        )
        for name in ("features", "tracks"):  # the log-mel crops' padding moves with them
            moving = probe.row_stats([b.arrays[name] for a in before for b in a.batches])[1] > 1e-4
            mean, std = probe.row_stats([b.arrays[name] for a in after for b in a.batches])
            assert moving.mean() > 0.9
            np.testing.assert_allclose(mean, reference[name][0], rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(std[moving], reference[name][1][moving], rtol=1e-3)


def test_speaker_norm_probe_scores_the_bundle_itself_and_each_grouping(toy_bundle, toy_corpus):
    from ser.crosscorpus import measure

    done = run_script("speaker_norm_probe.py", "--model-dir", toy_bundle, "--dev", toy_corpus)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| toy_corpus")]
    cells = {row.split("|")[2].strip(): [c.strip() for c in row.strip("|").split("|")[2:]] for row in rows}
    assert list(cells) == ["none", "corpus", "speaker"]
    itself = measure(Predictor(toy_bundle), toy_corpus)
    assert cells["none"][0] == f"{100 * itself['strict']['uar']:.1f}"
    assert all(0 <= float(c) <= 100 for row in cells.values() for c in row if c)
