"""The MFCC + GMM baseline of the acoustic-source paper: one GMM per class.

Each class's GMM (32 diagonal components in the paper) is trained by maximum
likelihood EM on the frames of that class's training files, with the UBM trainer
of :mod:`metricvox.gmm.ubm_training` (initialisation, splitting up to the
mixture size, then EM over all the frames; ``--nj`` jobs). One class's frames
are held in memory while it trains, so the table is read once per class. A test
file's score for a class is the average log-likelihood of its frames under that
class's GMM; the prediction (maximum likelihood) is the class scoring highest.

A model directory holds ``classes`` (lines ``class gmm.K.npz``, sorted) and one
:class:`metricvox.gmm.model.Gmm` file per class, named by number so that any
class name is safe; ``classes`` is written last, so a directory without it is
not a model.
"""

import logging
import os

import numpy as np

from metricvox.data.tables import read_table, write_table
from metricvox.errors import InputError
from metricvox.eval.labelled_frames import labelled_utterances
from metricvox.gmm.model import Gmm
from metricvox.gmm.ubm_training import train_ubm

log = logging.getLogger(__name__)

INDEX = "classes"


class _ClassFrames:
    """One class's (utt, frames) in memory, shaped like the FeatureFrames train_ubm reads."""

    def __init__(self, utterances, source):
        self.utterances = utterances
        self.rspecifier = source.rspecifier
        self.subsample = source.subsample

    def __iter__(self):
        return iter(self.utterances)


def train_class_gmms(frames, labels, options, jobs, seed=0, device="cpu"):
    """{class: Gmm}, one per class of ``labels`` (UttLabels), trained on its utterances of
    ``frames`` (a FeatureFrames) with the UbmOptions ``options`` and StatsJobs ``jobs``."""
    options.check()
    models = {}
    for index, name in enumerate(labels.classes):
        utterances = [(utt, matrix) for utt, _label, matrix in
                      labelled_utterances(frames, labels, only_class=name,
                                          report_counts=index == 0)]
        num_frames = sum(matrix.shape[0] for _utt, matrix in utterances)
        if num_frames < options.num_components:
            first = labels.utts_of(name)[0]
            raise labels.error(first, f"class '{name}' has {num_frames} frames with features "
                                      f"(in {len(utterances)} utterances), fewer than the "
                                      f"{options.num_components} components of its GMM")
        log.info("class '%s': %d utterances, %d frames", name, len(utterances), num_frames)
        models[name], _history = train_ubm(_ClassFrames(utterances, frames), options, jobs,
                                           seed=seed, device=device)
    return models


def save_class_gmms(models, directory):
    """Write ``{class: Gmm}`` to ``directory`` (created if needed)."""
    os.makedirs(directory, exist_ok=True)
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
    utts, rows = [], []
    for utt, frames in utterances:
        utts.append(utt)
        rows.append([float(np.mean(models[name].log_likelihood(frames))) for name in classes])
    return utts, classes, np.array(rows).reshape(len(utts), len(classes))
