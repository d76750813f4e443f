"""Feature transforms applied to every utterance of a Kaldi table (what the tools run).

Every input matrix is checked for NaN/inf (an InputError naming the utterance
and the table); outputs go through MatrixWriter, which writes atomically.
"""

import logging

from metricvox.errors import InputError
from metricvox.features.checks import check_finite
from metricvox.features.cmvn import CmvnStats, apply_cmvn, sliding_cmvn
from metricvox.features.deltas import add_deltas
from metricvox.features.vad import compute_vad, select_voiced_frames
from metricvox.io import MatrixWriter, parse_rspecifier, read_matrices, read_matrix_dict
from metricvox.io.pipes import is_pipe
from metricvox.progress import progress

log = logging.getLogger(__name__)


def iter_checked_matrices(rspecifier):
    """(key, matrix) of a feature table; NaN/inf or a non-matrix is an InputError."""
    where = parse_rspecifier(rspecifier).path
    for key, matrix in read_matrices(rspecifier):
        if matrix.ndim != 2:
            raise InputError(f"utterance {key}: expected a feature matrix, got shape "
                             f"{matrix.shape}", where)
        yield key, check_finite(matrix, key, what="input features", path=where)


def map_table(rspecifier, wspecifier, transform, desc, matrices=None):
    """Write transform(key, matrix) for every matrix of the table; returns the count.

    ``matrices``: the table's (key, matrix) pairs if already read, else it is
    read from ``rspecifier``. ``transform`` may return None to leave an
    utterance out. An output with no utterance at all is an InputError (and
    nothing is written).
    """
    if matrices is None:
        matrices = iter_checked_matrices(rspecifier)
    written = 0
    with MatrixWriter(wspecifier) as writer:
        for key, matrix in progress(matrices, desc=desc, unit="utt"):
            result = transform(key, matrix)
            if result is not None:
                writer.write(key, result)
                written += 1
        if written == 0:
            raise InputError("no utterance to write", parse_rspecifier(rspecifier).path)
    return written


def add_deltas_table(rspecifier, wspecifier, order=2, window=2):
    return map_table(rspecifier, wspecifier, lambda key, m: add_deltas(m, order, window),
                     "add-deltas")


def compute_vad_table(rspecifier, wspecifier, **vad_options):
    """Energy VAD of every utterance (see vad.compute_vad for the options)."""
    def vad(key, matrix):
        decisions = compute_vad(matrix, **vad_options)
        log.debug("%s: %d of %d frames voiced", key, int(decisions.sum()), len(decisions))
        return decisions
    return map_table(rspecifier, wspecifier, vad, "compute-vad")


def select_voiced_frames_table(feats_rspecifier, vad_rspecifier, wspecifier):
    """Keep the voiced frames of each utterance; utterances without VAD are counted and skipped."""
    decisions = read_matrix_dict(vad_rspecifier)
    vad_path = parse_rspecifier(vad_rspecifier).path
    missing, unvoiced = [], []

    def select(key, matrix):
        if key not in decisions:
            missing.append(key)
            return None
        vad = decisions[key].reshape(-1)
        if len(vad) != matrix.shape[0]:
            raise InputError(f"utterance {key}: {len(vad)} VAD decisions for "
                             f"{matrix.shape[0]} feature frames", vad_path)
        voiced = select_voiced_frames(matrix, vad)
        if voiced.shape[0] == 0:
            unvoiced.append(key)
            return None
        return voiced

    try:
        return map_table(feats_rspecifier, wspecifier, select, "select-voiced-frames")
    finally:
        if missing:
            log.warning("%d utterances have no VAD in %s and were skipped (first: %s)",
                        len(missing), vad_path, missing[0])
        if unvoiced:
            log.warning("%d utterances have no voiced frame and were skipped (first: %s)",
                        len(unvoiced), unvoiced[0])


def _rereadable(rspecifier):
    """The table, or its contents in memory if reading it twice is impossible (stdin, pipe)."""
    path = parse_rspecifier(rspecifier).path
    if path == "-" or is_pipe(path):
        return list(iter_checked_matrices(rspecifier))
    return None


def global_cmvn_stats(matrices):
    """Accumulated CmvnStats of (key, matrix) pairs; InputError on a dimension change."""
    stats = None
    for key, matrix in matrices:
        if stats is None:
            stats = CmvnStats.empty(matrix.shape[1])
        elif matrix.shape[1] != stats.sum.shape[0]:
            raise InputError(f"utterance {key}: dimension {matrix.shape[1]} differs from "
                             f"{stats.sum.shape[0]} of the utterances before it")
        stats.add(CmvnStats.of(matrix))
    return stats


def apply_cmvn_table(rspecifier, wspecifier, mode="utt", norm_vars=False, cmn_window=600,
                     min_cmn_window=100, center=False):
    """CMVN of every utterance: "utt" (its own stats), "global" (stats of the whole
    table, read in a first pass) or "sliding" (Kaldi apply-cmvn-sliding)."""
    if mode == "utt":
        def transform(key, matrix):
            return apply_cmvn(matrix, CmvnStats.of(matrix), norm_vars)
    elif mode == "global":
        buffered = _rereadable(rspecifier)
        stats = global_cmvn_stats(buffered if buffered is not None
                                  else iter_checked_matrices(rspecifier))
        if stats is None:
            raise InputError("no utterance to take statistics from",
                             parse_rspecifier(rspecifier).path)
        log.info("global CMVN statistics over %d frames", int(stats.count))
        return map_table(rspecifier, wspecifier,
                         lambda key, matrix: apply_cmvn(matrix, stats, norm_vars),
                         "apply-cmvn (global)", matrices=buffered)
    elif mode == "sliding":
        if cmn_window < 1 or min_cmn_window < 0:
            raise InputError(f"need --cmn-window >= 1 and --min-cmn-window >= 0, got "
                             f"{cmn_window} and {min_cmn_window}")

        def transform(key, matrix):
            return sliding_cmvn(matrix, cmn_window, min_cmn_window, center, norm_vars)
    else:
        raise InputError(f"unknown CMVN mode {mode!r}: expected utt, global or sliding")
    return map_table(rspecifier, wspecifier, transform, f"apply-cmvn ({mode})")

