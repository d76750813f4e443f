"""Hyperspherical softmax heads with a margin, as pytorch-metric-learning provides them.

The acoustic-source paper (Sec. II-B) compares four of them; the Siamese paper's
supervised baseline uses AM-softmax. With theta_j the angle between an embedding
and the (normalised) weight vector of class j, and y the true class:

* ``normsoftmax``  Eq. (3), "modified softmax": logits s*cos(theta_j).
  ``NormalizedSoftmaxLoss`` with temperature 1/s; s is the fixed radius of the
  L2-constrained softmax the paper cites as [19].
* ``sphereface``   Eq. (4), multiplicative angular margin: target logit
  ||x||*psi(theta_y), psi(theta) = (-1)^k cos(m*theta) - 2k for theta in
  [k*pi/m, (k+1)*pi/m] (SphereFace's monotonic extension of cos(m*theta); equal to
  it for theta <= pi/m), other logits ||x||*cos(theta_j). ``SphereFaceLoss``.
* ``amsoftmax``    Eq. (5), CosFace / AM-softmax: target logit s*(cos(theta_y) - m).
  ``CosFaceLoss``.
* ``aamsoftmax``   Eq. (6), ArcFace: target logit s*cos(theta_y + m), m in radians
  here (ArcFace's own unit; pytorch-metric-learning takes degrees). For
  theta_y > pi - m pytorch-metric-learning keeps the logit decreasing with
  s*(cos(theta_y) - m*sin(m)) instead, as ArcFace's authors do.

Each row of the batch is classified on its own; the loss is the mean cross-entropy.
"""

import math

import torch
from pytorch_metric_learning import losses as pml_losses

from metricvox.errors import InputError

from .batch import LossOutput, check_embeddings


class MarginSoftmaxLoss(torch.nn.Module):
    """A pytorch-metric-learning margin head, returning its logits for accuracy."""

    rows_independent = True  # a mean of per-row terms: micro batches accumulate it

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, embeddings, labels):
        check_embeddings(embeddings, labels)
        # pytorch-metric-learning casts its weights to the embeddings' dtype in place;
        # feeding it the weights' own dtype keeps them float32 under mixed precision.
        embeddings = embeddings.to(self.head.W.dtype)
        loss = self.head(embeddings, labels)
        # Logits without the margin: what the class decision at test time sees.
        logits = self.head.get_logits(embeddings)
        return LossOutput(loss, logits, labels)


def normsoftmax(embedding_dim, num_classes, scale=30.0):
    return MarginSoftmaxLoss(pml_losses.NormalizedSoftmaxLoss(
        num_classes, embedding_dim, temperature=1.0 / scale))


def sphereface(embedding_dim, num_classes, margin=4):
    if int(margin) != margin or margin < 1:
        raise InputError(f"sphereface margin must be a positive integer (e.g. 4), got {margin}")
    return MarginSoftmaxLoss(pml_losses.SphereFaceLoss(
        num_classes, embedding_dim, margin=int(margin)))


def amsoftmax(embedding_dim, num_classes, margin=0.2, scale=30.0):
    return MarginSoftmaxLoss(pml_losses.CosFaceLoss(
        num_classes, embedding_dim, margin=margin, scale=scale))


def aamsoftmax(embedding_dim, num_classes, margin=0.2, scale=30.0):
    return MarginSoftmaxLoss(pml_losses.ArcFaceLoss(
        num_classes, embedding_dim, margin=math.degrees(margin), scale=scale))
