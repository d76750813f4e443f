"""The acoustic-source paper's frame vectors: MFCC plus their statistics over nearby frames.

For MFCC of dimension D and a window of K consecutive frames centred on each frame
(edge frames replicated), the vector of a frame is 11 blocks of D:
MFCC, min, max, median, mean, skewness, kurtosis (excess, population moments, as
scipy.stats.skew/kurtosis with their defaults), mean and variance of the first
differences, mean and variance of the second differences within the window.
With 25 MFCC that is the paper's 275 dimensions.
"""

import numpy as np

from metricvox.features.mfcc import compute_mfcc

NUM_BLOCKS = 11


def _skewness_kurtosis(windows, mean):
    """Skewness and excess kurtosis over the last axis; 0 for (numerically) constant windows."""
    centred = windows - mean[..., None]
    m2 = np.mean(centred ** 2, axis=-1)
    m3 = np.mean(centred ** 3, axis=-1)
    m4 = np.mean(centred ** 4, axis=-1)
    # A window of repeated values has no defined shape; call it symmetric and normal-tailed.
    constant = m2 <= (1e-12 * np.maximum(np.abs(mean), 1.0)) ** 2
    safe_m2 = np.where(constant, 1.0, m2)
    skewness = np.where(constant, 0.0, m3 / safe_m2 ** 1.5)
    kurtosis = np.where(constant, 0.0, m4 / safe_m2 ** 2 - 3.0)
    return skewness, kurtosis


def frame_statistics(features, context_frames=5):
    """(frames, 11 * dim) float32: features followed by their 10 window statistics."""
    features = np.asarray(features, dtype=np.float64)
    half = context_frames // 2
    padded = np.pad(features, ((half, half), (0, 0)), mode="edge")
    # windows[t, d, k] = feature d of frame t - half + k
    windows = np.lib.stride_tricks.sliding_window_view(padded, context_frames, axis=0)
    mean = windows.mean(axis=-1)
    skewness, kurtosis = _skewness_kurtosis(windows, mean)
    first = np.diff(windows, n=1, axis=-1)
    second = np.diff(windows, n=2, axis=-1)
    blocks = [features, windows.min(axis=-1), windows.max(axis=-1), np.median(windows, axis=-1),
              mean, skewness, kurtosis, first.mean(axis=-1), first.var(axis=-1),
              second.mean(axis=-1), second.var(axis=-1)]
    return np.concatenate(blocks, axis=1).astype(np.float32)


def compute_mfcc_stats(waveform, options, rng=None):
    """MFCC of the waveform with their statistics over options.stats_frames frames."""
    return frame_statistics(compute_mfcc(waveform, options, rng), options.stats_frames)
