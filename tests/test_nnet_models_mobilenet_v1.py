"""MobileNet v1 backbone + average pooling + 32-d dense embedding (acoustic-source paper)."""
import pytest
import torch
from torch import nn

from metricvox.errors import InputError
from metricvox.nnet.models.mobilenet_v1 import MobileNetV1


def test_backbone_is_mobilenet_v1():
    model = MobileNetV1()
    convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    depthwise = [c for c in convs if c.groups > 1]
    assert len(convs) == 1 + 2 * 13 and len(depthwise) == 13
    assert all(c.groups == c.in_channels == c.out_channels for c in depthwise)
    assert convs[-1].out_channels == 1024
    assert [c.stride[0] for c in convs if c.stride != (1, 1)] == [2] * 5
    # Keras' MobileNet (alpha 1, no top) has 3,228,864 weights, BN statistics included, for a
    # 3-channel input; one input channel has 2 x 3 x 3 x 32 = 576 fewer.
    weights = sum(p.numel() for p in model.backbone.parameters())
    statistics = sum(b.numel() for n, b in model.backbone.named_buffers()
                     if not n.endswith("num_batches_tracked"))
    assert weights + statistics == 3_228_864 - 576
    assert statistics == 21_888


def test_embedding_is_32_d_for_any_length():
    model = MobileNetV1().eval()
    with torch.no_grad():
        for frames in (47, 470):  # about 0.5 s and 5 s of 10.65 ms hops
            assert model(torch.randn(2, 275, frames)).shape == (2, 32)


def test_width_multiplier_and_bad_input():
    model = MobileNetV1(freq_bins=40, width=0.25, embedding_dim=8)
    out = model(torch.randn(2, 40, 30))
    out.sum().backward()
    assert out.shape == (2, 8) and model.embedding.in_features == 256
    with pytest.raises(InputError, match="40 frequency bins"):
        model(torch.randn(2, 275, 30))
