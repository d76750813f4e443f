"""Scoring a trial list from embeddings, with optional multi-utterance enrollment.

The sides of the trials are prepared once (:mod:`metricvox.backend.trial_sides`,
which also says how a model of several utterances is combined: ``--average``
``embedding`` or ``score``, which give different EERs). A trial's score is the mean,
over its enrollment side's parts, of the mean score of every row of the part against
every row of the test side (K x K crop pairs; one pair for two plain vectors). The
trials are scored in blocks of row pairs, each block in one call of the back end.

The back end is any scorer with the methods of
:class:`metricvox.backend.similarity.SimilarityScorer` (the tools build them by name,
:mod:`metricvox.scoring_backends`), or the name of a similarity metric.
"""

import logging

import numpy as np

from metricvox.backend.similarity import SimilarityScorer
from metricvox.backend.trial_sides import (AVERAGING, blocks, expand, num_utts_argument,
                                           prepare_sides)
from metricvox.errors import InputError

log = logging.getLogger(__name__)

BLOCK_PAIRS = 4096   # row pairs scored per back-end call (small enough to stay in cache)


def side_pair_scores(scorer, enroll, enroll_sides, test, test_sides):
    """(N,) scores of enrollment side ``enroll_sides[i]`` of ``enroll`` (a Sides) against
    test side ``test_sides[i]`` of ``test``."""
    pairs = enroll.slots_per_side()[enroll_sides] * test.slots_per_side()[test_sides]
    scores = np.empty(len(enroll_sides))
    for start, stop in blocks(pairs, BLOCK_PAIRS):
        scores[start:stop] = _block_scores(scorer, enroll, enroll_sides[start:stop], test,
                                           test_sides[start:stop])
    return scores


def _block_scores(scorer, enroll, enroll_sides, test, test_sides):
    # Every (trial, enrollment part), then every (enrollment row, test row) pair of it.
    parts_per_trial = enroll.side_parts[enroll_sides + 1] - enroll.side_parts[enroll_sides]
    trial, k = expand(parts_per_trial)
    part = enroll.side_parts[enroll_sides][trial] + k
    test_part = test.side_parts[test_sides][trial]          # a test side is one part
    enroll_rows = enroll.part_slots[part + 1] - enroll.part_slots[part]
    test_rows = test.part_slots[test_part + 1] - test.part_slots[test_part]
    owner, j = expand(enroll_rows * test_rows)
    enroll_slot = enroll.part_slots[part][owner] + j // test_rows[owner]
    test_slot = test.part_slots[test_part][owner] + j % test_rows[owner]
    pair_scores = scorer.pair_scores(enroll.rows[enroll.row_of_slot[enroll_slot]],
                                     num_utts_argument(enroll.part_utts[part][owner]),
                                     test.rows[test.row_of_slot[test_slot]])
    weights = 1.0 / (parts_per_trial[trial] * enroll_rows * test_rows)[owner]
    return np.bincount(trial[owner], weights=weights * pair_scores, minlength=enroll_sides.size)


def score_trials(trials, enroll_embeddings, test_embeddings, *, metric="cosine",
                 average="embedding", enroll_map=None, where=None):
    """``[(enroll, test, score)]`` for every trial whose two sides exist, in trial order.

    ``metric`` is a scorer or a similarity metric's name (cosine, euclidean). Trials
    with a missing side are skipped and counted in the log, Kaldi style; if none can be
    scored it is an error naming the trial list ``where``.
    """
    if average not in AVERAGING:
        raise InputError(f"unknown averaging {average!r}; choose from {', '.join(AVERAGING)}")
    scorer = SimilarityScorer(metric) if isinstance(metric, str) else metric
    enroll, test = prepare_sides(dict.fromkeys(t.enroll for t in trials), enroll_embeddings,
                                 dict.fromkeys(t.test for t in trials), test_embeddings, scorer,
                                 enroll_map=enroll_map, average=average, where=where)
    enroll_sides = np.fromiter((enroll.index.get(t.enroll, -1) for t in trials), np.int64, len(trials))
    test_sides = np.fromiter((test.index.get(t.test, -1) for t in trials), np.int64, len(trials))
    scorable = (enroll_sides >= 0) & (test_sides >= 0)
    if not scorable.any():
        first = trials[0] if trials else None
        detail = f" (first: '{first.enroll} {first.test}')" if first else ""
        raise InputError(f"none of the {len(trials)} trials has both embeddings{detail}", where)
    if not scorable.all():
        skipped = trials[int(np.argmin(scorable))]
        log.warning("%d of %d trials lack an embedding and were not scored (first: '%s %s')",
                    int((~scorable).sum()), len(trials), skipped.enroll, skipped.test)
    kept = np.flatnonzero(scorable)
    scores = side_pair_scores(scorer, enroll, enroll_sides[kept], test, test_sides[kept])
    return [(trials[i].enroll, trials[i].test, score)
            for i, score in zip(kept.tolist(), scores.tolist())]
