"""No model file runs code when metricvox reads it (docs/model-files.md).

Each crafted file holds an object whose unpickling would create a marker file (its
``__reduce__`` names ``open``). Every tool that reads a model is given one: it must
stop with a one-line error, and the marker must not exist.
"""
import pickle
import random

import numpy as np
import pytest
import soundfile
import torch
import yaml

from conftest import assert_one_line_error, run_tool
from metricvox.io import MatrixWriter
from metricvox.nnet.training.checkpoints import (CHECKPOINT_FORMAT, load_checkpoint,
                                                 restore_rng_states, rng_states)
from metricvox.nnet.training.config import validate_config


class CreatesMarker:
    """Unpickled, this calls open(marker, 'w'): the file appears if anything unpickles it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "code-ran"


def crafted_checkpoint(path, marker):
    """A torch.save file shaped like a checkpoint, with the payload where an RNG state goes."""
    torch.save({"format": CHECKPOINT_FORMAT, "metadata": "{}",
                "tensors": {"rng": CreatesMarker(marker)}}, path)
    return path


def format1_checkpoint(path):
    """What metricvox wrote before format 2: numpy and Python objects pickled beside tensors."""
    torch.save({"format": "metricvox-checkpoint-1", "epoch": 1,
                "rng": {"numpy": np.random.get_state(), "python": random.getstate()}}, path)
    return path


def crafted_npz(path, marker, **arrays):
    """A .npz whose object array would unpickle the payload (np.load(allow_pickle=True) runs it)."""
    payload = np.empty(1, dtype=object)
    payload[0] = CreatesMarker(marker)
    with open(path, "wb") as out:
        np.savez(out, format=np.array("x"), payload=payload, **arrays)
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A feature table, an embedding table, a trial list and a tiny training config."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    with MatrixWriter(f"ark,scp:{root}/feats.ark,{root}/feats.scp") as writer:
        for u in range(4):
            writer.write(f"u{u}", rng.normal(size=(50, 40)).astype(np.float32))
    with MatrixWriter(f"ark,scp:{root}/emb.ark,{root}/emb.scp") as writer:
        for u in range(4):
            writer.write(f"u{u}", rng.normal(size=8).astype(np.float32))
    (root / "trials").write_text("u0 u1 target\nu2 u3 nontarget\n")
    (root / "utt2spk").write_text("".join(f"u{u} s{u // 2}\n" for u in range(4)))
    (root / "utt2label").write_text("".join(f"u{u} c{u % 2}\n" for u in range(4)))
    (root / "wav.scp").write_text("")
    config = {"model": {"name": "thin_resnet34", "freq_bins": 40, "embedding_dim": 8},
              "loss": {"name": "aamsoftmax"}, "input": {"source": "feats", "crop_frames": 20},
              "sampler": {"classes_per_batch": 2, "per_class": 2}, "epochs": 1}
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def checkpoint_readers(inputs, model, out):
    """(name, argv) of every tool run that reads a checkpoint given as ``model``."""
    resumed = out / "resumed"
    resumed.mkdir()
    (resumed / "last.pt").write_bytes(model.read_bytes())
    return [
        ("extract", ["metricvox-extract", "--model", model, f"scp:{inputs}/feats.scp",
                     f"ark:{out}/emb.ark"]),
        ("score siamese", ["metricvox-score", "--backend", "siamese", "--model", model,
                           "--trials", inputs / "trials", f"scp:{inputs}/emb.scp", out / "s"]),
        ("train --init", ["metricvox-train", "--config", inputs / "config.yaml", "--data", inputs,
                          "--out", out / "init", "--init", model]),
        ("train --resume", ["metricvox-train", "--config", inputs / "config.yaml", "--data",
                            inputs, "--out", resumed, "--resume"]),
    ]


@pytest.mark.parametrize("reader", range(4))
def test_a_crafted_checkpoint_runs_nothing(inputs, tmp_path, marker, reader):
    model = crafted_checkpoint(tmp_path / "model.pt", marker)
    name, argv = checkpoint_readers(inputs, model, tmp_path)[reader]
    proc = run_tool(*argv, check=False)
    assert not marker.exists(), f"{name}: the crafted file ran code"
    assert_one_line_error(proc, "refused", "nothing was run")


def test_a_crafted_checkpoint_runs_nothing_through_the_python_api(tmp_path, marker):
    from metricvox.api import InputError, load_model
    with pytest.raises(InputError, match="model.pt: refused: .* nothing was run"):
        load_model(crafted_checkpoint(tmp_path / "model.pt", marker))
    assert not marker.exists()


@pytest.mark.parametrize("reader", range(4))
def test_a_checkpoint_of_format_1_is_refused_on_one_line(inputs, tmp_path, reader):
    model = format1_checkpoint(tmp_path / "old.pt")
    _name, argv = checkpoint_readers(inputs, model, tmp_path)[reader]
    assert_one_line_error(run_tool(*argv, check=False), "old.pt" if reader < 3 else "last.pt",
                          "before format 2")


def test_a_pickled_svm_model_runs_nothing(inputs, tmp_path, marker):
    model = tmp_path / "svm.pkl"
    model.write_bytes(pickle.dumps({"format": "metricvox-class-svm-1",
                                    "pipeline": CreatesMarker(marker)}))
    proc = run_tool("metricvox-score-classes", "--method", "svm", "--model", model,
                    f"scp:{inputs}/feats.scp", tmp_path / "scores", check=False)
    assert not marker.exists()
    assert_one_line_error(proc, "svm.pkl", "not a metricvox class SVM model")
    assert not (tmp_path / "scores").exists()


@pytest.mark.parametrize("option, tool_argv", [
    ("svm", ["metricvox-score-classes", "--method", "svm", "--model", "{model}",
             "scp:{inputs}/feats.scp", "{out}/scores"]),
    ("plda", ["metricvox-score", "--backend", "plda", "--model", "{model}", "--trials",
              "{inputs}/trials", "scp:{inputs}/emb.scp", "{out}/scores"]),
    ("ubm", ["metricvox-map-adapt", "--ubm", "{model}", "scp:{inputs}/feats.scp",
             "ark:{out}/means.ark"]),
    ("ivector extractor", ["metricvox-extract-ivectors", "--extractor", "{model}",
                           "scp:{inputs}/feats.scp", "ark:{out}/ivectors.ark"]),
])
def test_an_npz_model_with_an_object_array_runs_nothing(inputs, tmp_path, marker, option,
                                                        tool_argv):
    model = crafted_npz(tmp_path / "model.npz", marker)
    argv = [a.format(model=model, inputs=inputs, out=tmp_path) for a in tool_argv]
    proc = run_tool(*argv, check=False)
    assert not marker.exists(), f"{option}: the crafted file ran code"
    assert_one_line_error(proc, "model.npz")


def test_crafted_separation_weights_run_nothing(tmp_path, marker):
    model = tmp_path / "unet.pt"
    torch.save({"vocals": CreatesMarker(marker)}, model)
    soundfile.write(tmp_path / "r1.wav", np.zeros(16000, dtype=np.float32), 16000)
    (tmp_path / "wav.scp").write_text(f"r1 {tmp_path}/r1.wav\n")
    proc = run_tool("metricvox-separate", "--model", model, f"scp:{tmp_path}/wav.scp",
                    tmp_path / "out", check=False)
    assert not marker.exists()
    assert_one_line_error(proc, "unet.pt")


def test_rng_states_come_back_through_a_safe_load(tmp_path):
    """The generator states survive save + weights_only load and replay the same draws."""
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    saved = rng_states()
    expected = (torch.rand(4), np.random.standard_normal(3), random.random())
    torch.save(saved, tmp_path / "rng.pt")
    torch.manual_seed(99), np.random.seed(99), random.seed(99)
    restore_rng_states(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert torch.equal(torch.rand(4), expected[0])
    np.testing.assert_array_equal(np.random.standard_normal(3), expected[1])
    assert random.random() == expected[2]


def test_a_gaussian_half_drawn_by_numpy_is_kept(tmp_path):
    """numpy's legacy normal draws in pairs: the cached second half is part of the state."""
    np.random.seed(5)
    np.random.standard_normal()
    saved = rng_states()
    expected = np.random.standard_normal()
    np.random.seed(0)
    restore_rng_states(saved)
    assert np.random.standard_normal() == expected


