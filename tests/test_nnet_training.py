"""metricvox-train: config schema, schedules, checkpoints, exact resume, --init."""
import math
import re

import numpy as np
import pytest
import torch
import yaml

from conftest import assert_one_line_error, run_tool
from metricvox.errors import InputError
from metricvox.io import MatrixWriter, read_matrix_dict
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint, load_model_weights
from metricvox.nnet.training.config import validate_config
from metricvox.nnet.training.loop import train
from metricvox.nnet.training.schedules import build_optimiser, build_schedule

FREQ_BINS = 40  # the fewest Thin ResNet34 takes: keeps the runs fast


def base_config(**changes):
    config = {
        "model": {"name": "thin_resnet34", "freq_bins": FREQ_BINS, "embedding_dim": 16},
        "loss": {"name": "aamsoftmax"},
        "input": {"source": "feats", "crop_frames": 30},
        "sampler": {"classes_per_batch": 3, "per_class": 2},
        "optimiser": {"name": "adam", "lr": 0.01},
        "schedule": {"name": "step", "every_epochs": 1, "factor": 0.5},
        "epochs": 3,
    }
    config.update(changes)
    return config


@pytest.fixture(scope="module")
def feats_dir(tmp_path_factory):
    """4 speakers x 4 utterances of random features around a speaker mean; some shorter than the crop."""
    data = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    utt2spk = []
    with MatrixWriter(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as writer:
        for s in range(4):
            mean = rng.normal(size=FREQ_BINS)
            for u in range(4):
                frames = 20 if u == 0 else 60
                key = f"spk{s}-utt{u}"
                writer.write(key, (mean + rng.normal(size=(frames, FREQ_BINS))).astype(np.float32))
                utt2spk.append(f"{key} spk{s}\n")
    (data / "utt2spk").write_text("".join(utt2spk))
    return data


def write_config(path, config):
    path.write_text(yaml.safe_dump(config))
    return path


def test_unknown_config_keys_are_named_with_the_valid_ones():
    with pytest.raises(InputError, match=r"'optimizer'.*valid keys: model, loss, input"):
        validate_config(base_config(optimizer={"name": "adam"}))
    with pytest.raises(InputError, match=r"'crop_secs' in 'input'.*crop_seconds"):
        validate_config(base_config(input={"source": "feats", "crop_secs": 2}))
    with pytest.raises(InputError, match=r"'batch_sz' in 'sampler'.*name, classes_per_batch"):
        validate_config(base_config(sampler={"batch_sz": 8}))
    with pytest.raises(InputError, match=r"'sampler.batch_size' is not an option of sampler pk "
                                         r"\(its options: classes_per_batch, per_class\)"):
        validate_config(base_config(sampler={"batch_size": 8}))
    with pytest.raises(InputError, match="sampler pairs needs 'list'"):
        validate_config(base_config(sampler={"name": "pairs", "batch_size": 8}))
    with pytest.raises(InputError, match="exactly one of 'crop_seconds' and 'crop_frames'"):
        validate_config(base_config(input={"source": "feats"}))


def test_defaults_are_filled_in():
    config = validate_config(base_config())
    assert config["input"]["short"] == "repeat" and config["input"]["labels"] == "utt2spk"
    assert config["workers"] == 0 and config["optimiser"]["weight_decay"] == 0.0


def test_tool_reports_a_bad_key_on_one_line(tmp_path, feats_dir):
    config = write_config(tmp_path / "bad.yaml", base_config(epoch=3))
    proc = run_tool("metricvox-train", "--config", config, "--data", feats_dir,
                    "--out", tmp_path / "exp", check=False)
    assert_one_line_error(proc, "bad.yaml", "'epoch'", "valid keys")


def test_the_number_of_classes_comes_from_the_data_not_the_config(tmp_path, feats_dir):
    config = write_config(tmp_path / "c.yaml", base_config(
        loss={"name": "multi", "losses": [{"name": "softmax", "weight": 1, "num_classes": 5994}]}))
    proc = run_tool("metricvox-train", "--config", config, "--data", feats_dir,
                    "--out", tmp_path / "exp", check=False)
    assert_one_line_error(proc, "c.yaml", "'loss.losses[1].num_classes' cannot be set",
                          "distinct labels")
    assert not (tmp_path / "exp").exists()


def test_a_batch_of_more_classes_than_the_data_have_names_the_key_to_lower(tmp_path, feats_dir):
    # A P x K batch of 5 speakers on data of 4 (the fixture's): refused before any training.
    config = write_config(tmp_path / "big.yaml",
                          base_config(sampler={"classes_per_batch": 5, "per_class": 2}))
    proc = run_tool("metricvox-train", "--config", config, "--data", feats_dir,
                    "--out", tmp_path / "exp", check=False)
    assert_one_line_error(proc, f"{config}: config 'sampler.classes_per_batch' is 5, but the "
                          "training data have only 4 classes (labels of utt2spk): set it to 4 "
                          "or fewer")
    assert not (tmp_path / "exp").exists()


def test_resuming_on_data_with_more_speakers_is_one_line(tmp_path, feats_dir):
    config = write_config(tmp_path / "c.yaml", base_config(epochs=1))
    train(config, feats_dir, tmp_path / "exp")
    grown = tmp_path / "grown"
    grown.mkdir()
    (grown / "feats.scp").write_text((feats_dir / "feats.scp").read_text()
                                     + "spk9-utt0 " + (feats_dir / "feats.scp").read_text()
                                     .splitlines()[1].split(None, 1)[1] + "\n")
    (grown / "utt2spk").write_text((feats_dir / "utt2spk").read_text() + "spk9-utt0 spk9\n")
    write_config(config, base_config(epochs=2))
    proc = run_tool("metricvox-train", "--config", config, "--data", grown, "--out",
                    tmp_path / "exp", "--resume", check=False)
    assert_one_line_error(proc, f"{tmp_path}/exp/last.pt", "the data has 5 classes",
                          "classifier 4", "'spk9' is new")


def lr_after(config, epochs):
    parameter = torch.nn.Parameter(torch.zeros(1))
    config = validate_config(config)
    optimiser = build_optimiser([parameter], config)
    schedule = build_schedule(optimiser, config)
    rates = []
    for _ in range(epochs):
        rates.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        schedule.step()
    return rates


def test_step_schedule_is_the_singer_papers_5_percent_every_10_epochs():
    rates = lr_after(base_config(optimiser={"name": "adam", "lr": 1e-3},
                                 schedule={"name": "step", "every_epochs": 10, "factor": 0.95}), 35)
    expected = [1e-3 * 0.95 ** (e // 10) for e in range(35)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_cosine_schedule_follows_the_half_cosine():
    rates = lr_after(base_config(epochs=8, optimiser={"name": "sgd", "lr": 0.1, "momentum": 0.9},
                                 schedule={"name": "cosine", "min_lr": 0.01}), 8)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 8)) / 2 for e in range(8)]
    np.testing.assert_allclose(rates, expected, rtol=1e-9)


