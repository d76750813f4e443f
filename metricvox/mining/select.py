"""Algorithm 1 of the unsupervised Siamese paper (Khan & Hernando): clients and impostors.

Two databases of i-vectors, A and B, are assumed to share no speaker. No
speaker label is read. For every i-vector a_i of A (an *anchor*):

- clients: the k i-vectors of A most cosine-similar to a_i, of which those
  scoring at least the client threshold (paper: 0.2) are kept;
- impostors: the k i-vectors of B most cosine-similar to a_i, of which those
  scoring at least the impostor threshold (paper: 0.0) are kept; these are the
  hardest impostors, since B cannot hold a_i's speaker.

The paper's k is 10 (its best of 2, 5, 10). Only A supplies anchors; B only
impostors. Every anchor of A is used, so each appears once per kept client and
once per kept impostor, and an utterance may be a client of many anchors.

Pairs (double-branch network): [anchor, client] labelled 1 and
[anchor, impostor] labelled 0 -- up to 2nk pairs for n anchors, as the paper
counts. Triplets (triple-branch network): [anchor, client, impostor].

Where the paper is silent or loose, these are the choices made here:

- Cosine of a_i with itself is not a candidate. Algorithm 1 loops t over all of A,
  self included, which would make every anchor its own best client (a trivial
  pair); the text speaks of selecting similar i-vectors, so self is excluded.
  Another utterance of A with an identical vector is still a candidate.
- "Above the threshold": the text says scores *higher than* the threshold,
  Algorithm 1 writes ``score >= threshold``; the algorithm's ``>=`` is used.
- Top-k first, threshold second, as in Algorithm 1 (the same set as the at most
  k best among those passing the threshold). Fewer than k survive for some anchors.
- Triplets pair the j-th client of an anchor with its j-th impostor (Algorithm 1
  indexes both as C_ij and I_ij, 1 <= j <= k; the paper counts 2nk samples, not
  k^2 combinations per anchor). When thresholds leave an anchor c clients and m
  impostors, it gets min(c, m) triplets; the unpaired rest appear in the pair list only.
- Mutual neighbours give both (a, b) and (b, a) client pairs: each anchor is
  selected for independently, as in the algorithm, and nothing is de-duplicated.
- Ties in similarity go to the earlier vector of the table (see ``topk``).
- A and B may differ in size (the paper splits VoxCeleb2 into equal halves).
"""

from dataclasses import dataclass

import numpy as np

from metricvox.errors import InputError
from metricvox.mining.topk import DEFAULT_BLOCK_SIZE, nearest_by_cosine

PAPER_K = 10
PAPER_CLIENT_THRESHOLD = 0.2
PAPER_IMPOSTOR_THRESHOLD = 0.0


@dataclass
class Selection:
    """The k nearest clients and impostors of every anchor, and the thresholds applied to them.

    ``client_scores``/``client_indices`` (n_A, k') hold each anchor's k nearest
    vectors of A (indices into A), ``impostor_scores``/``impostor_indices`` its k
    nearest of B (indices into B), best first. Thresholding keeps a prefix of each
    row, whose length is ``clients_per_anchor`` / ``impostors_per_anchor``.
    """

    client_scores: np.ndarray
    client_indices: np.ndarray
    impostor_scores: np.ndarray
    impostor_indices: np.ndarray
    client_threshold: float
    impostor_threshold: float

    @property
    def clients_per_anchor(self):
        return (self.client_scores >= self.client_threshold).sum(1)

    @property
    def impostors_per_anchor(self):
        return (self.impostor_scores >= self.impostor_threshold).sum(1)

    @property
    def triplets_per_anchor(self):
        return np.minimum(self.clients_per_anchor, self.impostors_per_anchor)

    def client_pairs(self):
        """``[(anchor index, client index into A)]``, anchors in order, clients best first."""
        return _kept(self.client_indices, self.clients_per_anchor)

    def impostor_pairs(self):
        """``[(anchor index, impostor index into B)]``, anchors in order, impostors best first."""
        return _kept(self.impostor_indices, self.impostors_per_anchor)

    def triplets(self):
        """``[(anchor, client, impostor)]`` indices: the j-th client with the j-th impostor."""
        return [(anchor, int(self.client_indices[anchor, j]), int(self.impostor_indices[anchor, j]))
                for anchor, count in enumerate(self.triplets_per_anchor) for j in range(count)]


