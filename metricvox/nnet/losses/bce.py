"""Binary cross-entropy of the double-branch Siamese network (Siamese paper, Sec. 2.1).

The network outputs, through a sigmoid, one probability per (anchor, other) pair;
the label is 1 for a client (same speaker) pair and 0 for an impostor pair. The loss
is -mean(y log p + (1 - y) log(1 - p)).

Unlike the other losses, this one takes ``probabilities`` of shape (P,) or (P, 1)
in place of embeddings, and ``labels`` (P,) of 0/1 values.
"""

import torch
import torch.nn.functional as F

from metricvox.errors import InputError

from .batch import LossOutput


class PairBCELoss(torch.nn.Module):
    rows_independent = True  # a mean of per-pair terms: micro batches accumulate it

    def forward(self, probabilities, labels):
        probabilities = probabilities.reshape(-1)
        if labels.dim() != 1 or labels.shape[0] != probabilities.shape[0]:
            raise InputError(
                f"bce expects one 0/1 label per pair ({probabilities.shape[0]}), "
                f"got labels of shape {tuple(labels.shape)}")
        if probabilities.numel() == 0:
            raise InputError("bce expects at least one pair, got an empty batch")
        if ((labels != 0) & (labels != 1)).any():
            raise InputError("bce expects pair labels of 0 (impostor) or 1 (client)")
        if ((probabilities < 0) | (probabilities > 1)).any():
            raise InputError("bce expects probabilities in [0, 1] (the output of a sigmoid)")
        targets = labels.to(probabilities.dtype)
        loss = F.binary_cross_entropy(probabilities, targets)
        # Two-column logits (impostor, client) so accuracy reads as for the other heads.
        logits = torch.stack([1 - probabilities, probabilities], dim=1)
        return LossOutput(loss, logits.detach(), labels.long())
