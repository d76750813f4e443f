"""Prototypical losses of the singer paper (Sec. II-B2): Euclidean and angular.

In each class's M utterances, the last (the M-th) is the query and the first M - 1
are the support set; a class's prototype is the mean of its support set (Eq. 2).
Each query is classified among the N prototypes by a softmax and the loss is the
mean cross-entropy over the N queries (the paper sums; the mean only rescales it).

* ``proto``: logits -d_n with d_n = ||x_M - c_n||^2, Eq. (3) (Snell et al.).
* ``angleproto``: logits w * cos(x_M, c_n) + b, Eq. (4), with w and b learnt
  (Chung et al.'s angular prototypical; w starts at 10, b at -5, w kept positive).

Batch: (N*M, D) class-major with labels, N >= 2 classes and M >= 2 utterances.
"""

import torch
import torch.nn.functional as F

from .batch import LossOutput, grouped


class PrototypicalLoss(torch.nn.Module):
    name = "proto"

    def forward(self, embeddings, labels):
        groups = grouped(embeddings, labels, 2, 2, self.name)
        queries = groups[:, -1]
        prototypes = groups[:, :-1].mean(dim=1)
        logits = self.logits(queries, prototypes)
        targets = torch.arange(groups.shape[0], device=embeddings.device)
        return LossOutput(F.cross_entropy(logits, targets), logits, targets)

    def logits(self, queries, prototypes):
        return -torch.cdist(queries, prototypes).pow(2)


class AngularPrototypicalLoss(PrototypicalLoss):
    name = "angleproto"

    def __init__(self, init_w=10.0, init_b=-5.0):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(float(init_w)))
        self.b = torch.nn.Parameter(torch.tensor(float(init_b)))

    def logits(self, queries, prototypes):
        cosine = F.normalize(queries, dim=1) @ F.normalize(prototypes, dim=1).t()
        return self.w.clamp(min=1e-6) * cosine + self.b
