"""The feature frames of a table's utterances, each with its class from a ``utt2label``.

What the frame-level baselines (class GMMs, linear SVM) train on. The features
are checked on the way in by :class:`metricvox.gmm.frames.FeatureFrames` (a matrix,
one dimension throughout, finite values). Utterances of the table without a label
are skipped (the table may hold more than the training set) and labelled
utterances without features are counted, Kaldi style; matching nothing at all is
an error. :func:`utterances_to_score` reads the test side the same way.
"""

import logging

from metricvox.errors import InputError
from metricvox.gmm.frames import checked_frames
from metricvox.io import read_matrices

log = logging.getLogger(__name__)


def labelled_utterances(frames, labels, only_class=None, report_counts=True):
    """Yield ``(utt, class, frames)`` for the utterances of ``frames`` that ``labels`` names.

    ``frames`` is a :class:`FeatureFrames` (which can be read again, even from
    stdin), ``labels`` a :class:`metricvox.data.utt_labels.UttLabels`; with
    ``only_class`` only that class's utterances are yielded (the others are still read).
    ``report_counts`` logs the unmatched utterances (once is enough for several passes).
    """
    seen = unlabelled = 0
    for utt, matrix in frames:
        label = labels.labels.get(utt)
        if label is None:
            unlabelled += 1
            continue
        seen += 1
        if only_class is None or label == only_class:
            yield utt, label, matrix
    if seen == 0:
        raise InputError(f"none of the {unlabelled} utterance(s) with features is in "
                         f"{labels.path}", frames.rspecifier)
    if not report_counts:
        return
    missing = len(labels.labels) - seen
    if missing:
        log.warning("%d of %d labelled utterances have no features in %s", missing,
                    len(labels.labels), frames.rspecifier)
    if unlabelled:
        log.info("%d utterance(s) with features but no label were left out", unlabelled)


def utterances_to_score(rspecifier, dim=None, expected=None, keep=None):
    """Yield ``(utt, frames)`` of every utterance of ``rspecifier`` a classifier is to score.

    Frames are checked as for training, against the model's dimension ``dim``
    (``expected`` describes it in errors); an utterance with no frames cannot be
    scored and is an error. ``keep`` (a set of utterances, or None for all) leaves
    the others out; the kept ones missing from the table are counted.
    """
    found = 0
    for utt, matrix in read_matrices(rspecifier):
        if keep is not None and utt not in keep:
            continue
        frames = checked_frames(matrix, utt, rspecifier, dim, expected)
        if frames.shape[0] == 0:
            raise InputError(f"utterance '{utt}' has no frames to score", rspecifier)
        found += 1
        yield utt, frames
    if found == 0:
        raise InputError("no utterances to score" + ("" if keep is None else
                         f" (none of the {len(keep)} asked for)"), rspecifier)
    if keep is not None and found < len(keep):
        log.warning("%d of %d utterances to score have no features in %s", len(keep) - found,
                    len(keep), rspecifier)
