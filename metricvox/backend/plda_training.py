"""Estimating a two-covariance PLDA model by EM (Kaldi's ivector-compute-plda).

Statistics per speaker s: its n_s vectors' mean m_s, and the scatter of the vectors
about their speaker's mean. Starting from B = W = I, each iteration treats a
speaker's centred mean as m = y + r with y ~ N(0, B) and r ~ N(0, W / n):

    posterior of y:  covariance C = (B^-1 + n W^-1)^-1,  mean w = C n W^-1 m
    B <- 1/S sum_s (C + w w^T)
    W <- (scatter + sum_s n_s (C + (m - w)(m - w)^T)) / N

(the scatter has N - S degrees of freedom and each speaker's mean adds one). The
model's mean is the mean of the speaker means, and the result is diagonalised
simultaneously: T makes W the identity (inverse Cholesky factor), then rotates
onto the eigenvectors of T B T^T, largest first.
"""

import logging

import numpy as np

from metricvox.backend.plda import Plda
from metricvox.backend.speaker_stats import speaker_stats
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def estimate_plda(groups, num_iters=10):
    """A :class:`Plda` from a list of (n_s, D) speaker groups, each with n_s >= 2, or from
    their :class:`SpeakerStats`."""
    if num_iters < 1:
        raise InputError(f"the number of EM iterations must be positive, got {num_iters}")
    stats = speaker_stats(groups)
    counts, means, scatter = stats.counts, stats.means, stats.scatter
    if counts.min() < 2:
        raise InputError("PLDA needs speakers with two or more utterances each")
    global_mean = means.mean(axis=0)
    centred = means - global_mean
    dim, num_speakers, num_vectors = stats.dim, stats.num_speakers, stats.num_vectors
    between, within = np.eye(dim), np.eye(dim)
    for iteration in range(num_iters):
        between_inv, within_inv = np.linalg.inv(between), np.linalg.inv(within)
        between_stats = np.zeros((dim, dim))
        within_stats = scatter.copy()
        # Speakers with the same number of vectors share the posterior covariance.
        for n in np.unique(counts):
            members = centred[counts == n]
            posterior_cov = np.linalg.inv(between_inv + n * within_inv)
            posterior_mean = members @ (n * within_inv) @ posterior_cov   # rows w^T (symmetric C)
            residual = members - posterior_mean
            between_stats += len(members) * posterior_cov + posterior_mean.T @ posterior_mean
            within_stats += n * (len(members) * posterior_cov + residual.T @ residual)
        between = between_stats / num_speakers
        within = within_stats / num_vectors
        log.info("PLDA EM iteration %d of %d: trace within %.4g, between %.4g",
                 iteration + 1, num_iters, np.trace(within), np.trace(between))
    return diagonalize(global_mean, between, within)


def diagonalize(mean, between, within):
    """The :class:`Plda` of mean, B and W: T with T W T^T = I and T B T^T = diag(psi)."""
    try:
        whiten = np.linalg.inv(np.linalg.cholesky(within))
    except np.linalg.LinAlgError:
        raise InputError("the within-speaker covariance is singular: the vectors have more "
                         "dimensions than the data can support (reduce them with --lda-dim)") from None
    values, vectors = np.linalg.eigh(whiten @ between @ whiten.T)
    order = np.argsort(values)[::-1]
    floored = int((values < 0).sum())
    if floored:
        log.warning("floored %d negative between-speaker eigenvalues to zero", floored)
    return Plda(mean=np.asarray(mean, dtype=np.float64),
                transform=vectors[:, order].T @ whiten,
                psi=np.maximum(values[order], 0.0))