def test_unknown_schedule_lists_the_valid_ones():
    with pytest.raises(InputError, match="step, cosine, none"):
        lr_after(base_config(schedule={"name": "exponential"}), 1)


def test_resume_continues_exactly(tmp_path, feats_dir):
    config = write_config(tmp_path / "exp.yaml", base_config())
    straight = tmp_path / "straight"
    train(config, feats_dir, straight, seed=3)

    stopped = tmp_path / "stopped"
    write_config(tmp_path / "two.yaml", base_config(epochs=2))
    train(tmp_path / "two.yaml", feats_dir, stopped, seed=3)
    train(config, feats_dir, stopped, resume=True, seed=99)  # the run's own seed is kept

    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(stopped / "last.pt")
    assert a.epoch == b.epoch == 3
    for name, tensor in a.model_state.items():
        assert torch.equal(tensor, b.model_state[name]), name
    for name, tensor in a.loss_state.items():  # the margin head's class weights
        assert torch.equal(tensor, b.loss_state[name]), name
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    # The step schedule halved the rate after each epoch.
    assert [h["lr"] for h in a.history] == [0.01, 0.005, 0.0025]
    for epoch in (1, 2, 3):
        assert (straight / f"epoch_{epoch}.pt").exists()
    assert "epoch 3/3" in (straight / "train.log").read_text()
    assert "data wait" in (straight / "train.log").read_text()
    assert a.classes == ["spk0", "spk1", "spk2", "spk3"]
    assert a.config["model"]["name"] == "thin_resnet34" and a.crop_frames == 30
    assert yaml.safe_load((straight / "config.yaml").read_text()) == base_config()


