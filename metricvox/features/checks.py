"""Refusing NaN or infinite feature values, naming the utterance they are in."""

import numpy as np

from metricvox.errors import InputError


def check_finite(matrix, utt_id, what="features", path=None, line=None):
    """InputError naming ``utt_id`` (and the file) if ``matrix`` has a NaN or inf."""
    matrix = np.asarray(matrix)
    if not np.isfinite(matrix).all():
        bad = np.argwhere(~np.isfinite(matrix))[0]
        value = matrix[tuple(bad)]
        raise InputError(f"utterance {utt_id}: {what} contain {value} at index "
                         f"{tuple(int(i) for i in bad)}", path, line)
    return matrix
