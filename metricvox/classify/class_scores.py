"""Class score files: how every classifier of a class task hands its output to the report.

Format (text, one line per (utterance, class) pair)::

    utt class score

``score`` is a float, higher meaning the utterance is more likely of that class,
whatever the classifier (GMM: average frame log-likelihood; SVM: mean decision
value; centroid: minus the average segment distance). Every utterance has one
line for every class, the same class set for all. Writers sort the lines by
utterance, then class (C order); readers accept any order. The predicted class
of an utterance is the one with the highest score; a tie goes to the class first
in C order.

Bad input is an :class:`InputError` at ``file:line``: a line without three
fields, a score that is not a finite number, a pair listed twice, an utterance
lacking a class, an empty file.
"""

import math
from dataclasses import dataclass

import numpy as np

from metricvox.data.tables import c_order, read_three_columns
from metricvox.errors import InputError
from metricvox.io import atomic_write


@dataclass
class ClassScores:
    """Scores of ``utts`` (N) against ``classes`` (C, in C order): an (N, C) matrix.

    ``utt_lines`` and ``class_lines`` give the first line of each utterance and
    class in the file read (empty when built in memory), for error messages.
    """

    utts: list
    classes: list
    scores: np.ndarray
    path: str = None
    utt_lines: dict = None
    class_lines: dict = None

    def predictions(self):
        """(N,) index into ``classes`` of each utterance's best-scoring class."""
        return np.argmax(self.scores, axis=1)


def write_class_scores(path, utts, classes, scores):
    """Write an (N, C) score matrix as sorted ``utt class score`` lines ("-" = stdout)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(utts), len(classes)):
        raise ValueError(f"scores of shape {scores.shape} for {len(utts)} utterances and "
                         f"{len(classes)} classes")
    utt_order = sorted(range(len(utts)), key=lambda i: c_order(utts[i]))
    class_order = sorted(range(len(classes)), key=lambda j: c_order(classes[j]))
    with atomic_write(path) as out:
        for i in utt_order:
            for j in class_order:
                out.write(f"{utts[i]} {classes[j]} {scores[i, j]:.6g}\n")


def _parse_class_score(utt, name, value):
    try:
        score = float(value)
    except ValueError:
        score = None
    if score is None or not math.isfinite(score):
        raise InputError(f"score {value!r} of '{utt} {name}' is not a finite number")
    return utt, name, score


def read_class_scores(path):
    """A :class:`ClassScores` from a class score file ("-" = stdin)."""
    by_utt, utt_lines, class_lines = {}, {}, {}
    for line_no, (utt, name, score) in read_three_columns(path, "'utt class score'",
                                                           _parse_class_score):
        row = by_utt.setdefault(utt, {})
        if name in row:
            raise InputError(f"'{utt} {name}' is scored twice", path, line_no)
        row[name] = score
        utt_lines.setdefault(utt, line_no)
        class_lines.setdefault(name, line_no)
    if not by_utt:
        raise InputError("no scores in file (expected 'utt class score' lines)", path)
    classes = sorted(class_lines, key=c_order)
    utts = sorted(by_utt, key=c_order)
    for utt in utts:
        missing = [name for name in classes if name not in by_utt[utt]]
        if missing:
            raise InputError(f"utterance '{utt}' has no score for class '{missing[0]}' "
                             f"({len(missing)} of {len(classes)} classes missing)",
                             path, utt_lines[utt])
    scores = np.array([[by_utt[utt][name] for name in classes] for utt in utts])
    return ClassScores(utts, classes, scores, str(path), utt_lines, class_lines)