def test_two_runs_with_one_seed_write_the_same_bytes(tmp_path, feats_dir):
    config = write_config(tmp_path / "exp.yaml", base_config(epochs=1))
    for run in ("a", "b"):
        train(config, feats_dir, tmp_path / run, seed=5)
    for name in ("epoch_1.pt", "last.pt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # The timings, which differ between the runs, are in the log only.
    assert "segments/s" in (tmp_path / "a" / "train.log").read_text()
    assert "segments_per_second" not in load_checkpoint(tmp_path / "a" / "last.pt").history[0]


def test_the_number_of_data_workers_does_not_change_the_trained_model(tmp_path, feats_dir):
    # Every crop is drawn from its own seed, whichever worker process reads it.
    for workers in (0, 2):
        config = write_config(tmp_path / f"w{workers}.yaml", base_config(epochs=1, workers=workers))
        train(config, feats_dir, tmp_path / f"w{workers}", seed=5)
    a, b = (load_checkpoint(tmp_path / f"w{w}" / "last.pt") for w in (0, 2))
    for name, tensor in a.model_state.items():
        assert torch.equal(tensor, b.model_state[name]), name


def test_batches_per_epoch_cuts_each_epoch_short(tmp_path, feats_dir):
    # 4 speakers x 4 utterances in batches of 3 x 2: more than one batch per full epoch.
    train(write_config(tmp_path / "full.yaml", base_config(epochs=1)), feats_dir, tmp_path / "f")
    full = load_checkpoint(tmp_path / "f" / "last.pt").history[0]["batches"]
    assert full > 1
    train(write_config(tmp_path / "cut.yaml", base_config(epochs=2, batches_per_epoch=1)),
          feats_dir, tmp_path / "c")
    assert [h["batches"] for h in load_checkpoint(tmp_path / "c" / "last.pt").history] == [1, 1]
    with pytest.raises(InputError, match="batches_per_epoch"):
        validate_config(base_config(batches_per_epoch=-2))


def test_a_second_run_into_the_same_dir_needs_resume(tmp_path, feats_dir):
    config = write_config(tmp_path / "exp.yaml", base_config(epochs=1))
    train(config, feats_dir, tmp_path / "exp")
    with pytest.raises(InputError, match="--resume"):
        train(config, feats_dir, tmp_path / "exp")
    changed = write_config(tmp_path / "changed.yaml",
                           base_config(epochs=1, optimiser={"name": "adam", "lr": 0.1}))
    with pytest.raises(InputError, match="optimiser"):
        train(changed, feats_dir, tmp_path / "exp", resume=True)


def test_init_loads_model_weights_and_refuses_another_model(tmp_path, feats_dir):
    config = write_config(tmp_path / "softmax.yaml", base_config(epochs=1, loss={"name": "softmax"}))
    train(config, feats_dir, tmp_path / "pre")
    checkpoint = load_checkpoint(tmp_path / "pre" / "last.pt")
    model = build_model("thin_resnet34", freq_bins=FREQ_BINS, embedding_dim=16)
    load_model_weights(model, "thin_resnet34", {"freq_bins": FREQ_BINS, "embedding_dim": 16},
                       checkpoint, "pre/last.pt")
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, checkpoint.model_state[name])

    other = write_config(tmp_path / "other.yaml", base_config(
        epochs=1, model={"name": "thin_resnet34", "freq_bins": FREQ_BINS, "embedding_dim": 8}))
    with pytest.raises(InputError, match="last.pt: checkpoint holds model .*embedding_dim"):
        train(other, feats_dir, tmp_path / "fine", init=tmp_path / "pre" / "last.pt")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error(tmp_path, feats_dir):
    config = write_config(tmp_path / "exp.yaml", base_config(epochs=1))
    with pytest.raises(InputError, match="no CUDA"):
        train(config, feats_dir, tmp_path / "exp", device="cuda")


def test_bad_validation_sections_are_named():
    with pytest.raises(InputError, match="'every' in 'validation'.*patience"):
        validate_config(base_config(validation={"every": 1}))
    with pytest.raises(InputError, match="eer, accuracy"):
        validate_config(base_config(validation={"data": "d", "metric": "auc"}))
    with pytest.raises(InputError, match="needs 'trials'"):
        validate_config(base_config(validation={"data": "d", "metric": "eer"}))


