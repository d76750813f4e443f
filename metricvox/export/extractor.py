"""The whole utterance-mode extractor as one module: waveform -> front end -> model -> embedding.

It reproduces ``Embedder.utterance`` of :mod:`metricvox.nnet.extraction`: the
utterance's features, repeated end to end or zero-padded to the training crop
length when shorter (the config's ``input.short``), their per-dimension mean over
the frames subtracted with ``input.mean_norm``, then one embedding. The
comparisons that choice needs are written as index arithmetic, so that a trace
keeps them for every length instead of the example's branch.
"""

import torch
from torch import nn

from metricvox.export.front_end import FeatureFrontEnd


def at_least(size, minimum):
    """max(size, minimum) for a size that may be a traced tensor, without a Python comparison."""
    return (size + minimum + abs(size - minimum)) // 2


class UtteranceExtractor(nn.Module):
    """A mono 16 kHz waveform (samples,) or (1, samples) -> its embedding (embedding_dim,)."""

    def __init__(self, front_end: FeatureFrontEnd, model, crop_frames, short, mean_norm):
        super().__init__()
        self.front_end = front_end
        self.model = model.eval()
        # A double-branch Siamese model embeds through one branch, as in extraction.
        self.encode = getattr(self.model, "embed", self.model)
        self.crop_frames = int(crop_frames)
        self.short = short
        self.mean_norm = bool(mean_norm)

    def extend(self, features):
        """``features`` repeated or zero-padded to at least the crop length (extend_to)."""
        total = features.shape[0]
        positions = torch.arange(at_least(total, self.crop_frames))
        if self.short == "repeat":
            return features[torch.remainder(positions, total)]
        inside = positions < total
        rows = features[torch.where(inside, positions, torch.zeros_like(positions))]
        return rows * inside[:, None].to(rows.dtype)

    def forward(self, waveform):
        features = self.extend(self.front_end(waveform))
        if self.mean_norm:
            features = features - features.mean(dim=0, keepdim=True)
        return self.encode(features.t()[None])[0]
