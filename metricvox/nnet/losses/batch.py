"""The batch layout every metricvox loss takes, and what every loss returns.

A batch holds N classes x M utterances and reaches a loss as

* ``embeddings``: a float tensor (N*M, D), **class-major**: the M embeddings of
  the first class, then the M of the second class, and so on (the order
  :class:`metricvox.nnet.pk_sampler.PKBatchSampler` deals them in);
* ``labels``: an integer tensor (N*M,), the class of every row (global class
  indices: classification heads use them as targets).

Losses that work on groups (prototypical, angular prototypical, GE2E) read N and
M from the runs of equal labels and check them up front, so that a batch with one
utterance per speaker is a clear error rather than a NaN.

The pair loss of the double-branch Siamese network (``bce``) is the exception:
it takes one probability per pair and its 0/1 label (see :mod:`.bce`).

A loss that is the mean of one term per row (or pair), with no coupling between
rows, sets ``rows_independent = True``: training in micro batches then accumulates
it chunk by chunk instead of caching the embeddings' gradient
(:mod:`metricvox.nnet.training.micro_batch`).
"""

from dataclasses import dataclass, field
from typing import Dict, Optional

import torch

from metricvox.errors import InputError


@dataclass
class LossOutput:
    """A loss value, and the logits behind it when the loss classifies.

    ``logits`` (B, C) and ``targets`` (B,) are set by losses that end in a
    softmax over classes or prototypes, so that training can report accuracy;
    ``parts`` holds the unweighted component losses of ``multi``.
    """

    loss: torch.Tensor
    logits: Optional[torch.Tensor] = None
    targets: Optional[torch.Tensor] = None
    parts: Dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def accuracy(self):
        """Top-1 accuracy of ``logits`` against ``targets`` (a 0-d tensor), or None."""
        if self.logits is None:
            return None
        with torch.no_grad():
            hits = self.logits.argmax(dim=1) == self.targets
            return hits.float().mean()


def check_embeddings(embeddings, labels):
    """Shapes of a (N*M, D) batch and its (N*M,) labels."""
    if embeddings.dim() != 2:
        raise InputError(
            f"expected embeddings of shape (N*M, D), got shape {tuple(embeddings.shape)}")
    if labels.dim() != 1 or labels.shape[0] != embeddings.shape[0]:
        raise InputError(
            f"expected one label per embedding row ({embeddings.shape[0]}), "
            f"got labels of shape {tuple(labels.shape)}")


def classes_and_utterances(labels):
    """(N, M) of a class-major batch, checked: equal runs of M, N distinct classes."""
    total = labels.shape[0]
    if total == 0:
        raise InputError("expected a batch of N classes x M utterances, got an empty batch")
    changes = (labels != labels[0]).nonzero()
    per_class = int(changes[0]) if len(changes) else total
    if total % per_class:
        raise InputError(
            f"expected a class-major batch of N classes x M utterances; the first class has "
            f"{per_class} rows but the batch has {total}")
    groups = labels.view(-1, per_class)
    if (groups != groups[:, :1]).any():
        raise InputError(
            f"expected a class-major batch of N classes x M utterances (M = {per_class} equal "
            f"labels in a row for every class)")
    if groups[:, 0].unique().numel() != groups.shape[0]:
        raise InputError("expected N distinct classes in a batch; a class appears in two groups")
    return groups.shape[0], per_class


def require(num_classes, per_class, min_classes, min_per_class, loss_name):
    """InputError unless the batch has at least the classes and utterances the loss needs."""
    if num_classes < min_classes or per_class < min_per_class:
        raise InputError(
            f"loss '{loss_name}' needs at least {min_classes} classes x {min_per_class} "
            f"utterances per class in a batch, got {num_classes} x {per_class}")


def check_batch(embeddings, labels, min_classes, min_per_class, loss_name):
    """(N, M) of a (N*M, D) class-major batch, checked for layout and size."""
    check_embeddings(embeddings, labels)
    num_classes, per_class = classes_and_utterances(labels)
    require(num_classes, per_class, min_classes, min_per_class, loss_name)
    return num_classes, per_class


def grouped(embeddings, labels, min_classes, min_per_class, loss_name):
    """The batch as a (N, M, D) tensor, after checking its layout and size."""
    num_classes, per_class = check_batch(embeddings, labels, min_classes, min_per_class, loss_name)
    return embeddings.reshape(num_classes, per_class, -1)
