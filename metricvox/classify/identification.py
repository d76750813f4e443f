"""Closed-set identification: which enrolled class is a query closest to?

Each class is a prototype, the centroid of its enrollment embeddings (the singer
paper: the centroid of a singer's segments from 6 songs); each query is the
centroid of its s segments (s = 1, 3 or 5 in the paper). A query is right at
top-k when its true class is among the k best-scoring prototypes. Ties count
against the query: its rank is one plus the number of other classes scoring at
least as high.
"""

from collections import namedtuple

import numpy as np

from metricvox.backend.similarity import as_crops, crop_set_score
from metricvox.errors import InputError

Query = namedtuple("Query", "query_id true_class members line")


def centroid(embeddings, members, where=None):
    """The mean of the named embeddings (crop sets are flattened into it)."""
    missing = [m for m in members if m not in embeddings]
    if missing:
        raise InputError(f"{len(missing)} of {len(members)} utterances have no embedding "
                         f"(first: {missing[0]})", *(where or (None, None)))
    return np.concatenate([as_crops(embeddings[m], m) for m in members]).mean(axis=0)


def true_class_ranks(prototypes, queries, embeddings, metric="cosine", where=None):
    """The rank (1 = best) of every query's true class among all prototypes."""
    classes = sorted(prototypes)
    matrix = np.stack([prototypes[c] for c in classes])
    index = {c: i for i, c in enumerate(classes)}
    ranks = []
    for query in queries:
        if query.true_class not in index:
            raise InputError(f"query '{query.query_id}' is of class '{query.true_class}', "
                             "which has no enrollment", where, query.line)
        vector = centroid(embeddings, query.members, (where, query.line))
        scores = np.array([crop_set_score(row[None, :], vector[None, :], metric) for row in matrix])
        true_score = scores[index[query.true_class]]
        ranks.append(int(np.sum(scores >= true_score)))
    return np.array(ranks)


def top_k_accuracy(ranks, k):
    return float(np.mean(np.asarray(ranks) <= k))
