"""Angular loss (Wang et al., "Deep metric learning with angular loss", ICCV 2017).

The hinge form the multi-metric paper writes as Eqs. (11)-(13): for a triplet
(x_a, x_p, x_n) with x_c = (x_a + x_p) / 2,

    l(a, p, n) = max(0, ||x_a - x_p||^2 - 4 tan^2(alpha) ||x_n - x_c||^2),

which bounds the angle at x_n of the triangle (x_m, x_c, x_n) by alpha. (The
paper's printed Eq. (13) lost its closing bracket and has the two terms swapped;
this is the form of its Eq. (12) and of Wang et al.'s Eq. (6).) pytorch-metric-learning's
``AngularLoss`` implements Wang et al.'s other, log-sum-exp form instead, so this one
is written here.

Batch: (N*M, D) class-major with labels, N >= 2, M >= 2. The loss is the mean over
every triplet of the batch (a != p of one class, n of another). ``alpha`` is in
degrees (45 in the multi-metric paper); ``normalize`` L2-normalises the embeddings
first, as Wang et al. do.
"""

import math

import torch
import torch.nn.functional as F
from pytorch_metric_learning.utils import loss_and_miner_utils

from metricvox.errors import InputError

from .batch import LossOutput, check_batch


class AngularLoss(torch.nn.Module):
    def __init__(self, alpha=45.0, normalize=True):
        super().__init__()
        if not 0 < alpha < 90:
            raise InputError(f"angular loss alpha must be in degrees, between 0 and 90, got {alpha}")
        self.tan_squared = math.tan(math.radians(alpha)) ** 2
        self.normalize = normalize

    def forward(self, embeddings, labels):
        check_batch(embeddings, labels, 2, 2, "angular")
        x = F.normalize(embeddings, dim=1) if self.normalize else embeddings
        a, p, n = loss_and_miner_utils.get_all_triplets_indices(labels)
        # Distances from the Gram matrix, so no (triplets x D) tensor is built.
        gram = x @ x.t()
        sq = gram.diagonal()
        anchor_positive = sq[a] + sq[p] - 2 * gram[a, p]
        negative_centre = (sq[n] - gram[n, a] - gram[n, p]
                           + 0.25 * (sq[a] + sq[p] + 2 * gram[a, p]))
        hinge = F.relu(anchor_positive - 4 * self.tan_squared * negative_centre)
        return LossOutput(hinge.mean())
