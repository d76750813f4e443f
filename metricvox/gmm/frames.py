"""Feature frames for GMM work: checked, optionally subsampled, and readable more than once.

Every utterance is checked on the way in (a matrix, of the expected dimension,
with no NaN or infinity), and errors name the table and the utterance. EM reads
its data once per iteration: a table on stdin can only be read once, so its
(subsampled) frames are kept in memory after the first pass; files, scps and
``cmd |`` pipes are simply read again.
"""

import logging

import numpy as np

from metricvox.errors import InputError
from metricvox.features.checks import check_finite
from metricvox.io import parse_rspecifier, read_matrices

log = logging.getLogger(__name__)


def checked_frames(frames, key, where, dim=None, expected=None):
    """Utterance ``key``'s (T, D) float64 frames from table ``where``, or an InputError.

    ``expected`` names the required dimension ``dim`` in the error (default: the GMM's).
    """
    array = np.asarray(frames)
    if array.ndim != 2:
        raise InputError(f"utterance '{key}': expected a (frames x dims) feature matrix, got "
                         f"shape {array.shape}", where)
    if dim is not None and array.shape[1] != dim:
        expected = expected or f"the GMM's dimension {dim}"
        raise InputError(f"utterance '{key}': features of dimension {array.shape[1]} do not "
                         f"match {expected}", where)
    check_finite(array, key, path=where)
    return array.astype(np.float64, copy=False)


class FeatureFrames:
    """The utterances of ``rspecifier`` as ``(key, frames)``, every ``subsample``-th frame kept.

    ``dim`` is the required dimension; without it the first utterance sets it.
    Utterances left with no frames are skipped (and counted); a table with no
    frames at all is an error.
    """

    def __init__(self, rspecifier, subsample=1, dim=None):
        if subsample < 1:
            raise InputError(f"--subsample must be at least 1, got {subsample}")
        self.rspecifier = str(rspecifier)
        self.subsample = subsample
        self.dim = dim
        self._expected = None
        self._from_stdin = parse_rspecifier(self.rspecifier).path == "-"
        self._kept = None
        self._passes = 0

    def __iter__(self):
        if self._kept is not None:
            yield from self._kept
            return
        kept = [] if self._from_stdin else None
        empty = utterances = 0
        for key, matrix in read_matrices(self.rspecifier):
            frames = checked_frames(matrix, key, self.rspecifier, self.dim, self._expected)
            if self.dim is None:
                self.dim = frames.shape[1]
                self._expected = f"dimension {self.dim} of utterance '{key}'"
            frames = frames[::self.subsample]
            if frames.shape[0] == 0:
                empty += 1
                continue
            utterances += 1
            if kept is not None:
                kept.append((key, np.ascontiguousarray(frames)))
            yield key, frames
        if utterances == 0:
            raise InputError("no feature frames in the table" + (
                f" ({empty} utterance(s), all empty)" if empty else ""), self.rspecifier)
        if empty and self._passes == 0:
            log.warning("%d utterance(s) with no frames were skipped", empty)
        self._passes += 1
        self._kept = kept
