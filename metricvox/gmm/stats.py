"""Sufficient statistics of a GMM over a set of frames: what an E-step produces.

For component c, with gamma_tc its posterior for frame x_t::

    zeroth[c] = sum_t gamma_tc                     (C,)
    first[c]  = sum_t gamma_tc x_t                 (C, D)
    second[c] = sum_t gamma_tc x_t^2               (C, D)     "diag"
              = sum_t gamma_tc x_t x_t^T           (C, D, D)  "full"
              absent (None) when only means are wanted (MAP adaptation)

together with the total log-likelihood sum_t log p(x_t) and the frame count.
Statistics of disjoint frame sets add up to those of their union, which is how
``--nj`` parallel jobs are combined.
"""

from dataclasses import dataclass

import numpy as np

SECOND_ORDERS = ("diag", "full", None)


@dataclass
class GmmStats:
    zeroth: np.ndarray
    first: np.ndarray
    second: np.ndarray = None
    log_likelihood: float = 0.0
    num_frames: int = 0

    @classmethod
    def zeros(cls, num_components, dim, second_order="diag"):
        if second_order not in SECOND_ORDERS:
            raise ValueError(f"second_order must be one of {SECOND_ORDERS}, got {second_order!r}")
        second = {"diag": lambda: np.zeros((num_components, dim)),
                  "full": lambda: np.zeros((num_components, dim, dim)),
                  None: lambda: None}[second_order]()
        return cls(np.zeros(num_components), np.zeros((num_components, dim)), second)

    @property
    def second_order(self):
        if self.second is None:
            return None
        return "diag" if self.second.ndim == 2 else "full"

    @property
    def average_log_likelihood(self):
        """Log-likelihood per frame (NaN when no frame was seen)."""
        return self.log_likelihood / self.num_frames if self.num_frames else float("nan")

    def __add__(self, other):
        if (self.first.shape != other.first.shape
                or self.second_order != other.second_order):
            raise ValueError(f"cannot add statistics of shape {self.first.shape} "
                             f"({self.second_order}) and {other.first.shape} "
                             f"({other.second_order})")
        second = None if self.second is None else self.second + other.second
        return GmmStats(self.zeroth + other.zeroth, self.first + other.first, second,
                        self.log_likelihood + other.log_likelihood,
                        self.num_frames + other.num_frames)

    def global_covariance(self):
        """The variance (diag stats) or covariance (full stats) of all the frames seen."""
        total = self.zeroth.sum()
        mean = self.first.sum(0) / total
        if self.second_order == "diag":
            return self.second.sum(0) / total - mean ** 2
        return self.second.sum(0) / total - np.outer(mean, mean)
