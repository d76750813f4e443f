"""The MFCC + linear SVM baseline of the acoustic-source paper.

scikit-learn's ``LinearSVC`` (liblinear) behind a ``StandardScaler``: the paper
asks for a linear kernel, and liblinear solves the linear problem directly in
time linear in the number of frames, where ``SVC(kernel='linear')`` (libsvm)
builds kernel rows and grows quadratically or worse -- impractical for the
hundreds of thousands of frames of UrbanSound. Several classes are handled one
against the rest. The features are standardised because the 275 MFCC statistics
have very different scales, which a linear SVM's margin is not invariant to.

Training uses at most ``max_frames_per_utt`` frames of each file, drawn at random
(seeded) without replacement, to bound time and memory. A test file's score for
a class is the mean decision value of all its frames for that class (its signed
distance to the class's hyperplane, in units of the weight norm); the prediction
is the highest. With two classes liblinear fits one hyperplane, whose value
scores the second class and its negation the first.

The model is a pickle of ``{"format", "classes", "dim", "pipeline"}``, written
atomically.
"""

import logging
import pickle

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from metricvox.errors import InputError
from metricvox.eval.labelled_frames import labelled_utterances
from metricvox.io import atomic_write

log = logging.getLogger(__name__)

FORMAT = "metricvox-class-svm-1"


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


def class_decision_values(pipeline, frames):
    """(T, C) decision values of each frame for each of ``pipeline.classes_``."""
    values = pipeline.decision_function(frames)
    if values.ndim == 1:
        values = np.column_stack([-values, values])
    return values


def svm_class_scores(pipeline, utterances):
    """(utts, classes, (N, C) scores): each utterance's mean frame decision value per class."""
    classes = [str(name) for name in pipeline.classes_]
    utts, rows = [], []
    for utt, frames in utterances:
        utts.append(utt)
        rows.append(class_decision_values(pipeline, frames).mean(axis=0))
    return utts, classes, np.array(rows).reshape(len(utts), len(classes))


def save_class_svm(pipeline, path):
    model = {"format": FORMAT, "classes": [str(c) for c in pipeline.classes_],
             "dim": int(pipeline.n_features_in_), "pipeline": pipeline}
    with atomic_write(path, "wb") as out:
        pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)


def load_class_svm(path):
    """The pipeline saved by :func:`save_class_svm` (a trusted file: it is a pickle)."""
    try:
        with open(path, "rb") as stream:
            model = pickle.load(stream)
    except FileNotFoundError:
        raise InputError("no such SVM model file", path) from None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise InputError(f"not a metricvox class SVM model ({error})", path) from None
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise InputError(f"not a metricvox class SVM model (expected format {FORMAT})", path)
    return model["pipeline"]
