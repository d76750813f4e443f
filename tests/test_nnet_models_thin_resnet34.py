"""Thin ResNet34 against the output sizes of the singer paper's Table I."""
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.models.thin_resnet34 import ThinResNet34

# Table I, "Output Size" column, as (freq, frames, channels).
TABLE_I = [
    ("conv", (32, 350, 16)),
    ("maxpool", (16, 350, 16)),
    ("stage1", (16, 175, 16)),
    ("stage2", (8, 88, 32)),
    ("stage3", (4, 44, 64)),
    ("stage4", (4, 22, 128)),
    ("avgpool", (1, 22, 128)),
]


def test_every_row_of_table_i_has_the_listed_size():
    model = ThinResNet34().eval()
    with torch.no_grad():
        rows = model.forward_rows(torch.randn(1, 64, 350))
    assert list(rows)[:len(TABLE_I)] == [name for name, _ in TABLE_I]
    for name, (freq, frames, channels) in TABLE_I:
        assert tuple(rows[name].shape) == (1, channels, freq, frames), name
    assert tuple(rows["pooling"].shape) == (1, 128)  # self-attentive pooling, 1 x 128
    assert tuple(rows["fc"].shape) == (1, 512)  # FC, 512


def test_kernels_strides_and_block_counts_of_table_i():
    model = ThinResNet34()
    assert (model.stem[0].kernel_size, model.stem[0].stride) == ((7, 7), (2, 1))
    assert (model.maxpool.kernel_size, model.maxpool.stride) == (3, (2, 1))
    assert [len(stage) for stage in model.stages] == [3, 4, 6, 3]
    assert [stage[0].conv1.stride for stage in model.stages] == [(1, 2), (2, 2), (2, 2), (1, 2)]
    assert [stage[-1].conv2.out_channels for stage in model.stages] == [16, 32, 64, 128]
    assert model.avgpool.kernel_size == (3, 1)


def test_variable_length_input_at_inference():
    model = ThinResNet34().eval()
    with torch.no_grad():
        for frames in (200, 517):
            assert model(torch.randn(2, 64, frames)).shape == (2, 512)


def test_a_batch_of_training_crops_gets_gradients_everywhere():
    model = ThinResNet34(pooling="asp", embedding_dim=64)
    model(torch.randn(3, 64, 100)).pow(2).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_features_of_the_wrong_kind_are_input_errors():
    model = ThinResNet34()
    with pytest.raises(InputError, match="64 frequency bins.*80"):
        model(torch.randn(1, 80, 350))
    with pytest.raises(InputError, match="batch"):
        model(torch.randn(64, 350))
    with pytest.raises(InputError, match="too few"):
        ThinResNet34(freq_bins=32)
    with pytest.raises(InputError, match="asp, sap, tap"):
        ThinResNet34(pooling="max")
