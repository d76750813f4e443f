"""How alike two sets of embeddings are: the score of one trial.

An utterance is represented by a (K, D) matrix: one embedding (K = 1) or the
embeddings of K crops (the multi-metric paper tests with 10 crops per side and
takes the mean of the 100 distances). The score of two utterances is the mean of
the K_a x K_b pairwise scores. Higher always means more alike: cosine similarity,
or the negated Euclidean distance.
"""

import numpy as np

from metricvox.errors import InputError

METRICS = ("cosine", "euclidean")


def as_crops(embedding, key=None):
    """An embedding (D,) or a crop set (K, D) as a float64 (K, D) matrix, checked finite."""
    array = np.asarray(embedding, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(f"embedding of '{key}' has shape {np.shape(embedding)}; expected a "
                         "vector or a (crops x dims) matrix")
    if not np.isfinite(array).all():
        raise InputError(f"embedding of '{key}' has NaN or infinite values")
    return array


def _row_norms(matrix):
    """Each row's Euclidean norm, at least the smallest normal float (a zero row scores 0)."""
    return np.maximum(np.sqrt(np.einsum("ij,ij->i", matrix, matrix)), np.finfo(np.float64).tiny)


def _unit_rows(matrix):
    return matrix / _row_norms(matrix)[:, None]


def pairwise_scores(a, b, metric="cosine"):
    """(K_a, K_b) scores of every row of ``a`` against every row of ``b``."""
    if metric == "cosine":
        return _unit_rows(a) @ _unit_rows(b).T
    if metric == "euclidean":
        squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return -np.sqrt(np.maximum(squared, 0.0))
    raise InputError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")


def paired_scores(a, b, metric="cosine"):
    """(N,) scores of each row of ``a`` against the same row of ``b`` (both (N, D))."""
    if metric == "cosine":
        return np.einsum("ij,ij->i", a, b) / _row_norms(a) / _row_norms(b)
    if metric == "euclidean":
        difference = a - b
        return -np.sqrt(np.einsum("ij,ij->i", difference, difference))
    raise InputError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")


def crop_set_score(a, b, metric="cosine"):
    """Mean pairwise score of the rows of ``a`` (K_a, D) against those of ``b`` (K_b, D)."""
    return float(np.mean(pairwise_scores(a, b, metric)))


class SimilarityScorer:
    """Cosine or Euclidean scoring behind the interface every back end shares.

    A back end ``prepare``s embeddings once (here: checks only), row by row, so one
    call may take the (K, D) rows of one utterance or those of many stacked, and
    scores prepared rows two ways: ``row_scores(enroll_rows, num_utts, test_rows)``,
    the (E, T) scores of every enrollment row against every test row, and
    ``pair_scores(enroll_rows, num_utts, test_rows)``, the (N,) scores of row i
    against row i. An enrollment row is an average of ``num_utts`` utterances (a
    number, or one per enrollment row), which similarity scoring ignores.
    """

    def __init__(self, metric="cosine"):
        if metric not in METRICS:
            raise InputError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
        self.metric = metric

    def prepare(self, embedding, key=None):
        return as_crops(embedding, key)

    def row_scores(self, enroll_rows, num_utts, test_rows):
        return pairwise_scores(enroll_rows, test_rows, self.metric)

    def pair_scores(self, enroll_rows, num_utts, test_rows):
        return paired_scores(enroll_rows, test_rows, self.metric)