def test_best_model_and_early_stopping(tmp_path, feats_dir, monkeypatch):
    """Validation values 0.30, 0.20, 0.25, 0.20 with patience 2: best epoch 2, stop after 4."""
    values = iter([0.30, 0.20, 0.25, 0.20, 0.10, 0.05])
    monkeypatch.setattr("metricvox.nnet.training.validation.Validator.__call__",
                        lambda self, run: next(values))
    config = write_config(tmp_path / "exp.yaml", base_config(epochs=6, validation={
        "data": str(feats_dir), "metric": "eer", "trials": str(tmp_path / "trials"),
        "patience": 2}))
    (tmp_path / "trials").write_text("spk0-utt0 spk0-utt1 target\nspk0-utt0 spk1-utt1 nontarget\n")
    train(config, feats_dir, tmp_path / "exp")
    assert not (tmp_path / "exp" / "epoch_5.pt").exists()
    last = load_checkpoint(tmp_path / "exp" / "last.pt")
    assert [h["validation"] for h in last.history] == [0.30, 0.20, 0.25, 0.20]
    best = load_checkpoint(tmp_path / "exp" / "best.pt")
    epoch2 = load_checkpoint(tmp_path / "exp" / "epoch_2.pt")
    assert best.epoch == 2
    for name, tensor in best.model_state.items():
        assert torch.equal(tensor, epoch2.model_state[name])
    assert "early stop after epoch 4" in (tmp_path / "exp" / "train.log").read_text()
    # Resuming a run that stopped early does not train further.
    train(config, feats_dir, tmp_path / "exp", resume=True)
    assert not (tmp_path / "exp" / "epoch_5.pt").exists()


def test_accuracy_validation_is_the_classifiers_accuracy_on_full_utterances(tmp_path, feats_dir):
    config = write_config(tmp_path / "exp.yaml", base_config(epochs=1, validation={
        "data": str(feats_dir), "metric": "accuracy"}))
    train(config, feats_dir, tmp_path / "exp")
    checkpoint = load_checkpoint(tmp_path / "exp" / "best.pt")
    model = build_model("thin_resnet34", freq_bins=FREQ_BINS, embedding_dim=16)
    model.load_state_dict(checkpoint.model_state)
    model.eval()
    head = torch.nn.functional.normalize(checkpoint.loss_state["head.W"], dim=0)
    hits = 0
    for key, features in read_matrix_dict(f"scp:{feats_dir}/feats.scp").items():
        if features.shape[0] < 30:  # as in training, short utterances are repeated to the crop
            features = np.tile(features, (2, 1))[:30]
        with torch.no_grad():
            embedding = model(torch.from_numpy(features.T.copy())[None])[0]
        cosines = torch.nn.functional.normalize(embedding, dim=0) @ head
        hits += int(cosines.argmax()) == int(key[3])
    assert checkpoint.history[0]["validation"] == pytest.approx(hits / 16)


def test_the_multi_metric_papers_weighted_losses_train_and_report_accuracy(tmp_path, feats_dir):
    config = write_config(tmp_path / "multi.yaml", base_config(epochs=1, loss={
        "name": "multi", "losses": [
            {"name": "npair", "weight": 0.5}, {"name": "softmax", "weight": 0.1},
            {"name": "triplet", "weight": 1.0, "mining": "semihard"},
            {"name": "angular", "weight": 1.0, "alpha": 45}]}))
    figures = train(config, feats_dir, tmp_path / "exp")
    assert math.isfinite(figures["loss"]) and 0 <= figures["accuracy"] <= 1
    checkpoint = load_checkpoint(tmp_path / "exp" / "last.pt")
    assert any(name.endswith("weight") for name in checkpoint.loss_state)  # softmax head


def test_mean_norm_travels_with_the_checkpoint_to_extraction(tmp_path, feats_dir):
    from metricvox.nnet.extraction import Embedder

    config = write_config(tmp_path / "exp.yaml", base_config(
        epochs=1, input={"source": "feats", "crop_frames": 30, "mean_norm": True}))
    train(config, feats_dir, tmp_path / "exp", seed=1)
    embedder = Embedder.from_checkpoint(tmp_path / "exp" / "last.pt", torch.device("cpu"))
    assert embedder.mean_norm is True
    frames = np.random.default_rng(0).normal(size=(50, FREQ_BINS)).astype(np.float32)
    np.testing.assert_allclose(embedder.utterance(frames), embedder.utterance(frames + 5.0),
                               atol=1e-4)