@pytest.mark.parametrize("yaml_text, fragment", [
    ("optimiser: {name: adam, lr: .nan}", "'optimiser.lr' must be a finite number"),
    ("model: {name: thin_resnet34, freq_bins: 40, margin: .inf}", "'model.margin' must be a finite"),
    ("model: {name: thin_resnet34, freq_bins: 40, born: 2026-12-07}", "'model.born' must be a string"),
    ("model: {name: thin_resnet34, 7: x}", "config key 7 in 'model' must be a string"),
    ("loss: {name: aamsoftmax, scale: !!binary aGk=}", "'loss.scale' must be a string"),
])
def test_config_values_a_checkpoint_cannot_keep_are_refused(yaml_text, fragment):
    raw = {"model": {"name": "thin_resnet34", "freq_bins": 40}, "loss": {"name": "aamsoftmax"},
           "input": {"crop_frames": 20}, "sampler": {"classes_per_batch": 2, "per_class": 2},
           "epochs": 1}
    for key, value in yaml.safe_load(yaml_text).items():
        raw[key] = value
    with pytest.raises(Exception, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        validate_config(raw)


def test_a_checkpoint_with_a_date_in_its_metadata_is_damaged_not_run(tmp_path):
    """Metadata is JSON text: anything but a string there is a damaged file, named as one."""
    torch.save({"format": CHECKPOINT_FORMAT, "metadata": 5, "tensors": {}}, tmp_path / "m.pt")
    with pytest.raises(Exception, match="damaged metricvox checkpoint"):
        load_checkpoint(tmp_path / "m.pt")


def test_an_ark_entry_pickled_by_kaldiio_runs_nothing(tmp_path, marker):
    """kaldiio unpickles an ark entry that starts 'PKL'; our reader never hands it one."""
    ark = tmp_path / "crafted.ark"
    ark.write_bytes(b"u1 PKL" + pickle.dumps(CreatesMarker(marker)))
    proc = run_tool("metricvox-copy-matrix", f"ark:{ark}", f"ark,t:{tmp_path}/out.txt",
                    check=False)
    assert not marker.exists()
    assert_one_line_error(proc, "crafted.ark", "'u1'")
    assert not (tmp_path / "out.txt").exists()


def test_the_same_checkpoint_saved_twice_is_the_same_bytes(tmp_path):
    """Nothing but the content goes into the file (torch.save given a path would record the
    temporary file's random name)."""
    from metricvox.nnet.training.checkpoints import Checkpoint, save_checkpoint
    checkpoint = Checkpoint(
        model_name="m", model_config={"dim": 2}, model_state={"w": torch.arange(4.0)},
        loss_config={"name": "softmax"}, loss_state={}, optimiser_state={}, schedule_state={},
        scaler_state={}, epoch=1, rng=rng_states(), config={"epochs": 1}, seed=0, features=None,
        crop_frames=10, classes=["a", "b"], history=[{"loss": 0.5}])
    save_checkpoint(checkpoint, tmp_path / "one.pt")
    save_checkpoint(checkpoint, tmp_path / "two.pt")
    assert (tmp_path / "one.pt").read_bytes() == (tmp_path / "two.pt").read_bytes()
    loaded = load_checkpoint(tmp_path / "two.pt")
    assert loaded.classes == ["a", "b"] and torch.equal(loaded.model_state["w"], torch.arange(4.0))
