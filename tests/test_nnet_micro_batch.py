"""micro_batch: a batch's step in chunks, against the whole batch's step done by plain autograd."""
import copy

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from metricvox.errors import InputError
from metricvox.io import MatrixWriter
from metricvox.nnet.losses import build_loss
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import load_checkpoint, save_checkpoint
from metricvox.nnet.training.config import validate_config
from metricvox.nnet.training.loop import train
from metricvox.nnet.training.micro_batch import micro_batch_step

BINS, FRAMES, DIM = 6, 12, 5
CLASSES, PER_CLASS = 4, 3   # a PK batch of 12 crops, chunks of 5: 5 + 5 + 2


class TinyEncoder(nn.Module):
    """(batch, BINS, FRAMES) -> (batch, DIM), with optional batch norm and dropout."""

    def __init__(self, batch_norm=False, dropout=0.0):
        super().__init__()
        layers = [nn.Conv1d(BINS, 8, 3)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(8))
        layers += [nn.ReLU(), nn.Dropout(dropout)]
        self.frames = nn.Sequential(*layers)
        self.embedding = nn.Linear(8, DIM)

    def forward(self, x):
        return self.embedding(self.frames(x).mean(dim=2))


LOSSES = {
    "amsoftmax": {"name": "amsoftmax"},
    "softmax": {"name": "softmax"},
    "angleproto": {"name": "angleproto"},
    "ge2e": {"name": "ge2e"},
    "triplet drawn negatives": {"name": "triplet", "mining": "hardneg", "hard_prob": 0.5,
                                "hard_rank": 2},
    "multi (multi-metric paper)": {
        "name": "multi", "losses": [
            {"name": "npair", "weight": 0.5}, {"name": "softmax", "weight": 0.1},
            {"name": "triplet", "weight": 1.0, "mining": "semihard", "distance": "squared"},
            {"name": "angular", "weight": 1.0, "alpha": 45}]},
}


def make_loss(spec):
    options = dict(spec)
    return build_loss(options.pop("name"), embedding_dim=DIM, num_classes=CLASSES,
                      **options).double()


def batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(CLASSES * PER_CLASS, BINS, FRAMES, generator=generator,
                           dtype=torch.float64)
    return features, torch.arange(CLASSES).repeat_interleave(PER_CLASS)


def gradients(*modules):
    return {f"{i}.{name}": p.grad.clone() for i, m in enumerate(modules)
            for name, p in m.named_parameters() if p.grad is not None}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-9, atol=1e-12, msg=name)


def reference_step(model, loss, features, labels, chunk_rows):
    """Plain autograd through the chunks run one after another (all chunks in one graph)."""
    embeddings = torch.cat([model(features[rows]) for rows in chunk_rows])
    output = loss(embeddings, labels)
    output.loss.backward()
    return output


CHUNKS_OF_5 = [slice(0, 5), slice(5, 10), slice(10, 12)]


@pytest.mark.parametrize("spec", LOSSES.values(), ids=LOSSES.keys())
@pytest.mark.parametrize("batch_norm", ["none", "eval"])
def test_loss_and_gradients_equal_the_whole_batch_step(spec, batch_norm):
    torch.manual_seed(0)
    model = TinyEncoder(batch_norm=batch_norm == "eval").double()
    if batch_norm == "eval":
        model.eval()
        with torch.no_grad():   # statistics other than the initial 0 and 1
            model.frames[1].running_mean.uniform_(-1, 1)
            model.frames[1].running_var.uniform_(0.5, 2)
    loss = make_loss(spec)
    chunked_model, chunked_loss = copy.deepcopy(model), copy.deepcopy(loss)
    features, labels = batch()

    torch.manual_seed(1)   # the triplet loss draws its negatives
    whole = loss(model(features), labels)
    whole.loss.backward()
    torch.manual_seed(1)
    output = micro_batch_step(chunked_model, chunked_loss, features, labels, 5)

    torch.testing.assert_close(output.loss, whole.loss.detach(), rtol=1e-12, atol=0)
    assert_same(gradients(chunked_model, chunked_loss), gradients(model, loss))
    if whole.logits is not None:
        assert torch.equal(output.logits.argmax(1), whole.logits.argmax(1))
        assert torch.equal(output.targets, whole.targets)


@pytest.mark.parametrize("spec", [LOSSES["amsoftmax"], LOSSES["angleproto"]],
                         ids=["amsoftmax", "angleproto"])
def test_batch_norm_in_train_mode_sees_each_chunk_and_updates_once_per_chunk(spec):
    torch.manual_seed(0)
    model, loss = TinyEncoder(batch_norm=True).double(), make_loss(spec)
    chunked_model, chunked_loss = copy.deepcopy(model), copy.deepcopy(loss)
    features, labels = batch()

    reference = reference_step(model, loss, features, labels, CHUNKS_OF_5)
    output = micro_batch_step(chunked_model, chunked_loss, features, labels, 5)

    torch.testing.assert_close(output.loss, reference.loss.detach(), rtol=1e-12, atol=0)
    assert_same(gradients(chunked_model, chunked_loss), gradients(model, loss))
    norm, chunked_norm = model.frames[1], chunked_model.frames[1]
    assert int(chunked_norm.num_batches_tracked) == 3
    torch.testing.assert_close(chunked_norm.running_mean, norm.running_mean, rtol=1e-12, atol=0)
    torch.testing.assert_close(chunked_norm.running_var, norm.running_var, rtol=1e-12, atol=0)