def test_zero_epochs_saves_the_seeded_initial_model_untrained(tmp_path, feats_dir):
    config = write_config(tmp_path / "random.yaml", base_config(epochs=0))
    train(config, feats_dir, tmp_path / "random", seed=5)
    saved = load_checkpoint(tmp_path / "random" / "last.pt")
    assert saved.epoch == 0 and saved.history == []
    # The same weights as a model freshly built under the same seed: nothing was trained.
    torch.manual_seed(5)
    fresh = build_model("thin_resnet34", freq_bins=FREQ_BINS, embedding_dim=16)
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(tensor, saved.model_state[name]), name
    with pytest.raises(InputError, match="'epochs' must be a positive integer"):
        validate_config(base_config(epochs=-1))


def test_a_loss_that_turns_non_finite_is_a_training_failure_on_one_line(tmp_path, feats_dir):
    """A learning rate of 1e30 throws the weights past float32's range after the first step:
    the run fails, named as a failure of training (the input is finite and well formed)."""
    config = write_config(tmp_path / "c.yaml", base_config(
        epochs=3, optimiser={"name": "sgd", "lr": 1e30}))
    proc = run_tool("metricvox-train", "--config", config, "--data", feats_dir, "--out",
                    tmp_path / "exp", check=False)
    assert_one_line_error(proc, "training failed: the loss is", "lower the learning rate")


def test_yaml_aliases_are_followed_but_an_alias_bomb_is_refused_at_once():
    """Anchors that reuse a section are fine; aliases of aliases that stand for 9^6 values
    are refused in the time it takes to read the file, not after expanding them."""
    shared = {"name": "adam", "lr": 0.01}
    config = validate_config(base_config(optimiser=shared, schedule={"name": "none"}))
    assert config["optimiser"]["lr"] == 0.01
    level = ["x"] * 9
    for _ in range(6):
        level = [level] * 9   # each list holds the same list 9 times, as YAML aliases do
    with pytest.raises(InputError, match=r"'model\.extra[^']*' stands for more than 100000 values"):
        validate_config(base_config(model={"name": "thin_resnet34", "extra": level}))


def _truncated_copy(feats_dir, data):
    """feats_dir's tables with its ark cut in half: the scp's later entries point past the end."""
    data.mkdir()
    ark = (feats_dir / "feats.ark").read_bytes()
    (data / "feats.ark").write_bytes(ark[:len(ark) // 2])
    scp = (feats_dir / "feats.scp").read_text().replace(str(feats_dir / "feats.ark"), str(data / "feats.ark"))
    (data / "feats.scp").write_text(scp)
    (data / "utt2spk").write_text((feats_dir / "utt2spk").read_text())
    return data, "feats.scp", {}


def _garbage_wavs(feats_dir, data):
    """A wav.scp of 0.5 s recordings whose second half are not audio at all."""
    import soundfile
    data.mkdir()
    lines = []
    utt2spk = (feats_dir / "utt2spk").read_text()
    for number, line in enumerate(utt2spk.splitlines()):
        utt = line.split()[0]
        if number < 8:
            soundfile.write(data / f"{utt}.wav", np.random.default_rng(number).normal(0, 0.1, 8000), 16000)
        else:
            (data / f"{utt}.wav").write_bytes(b"\x00\x01 not audio \xff" * 50)
        lines.append(f"{utt} {data / utt}.wav\n")
    (data / "wav.scp").write_text("".join(lines))
    (data / "utt2spk").write_text(utt2spk)
    features = {"type": "fbank", "options": {"num-mel-bins": FREQ_BINS, "dither": 0}}
    return data, "wav.scp", {"source": "wav", "crop_frames": 30, "features": features}


@pytest.mark.parametrize("make_data", [_truncated_copy, _garbage_wavs], ids=["truncated-ark", "wav-not-audio"])
def test_bad_input_met_in_a_loader_worker_is_the_tools_one_line(tmp_path, feats_dir, make_data):
    """torch re-raises a worker's exception with the worker's traceback as its message; the
    user must see the InputError's own line, FILE:LINE: what, as without workers."""
    data, table, source = make_data(feats_dir, tmp_path / "data")
    config = base_config(epochs=1, workers=2)
    if source:
        config["input"] = source
    config = write_config(tmp_path / "c.yaml", config)
    proc = run_tool("metricvox-train", "--quiet", "--config", config, "--data", data, "--out",
                    tmp_path / "exp", "--device", "cpu", check=False)
    assert_one_line_error(proc, f"{data / table}:")
    last = proc.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"metricvox-train: error: {re.escape(str(data / table))}:(9|1[0-6]): \S.*", last), last
    assert "DataLoader worker" not in proc.stderr and "Original" not in proc.stderr
    assert not (tmp_path / "exp").exists()
