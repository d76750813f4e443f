"""The two-covariance PLDA model and its log-likelihood-ratio scores (Kaldi's Plda).

A vector is x = mu + y + e, with the speaker variable y ~ N(0, B) shared by all of
a speaker's vectors and the residual e ~ N(0, W) drawn anew for each. The model is
stored as Kaldi stores it, after simultaneous diagonalisation: an affine map
u = T (x - mu) under which the within-speaker covariance is I and the
between-speaker covariance is diag(psi).

The score of a test vector u against the mean of n enrollment vectors (Ioffe 2006,
as in Kaldi's Plda::LogLikelihoodRatio) is

    log N(u; n psi / (n psi + 1) * mean, 1 + psi / (n psi + 1)) - log N(u; 0, 1 + psi)

per dimension, summed: the log ratio of the joint density of enrollment and test
under "same speaker" to that under "different speakers".
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Plda:
    mean: np.ndarray        # (D,)   mu
    transform: np.ndarray   # (D, D) T: T W T^T = I, T B T^T = diag(psi)
    psi: np.ndarray         # (D,)   between-speaker variances in the normalised space

    @property
    def dim(self):
        return self.mean.size

    @property
    def within_covariance(self):
        """W in the input space: T^-1 T^-T."""
        inverse = np.linalg.inv(self.transform)
        return inverse @ inverse.T

    @property
    def between_covariance(self):
        """B in the input space: T^-1 diag(psi) T^-T."""
        inverse = np.linalg.inv(self.transform)
        return (inverse * self.psi) @ inverse.T

    def project(self, rows):
        """(K, D) input rows into the normalised space: T (x - mu)."""
        return (np.asarray(rows, dtype=np.float64) - self.mean) @ self.transform.T

    def normalize_length(self, projected, num_utts=1):
        """Kaldi's PLDA-space length normalisation of projected rows averaged over num_utts
        (a number, or one per row).

        Such an average has covariance diag(psi + 1/n); each row is scaled so that its
        squared norm under that covariance is the dimension.
        """
        n = _per_row(num_utts)
        squared = ((projected ** 2) / (self.psi + 1.0 / n)).sum(axis=1)
        return projected * np.sqrt(self.dim / np.maximum(squared, np.finfo(np.float64).tiny))[:, None]

    def _given_enrollment(self, num_utts):
        """``(shrink, given, constant)`` for enrollment means of num_utts vectors (a number,
        or one per row: then rows of the first two, and one constant a row)."""
        n, psi = _per_row(num_utts), self.psi
        shrink = n * psi / (n * psi + 1.0)           # E[y | mean of n] = shrink * mean
        given = 1.0 + psi / (n * psi + 1.0)          # variance of u given the enrollment
        constant = 0.5 * (np.log(1.0 + psi).sum() - np.log(given).sum(axis=-1))
        return shrink, given, constant

    def log_likelihood_ratios(self, enroll, num_utts, test):
        """(E, T) LLRs of projected enrollment means (each of num_utts vectors) vs projected tests."""
        enroll = np.atleast_2d(enroll)
        test = np.atleast_2d(test)
        shrink, given, constant = self._given_enrollment(num_utts)
        marginal = 1.0 + self.psi                    # variance of u alone
        predicted = enroll * shrink                  # (E, D)
        # -0.5 sum (u - p)^2 / given + 0.5 sum u^2 / marginal, expanded into matrix products
        quadratic = (-0.5 * ((predicted ** 2) / given).sum(axis=1)[:, None]
                     + (predicted / given) @ test.T
                     + (0.5 / marginal - 0.5 / given) @ (test ** 2).T)
        return constant[:, None] + quadratic

    def paired_log_likelihood_ratios(self, enroll, num_utts, test):
        """(N,) LLRs of projected enrollment mean i (of num_utts vectors) vs projected test i."""
        shrink, given, constant = self._given_enrollment(num_utts)
        predicted = enroll * shrink
        return constant + (0.5 * (test ** 2) / (1.0 + self.psi)
                           - 0.5 * ((test - predicted) ** 2) / given).sum(axis=1)


def _per_row(num_utts):
    """num_utts as a column to broadcast against rows: (1, 1) for a number, (N, 1) per row."""
    return np.asarray(num_utts, dtype=np.float64).reshape(-1, 1)
