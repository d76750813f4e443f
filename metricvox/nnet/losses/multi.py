"""A weighted sum of losses on one batch of embeddings.

The multi-metric paper's Eq. (14): L = sum_k lambda_k L_k, with n-pair 0.5,
softmax 0.1, triplet 1.0 and angular 1.0 in its experiments. Every part sees the
same batch, so the batch must suit all of them ((N*M, D) class-major with labels).
"""

import torch

from .batch import LossOutput


class MultiLoss(torch.nn.Module):
    """``parts``: (label, weight, loss module) triples; labels name the parts' values."""

    def __init__(self, parts):
        super().__init__()
        self.labels = [label for label, _, _ in parts]
        self.weights = [float(weight) for _, weight, _ in parts]
        self.parts = torch.nn.ModuleList(module for _, _, module in parts)

    def forward(self, embeddings, labels):
        total = 0
        values = {}
        logits = targets = None
        for label, weight, part in zip(self.labels, self.weights, self.parts):
            out = part(embeddings, labels)
            values[label] = out.loss.detach()
            total = total + weight * out.loss
            if logits is None and out.logits is not None:
                # Accuracy is reported for the first part that classifies.
                logits, targets = out.logits, out.targets
        return LossOutput(total, logits, targets, values)
