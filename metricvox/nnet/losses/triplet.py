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
  "hard negative mining"; the same triplets as ``hard`` when M = 2). With
  ``hard_prob`` < 1 or ``hard_rank`` > 1 the negative of each pair is drawn instead:
  with probability ``hard_prob`` uniformly from the anchor's ``hard_rank`` nearest
  negatives, otherwise uniformly from all its negatives (:func:`ranked_negatives`;
  the rank-based hard-negative mining of clovaai's voxceleb_trainer, whose Thin
  ResNet34 + SAP and losses the singer paper trains). Always the single nearest
  negative lets a small batch collapse every embedding onto one point (the loss
  then sits at the margin); drawn ones keep the easier negatives in play;
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
    def __init__(self, margin=0.2, mining="hard", distance="euclidean", normalize=True,
                 hard_prob=1.0, hard_rank=1):
        super().__init__()
        if mining not in MININGS:
            raise InputError(f"triplet mining must be one of {', '.join(MININGS)}, got '{mining}'")
        if isinstance(hard_prob, bool) or not isinstance(hard_prob, (int, float)) \
                or not 0.0 <= hard_prob <= 1.0:
            raise InputError(f"triplet hard_prob must be in [0, 1], got {hard_prob!r}")
        if isinstance(hard_rank, bool) or not isinstance(hard_rank, int) or hard_rank < 1:
            raise InputError(f"triplet hard_rank must be a positive integer, got {hard_rank!r}")
        hard_prob = float(hard_prob)
        drawn = hard_prob < 1.0 or hard_rank > 1
        if drawn and mining != "hardneg":
            raise InputError("triplet hard_prob and hard_rank apply to mining 'hardneg' only")
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
        elif mining == "hardneg" and drawn:
            self.miner = lambda embeddings, labels: ranked_negatives(
                metric(embeddings), labels, hard_prob, hard_rank)
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


def ranked_negatives(distance_matrix, labels, hard_prob, hard_rank):
    """(anchors, positives, negatives): every (anchor, positive) pair of the batch, each
    with one negative drawn (torch's global generator) with probability ``hard_prob``
    from the anchor's ``hard_rank`` nearest negatives, else from all its negatives."""
    with torch.no_grad():
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
        anchors, positives = torch.nonzero(same & ~eye, as_tuple=True)
        # Each anchor's negatives, nearest first (positives pushed to the end).
        masked = distance_matrix.detach().masked_fill(same, float("inf"))
        by_distance = masked.argsort(dim=1)
        negatives_per_anchor = (~same).sum(dim=1)[anchors]
        hard = torch.rand(len(anchors), device=labels.device) < hard_prob
        pool = torch.where(hard, negatives_per_anchor.clamp(max=hard_rank), negatives_per_anchor)
        rank = (torch.rand(len(anchors), device=labels.device) * pool).long().clamp(max=pool - 1)
        negatives = by_distance[anchors, rank]
    return anchors, positives, negatives
