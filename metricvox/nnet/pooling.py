"""Temporal poolings: frame-level features (batch, channels, frames) to one vector per item.

- ``tap``: temporal average pooling, the mean over frames.
- ``sap``: self-attentive pooling (Cai et al., Odyssey 2018), as used by the singer paper and the
  Siamese paper's encoder: h_t = tanh(W x_t + b), score_t = u . h_t, w = softmax_t(score),
  output sum_t w_t x_t.
- ``asp``: attentive statistics pooling (Okabe et al., Interspeech 2018): the same attention
  weights give a weighted mean and a weighted standard deviation, concatenated (2 x channels).

Every pooling takes optional ``lengths`` (valid frames per item) so that a zero-padded batch of
utterances of different lengths pools each item over its own frames only.
"""
import torch
from torch import nn

from metricvox.errors import InputError


def frame_mask(lengths, frames, device):
    """Boolean (batch, frames) mask, True on the valid frames of each item."""
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.dim() != 1:
        raise InputError(f"lengths must be one number per item, got shape {tuple(lengths.shape)}")
    if bool((lengths < 1).any()) or bool((lengths > frames).any()):
        raise InputError(f"lengths must be between 1 and the {frames} frames of the batch, "
                         f"got {lengths.tolist()}")
    return torch.arange(frames, device=device)[None, :] < lengths[:, None]


def check_frames(x, channels):
    if x.dim() != 3 or x.shape[1] != channels:
        raise InputError(f"pooling expects (batch, {channels} channels, frames), "
                         f"got shape {tuple(x.shape)}")


def masked_softmax(scores, mask):
    """Softmax over the last axis that gives padded frames exactly zero weight."""
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


class TemporalAveragePooling(nn.Module):
    """The mean over (valid) frames; no parameters."""

    def __init__(self, channels):
        super().__init__()
        self.channels = channels
        self.output_dim = channels

    def forward(self, x, lengths=None):
        check_frames(x, self.channels)
        if lengths is None:
            return x.mean(dim=-1)
        mask = frame_mask(lengths, x.shape[-1], x.device).to(x.dtype)
        return (x * mask[:, None, :]).sum(dim=-1) / mask.sum(dim=-1, keepdim=True)


class AttentionWeights(nn.Module):
    """Frame weights w_t = softmax_t(u . tanh(W x_t + b)), shared by SAP and ASP."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.projection = nn.Linear(channels, hidden)
        self.context = nn.Linear(hidden, 1, bias=False)  # the learned context vector u

    def forward(self, x, lengths=None):
        frames = x.transpose(1, 2)  # (batch, frames, channels)
        scores = self.context(torch.tanh(self.projection(frames))).squeeze(-1)
        mask = None if lengths is None else frame_mask(lengths, x.shape[-1], x.device)
        return masked_softmax(scores, mask)  # (batch, frames)


class SelfAttentivePooling(nn.Module):
    """Attention-weighted mean of the frames (SAP)."""

    def __init__(self, channels, hidden=None):
        super().__init__()
        self.channels = channels
        self.output_dim = channels
        self.attention = AttentionWeights(channels, hidden or channels)

    def forward(self, x, lengths=None):
        check_frames(x, self.channels)
        weights = self.attention(x, lengths)
        return torch.einsum("bct,bt->bc", x, weights)


class AttentiveStatisticsPooling(nn.Module):
    """Attention-weighted mean and standard deviation, concatenated (ASP)."""

    def __init__(self, channels, hidden=128, eps=1e-5):
        super().__init__()
        self.channels = channels
        self.output_dim = 2 * channels
        self.eps = eps
        self.attention = AttentionWeights(channels, hidden)

    def forward(self, x, lengths=None):
        check_frames(x, self.channels)
        weights = self.attention(x, lengths)
        mean = torch.einsum("bct,bt->bc", x, weights)
        second_moment = torch.einsum("bct,bt->bc", x * x, weights)
        # eps keeps the gradient of sqrt finite on constant channels.
        std = torch.sqrt((second_moment - mean * mean).clamp(min=0) + self.eps)
        return torch.cat([mean, std], dim=-1)


POOLINGS = {
    "tap": TemporalAveragePooling,
    "sap": SelfAttentivePooling,
    "asp": AttentiveStatisticsPooling,
}


def build_pooling(name, channels, attention_dim=None):
    """The pooling called ``name`` over ``channels``; its ``output_dim`` sizes the next layer.

    ``attention_dim`` is the hidden size of the attention of ``sap``/``asp`` (default: ``channels``
    for sap, 128 for asp); ``tap`` has no attention and ignores it.
    """
    if name not in POOLINGS:
        raise InputError(f"unknown pooling {name!r}; expected one of {', '.join(sorted(POOLINGS))}")
    if name == "tap" or attention_dim is None:
        return POOLINGS[name](channels)
    return POOLINGS[name](channels, hidden=attention_dim)
