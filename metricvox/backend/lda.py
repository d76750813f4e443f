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
from metricvox.backend.speaker_stats import speaker_stats
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def estimate_lda(groups, dim, covariance_floor=1e-6):
    """``(projection, criterion)``: the (dim, D) matrix and the Fisher ratio of each kept row,
    from a list of (n_s, D) speaker groups or their :class:`SpeakerStats`."""
    stats = speaker_stats(groups)
    input_dim = stats.dim
    if not 1 <= dim <= input_dim:
        raise InputError(f"LDA dimension {dim} is outside 1..{input_dim} (the vectors' dimension)")
    if stats.num_speakers < 2:
        raise InputError("LDA needs at least two speakers")
    if dim > stats.num_speakers - 1:
        # The between-speaker scatter of S speakers has rank S - 1: further directions
        # would be noise ranked by chance.
        log.info("LDA dimension lowered from %d to %d, the number of training speakers minus "
                 "one", dim, len(groups) - 1)
        dim = stats.num_speakers - 1
    within, between = class_covariances(stats)
    whiten = normalizing_transform(within, covariance_floor)
    values, vectors = np.linalg.eigh(whiten @ between @ whiten.T)
    order = np.argsort(values)[::-1][:dim]
    return vectors[:, order].T @ whiten, values[order]
