"""Training the linear SVM of the MFCC + SVM baseline (:mod:`metricvox.classify.class_svm`)."""

import logging

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from metricvox.classify.labelled_frames import labelled_utterances
from metricvox.errors import InputError

log = logging.getLogger(__name__)


def training_frames(frames, labels, max_frames_per_utt, seed=0):
    """(X, y): the frames of the labelled utterances, at most ``max_frames_per_utt`` from each
    (0: all), drawn with a generator seeded by ``seed`` in table order."""
    rng = np.random.default_rng(seed)
    parts, targets = [], []
    for _utt, label, matrix in labelled_utterances(frames, labels):
        if max_frames_per_utt and matrix.shape[0] > max_frames_per_utt:
            chosen = np.sort(rng.choice(matrix.shape[0], max_frames_per_utt, replace=False))
            matrix = matrix[chosen]
        parts.append(matrix)
        targets += [label] * matrix.shape[0]
    return np.concatenate(parts), np.array(targets)


def train_class_svm(features, targets, c=1.0, max_iter=10000, seed=0, where=None):
    """The fitted scaler + LinearSVC pipeline on frames ``features`` of classes ``targets``."""
    classes = np.unique(targets)
    if classes.size < 2:
        raise InputError(f"an SVM needs at least two classes with features, got "
                         f"{classes.size} ({', '.join(map(str, classes))})", where)
    pipeline = make_pipeline(StandardScaler(),
                             LinearSVC(C=c, max_iter=max_iter, random_state=seed))
    log.info("training a linear SVM on %d frames of dimension %d, %d classes",
             features.shape[0], features.shape[1], classes.size)
    pipeline.fit(features, targets)
    return pipeline
