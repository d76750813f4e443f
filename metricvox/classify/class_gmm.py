"""The MFCC + GMM baseline of the acoustic-source paper: one GMM per class, its files, its scores.

The GMMs are trained by :mod:`metricvox.classify.class_gmm_training`. A test file's
score for a class is the average log-likelihood of its frames under that class's
GMM; the prediction (maximum likelihood) is the class scoring highest.

A model directory holds ``classes`` (lines ``class gmm.K.npz``, sorted) and one
:class:`metricvox.gmm.model.Gmm` file per class, named by number so that any
class name is safe; ``classes`` is written last, so a directory without it is
not a model.
"""

import os

import numpy as np
from scipy.special import logsumexp

from metricvox.data.tables import read_table, write_table
from metricvox.errors import InputError
from metricvox.gmm.model import Gmm
from metricvox.io.atomic import output_dir

INDEX = "classes"


def save_class_gmms(models, directory):
    """Write ``{class: Gmm}`` to ``directory`` (created if needed; removed again if the
    writing fails). The index, which readers look for, is written last."""
    with output_dir(directory):
        rows = []
        for number, name in enumerate(sorted(models), start=1):
            file_name = f"gmm.{number}.npz"
            models[name].save(os.path.join(directory, file_name))
            rows.append((name, file_name))
        write_table(os.path.join(directory, INDEX), rows)


def load_class_gmms(directory):
    """``{class: Gmm}`` from a directory :func:`save_class_gmms` wrote."""
    index = os.path.join(directory, INDEX)
    if not os.path.isfile(index):
        raise InputError(f"not a class GMM directory (no '{INDEX}' file)", directory)
    models = {}
    for row in read_table(index, min_fields=2, max_fields=2):
        models[row.key] = Gmm.load(os.path.join(directory, row.rest))
    if not models:
        raise InputError("no classes listed", index)
    dims = {model.dim for model in models.values()}
    if len(dims) != 1:
        raise InputError(f"the class GMMs differ in dimension ({sorted(dims)})", index)
    return models


def gmm_class_scores(models, utterances):
    """(utts, classes, (N, C) scores): each utterance's average frame log-likelihood under
    each class's GMM. ``utterances`` yields (utt, frames) of the models' dimension."""
    classes = sorted(models)
    # Every class's components side by side in one model: one matrix product per file
    # instead of one per class (several times faster when BLAS threads compete for cores).
    kind = "full" if any(models[name].kind == "full" for name in classes) else "diag"
    parts = [models[name] if kind == "diag" else models[name].to_full() for name in classes]
    stacked = Gmm(np.concatenate([m.weights for m in parts]),
                  np.concatenate([m.means for m in parts]),
                  np.concatenate([m.covars for m in parts]))
    bounds = np.cumsum([m.num_components for m in parts])[:-1]
    utts, rows = [], []
    for utt, frames in utterances:
        joint = stacked.component_log_likelihoods(frames)
        utts.append(utt)
        rows.append([float(np.mean(logsumexp(block, axis=1)))
                     for block in np.split(joint, bounds, axis=1)])
    return utts, classes, np.array(rows).reshape(len(utts), len(classes))
