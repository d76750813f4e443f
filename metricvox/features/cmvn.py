"""Cepstral mean and variance normalisation: per utterance, global, and sliding window.

Statistics are accumulated in float64 (count, sum, sum of squares), as Kaldi's
CMVN stats; variances are floored before taking their inverse square root.
"""

from dataclasses import dataclass

import numpy as np

VARIANCE_FLOOR = 1.0e-10


@dataclass
class CmvnStats:
    """Sufficient statistics of a set of feature frames."""
    count: float
    sum: np.ndarray
    sum_squares: np.ndarray

    @classmethod
    def empty(cls, dim):
        return cls(0.0, np.zeros(dim), np.zeros(dim))

    @classmethod
    def of(cls, features):
        features = np.asarray(features, dtype=np.float64)
        return cls(float(features.shape[0]), features.sum(axis=0), np.square(features).sum(axis=0))

    def add(self, other):
        """Accumulate ``other`` into these statistics (same dimension)."""
        if other.sum.shape != self.sum.shape:
            raise ValueError(f"dimension {other.sum.shape[0]} differs from {self.sum.shape[0]}")
        self.count += other.count
        self.sum += other.sum
        self.sum_squares += other.sum_squares

    def mean(self):
        return self.sum / self.count

    def variance(self):
        return np.maximum(self.sum_squares / self.count - self.mean() ** 2, VARIANCE_FLOOR)


def apply_cmvn(features, stats, norm_vars=False):
    """Subtract the stats' mean (and divide by their standard deviation), float32."""
    normalized = np.asarray(features, dtype=np.float64) - stats.mean()
    if norm_vars:
        normalized /= np.sqrt(stats.variance())
    return normalized.astype(np.float32)


def sliding_windows(num_frames, cmn_window=600, min_cmn_window=100, center=False):
    """[start, end) of the normalisation window of every frame (Kaldi apply-cmvn-sliding).

    Not centred: the cmn_window frames before t and t itself, but at least the
    first min_cmn_window frames. Centred: cmn_window frames around t, shifted
    to stay inside the utterance. Near the end windows are shifted left.
    """
    t = np.arange(num_frames)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    end = np.where(start < 0, end - start, end)
    start = np.maximum(start, 0)
    if not center:
        end = np.maximum(t + 1, min_cmn_window)
    overflow = np.maximum(end - num_frames, 0)
    start = np.maximum(start - overflow, 0)
    end = end - overflow
    return start, end


def sliding_cmvn(features, cmn_window=600, min_cmn_window=100, center=False, norm_vars=False):
    """Normalise each frame by the mean (and variance) of its sliding window, float32."""
    features = np.asarray(features, dtype=np.float64)
    num_frames = features.shape[0]
    start, end = sliding_windows(num_frames, cmn_window, min_cmn_window, center)
    zero_row = np.zeros((1, features.shape[1]))
    cumulative = np.concatenate([zero_row, np.cumsum(features, axis=0)])
    counts = (end - start)[:, None].astype(np.float64)
    mean = (cumulative[end] - cumulative[start]) / counts
    normalized = features - mean
    if norm_vars:
        cumulative_sq = np.concatenate([zero_row, np.cumsum(features ** 2, axis=0)])
        variance = (cumulative_sq[end] - cumulative_sq[start]) / counts - mean ** 2
        normalized /= np.sqrt(np.maximum(variance, VARIANCE_FLOOR))
        # A one-frame window carries no variance information: Kaldi outputs zeros.
        normalized[counts[:, 0] == 1] = 0.0
    return normalized.astype(np.float32)
