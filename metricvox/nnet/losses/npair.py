"""N-pair loss, from pytorch-metric-learning (``NPairsLoss``).

The multi-metric paper's Eq. (10): with one (anchor f_i, positive f_i^+) pair per
class, L = sum_i log(1 + sum_{j != i} exp(f_i . f_j^+ - f_i . f_i^+)), i.e. the
cross-entropy of a softmax over the anchor's dot products with every class's
positive. This averages over the N anchors instead of summing (a constant factor;
the paper's weight 0.5 in Eq. (14) was set with its own scale in mind).

Batch: (N*M, D) class-major with labels, N >= 2, M >= 2 (the paper uses M = 2).
For each class the anchor is its first utterance and the positive its second.
``normalize`` L2-normalises the embeddings first (pytorch-metric-learning's default;
unnormalised dot products need Sohn's extra norm penalty to stay bounded).
"""

import torch
from pytorch_metric_learning import distances, losses

from .batch import LossOutput, check_batch


class NPairLoss(torch.nn.Module):
    def __init__(self, normalize=True):
        super().__init__()
        self.loss = losses.NPairsLoss(
            distance=distances.DotProductSimilarity(normalize_embeddings=normalize))

    def forward(self, embeddings, labels):
        check_batch(embeddings, labels, 2, 2, "npair")
        return LossOutput(self.loss(embeddings, labels))
