"""Within-class covariance normalisation (Hatch et al.; Dehak et al.'s i-vector chain).

W is the within-speaker covariance averaged over speakers (each speaker's own
covariance counts once, however many utterances it has):

    W = 1/S sum_s 1/n_s sum_i (x_si - mu_s)(x_si - mu_s)^T

and the transform is B^T with B B^T = W^{-1} (a Cholesky factor), so that the
transformed vectors have W = I.
"""

import numpy as np

from metricvox.backend.speaker_stats import speaker_stats
from metricvox.errors import InputError


def speaker_averaged_within(groups):
    """The WCCN within-speaker covariance W of a list of (n_s, D) groups, or of their
    :class:`SpeakerStats` (accumulated with the speakers' counts)."""
    stats = speaker_stats(groups)
    return stats.averaged_scatter / stats.num_speakers


def estimate_wccn(groups):
    """The (D, D) WCCN matrix (apply as ``x @ matrix.T``) of speaker groups or their stats."""
    within = speaker_averaged_within(groups)
    values = np.linalg.eigvalsh(within)
    # Rounding leaves a rank-deficient W with tiny, not zero, eigenvalues: judge by ratio.
    if values[-1] <= 0 or values[0] <= 1e-10 * values[-1]:
        raise InputError(f"the within-speaker covariance ({within.shape[0]} dimensions) is "
                         "singular: too few utterances per speaker for WCCN, reduce the "
                         "dimension first (--lda-dim)")
    return np.linalg.cholesky(np.linalg.inv(within)).T
