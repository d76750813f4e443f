"""Poolings against their formulas worked by hand on a tiny fixed tensor."""
import math

import numpy as np
import pytest
import torch

from metricvox.errors import InputError
from metricvox.nnet.pooling import (AttentiveStatisticsPooling, SelfAttentivePooling,
                                    TemporalAveragePooling, build_pooling)

# One item, 2 channels, 3 frames: frame t is the column (X[0][t], X[1][t]).
X = [[1.0, -2.0, 0.5],
     [0.0, 1.0, 3.0]]


def set_known_attention(pooling):
    """W = [[1, 0], [0, 2]], b = [0.5, -0.5], u = [1, -1]."""
    with torch.no_grad():
        pooling.attention.projection.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        pooling.attention.projection.bias.copy_(torch.tensor([0.5, -0.5]))
        pooling.attention.context.weight.copy_(torch.tensor([[1.0, -1.0]]))


def hand_attention_weights():
    scores = []
    for t in range(3):
        h0 = math.tanh(1.0 * X[0][t] + 0.5)
        h1 = math.tanh(2.0 * X[1][t] - 0.5)
        scores.append(h0 - h1)
    exps = [math.exp(s) for s in scores]
    return [e / sum(exps) for e in exps]


def test_tap_is_the_mean_over_frames():
    out = TemporalAveragePooling(2)(torch.tensor([X]))
    np.testing.assert_allclose(out.numpy(), [[(1 - 2 + 0.5) / 3, (0 + 1 + 3) / 3]], rtol=1e-6)


def test_sap_is_the_softmax_weighted_sum_of_frames():
    pooling = SelfAttentivePooling(2, hidden=2)
    set_known_attention(pooling)
    w = hand_attention_weights()
    expected = [sum(w[t] * X[c][t] for t in range(3)) for c in range(2)]
    out = pooling(torch.tensor([X]))
    np.testing.assert_allclose(out.detach().numpy(), [expected], rtol=1e-6)


def test_asp_is_the_weighted_mean_and_standard_deviation():
    pooling = AttentiveStatisticsPooling(2, hidden=2, eps=0.0)
    set_known_attention(pooling)
    w = hand_attention_weights()
    mean = [sum(w[t] * X[c][t] for t in range(3)) for c in range(2)]
    std = [math.sqrt(sum(w[t] * (X[c][t] - mean[c]) ** 2 for t in range(3))) for c in range(2)]
    out = pooling(torch.tensor([X]))
    np.testing.assert_allclose(out.detach().numpy(), [mean + std], rtol=1e-5)


@pytest.mark.parametrize("name", ["tap", "sap", "asp"])
def test_padded_frames_are_ignored_when_lengths_are_given(name):
    torch.manual_seed(0)
    pooling = build_pooling(name, 4)
    long, short = torch.randn(1, 4, 9), torch.randn(1, 4, 5)
    padded = torch.zeros(2, 4, 9)
    padded[0] = long[0]
    padded[1, :, :5] = short[0]
    padded[1, :, 5:] = 100.0  # garbage that must not leak in
    together = pooling(padded, lengths=torch.tensor([9, 5]))
    alone = torch.cat([pooling(long), pooling(short)])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)
    assert together.shape == (2, pooling.output_dim)


def test_asp_gradient_is_finite_on_a_constant_channel():
    pooling = AttentiveStatisticsPooling(3)
    x = torch.ones(2, 3, 6, requires_grad=True)
    pooling(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_bad_names_shapes_and_lengths_are_input_errors():
    with pytest.raises(InputError, match="asp, sap, tap"):
        build_pooling("max", 4)
    with pytest.raises(InputError, match="4 channels"):
        build_pooling("sap", 4)(torch.zeros(1, 3, 5))
    with pytest.raises(InputError, match="lengths"):
        build_pooling("tap", 4)(torch.zeros(2, 4, 5), lengths=torch.tensor([5, 6]))
