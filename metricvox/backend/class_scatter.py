"""Within- and between-speaker covariances of labelled vectors (Kaldi's definitions).

With N utterances in all, speaker means mu_s over n_s utterances and the global
mean mu of all utterances:

    within  = 1/N sum_s sum_i (x_si - mu_s)(x_si - mu_s)^T
    between = 1/N sum_s n_s (mu_s - mu)(mu_s - mu)^T

so that within + between is the total covariance (as in Kaldi's
ivector-compute-lda and scikit-learn's LinearDiscriminantAnalysis).
"""

import numpy as np

from metricvox.backend.speaker_stats import speaker_stats
from metricvox.errors import InputError


def class_covariances(groups):
    """``(within, between)`` (D, D) covariances of a list of (n_s, D) speaker groups, or of
    their :class:`SpeakerStats`."""
    stats = speaker_stats(groups)
    offsets = stats.means - stats.mean
    between = (offsets * stats.counts[:, None]).T @ offsets
    return stats.scatter / stats.num_vectors, between / stats.num_vectors


def normalizing_transform(covariance, floor=1e-6):
    """T with T C T^T = I, from the eigen-decomposition of C.

    Eigenvalues below ``floor`` times the largest are raised to it (Kaldi's
    --covariance-floor), so a rank-deficient C still gives a finite transform.
    """
    values, vectors = np.linalg.eigh(covariance)
    if values[-1] <= 0:
        raise InputError("the covariance to normalise is zero: the vectors do not vary")
    values = np.maximum(values, floor * values[-1])
    return vectors.T / np.sqrt(values)[:, None]