def test_dropout_draws_the_same_masks_in_both_passes():
    torch.manual_seed(0)
    model, loss = TinyEncoder(dropout=0.5).double(), make_loss(LOSSES["angleproto"])
    chunked_model, chunked_loss = copy.deepcopy(model), copy.deepcopy(loss)
    features, labels = batch()

    torch.manual_seed(7)
    reference_step(model, loss, features, labels, CHUNKS_OF_5)
    after_reference = torch.get_rng_state()
    torch.manual_seed(7)
    micro_batch_step(chunked_model, chunked_loss, features, labels, 5)

    assert_same(gradients(chunked_model, chunked_loss), gradients(model, loss))
    # The generator ends where one pass over the chunks leaves it.
    assert torch.equal(torch.get_rng_state(), after_reference)


def test_siamese_pairs_are_chunked_by_pairs_with_two_crops_each():
    torch.manual_seed(0)
    model = build_model("siamese_pair", freq_bins=8, embedding_dim=6, hidden_dim=8,
                        attention_dim=4, batch_norm=False, head_sizes=(6, 5, 4, 3),
                        channels=(2, 3, 4)).double()
    loss = build_loss("bce")
    chunked_model = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(3)
    first, second = (torch.randn(7, 8, 16, generator=generator, dtype=torch.float64)
                     for _ in range(2))
    labels = torch.tensor([1, 0, 1, 1, 0, 0, 1])

    whole = loss(model(first, second), labels)
    whole.loss.backward()
    calls = []
    chunked_model.encoder.register_forward_hook(lambda m, i, o: calls.append(o.shape[0]))
    output = micro_batch_step(chunked_model, loss, [first, second], labels, 5)

    assert calls == [2, 2, 2, 2, 2, 2, 1, 1]   # 5 crops: 2 pairs a chunk, each side in turn
    torch.testing.assert_close(output.loss, whole.loss.detach(), rtol=1e-12, atol=0)
    assert_same(gradients(chunked_model), gradients(model))


@pytest.fixture(scope="module")
def feats_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    with MatrixWriter(f"ark,scp:{data}/feats.ark,{data}/feats.scp") as writer:
        for s in range(4):
            for u in range(3):
                writer.write(f"spk{s}-utt{u}", rng.normal(size=(40, 16)).astype(np.float32))
    (data / "utt2spk").write_text("".join(f"spk{s}-utt{u} spk{s}\n"
                                          for s in range(4) for u in range(3)))
    return data


def config(**changes):
    base = {"model": {"name": "vgg_encoder", "freq_bins": 16, "embedding_dim": 8,
                      "hidden_dim": 8, "attention_dim": 4, "batch_norm": False,
                      "channels": [2, 3, 4]},
            "loss": {"name": "angleproto"}, "input": {"source": "feats", "crop_frames": 24},
            "sampler": {"classes_per_batch": 4, "per_class": 2},
            "optimiser": {"name": "sgd", "lr": 0.1}, "epochs": 1, "batches_per_epoch": 2}
    base.update(changes)
    return base


def write(path, values):
    path.write_text(yaml.safe_dump(values))
    return path


def test_training_with_micro_batch_takes_the_same_steps(tmp_path, feats_dir):
    whole = train(write(tmp_path / "a.yaml", config()), feats_dir, tmp_path / "a", seed=2)
    chunked = train(write(tmp_path / "b.yaml", config(micro_batch=3)), feats_dir,
                    tmp_path / "b", seed=2)
    assert chunked["loss"] == pytest.approx(whole["loss"], rel=1e-5)
    a, b = (load_checkpoint(tmp_path / run / "last.pt") for run in "ab")
    for name, tensor in a.model_state.items():
        torch.testing.assert_close(b.model_state[name], tensor, rtol=1e-4, atol=1e-6, msg=name)
    for name, tensor in a.loss_state.items():
        torch.testing.assert_close(b.loss_state[name], tensor, rtol=1e-4, atol=1e-6, msg=name)


def test_a_checkpoint_from_before_micro_batch_resumes(tmp_path, feats_dir):
    train(write(tmp_path / "one.yaml", config()), feats_dir, tmp_path / "exp")
    old = load_checkpoint(tmp_path / "exp" / "last.pt")
    del old.config["micro_batch"]
    save_checkpoint(old, tmp_path / "exp" / "last.pt")
    figures = train(write(tmp_path / "two.yaml", config(epochs=2)), feats_dir, tmp_path / "exp",
                    resume=True)
    assert figures["epoch"] == 2
    with pytest.raises(InputError, match="micro_batch"):
        train(write(tmp_path / "three.yaml", config(epochs=3, micro_batch=4)), feats_dir,
              tmp_path / "exp", resume=True)


def test_bad_micro_batch_values_and_torchrun_are_refused(tmp_path, feats_dir, monkeypatch):
    for bad in (-1, 2.5, "4"):
        with pytest.raises(InputError, match="'micro_batch' must be a positive"):
            validate_config(config(micro_batch=bad))
    assert validate_config(config())["micro_batch"] == 0
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(InputError, match="'micro_batch' works in one process only"):
        train(write(tmp_path / "c.yaml", config(micro_batch=4)), feats_dir, tmp_path / "exp")
    assert not (tmp_path / "exp").exists()
