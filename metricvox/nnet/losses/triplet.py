"""Triplet loss with in-batch mining, from pytorch-metric-learning.

The hinge max(0, d(a, p) - d(a, n) + margin) of the singer paper's Eq. (1)
(Euclidean distance, "hard negative mining", margin 0.1 or 0.2), the Siamese
paper's Eq. (1) (margin 0.8, L2-normalised branches) and the multi-metric paper's
Eq. (8) (squared Euclidean distance, semi-hard mining in its Sec. 4 set-up).

Batch: (N*M, D) class-major with labels, N >= 2 classes, M >= 2. Mining:

* ``hard``: batch-hard, for every anchor its farthest positive and its nearest
  negative (``BatchHardMiner``; the multi-metric paper's "batch-hard sampling");
* ``hardneg``: every (anchor, positive) pair with the anchor's nearest negative
  (``BatchEasyHardMiner`` with all positives, hard negatives; the singer paper's
  "hard negative mining"; the same triplets as ``hard`` when M = 2);
* ``semihard``: every triplet with d(a, p) < d(a, n) < d(a, p) + margin
  (``TripletMarginMiner``, FaceNet's semi-hard negatives);
* ``all``: every (a, p, n) of the batch;
* ``listed``: no mining: the triplets were chosen beforehand, as the Siamese
  paper's triple-branch network takes (anchor, client, impostor) from its
  i-vector mining lists. The batch is then (3*B, D), the B triplets one after
  the other (anchor, client, impostor, anchor, ...), and ``labels`` are not read.

The loss is the mean over the mined triplets, as the singer paper says ("averaged
loss from all the sampled triplets"), zero when mining finds none.
``normalize`` L2-normalises the embeddings first.
"""

import torch
from pytorch_metric_learning import distances, losses, miners, reducers

from metricvox.errors import InputError

from .batch import LossOutput, check_batch

MININGS = ("hard", "hardneg", "semihard", "all", "listed")
DISTANCES = ("euclidean", "squared")


class TripletLoss(torch.nn.Module):
    def __init__(self, margin=0.2, mining="hard", distance="euclidean", normalize=True):
        super().__init__()
        if mining not in MININGS:
            raise InputError(f"triplet mining must be one of {', '.join(MININGS)}, got '{mining}'")
        if distance not in DISTANCES:
            raise InputError(
                f"triplet distance must be one of {', '.join(DISTANCES)}, got '{distance}'")
        metric = distances.LpDistance(
            normalize_embeddings=normalize, p=2, power=1 if distance == "euclidean" else 2)
        self.listed = mining == "listed"
        self.loss = losses.TripletMarginLoss(
            margin=margin, distance=metric, reducer=reducers.MeanReducer())
        if mining == "hard":
            self.miner = miners.BatchHardMiner(distance=metric)
        elif mining == "hardneg":
            self.miner = miners.BatchEasyHardMiner(
                pos_strategy="all", neg_strategy="hard", distance=metric)
        elif mining == "semihard":
            self.miner = miners.TripletMarginMiner(
                margin=margin, type_of_triplets="semihard", distance=metric)
        else:
            self.miner = None

    def forward(self, embeddings, labels):
        if self.listed:
            return LossOutput(self.loss(embeddings, None, listed_triplets(embeddings)))
        check_batch(embeddings, labels, 2, 2, "triplet")
        triplets = None if self.miner is None else self.miner(embeddings, labels)
        return LossOutput(self.loss(embeddings, labels, triplets))


def listed_triplets(embeddings):
    """Row indices of (anchor, client, impostor) laid out three rows per triplet."""
    if embeddings.dim() != 2 or embeddings.shape[0] == 0 or embeddings.shape[0] % 3:
        raise InputError(
            "triplet mining 'listed' expects embeddings (3*B, D): anchor, client, impostor "
            f"rows in turn; got shape {tuple(embeddings.shape)}")
    anchors = torch.arange(0, embeddings.shape[0], 3, device=embeddings.device)
    return anchors, anchors + 1, anchors + 2
