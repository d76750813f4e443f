"""Generalised end-to-end loss (Wan et al., ICASSP 2018), softmax variant.

As the singer paper describes it (Sec. II-B3): every utterance e_ji (class j,
utterance i) is compared by cosine with the centroid of every class; for its own
class the centroid leaves e_ji out (Wan et al.'s Eq. 8), for the others it is the
mean of all M utterances (Eq. 1). The similarity matrix is S_ji,k = w cos(e_ji, c_k) + b
(Eq. 5, w > 0 and b learnt, starting at 10 and -5) and the loss of e_ji is
-S_ji,j + log sum_k exp(S_ji,k) (Eq. 6); this returns the mean over the N*M
utterances (Wan et al. sum them).

Batch: (N*M, D) class-major with labels, N >= 2 classes and M >= 2 utterances.
"""

import torch
import torch.nn.functional as F

from .batch import LossOutput, grouped


class GE2ELoss(torch.nn.Module):
    def __init__(self, init_w=10.0, init_b=-5.0):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(float(init_w)))
        self.b = torch.nn.Parameter(torch.tensor(float(init_b)))

    def forward(self, embeddings, labels):
        groups = grouped(embeddings, labels, 2, 2, "ge2e")
        num_classes, per_class, _ = groups.shape
        centroids = groups.mean(dim=1)
        # Own-class centroid without the utterance itself.
        own = (groups.sum(dim=1, keepdim=True) - groups) / (per_class - 1)
        unit = F.normalize(groups, dim=2)
        cosine = unit @ F.normalize(centroids, dim=1).t()                  # (N, M, N)
        own_cosine = (unit * F.normalize(own, dim=2)).sum(dim=2)            # (N, M)
        is_own = torch.eye(num_classes, dtype=torch.bool, device=embeddings.device)
        cosine = torch.where(is_own.unsqueeze(1), own_cosine.unsqueeze(2), cosine)
        logits = self.w.clamp(min=1e-6) * cosine + self.b
        logits = logits.reshape(num_classes * per_class, num_classes)
        targets = torch.arange(num_classes, device=embeddings.device).repeat_interleave(per_class)
        return LossOutput(F.cross_entropy(logits, targets), logits, targets)