def _kept(indices, counts):
    return [(anchor, int(indices[anchor, j])) for anchor, count in enumerate(counts)
            for j in range(count)]


def select_clients_and_impostors(a, b, *, k=PAPER_K, client_threshold=PAPER_CLIENT_THRESHOLD,
                                 impostor_threshold=PAPER_IMPOSTOR_THRESHOLD,
                                 block_size=DEFAULT_BLOCK_SIZE, device="cpu"):
    """Algorithm 1 on the i-vectors ``a`` (n_A, d) and ``b`` (n_B, d): a :class:`Selection`."""
    _require_same_dimension(a, b)
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    for name, value in (("--client-threshold", client_threshold), ("--impostor-threshold", impostor_threshold)):
        if not -1.0 <= value <= 1.0:   # a cosine; NaN fails the comparison too
            raise InputError(f"{name} is a cosine similarity, between -1 and 1: got {value}")
    client_scores, client_indices = nearest_by_cosine(a, a, k, block_size=block_size,
                                                      device=device, exclude_self=True)
    impostor_scores, impostor_indices = nearest_by_cosine(a, b, k, block_size=block_size,
                                                          device=device)
    return Selection(client_scores, client_indices, impostor_scores, impostor_indices,
                     client_threshold, impostor_threshold)


def _require_same_dimension(a, b, b_where=None):
    if a.shape[1] != b.shape[1]:
        raise InputError(f"the vectors of A have dimension {a.shape[1]} but those of B "
                         f"{b.shape[1]}", b_where)


def require_valid_databases(a_keys, a, b_keys, b, b_where=None):
    """An InputError (naming B's table ``b_where``) for vectors of different dimensions or a key
    found in both A and B: they must be different utterances."""
    _require_same_dimension(a, b, b_where)
    shared = set(a_keys).intersection(b_keys)
    if shared:
        first = next(key for key in b_keys if key in shared)
        raise InputError(f"key '{first}' is in both A and B ({len(shared)} shared keys); the two "
                         "databases must hold different utterances of different speakers", b_where)


def keyed_lists(selection, a_keys, b_keys):
    """The pair list ``[(anchor, other, is_client)]`` and triplet list ``[(anchor, client, impostor)]``
    of a selection, in utterance keys."""
    pairs = [(a_keys[i], a_keys[j], True) for i, j in selection.client_pairs()]
    pairs += [(a_keys[i], b_keys[j], False) for i, j in selection.impostor_pairs()]
    triplets = [(a_keys[i], a_keys[c], b_keys[m]) for i, c, m in selection.triplets()]
    return pairs, triplets


def require_pairs(selection):
    """An InputError saying what was seen when the thresholds leave no pair or no triplet."""
    for what, scores, threshold, kept in (
            ("client", selection.client_scores, selection.client_threshold,
             selection.clients_per_anchor.sum()),
            ("impostor", selection.impostor_scores, selection.impostor_threshold,
             selection.impostors_per_anchor.sum())):
        if kept == 0:
            best = f"the best similarity seen is {scores.max():.4f}" if scores.size else \
                "there is no candidate at all (A needs at least 2 vectors)"
            raise InputError(f"no {what} pairs: none of the {scores.size} candidate {what}s "
                             f"({scores.shape[1]} nearest of each of {scores.shape[0]} anchors) "
                             f"has cosine >= {threshold:g}; {best}")
    if selection.triplets_per_anchor.sum() == 0:
        raise InputError(f"no triplets: {int(selection.clients_per_anchor.sum())} clients and "
                         f"{int(selection.impostors_per_anchor.sum())} impostors were kept, but "
                         "no anchor has both")
