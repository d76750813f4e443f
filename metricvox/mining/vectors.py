"""Read a table of i-vectors (one vector per utterance) into keys and one float32 matrix.

Everything that would make a cosine similarity meaningless is an error naming
the utterance and the file: an entry that is not a single vector, a dimension
different from the table's first, NaN or infinity, an all-zero vector, and an
empty table.
"""

import numpy as np

from metricvox.errors import InputError
from metricvox.io import parse_rspecifier, read_matrices


def read_vectors(rspecifier):
    """``(keys, matrix)``: the table's keys in table order and its (n, d) float32 vectors."""
    where = parse_rspecifier(rspecifier).path
    keys, rows = [], []
    for key, array in read_matrices(rspecifier):
        vector = _one_vector(array, key, where)
        if rows and vector.shape != rows[0].shape:
            raise InputError(f"'{key}' has dimension {vector.shape[0]}, but '{keys[0]}' has "
                             f"{rows[0].shape[0]}", where)
        keys.append(key)
        rows.append(vector)
    if not rows:
        raise InputError("no vectors in the table", where)
    return keys, np.stack(rows)


def _one_vector(array, key, where):
    array = np.asarray(array)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1 or array.shape[0] == 0:
        raise InputError(f"'{key}' is a {'x'.join(map(str, array.shape))} matrix; expected one "
                         "non-empty vector per utterance (an i-vector)", where)
    vector = array.astype(np.float32)
    if not np.isfinite(vector).all():
        raise InputError(f"'{key}' holds NaN or infinity", where)
    if not vector.any():
        raise InputError(f"'{key}' is all zeros: its cosine similarity is undefined", where)
    return vector
