"""Cosine scoring of trials between two sets of embeddings."""

import logging

import numpy as np

from metricvox.errors import InputError

log = logging.getLogger(__name__)


def _unit_rows(vectors):
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.finfo(vectors.dtype).tiny)


def cosine_score_trials(enroll, test, trials, *, where=None):
    """Scores ``[(enroll_id, test_id, cosine)]`` for every trial whose two embeddings exist.

    ``enroll`` and ``test`` map ids to 1-D vectors of one dimension. Trials with a
    missing side are skipped and counted in the log, Kaldi style; if none can be
    scored it is an error. ``where`` names the trial list in errors.
    """
    scorable = [t for t in trials if t.enroll in enroll and t.test in test]
    skipped = len(trials) - len(scorable)
    if not scorable:
        first = trials[0] if trials else None
        detail = f" (first: '{first.enroll} {first.test}')" if first else ""
        raise InputError(f"none of the {len(trials)} trials has both embeddings{detail}", where)
    if skipped:
        first = next(t for t in trials if t.enroll not in enroll or t.test not in test)
        log.warning("%d of %d trials lack an embedding and were not scored (first: '%s %s')",
                    skipped, len(trials), first.enroll, first.test)
    enroll_ids = sorted({t.enroll for t in scorable})
    test_ids = sorted({t.test for t in scorable})
    enroll_matrix = _stack(enroll, enroll_ids)
    test_matrix = _stack(test, test_ids)
    if enroll_matrix.shape[1] != test_matrix.shape[1]:
        raise InputError(f"enrollment embeddings have dimension {enroll_matrix.shape[1]} but test "
                         f"embeddings {test_matrix.shape[1]}")
    enroll_index = {k: i for i, k in enumerate(enroll_ids)}
    test_index = {k: i for i, k in enumerate(test_ids)}
    rows = np.array([enroll_index[t.enroll] for t in scorable])
    cols = np.array([test_index[t.test] for t in scorable])
    # Row-wise dot products of unit vectors, trial by trial (no full score matrix needed).
    scores = np.einsum("ij,ij->i", _unit_rows(enroll_matrix)[rows], _unit_rows(test_matrix)[cols])
    return [(t.enroll, t.test, float(s)) for t, s in zip(scorable, scores)]


def _stack(vectors, ids):
    dims = {np.asarray(vectors[k]).ravel().shape[0] for k in ids}
    if len(dims) != 1:
        raise InputError(f"embeddings differ in dimension: {sorted(dims)}")
    return np.stack([np.asarray(vectors[k], dtype=np.float64).ravel() for k in ids])
