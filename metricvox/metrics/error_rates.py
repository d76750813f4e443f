"""Miss and false-alarm rates of a verification system at every threshold."""

from collections import namedtuple

import numpy as np

from metricvox.errors import InputError

ErrorRates = namedtuple("ErrorRates", "thresholds p_miss p_fa")


def error_rates(target_scores, nontarget_scores):
    """Operating points of a detector that accepts a trial when ``score >= threshold``.

    The thresholds are the distinct scores in ascending order followed by +inf, so
    tied scores are never split between accept and reject and the points run from
    (p_miss 0, p_fa 1) to (p_miss 1, p_fa 0). ``p_miss`` is non-decreasing and
    ``p_fa`` non-increasing along them.
    """
    targets = np.sort(np.asarray(target_scores, dtype=np.float64).ravel())
    nontargets = np.sort(np.asarray(nontarget_scores, dtype=np.float64).ravel())
    if targets.size == 0 or nontargets.size == 0:
        raise InputError(f"need both target and non-target trials, got {targets.size} target "
                         f"and {nontargets.size} non-target")
    if not (np.isfinite(targets).all() and np.isfinite(nontargets).all()):
        raise InputError("scores contain NaN or inf")
    thresholds = np.append(np.unique(np.concatenate([targets, nontargets])), np.inf)
    misses = np.searchsorted(targets, thresholds, side="left")
    false_alarms = nontargets.size - np.searchsorted(nontargets, thresholds, side="left")
    return ErrorRates(thresholds, misses / targets.size, false_alarms / nontargets.size)
