"""The MFCC + linear SVM baseline of the acoustic-source paper: its scores and its file.

Trained by :mod:`metricvox.eval.class_svm_training`: scikit-learn's
``LinearSVC`` (liblinear) behind a ``StandardScaler``. The paper asks for a
linear kernel, and liblinear solves the linear problem directly in time linear
in the number of frames, where ``SVC(kernel='linear')`` (libsvm)
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

import pickle

import numpy as np

from metricvox.errors import InputError
from metricvox.io import atomic_write

FORMAT = "metricvox-class-svm-1"


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
