"""The MFCC + linear SVM baseline of the acoustic-source paper: its scores and its file.

Trained by :mod:`metricvox.classify.class_svm_training`: scikit-learn's
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

The model file is a ``.npz`` of plain arrays, read with ``allow_pickle=False`` so that
loading it runs no code: the format tag, the class names, the scaler's mean and scale and
the hyperplanes' weights and offsets (one row per class, or one for two classes, as
liblinear fits them). Written atomically.
"""

import zipfile

import numpy as np

from metricvox.errors import InputError
from metricvox.io import atomic_write

FORMAT = "metricvox-class-svm-2"


class LinearClassSvm:
    """A trained scaler + linear SVM as arrays: the decision values of standardised frames."""

    def __init__(self, classes, mean, scale, weights, offsets):
        self.classes_ = np.asarray(classes)
        self.mean = mean
        self.scale = scale
        self.weights = weights
        self.offsets = offsets
        self.n_features_in_ = mean.shape[0]

    @classmethod
    def from_pipeline(cls, pipeline):
        """The arrays of scikit-learn's fitted ``StandardScaler`` + ``LinearSVC`` pipeline."""
        scaler, svm = pipeline[0], pipeline[-1]
        return cls([str(c) for c in svm.classes_], scaler.mean_, scaler.scale_, svm.coef_,
                   svm.intercept_)

    def decision_function(self, frames):
        """As the pipeline's: (T, C), or (T,) for two classes (positive: the second)."""
        values = ((frames - self.mean) / self.scale) @ self.weights.T + self.offsets
        return values[:, 0] if self.weights.shape[0] == 1 else values


def class_decision_values(svm, frames):
    """(T, C) decision values of each frame for each of ``svm.classes_``."""
    values = svm.decision_function(frames)
    if values.ndim == 1:
        values = np.column_stack([-values, values])
    return values


def svm_class_scores(svm, utterances):
    """(utts, classes, (N, C) scores): each utterance's mean frame decision value per class
    (``svm``: a :class:`LinearClassSvm` or a fitted scikit-learn pipeline)."""
    classes = [str(name) for name in svm.classes_]
    utts, rows = [], []
    for utt, frames in utterances:
        utts.append(utt)
        rows.append(class_decision_values(svm, frames).mean(axis=0))
    return utts, classes, np.array(rows).reshape(len(utts), len(classes))


def save_class_svm(pipeline, path):
    model = LinearClassSvm.from_pipeline(pipeline)
    with atomic_write(path, "wb") as out:
        np.savez(out, format=np.array(FORMAT), classes=model.classes_.astype(str),
                 mean=model.mean, scale=model.scale, weights=model.weights,
                 offsets=model.offsets)


_ARRAYS = ("format", "classes", "mean", "scale", "weights", "offsets")


def load_class_svm(path):
    """The :class:`LinearClassSvm` saved by :func:`save_class_svm`; nothing in the file runs."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "format" not in archive.files or str(archive["format"]) != FORMAT:
                raise InputError(f"not a metricvox class SVM model (expected a .npz of format "
                                 f"{FORMAT}; models of earlier versions were pickles: retrain)",
                                 path)
            missing = [name for name in _ARRAYS if name not in archive.files]
            if missing:
                raise InputError(f"damaged class SVM model: no array {missing[0]!r}", path)
            classes, mean, scale, weights, offsets = (archive[name] for name in _ARRAYS[1:])
    except FileNotFoundError:
        raise InputError("no such SVM model file", path) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        # np.load: ValueError for a pickle or an object array, OSError/BadZipFile for garbage
        raise InputError(f"not a metricvox class SVM model (a .npz of plain arrays): "
                         f"{type(error).__name__}: {error}", path) from None
    dim = mean.shape[0] if mean.ndim == 1 else -1
    rows = 1 if len(classes) == 2 else len(classes)
    if (classes.ndim != 1 or len(classes) < 2 or dim < 1 or scale.shape != (dim,)
            or weights.shape != (rows, dim) or offsets.shape != (rows,)):
        raise InputError(f"damaged class SVM model: arrays of inconsistent shapes "
                         f"(classes {classes.shape}, mean {mean.shape}, weights {weights.shape})",
                         path)
    return LinearClassSvm(classes, mean, scale, weights, offsets)
