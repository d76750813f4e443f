"""Trial lists and score files of speaker (or singer) verification.

Trials come in Kaldi's format, ``enroll test target|nontarget``, or in VoxCeleb's,
``1|0 enroll test`` (``veri_test.txt``); the format is recognised per file from its
first line and must then hold for every line. Scores are ``enroll test score``,
higher meaning more likely the same speaker, whatever the back end.
"""

import math
from collections import namedtuple

from metricvox.data.tables import read_three_columns
from metricvox.errors import InputError
from metricvox.io import atomic_write

Trial = namedtuple("Trial", "enroll test is_target line")

_KALDI_LABELS = {"target": True, "nontarget": False}
_VOXCELEB_LABELS = {"1": True, "0": False}
_TRIAL_LAYOUTS = "'enroll test target|nontarget' or '1|0 enroll test'"


def _parse_trial(first, second, third):
    """(format, enroll, test, is_target) of a trial line's fields, None in neither format."""
    if third in _KALDI_LABELS:
        return "kaldi", first, second, _KALDI_LABELS[third]
    if first in _VOXCELEB_LABELS:
        return "voxceleb", second, third, _VOXCELEB_LABELS[first]
    return None


def read_trials(path):
    """All trials of a file, in file order, as :class:`Trial` tuples."""
    trials = []
    fmt = None
    seen = set()
    for line_no, (this_fmt, enroll, test, is_target) in read_three_columns(path, _TRIAL_LAYOUTS,
                                                                            _parse_trial):
        if fmt is None:
            fmt = this_fmt
        elif this_fmt != fmt:
            raise InputError(f"line is in {this_fmt} trial format but the file began in {fmt} format",
                             path, line_no)
        if (enroll, test) in seen:
            raise InputError(f"trial '{enroll} {test}' is listed twice", path, line_no)
        seen.add((enroll, test))
        trials.append(Trial(enroll, test, is_target, line_no))
    if not trials:
        raise InputError("no trials in file", path)
    return trials


def _parse_score(enroll, test, value):
    try:
        score = float(value)
    except ValueError:
        raise InputError(f"score {value!r} is not a number") from None
    if not math.isfinite(score):
        raise InputError(f"score of '{enroll} {test}' is {value}")
    return enroll, test, score


def read_scores(path):
    """A score file as a dict ``{(enroll, test): score}``; ``path`` may be ``-`` (stdin)."""
    scores = {}
    for line_no, (enroll, test, score) in read_three_columns(path, "'enroll test score'",
                                                              _parse_score):
        if (enroll, test) in scores:
            raise InputError(f"trial '{enroll} {test}' is scored twice", path, line_no)
        scores[(enroll, test)] = score
    return scores


def write_scores(path, scored_trials):
    """Write ``[(enroll, test, score)]`` as a score file (atomically; ``-`` is stdout)."""
    with atomic_write(path, "w") as out:
        for enroll, test, score in scored_trials:
            out.write(f"{enroll} {test} {score:.6f}\n")
