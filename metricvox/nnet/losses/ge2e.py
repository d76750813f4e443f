"""Generalised end-to-end loss, as Wan et al. define it (ICASSP 2018).

The embedding of utterance i of class j is the L2-normalised network output e_ji.
Class k's centroid is the mean of its M embeddings, c_k (Eq. 1); for the utterance's
own class the centroid leaves the utterance out, c_j^(-i) (Eq. 8). The similarity
matrix is S_ji,k = w cos(e_ji, c_k) + b (Eqs. 5, 9), w > 0 (clamped) and b learnt,
starting at 10 and -5. The loss of e_ji is, by ``method``:

* ``softmax`` (Eq. 6): -S_ji,j + log sum_k exp(S_ji,k);
* ``contrast`` (Eq. 7): 1 - sigmoid(S_ji,j) + max_{k != j} sigmoid(S_ji,k).

This returns the mean over the N*M utterances (Wan et al. sum them, Eq. 10).

``centroids`` chooses what is averaged: ``normalised`` (the paper: means of the unit
embeddings) or ``raw`` (means of the network outputs before normalisation, as
voxceleb_trainer's GE2E and metricvox before it did; the cosines then see the longer
outputs weigh more in a centroid).

Batch: (N*M, D) class-major with labels, N >= 2 classes and M >= 2 utterances.
"""

import torch
import torch.nn.functional as F

from metricvox.errors import InputError

from .batch import LossOutput, grouped

CENTROIDS = ("normalised", "raw")
METHODS = ("softmax", "contrast")


class GE2ELoss(torch.nn.Module):
    def __init__(self, init_w=10.0, init_b=-5.0, centroids="normalised", method="softmax"):
        super().__init__()
        if centroids not in CENTROIDS:
            raise InputError(f"loss 'ge2e': centroids must be one of {', '.join(CENTROIDS)}, "
                             f"got {centroids!r}")
        if method not in METHODS:
            raise InputError(f"loss 'ge2e': method must be one of {', '.join(METHODS)}, got {method!r}")
        self.centroids, self.method = centroids, method
        self.w = torch.nn.Parameter(torch.tensor(float(init_w)))
        self.b = torch.nn.Parameter(torch.tensor(float(init_b)))

    def forward(self, embeddings, labels):
        groups = grouped(embeddings, labels, 2, 2, "ge2e")
        num_classes, per_class, _ = groups.shape
        unit = F.normalize(groups, dim=2)
        averaged = unit if self.centroids == "normalised" else groups
        centroids = averaged.mean(dim=1)
        exclusive = (averaged.sum(dim=1, keepdim=True) - averaged) / (per_class - 1)   # c_j^(-i)
        cosine = unit @ F.normalize(centroids, dim=1).t()                              # (N, M, N)
        own_cosine = (unit * F.normalize(exclusive, dim=2)).sum(dim=2)                 # (N, M)
        is_own = torch.eye(num_classes, dtype=torch.bool, device=embeddings.device)
        cosine = torch.where(is_own.unsqueeze(1), own_cosine.unsqueeze(2), cosine)
        logits = self.w.clamp(min=1e-6) * cosine + self.b
        logits = logits.reshape(num_classes * per_class, num_classes)
        targets = torch.arange(num_classes, device=embeddings.device).repeat_interleave(per_class)
        if self.method == "softmax":
            loss = F.cross_entropy(logits, targets)
        else:
            own = F.one_hot(targets, num_classes).bool()
            similarity = torch.sigmoid(logits)
            hardest_other = similarity.masked_fill(own, float("-inf")).amax(dim=1)
            loss = (1.0 - similarity[own] + hardest_other).mean()
        return LossOutput(loss, logits, targets)
