"""Utterance-level statistics of frame features: the classic 'feature statistics' embedding.

Mean and standard deviation of each feature dimension over the frames of an
utterance, concatenated. It is the naive baseline every learned embedding must beat.
"""

import numpy as np

from metricvox.errors import InputError

STATISTICS = ("mean", "std")


def pool_statistics(frames, statistics=STATISTICS, *, key=None):
    """One vector per utterance: the requested per-dimension statistics, concatenated."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[0] == 0:
        raise InputError(f"utterance '{key}' has features of shape {frames.shape}; "
                         "need a non-empty frames x dims matrix")
    parts = []
    for name in statistics:
        if name == "mean":
            parts.append(frames.mean(axis=0))
        elif name == "std":
            parts.append(frames.std(axis=0))
        else:
            raise InputError(f"unknown statistic {name!r}; choose from {', '.join(STATISTICS)}")
    return np.concatenate(parts).astype(np.float32)
