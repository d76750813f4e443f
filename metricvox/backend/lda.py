"""Linear discriminant analysis of speaker-labelled vectors (Kaldi's ivector-compute-lda).

The projection first makes the within-speaker covariance the identity, then
rotates onto the eigenvectors of the between-speaker covariance in that space,
largest first, and keeps ``dim`` of them. The kept directions maximise the Fisher
criterion (between-speaker over within-speaker variance); in the output space the
within-speaker covariance is I and the between-speaker covariance is diagonal.
The global mean is not part of the matrix: the chain subtracts it before.
"""

import logging

import numpy as np

from metricvox.backend.class_scatter import class_covariances, normalizing_transform
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def estimate_lda(groups, dim, covariance_floor=1e-6):
    """``(projection, criterion)``: the (dim, D) matrix and the Fisher ratio of each kept row."""
    input_dim = groups[0].shape[1]
    if not 1 <= dim <= input_dim:
        raise InputError(f"LDA dimension {dim} is outside 1..{input_dim} (the vectors' dimension)")
    if len(groups) < 2:
        raise InputError("LDA needs at least two speakers")
    if dim > len(groups) - 1:
        # The between-speaker scatter of S speakers has rank S - 1: further directions
        # would be noise ranked by chance.
        log.info("LDA dimension lowered from %d to %d, the number of training speakers minus "
                 "one", dim, len(groups) - 1)
        dim = len(groups) - 1
    within, between = class_covariances(groups)
    whiten = normalizing_transform(within, covariance_floor)
    values, vectors = np.linalg.eigh(whiten @ between @ whiten.T)
    order = np.argsort(values)[::-1][:dim]
    return vectors[:, order].T @ whiten, values[order]
