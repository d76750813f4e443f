"""Matching a trial list with a score file, Kaldi style."""

import logging

import numpy as np

from metricvox.errors import InputError

log = logging.getLogger(__name__)


def split_scores_by_trials(trials, scores, *, allow_missing=False, trials_path=None):
    """Target and non-target score arrays for ``trials`` (from :func:`read_trials`).

    A trial with no score is an error naming the first such trial and the count,
    unless ``allow_missing``; then the missing ones are counted in the log. Scores
    of pairs not in the trial list are ignored (and counted).
    """
    targets, nontargets, missing = [], [], []
    for trial in trials:
        score = scores.get((trial.enroll, trial.test))
        if score is None:
            missing.append(trial)
        elif trial.is_target:
            targets.append(score)
        else:
            nontargets.append(score)
    if missing:
        first = missing[0]
        message = (f"{len(missing)} of {len(trials)} trials have no score "
                   f"(first: '{first.enroll} {first.test}')")
        if not allow_missing or len(missing) == len(trials):
            hint = "" if allow_missing else "; --allow-missing scores the rest"
            raise InputError(message + hint, trials_path, first.line)
        log.warning("%s; scoring the other %d", message, len(trials) - len(missing))
    unused = len(scores) - (len(trials) - len(missing))
    if unused:
        log.info("%d scores are for pairs not in the trial list and were ignored", unused)
    if not targets or not nontargets:
        raise InputError(f"the scored trials hold {len(targets)} target and {len(nontargets)} "
                         "non-target trials; both kinds are needed", trials_path)
    return np.array(targets), np.array(nontargets)
