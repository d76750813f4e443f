"""The acoustic-source paper's embedding classifier: nearest class centroid by average distance.

Embeddings come one per non-overlapping segment of a file, keyed
``UTT-START-END`` (centiseconds, 7 digits or more) as ``metricvox-extract
--segment-seconds`` writes them; a key without that suffix is a whole file's
single embedding. A class centroid is the mean of the embeddings of every
training segment of the class. A test file's score for a class is minus the
average distance of its segments to that centroid, so the predicted class (the
highest score) is the one with the smallest average distance: a class nearer
on average wins even if one segment lies nearer another class.

Distances: ``cosine`` (1 - cosine similarity, the default) or ``euclidean``.
"""

import logging
import re
from collections import OrderedDict

import numpy as np

from metricvox.backend.similarity import as_crops, pairwise_scores
from metricvox.data.tables import c_order
from metricvox.errors import InputError

log = logging.getLogger(__name__)

DISTANCES = ("cosine", "euclidean")

_SEGMENT_KEY = re.compile(r"^(.+)-(\d{7,})-(\d{7,})$")


def utterance_of(key):
    """The utterance a segment key ``UTT-START-END`` belongs to (``key`` itself otherwise)."""
    match = _SEGMENT_KEY.match(key)
    return match.group(1) if match else key


def segments_by_utterance(embeddings, where=None, keep=None):
    """``{utt: (S, D) segment embeddings}`` from ``(key, vector)`` pairs, in first-seen order.

    ``keep`` (a set, or None for all) names the utterances wanted. Every vector
    must be finite and of one dimension.
    """
    grouped = OrderedDict()
    dim = None
    for key, vector in embeddings:
        utt = utterance_of(key)
        if keep is not None and utt not in keep:
            continue
        try:
            rows = as_crops(vector, key)
        except InputError as error:
            raise InputError(error.message, where) from None
        if dim is None:
            dim = rows.shape[1]
        elif rows.shape[1] != dim:
            raise InputError(f"embedding '{key}' has dimension {rows.shape[1]}; the earlier "
                             f"ones have {dim}", where)
        grouped.setdefault(utt, []).append(rows)
    return OrderedDict((utt, np.concatenate(parts)) for utt, parts in grouped.items())


def class_centroids(segments, labels, where=None):
    """``(classes, (C, D) centroids)``: per class of ``labels`` (UttLabels), the mean of the
    segment embeddings of its utterances among ``segments`` ({utt: (S, D)})."""
    by_class = {}
    for utt, rows in segments.items():
        label = labels.labels.get(utt)
        if label is not None:
            by_class.setdefault(label, []).append(rows)
    if not by_class:
        raise InputError(f"no training embedding belongs to an utterance of {labels.path}", where)
    unused = sum(1 for utt in segments if utt not in labels.labels)
    if unused:
        log.info("%d utterance(s) with embeddings but no label were left out", unused)
    missing = sum(1 for utt in labels.labels if utt not in segments)
    if missing:
        log.warning("%d of %d labelled utterances have no training embedding", missing,
                    len(labels.labels))
    empty = [name for name in labels.classes if name not in by_class]
    if empty:
        raise labels.error(labels.utts_of(empty[0])[0],
                           f"class '{empty[0]}' has no training embedding "
                           f"({len(empty)} class(es) without any)")
    classes = sorted(by_class, key=c_order)
    return classes, np.stack([np.concatenate(by_class[name]).mean(axis=0) for name in classes])


def segment_distances(rows, centroids, distance="cosine"):
    """(S, C) distance of every segment to every centroid."""
    if distance == "cosine":
        return 1.0 - pairwise_scores(rows, centroids, "cosine")
    if distance == "euclidean":
        return -pairwise_scores(rows, centroids, "euclidean")
    raise InputError(f"unknown distance {distance!r}; choose from {', '.join(DISTANCES)}")


def centroid_class_scores(centroids, segments, distance="cosine", where=None):
    """(utts, (N, C) scores): minus each utterance's average segment distance to each centroid."""
    if not segments:
        raise InputError("no test embeddings to score", where)
    utts = list(segments)
    scores = np.empty((len(utts), centroids.shape[0]))
    for i, utt in enumerate(utts):
        rows = segments[utt]
        if rows.shape[1] != centroids.shape[1]:
            raise InputError(f"test embeddings of '{utt}' have dimension {rows.shape[1]}; the "
                             f"training ones have {centroids.shape[1]}", where)
        scores[i] = -segment_distances(rows, centroids, distance).mean(axis=0)
    return utts, scores
